//! The store handle and the exported content operations.

use std::alloc::{self, Layout};
use std::ffi::c_char;

use zeroize::{Zeroize, Zeroizing};

use super::backend::{self, CallbackBackend, read_table, seccs_backend};
use super::boundary::{
    Failure, guard, guard_infallible, input_bytes, output_bytes, required, required_out,
};
use super::config::{seccs_config, translate};
use super::status::seccs_status;
use crate::{ContentReference, Store};

/// A content store. Opaque.
///
/// Every function taking a store may be called from several threads at once on the same
/// handle, provided its backends are thread-safe: puts and deletes run one at a time,
/// gets and verifies run alongside them. `seccs_free` must run after all other calls on
/// the handle have returned.
pub struct seccs_store {
    /// The store; `None` only inside drop, which drops it before destroying the backends.
    store: Option<Store>,
    /// Tables whose `ctx` the store owns, destroyed after the store is dropped.
    owned_tables: Vec<seccs_backend>,
}

impl seccs_store {
    pub(crate) fn inner(&self) -> &Store {
        self.store.as_ref().expect("the store lives until the handle is dropped")
    }
}

impl Drop for seccs_store {
    fn drop(&mut self) {
        // The store holds adapters that call into the tables, so it goes first.
        drop(self.store.take());
        for table in &self.owned_tables {
            // SAFETY: seccs_new took ownership of these tables' ctx, and the store that
            // used them is gone.
            unsafe { backend::destroy(table) };
        }
    }
}

/// Creates a store over `backend` with `config`, and stores the handle in `*out`.
///
/// On success the store owns `backend->ctx` and, for `SECCS_REFCOUNT_SEPARATE_BACKEND`,
/// `config->refcount_backend.ctx`: `seccs_free` calls their destroy callbacks. On failure
/// `*out` is set to NULL (when `out` is not NULL) and both stay with the caller. The
/// `config` and `backend` structs themselves are copied and may be discarded after the
/// call; `config->key` is copied too.
///
/// Returns `SECCS_OK` or one of these failures:
/// - `SECCS_NULL_ARGUMENT`: a NULL argument, a NULL required callback, or a NULL key with
///   a non-zero length.
/// - `SECCS_INVALID_ARGUMENT`: a struct version other than 1, an unknown enum value, a key
///   of the wrong length, a key given to SHA_256, a chunk size of 0, or a window size
///   outside 1 to 1048576.
/// - `SECCS_UNSUPPORTED_CHUNK_SIZE`: a chunk size below twice the digest size without a
///   `level_size` hook.
///
/// # Safety
///
/// `config` and `backend` must each be NULL or point to an initialized struct, `out` must
/// be NULL or valid for writes of a pointer, and `config->key` must be readable for
/// `config->key_len` bytes. The callbacks and hooks must behave as their types document.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_new(
    config: *const seccs_config,
    backend: *const seccs_backend,
    out: *mut *mut seccs_store,
) -> seccs_status {
    guard("seccs_new", || {
        // SAFETY: the caller passes NULL or a pointer valid for writes of a pointer.
        let out = unsafe { required_out(out, "out") }?;
        out.write(std::ptr::null_mut());

        // SAFETY: the caller passes NULL or an initialized seccs_config. Every bit pattern
        // is a valid seccs_config, because its enum fields are plain integers here.
        let config = unsafe { required(config, "config") }?;
        // SAFETY: the caller passes NULL or an initialized seccs_backend.
        let table = unsafe { read_table(backend, "backend") }?;
        let translated = translate(config)?;

        let store = translated.builder.build(Box::new(CallbackBackend::new(table)))?;

        // Ownership of the contexts passes to the handle only now that nothing can fail.
        let mut owned_tables = vec![table];
        owned_tables.extend(translated.refcount_table);
        let handle = Box::new(seccs_store { store: Some(store), owned_tables });
        out.write(Box::into_raw(handle));
        Ok(())
    })
}

