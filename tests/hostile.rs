//! A backend that lies must cause an error, never wrong bytes, a panic or an unbounded
//! allocation.
//!
//! Each case stores real contents in an honest [`MemoryBackend`] and reads them through a
//! [`HostileBackend`] that lies about one node: the root, an inner superchunk or a leaf.
//! It asserts the exact error variant of `get`, `verify` and `delete`, naming that node,
//! for each of the five crypto wrappers.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use seccs::{Backend, ContentReference, Error, MemoryBackend, Store, WrapperKind};

use support::hostile::{
    HOSTILE_FAILURE, HostileBackend, Lie, extend_with, flip_bit, garbage, missing, replace_with,
    truncate_by,
};
use support::{StoreConfig, hex, pseudo_random};

// ---------------------------------------------------------------------------------------
// Allocation accounting: the allocator counts, per thread, the bytes the store requests
// while a measurement runs, leaving out what the hostile backend allocates for the lies
// it returns (a backend's own memory is its business).

struct CountingAllocator;

thread_local! {
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    static IN_BACKEND: Cell<bool> = const { Cell::new(false) };
    static REQUESTED: Cell<u64> = const { Cell::new(0) };
    static LARGEST: Cell<u64> = const { Cell::new(0) };
}

fn note_allocation(size: usize) {
    // `try_with` because allocations also happen while thread-locals are torn down.
    let counted = MEASURING.try_with(Cell::get).unwrap_or(false) && !IN_BACKEND.try_with(Cell::get).unwrap_or(true);
    if counted {
        let _ = REQUESTED.try_with(|requested| requested.set(requested.get() + size as u64));
        let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size as u64)));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System` upholds the `GlobalAlloc` contract. The bookkeeping only touches
// const-initialized thread-locals, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: forwarded unchanged; the caller guarantees a non-zero-size layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation(new_size);
        // SAFETY: forwarded unchanged; the caller guarantees `ptr` came from this
        // allocator with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System` through this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Bytes the store requested while running a measured closure.
#[derive(Debug, Clone, Copy)]
struct Allocations {
    /// Sum of all allocation and reallocation sizes.
    requested: u64,
    /// The largest single request.
    largest: u64,
}

fn measure<T>(run: impl FnOnce() -> T) -> (T, Allocations) {
    REQUESTED.set(0);
    LARGEST.set(0);
    MEASURING.set(true);
    let result = run();
    MEASURING.set(false);
    (result, Allocations { requested: REQUESTED.get(), largest: LARGEST.get() })
}

/// Returns `size` zero bytes, allocated outside the measurement.
fn huge(size: usize) -> Lie {
    Arc::new(move |_| {
        IN_BACKEND.set(true);
        let value = vec![0u8; size];
        IN_BACKEND.set(false);
        Some(value)
    })
}

// ---------------------------------------------------------------------------------------
// Fixtures.

/// A node of a stored content's tree, as the honest backend stores it.
#[derive(Debug, Clone)]
struct Node {
    key: Vec<u8>,
    height: u32,
    is_root: bool,
    plain: Vec<u8>,
    stored: Vec<u8>,
}

/// A store whose backend lies on demand, over honest storage of two contents.
struct Fixture {
    kind: WrapperKind,
    honest: Arc<MemoryBackend>,
    hostile: Arc<HostileBackend>,
    store: Store,
    content: Vec<u8>,
    reference: ContentReference,
    other_content: Vec<u8>,
    other_reference: ContentReference,
}

const CONTENT_LENGTH: usize = 1024;

impl Fixture {
    fn new(kind: WrapperKind) -> Self {
        Self::with_hostile(kind, |honest| HostileBackend::new(honest))
    }

    fn with_hostile(kind: WrapperKind, hostile: impl FnOnce(Arc<MemoryBackend>) -> HostileBackend) -> Self {
        let config = StoreConfig::new(kind, 64);
        let honest = Arc::new(MemoryBackend::new());
        let writer = config.open(Box::new(honest.clone()), None);
        let content = pseudo_random(CONTENT_LENGTH, 41);
        let other_content = pseudo_random(CONTENT_LENGTH, 42);
        let reference = writer.put(&content, false).unwrap();
        let other_reference = writer.put(&other_content, false).unwrap();

        let hostile = Arc::new(hostile(honest.clone()));
        let store = config.open(Box::new(hostile.clone()), None);
        Self { kind, honest, hostile, store, content, reference, other_content, other_reference }
    }

