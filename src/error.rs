//! The error type of every fallible libseccs operation.
//!
//! Variants name the failing value (a node key in hex, a height, a length) and say what
//! to do next. No variant ever carries key material or node contents.

use crate::backend::BackendError;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a store operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The chunk size is too small for the digest size of the crypto wrapper.
    #[error(
        "unsupported chunk size {chunk_size}: it must be at least twice the digest size \
         ({digest_size} bytes), so use a chunk size of {min} or more, or supply a custom \
         level-size function"
    )]
    UnsupportedChunkSize {
        /// The rejected chunk size S.
        chunk_size: u64,
        /// Digest size R of the crypto wrapper.
        digest_size: usize,
        /// Smallest accepted chunk size, 2R.
        min: u64,
    },

    /// A key of the wrong length was given to a keyed crypto wrapper.
    #[error("invalid key length {length} for {wrapper}: it needs {expected}")]
    InvalidKeyLength {
        /// Name of the wrapper, e.g. `AES_SIV_256`.
        wrapper: &'static str,
        /// Length of the rejected key in bytes.
        length: usize,
        /// The accepted lengths, in words (e.g. "exactly 32 bytes").
        expected: &'static str,
    },

    /// A configuration value is out of its range.
    #[error("invalid {name} {value}: {hint}")]
    InvalidArgument {
        /// Name of the parameter.
        name: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// The accepted range and what to do.
        hint: &'static str,
    },

    /// A content reference does not have the length this store produces.
    #[error(
        "invalid content reference of {length} bytes: this store's references are \
         {expected} bytes (root digest followed by the 8-byte content length)"
    )]
    InvalidReference {
        /// Length of the rejected reference.
        length: usize,
        /// R + 8 for this store.
        expected: usize,
    },

    /// A node that the content's tree lists is not in the backend.
    #[error(
        "node {key} at height {height} not found in the backend: the content was deleted, \
         never stored here, or the backend lost data"
    )]
    NotFound {
        /// Node key in lowercase hex.
        key: String,
        /// Height of the node in its tree (0 = leaf).
        height: u32,
    },

    /// A node stored under the SHA_256 wrapper does not hash to its key.
    #[error(
        "integrity check failed for node {key} at height {height}: the stored value does \
         not hash to its key, so the backend returned altered or misplaced data"
    )]
    Integrity {
        /// Node key in lowercase hex.
        key: String,
        /// Height at which the node was read.
        height: u32,
    },

    /// A node stored under a keyed wrapper failed its MAC or SIV tag check.
    #[error(
        "authenticity check failed for node {key} at height {height} (root: {is_root}): \
         the store key is wrong, or the backend returned altered or misplaced data"
    )]
    Authenticity {
        /// Node key in lowercase hex.
        key: String,
        /// Height at which the node was read.
        height: u32,
        /// Whether the node was read as the root of its tree.
        is_root: bool,
    },

    /// A node has a size its position in the tree cannot have (a stored value too large
    /// is rejected before verification), or the reassembled content does not have the
    /// length its reference records.
    #[error("corrupt node {key} at height {height}: {reason}")]
    CorruptNode {
        /// Node key in lowercase hex.
        key: String,
        /// Height of the node.
        height: u32,
        /// Description of the fault, with the sizes involved.
        reason: String,
    },

    /// A delete found no reference count for the content's root node.
    #[error(
        "reference count of node {key} not found: the content was deleted already, or was \
         stored with ignore_rc (then delete it with ignore_rc too). Finish an interrupted \
         delete with a check with repair, not by deleting again"
    )]
    MissingReferenceCount {
        /// Node key in lowercase hex.
        key: String,
    },

    /// A reference count entry is not an ASCII decimal number.
    #[error(
        "invalid reference count for node {key}: the stored value {value:?} is not an ASCII \
         decimal number, so the count entry was written by something else or altered"
    )]
    InvalidReferenceCount {
        /// Node key in lowercase hex.
        key: String,
        /// The stored bytes, lossily decoded, at most 32 characters.
        value: String,
    },

    /// The operation needs a backend capability that this backend lacks.
    #[error("{operation} is not supported: {hint}")]
    Unsupported {
        /// The operation that was requested.
        operation: &'static str,
        /// Missing capability and the remedy.
        hint: &'static str,
    },

    /// The backend reported a failure.
    #[error("backend {operation} of key {key} failed: {source}")]
    Backend {
        /// The backend operation: get, set, delete or contains.
        operation: &'static str,
        /// The key involved, in lowercase hex.
        key: String,
        /// The backend's own error.
        source: BackendError,
    },
}

/// Formats bytes as lowercase hex for error messages and logs.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;

    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}
