//! Helpers shared by the property tests and the bad-input tests: stores over an
//! inspectable in-memory backend, seeded contents, backend sizes and a walk over a
//! content's chunk tree.
//!
//! Each test binary compiles this module but uses only part of it, hence the
//! `dead_code` allowance.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use seccs::{CryptoWrapper, MemoryBackend, Store, WrapperKind};

/// The key of every keyed wrapper in these tests. Its bytes are distinctive so that a
/// test can search error messages and `Debug` output for them.
pub const TEST_KEY: [u8; 32] = [
    0xc3, 0x5a, 0x91, 0x0e, 0x77, 0xb2, 0x4d, 0xe8, 0x13, 0x6f, 0xa4, 0x29, 0xd0, 0x85, 0x3c, 0xfb, 0x52,
    0x9e, 0x07, 0xc6, 0x6b, 0x18, 0xe3, 0x4a, 0xbd, 0x71, 0x2f, 0x94, 0x08, 0xda, 0x65, 0xae,
];

/// Backend contents as `MemoryBackend::snapshot` returns them.
pub type Snapshot = HashMap<Vec<u8>, Vec<u8>>;

/// Target chunk sizes S tested for `kind`: the smallest accepted one (2R) and two
/// common ones.
pub fn chunk_sizes(kind: WrapperKind) -> [u64; 3] {
    match kind.digest_size() {
        16 => [32, 256, 1024],
        _ => [64, 256, 1024],
    }
}

/// Builds `kind` with [`TEST_KEY`] (SHA_256 ignores it).
pub fn wrapper(kind: WrapperKind) -> Box<dyn CryptoWrapper> {
    kind.build(&TEST_KEY).expect("TEST_KEY is valid for every wrapper")
}

/// Creates a store with chunk size `chunk_size`, the default Rabin-Karp chunking and
/// count keys in the node backend, over a fresh in-memory backend it also returns.
pub fn new_store(kind: WrapperKind, chunk_size: u64) -> (Store, Arc<MemoryBackend>) {
    let backend = Arc::new(MemoryBackend::new());
    let store = Store::builder(chunk_size, wrapper(kind))
        .build(Box::new(backend.clone()))
        .expect("every tested chunk size is at least 2R");
    (store, backend)
}

/// Returns `length` bytes drawn from a SplitMix64 stream seeded with `seed`, each
/// reduced modulo `alphabet` (1 to 256 symbols), so that small alphabets give
/// low-entropy contents.
pub fn random_content(seed: u64, length: usize, alphabet: u16) -> Vec<u8> {
    let mut generator = SplitMix64(seed);
    (0..length).map(|_| (generator.next() % u64::from(alphabet.clamp(1, 256))) as u8).collect()
}

/// The SplitMix64 generator (Steele, Lea and Flood, 2014): tiny, fast and good enough
/// for test data.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// Returns the next 64 pseudo-random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Returns the storage a backend uses: the sum of key and value lengths of all its
/// entries, nodes and reference counts alike.
pub fn stored_bytes(snapshot: &Snapshot) -> usize {
    snapshot.iter().map(|(key, value)| key.len() + value.len()).sum()
}

/// Returns the backend key of the reference count of `node_key` in the default
/// placement: the node key followed by `"r"`.
pub fn count_key(node_key: &[u8]) -> Vec<u8> {
    let mut key = node_key.to_vec();
    key.push(b'r');
    key
}

/// Returns the count stored for `node_key`, or `None` if there is no count entry.
pub fn stored_count(backend: &MemoryBackend, node_key: &[u8]) -> Option<u64> {
    let value = backend.snapshot().remove(&count_key(node_key))?;
    let text = String::from_utf8(value).expect("counts are ASCII decimal");
    Some(text.parse().expect("counts are ASCII decimal"))
}

/// Returns the bytes as lowercase hex, as error messages print keys.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// One node of a stored content's chunk tree, with its plaintext value.
#[derive(Debug, Clone)]
pub struct TreeNode {
    /// The node's digest, which is its backend key.
    pub key: Vec<u8>,
    /// Height in the tree: 0 for a leaf.
    pub height: u32,
    /// Whether the node is the tree's root.
    pub is_root: bool,
    /// The plaintext node: content bytes for a leaf, child digests for a superchunk.
    pub value: Vec<u8>,
    /// Number of content bytes below the node.
    pub content_length: usize,
}

/// Lists the nodes of the tree of `reference` depth first, parents before children,
/// unwrapping each stored value with `wrapper`, which must use the store's key.
pub fn tree_nodes(
    store: &Store,
    backend: &MemoryBackend,
    wrapper: &dyn CryptoWrapper,
    reference: &[u8],
) -> Vec<TreeNode> {
    let digest_size = wrapper.digest_size();
    let length = u64::from_be_bytes(reference[digest_size..].try_into().expect("8 length bytes"));
    let height = store.height(length).expect("a valid length");

    let snapshot = backend.snapshot();
    let mut nodes = Vec::new();
    collect_nodes(&snapshot, wrapper, &reference[..digest_size], height, true, &mut nodes);
    nodes
}

/// Appends node `key` and its subtree to `nodes`; returns the content length below it.
fn collect_nodes(
    snapshot: &Snapshot,
    wrapper: &dyn CryptoWrapper,
    key: &[u8],
    height: u32,
    is_root: bool,
    nodes: &mut Vec<TreeNode>,
) -> usize {
    let stored = snapshot.get(key).unwrap_or_else(|| panic!("node {} is stored", hex(key)));
    let value = wrapper.unwrap(stored, key, height, is_root).expect("a stored node verifies");

    let index = nodes.len();
    nodes.push(TreeNode { key: key.to_vec(), height, is_root, value: value.clone(), content_length: 0 });

    let content_length = if height == 0 {
        value.len()
    } else {
        value
            .chunks(wrapper.digest_size())
            .map(|child| collect_nodes(snapshot, wrapper, child, height - 1, false, nodes))
            .sum()
    };
    nodes[index].content_length = content_length;
    content_length
}