    /// Lists the distinct nodes of `reference`'s tree, depth first.
    fn nodes_of(&self, reference: &ContentReference) -> Vec<Node> {
        let mut nodes = Vec::new();
        let height = self.store.height(reference.content_length()).unwrap();
        self.collect(reference.root_digest(), height, true, &mut nodes);
        nodes
    }

    fn collect(&self, key: &[u8], height: u32, is_root: bool, nodes: &mut Vec<Node>) {
        if nodes.iter().any(|node| node.key == key) {
            return;
        }
        let stored = self.honest.get(key).unwrap().expect("honest backend holds every node");
        let plain = self.store.wrapper().unwrap(&stored, key, height, is_root).unwrap();
        nodes.push(Node { key: key.to_vec(), height, is_root, plain: plain.clone(), stored });
        if height > 0 {
            for child in plain.chunks(self.store.digest_size()) {
                self.collect(child, height - 1, false, nodes);
            }
        }
    }

    /// Returns the root, an inner superchunk (if the tree has one) and a leaf.
    fn targets(&self) -> Vec<Node> {
        let nodes = self.nodes_of(&self.reference);
        let root = nodes[0].clone();
        let inner = nodes.iter().find(|node| !node.is_root && node.height > 0).cloned();
        let leaf = nodes.iter().find(|node| node.height == 0).cloned().unwrap();
        [Some(root), inner, Some(leaf)].into_iter().flatten().collect()
    }

    fn count_key(&self, node_key: &[u8]) -> Vec<u8> {
        let mut key = node_key.to_vec();
        key.push(b'r');
        key
    }

    /// Asserts that `result` is the verification error of `node`.
    fn assert_rejected<T: std::fmt::Debug>(&self, result: &seccs::Result<T>, node: &Node, context: &str) {
        let key = hex(&node.key);
        let rejected = match (self.kind, result) {
            (WrapperKind::Sha256, Err(Error::Integrity { key: k, height })) => *k == key && *height == node.height,
            (_, Err(Error::Authenticity { key: k, height, is_root })) if self.kind.is_keyed() => {
                *k == key && *height == node.height && *is_root == node.is_root
            }
            _ => false,
        };
        assert!(rejected, "{:?} {context}: expected a verification error for node {key} at height {}, got {result:?}", self.kind, node.height);
    }

    /// Asserts that after a failed delete, the other content is intact and that a retry
    /// with an honest backend plus a repair leaves exactly the other content stored.
    fn assert_delete_recovers(&self, context: &str) {
        self.hostile.stop_lying();
        assert_eq!(self.store.get(self.other_reference.as_bytes()).unwrap(), self.other_content, "{context}");
        match self.store.delete(self.reference.as_bytes(), false) {
            Ok(()) | Err(Error::MissingReferenceCount { .. }) => {}
            Err(error) => panic!("{:?} {context}: retried delete failed: {error}", self.kind),
        }
        let report = self.store.check(&[self.other_reference.as_bytes()], true).unwrap();
        assert!(report.missing_nodes.is_empty(), "{context}: {report:?}");
        assert!(report.corrupt_nodes.is_empty(), "{context}: {report:?}");

        let expected = Fixture::only_other(self.kind);
        assert_eq!(self.honest.snapshot(), expected, "{:?} {context}: repair did not reach the clean state", self.kind);
    }

    /// Returns the backend entries of a store that contains only the other content.
    fn only_other(kind: WrapperKind) -> std::collections::HashMap<Vec<u8>, Vec<u8>> {
        let backend = Arc::new(MemoryBackend::new());
        let store = StoreConfig::new(kind, 64).open(Box::new(backend.clone()), None);
        store.put(&pseudo_random(CONTENT_LENGTH, 42), false).unwrap();
        backend.snapshot()
    }
}

