//! The logic of the fuzz targets, shared by the cargo-fuzz binaries in `fuzz/` (which
//! include this file with `#[path]`) and by `tests/fuzz_corpus.rs`, which replays the
//! committed corpus in a plain `cargo test`. It depends on `seccs` and `std` only.
//!
//! Every target panics when the store misbehaves: a panic inside the store, wrong
//! bytes returned, an undocumented error, or a backend left in the wrong state.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use seccs::{
    Backend, BackendError, ChunkingStrategy, ContentReference, Error, MemoryBackend, RabinKarp,
    ReferenceCounting, StaticChunking, Store, WrapperKind,
};

/// Target chunk size of the fixture stores: the smallest allowed for 32-byte digests.
const CHUNK_SIZE: u64 = 64;

/// Error code of a failure the scripted backend reports.
const SCRIPTED_FAILURE: i32 = -55;

/// Reads the fuzzer's bytes front to back; once they run out, every read yields zeros.
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&first, rest)) => {
                self.data = rest;
                first
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    /// Returns up to `count` bytes (fewer if the input runs out).
    fn bytes(&mut self, count: usize) -> &'a [u8] {
        let (taken, rest) = self.data.split_at(count.min(self.data.len()));
        self.data = rest;
        taken
    }

    fn rest(&mut self) -> &'a [u8] {
        self.bytes(self.data.len())
    }
}

/// Returns `length` bytes of a xorshift64 stream seeded with `seed`. The test support
/// module re-exports it, because the fuzz crate includes this file on its own.
pub fn pseudo_random(length: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn wrapper_key(kind: WrapperKind) -> Vec<u8> {
    if kind.is_keyed() { (0..32).map(|i| 0x5c ^ i as u8).collect() } else { Vec::new() }
}

fn open_store(kind: WrapperKind, chunk_size: u64, backend: Box<dyn Backend>) -> Store {
    let wrapper = kind.build(&wrapper_key(kind)).expect("fixture key is valid");
    Store::builder(chunk_size, wrapper).build(backend).expect("fixture configuration is valid")
}

fn memory_backend(entries: &HashMap<Vec<u8>, Vec<u8>>) -> Arc<MemoryBackend> {
    let backend = MemoryBackend::new();
    for (key, value) in entries {
        backend.set(key, value).expect("memory backend accepts every set");
    }
    Arc::new(backend)
}

/// Tells whether `error` is one a read may end in: the reference is malformed, or the
/// backend lacks, alters or fails to return a node.
fn is_read_error(error: &Error) -> bool {
    matches!(
        error,
        Error::InvalidReference { .. }
            | Error::NotFound { .. }
            | Error::Integrity { .. }
            | Error::Authenticity { .. }
            | Error::CorruptNode { .. }
            | Error::Backend { .. }
    )
}

/// Tells whether `error` is one a delete may end in: a read error, or a count that is
/// missing or not a number.
fn is_delete_error(error: &Error) -> bool {
    is_read_error(error) || matches!(error, Error::MissingReferenceCount { .. } | Error::InvalidReferenceCount { .. })
}

/// Asserts that `get` and `verify` of the same reference agree.
fn assert_get_matches_verify(got: &seccs::Result<Vec<u8>>, verified: &seccs::Result<()>) {
    match (got, verified) {
        (Ok(_), Ok(())) => {}
        (Err(a), Err(b)) => assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(b),
            "get and verify fail differently: {a} / {b}"
        ),
        _ => panic!("get and verify disagree: {got:?} / {verified:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Target `reference`: arbitrary content reference bytes.

/// A store holding a few contents, per wrapper, built once.
struct Fixture {
    entries: HashMap<Vec<u8>, Vec<u8>>,
    contents: Vec<(ContentReference, Vec<u8>)>,
}

fn fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        WrapperKind::ALL
            .iter()
            .map(|&kind| {
                let backend = Arc::new(MemoryBackend::new());
                let store = open_store(kind, CHUNK_SIZE, Box::new(backend.clone()));
                let contents = [pseudo_random(1500, 1), pseudo_random(40, 2), Vec::new()]
                    .into_iter()
                    .map(|content| (store.put(&content, false).expect("fixture put"), content))
                    .collect();
                Fixture { entries: backend.snapshot(), contents }
            })
            .collect()
    })
}

