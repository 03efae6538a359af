//! A backend that logs every call it passes on, to count reads and to see which keys a
//! store touched.

use std::sync::{Arc, Mutex};

use seccs::{Backend, BackendError};

/// One call seen by a [`RecordingBackend`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub operation: &'static str,
    pub key: Vec<u8>,
}

/// Passes every call to `inner` and appends it to a log. With `yield_each_call`, the
/// thread also yields before each call, so that concurrent stores interleave more.
pub struct RecordingBackend {
    inner: Arc<dyn Backend>,
    log: Mutex<Vec<Call>>,
    yield_each_call: bool,
}

impl RecordingBackend {
    pub fn new(inner: Arc<dyn Backend>) -> Self {
        Self { inner, log: Mutex::new(Vec::new()), yield_each_call: false }
    }

    pub fn yielding(inner: Arc<dyn Backend>) -> Self {
        Self { inner, log: Mutex::new(Vec::new()), yield_each_call: true }
    }

    /// Returns a copy of the log.
    pub fn calls(&self) -> Vec<Call> {
        self.log.lock().unwrap().clone()
    }

    /// Returns how many calls of `operation` were made.
    pub fn count(&self, operation: &str) -> usize {
        self.log.lock().unwrap().iter().filter(|call| call.operation == operation).count()
    }

    /// Empties the log.
    pub fn clear(&self) {
        self.log.lock().unwrap().clear();
    }

    fn record(&self, operation: &'static str, key: &[u8]) {
        if self.yield_each_call {
            std::thread::yield_now();
        }
        self.log.lock().unwrap().push(Call { operation, key: key.to_vec() });
    }
}

impl Backend for RecordingBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        self.record("get", key);
        self.inner.get(key)
    }

    fn set(&self, key: &[u8], value: &[u8]) -> Result<(), BackendError> {
        self.record("set", key);
        self.inner.set(key, value)
    }

    fn delete(&self, key: &[u8]) -> Result<(), BackendError> {
        self.record("delete", key);
        self.inner.delete(key)
    }

    fn contains(&self, key: &[u8]) -> Result<bool, BackendError> {
        self.record("contains", key);
        self.inner.contains(key)
    }

    fn keys(&self) -> Option<Result<Vec<Vec<u8>>, BackendError>> {
        self.record("keys", &[]);
        self.inner.keys()
    }
}
