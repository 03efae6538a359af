//! Backends written in C: the callback table, the sinks through which callbacks hand
//! values and keys to the library, and the adapter that turns the table into a
//! [`crate::Backend`].

use std::cell::RefCell;
use std::ffi::{CStr, c_char, c_void};

use super::boundary::{Failure, guard, guard_infallible, input_bytes, required};
use super::status::seccs_status;
use crate::backend::{Backend, BackendError};

/// Version of `seccs_backend` that this library understands.
pub const SECCS_BACKEND_VERSION: u32 = 1;

/// Callback return code: success.
pub const SECCS_BACKEND_OK: i32 = 0;

/// Callback return code: the key is not in the backend.
pub const SECCS_BACKEND_NOT_FOUND: i32 = 1;

/// Maximum length, in bytes, of a message that `seccs_backend_set_error_message` keeps.
const MAX_BACKEND_MESSAGE: usize = 1024;

/// The place where a get callback puts the value it found. Opaque; valid only during the
/// one get callback that received it.
pub struct seccs_value_sink {
    value: Option<Vec<u8>>,
}

/// The place where a scan callback puts the keys it lists. Opaque; valid only during the
/// one scan callback that received it.
pub struct seccs_key_sink {
    keys: Vec<Vec<u8>>,
}

/// Looks up `key` (`key_len` bytes).
///
/// If the key is present, call `seccs_value_sink_write(sink, value, value_len)` once and
/// return `SECCS_BACKEND_OK`. If it is absent, return `SECCS_BACKEND_NOT_FOUND` without
/// writing. Return any other value to report a failure; that value becomes
/// `seccs_last_backend_code()` of the operation. Returning `SECCS_BACKEND_OK` without a
/// write is a failure too. `key` and `sink` are borrowed for this call only.
pub type seccs_backend_get_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        key: *const u8,
        key_len: usize,
        sink: *mut seccs_value_sink,
    ) -> i32,
>;

/// Stores `value` (`value_len` bytes, possibly 0) under `key` (`key_len` bytes),
/// replacing any previous value.
///
/// Return `SECCS_BACKEND_OK` once the value is stored. Any other value reports a failure
/// (`SECCS_BACKEND_NOT_FOUND` too). Copy what you keep: `key` and `value` are borrowed for
/// this call only.
pub type seccs_backend_set_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        key: *const u8,
        key_len: usize,
        value: *const u8,
        value_len: usize,
    ) -> i32,
>;

/// Removes `key` (`key_len` bytes).
///
/// Return `SECCS_BACKEND_OK` (or `SECCS_BACKEND_NOT_FOUND`) when the key is gone,
/// including when it was never there. Any other value reports a failure. `key` is borrowed
/// for this call only.
pub type seccs_backend_delete_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, key: *const u8, key_len: usize) -> i32>;

/// Tells whether `key` (`key_len` bytes) is present.
///
/// Set `*found` and return `SECCS_BACKEND_OK`; returning `SECCS_BACKEND_NOT_FOUND` also
/// means absent. Any other value reports a failure. `key` and `found` are borrowed for
/// this call only.
pub type seccs_backend_contains_fn = Option<
    unsafe extern "C" fn(ctx: *mut c_void, key: *const u8, key_len: usize, found: *mut bool) -> i32,
>;

/// Releases `ctx`. Called exactly once, by `seccs_free`, after the store's last use of
/// the backend.
pub type seccs_backend_destroy_fn = Option<unsafe extern "C" fn(ctx: *mut c_void)>;

/// Lists every key of the backend.
///
/// Call `seccs_key_sink_add(sink, key, key_len)` once per key, in any order, then return
/// `SECCS_BACKEND_OK`. Any other value reports a failure. `sink` is borrowed for this call
/// only. The other callbacks are not called while a scan runs on the same store handle,
/// unless other threads use that handle.
pub type seccs_backend_scan_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, sink: *mut seccs_key_sink) -> i32>;

