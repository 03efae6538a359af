//! The store configuration that C fills in, and its translation to a [`StoreBuilder`].

use std::ffi::c_void;

use super::backend::{CallbackBackend, seccs_backend};
use super::boundary::{Failure, input_bytes};
use super::status::seccs_status;
use crate::chunking::rabin_karp::{DEFAULT_SEED, DEFAULT_WINDOW_SIZE};
use crate::{RabinKarp, ReferenceCounting, StaticChunking, StoreBuilder, WrapperKind};

/// Version of `seccs_config` that this library understands.
pub const SECCS_CONFIG_VERSION: u32 = 1;

/// Default target chunk size S in bytes.
const DEFAULT_CHUNK_SIZE: u64 = 256;

/// The crypto wrapper that turns each node into the stored value and its key. The names
/// and formats are those of the Python package seccs 0.0.5.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum seccs_wrapper {
    /// SHA-256 digests, nodes stored in plaintext: integrity only, no key. References are
    /// 40 bytes.
    SECCS_WRAPPER_SHA_256 = 0,
    /// HMAC-SHA-256 digests, nodes stored in plaintext: authenticity, key of 1 or more
    /// bytes. References are 40 bytes.
    SECCS_WRAPPER_HMAC_SHA_256 = 1,
    /// As `SECCS_WRAPPER_HMAC_SHA_256`, with root nodes distinguished from inner nodes.
    SECCS_WRAPPER_HMAC_SHA_256_DISTINGUISHED_ROOT = 2,
    /// AES-SIV (RFC 5297) with a 32-byte key: confidentiality and authenticity.
    /// References are 24 bytes.
    SECCS_WRAPPER_AES_SIV_256 = 3,
    /// As `SECCS_WRAPPER_AES_SIV_256`, with root nodes distinguished from inner nodes.
    SECCS_WRAPPER_AES_SIV_256_DISTINGUISHED_ROOT = 4,
}

/// Chunking strategy: how contents are cut into chunks.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum seccs_chunking {
    /// Content-defined chunking with a Rabin-Karp rolling hash (window and seed in the
    /// config), as the Python package fastchunking 0.0.3 computes it.
    SECCS_CHUNKING_RABIN_KARP = 0,
    /// Fixed-size chunks.
    SECCS_CHUNKING_STATIC = 1,
}

/// Placement of the reference counts.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum seccs_refcount {
    /// In the node backend, under the node key followed by the byte 'r'.
    SECCS_REFCOUNT_KEY_SUFFIX = 0,
    /// In `refcount_backend`, under the node key itself.
    SECCS_REFCOUNT_SEPARATE_BACKEND = 1,
    /// Not kept: nodes are never reclaimed by a counted delete, and a delete with
    /// ignore_rc removes only the content's root node.
    SECCS_REFCOUNT_NONE = 2,
}

/// `seccs_wrapper` as C stores it: any 32-bit value. Shown as `seccs_wrapper` in the header.
pub type RawWrapper = u32;
/// `seccs_chunking` as C stores it. Shown as `seccs_chunking` in the header.
pub type RawChunking = u32;
/// `seccs_refcount` as C stores it. Shown as `seccs_refcount` in the header.
pub type RawRefcount = u32;

/// Optional hook: returns the height of the chunk tree of a content of `content_length`
/// bytes (at most 256). Must be a pure function of its input, and thread-safe when the
/// store is shared: every put, get, verify and delete calls it.
pub type seccs_length_to_height_fn =
    Option<unsafe extern "C" fn(hooks_ctx: *mut c_void, content_length: u64) -> u32>;

/// Optional hook: returns the target chunk size in bytes of tree level `level` (level 0
/// is the content chunks). Must return a positive size, be a pure function of its input,
/// and be thread-safe when the store is shared.
pub type seccs_level_size_fn = Option<unsafe extern "C" fn(hooks_ctx: *mut c_void, level: u32) -> u64>;