/// Runs get, verify and delete on a reference built from the input: raw bytes, or a
/// stored content's reference with the length replaced or bits flipped.
///
/// The first byte picks the wrapper (mod 5), how the reference is built (/5 mod 4) and
/// whether the delete ignores counts (bit 7).
pub fn reference(data: &[u8]) {
    let mut input = Input::new(data);
    if input.is_empty() {
        return;
    }
    let control = input.byte();
    let kind = WrapperKind::ALL[usize::from(control % 5)];
    let fixture = &fixtures()[usize::from(control % 5)];
    let ignore_rc = control & 0x80 != 0;

    let genuine = |index: usize| &fixture.contents[index % fixture.contents.len()].0;
    let bytes: Vec<u8> = match control / 5 % 4 {
        0 => input.rest().to_vec(),
        1 => {
            let base = genuine(usize::from(input.byte()));
            let mut length = [0u8; 8];
            let given = input.bytes(8);
            length[8 - given.len()..].copy_from_slice(given);
            ContentReference::new(base.root_digest(), u64::from_be_bytes(length)).as_bytes().to_vec()
        }
        2 => {
            let mut bytes = genuine(usize::from(input.byte())).as_bytes().to_vec();
            for (byte, flip) in bytes.iter_mut().zip(input.rest()) {
                *byte ^= flip;
            }
            bytes
        }
        _ => {
            let mut bytes = genuine(usize::from(input.byte())).as_bytes().to_vec();
            let keep = usize::from(input.byte()) % (bytes.len() + 1);
            bytes.truncate(keep);
            bytes.extend_from_slice(input.rest());
            bytes
        }
    };

    let backend = memory_backend(&fixture.entries);
    let store = open_store(kind, CHUNK_SIZE, Box::new(backend.clone()));
    let matching = fixture.contents.iter().find(|(reference, _)| reference.as_bytes() == bytes.as_slice());

    // A read succeeds exactly for a stored content's reference, with its bytes.
    let got = store.get(&bytes);
    let verified = store.verify(&bytes);
    assert_get_matches_verify(&got, &verified);
    match (&got, matching) {
        (Ok(content), Some((_, expected))) => assert!(content == expected, "get returned wrong bytes"),
        (Ok(content), None) => panic!("get of a reference that was never returned succeeded ({} bytes)", content.len()),
        (Err(error), Some(_)) => panic!("get of a stored content failed: {error}"),
        (Err(error), None) => assert!(is_read_error(error), "undocumented get error: {error:?}"),
    }

    // A delete of a reference whose root is not stored changes nothing; one whose root
    // is stored leaves the other contents readable.
    let before = backend.snapshot();
    let deleted = store.delete(&bytes, ignore_rc);
    if let Err(error) = &deleted {
        assert!(is_delete_error(error), "undocumented delete error: {error:?}");
    }
    let root = ContentReference::parse(&bytes, store.digest_size()).ok();
    let touched = fixture.contents.iter().find(|(reference, _)| Some(reference.root_digest()) == root.as_ref().map(|r| r.root_digest()));
    match touched {
        None => assert!(backend.snapshot() == before, "a delete of an unknown root changed the backend"),
        Some((touched, _)) => {
            for (reference, content) in &fixture.contents {
                if reference.root_digest() != touched.root_digest() {
                    let read = store.get(reference.as_bytes());
                    assert!(read.as_ref().is_ok_and(|read| read == content), "a delete broke another content: {read:?}");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Target `backend_values`: a backend whose returned values come from the fuzzer.

/// A backend whose `get` follows the fuzzer's script, over honest storage.
struct ScriptedBackend {
    honest: Arc<MemoryBackend>,
    script: Mutex<Vec<u8>>,
}

impl ScriptedBackend {
    fn next_byte(script: &mut Vec<u8>) -> u8 {
        if script.is_empty() { 0 } else { script.remove(0) }
    }
}

impl Backend for ScriptedBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        let stored = self.honest.get(key)?;
        let mut script = self.script.lock().unwrap();
        if script.is_empty() {
            return Ok(stored);
        }

        let action = Self::next_byte(&mut script);
        Ok(match action % 12 {
            4 => None,
            5 => return Err(BackendError::new(SCRIPTED_FAILURE, "scripted failure")),
            6 => {
                let length = usize::from(Self::next_byte(&mut script));
                let take = length.min(script.len());
                Some(script.drain(..take).collect())
            }
            7 => stored.map(|mut value| {
                let at = usize::from(Self::next_byte(&mut script));
                if !value.is_empty() {
                    let index = at % value.len();
                    value[index] ^= 1 << (at % 8);
                }
                value
            }),
            8 => stored.map(|mut value| {
                let cut = usize::from(Self::next_byte(&mut script));
                value.truncate(value.len().saturating_sub(cut));
                value
            }),
            9 => stored.map(|mut value| {
                let length = usize::from(Self::next_byte(&mut script));
                let take = length.min(script.len());
                value.extend(script.drain(..take));
                value
            }),
            10 => {
                let mut keys: Vec<Vec<u8>> = self.honest.snapshot().into_keys().collect();
                keys.sort();
                let index = usize::from(Self::next_byte(&mut script)) % keys.len().max(1);
                keys.get(index).and_then(|other| self.honest.get(other).ok().flatten())
            }
            11 => Some(vec![0u8; 64 << 10]),
            _ => stored,
        })
    }

    fn set(&self, key: &[u8], value: &[u8]) -> Result<(), BackendError> {
        self.honest.set(key, value)
    }

    fn delete(&self, key: &[u8]) -> Result<(), BackendError> {
        self.honest.delete(key)
    }

    fn contains(&self, key: &[u8]) -> Result<bool, BackendError> {
        self.honest.contains(key)
    }

    fn keys(&self) -> Option<Result<Vec<Vec<u8>>, BackendError>> {
        self.honest.keys()
    }
}

/// Reads a stored content through a backend whose values come from the fuzzer, or a
/// tree the fuzzer describes, wrapped with the store's own key.
///
/// The first byte picks the wrapper (mod 5) and the mode (/5 mod 2).
pub fn backend_values(data: &[u8]) {
    let mut input = Input::new(data);
    if input.is_empty() {
        return;
    }
    let control = input.byte();
    let kind = WrapperKind::ALL[usize::from(control % 5)];
    if control / 5 % 2 == 0 {
        scripted_lies(kind, input.rest());
    } else {
        described_tree(kind, &mut input);
    }
}

/// Reads, verifies and deletes a real content while each backend `get` follows the script.
fn scripted_lies(kind: WrapperKind, script: &[u8]) {
    let fixture = &fixtures()[WrapperKind::ALL.iter().position(|&k| k == kind).unwrap()];
    let (reference, content) = &fixture.contents[0];
    let honest = memory_backend(&fixture.entries);
    let backend = Arc::new(ScriptedBackend { honest: honest.clone(), script: Mutex::new(script.to_vec()) });
    let store = open_store(kind, CHUNK_SIZE, Box::new(backend.clone()));

    match store.get(reference.as_bytes()) {
        Ok(read) => assert!(read == *content, "get through a lying backend returned wrong bytes"),
        Err(error) => assert!(is_read_error(&error), "undocumented get error: {error:?}"),
    }
    if let Err(error) = store.verify(reference.as_bytes()) {
        assert!(is_read_error(&error), "undocumented verify error: {error:?}");
    }
    if let Err(error) = store.delete(reference.as_bytes(), false) {
        assert!(is_delete_error(&error), "undocumented delete error: {error:?}");
    }
}

/// A node of a fuzzer-described tree: its key and the height it was wrapped for.
struct DescribedNode {
    key: Vec<u8>,
    height: u32,
}

/// Stores up to 16 nodes the input describes (heights, root flags, leaf bytes, child
/// lists that point at earlier nodes or at unknown keys) and reads the last as a root.
/// Whatever the tree, a read either fails with a documented error or returns exactly
/// the bytes an independent walk of the stored nodes yields, of the recorded length.
fn described_tree(kind: WrapperKind, input: &mut Input<'_>) {
    let backend = Arc::new(MemoryBackend::new());
    let store = open_store(kind, CHUNK_SIZE, Box::new(backend.clone()));
    let digest_size = store.digest_size();

    let mut nodes: Vec<DescribedNode> = Vec::new();
    let count = usize::from(input.byte() % 16) + 1;
    for _ in 0..count {
        let header = input.byte();
        let height = u32::from(header % 6);
        let is_root = header & 0x80 != 0;
        let plain = if height == 0 {
            let length = usize::from(input.byte());
            input.bytes(length).to_vec()
        } else {
            let children = usize::from(input.byte() % 9);
            let mut plain = Vec::with_capacity(children * digest_size);
            for _ in 0..children {
                let pick = input.byte();
                match nodes.get(usize::from(pick) % nodes.len().max(1)) {
                    Some(child) if pick < 0xf0 => plain.extend_from_slice(&child.key),
                    _ => plain.extend(std::iter::repeat_n(pick, digest_size)),
                }
            }
            plain
        };
        let wrapped = store.wrapper().wrap(&plain, height, is_root);
        backend.set(&wrapped.key, &wrapped.value).unwrap();
        nodes.push(DescribedNode { key: wrapped.key, height });
    }

    let root = nodes.last().unwrap();
    let length = match input.byte() % 3 {
        0 => u64::from(input.u16()),
        1 => u64::from(input.byte()),
        // The length an honest walk finds, if any, so that reads can succeed.
        _ => independent_walk(&store, &backend, &root.key, root.height, true, u64::MAX).map_or(0, |bytes| bytes.len() as u64),
    };
    let reference = ContentReference::new(&root.key, length);
    let height = store.height(length).unwrap();

    let got = store.get(reference.as_bytes());
    let verified = store.verify(reference.as_bytes());
    assert_get_matches_verify(&got, &verified);
    match &got {
        Ok(read) => {
            assert_eq!(read.len() as u64, length, "get returned another length than the reference records");
            let expected = independent_walk(&store, &backend, &root.key, height, true, length);
            assert!(expected.as_deref() == Some(read.as_slice()), "get returned bytes an independent walk does not find");
        }
        Err(error) => assert!(is_read_error(error), "undocumented get error: {error:?}"),
    }

    let report = store.check(&[reference.as_bytes()], false).expect("check reports corrupt trees, it does not fail");
    if got.is_ok() {
        assert!(report.missing_nodes.is_empty(), "check finds missing nodes in a readable tree: {report:?}");
        assert!(report.corrupt_nodes.is_empty(), "check finds corrupt nodes in a readable tree: {report:?}");
    }
    if let Err(error) = store.delete(reference.as_bytes(), true) {
        assert!(is_delete_error(&error), "undocumented delete error: {error:?}");
    }
}

/// Concatenates the leaves below `key` by reading the backend directly. Returns `None`
/// if a node is missing or fails verification, or if a superchunk is not a whole
/// number of digests. Also returns `None` once the output exceeds `limit` bytes or the
/// walk exceeds 4096 nodes.
fn independent_walk(store: &Store, backend: &MemoryBackend, key: &[u8], height: u32, is_root: bool, limit: u64) -> Option<Vec<u8>> {
    let mut output = Vec::new();
    let mut budget = 4096u32;
    let mut stack = vec![(key.to_vec(), height, is_root)];
    while let Some((key, height, is_root)) = stack.pop() {
        budget = budget.checked_sub(1)?;
        let stored = backend.get(&key).ok()??;
        let plain = store.wrapper().unwrap(&stored, &key, height, is_root).ok()?;
        if height == 0 {
            output.extend_from_slice(&plain);
            if output.len() as u64 > limit {
                return None;
            }
            continue;
        }
        if plain.is_empty() || plain.len() % store.digest_size() != 0 {
            return None;
        }
        for child in plain.chunks(store.digest_size()).rev() {
            stack.push((child.to_vec(), height - 1, false));
        }
    }
    Some(output)
}

// ---------------------------------------------------------------------------------------
// Target `model`: put/get/delete sequences checked against a model.

/// Applies up to 48 operations from the input to a fresh store and checks them
/// against a model of the live contents and their counts. After every operation each
/// live content must read back, and deleting everything at the end must empty the
/// backend.
///
/// One exception follows seccs 0.0.5, whose backend state libseccs reproduces byte for
/// byte: when the same superchunk occurs twice in one content before its parent is
/// stored, its second occurrence finds a count of 0, so it is written again and its
/// children are counted twice. Such a content leaves nodes behind after its last
/// delete. The target then only requires every count to be at least the expected one,
/// and a repair to empty the backend.
///
/// The first byte picks the wrapper (mod 5), the chunking (/5 mod 2), where counts
/// live (/10 mod 2) and the chunk size, 2R or 3R (/20 mod 2).
pub fn model(data: &[u8]) {
    let mut input = Input::new(data);
    if input.is_empty() {
        return;
    }
    let control = input.byte();
    let kind = WrapperKind::ALL[usize::from(control % 5)];
    let chunking: Box<dyn ChunkingStrategy> = if control / 5 % 2 == 0 {
        Box::new(RabinKarp::new(48, 0).unwrap())
    } else {
        Box::new(StaticChunking::new())
    };
    let separate = control / 10 % 2 == 1;
    let chunk_size = kind.digest_size() as u64 * if control / 20 % 2 == 0 { 2 } else { 3 };

    let nodes = Arc::new(MemoryBackend::new());
    let counts = Arc::new(MemoryBackend::new());
    let counting = if separate { ReferenceCounting::Separate(Box::new(counts.clone())) } else { ReferenceCounting::KeySuffix };
    let wrapper = kind.build(&wrapper_key(kind)).unwrap();
    let store = Store::builder(chunk_size, wrapper)
        .chunking(chunking)
        .reference_counting(counting)
        .build(Box::new(nodes.clone()))
        .unwrap();

    let base = pseudo_random(600, 3);
    let pool: Vec<Vec<u8>> = vec![
        base.clone(),
        [&base[..300], &pseudo_random(40, 4)[..], &base[300..]].concat(),
        base[100..500].to_vec(),
        pseudo_random(20, 5),
        Vec::new(),
        base.repeat(2),
    ];

    // Live contents in order of first put, with their reference and count.
    let mut live: Vec<(Vec<u8>, ContentReference, u64)> = Vec::new();
    let mut forgotten: Vec<(Vec<u8>, ContentReference)> = Vec::new();

    for _ in 0..48 {
        if input.is_empty() {
            break;
        }
        let operation = input.byte();
        match operation % 4 {
            0 | 3 => {
                let content = pool[usize::from(input.byte()) % pool.len()].clone();
                let was_live = live.iter().any(|(c, _, _)| *c == content);
                let (reference, is_new) = store.put_and_check_if_new(&content, false).unwrap();
                if was_live {
                    assert!(!is_new, "a put of a live content reported a new root");
                }
                add_live(&mut live, content, reference);
            }
            1 => {
                let start = usize::from(input.byte()) * 2 % base.len();
                let end = (start + usize::from(input.byte()) * 2).min(base.len());
                let extra_length = usize::from(input.byte() % 48);
                let extra = input.bytes(extra_length);
                let content = [&base[start..end], extra].concat();
                let reference = store.put(&content, false).unwrap();
                add_live(&mut live, content, reference);
            }
            _ => {
                if live.is_empty() {
                    continue;
                }
                let index = usize::from(input.byte()) % live.len();
                store.delete(live[index].1.as_bytes(), false).unwrap();
                live[index].2 -= 1;
                if live[index].2 == 0 {
                    let (content, reference, _) = live.remove(index);
                    forgotten.push((content, reference));
                }
            }
        }

        for (content, reference, _) in &live {
            let read = store.get(reference.as_bytes()).unwrap_or_else(|error| panic!("a live content is lost: {error}"));
            assert!(read == *content, "a live content reads back wrong");
        }
        // A deleted content may still be readable through nodes other contents share,
        // but never as wrong bytes.
        for (content, reference) in &forgotten {
            match store.get(reference.as_bytes()) {
                Ok(read) => assert!(read == *content, "a deleted content reads back wrong"),
                Err(Error::NotFound { .. }) => {}
                Err(error) => panic!("a deleted content fails with {error}"),
            }
        }
    }

    let held: Vec<&[u8]> = live
        .iter()
        .flat_map(|(_, reference, count)| std::iter::repeat_n(reference.as_bytes(), *count as usize))
        .collect();
    let report = store.check(&held, false).unwrap();
    assert!(report.missing_nodes.is_empty(), "nodes of live contents are missing: {report:?}");
    assert!(report.corrupt_nodes.is_empty(), "nodes of live contents are corrupt: {report:?}");
    for wrong in &report.wrong_counts {
        assert!(wrong.stored > wrong.expected, "a count below the number of references: {wrong:?}");
    }

    for (_, reference, count) in &live {
        for _ in 0..*count {
            store.delete(reference.as_bytes(), false).unwrap();
        }
    }
    if report.is_clean() {
        assert!(nodes.is_empty(), "deleting every content left {} entries", nodes.len());
        assert!(counts.is_empty(), "deleting every content left {} count entries", counts.len());
    }

    let leftover = store.check(&[], true).unwrap();
    assert!(leftover.wrong_counts.is_empty(), "nothing is held, so no count can be wrong: {leftover:?}");
    assert!(nodes.is_empty(), "repair left {} entries", nodes.len());
    assert!(counts.is_empty(), "repair left {} count entries", counts.len());
}

fn add_live(live: &mut Vec<(Vec<u8>, ContentReference, u64)>, content: Vec<u8>, reference: ContentReference) {
    match live.iter_mut().find(|(c, _, _)| *c == content) {
        Some(entry) => {
            assert_eq!(entry.1, reference, "the same content got another reference");
            entry.2 += 1;
        }
        None => live.push((content, reference, 1)),
    }
}
