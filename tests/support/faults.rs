//! A backend that fails on purpose at a chosen call, to test what an interrupted
//! `put` or `delete` leaves behind.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use seccs::{Backend, BackendError, MemoryBackend};

/// Error code of an injected failure.
pub const INJECTED_FAILURE: i32 = -77;

/// When the injected failure happens. Calls are numbered from 0 in the order the store
/// makes them; `get`, `set`, `delete` and `contains` count, `keys` does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Never fail; only count the calls.
    Never,
    /// Call `k` fails without effect; the calls before and after it succeed.
    FailAt(u64),
    /// Call `k` and every later call fail without effect, as if the process had stopped.
    StopAt(u64),
    /// Call `k` takes effect and then reports a failure, as when a remote database
    /// commits a write but the acknowledgment is lost.
    ApplyThenFail(u64),
}

/// A fault schedule and call counter, shared by the node and count backends of one
/// store so that calls to both are numbered in one sequence.
#[derive(Debug)]
pub struct FaultPlan {
    fault: Fault,
    calls: AtomicU64,
    injected: Mutex<Vec<String>>,
}

impl FaultPlan {
    pub fn new(fault: Fault) -> Arc<Self> {
        Arc::new(Self { fault, calls: AtomicU64::new(0), injected: Mutex::new(Vec::new()) })
    }

    /// Returns how many counted calls were made so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Describes the calls that failed on purpose, e.g. `#12 set 3fa0...`.
    pub fn injected(&self) -> Vec<String> {
        self.injected.lock().unwrap().clone()
    }

    fn is_stopped(&self) -> bool {
        matches!(self.fault, Fault::StopAt(k) if self.calls() >= k)
    }

    /// Numbers one call and decides its fate.
    fn next_call(&self, operation: &str, key: &[u8]) -> Fate {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let fate = match self.fault {
            Fault::Never => Fate::Succeed,
            Fault::FailAt(k) if call == k => Fate::FailBefore,
            Fault::StopAt(k) if call >= k => Fate::FailBefore,
            Fault::ApplyThenFail(k) if call == k => Fate::FailAfter,
            _ => Fate::Succeed,
        };
        if fate != Fate::Succeed {
            self.injected.lock().unwrap().push(format!("#{call} {operation} {}", super::hex(key)));
        }
        fate
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Succeed,
    FailBefore,
    FailAfter,
}

fn injected(operation: &str) -> BackendError {
    BackendError::new(INJECTED_FAILURE, format!("injected failure of {operation}"))
}

/// Wraps a [`MemoryBackend`] and fails according to a [`FaultPlan`].
#[derive(Debug, Clone)]
pub struct FaultyBackend {
    inner: Arc<MemoryBackend>,
    plan: Arc<FaultPlan>,
}

impl FaultyBackend {
    pub fn new(inner: Arc<MemoryBackend>, plan: Arc<FaultPlan>) -> Self {
        Self { inner, plan }
    }

    fn run<T>(
        &self,
        operation: &str,
        key: &[u8],
        call: impl FnOnce(&MemoryBackend) -> Result<T, BackendError>,
    ) -> Result<T, BackendError> {
        match self.plan.next_call(operation, key) {
            Fate::Succeed => call(&self.inner),
            Fate::FailBefore => Err(injected(operation)),
            Fate::FailAfter => {
                call(&self.inner)?;
                Err(injected(operation))
            }
        }
    }
}

impl Backend for FaultyBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        self.run("get", key, |inner| inner.get(key))
    }

    fn set(&self, key: &[u8], value: &[u8]) -> Result<(), BackendError> {
        self.run("set", key, |inner| inner.set(key, value))
    }

    fn delete(&self, key: &[u8]) -> Result<(), BackendError> {
        self.run("delete", key, |inner| inner.delete(key))
    }

    fn contains(&self, key: &[u8]) -> Result<bool, BackendError> {
        self.run("contains", key, |inner| inner.contains(key))
    }

    fn keys(&self) -> Option<Result<Vec<Vec<u8>>, BackendError>> {
        if self.plan.is_stopped() {
            return Some(Err(injected("keys")));
        }
        self.inner.keys()
    }
}
