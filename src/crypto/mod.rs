//! Crypto wrappers: they turn a node into the value stored in the backend and the key
//! it is stored under, and verify a stored value when it is read back.
//!
//! The five wrappers are those of the `seccs` 0.0.5 Python package. The key of a node
//! is its digest: superchunks list their children by it, and content references start
//! with the root's.

mod aes_siv;
mod hmac_sha256;
mod sha256;

pub use aes_siv::AesSiv256;
pub use hmac_sha256::HmacSha256;
pub use sha256::Sha256Wrapper;

use std::fmt;

/// A wrapped node: the value to store and the key (digest) to store it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedNode {
    /// The value written to the backend (ciphertext for AES-SIV, plaintext otherwise).
    pub value: Vec<u8>,
    /// The node's digest, used as its backend key; `digest_size()` bytes long.
    pub key: Vec<u8>,
}

/// Reason a stored value failed verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// An unkeyed digest did not match: the data was altered or misplaced.
    Integrity,
    /// A MAC or SIV tag did not match: wrong key, or altered or misplaced data.
    Authenticity,
}

/// The names of the five wrappers, as the original package spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WrapperKind {
    /// SHA-256 over the height and the value; integrity only, no key.
    Sha256,
    /// HMAC-SHA-256 over the height and the value.
    HmacSha256,
    /// HMAC-SHA-256 over the height, a root flag and the value.
    HmacSha256DistinguishedRoot,
    /// AES-SIV (RFC 5297, 256-bit key) with the height as associated data.
    AesSiv256,
    /// AES-SIV with the height and a root flag as associated data.
    AesSiv256DistinguishedRoot,
}

impl WrapperKind {
    /// All kinds, in the order of the C enum.
    pub const ALL: [WrapperKind; 5] = [
        WrapperKind::Sha256,
        WrapperKind::HmacSha256,
        WrapperKind::HmacSha256DistinguishedRoot,
        WrapperKind::AesSiv256,
        WrapperKind::AesSiv256DistinguishedRoot,
    ];

    /// Returns the name the original package uses, e.g. `AES_SIV_256`.
    pub fn name(self) -> &'static str {
        match self {
            WrapperKind::Sha256 => "SHA_256",
            WrapperKind::HmacSha256 => "HMAC_SHA_256",
            WrapperKind::HmacSha256DistinguishedRoot => "HMAC_SHA_256_DISTINGUISHED_ROOT",
            WrapperKind::AesSiv256 => "AES_SIV_256",
            WrapperKind::AesSiv256DistinguishedRoot => "AES_SIV_256_DISTINGUISHED_ROOT",
        }
    }

    /// Parses a name as spelled by [`WrapperKind::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Returns the digest size R in bytes.
    pub fn digest_size(self) -> usize {
        match self {
            WrapperKind::AesSiv256 | WrapperKind::AesSiv256DistinguishedRoot => 16,
            _ => 32,
        }
    }

    /// Tells whether the wrapper needs a secret key.
    pub fn is_keyed(self) -> bool {
        self != WrapperKind::Sha256
    }

    /// Creates the wrapper with `key` (ignored by, and best `&[]` for, `SHA_256`).
    pub fn build(self, key: &[u8]) -> crate::Result<Box<dyn CryptoWrapper>> {
        Ok(match self {
            WrapperKind::Sha256 => Box::new(Sha256Wrapper::new()),
            WrapperKind::HmacSha256 => Box::new(HmacSha256::new(key, false)?),
            WrapperKind::HmacSha256DistinguishedRoot => Box::new(HmacSha256::new(key, true)?),
            WrapperKind::AesSiv256 => Box::new(AesSiv256::new(key, false)?),
            WrapperKind::AesSiv256DistinguishedRoot => Box::new(AesSiv256::new(key, true)?),
        })
    }
}

impl fmt::Display for WrapperKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A crypto wrapper of the sec-cs family.
///
/// `wrap` must be deterministic, so that equal nodes get equal keys and deduplicate.
pub trait CryptoWrapper: Send + Sync {
    /// Returns which wrapper this is.
    fn kind(&self) -> WrapperKind;

    /// Returns the digest size R in bytes (the length of every key it produces).
    fn digest_size(&self) -> usize {
        self.kind().digest_size()
    }

    /// Wraps node `value` found at `height` of its tree (`is_root` for the top node).
    fn wrap(&self, value: &[u8], height: u32, is_root: bool) -> WrappedNode;

    /// Wraps several nodes of the same height, in order; the result equals calling
    /// [`CryptoWrapper::wrap`] on each. Wrappers whose primitive can process independent
    /// nodes side by side (AES-SIV) override it.
    fn wrap_many(&self, values: &[&[u8]], height: u32, is_root: bool) -> Vec<WrappedNode> {
        values.iter().map(|value| self.wrap(value, height, is_root)).collect()
    }

