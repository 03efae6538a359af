//! Store::check and repair on a store with planted damage.

mod common;

use std::sync::Arc;

use seccs::{Backend, Error, MemoryBackend, Store, WrapperKind};

/// Returns `length` seeded random bytes.
fn pseudo_random(length: usize, seed: u64) -> Vec<u8> {
    common::random_content(seed, length, 256)
}

fn new_store() -> (Arc<MemoryBackend>, Store) {
    let backend = Arc::new(MemoryBackend::new());
    let wrapper = WrapperKind::AesSiv256.build(&[3u8; 32]).unwrap();
    let store = Store::builder(256, wrapper).build(Box::new(backend.clone())).unwrap();
    (backend, store)
}

#[test]
fn check_clean_store() {
    let (_, store) = new_store();
    let first = store.put(&pseudo_random(50_000, 1), false).unwrap();
    let second = store.put(&pseudo_random(50_000, 1), false).unwrap();
    let third = store.put(&pseudo_random(9_000, 2), false).unwrap();

    let report = store.check(&[first.as_bytes(), second.as_bytes(), third.as_bytes()], false).unwrap();

    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.nodes_total, report.nodes_reachable);
    assert_eq!(report.repaired, 0);
}

#[test]
fn check_finds_and_repairs_leaks() {
    let (backend, store) = new_store();
    let kept = store.put(&pseudo_random(40_000, 3), false).unwrap();
    let expected_state = backend.snapshot();

    // A put whose reference is dropped leaves nodes and counts no held reference reaches.
    let leaked = store.put(&pseudo_random(30_000, 4), false).unwrap();
    // An over-count, as an interrupted put leaves behind.
    let mut root_count_key = kept.root_digest().to_vec();
    root_count_key.push(b'r');
    backend.set(&root_count_key, b"7").unwrap();

    let report = store.check(&[kept.as_bytes()], false).unwrap();
    assert!(!report.is_clean());
    assert!(report.orphan_nodes.contains(&leaked.root_digest().to_vec()));
    assert!(report.orphan_counts.contains(&leaked.root_digest().to_vec()));
    assert_eq!(report.wrong_counts.len(), 1);
    assert_eq!(report.wrong_counts[0].stored, 7);
    assert_eq!(report.wrong_counts[0].expected, 1);
    assert_eq!(report.repaired, 0, "a check without repair changes nothing");

    let repaired = store.check(&[kept.as_bytes()], true).unwrap();
    assert_eq!(
        repaired.repaired,
        (repaired.orphan_nodes.len() + repaired.orphan_counts.len() + repaired.wrong_counts.len()) as u64
    );
    assert_eq!(backend.snapshot(), expected_state);
    assert!(store.check(&[kept.as_bytes()], false).unwrap().is_clean());
}

#[test]
fn check_reports_missing_and_corrupt_nodes() {
    let (backend, store) = new_store();
    let reference = store.put(&pseudo_random(20_000, 5), false).unwrap();
    let root = backend.get(reference.root_digest()).unwrap().unwrap();
    let children: Vec<Vec<u8>> = {
        let wrapper = store.wrapper();
        let height = store.height(reference.content_length()).unwrap();
        let plain = wrapper.unwrap(&root, reference.root_digest(), height, true).unwrap();
        plain.chunks(16).map(<[u8]>::to_vec).collect()
    };
    backend.delete(&children[0]).unwrap();
    let mut tampered = backend.get(&children[1]).unwrap().unwrap();
    tampered[0] ^= 1;
    backend.set(&children[1], &tampered).unwrap();

    let report = store.check(&[reference.as_bytes()], true).unwrap();

    assert_eq!(report.missing_nodes.len(), 1);
    assert_eq!(report.missing_nodes[0].key, children[0]);
    assert_eq!(report.corrupt_nodes.len(), 1);
    assert_eq!(report.corrupt_nodes[0].key, children[1]);
    assert!(backend.get(&children[1]).unwrap().is_some(), "repair keeps corrupt nodes for inspection");
}

#[test]
fn check_rejects_backend_without_keys() {
    struct NoListing(MemoryBackend);
    impl Backend for NoListing {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, seccs::BackendError> {
            self.0.get(key)
        }
        fn set(&self, key: &[u8], value: &[u8]) -> Result<(), seccs::BackendError> {
            self.0.set(key, value)
        }
        fn delete(&self, key: &[u8]) -> Result<(), seccs::BackendError> {
            self.0.delete(key)
        }
        fn contains(&self, key: &[u8]) -> Result<bool, seccs::BackendError> {
            self.0.contains(key)
        }
    }

    let wrapper = WrapperKind::Sha256.build(&[]).unwrap();
    let store = Store::builder(256, wrapper).build(Box::new(NoListing(MemoryBackend::new()))).unwrap();

    let result = store.check(&[], false);

    assert!(matches!(result, Err(Error::Unsupported { operation: "check", .. })), "{result:?}");
}

#[test]
fn repair_writes_no_count_for_missing_root() {
    let (backend, store) = new_store();
    let kept = store.put(&pseudo_random(12_000, 6), false).unwrap();
    let deleted = store.put(&pseudo_random(8_000, 7), false).unwrap();
    store.delete(deleted.as_bytes(), false).unwrap();
    let expected_state = backend.snapshot();

    // The caller still lists the deleted reference: its root is missing, not miscounted.
    let report = store.check(&[kept.as_bytes(), deleted.as_bytes()], true).unwrap();

    assert_eq!(report.missing_nodes.len(), 1);
    assert_eq!(report.missing_nodes[0].key, deleted.root_digest());
    assert!(report.wrong_counts.is_empty(), "{:?}", report.wrong_counts);
    assert_eq!(report.repaired, 0);
    assert_eq!(backend.snapshot(), expected_state);
}