/// Frees a store and destroys the backends it owns (calling their destroy callbacks, main
/// backend first). NULL is a no-op.
///
/// # Safety
///
/// `store` must be NULL or a handle from `seccs_new` that has not been freed, and no other
/// call may use it during or after this one.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_free(store: *mut seccs_store) {
    guard_infallible("seccs_free", (), || {
        if store.is_null() {
            return;
        }
        // SAFETY: the handle came from Box::into_raw in seccs_new and is freed only once,
        // per this function's contract.
        drop(unsafe { Box::from_raw(store) });
    });
}

/// Returns the length of this store's content references, R + 8: 24 bytes for the AES-SIV
/// wrappers, 40 for SHA_256 and HMAC. Returns 0 when `store` is NULL.
///
/// # Safety
///
/// `store` must be NULL or a live handle from `seccs_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_reference_size(store: *const seccs_store) -> usize {
    guard_infallible("seccs_reference_size", 0, || {
        // SAFETY: the caller passes NULL or a live handle.
        unsafe { store.as_ref() }.map_or(0, |store| store.inner().reference_size())
    })
}

/// Stores `content` (`content_len` bytes, NULL allowed for 0) and writes its reference to
/// `ref_out`.
///
/// The reference takes `seccs_reference_size(store)` bytes; `ref_out_len` must be at least
/// that, or nothing is stored and `SECCS_BUFFER_TOO_SMALL` is returned. Storing a content
/// that is already there adds no nodes. Unless `ignore_rc`, the put counts one reference,
/// to be released by one `seccs_delete` with `ignore_rc = false`; a put with `ignore_rc`
/// must be deleted with `ignore_rc` too. When `is_new` is not NULL, `*is_new` is set to whether
/// the content's root node was written by this call. The outputs are written only on
/// success.
///
/// Returns `SECCS_OK`, `SECCS_NULL_ARGUMENT`, `SECCS_INVALID_ARGUMENT` (a length above
/// PTRDIFF_MAX, or a tree height above 256 from a custom hook), `SECCS_BUFFER_TOO_SMALL`,
/// `SECCS_BACKEND_ERROR`, or a status of a stored node that failed verification or holds an
/// invalid count (`SECCS_INVALID_REFERENCE_COUNT`). A failure can leave new nodes and raised
/// counts behind, but never loses or alters a content stored before.
///
/// # Safety
///
/// `store` must be NULL or a live handle; `content` must be readable for `content_len`
/// bytes, `ref_out` writable for `ref_out_len` bytes and `is_new` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_put(
    store: *mut seccs_store,
    content: *const u8,
    content_len: usize,
    ignore_rc: bool,
    ref_out: *mut u8,
    ref_out_len: usize,
    is_new: *mut bool,
) -> seccs_status {
    guard("seccs_put", || {
        // SAFETY: the caller passes NULL or a live handle.
        let store = unsafe { required(store, "store") }?.inner();
        // SAFETY: the caller guarantees that `content` is readable for `content_len` bytes.
        let content = unsafe { input_bytes(content, content_len, "content") }?;
        if ref_out.is_null() {
            return Err(Failure::null("ref_out", "pass a buffer of seccs_reference_size() bytes"));
        }
        check_reference_buffer(store, ref_out_len)?;
        // SAFETY: the caller guarantees that `ref_out` is writable for `ref_out_len` bytes.
        let ref_out = unsafe { output_bytes(ref_out, ref_out_len, "ref_out") }?;

        let (reference, root_is_new) = store.put_and_check_if_new(content, ignore_rc)?;

        ref_out[..reference.as_bytes().len()].copy_from_slice(reference.as_bytes());
        // SAFETY: the caller passes NULL or a pointer valid for writes of a bool.
        if let Some(is_new) = unsafe { is_new.as_mut() } {
            *is_new = root_is_new;
        }
        Ok(())
    })
}

