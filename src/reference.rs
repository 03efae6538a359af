//! Content references: what a `put` returns and a `get` or `delete` takes.

use crate::error::{Error, Result};

/// The reference of a stored content: the root node's digest (R bytes) followed by
/// the content length as an unsigned 64-bit big-endian integer.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentReference {
    bytes: Vec<u8>,
}

impl ContentReference {
    /// Builds a reference from a root digest and a content length.
    pub fn new(root_digest: &[u8], content_length: u64) -> Self {
        let mut bytes = Vec::with_capacity(root_digest.len() + 8);
        bytes.extend_from_slice(root_digest);
        bytes.extend_from_slice(&content_length.to_be_bytes());
        Self { bytes }
    }

    /// Parses a reference of a store whose digests are `digest_size` bytes long.
    pub fn parse(bytes: &[u8], digest_size: usize) -> Result<Self> {
        if bytes.len() != digest_size + 8 {
            return Err(Error::InvalidReference { length: bytes.len(), expected: digest_size + 8 });
        }
        Ok(Self { bytes: bytes.to_vec() })
    }

    /// Returns the length of the content, as recorded in the last 8 bytes of `bytes`,
    /// or `None` if `bytes` is shorter than 8 bytes.
    pub fn content_length_of(bytes: &[u8]) -> Option<u64> {
        let tail: [u8; 8] = bytes.get(bytes.len().checked_sub(8)?..)?.try_into().ok()?;
        Some(u64::from_be_bytes(tail))
    }

    /// Returns the root node's digest, which is its backend key.
    pub fn root_digest(&self) -> &[u8] {
        &self.bytes[..self.bytes.len() - 8]
    }

    /// Returns the length of the content.
    pub fn content_length(&self) -> u64 {
        Self::content_length_of(&self.bytes).expect("a reference always ends with 8 length bytes")
    }

    /// Returns the reference's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Returns the reference in lowercase hex.
    pub fn to_hex(&self) -> String {
        crate::error::hex(&self.bytes)
    }
}

impl AsRef<[u8]> for ContentReference {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::fmt::Debug for ContentReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ContentReference({})", self.to_hex())
    }
}
