//! Status codes, their messages, and the per-thread detail of the last failure.

use std::cell::RefCell;
use std::ffi::{CString, c_char};

use super::boundary::guard_infallible;
use crate::Error;

/// Status returned by every fallible libseccs function.
///
/// On any status other than `SECCS_OK`, `seccs_last_error_message()` returns a detail
/// message for the calling thread.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum seccs_status {
    /// Success.
    SECCS_OK = 0,
    /// A node of the content is missing from the backend: the content was deleted, never
    /// stored in this backend, or the backend lost data.
    SECCS_NOT_FOUND = 1,
    /// SHA_256 wrapper: a stored node does not hash to its key, so the backend returned
    /// altered or misplaced data.
    SECCS_INTEGRITY_ERROR = 2,
    /// Keyed wrappers: the MAC or SIV tag check of a stored node failed, so the key is
    /// wrong or the backend returned altered or misplaced data.
    SECCS_AUTHENTICITY_ERROR = 3,
    /// The chunk size is below twice the digest size and no custom level-size function
    /// is set.
    SECCS_UNSUPPORTED_CHUNK_SIZE = 4,
    /// A value is out of range: a key length, a window size, a struct version, an enum
    /// value, or a length that no buffer can have.
    SECCS_INVALID_ARGUMENT = 5,
    /// A required pointer argument or callback was NULL.
    SECCS_NULL_ARGUMENT = 6,
    /// A caller buffer is shorter than needed; the function reports the required size
    /// where it has an output for it.
    SECCS_BUFFER_TOO_SMALL = 7,
    /// A backend callback failed; `seccs_last_backend_code()` returns the code it returned.
    SECCS_BACKEND_ERROR = 8,
    /// A content reference does not have the length this store's references have.
    SECCS_INVALID_REFERENCE = 9,
    /// A node verified but has an impossible size, or the content's tree does not hold
    /// as many bytes as its reference records.
    SECCS_CORRUPT_NODE = 10,
    /// A counted delete found no reference count for the content's root node.
    SECCS_MISSING_REFERENCE_COUNT = 11,
    /// A reference count entry is not an ASCII decimal number.
    SECCS_INVALID_REFERENCE_COUNT = 12,
    /// The operation needs an optional backend callback that the backend lacks.
    SECCS_UNSUPPORTED = 13,
    /// An internal bug was caught at the library boundary. The store has either not been
    /// changed or has been left with unreclaimed nodes, never with a lost content.
    SECCS_PANIC = 14,
}

/// A status code as C passes it in: any 32-bit value, because C does not restrict an enum
/// variable to the enumerators. The header shows this type as `seccs_status`.
pub type RawStatus = u32;

/// Every status, in code order.
const ALL_STATUSES: [seccs_status; 15] = [
    seccs_status::SECCS_OK,
    seccs_status::SECCS_NOT_FOUND,
    seccs_status::SECCS_INTEGRITY_ERROR,
    seccs_status::SECCS_AUTHENTICITY_ERROR,
    seccs_status::SECCS_UNSUPPORTED_CHUNK_SIZE,
    seccs_status::SECCS_INVALID_ARGUMENT,
    seccs_status::SECCS_NULL_ARGUMENT,
    seccs_status::SECCS_BUFFER_TOO_SMALL,
    seccs_status::SECCS_BACKEND_ERROR,
    seccs_status::SECCS_INVALID_REFERENCE,
    seccs_status::SECCS_CORRUPT_NODE,
    seccs_status::SECCS_MISSING_REFERENCE_COUNT,
    seccs_status::SECCS_INVALID_REFERENCE_COUNT,
    seccs_status::SECCS_UNSUPPORTED,
    seccs_status::SECCS_PANIC,
];

impl seccs_status {
    /// Returns the status with code `code`, or `None` for a code no status has.
    pub fn from_code(code: RawStatus) -> Option<Self> {
        ALL_STATUSES.get(usize::try_from(code).ok()?).copied()
    }

    /// Returns the status that reports `error`. Each error variant has exactly one status.
    pub fn of_error(error: &Error) -> Self {
        match error {
            Error::UnsupportedChunkSize { .. } => seccs_status::SECCS_UNSUPPORTED_CHUNK_SIZE,
            Error::InvalidKeyLength { .. } | Error::InvalidArgument { .. } => {
                seccs_status::SECCS_INVALID_ARGUMENT
            }
            Error::InvalidReference { .. } => seccs_status::SECCS_INVALID_REFERENCE,
            Error::NotFound { .. } => seccs_status::SECCS_NOT_FOUND,
            Error::Integrity { .. } => seccs_status::SECCS_INTEGRITY_ERROR,
            Error::Authenticity { .. } => seccs_status::SECCS_AUTHENTICITY_ERROR,
            Error::CorruptNode { .. } => seccs_status::SECCS_CORRUPT_NODE,
            Error::MissingReferenceCount { .. } => seccs_status::SECCS_MISSING_REFERENCE_COUNT,
            Error::InvalidReferenceCount { .. } => seccs_status::SECCS_INVALID_REFERENCE_COUNT,
            Error::Unsupported { .. } => seccs_status::SECCS_UNSUPPORTED,
            Error::Backend { .. } => seccs_status::SECCS_BACKEND_ERROR,
        }
    }

