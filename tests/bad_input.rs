//! Bad input and a lying backend: each case returns one exact error variant, and none
//! panics. References of the wrong length or for unknown contents, altered, swapped
//! and misplaced nodes, nodes that verify but have impossible sizes (crafted with the
//! test's own key), missing nodes and counts, wrong keys and invalid configurations.

mod common;

use std::sync::Arc;

use seccs::crypto::{AesSiv256, HmacSha256};
use seccs::{Backend, ContentReference, Error, MemoryBackend, Store, WrapperKind};

use common::{TEST_KEY, TreeNode, count_key, hex, new_store, random_content, tree_nodes, wrapper};

/// Chunk size of the stores below, unless a test needs another.
const CHUNK_SIZE: u64 = 256;

/// Stores a `length`-byte content with `kind` at [`CHUNK_SIZE`]; returns the store, its
/// backend, the reference and the content's tree (parents first, leaves in content order).
fn stored_content(
    kind: WrapperKind,
    length: usize,
) -> (Store, Arc<MemoryBackend>, ContentReference, Vec<TreeNode>) {
    let (store, backend) = new_store(kind, CHUNK_SIZE);
    let content = random_content(length as u64, length, 256);
    let reference = store.put(&content, false).unwrap();
    let nodes = tree_nodes(&store, &backend, wrapper(kind).as_ref(), reference.as_bytes());
    (store, backend, reference, nodes)
}

/// Returns the `index`-th leaf of a tree, in content order.
fn leaf(nodes: &[TreeNode], index: usize) -> &TreeNode {
    nodes.iter().filter(|node| node.height == 0).nth(index).expect("the tree has enough leaves")
}

/// Wraps `value` as a node at `height` with the test key and writes it to `backend`, as
/// anyone with the key could; returns its key.
fn plant(backend: &MemoryBackend, kind: WrapperKind, value: &[u8], height: u32, is_root: bool) -> Vec<u8> {
    let wrapped = wrapper(kind).wrap(value, height, is_root);
    backend.set(&wrapped.key, &wrapped.value).unwrap();
    wrapped.key
}

fn reference(root_digest: &[u8], content_length: u64) -> Vec<u8> {
    ContentReference::new(root_digest, content_length).as_bytes().to_vec()
}

/// Flips the lowest bit of the first byte stored under `key`.
fn flip_bit(backend: &MemoryBackend, key: &[u8]) {
    let mut value = backend.get(key).unwrap().expect("the node is stored");
    value[0] ^= 1;
    backend.set(key, &value).unwrap();
}

/// Asserts that reading a content whose leaf was altered fails on that leaf with
/// `Integrity` (unkeyed wrapper) or `Authenticity` (keyed wrappers), for get and verify.
fn assert_altered_leaf_detected(kind: WrapperKind) {
    let (store, backend, reference, nodes) = stored_content(kind, 20_000);
    let altered = leaf(&nodes, 3);
    flip_bit(&backend, &altered.key);

    for result in [store.get(reference.as_bytes()).map(drop), store.verify(reference.as_bytes())] {
        let error = result.unwrap_err();
        if kind.is_keyed() {
            assert!(
                matches!(&error, Error::Authenticity { key, height: 0, is_root: false } if *key == hex(&altered.key)),
                "{kind}: {error:?}"
            );
        } else {
            assert!(
                matches!(&error, Error::Integrity { key, height: 0 } if *key == hex(&altered.key)),
                "{kind}: {error:?}"
            );
        }
    }
}

