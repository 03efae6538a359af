//! libseccs: sec-cs, the SECure Content Store of D. Leibenger and C. Sorge ("sec-cs:
//! Getting the Most out of Untrusted Cloud Storage", IEEE LCN 2017, arXiv:1606.03368).
//!
//! sec-cs keeps contents (byte strings) in a key-value database that nobody trusts:
//!
//! - each content is cut into small content-defined chunks arranged in a multi-level
//!   chunk tree, so contents that share data share nodes, stored once and reference
//!   counted;
//! - every node is wrapped by a deterministic crypto wrapper (AES-SIV by default), so
//!   equal nodes still deduplicate while the database learns nothing of their bytes;
//! - every node read back is verified, so a lying database causes an error, never
//!   wrong bytes.
//!
//! The store format is byte-compatible with the Python package `seccs` 0.0.5: the same
//! configuration yields the same content references and the same backend entries.
//!
//! ```
//! use std::sync::Arc;
//! use seccs::{MemoryBackend, Store, WrapperKind};
//!
//! let backend = Arc::new(MemoryBackend::new());
//! let wrapper = WrapperKind::AesSiv256.build(&[7u8; 32])?;
//! let store = Store::builder(256, wrapper).build(Box::new(backend.clone()))?;
//!
//! let reference = store.put(b"hello, sec-cs", false)?;
//! assert_eq!(store.get(reference.as_bytes())?, b"hello, sec-cs");
//!
//! store.delete(reference.as_bytes(), false)?;
//! assert!(backend.is_empty());
//! # Ok::<(), seccs::Error>(())
//! ```

#![deny(missing_docs)]

pub mod backend;
pub mod check;
pub mod chunking;
pub mod crypto;
mod error;
pub mod ffi;
pub mod reference;
pub mod refcount;
mod shape;
pub mod store;
#[cfg(test)]
mod test_support;

pub use backend::{Backend, BackendError, MemoryBackend};
pub use check::CheckReport;
pub use chunking::{Boundary, ChunkingStrategy, RabinKarp, StaticChunking};
pub use crypto::{CryptoWrapper, WrapperKind};
pub use error::{Error, Result};
pub use reference::ContentReference;
pub use refcount::ReferenceCounting;
pub use store::{Store, StoreBuilder};