/// A key-value database implemented by the caller: a table of callbacks over `ctx`.
///
/// The library never trusts what the callbacks return: every value read back is
/// verified. Callbacks run on the thread that called the libseccs function, one at a
/// time per call. Calls from several threads that share a store handle reach the
/// callbacks concurrently, so a backend used that way must be thread-safe. Within a
/// callback, the backend may call `seccs_value_sink_write`, `seccs_key_sink_add` and
/// `seccs_backend_set_error_message`, but no other libseccs function on the same store.
///
/// Callbacks return `SECCS_BACKEND_OK`, `SECCS_BACKEND_NOT_FOUND` where documented, or
/// any other `int32_t` as the backend's own error code. Such a code fails the operation
/// with `SECCS_BACKEND_ERROR` and is returned by `seccs_last_backend_code()`.
///
/// Keys are short byte strings: a node key is the digest (16 bytes for the AES-SIV
/// wrappers, 32 otherwise), and with `SECCS_REFCOUNT_KEY_SUFFIX` a count key is the node
/// key followed by `r` (17 or 33 bytes). Values are counts in ASCII decimal and wrapped
/// nodes, which average about the chunk size. A node has no upper size limit: content
/// without chunk boundaries, such as a long run of zeros, becomes one leaf as long as the
/// content.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct seccs_backend {
    /// Must be `SECCS_BACKEND_VERSION`.
    pub version: u32,
    /// Passed as the first argument of every callback. Owned by the store after a
    /// successful `seccs_new` when `destroy` is set.
    pub ctx: *mut c_void,
    /// Required.
    pub get: seccs_backend_get_fn,
    /// Required.
    pub set: seccs_backend_set_fn,
    /// Required. Named `delete_` because `delete` is a C++ keyword.
    pub delete_: seccs_backend_delete_fn,
    /// Required. libseccs 0.1 reads nodes with `get` and never calls `contains`; the
    /// callback is part of version 1 of the table so that later versions can test for a
    /// key without transferring its value.
    pub contains: seccs_backend_contains_fn,
    /// Optional: called once by `seccs_free` to release `ctx`. NULL leaves `ctx` with the
    /// caller, who must keep it valid until `seccs_free` returns.
    pub destroy: seccs_backend_destroy_fn,
    /// Optional: lists every key. Only `seccs_check` needs it.
    pub scan: seccs_backend_scan_fn,
}

impl seccs_backend {
    /// A table with every field zero: version 0 and no callbacks.
    pub(crate) const fn empty() -> Self {
        Self {
            version: 0,
            ctx: std::ptr::null_mut(),
            get: None,
            set: None,
            delete_: None,
            contains: None,
            destroy: None,
            scan: None,
        }
    }

    /// Checks the version and the required callbacks of the table that the caller passed
    /// as `name`.
    pub(crate) fn validate(&self, name: &str) -> Result<(), Failure> {
        if self.version != SECCS_BACKEND_VERSION {
            return Err(Failure::invalid(format!(
                "{name}.version is {}, but this library supports version {SECCS_BACKEND_VERSION}: \
                 set it to SECCS_BACKEND_VERSION",
                self.version
            )));
        }

        let callbacks = [
            ("get", self.get.is_some()),
            ("set", self.set.is_some()),
            ("delete_", self.delete_.is_some()),
            ("contains", self.contains.is_some()),
        ];
        for (callback, present) in callbacks {
            if !present {
                return Err(Failure::null(
                    &format!("{name}.{callback}"),
                    "every backend needs the get, set, delete_ and contains callbacks",
                ));
            }
        }
        Ok(())
    }
}

thread_local! {
    /// Message that a failing callback attached on this thread, taken by the adapter. It
    /// reaches the right operation because the store calls its backends on the thread
    /// that called the store.
    static BACKEND_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn take_backend_message() -> String {
    BACKEND_MESSAGE.try_with(|message| message.borrow_mut().take()).ok().flatten().unwrap_or_default()
}

/// Attaches a message to the failure that the running callback is about to return.
///
/// Call it from inside a backend callback, on the thread that runs the callback, just
/// before returning an error code. The message (at most 1024 bytes are kept, NUL
/// terminated, copied) becomes part of `seccs_last_error_message()` for the failed
/// operation. NULL clears a message set earlier in the same callback. A message set
/// outside a callback is discarded when the next callback starts.
///
/// # Safety
///
/// `message` must be NULL or point to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_backend_set_error_message(message: *const c_char) {
    guard_infallible("seccs_backend_set_error_message", (), || {
        let text = if message.is_null() {
            None
        } else {
            // SAFETY: the caller passes a NUL-terminated string, per this function's contract.
            let bytes = unsafe { CStr::from_ptr(message) }.to_bytes();
            let kept = &bytes[..bytes.len().min(MAX_BACKEND_MESSAGE)];
            Some(String::from_utf8_lossy(kept).into_owned())
        };
        let _ = BACKEND_MESSAGE.try_with(|slot| *slot.borrow_mut() = text);
    });
}