    /// Tells whether `stored`, read under `wrapped.key`, verifies as a node at `height`
    /// and contains `value`, where `wrapped` is `wrap(value, height, is_root)`. The store
    /// calls it before reusing a node. The default unwraps and compares; the built-in
    /// wrappers override it with a byte comparison of `stored` and `wrapped.value`,
    /// which for them gives the same answer without decrypting.
    fn stored_matches(
        &self,
        stored: &[u8],
        wrapped: &WrappedNode,
        value: &[u8],
        height: u32,
        is_root: bool,
    ) -> bool {
        self.unwrap(stored, &wrapped.key, height, is_root).is_ok_and(|node| node == value)
    }

    /// Verifies `stored` read under `key` as a node at `height`, and returns the node.
    fn unwrap(
        &self,
        stored: &[u8],
        key: &[u8],
        height: u32,
        is_root: bool,
    ) -> Result<Vec<u8>, VerifyError>;

    /// Verifies several nodes of the same height, each given as (stored value, key), and
    /// returns one result per node in order; the results equal calling
    /// [`CryptoWrapper::unwrap`] on each. Wrappers whose primitive can verify independent
    /// nodes side by side (AES-SIV) override it.
    fn unwrap_many(
        &self,
        nodes: &[(&[u8], &[u8])],
        height: u32,
        is_root: bool,
    ) -> Vec<Result<Vec<u8>, VerifyError>> {
        nodes.iter().map(|(stored, key)| self.unwrap(stored, key, height, is_root)).collect()
    }
}

/// Encodes a height as the reference does: a 4-byte little-endian signed integer.
pub(crate) fn pack_height(height: u32) -> [u8; 4] {
    (height as i32).to_le_bytes()
}

/// Encodes a height and a root flag: the 4-byte height followed by 0x01 or 0x00.
pub(crate) fn pack_height_and_root(height: u32, is_root: bool) -> [u8; 5] {
    let [a, b, c, d] = pack_height(height);
    [a, b, c, d, u8::from(is_root)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrappers() -> Vec<Box<dyn CryptoWrapper>> {
        WrapperKind::ALL.iter().map(|kind| kind.build(&[0x5a; 32]).unwrap()).collect()
    }

    #[test]
    fn wrap_many_equals_wrap_for_every_wrapper() {
        let values: Vec<Vec<u8>> =
            [0usize, 1, 16, 17, 100, 4096].iter().map(|&length| vec![length as u8; length]).collect();
        let slices: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
        for wrapper in wrappers() {
            let expected: Vec<WrappedNode> =
                slices.iter().map(|value| wrapper.wrap(value, 1, true)).collect();
            assert_eq!(wrapper.wrap_many(&slices, 1, true), expected, "{}", wrapper.kind());
        }
    }

    #[test]
    fn unwrap_many_equals_unwrap_for_every_wrapper() {
        for wrapper in wrappers() {
            let values: Vec<Vec<u8>> = [0usize, 3, 16, 33, 4096, 700]
                .iter()
                .map(|&length| (0..length).map(|index| (index * 7) as u8).collect())
                .collect();
            let wrapped: Vec<WrappedNode> =
                values.iter().map(|value| wrapper.wrap(value, 2, false)).collect();
            // Alter every third node, so that successes and failures interleave.
            let mut stored: Vec<Vec<u8>> = wrapped.iter().map(|node| node.value.clone()).collect();
            for node in stored.iter_mut().step_by(3) {
                node.push(0x55);
            }
            let nodes: Vec<(&[u8], &[u8])> = stored
                .iter()
                .zip(&wrapped)
                .map(|(value, node)| (value.as_slice(), node.key.as_slice()))
                .collect();

            let expected: Vec<Result<Vec<u8>, VerifyError>> =
                nodes.iter().map(|(value, key)| wrapper.unwrap(value, key, 2, false)).collect();
            assert_eq!(wrapper.unwrap_many(&nodes, 2, false), expected, "{}", wrapper.kind());
            assert!(expected.iter().any(Result::is_ok) && expected.iter().any(Result::is_err));
        }
    }

    #[test]
    fn stored_matches_equals_unwrap_and_compare() {
        // The overrides compare bytes; they must agree with the default definition.
        for wrapper in wrappers() {
            for value in [Vec::new(), vec![1u8; 5], vec![2u8; 64]] {
                let wrapped = wrapper.wrap(&value, 0, false);
                let mut altered = wrapped.value.clone();
                altered.push(0);
                let mut flipped = wrapped.value.clone();
                if let Some(byte) = flipped.first_mut() {
                    *byte ^= 1;
                }
                for stored in [wrapped.value.clone(), altered, flipped, Vec::new()] {
                    let by_unwrap = wrapper
                        .unwrap(&stored, &wrapped.key, 0, false)
                        .is_ok_and(|node| node == value);
                    assert_eq!(
                        wrapper.stored_matches(&stored, &wrapped, &value, 0, false),
                        by_unwrap,
                        "{} with value of {} bytes and stored {:?}",
                        wrapper.kind(),
                        value.len(),
                        stored
                    );
                }
            }
        }
    }
}
