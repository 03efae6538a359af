//! Reference counts of contents in which one superchunk occurs twice.

mod common;

use std::sync::Arc;

use seccs::{MemoryBackend, Store, WrapperKind};

/// Returns `length` seeded random bytes.
fn pseudo_random(length: usize, seed: u64) -> Vec<u8> {
    common::random_content(seed, length, 256)
}

/// Returns a 16 KiB random block twice. At S = 256 its level-1 superchunks (about 4 KiB)
/// repeat before the level-2 superchunk that lists both copies is stored.
fn repeated_block_content() -> Vec<u8> {
    let block = pseudo_random(16 << 10, 11);
    [block.as_slice(), block.as_slice()].concat()
}

fn new_store(exact: bool) -> (Arc<MemoryBackend>, Store) {
    let backend = Arc::new(MemoryBackend::new());
    let wrapper = WrapperKind::AesSiv256.build(&[9u8; 32]).unwrap();
    let store = Store::builder(256, wrapper)
        .exact_reference_counts(exact)
        .build(Box::new(backend.clone()))
        .unwrap();
    (backend, store)
}

#[test]
fn compatible_counts_leak_repeated_superchunks() {
    let (backend, store) = new_store(false);
    let reference = store.put(&repeated_block_content(), false).unwrap();

    let report = store.check(&[reference.as_bytes()], false).unwrap();
    store.delete(reference.as_bytes(), false).unwrap();

    // This is the behaviour of seccs 0.0.5, kept by default for byte compatibility.
    assert!(!report.wrong_counts.is_empty(), "expected the double count of seccs 0.0.5");
    assert!(report.wrong_counts.iter().all(|wrong| wrong.stored > wrong.expected));
    assert!(!backend.is_empty(), "the double-counted nodes outlive the delete");
}

#[test]
fn exact_counts_reclaim_everything() {
    let (backend, store) = new_store(true);
    let content = repeated_block_content();
    let reference = store.put(&content, false).unwrap();

    let report = store.check(&[reference.as_bytes()], false).unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(store.get(reference.as_bytes()).unwrap(), content);

    store.delete(reference.as_bytes(), false).unwrap();
    assert!(backend.is_empty(), "{} entries left after the only delete", backend.len());
}

#[test]
fn exact_counts_same_reference() {
    let content = repeated_block_content();
    let (_, compatible) = new_store(false);
    let (_, exact) = new_store(true);

    let compatible_reference = compatible.put(&content, false).unwrap();
    let exact_reference = exact.put(&content, false).unwrap();

    assert_eq!(exact_reference, compatible_reference);
}

#[test]
fn exact_counts_with_shared_content() {
    let (backend, store) = new_store(true);
    let other = pseudo_random(40 << 10, 12);
    let other_reference = store.put(&other, false).unwrap();
    let before = backend.snapshot();

    let reference = store.put(&repeated_block_content(), false).unwrap();
    store.put(&repeated_block_content(), false).unwrap();
    store.delete(reference.as_bytes(), false).unwrap();
    store.delete(reference.as_bytes(), false).unwrap();

    assert_eq!(backend.snapshot(), before);
    assert_eq!(store.get(other_reference.as_bytes()).unwrap(), other);
}