/// Hands the value found by a get callback to the library, which copies it.
///
/// Call it at most once per get callback, then return `SECCS_BACKEND_OK`. `value` may be
/// NULL only when `value_len` is 0 (an empty value). `value` is borrowed for this call only.
///
/// Returns `SECCS_OK`, `SECCS_NULL_ARGUMENT` when `sink` is NULL or `value` is NULL with a
/// non-zero length, or `SECCS_INVALID_ARGUMENT` on a second call for the same sink (the
/// first value is kept) or a length above PTRDIFF_MAX.
///
/// # Safety
///
/// `sink` must be NULL or the sink passed to the get callback that is running now.
/// Unless NULL, `value` must be valid for reads of `value_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_value_sink_write(
    sink: *mut seccs_value_sink,
    value: *const u8,
    value_len: usize,
) -> seccs_status {
    guard("seccs_value_sink_write", || {
        // SAFETY: the caller passes the sink of the running get callback, which the
        // adapter keeps alive and does not touch until the callback returns.
        let sink = unsafe { sink.as_mut() }
            .ok_or_else(|| Failure::null("sink", "pass the sink that the get callback received"))?;
        // SAFETY: the caller guarantees that `value` is readable for `value_len` bytes.
        let value = unsafe { input_bytes(value, value_len, "value") }?;

        if sink.value.is_some() {
            return Err(Failure::invalid(
                "the get callback already wrote a value to this sink: write it once per call",
            ));
        }
        sink.value = Some(value.to_vec());
        Ok(())
    })
}

/// Hands one key listed by a scan callback to the library, which copies it.
///
/// Call it once per key from inside the scan callback. `key` is borrowed for this call
/// only. Returns `SECCS_OK`, `SECCS_NULL_ARGUMENT` when `sink` or `key` is NULL, or
/// `SECCS_INVALID_ARGUMENT` for an empty key or a length above PTRDIFF_MAX (no node or
/// count key is empty).
///
/// # Safety
///
/// `sink` must be NULL or the sink passed to the scan callback that is running now.
/// Unless NULL, `key` must be valid for reads of `key_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_key_sink_add(
    sink: *mut seccs_key_sink,
    key: *const u8,
    key_len: usize,
) -> seccs_status {
    guard("seccs_key_sink_add", || {
        // SAFETY: the caller passes the sink of the running scan callback, which the
        // adapter keeps alive and does not touch until the callback returns.
        let sink = unsafe { sink.as_mut() }
            .ok_or_else(|| Failure::null("sink", "pass the sink that the scan callback received"))?;
        if key_len == 0 {
            return Err(Failure::invalid("key_len is 0: backend keys are never empty"));
        }
        // SAFETY: the caller guarantees that `key` is readable for `key_len` bytes.
        let key = unsafe { input_bytes(key, key_len, "key") }?;

        sink.keys.push(key.to_vec());
        Ok(())
    })
}

/// Adapter from a C callback table to the [`Backend`] trait.
pub(crate) struct CallbackBackend {
    table: seccs_backend,
}

// SAFETY: the adapter only passes `ctx` to the table's callbacks. `seccs_backend` documents
// that a store handle shared between threads calls the callbacks concurrently, so a C
// backend used that way must be thread-safe; a handle used by one thread at a time calls
// them from one thread at a time, which any backend supports.
unsafe impl Send for CallbackBackend {}
// SAFETY: as for Send: `&CallbackBackend` gives access to nothing but the callbacks.
unsafe impl Sync for CallbackBackend {}

impl CallbackBackend {
    /// Wraps `table`, which `seccs_backend::validate` has accepted.
    pub(crate) fn new(table: seccs_backend) -> Self {
        Self { table }
    }

    /// Turns a failure code of a callback into the backend's error, with the message the
    /// callback attached.
    fn failure(code: i32) -> BackendError {
        BackendError::new(code, take_backend_message())
    }

    fn missing(callback: &str) -> BackendError {
        // validate() rejects tables without the required callbacks, so this is unreachable
        // through seccs_new; it is still an error rather than a panic.
        BackendError::new(-1, format!("the backend has no {callback} callback"))
    }
}

