//! The built-in in-memory backend, offered to C as a callback table over
//! [`crate::MemoryBackend`].

use std::ffi::c_void;
use std::panic::{self, AssertUnwindSafe};

use super::backend::{
    SECCS_BACKEND_NOT_FOUND, SECCS_BACKEND_OK, SECCS_BACKEND_VERSION, seccs_backend,
    seccs_backend_set_error_message, seccs_key_sink, seccs_key_sink_add, seccs_value_sink,
    seccs_value_sink_write,
};
use super::boundary::{Failure, guard, required_out};
use super::status::seccs_status;
use crate::MemoryBackend;
use crate::backend::Backend;

/// Code the callbacks return when a sink rejected their output or a bug was caught.
const INTERNAL_ERROR: i32 = -1;

/// Fills `*out` with a new, empty in-memory backend: a hash map guarded by a mutex,
/// thread-safe, with every callback including destroy and scan.
///
/// Pass `*out` to `seccs_new` (as the backend or as `refcount_backend`); on success the
/// store owns it and frees it in `seccs_free`. If you do not pass it on, or `seccs_new`
/// fails, release it yourself with `out->destroy(out->ctx)`.
///
/// Returns `SECCS_OK`, or `SECCS_NULL_ARGUMENT` when `out` is NULL.
///
/// # Safety
///
/// `out` must be NULL or valid for writes of a `seccs_backend`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_memory_backend_new(out: *mut seccs_backend) -> seccs_status {
    guard("seccs_memory_backend_new", || {
        // SAFETY: the caller passes NULL or a pointer valid for writes of a seccs_backend.
        let out = unsafe { required_out(out, "out") }?;

        let backend = Box::into_raw(Box::new(MemoryBackend::new()));
        out.write(seccs_backend {
            version: SECCS_BACKEND_VERSION,
            ctx: backend.cast(),
            get: Some(memory_get),
            set: Some(memory_set),
            delete_: Some(memory_delete),
            contains: Some(memory_contains),
            destroy: Some(memory_destroy),
            scan: Some(memory_scan),
        });
        Ok::<(), Failure>(())
    })
}

/// Runs a callback body over the backend behind `ctx`, turning a panic into an error code,
/// because a panic must not unwind into the C caller of the callback.
///
/// # Safety
///
/// `ctx` must be the `ctx` of a table made by `seccs_memory_backend_new` and not yet
/// destroyed.
unsafe fn with_backend(ctx: *mut c_void, body: impl FnOnce(&MemoryBackend) -> i32) -> i32 {
    // SAFETY: per this function's contract, `ctx` points to a live MemoryBackend, which is
    // only ever accessed through shared references (it locks internally).
    let backend = unsafe { &*ctx.cast::<MemoryBackend>() };
    panic::catch_unwind(AssertUnwindSafe(|| body(backend))).unwrap_or_else(|_| {
        // SAFETY: the argument is a NUL-terminated static string.
        unsafe { seccs_backend_set_error_message(c"internal error in the memory backend".as_ptr()) };
        INTERNAL_ERROR
    })
}

/// Returns the key that C passed to a callback.
///
/// # Safety
///
/// `key` must be valid for reads of `key_len` bytes, as the library's adapter guarantees.
unsafe fn key_bytes<'a>(key: *const u8, key_len: usize) -> &'a [u8] {
    if key_len == 0 {
        return &[];
    }
    // SAFETY: per this function's contract.
    unsafe { std::slice::from_raw_parts(key, key_len) }
}

unsafe extern "C" fn memory_get(
    ctx: *mut c_void,
    key: *const u8,
    key_len: usize,
    sink: *mut seccs_value_sink,
) -> i32 {
    // SAFETY: the library calls this callback only with the ctx of its own table, a key
    // readable for key_len bytes, and the sink of this call.
    unsafe {
        with_backend(ctx, |backend| match backend.get(key_bytes(key, key_len)) {
            Ok(Some(value)) => match seccs_value_sink_write(sink, value.as_ptr(), value.len()) {
                seccs_status::SECCS_OK => SECCS_BACKEND_OK,
                _ => INTERNAL_ERROR,
            },
            Ok(None) => SECCS_BACKEND_NOT_FOUND,
            Err(error) => error.code,
        })
    }
}

unsafe extern "C" fn memory_set(
    ctx: *mut c_void,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> i32 {
    // SAFETY: the library passes its own table's ctx and key and value readable for
    // their lengths.
    unsafe {
        with_backend(ctx, |backend| match backend.set(key_bytes(key, key_len), key_bytes(value, value_len)) {
            Ok(()) => SECCS_BACKEND_OK,
            Err(error) => error.code,
        })
    }
}

unsafe extern "C" fn memory_delete(ctx: *mut c_void, key: *const u8, key_len: usize) -> i32 {
    // SAFETY: the library passes its own table's ctx and a key readable for key_len bytes.
    unsafe {
        with_backend(ctx, |backend| match backend.delete(key_bytes(key, key_len)) {
            Ok(()) => SECCS_BACKEND_OK,
            Err(error) => error.code,
        })
    }
}

unsafe extern "C" fn memory_contains(
    ctx: *mut c_void,
    key: *const u8,
    key_len: usize,
    found: *mut bool,
) -> i32 {
    // SAFETY: the library passes its own table's ctx, a key readable for key_len bytes,
    // and `found` valid for writes.
    unsafe {
        with_backend(ctx, |backend| match backend.contains(key_bytes(key, key_len)) {
            Ok(present) => {
                found.write(present);
                SECCS_BACKEND_OK
            }
            Err(error) => error.code,
        })
    }
}

unsafe extern "C" fn memory_scan(ctx: *mut c_void, sink: *mut seccs_key_sink) -> i32 {
    // SAFETY: the library passes its own table's ctx and the sink of this call.
    unsafe {
        with_backend(ctx, |backend| {
            let keys = match backend.keys() {
                Some(Ok(keys)) => keys,
                Some(Err(error)) => return error.code,
                None => return INTERNAL_ERROR,
            };
            for key in keys {
                if seccs_key_sink_add(sink, key.as_ptr(), key.len()) != seccs_status::SECCS_OK {
                    return INTERNAL_ERROR;
                }
            }
            SECCS_BACKEND_OK
        })
    }
}

unsafe extern "C" fn memory_destroy(ctx: *mut c_void) {
    if ctx.is_null() {
        return;
    }
    // SAFETY: `ctx` came from Box::into_raw in seccs_memory_backend_new, and destroy is
    // called once, after the last use of the backend.
    let backend = unsafe { Box::from_raw(ctx.cast::<MemoryBackend>()) };
    // A panic must not unwind into C; if dropping panicked, the rest of the map leaks.
    let _ = panic::catch_unwind(AssertUnwindSafe(|| drop(backend)));
}
