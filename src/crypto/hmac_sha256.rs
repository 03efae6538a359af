//! The `HMAC_SHA_256` wrappers: authenticity without confidentiality.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;

use super::{
    CryptoWrapper, VerifyError, WrappedNode, WrapperKind, pack_height, pack_height_and_root,
};
use crate::error::Error;

/// Stores nodes in plaintext under HMAC-SHA-256(key, height ‖ value), or with the
/// distinguished-root variant HMAC-SHA-256(key, height ‖ root flag ‖ value).
#[derive(Clone)]
pub struct HmacSha256 {
    /// The keyed MAC state, cloned for every node so that the key is processed once.
    /// The `zeroize` feature of `hmac` wipes it on drop.
    mac: Hmac<Sha256>,
    distinguished_root: bool,
}

impl HmacSha256 {
    /// Creates the wrapper. The key may have any non-zero length (the reference uses 32 bytes).
    pub fn new(key: &[u8], distinguished_root: bool) -> Result<Self, Error> {
        let kind = if distinguished_root {
            WrapperKind::HmacSha256DistinguishedRoot
        } else {
            WrapperKind::HmacSha256
        };
        if key.is_empty() {
            return Err(Error::InvalidKeyLength {
                wrapper: kind.name(),
                length: 0,
                expected: "a non-empty key (32 bytes recommended)",
            });
        }

        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| {
            Error::InvalidKeyLength {
                wrapper: kind.name(),
                length: key.len(),
                expected: "a non-empty key (32 bytes recommended)",
            }
        })?;
        Ok(Self { mac, distinguished_root })
    }

    fn tag(&self, value: &[u8], height: u32, is_root: bool) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        if self.distinguished_root {
            mac.update(&pack_height_and_root(height, is_root));
        } else {
            mac.update(&pack_height(height));
        }
        mac.update(value);
        mac
    }
}

impl fmt::Debug for HmacSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacSha256")
            .field("key", &"<redacted>")
            .field("distinguished_root", &self.distinguished_root)
            .finish()
    }
}

impl CryptoWrapper for HmacSha256 {
    fn kind(&self) -> WrapperKind {
        if self.distinguished_root {
            WrapperKind::HmacSha256DistinguishedRoot
        } else {
            WrapperKind::HmacSha256
        }
    }

    fn wrap(&self, value: &[u8], height: u32, is_root: bool) -> WrappedNode {
        let key = self.tag(value, height, is_root).finalize().into_bytes().to_vec();
        WrappedNode { value: value.to_vec(), key }
    }

    fn unwrap(
        &self,
        stored: &[u8],
        key: &[u8],
        height: u32,
        is_root: bool,
    ) -> Result<Vec<u8>, VerifyError> {
        // `verify_slice` compares in constant time.
        self.tag(stored, height, is_root)
            .verify_slice(key)
            .map_err(|_| VerifyError::Authenticity)?;
        Ok(stored.to_vec())
    }

    /// Compares bytes: the stored value is the node itself and `wrapped.key` is the
    /// MAC of `value`, so `stored` verifies and equals `value` exactly when it
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