/// Runs get, verify and delete of the fixture's content while the backend returns what
/// `lie_for` makes of each target node's value, and asserts the verification error.
fn assert_lie_rejected(kind: WrapperKind, describe: &str, lie_for: impl Fn(&Fixture, &Node) -> Option<Lie>) {
    let targets = Fixture::new(kind).targets();
    for (index, _) in targets.iter().enumerate() {
        let fixture = Fixture::new(kind);
        let node = fixture.targets()[index].clone();
        let Some(lie) = lie_for(&fixture, &node) else { continue };
        let context = format!("{describe} about the node at height {} (root: {})", node.height, node.is_root);
        fixture.hostile.lie_about(&node.key, lie);

        let got = fixture.store.get(fixture.reference.as_bytes());
        fixture.assert_rejected(&got, &node, &format!("get, {context}"));
        let verified = fixture.store.verify(fixture.reference.as_bytes());
        fixture.assert_rejected(&verified, &node, &format!("verify, {context}"));
        assert_eq!(fixture.store.get(fixture.other_reference.as_bytes()).unwrap(), fixture.other_content);

        // A delete reads superchunks to find the children, but never needs a leaf's value.
        let deleted = fixture.store.delete(fixture.reference.as_bytes(), false);
        if node.height > 0 {
            fixture.assert_rejected(&deleted, &node, &format!("delete, {context}"));
            fixture.assert_delete_recovers(&context);
        } else {
            assert!(deleted.is_ok(), "{kind:?} delete, {context}: {deleted:?}");
        }
    }
}

fn for_each_wrapper(mut test: impl FnMut(WrapperKind)) {
    for kind in WrapperKind::ALL {
        test(kind);
    }
}

// ---------------------------------------------------------------------------------------
// Lies about node values.

#[test]
fn other_nodes_value_rejected() {
    for_each_wrapper(|kind| {
        assert_lie_rejected(kind, "the value of another content's node", |fixture, node| {
            let others = fixture.nodes_of(&fixture.other_reference);
            let other = others.iter().find(|other| other.height == node.height && other.is_root == node.is_root)?;
            Some(replace_with(other.stored.clone()))
        });
        assert_lie_rejected(kind, "the value of a sibling node", |fixture, node| {
            let own = fixture.nodes_of(&fixture.reference);
            let sibling = own.iter().find(|other| other.key != node.key && other.height == node.height)?;
            Some(replace_with(sibling.stored.clone()))
        });
    });
}

#[test]
fn truncated_value_rejected() {
    for_each_wrapper(|kind| {
        assert_lie_rejected(kind, "a value one byte short", |_, _| Some(truncate_by(1)));
        assert_lie_rejected(kind, "an empty value", |_, _| Some(truncate_by(usize::MAX)));
    });
}

#[test]
fn extended_value_rejected() {
    for_each_wrapper(|kind| {
        assert_lie_rejected(kind, "a value one byte long", |_, _| Some(extend_with(vec![0])));
        // One more child digest in a superchunk: a real node's key, so only the
        // verification of the superchunk itself can catch it.
        assert_lie_rejected(kind, "a value with an extra child", |fixture, node| {
            (node.height > 0).then(|| extend_with(fixture.other_reference.root_digest().to_vec()))
        });
    });
}

#[test]
fn garbage_value_rejected() {
    for_each_wrapper(|kind| {
        assert_lie_rejected(kind, "random bytes", |_, node| Some(garbage(node.height as u64 + 7)));
        assert_lie_rejected(kind, "a flipped bit", |_, node| Some(flip_bit(node.plain.len() / 2)));
    });
}

#[test]
fn value_for_wrong_height_rejected() {
    for_each_wrapper(|kind| {
        // HMAC and SHA-256 store the plaintext, so the same node at another height has
        // the same stored value: only the AES-SIV ciphertext depends on the height.
        if !matches!(kind, WrapperKind::AesSiv256 | WrapperKind::AesSiv256DistinguishedRoot) {
            return;
        }
        assert_lie_rejected(kind, "the node encrypted for another height", |fixture, node| {
            let wrapped = fixture.store.wrapper().wrap(&node.plain, node.height + 1, node.is_root);
            Some(replace_with(wrapped.value))
        });
        assert_lie_rejected(kind, "the node encrypted with the other root flag", |fixture, node| {
            let wrapped = fixture.store.wrapper().wrap(&node.plain, node.height, !node.is_root);
            (kind == WrapperKind::AesSiv256DistinguishedRoot).then(|| replace_with(wrapped.value))
        });
    });
}

