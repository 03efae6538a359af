//! A backend that lies: its `get` returns another value, or no value, for chosen keys,
//! and it can fail some calls. The store must turn every lie into an
//! error and never return wrong bytes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use seccs::{Backend, BackendError, MemoryBackend};

/// Error code of a failure the hostile backend reports on purpose.
pub const HOSTILE_FAILURE: i32 = -66;

/// Turns the stored value (if any) into the value the hostile backend returns.
pub type Lie = Arc<dyn Fn(Option<Vec<u8>>) -> Option<Vec<u8>> + Send + Sync>;

/// Returns `value` instead of the stored one.
pub fn replace_with(value: Vec<u8>) -> Lie {
    Arc::new(move |_| Some(value.clone()))
}

/// Returns the stored value without its last `count` bytes.
pub fn truncate_by(count: usize) -> Lie {
    Arc::new(move |stored| {
        stored.map(|mut value| {
            value.truncate(value.len().saturating_sub(count));
            value
        })
    })
}

/// Returns the stored value followed by `extra`.
pub fn extend_with(extra: Vec<u8>) -> Lie {
    Arc::new(move |stored| {
        stored.map(|mut value| {
            value.extend_from_slice(&extra);
            value
        })
    })
}

/// Returns bytes of the stored value's length drawn from `seed`.
pub fn garbage(seed: u64) -> Lie {
    Arc::new(move |stored| stored.map(|value| super::pseudo_random(value.len(), seed)))
}

/// Returns the stored value with one bit flipped at byte `index` (modulo the length).
pub fn flip_bit(index: usize) -> Lie {
    Arc::new(move |stored| {
        stored.map(|mut value| {
            if !value.is_empty() {
                let at = index % value.len();
                value[at] ^= 0x10;
            }
            value
        })
    })
}

/// Returns no value, as if the key were absent.
pub fn missing() -> Lie {
    Arc::new(|_| None)
}

/// Passes calls to an honest [`MemoryBackend`], except for the lies it was given.
pub struct HostileBackend {
    inner: Arc<MemoryBackend>,
    lies: Mutex<HashMap<Vec<u8>, Lie>>,
    /// With `Some(n)`, about one call in n fails, at pseudo-random calls. A strict
    /// period could fail the same step of every retry and never let it finish.
    fail_one_in: Option<u64>,
    /// With `Some(n)`, every call after the n-th fails: a budget for runaway reads.
    fail_after: Option<u64>,
    calls: AtomicU64,
}

impl HostileBackend {
    pub fn new(inner: Arc<MemoryBackend>) -> Self {
        Self { inner, lies: Mutex::new(HashMap::new()), fail_one_in: None, fail_after: None, calls: AtomicU64::new(0) }
    }

    /// Creates a backend that fails about one call in `n` and lies about nothing else.
    pub fn failing_one_in(inner: Arc<MemoryBackend>, n: u64) -> Self {
        Self { fail_one_in: Some(n), ..Self::new(inner) }
    }

    /// Creates a backend that fails every call after the `n`-th and lies about nothing else.
    pub fn failing_after(inner: Arc<MemoryBackend>, n: u64) -> Self {
        Self { fail_after: Some(n), ..Self::new(inner) }
    }

    /// Returns how many calls were made.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Makes every later `get` of `key` return what `lie` makes of the stored value.
    pub fn lie_about(&self, key: &[u8], lie: Lie) {
        self.lies.lock().unwrap().insert(key.to_vec(), lie);
    }

    /// Makes the backend honest again.
    pub fn stop_lying(&self) {
        self.lies.lock().unwrap().clear();
    }

    fn check_failure(&self, operation: &str) -> Result<(), BackendError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let fails = self.fail_one_in.is_some_and(|n| splitmix64(call) % n == 0) || self.fail_after.is_some_and(|n| call > n);
        if fails {
            return Err(BackendError::new(HOSTILE_FAILURE, format!("{operation} failed on purpose (call {call})")));
        }
        Ok(())
    }
}

impl Backend for HostileBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        self.check_failure("get")?;
        let stored = self.inner.get(key)?;
        let lie = self.lies.lock().unwrap().get(key).cloned();
        Ok(match lie {
            Some(lie) => lie(stored),
            None => stored,
        })
    }

    fn set(&self, key: &[u8], value: &[u8]) -> Result<(), BackendError> {
        self.check_failure("set")?;
        self.inner.set(key, value)
    }

    fn delete(&self, key: &[u8]) -> Result<(), BackendError> {
        self.check_failure("delete")?;
        self.inner.delete(key)
    }

    fn contains(&self, key: &[u8]) -> Result<bool, BackendError> {
        self.check_failure("contains")?;
        self.inner.contains(key)
    }

    fn keys(&self) -> Option<Result<Vec<Vec<u8>>, BackendError>> {
        if let Err(error) = self.check_failure("keys") {
            return Some(Err(error));
        }
        self.inner.keys()
    }
}

/// The SplitMix64 output function: consecutive inputs give unrelated outputs, so the
/// failing calls form no pattern that a retry loop could fall into step with.
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
