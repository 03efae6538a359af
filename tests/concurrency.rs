//! Several threads share one store: puts, gets and deletes of overlapping contents run
//! at once, and the outcome must equal a sequential run of the same operations, with no
//! get ever returning wrong bytes.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use seccs::{Backend, ContentReference, Error, MemoryBackend, Store, WrapperKind};

use support::recording::RecordingBackend;
use support::{BackendState, Counting, MemoryBackends, StoreConfig, edited, pseudo_random};

const THREADS: usize = 4;
const OWN_CONTENTS: usize = 6;
const SHARED_CONTENTS: usize = 3;
const ROUNDS: usize = 3;

/// The contents of one run. They are edits of one base content, so that nodes are
/// shared between every pair of threads.
struct Contents {
    /// Put before the threads start and never deleted: every get of it must succeed.
    pinned: Vec<u8>,
    /// Put and deleted by every thread.
    shared: Vec<Vec<u8>>,
    /// `own[t]`: put and deleted by thread t only.
    own: Vec<Vec<Vec<u8>>>,
}

impl Contents {
    fn new(chunk_size: usize) -> Self {
        let base = pseudo_random(120 * chunk_size, 1);
        let region = base.len() - 4 * chunk_size;
        let shared = (0..SHARED_CONTENTS)
            .map(|j| edited(&base, (j * 37 * chunk_size) % region, &pseudo_random(2 * chunk_size, 50 + j as u64)))
            .collect();
        let own = (0..THREADS)
            .map(|t| {
                (0..OWN_CONTENTS)
                    .map(|i| {
                        let offset = ((t * OWN_CONTENTS + i) * 11 * chunk_size) % region;
                        edited(&base, offset, &pseudo_random(3 * chunk_size, 100 + (t * OWN_CONTENTS + i) as u64))
                    })
                    .collect()
            })
            .collect();
        Self { pinned: base, shared, own }
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    PutShared(usize),
    DeleteShared(usize),
    PutOwn(usize),
    DeleteOwn(usize),
}

/// Returns the operations of one thread. It puts every shared content, then puts each
/// own content once per round and deletes it again, except for the even ones in the
/// last round. Finally it deletes the shared contents.
fn thread_ops() -> Vec<Op> {
    let mut ops: Vec<Op> = (0..SHARED_CONTENTS).map(Op::PutShared).collect();
    for round in 0..ROUNDS {
        ops.extend((0..OWN_CONTENTS).map(Op::PutOwn));
        let last = round == ROUNDS - 1;
        ops.extend((0..OWN_CONTENTS).filter(|i| !(last && i % 2 == 0)).map(Op::DeleteOwn));
    }
    ops.extend((0..SHARED_CONTENTS).map(Op::DeleteShared));
    ops
}

/// Runs `thread`'s operations; after each, reads back everything the thread holds.
fn run_thread(store: &Store, contents: &Contents, thread: usize, references: &References) {
    let own = &contents.own[thread];
    let mut held_own = [0usize; OWN_CONTENTS];
    let mut held_shared = [false; SHARED_CONTENTS];

    for op in thread_ops() {
        match op {
            Op::PutShared(j) => {
                let reference = store.put(&contents.shared[j], false).unwrap();
                assert_eq!(&reference, &references.shared[j]);
                held_shared[j] = true;
            }
            Op::DeleteShared(j) => {
                store.delete(references.shared[j].as_bytes(), false).unwrap();
                held_shared[j] = false;
            }
            Op::PutOwn(i) => {
                let reference = store.put(&own[i], false).unwrap();
                assert_eq!(&reference, &references.own[thread][i]);
                held_own[i] += 1;
            }
            Op::DeleteOwn(i) => {
                store.delete(references.own[thread][i].as_bytes(), false).unwrap();
                held_own[i] -= 1;
            }
        }

        for (i, &count) in held_own.iter().enumerate() {
            if count > 0 {
                let read = store.get(references.own[thread][i].as_bytes()).unwrap();
                assert!(read == own[i], "thread {thread}: own content {i} read back wrong");
            }
        }
        for (j, &held) in held_shared.iter().enumerate() {
            if held {
                let read = store.get(references.shared[j].as_bytes()).unwrap();
                assert!(read == contents.shared[j], "thread {thread}: shared content {j} read back wrong");
            }
        }
    }
}

/// The reference of every content, computed by a separate store.
struct References {
    pinned: ContentReference,
    shared: Vec<ContentReference>,
    own: Vec<Vec<ContentReference>>,
}

impl References {
    fn new(config: &StoreConfig, contents: &Contents) -> Self {
        let backends = MemoryBackends::new(config);
        let store = backends.open(config);
        let put = |content: &[u8]| store.put(content, false).unwrap();
        Self {
            pinned: put(&contents.pinned),
            shared: contents.shared.iter().map(|content| put(content)).collect(),
            own: contents.own.iter().map(|own| own.iter().map(|content| put(content)).collect()).collect(),
        }
    }