#[test]
fn missing_node_not_found() {
    for_each_wrapper(|kind| {
        for node in Fixture::new(kind).targets() {
            let fixture = Fixture::new(kind);
            fixture.hostile.lie_about(&node.key, missing());
            let context = format!("{kind:?}, node at height {} missing", node.height);
            let expected_key = hex(&node.key);

            let got = fixture.store.get(fixture.reference.as_bytes());
            assert!(
                matches!(&got, Err(Error::NotFound { key, height }) if *key == expected_key && *height == node.height),
                "get, {context}: {got:?}"
            );
            let verified = fixture.store.verify(fixture.reference.as_bytes());
            assert!(
                matches!(&verified, Err(Error::NotFound { key, height }) if *key == expected_key && *height == node.height),
                "verify, {context}: {verified:?}"
            );

            let deleted = fixture.store.delete(fixture.reference.as_bytes(), false);
            if node.height > 0 {
                assert!(
                    matches!(&deleted, Err(Error::NotFound { key, .. }) if *key == expected_key),
                    "delete, {context}: {deleted:?}"
                );
                fixture.assert_delete_recovers(&context);
            } else {
                assert!(deleted.is_ok(), "delete, {context}: {deleted:?}");
            }
        }
    });
}

// ---------------------------------------------------------------------------------------
// Lies about the tree shape and about reference counts.

#[test]
fn forged_length_rejected() {
    for_each_wrapper(|kind| {
        let fixture = Fixture::new(kind);
        let height = fixture.store.height(CONTENT_LENGTH as u64).unwrap();
        let root = &fixture.nodes_of(&fixture.reference)[0];

        // A length with another tree height makes the root fail verification.
        let longer = (CONTENT_LENGTH as u64..).find(|&n| fixture.store.height(n).unwrap() != height).unwrap();
        let forged = ContentReference::new(fixture.reference.root_digest(), longer);
        let result = fixture.store.get(forged.as_bytes());
        let expected_height = fixture.store.height(longer).unwrap();
        let expected_key = hex(&root.key);
        let rejected = match &result {
            Err(Error::Integrity { key, height }) => kind == WrapperKind::Sha256 && *key == expected_key && *height == expected_height,
            Err(Error::Authenticity { key, height, .. }) => kind.is_keyed() && *key == expected_key && *height == expected_height,
            _ => false,
        };
        assert!(rejected, "{kind:?} length {longer}: {result:?}");

        // A length with the same height gets through verification but not the length check.
        let same_height: Vec<u64> = [1, CONTENT_LENGTH as u64 - 1, CONTENT_LENGTH as u64 + 1, 2 * CONTENT_LENGTH as u64]
            .into_iter()
            .filter(|&n| fixture.store.height(n).unwrap() == height)
            .collect();
        assert!(!same_height.is_empty(), "{kind:?}: no nearby length with height {height}");
        for length in same_height {
            let forged = ContentReference::new(fixture.reference.root_digest(), length);
            for result in [fixture.store.get(forged.as_bytes()).map(drop), fixture.store.verify(forged.as_bytes())] {
                assert!(matches!(result, Err(Error::CorruptNode { .. })), "{kind:?} length {length}: {result:?}");
            }
        }
    });
}

#[test]
fn inner_node_as_root() {
    for_each_wrapper(|kind| {
        let fixture = Fixture::new(kind);
        let nodes = fixture.nodes_of(&fixture.reference);
        let Some(inner) = nodes.iter().find(|node| !node.is_root && node.height > 0) else { return };

        // The subtree's length: the sum of its leaves.
        let mut subtree = Vec::new();
        let mut stack = vec![(inner.key.clone(), inner.height)];
        while let Some((key, height)) = stack.pop() {
            let node = nodes.iter().find(|node| node.key == key).unwrap();
            if height == 0 {
                subtree.push(node.plain.clone());
            } else {
                for child in node.plain.chunks(fixture.store.digest_size()).rev() {
                    stack.push((child.to_vec(), height - 1));
                }
            }
        }
        let length: usize = subtree.iter().map(Vec::len).sum();
        let forged = ContentReference::new(&inner.key, length as u64);
        if fixture.store.height(length as u64).unwrap() != inner.height {
            return;
        }

        // The distinguished-root wrappers bind the root flag. The others accept any
        // subtree as a content of its own, whose bytes are a part of the real content.
        let result = fixture.store.get(forged.as_bytes());
        match kind {
            WrapperKind::AesSiv256DistinguishedRoot | WrapperKind::HmacSha256DistinguishedRoot => assert!(
                matches!(&result, Err(Error::Authenticity { is_root: true, .. })),
                "{kind:?}: {result:?}"
            ),
            _ => {
                let bytes = result.unwrap();
                assert!(fixture.content.windows(bytes.len()).any(|window| window == bytes), "{kind:?}");
            }
        }
    });
}

