//! The panic boundary of the exported functions and the checks of their pointer arguments.

use std::panic::{self, AssertUnwindSafe};

use super::status::{clear_last_error, seccs_status, set_last_error};
use crate::Error;

/// Why an exported function failed: its status and the detail for `seccs_last_error_message`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: seccs_status,
    pub(crate) message: String,
    /// The backend callback's code for `SECCS_BACKEND_ERROR`, else 0.
    pub(crate) backend_code: i32,
}

impl Failure {
    pub(crate) fn new(status: seccs_status, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), backend_code: 0 }
    }

    /// A NULL pointer for the required argument `name`; `hint` says what to pass instead.
    pub(crate) fn null(name: &str, hint: &str) -> Self {
        Self::new(seccs_status::SECCS_NULL_ARGUMENT, format!("{name} is NULL: {hint}"))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(seccs_status::SECCS_INVALID_ARGUMENT, message)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let backend_code = match &error {
            Error::Backend { source, .. } => source.code,
            _ => 0,
        };
        Self { status: seccs_status::of_error(&error), message: error.to_string(), backend_code }
    }
}

/// Runs the body of the exported function `function` inside its panic boundary and
/// records the failure detail of this call for the calling thread.
pub(crate) fn guard(function: &str, body: impl FnOnce() -> Result<(), Failure>) -> seccs_status {
    clear_last_error();

    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => seccs_status::SECCS_OK,
        Ok(Err(failure)) => {
            set_last_error(&format!("{function}: {}", failure.message), failure.backend_code);
            failure.status
        }
        Err(payload) => {
            report_panic(function, payload.as_ref());
            seccs_status::SECCS_PANIC
        }
    }
}

/// Runs the body of an exported function that returns no status: a panic yields
/// `fallback`, and its detail is recorded as for `SECCS_PANIC`.
pub(crate) fn guard_infallible<T>(function: &str, fallback: T, body: impl FnOnce() -> T) -> T {
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            report_panic(function, payload.as_ref());
            fallback
        }
    }
}

fn report_panic(function: &str, payload: &(dyn std::any::Any + Send)) {
    let reason = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    set_last_error(
        &format!(
            "{function}: internal error in libseccs ({reason}); the store is unchanged or \
             holds unreclaimed nodes. Please report this bug"
        ),
        0,
    );
}

/// Returns the byte slice that C passed as `pointer` and `length` (named `name` in messages).
/// NULL is accepted only with length 0.
///
/// # Safety
///
/// Unless NULL, `pointer` must be valid for reads of `length` bytes that nobody writes
/// while the returned slice lives.
pub(crate) unsafe fn input_bytes<'a>(
    pointer: *const u8,
    length: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    check_length(length, name)?;
    if length == 0 {
        return Ok(&[]);
    }
    if pointer.is_null() {
        return Err(Failure::null(name, "pass the bytes, or NULL only together with length 0"));
    }

    // SAFETY: `pointer` is non-NULL and, by this function's contract, valid for reads of
    // `length` bytes, which check_length bounded by isize::MAX.
    Ok(unsafe { std::slice::from_raw_parts(pointer, length) })
}

/// Returns the writable buffer that C passed as `pointer` and `length`. NULL is accepted
/// only with length 0.
///
/// # Safety
///
/// Unless NULL, `pointer` must be valid for writes of `length` bytes that nobody else
/// accesses while the returned slice lives.
pub(crate) unsafe fn output_bytes<'a>(
    pointer: *mut u8,
    length: usize,
    name: &str,
) -> Result<&'a mut [u8], Failure> {
    check_length(length, name)?;
    if length == 0 {
        return Ok(&mut []);
    }
    if pointer.is_null() {
        return Err(Failure::null(name, "pass a buffer, or NULL only together with length 0"));
    }

    // SAFETY: `pointer` is non-NULL and, by this function's contract, valid for exclusive
    // writes of `length` bytes, which check_length bounded by isize::MAX.
    Ok(unsafe { std::slice::from_raw_parts_mut(pointer, length) })
}

/// Rejects a length that no object can have (above PTRDIFF_MAX), which means the caller
/// passed a negative number or an uninitialized variable.
pub(crate) fn check_length(length: usize, name: &str) -> Result<(), Failure> {
    if length > isize::MAX as usize {
        return Err(Failure::invalid(format!(
            "the length of {name} is {length}, more than any object can have (PTRDIFF_MAX); \
             pass the real length of the buffer"
        )));
    }
    Ok(())
}

/// Returns the object C passed as the required pointer argument `name`.
///
/// # Safety
///
/// Unless NULL, `pointer` must point to a valid, initialized `T` that nobody writes while
/// the returned reference lives.
pub(crate) unsafe fn required<'a, T>(pointer: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: by this function's contract, a non-NULL `pointer` points to a valid `T`.
    unsafe { pointer.as_ref() }.ok_or_else(|| Failure::null(name, "pass a valid pointer"))
}

/// Returns the output location C passed as the required pointer argument `name`.
///
/// # Safety
///
/// Unless NULL, `pointer` must be valid for writes of a `T` and not accessed by anyone
/// else while the returned reference lives. The pointee need not be initialized, so only
/// write through the result.
pub(crate) unsafe fn required_out<'a, T>(
    pointer: *mut T,
    name: &str,
) -> Result<&'a mut std::mem::MaybeUninit<T>, Failure> {
    // SAFETY: by this function's contract, a non-NULL `pointer` is valid for writes of a
    // `T`, and MaybeUninit<T> has the layout of T and makes no claim about its contents.
    unsafe { pointer.cast::<std::mem::MaybeUninit<T>>().as_mut() }
        .ok_or_else(|| Failure::null(name, "pass a pointer to a variable that receives the result"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_catches_panics() {
        let status = guard("seccs_test", || panic!("boom"));
        assert_eq!(status, seccs_status::SECCS_PANIC);
        // SAFETY: the message pointer is valid until the next fallible call.
        let message = unsafe { std::ffi::CStr::from_ptr(super::super::status::seccs_last_error_message()) };
        let message = message.to_str().unwrap();
        assert!(message.starts_with("seccs_test: internal error in libseccs (boom)"), "{message}");
    }

    #[test]
    fn input_bytes_accepts_null_only_when_empty() {
        // SAFETY: NULL with length 0 never dereferences the pointer.
        let empty = unsafe { input_bytes(std::ptr::null(), 0, "content") }.unwrap();
        assert!(empty.is_empty());

        // SAFETY: NULL is rejected before any read.
        let failure = unsafe { input_bytes(std::ptr::null(), 1, "content") }.unwrap_err();
        assert_eq!(failure.status, seccs_status::SECCS_NULL_ARGUMENT);
        assert_eq!(failure.message, "content is NULL: pass the bytes, or NULL only together with length 0");
    }

    #[test]
    fn impossible_lengths_are_rejected() {
        let byte = 0u8;
        // SAFETY: the length is rejected before any read.
        let failure = unsafe { input_bytes(&byte, usize::MAX, "content") }.unwrap_err();
        assert_eq!(failure.status, seccs_status::SECCS_INVALID_ARGUMENT);
        assert!(failure.message.contains(&usize::MAX.to_string()), "{}", failure.message);
    }
}