    /// Returns every content with its reference.
    fn all<'a>(&'a self, contents: &'a Contents) -> Vec<(&'a ContentReference, &'a [u8])> {
        let mut all = vec![(&self.pinned, contents.pinned.as_slice())];
        all.extend(self.shared.iter().zip(&contents.shared).map(|(r, c)| (r, c.as_slice())));
        for (references, own) in self.own.iter().zip(&contents.own) {
            all.extend(references.iter().zip(own).map(|(r, c)| (r, c.as_slice())));
        }
        all
    }
}

/// Reads random contents until `stop`: each read returns the right bytes, or
/// `NotFound` for a content that a thread may be deleting.
fn run_reader(store: &Store, contents: &Contents, references: &References, seed: u64, stop: &AtomicBool, reads: &AtomicU64) {
    let all = references.all(contents);
    let mut state = seed | 1;
    while !stop.load(Ordering::Relaxed) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let (reference, content) = all[(state % all.len() as u64) as usize];
        let pinned = std::ptr::eq(reference, &references.pinned);

        let result = if state % 3 == 0 { store.verify(reference.as_bytes()).map(|()| None) } else { store.get(reference.as_bytes()).map(Some) };
        match result {
            Ok(Some(read)) => assert!(read == content, "a concurrent get returned wrong bytes"),
            Ok(None) => {}
            Err(Error::NotFound { .. }) if !pinned => {}
            Err(error) => panic!("concurrent read of {} failed: {error}", if pinned { "the pinned content" } else { "a content" }),
        }
        reads.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs the threads' operations at once, with two readers alongside, and returns the
/// final backend state and the number of reads the readers made.
fn run_concurrently(config: &StoreConfig, contents: &Contents, references: &References) -> (BackendState, u64) {
    let backends = MemoryBackends::new(config);
    // Yielding before every backend call makes the threads interleave inside operations.
    let nodes = Arc::new(RecordingBackend::yielding(backends.nodes.clone()));
    let counts = backends.counts.clone().map(|counts| Box::new(RecordingBackend::yielding(counts)) as Box<dyn Backend>);
    let store = Arc::new(config.open(Box::new(nodes), counts));
    store.put(&contents.pinned, false).unwrap();

    let stop = AtomicBool::new(false);
    let reads = AtomicU64::new(0);
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|seed| {
                let store = Arc::clone(&store);
                let (stop, reads) = (&stop, &reads);
                scope.spawn(move || run_reader(&store, contents, references, seed + 7, stop, reads))
            })
            .collect();
        let writers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let store = Arc::clone(&store);
                scope.spawn(move || run_thread(&store, contents, thread, references))
            })
            .collect();

        for writer in writers {
            writer.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        for reader in readers {
            reader.join().unwrap();
        }
    });
    (backends.state(), reads.into_inner())
}

/// Runs the same operations one thread after the other.
fn run_sequentially(config: &StoreConfig, contents: &Contents, references: &References) -> BackendState {
    let backends = MemoryBackends::new(config);
    let store = backends.open(config);
    store.put(&contents.pinned, false).unwrap();
    for thread in 0..THREADS {
        run_thread(&store, contents, thread, references);
    }
    backends.state()
}

fn check_config(config: StoreConfig) {
    let contents = Contents::new(config.chunk_size as usize);
    let references = References::new(&config, &contents);

    let sequential = run_sequentially(&config, &contents, &references);
    let (concurrent, reads) = run_concurrently(&config, &contents, &references);

    assert!(reads > 0, "{config:?}: the readers made no read");
    eprintln!("{config:?}: {reads} concurrent reads");
    assert!(concurrent == sequential, "{config:?}: concurrent run left another backend state than a sequential one");

    // The final state contains the pinned content and the even own contents, once each.
    let backends = MemoryBackends::from_state(&concurrent);
    let store = backends.open(&config);
    let mut held: Vec<&[u8]> = vec![references.pinned.as_bytes()];
    for own in &references.own {
        held.extend(own.iter().step_by(2).map(ContentReference::as_bytes));
    }
    let report = store.check(&held, false).unwrap();
    assert!(report.is_clean(), "{config:?}: {report:?}");
    assert_eq!(report.nodes_total, report.nodes_reachable, "{config:?}");
}

#[test]
fn concurrent_aes_siv() {
    check_config(StoreConfig::new(WrapperKind::AesSiv256, 64));
}

#[test]
fn concurrent_hmac_distinguished_root() {
    check_config(StoreConfig::new(WrapperKind::HmacSha256DistinguishedRoot, 64));
}

#[test]
fn concurrent_sha256_separate_counts() {
    check_config(StoreConfig::new(WrapperKind::Sha256, 64).with_counting(Counting::Separate));
}

/// A store is shared as `Arc<Store>`, so it must be `Send + Sync`.
#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
    assert_send_sync::<MemoryBackend>();
}