/// Rejects a reference buffer of `length` bytes before anything is stored, so that a
/// counted put never happens without the caller receiving its reference.
fn check_reference_buffer(store: &Store, length: usize) -> Result<(), Failure> {
    let needed = store.reference_size();
    if length < needed {
        return Err(Failure::new(
            seccs_status::SECCS_BUFFER_TOO_SMALL,
            format!(
                "ref_out_len is {length}, but this store's references are {needed} bytes: \
                 pass a buffer of seccs_reference_size() bytes; nothing was stored"
            ),
        ));
    }
    Ok(())
}

/// Writes the content length recorded in a reference to `*length_out`, without a store.
///
/// `ref_len` must be 24 (AES-SIV wrappers) or 40 (SHA_256 and HMAC). The length comes
/// from the reference bytes alone; only reading the content verifies it.
///
/// Returns `SECCS_OK`, `SECCS_NULL_ARGUMENT`, or `SECCS_INVALID_REFERENCE` for another length.
///
/// # Safety
///
/// `ref` must be readable for `ref_len` bytes and `length_out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_content_length(
    r#ref: *const u8,
    ref_len: usize,
    length_out: *mut u64,
) -> seccs_status {
    guard("seccs_content_length", || {
        // SAFETY: the caller guarantees that `ref` is readable for `ref_len` bytes.
        let reference = unsafe { reference_bytes(r#ref, ref_len) }?;
        // SAFETY: the caller passes NULL or a pointer valid for writes of a u64.
        let length_out = unsafe { required_out(length_out, "length_out") }?;

        let digest_size = match reference.len() {
            24 => 16,
            40 => 32,
            length => {
                return Err(Failure::new(
                    seccs_status::SECCS_INVALID_REFERENCE,
                    format!(
                        "invalid content reference of {length} bytes: libseccs references \
                         are 24 bytes (AES-SIV wrappers) or 40 bytes (SHA_256 and HMAC)"
                    ),
                ));
            }
        };

        let reference = ContentReference::parse(reference, digest_size)?;
        length_out.write(reference.content_length());
        Ok(())
    })
}

/// Reads the content of `ref` into `buf`, verifying every node, and sets `*written` to its
/// length.
///
/// When `buf_len` is less than the content length recorded in the reference, nothing is
/// read, `*written` is set to that length, and `SECCS_BUFFER_TOO_SMALL` is returned. So
/// `buf = NULL, buf_len = 0` queries the size. `*written` is 0 after any other failure.
///
/// Returns `SECCS_OK`, `SECCS_NULL_ARGUMENT`, `SECCS_INVALID_ARGUMENT`,
/// `SECCS_BUFFER_TOO_SMALL`, `SECCS_INVALID_REFERENCE`, `SECCS_NOT_FOUND`,
/// `SECCS_INTEGRITY_ERROR`, `SECCS_AUTHENTICITY_ERROR`, `SECCS_CORRUPT_NODE` or
/// `SECCS_BACKEND_ERROR`. On failure the buffer is left unchanged.
///
/// # Safety
///
/// `store` must be NULL or a live handle, `ref` readable for `ref_len` bytes, `buf`
/// writable for `buf_len` bytes and `written` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_get(
    store: *mut seccs_store,
    r#ref: *const u8,
    ref_len: usize,
    buf: *mut u8,
    buf_len: usize,
    written: *mut usize,
) -> seccs_status {
    guard("seccs_get", || {
        // SAFETY: the caller passes NULL or a pointer valid for writes of a size_t.
        let written = unsafe { required_out(written, "written") }?;
        written.write(0);
        // SAFETY: the caller passes NULL or a live handle.
        let store = unsafe { required(store, "store") }?.inner();
        // SAFETY: the caller guarantees that `ref` is readable for `ref_len` bytes.
        let reference = unsafe { reference_bytes(r#ref, ref_len) }?;
        // SAFETY: the caller guarantees that `buf` is writable for `buf_len` bytes.
        let buf = unsafe { output_bytes(buf, buf_len, "buf") }?;

        let length = ContentReference::parse(reference, store.digest_size())?.content_length();
        if length > buf.len() as u64 {
            written.write(usize::try_from(length).unwrap_or(usize::MAX));
            return Err(Failure::new(
                seccs_status::SECCS_BUFFER_TOO_SMALL,
                format!(
                    "buf_len is {}, but the reference records a content of {length} bytes: \
                     pass a buffer of at least *written bytes",
                    buf.len()
                ),
            ));
        }

        let content = Zeroizing::new(store.get(reference)?);
        buf[..content.len()].copy_from_slice(&content);
        written.write(content.len());
        Ok(())
    })
}

/// Bytes in front of each buffer from `seccs_get_alloc` that record its length, so that
/// `seccs_buffer_free` frees the right size whatever length it is given.
const BUFFER_HEADER: usize = 16;

/// Reads the content of `ref` into a new buffer, verifying every node.
///
/// On success `*out` points to `*out_len` bytes owned by the caller. Release them with
/// `seccs_buffer_free(*out, *out_len)`, not with free(). `*out` is not NULL even for an
/// empty content. On failure `*out` is NULL and `*out_len` 0.
///
/// Returns the statuses of `seccs_get` except `SECCS_BUFFER_TOO_SMALL`.
///
/// # Safety
///
/// `store` must be NULL or a live handle, `ref` readable for `ref_len` bytes, and `out`
/// and `out_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_get_alloc(
    store: *mut seccs_store,
    r#ref: *const u8,
    ref_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> seccs_status {
    guard("seccs_get_alloc", || {
        // SAFETY: the caller passes NULL or pointers valid for writes.
        let out = unsafe { required_out(out, "out") }?;
        out.write(std::ptr::null_mut());
        // SAFETY: as above.
        let out_len = unsafe { required_out(out_len, "out_len") }?;
        out_len.write(0);
        // SAFETY: the caller passes NULL or a live handle.
        let store = unsafe { required(store, "store") }?.inner();
        // SAFETY: the caller guarantees that `ref` is readable for `ref_len` bytes.
        let reference = unsafe { reference_bytes(r#ref, ref_len) }?;

        let content = Zeroizing::new(store.get(reference)?);

        out.write(allocate_buffer(&content));
        out_len.write(content.len());
        Ok(())
    })
}

/// Copies `content` into a new buffer behind a length header; returns the content's part.
fn allocate_buffer(content: &[u8]) -> *mut u8 {
    let layout = buffer_layout(content.len());

    // SAFETY: the layout has a non-zero size (the header), as alloc requires.
    let block = unsafe { alloc::alloc(layout) };
    if block.is_null() {
        alloc::handle_alloc_error(layout);
    }

    // SAFETY: the block holds BUFFER_HEADER + content.len() bytes and is aligned for u64;
    // the length goes to its first 8 bytes and the content after the header.
    unsafe {
        block.cast::<u64>().write(content.len() as u64);
        let data = block.add(BUFFER_HEADER);
        std::ptr::copy_nonoverlapping(content.as_ptr(), data, content.len());
        data
    }
}

fn buffer_layout(length: usize) -> Layout {
    // Content lengths come from Vecs, so adding the header cannot pass isize::MAX.
    Layout::from_size_align(BUFFER_HEADER + length, BUFFER_HEADER).expect("a valid buffer layout")
}

/// Wipes and frees a buffer from `seccs_get_alloc`. NULL is a no-op.
///
/// `len` should be the `out_len` that came with the buffer. The library keeps the real
/// length with the buffer and uses that one, so a wrong `len` cannot free the wrong size.
///
/// # Safety
///
/// `buf` must be NULL or a buffer from `seccs_get_alloc` that has not been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_buffer_free(buf: *mut u8, len: usize) {
    guard_infallible("seccs_buffer_free", (), || {
        let _ = len;
        if buf.is_null() {
            return;
        }

        // SAFETY: per this function's contract, `buf` points BUFFER_HEADER bytes into a
        // live block from allocate_buffer, which is freed only here. The block's first 8
        // bytes are the content length, and that many content bytes follow the header.
        unsafe {
            let block = buf.sub(BUFFER_HEADER);
            let length = block.cast::<u64>().read() as usize;
            std::slice::from_raw_parts_mut(buf, length).zeroize();
            alloc::dealloc(block, buffer_layout(length));
        }
    });
}

/// Deletes the content of `ref`.
///
/// Unless `ignore_rc`, the content's count drops by one, and its nodes are removed only
/// when no other put still references them. With `ignore_rc`, the root node and every
/// node whose count reaches zero are removed at once. Nodes shared with other contents
/// stay.
///
/// Returns `SECCS_OK`, `SECCS_NULL_ARGUMENT`, `SECCS_INVALID_REFERENCE`,
/// `SECCS_MISSING_REFERENCE_COUNT` (a counted delete of a content stored with ignore_rc or
/// already deleted; nothing is changed), `SECCS_INVALID_REFERENCE_COUNT`, `SECCS_NOT_FOUND`,
/// a verification status, or `SECCS_BACKEND_ERROR`. A failure in the middle leaves the
/// remaining nodes readable, so other contents are never lost. Do not retry a failed
/// counted delete with `ignore_rc`, because that can release shared nodes twice. Run
/// `seccs_check` with repair over the contents still held instead.
///
/// # Safety
///
/// `store` must be NULL or a live handle and `ref` readable for `ref_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_delete(
    store: *mut seccs_store,
    r#ref: *const u8,
    ref_len: usize,
    ignore_rc: bool,
) -> seccs_status {
    guard("seccs_delete", || {
        // SAFETY: the caller passes NULL or a live handle.
        let store = unsafe { required(store, "store") }?.inner();
        // SAFETY: the caller guarantees that `ref` is readable for `ref_len` bytes.
        let reference = unsafe { reference_bytes(r#ref, ref_len) }?;

        store.delete(reference, ignore_rc)?;
        Ok(())
    })
}

/// Reads and verifies every node of the content of `ref` without returning the content.
///
/// On failure, the detail message names the first bad node (its key in hex) and its
/// height. Returns the statuses of `seccs_get` except `SECCS_BUFFER_TOO_SMALL`.
///
/// # Safety
///
/// `store` must be NULL or a live handle and `ref` readable for `ref_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_verify(
    store: *mut seccs_store,
    r#ref: *const u8,
    ref_len: usize,
) -> seccs_status {
    guard("seccs_verify", || {
        // SAFETY: the caller passes NULL or a live handle.
        let store = unsafe { required(store, "store") }?.inner();
        // SAFETY: the caller guarantees that `ref` is readable for `ref_len` bytes.
        let reference = unsafe { reference_bytes(r#ref, ref_len) }?;

        store.verify(reference)?;
        Ok(())
    })
}

/// Returns the library version, e.g. "0.1.0", as a static string.
#[unsafe(no_mangle)]
pub extern "C" fn seccs_version() -> *const c_char {
    guard_infallible("seccs_version", c"".as_ptr(), || {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

/// Returns the reference bytes that C passed; unlike content, a reference is never empty,
/// so NULL is rejected at any length.
///
/// # Safety
///
/// Unless NULL, `pointer` must be readable for `length` bytes.
pub(crate) unsafe fn reference_bytes<'a>(pointer: *const u8, length: usize) -> Result<&'a [u8], Failure> {
    if pointer.is_null() {
        return Err(Failure::null("ref", "pass the content reference that seccs_put returned"));
    }
    // SAFETY: forwarded from this function's contract.
    unsafe { input_bytes(pointer, length, "ref") }
}