#[test]
fn bad_counts_rejected_on_delete() {
    for_each_wrapper(|kind| {
        let fixture = Fixture::new(kind);
        let root = fixture.reference.root_digest();
        let before = fixture.honest.snapshot();

        fixture.hostile.lie_about(&fixture.count_key(root), replace_with(b"-1".to_vec()));
        let result = fixture.store.delete(fixture.reference.as_bytes(), false);
        let expected_key = hex(root);
        assert!(
            matches!(&result, Err(Error::InvalidReferenceCount { key, value }) if *key == expected_key && value == "-1"),
            "{kind:?}: {result:?}"
        );
        assert_eq!(fixture.honest.snapshot(), before, "{kind:?}: a rejected count changed the backend");

        fixture.hostile.lie_about(&fixture.count_key(root), missing());
        let result = fixture.store.delete(fixture.reference.as_bytes(), false);
        assert!(matches!(&result, Err(Error::MissingReferenceCount { key }) if *key == expected_key), "{kind:?}: {result:?}");
        assert_eq!(fixture.honest.snapshot(), before, "{kind:?}: a missing count changed the backend");
    });
}

/// A count value that is not ASCII: the error shows at most 32 characters of it, and
/// cutting it there must not split a multi-byte character.
#[test]
fn non_ascii_count_rejected() {
    for_each_wrapper(|kind| {
        let fixture = Fixture::new(kind);
        let root = fixture.reference.root_digest();
        let before = fixture.honest.snapshot();
        let values = [
            // Each byte decodes to U+FFFD, three bytes long.
            vec![0xff; 40],
            "\u{e9}".repeat(40).into_bytes(),
            [b"1".repeat(31), "\u{e9}".as_bytes().to_vec()].concat(),
        ];

        for value in values {
            fixture.hostile.lie_about(&fixture.count_key(root), replace_with(value.clone()));
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                fixture.store.delete(fixture.reference.as_bytes(), false)
            }))
            .unwrap_or_else(|_| panic!("{kind:?}: delete panicked on the count value {value:?}"));

            let expected_key = hex(root);
            assert!(
                matches!(&result, Err(Error::InvalidReferenceCount { key, value: shown }) if *key == expected_key && shown.chars().count() <= 32),
                "{kind:?}: {result:?}"
            );
            assert_eq!(fixture.honest.snapshot(), before, "{kind:?}: a rejected count changed the backend");
        }
    });
}

// ---------------------------------------------------------------------------------------
// Backend failures.

#[test]
fn intermittent_failures() {
    for_each_wrapper(|kind| {
        for every in 2..=9 {
            let fixture = Fixture::with_hostile(kind, |honest| HostileBackend::failing_one_in(honest, every));
            let context = format!("{kind:?}, one call in {every} failing");
            let is_injected = |error: &Error| matches!(error, Error::Backend { source, .. } if source.code == HOSTILE_FAILURE);

            for _ in 0..every {
                match fixture.store.get(fixture.reference.as_bytes()) {
                    Ok(content) => assert!(content == fixture.content, "{context}: get returned wrong bytes"),
                    Err(error) => assert!(is_injected(&error), "{context}: get: {error}"),
                }
                if let Err(error) = fixture.store.verify(fixture.reference.as_bytes()) {
                    assert!(is_injected(&error), "{context}: verify: {error}");
                }
            }

            // Retry the delete until the root's count is released, then let a repair
            // over an honest connection reclaim what the failures left behind.
            let mut attempts = 0;
            loop {
                attempts += 1;
                assert!(attempts < 1000, "{context}: delete never finished");
                match fixture.store.delete(fixture.reference.as_bytes(), false) {
                    Ok(()) | Err(Error::MissingReferenceCount { .. }) => break,
                    Err(error) => assert!(is_injected(&error), "{context}: delete: {error}"),
                }
            }
            let honest_store = StoreConfig::new(kind, 64).open(Box::new(fixture.honest.clone()), None);
            honest_store.check(&[fixture.other_reference.as_bytes()], true).unwrap();
            assert_eq!(fixture.honest.snapshot(), Fixture::only_other(kind), "{context}: state after repair");
        }
    });
}

