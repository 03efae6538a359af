//! Backends and helpers shared by the reliability and security tests.
//!
//! Every test binary compiles this module but uses only part of it, hence the
//! `dead_code` allowance.

#![allow(dead_code)]

pub mod faults;
pub mod fuzz_targets;
pub mod hostile;
pub mod recording;

use std::collections::HashMap;
use std::sync::Arc;

use seccs::{
    Backend, ChunkingStrategy, MemoryBackend, RabinKarp, ReferenceCounting, StaticChunking, Store,
    WrapperKind,
};

pub use fuzz_targets::pseudo_random;

/// Returns `base` with `replacement` written over it at `offset`, so that the result
/// shares every chunk of `base` except those around the change.
pub fn edited(base: &[u8], offset: usize, replacement: &[u8]) -> Vec<u8> {
    let mut content = base.to_vec();
    let end = (offset + replacement.len()).min(content.len());
    content.splice(offset..end, replacement.iter().copied());
    content
}

/// Returns a key for `kind`: 32 bytes for the keyed wrappers, none for SHA_256.
pub fn wrapper_key(kind: WrapperKind) -> Vec<u8> {
    if kind.is_keyed() { (0..32).map(|i| 0xa0 ^ i as u8).collect() } else { Vec::new() }
}

/// Which chunking strategy a [`StoreConfig`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunking {
    /// Rabin-Karp with the default window (48) and seed (0).
    RabinKarp,
    /// Static chunking.
    Static,
}

/// Where a [`StoreConfig`] keeps reference counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    KeySuffix,
    Separate,
    Disabled,
}

/// Everything needed to open the same store again over the same backends.
#[derive(Debug, Clone, Copy)]
pub struct StoreConfig {
    pub wrapper: WrapperKind,
    pub chunk_size: u64,
    pub chunking: Chunking,
    pub counting: Counting,
}

impl StoreConfig {
    pub fn new(wrapper: WrapperKind, chunk_size: u64) -> Self {
        Self { wrapper, chunk_size, chunking: Chunking::RabinKarp, counting: Counting::KeySuffix }
    }

    pub fn with_chunking(mut self, chunking: Chunking) -> Self {
        self.chunking = chunking;
        self
    }

    pub fn with_counting(mut self, counting: Counting) -> Self {
        self.counting = counting;
        self
    }

    /// Opens a store over `nodes`; `counts` is the count backend of `Counting::Separate`
    /// and must be `Some` exactly then.
    pub fn open(&self, nodes: Box<dyn Backend>, counts: Option<Box<dyn Backend>>) -> Store {
        let wrapper = self.wrapper.build(&wrapper_key(self.wrapper)).expect("wrapper key is valid");
        let chunking: Box<dyn ChunkingStrategy> = match self.chunking {
            Chunking::RabinKarp => Box::new(RabinKarp::new(48, 0).expect("default window is valid")),
            Chunking::Static => Box::new(StaticChunking::new()),
        };
        let counting = match (self.counting, counts) {
            (Counting::KeySuffix, None) => ReferenceCounting::KeySuffix,
            (Counting::Separate, Some(counts)) => ReferenceCounting::Separate(counts),
            (Counting::Disabled, None) => ReferenceCounting::Disabled,
            (counting, counts) => panic!("{counting:?} with count backend given: {}", counts.is_some()),
        };
        Store::builder(self.chunk_size, wrapper)
            .chunking(chunking)
            .reference_counting(counting)
            .build(nodes)
            .expect("store configuration is valid")
    }
}

/// The whole content of a store's backends, compared byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendState {
    pub nodes: HashMap<Vec<u8>, Vec<u8>>,
    pub counts: Option<HashMap<Vec<u8>, Vec<u8>>>,
}

/// The in-memory backends of one store: nodes, and counts for `Counting::Separate`.
#[derive(Debug, Clone)]
pub struct MemoryBackends {
    pub nodes: Arc<MemoryBackend>,
    pub counts: Option<Arc<MemoryBackend>>,
}

impl MemoryBackends {
    /// Creates empty backends for `config`.
    pub fn new(config: &StoreConfig) -> Self {
        let counts = (config.counting == Counting::Separate).then(|| Arc::new(MemoryBackend::new()));
        Self { nodes: Arc::new(MemoryBackend::new()), counts }
    }

    /// Creates backends holding exactly `state`.
    pub fn from_state(state: &BackendState) -> Self {
        let fill = |entries: &HashMap<Vec<u8>, Vec<u8>>| {
            let backend = MemoryBackend::new();
            for (key, value) in entries {
                backend.set(key, value).expect("memory backend accepts every set");
            }
            Arc::new(backend)
        };
        Self { nodes: fill(&state.nodes), counts: state.counts.as_ref().map(fill) }
    }

    /// Copies every entry.
    pub fn state(&self) -> BackendState {
        BackendState { nodes: self.nodes.snapshot(), counts: self.counts.as_ref().map(|c| c.snapshot()) }
    }

    /// Opens a store directly over these backends, without fault injection.
    pub fn open(&self, config: &StoreConfig) -> Store {
        let counts = self.counts.clone().map(|c| Box::new(c) as Box<dyn Backend>);
        config.open(Box::new(self.nodes.clone()), counts)
    }

    /// Tells whether no node and no count is stored.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.counts.as_ref().is_none_or(|c| c.is_empty())
    }
}

/// Formats a byte string as lowercase hex for assertion messages.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