#[test]
fn get_rejects_short_reference() {
    let (store, _) = new_store(WrapperKind::AesSiv256, CHUNK_SIZE);

    let error = store.get(&[0u8; 10]).unwrap_err();

    assert!(matches!(error, Error::InvalidReference { length: 10, expected: 24 }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("10 bytes"), "{message}");
    assert!(message.contains("24 bytes"), "{message}");
}

#[test]
fn get_rejects_reference_of_other_digest_size() {
    let (aes_store, _) = new_store(WrapperKind::AesSiv256, CHUNK_SIZE);
    let aes_reference = aes_store.put(b"sixteen-byte digest", false).unwrap();
    let (sha_store, _) = new_store(WrapperKind::Sha256, CHUNK_SIZE);

    let error = sha_store.get(aes_reference.as_bytes()).unwrap_err();

    assert!(matches!(error, Error::InvalidReference { length: 24, expected: 40 }), "{error:?}");
}

#[test]
fn delete_rejects_wrong_length_reference() {
    let (store, backend, reference, _) = stored_content(WrapperKind::HmacSha256, 5_000);
    let before = backend.snapshot();

    let error = store.delete(&reference.as_bytes()[1..], false).unwrap_err();

    assert!(matches!(error, Error::InvalidReference { length: 39, expected: 40 }), "{error:?}");
    assert_eq!(backend.snapshot(), before);
}

#[test]
fn get_unknown_reference_not_found() {
    let (store, _) = new_store(WrapperKind::AesSiv256, CHUNK_SIZE);
    let root = [0x5au8; 16];
    let height = store.height(5_000).unwrap();

    let error = store.get(&reference(&root, 5_000)).unwrap_err();

    assert!(
        matches!(&error, Error::NotFound { key, height: read_height } if *key == hex(&root) && *read_height == height),
        "{error:?}"
    );
    assert!(error.to_string().contains(&hex(&root)), "{error}");
}

#[test]
fn delete_unknown_reference_changes_nothing() {
    let (store, backend, _, _) = stored_content(WrapperKind::AesSiv256, 5_000);
    let before = backend.snapshot();
    let root = [0x5au8; 16];

    let error = store.delete(&reference(&root, 5_000), false).unwrap_err();

    assert!(matches!(&error, Error::MissingReferenceCount { key } if *key == hex(&root)), "{error:?}");
    assert_eq!(backend.snapshot(), before);
}

#[test]
fn altered_leaf_sha_256() {
    assert_altered_leaf_detected(WrapperKind::Sha256);
}

#[test]
fn altered_leaf_hmac_sha_256() {
    assert_altered_leaf_detected(WrapperKind::HmacSha256);
}

#[test]
fn altered_leaf_hmac_sha_256_distinguished_root() {
    assert_altered_leaf_detected(WrapperKind::HmacSha256DistinguishedRoot);
}

#[test]
fn altered_leaf_aes_siv_256() {
    assert_altered_leaf_detected(WrapperKind::AesSiv256);
}

#[test]
fn altered_leaf_aes_siv_256_distinguished_root() {
    assert_altered_leaf_detected(WrapperKind::AesSiv256DistinguishedRoot);
}

#[test]
fn altered_root_aes_siv() {
    let (store, backend, reference, nodes) = stored_content(WrapperKind::AesSiv256, 20_000);
    let root = &nodes[0];
    flip_bit(&backend, &root.key);

    let error = store.get(reference.as_bytes()).unwrap_err();

    assert!(
        matches!(&error, Error::Authenticity { key, height, is_root: true } if *key == hex(&root.key) && *height == root.height),
        "{error:?}"
    );
}

#[test]
fn shortened_ciphertext_aes_siv() {
    let (store, backend, reference, nodes) = stored_content(WrapperKind::AesSiv256, 20_000);
    let shortened = leaf(&nodes, 0);
    let mut value = backend.get(&shortened.key).unwrap().unwrap();
    value.pop();
    backend.set(&shortened.key, &value).unwrap();

    let error = store.get(reference.as_bytes()).unwrap_err();

    assert!(
        matches!(&error, Error::Authenticity { key, height: 0, is_root: false } if *key == hex(&shortened.key)),
        "{error:?}"
    );
}

#[test]
fn swapped_leaves_sha_256() {
    let (store, backend, reference, nodes) = stored_content(WrapperKind::Sha256, 20_000);
    let (first, second) = (leaf(&nodes, 1), leaf(&nodes, 4));
    let first_value = backend.get(&first.key).unwrap().unwrap();
    let second_value = backend.get(&second.key).unwrap().unwrap();
    backend.set(&first.key, &second_value).unwrap();
    backend.set(&second.key, &first_value).unwrap();

    let error = store.get(reference.as_bytes()).unwrap_err();

    // Leaves are read in content order, so the first swapped one fails.
    assert!(matches!(&error, Error::Integrity { key, height: 0 } if *key == hex(&first.key)), "{error:?}");
}

#[test]
fn leaf_value_under_superchunk_key_aes_siv() {
    let (store, backend, reference, nodes) = stored_content(WrapperKind::AesSiv256DistinguishedRoot, 20_000);
    let superchunk = nodes.iter().find(|node| node.height == 1).expect("a height-1 node");
    let leaf_value = backend.get(&leaf(&nodes, 0).key).unwrap().unwrap();
    backend.set(&superchunk.key, &leaf_value).unwrap();

    let error = store.get(reference.as_bytes()).unwrap_err();

    assert!(
        matches!(&error, Error::Authenticity { key, height: 1, .. } if *key == hex(&superchunk.key)),
        "{error:?}"
    );
}

/// Asserts that a leaf of one content, referenced as a content of its own, fails to
/// verify as a root, because the distinguished-root wrappers bind the root flag.
fn assert_leaf_rejected_as_root(kind: WrapperKind) {
    let (store, _, _, nodes) = stored_content(kind, 20_000);
    let inner_leaf = leaf(&nodes, 2);
    assert_eq!(store.height(inner_leaf.content_length as u64).unwrap(), 0);

    let error = store.get(&reference(&inner_leaf.key, inner_leaf.content_length as u64)).unwrap_err();

    assert!(
        matches!(&error, Error::Authenticity { key, height: 0, is_root: true } if *key == hex(&inner_leaf.key)),
        "{kind}: {error:?}"
    );
    assert!(error.to_string().contains("root: true"), "{error}");
}

#[test]
fn leaf_as_root_hmac_distinguished_root() {
    assert_leaf_rejected_as_root(WrapperKind::HmacSha256DistinguishedRoot);
}

#[test]
fn leaf_as_root_aes_siv_distinguished_root() {
    assert_leaf_rejected_as_root(WrapperKind::AesSiv256DistinguishedRoot);
}

#[test]
fn leaf_as_root_undistinguished() {
    // The contrast case: without a root flag, a subtree reads as a content of its own.
    let (store, _, _, nodes) = stored_content(WrapperKind::HmacSha256, 20_000);
    let inner_leaf = leaf(&nodes, 2);

    let content = store.get(&reference(&inner_leaf.key, inner_leaf.content_length as u64)).unwrap();

    assert_eq!(content, inner_leaf.value);
}

#[test]
fn inner_superchunk_as_root_distinguished() {
    let kind = WrapperKind::AesSiv256DistinguishedRoot;
    let (store, _, _, nodes) = stored_content(kind, 200_000);
    // A height-1 node whose subtree length gives a tree of height 1, so that only the
    // root flag distinguishes it from a root.
    let inner = nodes
        .iter()
        .find(|node| {
            node.height == 1 && !node.is_root && store.height(node.content_length as u64).unwrap() == 1
        })
        .expect("a height-1 superchunk with a height-1 length");

    let error = store.get(&reference(&inner.key, inner.content_length as u64)).unwrap_err();

    assert!(
        matches!(&error, Error::Authenticity { key, height: 1, is_root: true } if *key == hex(&inner.key)),
        "{error:?}"
    );
}

/// Plants a root at height 2 that lists the root of a stored height-1 content twice,
/// and returns the store, the planted reference, and the listed root's key.
fn plant_root_over_root(kind: WrapperKind) -> (Store, Vec<u8>, Vec<u8>, Vec<u8>) {
    let (store, backend) = new_store(kind, CHUNK_SIZE);
    let content = random_content(9, 3_000, 256);
    let inner = store.put(&content, false).unwrap();
    assert_eq!(store.height(3_000).unwrap(), 1);
    assert_eq!(store.height(6_000).unwrap(), 2);

    let listing = [inner.root_digest(), inner.root_digest()].concat();
    let root = plant(&backend, kind, &listing, 2, true);
    (store, reference(&root, 6_000), inner.root_digest().to_vec(), content)
}

#[test]
fn root_as_inner_node_distinguished() {
    let (store, planted, inner_root, _) = plant_root_over_root(WrapperKind::AesSiv256DistinguishedRoot);

    let error = store.get(&planted).unwrap_err();

    assert!(
        matches!(&error, Error::Authenticity { key, height: 1, is_root: false } if *key == hex(&inner_root)),
        "{error:?}"
    );
}

#[test]
fn root_as_inner_node_undistinguished() {
    let (store, planted, _, content) = plant_root_over_root(WrapperKind::AesSiv256);

    assert_eq!(store.get(&planted).unwrap(), [content.clone(), content].concat());
}

#[test]
fn leaf_listed_at_height_one_hmac() {
    let kind = WrapperKind::HmacSha256;
    let (store, backend) = new_store(kind, CHUNK_SIZE);
    let leaf_key = plant(&backend, kind, &[7u8; 200], 0, false);
    // Height 2 at S = 256, R = 32 needs more than 2048 bytes.
    let length = 2_100;
    assert_eq!(store.height(length).unwrap(), 2);
    let root = plant(&backend, kind, &leaf_key, 2, true);

    let error = store.get(&reference(&root, length)).unwrap_err();

    assert!(
        matches!(&error, Error::Authenticity { key, height: 1, is_root: false } if *key == hex(&leaf_key)),
        "{error:?}"
    );
}

#[test]
fn length_with_wrong_height_sha_256() {
    let (store, _) = new_store(WrapperKind::Sha256, CHUNK_SIZE);
    let single_leaf = store.put(b"hello", false).unwrap();
    let height = store.height(5_000).unwrap();
    assert_ne!(height, 0);

    let error = store.get(&reference(single_leaf.root_digest(), 5_000)).unwrap_err();

    assert!(
        matches!(&error, Error::Integrity { key, height: read_height } if *key == hex(single_leaf.root_digest()) && *read_height == height),
        "{error:?}"
    );
}

#[test]
fn truncated_single_leaf() {
    let (store, _) = new_store(WrapperKind::Sha256, CHUNK_SIZE);
    let stored = store.put(b"abc", false).unwrap();

    let error = store.get(&reference(stored.root_digest(), 5)).unwrap_err();

    assert!(matches!(&error, Error::CorruptNode { height: 0, .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("3 bytes"), "{message}");
    assert!(message.contains("records 5"), "{message}");
}

#[test]
fn oversized_single_leaf() {
    let (store, _) = new_store(WrapperKind::Sha256, CHUNK_SIZE);
    let stored = store.put(b"abcdef", false).unwrap();

    let error = store.get(&reference(stored.root_digest(), 4)).unwrap_err();

    assert!(
        matches!(&error, Error::CorruptNode { key, height: 0, .. } if *key == hex(stored.root_digest())),
        "{error:?}"
    );
    assert!(error.to_string().contains("6 bytes"), "{error}");
}

#[test]
fn truncated_leaf_in_tree_hmac() {
    let kind = WrapperKind::HmacSha256;
    let (store, backend) = new_store(kind, CHUNK_SIZE);
    let first = plant(&backend, kind, &[1u8; 100], 0, false);
    let second = plant(&backend, kind, &[2u8; 50], 0, false);
    let root = plant(&backend, kind, &[first, second].concat(), 1, true);
    assert_eq!(store.height(300).unwrap(), 1);

    let error = store.get(&reference(&root, 300)).unwrap_err();

    assert!(matches!(&error, Error::CorruptNode { key, height: 1, .. } if *key == hex(&root)), "{error:?}");
    assert!(error.to_string().contains("150 bytes"), "{error}");
}

#[test]
fn oversized_leaf_in_tree_hmac() {
    let kind = WrapperKind::HmacSha256;
    let (store, backend) = new_store(kind, CHUNK_SIZE);
    let first = plant(&backend, kind, &[1u8; 200], 0, false);
    let second = plant(&backend, kind, &[2u8; 200], 0, false);
    let root = plant(&backend, kind, &[first, second.clone()].concat(), 1, true);

    let error = store.get(&reference(&root, 300)).unwrap_err();

    assert!(matches!(&error, Error::CorruptNode { key, height: 0, .. } if *key == hex(&second)), "{error:?}");
}

#[test]
fn superchunk_not_multiple_of_digest_size() {
    let kind = WrapperKind::Sha256;
    let (store, backend) = new_store(kind, CHUNK_SIZE);
    let root = plant(&backend, kind, &[0u8; 33], 1, true);

    let error = store.get(&reference(&root, 300)).unwrap_err();

    assert!(matches!(&error, Error::CorruptNode { key, height: 1, .. } if *key == hex(&root)), "{error:?}");
    assert!(error.to_string().contains("33 bytes"), "{error}");
}

#[test]
fn superchunk_empty() {
    let kind = WrapperKind::HmacSha256DistinguishedRoot;
    let (store, backend) = new_store(kind, CHUNK_SIZE);
    let root = plant(&backend, kind, &[], 1, true);

    let error = store.get(&reference(&root, 300)).unwrap_err();

    assert!(matches!(&error, Error::CorruptNode { key, height: 1, .. } if *key == hex(&root)), "{error:?}");
}

#[test]
fn superchunk_with_more_children_than_bytes() {
    let kind = WrapperKind::Sha256;
    let (store, backend) = new_store(kind, CHUNK_SIZE);
    let single_byte = plant(&backend, kind, b"x", 0, false);
    let root = plant(&backend, kind, &single_byte.repeat(300), 1, true);

    let error = store.get(&reference(&root, 257)).unwrap_err();

    assert!(matches!(&error, Error::CorruptNode { key, height: 1, .. } if *key == hex(&root)), "{error:?}");
    assert!(error.to_string().contains("300 children"), "{error}");
}

#[test]
fn forged_maximum_length() {
    // A chain of single-child superchunks down to a 3-byte leaf, as tall as a content
    // of u64::MAX bytes: reading it must end in an error, not in a huge allocation.
    let kind = WrapperKind::Sha256;
    let (store, backend) = new_store(kind, CHUNK_SIZE);
    let height = store.height(u64::MAX).unwrap();
    let mut key = plant(&backend, kind, b"abc", 0, height == 0);
    for node_height in 1..=height {
        key = plant(&backend, kind, &key, node_height, node_height == height);
    }

    let error = store.get(&reference(&key, u64::MAX)).unwrap_err();

    assert!(matches!(&error, Error::CorruptNode { key: root, .. } if *root == hex(&key)), "{error:?}");
}

#[test]
fn missing_leaf_not_found() {
    let (store, backend, reference, nodes) = stored_content(WrapperKind::AesSiv256, 20_000);
    let missing = leaf(&nodes, 5);
    backend.delete(&missing.key).unwrap();

    let error = store.get(reference.as_bytes()).unwrap_err();

    assert!(matches!(&error, Error::NotFound { key, height: 0 } if *key == hex(&missing.key)), "{error:?}");
}

#[test]
fn missing_superchunk_not_found() {
    let (store, backend, reference, nodes) = stored_content(WrapperKind::Sha256, 200_000);
    let missing = nodes.iter().find(|node| node.height == 1).expect("a height-1 node");
    backend.delete(&missing.key).unwrap();

    let error = store.verify(reference.as_bytes()).unwrap_err();

    assert!(matches!(&error, Error::NotFound { key, height: 1 } if *key == hex(&missing.key)), "{error:?}");
}

#[test]
fn wrong_key_hmac() {
    let (_, backend, reference, nodes) = stored_content(WrapperKind::HmacSha256, 20_000);
    let other_key = [0x11u8; 32];
    let store = Store::builder(CHUNK_SIZE, WrapperKind::HmacSha256.build(&other_key).unwrap())
        .build(Box::new(backend.clone()))
        .unwrap();

    let error = store.get(reference.as_bytes()).unwrap_err();

    assert!(
        matches!(&error, Error::Authenticity { key, is_root: true, .. } if *key == hex(&nodes[0].key)),
        "{error:?}"
    );
}

#[test]
fn wrong_key_aes_siv() {
    let (_, backend, reference, nodes) = stored_content(WrapperKind::AesSiv256, 20_000);
    let other_key = [0x11u8; 32];
    let store = Store::builder(CHUNK_SIZE, WrapperKind::AesSiv256.build(&other_key).unwrap())
        .build(Box::new(backend.clone()))
        .unwrap();

    let error = store.get(reference.as_bytes()).unwrap_err();

    assert!(
        matches!(&error, Error::Authenticity { key, height, is_root: true } if *key == hex(&nodes[0].key) && *height == nodes[0].height),
        "{error:?}"
    );
    assert!(error.to_string().contains("key is wrong"), "{error}");
}

#[test]
fn wrong_wrapper_same_key() {
    let (_, backend, reference, _) = stored_content(WrapperKind::AesSiv256, 20_000);
    let store = Store::builder(CHUNK_SIZE, wrapper(WrapperKind::AesSiv256DistinguishedRoot))
        .build(Box::new(backend.clone()))
        .unwrap();

    let error = store.get(reference.as_bytes()).unwrap_err();

    assert!(matches!(error, Error::Authenticity { is_root: true, .. }), "{error:?}");
}

#[test]
fn delete_after_uncounted_put() {
    let (store, backend) = new_store(WrapperKind::AesSiv256, CHUNK_SIZE);
    let reference = store.put(&random_content(1, 20_000, 256), true).unwrap();
    let before = backend.snapshot();

    let error = store.delete(reference.as_bytes(), false).unwrap_err();

    assert!(
        matches!(&error, Error::MissingReferenceCount { key } if *key == hex(reference.root_digest())),
        "{error:?}"
    );
    assert!(error.to_string().contains("ignore_rc"), "{error}");
    assert_eq!(backend.snapshot(), before);
}

#[test]
fn delete_twice() {
    let (store, backend) = new_store(WrapperKind::HmacSha256, CHUNK_SIZE);
    let kept = store.put(&random_content(2, 20_000, 256), false).unwrap();
    let deleted = store.put(&random_content(3, 20_000, 256), false).unwrap();
    store.delete(deleted.as_bytes(), false).unwrap();
    let before = backend.snapshot();

    let error = store.delete(deleted.as_bytes(), false).unwrap_err();

    assert!(
        matches!(&error, Error::MissingReferenceCount { key } if *key == hex(deleted.root_digest())),
        "{error:?}"
    );
    assert_eq!(backend.snapshot(), before);
    assert!(store.verify(kept.as_bytes()).is_ok());
}

#[test]
fn delete_with_forged_leaf_length() {
    // The reference names the root of a height-2 tree but records a length of a single
    // leaf. The root does not verify as a leaf, so the delete must fail and change
    // nothing: removing it as a leaf would orphan its children with their counts.
    let (store, backend, stored, _) = stored_content(WrapperKind::AesSiv256, 20_000);
    let forged_length = 200;
    assert_eq!(store.height(forged_length).unwrap(), 0);
    let before = backend.snapshot();

    let error = store.delete(&reference(stored.root_digest(), forged_length), false).unwrap_err();

    assert!(matches!(error, Error::Authenticity { height: 0, is_root: true, .. }), "{error:?}");
    assert_eq!(backend.snapshot(), before);
}

#[test]
fn delete_with_forged_height() {
    // The reference names the root of a height-2 tree but records a length of height 1.
    let (store, backend, stored, _) = stored_content(WrapperKind::AesSiv256, 20_000);
    let forged_length = 3_000;
    assert_eq!(store.height(forged_length).unwrap(), 1);
    let before = backend.snapshot();

    let error = store.delete(&reference(stored.root_digest(), forged_length), false).unwrap_err();

    assert!(matches!(error, Error::Authenticity { height: 1, is_root: true, .. }), "{error:?}");
    assert_eq!(backend.snapshot(), before);
    store.delete(stored.as_bytes(), false).unwrap();
    assert!(backend.is_empty());
}

#[test]
fn delete_with_child_count_missing() {
    let (store, backend, reference, nodes) = stored_content(WrapperKind::Sha256, 20_000);
    let uncounted = leaf(&nodes, 2);
    backend.delete(&count_key(&uncounted.key)).unwrap();

    let error = store.delete(reference.as_bytes(), false).unwrap_err();

    assert!(
        matches!(&error, Error::MissingReferenceCount { key } if *key == hex(&uncounted.key)),
        "{error:?}"
    );
}

#[test]
fn non_decimal_count_on_delete() {
    let (store, backend, reference, _) = stored_content(WrapperKind::AesSiv256, 20_000);
    backend.set(&count_key(reference.root_digest()), b"abc").unwrap();
    let before = backend.snapshot();

    let error = store.delete(reference.as_bytes(), false).unwrap_err();

    assert!(
        matches!(&error, Error::InvalidReferenceCount { key, value } if *key == hex(reference.root_digest()) && value == "abc"),
        "{error:?}"
    );
    assert!(error.to_string().contains("\"abc\""), "{error}");
    assert_eq!(backend.snapshot(), before);
}

#[test]
fn non_decimal_count_on_put() {
    let (store, backend) = new_store(WrapperKind::HmacSha256, CHUNK_SIZE);
    let content = random_content(4, 20_000, 256);
    let reference = store.put(&content, false).unwrap();
    backend.set(&count_key(reference.root_digest()), b"-1").unwrap();

    let error = store.put(&content, false).unwrap_err();

    assert!(
        matches!(&error, Error::InvalidReferenceCount { key, value } if *key == hex(reference.root_digest()) && value == "-1"),
        "{error:?}"
    );
}

#[test]
fn count_beyond_u64_range() {
    let (store, backend) = new_store(WrapperKind::Sha256, CHUNK_SIZE);
    let reference = store.put(b"counted", false).unwrap();
    backend.set(&count_key(reference.root_digest()), b"18446744073709551616").unwrap();

    let error = store.delete(reference.as_bytes(), false).unwrap_err();

    assert!(matches!(error, Error::InvalidReferenceCount { .. }), "{error:?}");
}

#[test]
fn count_increment_overflow() {
    let (store, backend) = new_store(WrapperKind::Sha256, CHUNK_SIZE);
    let reference = store.put(b"counted", false).unwrap();
    backend.set(&count_key(reference.root_digest()), u64::MAX.to_string().as_bytes()).unwrap();

    let error = store.put(b"counted", false).unwrap_err();

    assert!(matches!(error, Error::InvalidReferenceCount { .. }), "{error:?}");
    assert_eq!(common::stored_count(&backend, reference.root_digest()), Some(u64::MAX));
}

/// Asserts that `error` is `InvalidKeyLength` for `wrapper_name` and `length`, and that
/// neither its message nor its `Debug` output shows the key bytes.
fn assert_invalid_key_length(error: Error, wrapper_name: &str, length: usize, key: &[u8]) {
    assert!(
        matches!(&error, Error::InvalidKeyLength { wrapper, length: rejected, .. } if *wrapper == wrapper_name && *rejected == length),
        "{error:?}"
    );

    let shown = format!("{error} {error:?}");
    assert!(shown.contains(&length.to_string()), "{shown}");
    if let Some(start) = key.get(..4) {
        assert!(!shown.contains(&hex(start)), "{shown}");
        assert!(!shown.contains(&format!("{start:?}")), "{shown}");
    }
}

#[test]
fn aes_siv_key_too_short() {
    let key = &TEST_KEY[..31];

    let error = WrapperKind::AesSiv256.build(key).err().expect("a 31-byte key is rejected");

    assert_invalid_key_length(error, "AES_SIV_256", 31, key);
}

#[test]
fn aes_siv_key_too_long() {
    let key = [TEST_KEY, TEST_KEY].concat();

    let error = WrapperKind::AesSiv256DistinguishedRoot.build(&key).err().expect("a 64-byte key is rejected");

    assert_invalid_key_length(error, "AES_SIV_256_DISTINGUISHED_ROOT", 64, &key);
    let message = WrapperKind::AesSiv256.build(&key).err().unwrap().to_string();
    assert!(message.contains("exactly 32 bytes"), "{message}");
}

#[test]
fn aes_siv_key_empty() {
    let error = WrapperKind::AesSiv256.build(&[]).err().expect("an empty key is rejected");

    assert_invalid_key_length(error, "AES_SIV_256", 0, &[]);
}

#[test]
fn hmac_key_empty() {
    for kind in [WrapperKind::HmacSha256, WrapperKind::HmacSha256DistinguishedRoot] {
        let error = kind.build(&[]).err().expect("an empty key is rejected");

        assert_invalid_key_length(error, kind.name(), 0, &[]);
    }
}

#[test]
fn wrapper_debug_hides_key() {
    let aes = format!("{:?}", AesSiv256::new(&TEST_KEY, true).unwrap());
    let hmac = format!("{:?}", HmacSha256::new(&TEST_KEY, false).unwrap());
    let (store, _) = new_store(WrapperKind::AesSiv256, CHUNK_SIZE);
    let store = format!("{store:?}");

    for shown in [aes, hmac, store] {
        assert!(!shown.contains(&hex(&TEST_KEY[..4])), "{shown}");
        assert!(!shown.contains(&format!("{:?}", &TEST_KEY[..4])), "{shown}");
    }
}

#[test]
fn chunk_size_below_minimum() {
    let error =
        Store::builder(63, wrapper(WrapperKind::Sha256)).build(Box::new(MemoryBackend::new())).unwrap_err();

    assert!(
        matches!(error, Error::UnsupportedChunkSize { chunk_size: 63, digest_size: 32, min: 64 }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("63"), "{message}");
    assert!(message.contains("64 or more"), "{message}");
}

#[test]
fn chunk_size_below_minimum_aes_siv() {
    let error = Store::builder(31, wrapper(WrapperKind::AesSiv256))
        .build(Box::new(MemoryBackend::new()))
        .unwrap_err();

    assert!(
        matches!(error, Error::UnsupportedChunkSize { chunk_size: 31, digest_size: 16, min: 32 }),
        "{error:?}"
    );
}

#[test]
fn chunk_size_below_minimum_with_level_sizes() {
    // S = 24 with R = 16: S/R = 1.5 keeps the default height formula finite.
    let store = Store::builder(24, wrapper(WrapperKind::AesSiv256))
        .level_size_function(Box::new(|level| 24 << level))
        .build(Box::new(MemoryBackend::new()))
        .unwrap();
    let content = random_content(5, 10_000, 256);

    let reference = store.put(&content, false).unwrap();

    assert_eq!(store.level_size(3), 192);
    assert_eq!(store.get(reference.as_bytes()).unwrap(), content);
}

#[test]
fn chunk_size_equal_to_digest_size() {
    let error = Store::builder(16, wrapper(WrapperKind::AesSiv256))
        .level_size_function(Box::new(|level| 16 << level))
        .build(Box::new(MemoryBackend::new()))
        .unwrap_err();

    assert!(matches!(error, Error::InvalidArgument { name: "chunk size", .. }), "{error:?}");
}

#[test]
fn chunk_size_below_digest_size() {
    let error = Store::builder(8, wrapper(WrapperKind::AesSiv256))
        .level_size_function(Box::new(|level| 8 << level))
        .build(Box::new(MemoryBackend::new()))
        .unwrap_err();

    assert!(matches!(error, Error::InvalidArgument { name: "chunk size", .. }), "{error:?}");
}

#[test]
fn chunk_size_below_digest_size_with_height() {
    let store = Store::builder(8, wrapper(WrapperKind::AesSiv256))
        .level_size_function(Box::new(|level| 8 << level))
        .height_function(Box::new(|length| if length <= 8 { 0 } else { (length - 1).ilog2() - 2 }))
        .build(Box::new(MemoryBackend::new()))
        .unwrap();
    let content = random_content(6, 5_000, 256);

    let reference = store.put(&content, false).unwrap();

    assert_eq!(store.height(5_000).unwrap(), 10);
    assert_eq!(store.get(reference.as_bytes()).unwrap(), content);
}

#[test]
fn chunk_size_zero() {
    let error = Store::builder(0, wrapper(WrapperKind::AesSiv256))
        .level_size_function(Box::new(|level| 1 << level))
        .build(Box::new(MemoryBackend::new()))
        .unwrap_err();

    assert!(matches!(error, Error::InvalidArgument { name: "chunk size", .. }), "{error:?}");
}

#[test]
fn height_function_above_maximum() {
    let store = Store::builder(CHUNK_SIZE, wrapper(WrapperKind::HmacSha256))
        .height_function(Box::new(|_| 1_000))
        .build(Box::new(MemoryBackend::new()))
        .unwrap();

    let put_error = store.put(b"content", false).unwrap_err();
    let get_error = store.get(&reference(&[0u8; 32], 7)).unwrap_err();

    assert!(
        matches!(&put_error, Error::InvalidArgument { name: "tree height", value, .. } if value == "1000"),
        "{put_error:?}"
    );
    assert!(
        matches!(&get_error, Error::InvalidArgument { name: "tree height", value, .. } if value == "1000"),
        "{get_error:?}"
    );
}

#[test]
fn rabin_karp_window_zero() {
    let error = seccs::RabinKarp::new(0, 0).unwrap_err();

    assert!(matches!(&error, Error::InvalidArgument { value, .. } if value == "0"), "{error:?}");
}