// ---------------------------------------------------------------------------------------
// Resource bounds.

/// A 256 MiB value for a node of a 1 KiB content must be rejected by its size, before
/// the store copies or hashes it.
#[test]
fn huge_value_rejected_by_size() {
    const HUGE: usize = 256 << 20;
    // The content, one node and error messages, with room to spare.
    const BOUND: u64 = 64 << 10;

    let mut failures = Vec::new();
    for_each_wrapper(|kind| {
        for node in Fixture::new(kind).targets() {
            let fixture = Fixture::new(kind);
            fixture.hostile.lie_about(&node.key, huge(HUGE));
            let expected_key = hex(&node.key);
            let rejected_by_size = |result: &seccs::Result<()>| {
                matches!(result, Err(Error::CorruptNode { key, height, .. }) if *key == expected_key && *height == node.height)
            };

            let mut operations: Vec<(&str, Box<dyn Fn() -> seccs::Result<()>>)> = vec![
                ("get", Box::new(|| fixture.store.get(fixture.reference.as_bytes()).map(drop))),
                ("verify", Box::new(|| fixture.store.verify(fixture.reference.as_bytes()))),
            ];
            // A delete reads superchunks only.
            if node.height > 0 {
                operations.push(("delete", Box::new(|| fixture.store.delete(fixture.reference.as_bytes(), false))));
            }
            for (name, operation) in operations {
                let (result, allocations) = measure(operation);
                if !rejected_by_size(&result) || allocations.requested > BOUND {
                    failures.push(format!(
                        "{kind:?} {name}, 256 MiB for the node at height {}: {result:?}, {} bytes allocated (largest {})",
                        node.height, allocations.requested, allocations.largest
                    ));
                }
            }
        }
    });
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// A tree whose superchunks list empty leaves many times: each child then adds no
/// bytes, so the number of children per superchunk no longer bounds the work. `put`
/// never writes such a tree, but a key holder's bug could, and under SHA_256 anyone
/// with write access can. The read must fail after a number of backend reads bounded by
/// the content length.
#[test]
fn empty_leaf_fanout_bounded() {
    for_each_wrapper(|kind| {
        let backend = Arc::new(MemoryBackend::new());
        let config = StoreConfig::new(kind, 64);
        let writer = config.open(Box::new(backend.clone()), None);
        let wrapper = writer.wrapper();

        // The smallest length whose tree has height 3, and superchunks listing as many
        // children as that length allows at each level: about length^3 reads in all.
        let length = (1u64..).find(|&n| writer.height(n).unwrap() == 3).unwrap();
        let fanout = length as usize;
        let empty_leaf = wrapper.wrap(&[], 0, false);
        backend.set(&empty_leaf.key, &empty_leaf.value).unwrap();
        let mut child = empty_leaf.key;
        for height in 1..=3 {
            let node = wrapper.wrap(&child.repeat(fanout), height, height == 3);
            backend.set(&node.key, &node.value).unwrap();
            child = node.key;
        }
        let reference = ContentReference::new(&child, length);

        // A backend that fails once the reads exceed a budget generous for `length` bytes.
        let budget = 8 * length;
        let limited = Arc::new(HostileBackend::failing_after(backend.clone(), budget));
        let reader = config.open(Box::new(limited.clone()), None);
        for result in [reader.get(reference.as_bytes()).map(drop), reader.verify(reference.as_bytes())] {
            assert!(
                matches!(result, Err(Error::CorruptNode { .. })),
                "{kind:?}: expected a corrupt-node error within {budget} reads of a {length}-byte content, got {result:?}"
            );
        }
    });
}
