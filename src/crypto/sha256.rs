//! The unkeyed `SHA_256` wrapper: integrity, but neither confidentiality nor authenticity.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{CryptoWrapper, VerifyError, WrappedNode, WrapperKind, pack_height};

/// Stores nodes in plaintext under SHA-256(height ‖ value).
#[derive(Debug, Default, Clone)]
pub struct Sha256Wrapper;

impl Sha256Wrapper {
    /// Creates the wrapper.
    pub fn new() -> Self {
        Self
    }

    fn digest(value: &[u8], height: u32) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(pack_height(height));
        hasher.update(value);
        hasher.finalize().into()
    }
}

impl CryptoWrapper for Sha256Wrapper {
    fn kind(&self) -> WrapperKind {
        WrapperKind::Sha256
    }

    fn wrap(&self, value: &[u8], height: u32, _is_root: bool) -> WrappedNode {
        WrappedNode { value: value.to_vec(), key: Self::digest(value, height).to_vec() }
    }

    fn unwrap(
        &self,
        stored: &[u8],
        key: &[u8],
        height: u32,
        _is_root: bool,
    ) -> Result<Vec<u8>, VerifyError> {
        let digest = Self::digest(stored, height);
        if bool::from(digest.as_slice().ct_eq(key)) {
            Ok(stored.to_vec())
        } else {
            Err(VerifyError::Integrity)
        }
    }

    /// Compares bytes: the stored value is the node itself and `wrapped.key` is the
    /// digest of `value`, so `stored` verifies and equals `value` exactly when it
    /// equals `value`.
    fn stored_matches(
        &self,
        stored: &[u8],
        wrapped: &WrappedNode,
        _value: &[u8],
        _height: u32,
        _is_root: bool,
    ) -> bool {
        stored == wrapped.value.as_slice()
    }
}