fn start_callback() {
    let _ = BACKEND_MESSAGE.try_with(|message| message.borrow_mut().take());
}

impl Backend for CallbackBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        let get = self.table.get.ok_or_else(|| Self::missing("get"))?;
        let mut sink = seccs_value_sink { value: None };

        start_callback();
        // SAFETY: `get` comes from a table that the caller of seccs_new declared valid for
        // `ctx`; `key` and `sink` outlive the call and are not used by Rust during it.
        let code = unsafe { get(self.table.ctx, key.as_ptr(), key.len(), &mut sink) };

        match code {
            SECCS_BACKEND_OK => match sink.value {
                Some(value) => Ok(Some(value)),
                None => Err(BackendError::new(
                    code,
                    "the get callback returned SECCS_BACKEND_OK without calling \
                     seccs_value_sink_write: write the value, or return SECCS_BACKEND_NOT_FOUND",
                )),
            },
            SECCS_BACKEND_NOT_FOUND => Ok(None),
            code => Err(Self::failure(code)),
        }
    }

    fn set(&self, key: &[u8], value: &[u8]) -> Result<(), BackendError> {
        let set = self.table.set.ok_or_else(|| Self::missing("set"))?;

        start_callback();
        // SAFETY: `set` comes from a valid table for `ctx`; `key` and `value` are valid for
        // reads of their lengths during the call.
        let code = unsafe { set(self.table.ctx, key.as_ptr(), key.len(), value.as_ptr(), value.len()) };

        match code {
            SECCS_BACKEND_OK => Ok(()),
            code => Err(Self::failure(code)),
        }
    }

    fn delete(&self, key: &[u8]) -> Result<(), BackendError> {
        let delete = self.table.delete_.ok_or_else(|| Self::missing("delete_"))?;

        start_callback();
        // SAFETY: `delete_` comes from a valid table for `ctx`; `key` is valid for reads
        // of its length during the call.
        let code = unsafe { delete(self.table.ctx, key.as_ptr(), key.len()) };

        match code {
            SECCS_BACKEND_OK | SECCS_BACKEND_NOT_FOUND => Ok(()),
            code => Err(Self::failure(code)),
        }
    }

    fn contains(&self, key: &[u8]) -> Result<bool, BackendError> {
        let contains = self.table.contains.ok_or_else(|| Self::missing("contains"))?;
        let mut found = false;

        start_callback();
        // SAFETY: `contains` comes from a valid table for `ctx`; `key` is valid for reads
        // and `found` for writes during the call.
        let code = unsafe { contains(self.table.ctx, key.as_ptr(), key.len(), &mut found) };

        match code {
            SECCS_BACKEND_OK => Ok(found),
            SECCS_BACKEND_NOT_FOUND => Ok(false),
            code => Err(Self::failure(code)),
        }
    }

    fn keys(&self) -> Option<Result<Vec<Vec<u8>>, BackendError>> {
        let scan = self.table.scan?;
        let mut sink = seccs_key_sink { keys: Vec::new() };

        start_callback();
        // SAFETY: `scan` comes from a valid table for `ctx`; `sink` outlives the call and
        // is not used by Rust during it.
        let code = unsafe { scan(self.table.ctx, &mut sink) };

        Some(match code {
            SECCS_BACKEND_OK => Ok(sink.keys),
            code => Err(Self::failure(code)),
        })
    }
}

/// Calls the table's destroy callback, if any, to release its `ctx`.
///
/// # Safety
///
/// The caller must own `table.ctx`, and nothing may use it afterwards.
pub(crate) unsafe fn destroy(table: &seccs_backend) {
    if let Some(destroy) = table.destroy {
        // SAFETY: the caller owns `ctx` and gives it up here, as destroy expects.
        unsafe { destroy(table.ctx) };
    }
}

/// Reads the callback table that C passed as the argument `name`.
///
/// # Safety
///
/// Unless NULL, `pointer` must point to an initialized `seccs_backend`.
pub(crate) unsafe fn read_table(pointer: *const seccs_backend, name: &str) -> Result<seccs_backend, Failure> {
    // SAFETY: forwarded from this function's contract. Every bit pattern is a valid
    // seccs_backend (integers, pointers and nullable function pointers), so the copy is
    // valid whatever C stored.
    let table = *unsafe { required(pointer, name) }?;
    table.validate(name)?;
    Ok(table)
}