/// Store configuration. Fill it with `seccs_config_init`, then change what you need.
///
/// The configuration is read during `seccs_new` only; `key` is copied. All stores that
/// read or write the same backend must use the same chunk size, wrapper, key, chunking,
/// window size, seed, reference-count placement and hooks.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct seccs_config {
    /// Must be `SECCS_CONFIG_VERSION`.
    pub version: u32,
    /// Target chunk size S in bytes, default 256. Must be positive and, without a
    /// `level_size` hook, at least twice the digest size (32 for AES-SIV, 64 otherwise).
    pub chunk_size: u64,
    /// Crypto wrapper, default `SECCS_WRAPPER_AES_SIV_256`.
    pub wrapper: RawWrapper,
    /// Key of the keyed wrappers, borrowed during `seccs_new` only (copied): exactly 32
    /// bytes for AES-SIV, 1 or more bytes (32 recommended) for HMAC. Must be NULL with
    /// `key_len` 0 for SHA_256. Default NULL.
    pub key: *const u8,
    /// Length of `key` in bytes, default 0.
    pub key_len: usize,
    /// Chunking strategy, default `SECCS_CHUNKING_RABIN_KARP`.
    pub chunking: RawChunking,
    /// Rabin-Karp window size in bytes, 1 to 1048576, default 48. Ignored by static chunking.
    pub window_size: u32,
    /// Rabin-Karp seed of the byte table, default 0. Ignored by static chunking.
    pub seed: u32,
    /// Reference-count placement, default `SECCS_REFCOUNT_KEY_SUFFIX`.
    pub refcount: RawRefcount,
    /// Backend of the counts for `SECCS_REFCOUNT_SEPARATE_BACKEND`, ignored otherwise. A
    /// successful `seccs_new` takes ownership of it as of the main backend.
    pub refcount_backend: seccs_backend,
    /// Optional: replaces the content-length-to-height formula. NULL keeps the default,
    /// ceil(log(n / S) / log(S / R)) for n > S, else 0.
    pub length_to_height: seccs_length_to_height_fn,
    /// Optional: replaces the level-size formula S^(level+1) / R^level, and lifts the
    /// limit S >= 2R. NULL keeps the default.
    pub level_size: seccs_level_size_fn,
    /// Passed to both hooks. Not owned by the store: keep it valid until `seccs_free`.
    pub hooks_ctx: *mut c_void,
    /// Counts a superchunk that occurs twice in one content before its parent is stored
    /// once, so that deleting such a content reclaims all of its nodes. Default false, as
    /// in the Python package `seccs` 0.0.5, which counts the children of the second
    /// occurrence again and leaves them behind on delete. With true, stores that hold
    /// such contents differ from the Python package's in those count entries.
    pub exact_reference_counts: bool,
}

/// Fills `*config` with the defaults: version `SECCS_CONFIG_VERSION`, chunk size 256,
/// `SECCS_WRAPPER_AES_SIV_256` with no key yet, Rabin-Karp chunking with window 48 and
/// seed 0, counts under key suffixes, a zeroed `refcount_backend`, no hooks, and the
/// counting of `seccs` 0.0.5 (`exact_reference_counts` false).
/// NULL is a no-op.
///
/// # Safety
///
/// `config` must be NULL or valid for writes of a `seccs_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_config_init(config: *mut seccs_config) {
    super::boundary::guard_infallible("seccs_config_init", (), || {
        if config.is_null() {
            return;
        }
        let defaults = seccs_config {
            version: SECCS_CONFIG_VERSION,
            chunk_size: DEFAULT_CHUNK_SIZE,
            wrapper: seccs_wrapper::SECCS_WRAPPER_AES_SIV_256 as RawWrapper,
            key: std::ptr::null(),
            key_len: 0,
            chunking: seccs_chunking::SECCS_CHUNKING_RABIN_KARP as RawChunking,
            window_size: DEFAULT_WINDOW_SIZE as u32,
            seed: DEFAULT_SEED,
            refcount: seccs_refcount::SECCS_REFCOUNT_KEY_SUFFIX as RawRefcount,
            refcount_backend: seccs_backend::empty(),
            length_to_height: None,
            level_size: None,
            hooks_ctx: std::ptr::null_mut(),
            exact_reference_counts: false,
        };
        // SAFETY: `config` is non-NULL and valid for writes, per this function's contract;
        // write() does not read or drop the previous, possibly uninitialized, contents.
        unsafe { config.write(defaults) };
    });
}

/// A hook and the context it is called with.
#[derive(Clone, Copy)]
struct Hook<F> {
    function: F,
    ctx: *mut c_void,
}

// SAFETY: a hook only passes `ctx` to its C function. `seccs_config` documents that the
// hooks must be thread-safe when the store is shared between threads and that `hooks_ctx`
// stays valid until seccs_free.
unsafe impl<F: Send> Send for Hook<F> {}
// SAFETY: as for Send; `&Hook` gives access to nothing but the function call.
unsafe impl<F: Sync> Sync for Hook<F> {}

type HeightHook = unsafe extern "C" fn(*mut c_void, u64) -> u32;
type LevelSizeHook = unsafe extern "C" fn(*mut c_void, u32) -> u64;

impl Hook<HeightHook> {
    fn call(&self, content_length: u64) -> u32 {
        // SAFETY: the function and ctx come from the seccs_config the caller declared
        // valid for the lifetime of the store.
        unsafe { (self.function)(self.ctx, content_length) }
    }
}

impl Hook<LevelSizeHook> {
    fn call(&self, level: u32) -> u64 {
        // SAFETY: as for the height hook.
        unsafe { (self.function)(self.ctx, level) }
    }
}

/// A validated configuration: the store builder, and the separate count backend whose
/// ownership passes to the store once it is built.
pub(crate) struct Translated {
    pub(crate) builder: StoreBuilder,
    pub(crate) refcount_table: Option<seccs_backend>,
}

