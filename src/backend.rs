//! The key-value database that stores nodes and, by default, their reference counts.
//!
//! sec-cs trusts the backend with nothing: every value read back is verified by the
//! crypto wrapper. The backend only has to keep what it is given.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

/// A failure reported by a backend, with the backend's own code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError {
    /// The backend's own error code (for C backends, the value its callback returned).
    pub code: i32,
    /// The backend's own description; empty if it gave none.
    pub message: String,
}

impl BackendError {
    /// Creates an error with the backend's code and message.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "backend error code {}", self.code)
        } else {
            write!(f, "{} (backend error code {})", self.message, self.code)
        }
    }
}

impl std::error::Error for BackendError {}

/// A key-value database over byte strings.
///
/// Implementations must be safe to call from several threads at once; the store
/// serializes its own read-modify-write sequences (reference counts), so a backend
/// only needs each single call to be atomic.
pub trait Backend: Send + Sync {
    /// Returns the value stored under `key`, or `None` if there is none.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError>;

    /// Stores `value` under `key`, replacing any previous value.
    fn set(&self, key: &[u8], value: &[u8]) -> Result<(), BackendError>;

    /// Removes `key`. Removing a key that is not present succeeds.
    fn delete(&self, key: &[u8]) -> Result<(), BackendError>;

    /// Tells whether a value is stored under `key`.
    fn contains(&self, key: &[u8]) -> Result<bool, BackendError>;

    /// Lists every key, for consistency checks. Backends that cannot list their keys
    /// return `None`, the default.
    fn keys(&self) -> Option<Result<Vec<Vec<u8>>, BackendError>> {
        None
    }
}

impl<B: Backend + ?Sized> Backend for std::sync::Arc<B> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        (**self).get(key)
    }

    fn set(&self, key: &[u8], value: &[u8]) -> Result<(), BackendError> {
        (**self).set(key, value)
    }

    fn delete(&self, key: &[u8]) -> Result<(), BackendError> {
        (**self).delete(key)
    }

    fn contains(&self, key: &[u8]) -> Result<bool, BackendError> {
        (**self).contains(key)
    }

    fn keys(&self) -> Option<Result<Vec<Vec<u8>>, BackendError>> {
        (**self).keys()
    }
}

/// The built-in backend: a hash map in memory, guarded by a mutex.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    entries: Mutex<HashMap<Vec<u8>, Vec<u8>>>,
}

impl MemoryBackend {
    /// Creates an empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns a copy of every entry, for tests and inspection.
    pub fn snapshot(&self) -> HashMap<Vec<u8>, Vec<u8>> {
        self.lock().clone()
    }

    /// Returns the number of entries.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Tells whether the backend has no entries.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Vec<u8>>> {
        // A panic while the lock was held cannot leave the map half-updated, because
        // every operation below is a single map call, so a poisoned lock is safe to reuse.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Backend for MemoryBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self.lock().get(key).cloned())
    }

    fn set(&self, key: &[u8], value: &[u8]) -> Result<(), BackendError> {
        self.lock().insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &[u8]) -> Result<(), BackendError> {
        self.lock().remove(key);
        Ok(())
    }

    fn contains(&self, key: &[u8]) -> Result<bool, BackendError> {
        Ok(self.lock().contains_key(key))
    }

    fn keys(&self) -> Option<Result<Vec<Vec<u8>>, BackendError>> {
        Some(Ok(self.lock().keys().cloned().collect()))
    }
}
