//! The `AES_SIV_256` wrappers: deterministic authenticated encryption (RFC 5297).
//!
//! "256" is the key size: RFC 5297 AES-SIV with a 32-byte key, whose first half keys
//! the CMAC (S2V) and second half the CTR encryption, which is AES-128 for each part.
//! The 16-byte synthetic IV is the node's key; the ciphertext is the stored value.

use aes_siv::aead::KeyInit;
use aes_siv::siv::Aes128Siv;
use std::fmt;
use zeroize::Zeroizing;

use super::{
    CryptoWrapper, VerifyError, WrappedNode, WrapperKind, pack_height, pack_height_and_root,
};
use crate::error::Error;

/// Size of an AES-SIV key in bytes.
pub const AES_SIV_KEY_SIZE: usize = 32;

/// The key under which the reference stores an empty node, whatever its height.
const EMPTY_NODE_KEY: [u8; 16] = [0; 16];

/// Encrypts nodes with AES-SIV, the height (and with the distinguished-root variant a
/// root flag) as the single associated-data component, and no nonce.
#[derive(Clone)]
pub struct AesSiv256 {
    key: Zeroizing<[u8; AES_SIV_KEY_SIZE]>,
    distinguished_root: bool,
}

impl AesSiv256 {
    /// Creates the wrapper; the key must be exactly 32 bytes.
    pub fn new(key: &[u8], distinguished_root: bool) -> Result<Self, Error> {
        let kind = if distinguished_root {
            WrapperKind::AesSiv256DistinguishedRoot
        } else {
            WrapperKind::AesSiv256
        };
        let key: [u8; AES_SIV_KEY_SIZE] = key.try_into().map_err(|_| Error::InvalidKeyLength {
            wrapper: kind.name(),
            length: key.len(),
            expected: "exactly 32 bytes",
        })?;
        Ok(Self { key: Zeroizing::new(key), distinguished_root })
    }

    fn cipher(&self) -> Aes128Siv {
        Aes128Siv::new((&*self.key).into())
    }

    fn associated_data(&self, height: u32, is_root: bool) -> ([u8; 5], usize) {
        if self.distinguished_root {
            (pack_height_and_root(height, is_root), 5)
        } else {
            let [a, b, c, d] = pack_height(height);
            ([a, b, c, d, 0], 4)
        }
    }
}

impl fmt::Debug for AesSiv256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AesSiv256")
            .field("key", &"<redacted>")
            .field("distinguished_root", &self.distinguished_root)
            .finish()
    }
}

impl CryptoWrapper for AesSiv256 {
    fn kind(&self) -> WrapperKind {
        if self.distinguished_root {
            WrapperKind::AesSiv256DistinguishedRoot
        } else {
            WrapperKind::AesSiv256
        }
    }

    fn wrap(&self, value: &[u8], height: u32, is_root: bool) -> WrappedNode {
        if value.is_empty() {
            return WrappedNode { value: Vec::new(), key: EMPTY_NODE_KEY.to_vec() };
        }

        let (ad, ad_len) = self.associated_data(height, is_root);
        let mut buffer = value.to_vec();
        let tag = self
            .cipher()
            .encrypt_inout_detached([&ad[..ad_len]], buffer.as_mut_slice().into())
            .expect("AES-SIV encryption with one associated-data component cannot fail");
        WrappedNode { value: buffer, key: tag.to_vec() }
    }

    fn unwrap(
        &self,
        stored: &[u8],
        key: &[u8],
        height: u32,
        is_root: bool,
    ) -> Result<Vec<u8>, VerifyError> {
        if key == EMPTY_NODE_KEY {
            return if stored.is_empty() { Ok(Vec::new()) } else { Err(VerifyError::Authenticity) };
        }

        let tag = key.try_into().map_err(|_| VerifyError::Authenticity)?;
        let (ad, ad_len) = self.associated_data(height, is_root);
        let mut buffer = stored.to_vec();
        self.cipher()
            .decrypt_inout_detached([&ad[..ad_len]], buffer.as_mut_slice().into(), tag)
            .map_err(|_| VerifyError::Authenticity)?;
        Ok(buffer)
    }
}