/// Validates `config` and turns it into a store builder.
pub(crate) fn translate(config: &seccs_config) -> Result<Translated, Failure> {
    if config.version != SECCS_CONFIG_VERSION {
        return Err(Failure::invalid(format!(
            "config.version is {}, but this library supports version {SECCS_CONFIG_VERSION}: \
             call seccs_config_init first",
            config.version
        )));
    }

    let wrapper = wrapper_kind(config.wrapper)?;
    // SAFETY: seccs_config documents that `key` is readable for `key_len` bytes during seccs_new.
    let key = unsafe { input_bytes(config.key, config.key_len, "config.key") }?;
    if !wrapper.is_keyed() && !key.is_empty() {
        return Err(Failure::invalid(format!(
            "config.key has {} bytes, but SHA_256 takes no key: use a keyed wrapper \
             (AES_SIV_256 or HMAC_SHA_256) to protect the contents with the key, or set \
             key to NULL and key_len to 0",
            key.len()
        )));
    }
    let wrapper = wrapper.build(key)?;

    let mut builder = StoreBuilder::new(config.chunk_size, wrapper);
    builder = match config.chunking {
        value if value == seccs_chunking::SECCS_CHUNKING_RABIN_KARP as RawChunking => {
            let window_size = usize::try_from(config.window_size).unwrap_or(usize::MAX);
            builder.chunking(Box::new(RabinKarp::new(window_size, config.seed)?))
        }
        value if value == seccs_chunking::SECCS_CHUNKING_STATIC as RawChunking => {
            builder.chunking(Box::new(StaticChunking::new()))
        }
        value => {
            return Err(Failure::invalid(format!(
                "config.chunking is {value}: use SECCS_CHUNKING_RABIN_KARP (0) or SECCS_CHUNKING_STATIC (1)"
            )));
        }
    };

    let (counting, refcount_table) = match config.refcount {
        value if value == seccs_refcount::SECCS_REFCOUNT_KEY_SUFFIX as RawRefcount => {
            (ReferenceCounting::KeySuffix, None)
        }
        value if value == seccs_refcount::SECCS_REFCOUNT_SEPARATE_BACKEND as RawRefcount => {
            let table = config.refcount_backend;
            table.validate("config.refcount_backend")?;
            (ReferenceCounting::Separate(Box::new(CallbackBackend::new(table))), Some(table))
        }
        value if value == seccs_refcount::SECCS_REFCOUNT_NONE as RawRefcount => {
            (ReferenceCounting::Disabled, None)
        }
        value => {
            return Err(Failure::invalid(format!(
                "config.refcount is {value}: use SECCS_REFCOUNT_KEY_SUFFIX (0), \
                 SECCS_REFCOUNT_SEPARATE_BACKEND (1) or SECCS_REFCOUNT_NONE (2)"
            )));
        }
    };
    builder = builder.reference_counting(counting).exact_reference_counts(config.exact_reference_counts);

    if let Some(function) = config.length_to_height {
        let hook = Hook::<HeightHook> { function, ctx: config.hooks_ctx };
        builder = builder.height_function(Box::new(move |length| hook.call(length)));
    }
    if let Some(function) = config.level_size {
        let hook = Hook::<LevelSizeHook> { function, ctx: config.hooks_ctx };
        builder = builder.level_size_function(Box::new(move |level| hook.call(level)));
    }

    Ok(Translated { builder, refcount_table })
}

fn wrapper_kind(value: RawWrapper) -> Result<WrapperKind, Failure> {
    let kind = usize::try_from(value).ok().and_then(|index| WrapperKind::ALL.get(index).copied());
    kind.ok_or_else(|| {
        Failure::new(
            seccs_status::SECCS_INVALID_ARGUMENT,
            format!("config.wrapper is {value}: use one of the SECCS_WRAPPER_ values (0 to 4)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapper_codes_follow_the_rust_order() {
        let codes = [
            (seccs_wrapper::SECCS_WRAPPER_SHA_256, WrapperKind::Sha256),
            (seccs_wrapper::SECCS_WRAPPER_HMAC_SHA_256, WrapperKind::HmacSha256),
            (
                seccs_wrapper::SECCS_WRAPPER_HMAC_SHA_256_DISTINGUISHED_ROOT,
                WrapperKind::HmacSha256DistinguishedRoot,
            ),
            (seccs_wrapper::SECCS_WRAPPER_AES_SIV_256, WrapperKind::AesSiv256),
            (
                seccs_wrapper::SECCS_WRAPPER_AES_SIV_256_DISTINGUISHED_ROOT,
                WrapperKind::AesSiv256DistinguishedRoot,
            ),
        ];
        for (code, kind) in codes {
            assert_eq!(wrapper_kind(code as RawWrapper).unwrap(), kind);
        }
        assert!(wrapper_kind(5).is_err());
    }

    #[test]
    fn enums_have_the_size_of_their_raw_type() {
        assert_eq!(size_of::<seccs_wrapper>(), size_of::<RawWrapper>());
        assert_eq!(size_of::<seccs_chunking>(), size_of::<RawChunking>());
        assert_eq!(size_of::<seccs_refcount>(), size_of::<RawRefcount>());
    }
}