    /// Returns the fixed description of the status, as a NUL-terminated static string.
    fn message(self) -> &'static std::ffi::CStr {
        match self {
            seccs_status::SECCS_OK => c"success",
            seccs_status::SECCS_NOT_FOUND => c"a node of the content was not found in the backend",
            seccs_status::SECCS_INTEGRITY_ERROR => {
                c"integrity check failed: a stored node does not hash to its key"
            }
            seccs_status::SECCS_AUTHENTICITY_ERROR => {
                c"authenticity check failed: wrong key, or the backend altered a stored node"
            }
            seccs_status::SECCS_UNSUPPORTED_CHUNK_SIZE => {
                c"unsupported chunk size: it must be at least twice the digest size"
            }
            seccs_status::SECCS_INVALID_ARGUMENT => c"invalid argument",
            seccs_status::SECCS_NULL_ARGUMENT => c"a required pointer argument was NULL",
            seccs_status::SECCS_BUFFER_TOO_SMALL => c"the output buffer is too small",
            seccs_status::SECCS_BACKEND_ERROR => c"a backend callback failed",
            seccs_status::SECCS_INVALID_REFERENCE => c"invalid content reference length",
            seccs_status::SECCS_CORRUPT_NODE => c"corrupt node in the backend",
            seccs_status::SECCS_MISSING_REFERENCE_COUNT => c"reference count not found",
            seccs_status::SECCS_INVALID_REFERENCE_COUNT => {
                c"invalid reference count: not an ASCII decimal number"
            }
            seccs_status::SECCS_UNSUPPORTED => {
                c"unsupported: the backend lacks a callback this operation needs"
            }
            seccs_status::SECCS_PANIC => c"internal error in libseccs (caught panic)",
        }
    }
}

/// The failure detail of the last fallible call on this thread.
struct LastError {
    /// Detail message; empty after a successful call.
    message: CString,
    /// Code a backend callback returned for the last `SECCS_BACKEND_ERROR`, else 0.
    backend_code: i32,
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> =
        RefCell::new(LastError { message: CString::default(), backend_code: 0 });
}

/// Forgets the failure detail of the previous call on this thread.
pub(crate) fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|last| {
        let mut last = last.borrow_mut();
        if !last.message.is_empty() {
            last.message = CString::default();
        }
        last.backend_code = 0;
    });
}

/// Records the failure detail of the current call on this thread.
pub(crate) fn set_last_error(message: &str, backend_code: i32) {
    let message = to_c_string(message);
    // During thread teardown the slot may be gone; the status still reaches the caller.
    let _ = LAST_ERROR.try_with(|last| {
        let mut last = last.borrow_mut();
        last.message = message;
        last.backend_code = backend_code;
    });
}

/// Converts a message to a C string, showing NUL bytes (which can come from backend data
/// quoted in a message) as `\0` instead of cutting the message short.
pub(crate) fn to_c_string(message: &str) -> CString {
    let escaped = message.replace('\0', "\\0");
    CString::new(escaped).unwrap_or_default()
}

/// Returns a static, NUL-terminated description of `status`, never NULL.
///
/// Any value is accepted: a code that no status has yields "unknown libseccs status code".
/// The description is the same for every failure with that status; the detail of the
/// failure is in `seccs_last_error_message()`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn seccs_status_message(status: RawStatus) -> *const c_char {
    let unknown = c"unknown libseccs status code".as_ptr();
    guard_infallible("seccs_status_message", unknown, || match seccs_status::from_code(status) {
        Some(status) => status.message().as_ptr(),
        None => unknown,
    })
}

/// Returns the detail message of the last failure on the calling thread: what failed,
/// on which value, and what to do. Never NULL.
///
/// The string is empty when the last fallible call on this thread succeeded. The library
/// owns it. It stays valid until the next fallible libseccs call on this thread, that is
/// any function that returns `seccs_status`, so copy it to keep it longer. Each thread has
/// its own message, so this is thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn seccs_last_error_message() -> *const c_char {
    guard_infallible("seccs_last_error_message", c"".as_ptr(), || {
        let pointer = LAST_ERROR.try_with(|last| last.borrow().message.as_ptr());
        pointer.unwrap_or(c"".as_ptr())
    })
}

/// Returns the code that a backend callback returned for the last `SECCS_BACKEND_ERROR`
/// on the calling thread, or 0 when the last fallible call on this thread did not fail
/// with `SECCS_BACKEND_ERROR`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn seccs_last_backend_code() -> i32 {
    guard_infallible("seccs_last_backend_code", 0, || {
        LAST_ERROR.try_with(|last| last.borrow().backend_code).unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn codes_follow_declaration_order() {
        for (code, status) in ALL_STATUSES.iter().enumerate() {
            assert_eq!(*status as usize, code);
            assert_eq!(seccs_status::from_code(code as u32), Some(*status));
        }
        assert_eq!(seccs_status::from_code(15), None);
        assert_eq!(seccs_status::from_code(u32::MAX), None);
    }

    #[test]
    fn every_status_has_a_distinct_message() {
        let mut seen = std::collections::HashSet::new();
        for status in ALL_STATUSES {
            // SAFETY: seccs_status_message returns a static NUL-terminated string.
            let text = unsafe { CStr::from_ptr(seccs_status_message(status as u32)) };
            assert!(!text.is_empty(), "{status:?} has an empty message");
            assert!(seen.insert(text.to_owned()), "{status:?} repeats a message");
        }
    }

    #[test]
    fn nul_bytes_are_escaped() {
        assert_eq!(to_c_string("a\0b").as_bytes(), b"a\\0b");
    }

    #[test]
    fn last_error_is_per_call() {
        set_last_error("first failure", 7);
        assert_eq!(seccs_last_backend_code(), 7);
        // SAFETY: the pointer is valid until the next fallible call on this thread.
        let text = unsafe { CStr::from_ptr(seccs_last_error_message()) };
        assert_eq!(text.to_bytes(), b"first failure");

        clear_last_error();
        assert_eq!(seccs_last_backend_code(), 0);
        // SAFETY: as above.
        let text = unsafe { CStr::from_ptr(seccs_last_error_message()) };
        assert!(text.is_empty());
    }
}
