//! The sec-cs store: contents in, content references out, over an untrusted backend.
//!
//! A content of length n is cut into a chunk tree of height h (see [`Store::height`]):
//! leaves are content chunks, and each superchunk is the concatenation of its
//! children's digests. Every node is wrapped by the crypto wrapper and stored under its
//! digest, so equal nodes are stored once and shared by reference counting.

use std::sync::{Mutex, MutexGuard};

use crate::backend::Backend;
use crate::chunking::{Boundary, ChunkingStrategy, RabinKarp};
use crate::crypto::{CryptoWrapper, VerifyError, WrappedNode};
use crate::error::{Error, Result, hex};
use crate::reference::ContentReference;
use crate::refcount::{Counts, ReferenceCounting};
use crate::shape;

mod wrap_pipeline;

/// Heights above this are rejected: the default formula stays far below it for any
/// 64-bit length, so only a faulty custom height function can reach it.
pub const MAX_HEIGHT: u32 = 256;

/// Capacity reserved up front for a content read. Larger contents grow as they arrive,
/// so a forged length in a reference cannot force a huge allocation.
const MAX_INITIAL_CAPACITY: u64 = 64 << 20;

/// Maps a content length to the height of its tree.
pub type HeightFunction = Box<dyn Fn(u64) -> u32 + Send + Sync>;
/// Maps a tree level to its target chunk size.
pub type LevelSizeFunction = Box<dyn Fn(u32) -> u64 + Send + Sync>;

/// Configures and creates a [`Store`].
pub struct StoreBuilder {
    chunk_size: u64,
    wrapper: Box<dyn CryptoWrapper>,
    chunking: Option<Box<dyn ChunkingStrategy>>,
    counting: ReferenceCounting,
    height_function: Option<HeightFunction>,
    level_size_function: Option<LevelSizeFunction>,
    exact_reference_counts: bool,
}

impl StoreBuilder {
    /// Starts a configuration with target chunk size `chunk_size` (S) and `wrapper`.
    pub fn new(chunk_size: u64, wrapper: Box<dyn CryptoWrapper>) -> Self {
        Self {
            chunk_size,
            wrapper,
            chunking: None,
            counting: ReferenceCounting::KeySuffix,
            height_function: None,
            level_size_function: None,
            exact_reference_counts: false,
        }
    }

    /// Sets the chunking strategy (default: Rabin-Karp, window 48, seed 0).
    pub fn chunking(mut self, strategy: Box<dyn ChunkingStrategy>) -> Self {
        self.chunking = Some(strategy);
        self
    }

    /// Sets where reference counts are kept (default: key suffix in the node backend).
    pub fn reference_counting(mut self, counting: ReferenceCounting) -> Self {
        self.counting = counting;
        self
    }

    /// Replaces the content-length-to-height formula.
    pub fn height_function(mut self, function: HeightFunction) -> Self {
        self.height_function = Some(function);
        self
    }

    /// Replaces the level-to-chunk-size formula; this also lifts the S ≥ 2R limit.
    pub fn level_size_function(mut self, function: LevelSizeFunction) -> Self {
        self.level_size_function = Some(function);
        self
    }

    /// Counts a superchunk that occurs twice in one content before its parent is stored
    /// once, not twice (default: off, as in `seccs` 0.0.5).
    ///
    /// The Python package stores the second occurrence again, because its count is
    /// still 0, and so counts its children a second time. Deleting the content then
    /// leaves them behind. With this option every content's delete reclaims all of its
    /// nodes, but stores that hold such contents differ from the Python package's in
    /// those count entries.
    pub fn exact_reference_counts(mut self, exact: bool) -> Self {
        self.exact_reference_counts = exact;
        self
    }

    /// Creates the store over `backend`.
    pub fn build(self, backend: Box<dyn Backend>) -> Result<Store> {
        let digest_size = self.wrapper.digest_size();
        let min_chunk_size = 2 * digest_size as u64;
        if self.chunk_size == 0 {
            return Err(Error::InvalidArgument {
                name: "chunk size",
                value: "0".into(),
                hint: "use a positive chunk size (the default is 256 bytes)",
            });
        }
        if self.chunk_size < min_chunk_size && self.level_size_function.is_none() {
            return Err(Error::UnsupportedChunkSize {
                chunk_size: self.chunk_size,
                digest_size,
                min: min_chunk_size,
            });
        }

        if self.chunk_size <= digest_size as u64 && self.height_function.is_none() {
            return Err(Error::InvalidArgument {
                name: "chunk size",
                value: self.chunk_size.to_string(),
                hint: "the default height formula needs a chunk size above the digest size, \
                       so supply a custom height function as well",
            });
        }

        let chunking = match self.chunking {
            Some(strategy) => strategy,
            None => Box::new(RabinKarp::new(
                crate::chunking::rabin_karp::DEFAULT_WINDOW_SIZE,
                crate::chunking::rabin_karp::DEFAULT_SEED,
            )?),
        };

        Ok(Store {
            backend,
            wrapper: self.wrapper,
            chunking,
            counting: self.counting,
            chunk_size: self.chunk_size,
            height_function: self.height_function,
            level_size_function: self.level_size_function,
            exact_reference_counts: self.exact_reference_counts,
            write_lock: Mutex::new(()),
        })
    }
}

/// A sec-cs content store.
///
/// A store may be shared between threads: `put` and `delete` run one at a time
/// (reference counts are read-modify-write), `get` runs alongside them.
pub struct Store {
    backend: Box<dyn Backend>,
    wrapper: Box<dyn CryptoWrapper>,
    chunking: Box<dyn ChunkingStrategy>,
    counting: ReferenceCounting,
    chunk_size: u64,
    height_function: Option<HeightFunction>,
    level_size_function: Option<LevelSizeFunction>,
    exact_reference_counts: bool,
    write_lock: Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("chunk_size", &self.chunk_size)
            .field("wrapper", &self.wrapper.kind())
            .field("chunking", &self.chunking.describe())
            .field("counting", &self.counting)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Starts a configuration; see [`StoreBuilder`].
    pub fn builder(chunk_size: u64, wrapper: Box<dyn CryptoWrapper>) -> StoreBuilder {
        StoreBuilder::new(chunk_size, wrapper)
    }

    /// Returns the target chunk size S.
    pub fn chunk_size(&self) -> u64 {
        self.chunk_size
    }

    /// Returns the digest size R of the crypto wrapper.
    pub fn digest_size(&self) -> usize {
        self.wrapper.digest_size()
    }

    /// Returns the length of this store's content references, R + 8.
    pub fn reference_size(&self) -> usize {
        self.digest_size() + 8
    }

    /// Returns the crypto wrapper.
    pub fn wrapper(&self) -> &dyn CryptoWrapper {
        self.wrapper.as_ref()
    }

    /// Returns where reference counts are kept.
    pub fn reference_counting(&self) -> &ReferenceCounting {
        &self.counting
    }

    /// Returns the backend that stores the nodes.
    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// Returns the height of the tree of a content of `length` bytes.
    pub fn height(&self, length: u64) -> Result<u32> {
        let height = match &self.height_function {
            Some(function) => function(length),
            None => shape::default_height(length, self.chunk_size, self.digest_size()),
        };
        if height > MAX_HEIGHT {
            return Err(Error::InvalidArgument {
                name: "tree height",
                value: height.to_string(),
                hint: "the custom height function must return at most 256",
            });
        }
        Ok(height)
    }

    /// Returns the target chunk size of tree level `level` (level 0 is S itself).
    pub fn level_size(&self, level: u32) -> u64 {
        match &self.level_size_function {
            Some(function) => function(level),
            None => shape::default_level_size(level, self.chunk_size, self.digest_size()),
        }
    }

    /// Stores `content` and returns its reference. The root's count is incremented
    /// unless `ignore_rc`, in which case the caller must delete with `ignore_rc` too.
    pub fn put(&self, content: &[u8], ignore_rc: bool) -> Result<ContentReference> {
        self.put_and_check_if_new(content, ignore_rc).map(|(reference, _)| reference)
    }

    /// Stores `content`; returns its reference and whether the root node was new.
    ///
    /// Contents of at least 1 MiB are chunked and their leaves wrapped on as many
    /// threads as [`std::thread::available_parallelism`] reports. The backend calls
    /// stay on the calling thread in the same order, so the resulting backend state
    /// does not depend on the number of threads.
    pub fn put_and_check_if_new(
        &self,
        content: &[u8],
        ignore_rc: bool,
    ) -> Result<(ContentReference, bool)> {
        let length = content.len() as u64;
        let height = self.height(length)?;
        let boundaries = self.tree_boundaries(content, height);

        let _guard = self.lock_writes();
        let counts = self.counts();
        let mut written = WrittenSuperchunks::new(self.exact_reference_counts);

        let (root_key, is_new) = if height == 0 {
            self.store_node(&counts, &mut written, content, 0, true)?
        } else {
            // `open[t]` is the superchunk being filled at height t (index 0 is unused:
            // leaves are stored as soon as they are cut).
            let mut open: Vec<Vec<u8>> = vec![Vec::new(); height as usize + 1];
            let mut store_leaf = |index: usize, leaf: &[u8], wrapped: WrappedNode| -> Result<()> {
                let (leaf_key, _) = self.store_wrapped(&counts, &mut written, leaf, wrapped, 0, false)?;
                open[1].extend_from_slice(&leaf_key);

                // The boundary ends chunks at heights 1..=level too: those superchunks
                // are complete, so store them and list them one level up.
                let level = boundaries[index + 1].level;
                for node_height in 1..=level {
                    let node = std::mem::take(&mut open[node_height]);
                    let (key, _) =
                        self.store_node(&counts, &mut written, &node, node_height as u32, false)?;
                    open[node_height + 1].extend_from_slice(&key);
                }
                Ok(())
            };
            let wrapper = self.wrapper.as_ref();
            wrap_pipeline::for_each_wrapped_leaf(wrapper, content, &boundaries, &mut store_leaf)?;
            let root = std::mem::take(&mut open[height as usize]);
            self.store_node(&counts, &mut written, &root, height, true)?
        };

        if !ignore_rc {
            counts.increment(&root_key)?;
        }
        Ok((ContentReference::new(&root_key, length), is_new))
    }

    /// Returns the boundaries that delimit the leaves of a tree of `height`, starting
    /// with position 0 and ending with the content length, both at level `height - 1`.
    fn tree_boundaries(&self, content: &[u8], height: u32) -> Vec<Boundary> {
        if height == 0 {
            return Vec::new();
        }

        let top_level = height as usize - 1;
        let sizes: Vec<u64> = (0..height).map(|level| self.level_size(level)).collect();
        let mut boundaries = Vec::with_capacity(content.len() / self.chunk_size as usize + 2);
        boundaries.push(Boundary { position: 0, level: top_level });
        boundaries.extend(self.chunking.boundaries(content, &sizes));
        if boundaries.last().is_some_and(|last| last.position == content.len()) {
            boundaries.pop();
        }
        boundaries.push(Boundary { position: content.len(), level: top_level });
        boundaries
    }

    /// Stores one node unless an equal, verified, counted copy exists; returns its key
    /// and whether it was written. A new superchunk first counts one more reference
    /// to each child it lists, so a crash can leave counts too high but never too low.
    fn store_node(
        &self,
        counts: &Counts<'_>,
        written: &mut WrittenSuperchunks,
        value: &[u8],
        height: u32,
        is_root: bool,
    ) -> Result<(Vec<u8>, bool)> {
        let wrapped = self.wrapper.wrap(value, height, is_root);
        self.store_wrapped(counts, written, value, wrapped, height, is_root)
    }

    /// Stores node `value`, already wrapped as `wrapped`, as [`Store::store_node`] does.
    fn store_wrapped(
        &self,
        counts: &Counts<'_>,
        written: &mut WrittenSuperchunks,
        value: &[u8],
        wrapped: WrappedNode,
        height: u32,
        is_root: bool,
    ) -> Result<(Vec<u8>, bool)> {
        let existing = self.backend_get(&wrapped.key)?;
        let reusable = existing.is_some_and(|stored| {
            self.wrapper.stored_matches(&stored, &wrapped, value, height, is_root)
        });
        if reusable && (written.contains(&wrapped.key) || counts.get(&wrapped.key)? > 0) {
            return Ok((wrapped.key, false));
        }

        if height > 0 {
            for child in value.chunks(self.digest_size()) {
                counts.increment(child)?;
            }
        }
        self.backend
            .set(&wrapped.key, &wrapped.value)
            .map_err(|source| Error::Backend { operation: "set", key: hex(&wrapped.key), source })?;
        if height > 0 {
            written.insert(&wrapped.key);
        }
        Ok((wrapped.key, true))
    }

    /// Reads the content of `reference`, verifying every node.
    pub fn get(&self, reference: &[u8]) -> Result<Vec<u8>> {
        let reference = ContentReference::parse(reference, self.digest_size())?;
        let length = reference.content_length();

        // Reserve at the first leaf, once the path to it has verified, so that a forged
        // reference for an unknown root costs no allocation.
        let mut content = Vec::new();
        self.walk_content(&reference, &mut |leaf| {
            if content.capacity() == 0 {
                content.reserve(length.min(MAX_INITIAL_CAPACITY) as usize);
            }
            content.extend_from_slice(leaf);
        })?;
        Ok(content)
    }

    /// Reads and verifies every node of `reference`'s tree without assembling the
    /// content; the error names the first bad node and its height.
    pub fn verify(&self, reference: &[u8]) -> Result<()> {
        let reference = ContentReference::parse(reference, self.digest_size())?;
        self.walk_content(&reference, &mut |_| {})
    }

    /// Reads the tree of `reference` depth first and passes each verified leaf to
    /// `on_leaf`, in content order. Fails unless the leaves add up to the recorded length.
    fn walk_content(&self, reference: &ContentReference, on_leaf: &mut dyn FnMut(&[u8])) -> Result<()> {
        let length = reference.content_length();
        let height = self.height(length)?;

        let mut walk = ContentWalk { length, consumed: 0, on_leaf };
        self.read_subtree(reference.root_digest(), height, true, &mut walk)?;

        if walk.consumed != length {
            return Err(self.corrupt(reference.root_digest(), height, format!(
                "the tree holds {} bytes but the reference records {length}",
                walk.consumed
            )));
        }
        Ok(())
    }

    /// Reads node `key` and everything below it. `walk.length` bounds the bytes of the
    /// whole tree, so a lying backend cannot make a read grow without limit.
    fn read_subtree(&self, key: &[u8], height: u32, is_root: bool, walk: &mut ContentWalk<'_>) -> Result<()> {
        let remaining = walk.length - walk.consumed;
        let node = self.read_node(key, height, is_root, remaining)?;

        if height == 0 {
            return self.accept_leaf(key, &node, is_root, walk);
        }

        let digest_size = self.digest_size();
        let children = node.len() / digest_size;
        if node.is_empty() || node.len() % digest_size != 0 {
            return Err(self.corrupt(key, height, format!(
                "a superchunk of {} bytes is not a non-zero multiple of the digest size {digest_size}",
                node.len()
            )));
        }
        // Every child subtree contains at least one byte, because put never cuts empty chunks.
        if children as u64 > remaining {
            return Err(self.corrupt(key, height, format!(
                "{children} children cannot fit in the {remaining} bytes left of the content"
            )));
        }

        if height == 1 {
            return self.read_leaves(&node, walk);
        }
        for child in node.chunks(digest_size) {
            self.read_subtree(child, height - 1, false, walk)?;
        }
        Ok(())
    }

    /// Reads and verifies the leaves that a height-1 superchunk lists, and passes them to
    /// the walk in order. The leaves are fetched first and verified together with
    /// [`CryptoWrapper::unwrap_many`], which lets AES-SIV check several tags side by side.
    /// Errors come out as a leaf-by-leaf read would raise them: a leaf that is missing or
    /// too large stops the fetching, and the leaves before it are verified and passed on
    /// before that error is returned.
    fn read_leaves(&self, superchunk: &[u8], walk: &mut ContentWalk<'_>) -> Result<()> {
        let keys: Vec<&[u8]> = superchunk.chunks(self.digest_size()).collect();

        // Every wrapper stores a value exactly as long as its node, so the sizes of the
        // values fetched so far are the content bytes their leaves will take up.
        let mut left = walk.length - walk.consumed;
        let mut stored = Vec::with_capacity(keys.len());
        let mut fetch_error = None;
        for key in &keys {
            match self.fetch_node(key, 0, left) {
                Ok(value) => {
                    left -= value.len() as u64;
                    stored.push(value);
                }
                Err(error) => {
                    fetch_error = Some(error);
                    break;
                }
            }
        }

        let nodes: Vec<(&[u8], &[u8])> =
            stored.iter().zip(&keys).map(|(value, key)| (value.as_slice(), *key)).collect();
        let leaves = self.wrapper.unwrap_many(&nodes, 0, false);
        for (key, leaf) in keys.iter().zip(leaves) {
            let leaf = leaf.map_err(|error| verify_error(error, key, 0, false))?;
            self.accept_leaf(key, &leaf, false, walk)?;
        }
        fetch_error.map_or(Ok(()), Err)
    }

    /// Checks a verified leaf against its place in the tree and passes it to the walk.
    fn accept_leaf(&self, key: &[u8], leaf: &[u8], is_root: bool, walk: &mut ContentWalk<'_>) -> Result<()> {
        // Only the empty content has an empty leaf, as its root. Rejecting any other
        // makes every leaf use up at least one byte of the length, which bounds the
        // nodes a read visits even when superchunks list the same child many times.
        if leaf.is_empty() && !is_root {
            return Err(self.corrupt(key, 0, "an empty leaf below the root; put never cuts empty chunks".into()));
        }
        if leaf.len() as u64 > walk.length - walk.consumed {
            return Err(self.corrupt(key, 0, format!(
                "a leaf of {} bytes overruns the content length {}",
                leaf.len(),
                walk.length
            )));
        }
        walk.consumed += leaf.len() as u64;
        (walk.on_leaf)(leaf);
        Ok(())
    }

    /// Reads node `key` and verifies it as a node at `height` of a subtree that holds at
    /// most `max_length` content bytes. A stored value too large for that is rejected
    /// before verification, so that a lying backend cannot make the wrapper copy or hash
    /// more than the tree can hold: every wrapper stores a value exactly as long as its
    /// node, a leaf holds at most `max_length` bytes, and a superchunk lists at most
    /// `max_length` children, because every subtree holds at least one byte.
    pub(crate) fn read_node(&self, key: &[u8], height: u32, is_root: bool, max_length: u64) -> Result<Vec<u8>> {
        let stored = self.fetch_node(key, height, max_length)?;
        self.wrapper
            .unwrap(&stored, key, height, is_root)
            .map_err(|error| verify_error(error, key, height, is_root))
    }

    /// Reads node `key` without verifying it, and rejects a stored value too large for a
    /// node at `height` of a subtree of at most `max_length` content bytes.
    fn fetch_node(&self, key: &[u8], height: u32, max_length: u64) -> Result<Vec<u8>> {
        let stored = self
            .backend_get(key)?
            .ok_or_else(|| Error::NotFound { key: hex(key), height })?;

        let size = stored.len() as u64;
        if height == 0 && size > max_length {
            return Err(self.corrupt(key, height, format!(
                "a leaf of {size} bytes overruns the {max_length} bytes left of the content"
            )));
        }
        let children = size.div_ceil(self.digest_size() as u64);
        if height > 0 && children > max_length {
            return Err(self.corrupt(key, height, format!(
                "{children} children cannot fit in the {max_length} bytes left of the content"
            )));
        }
        Ok(stored)
    }

    /// Deletes the content of `reference`: decrements its root's count (unless
    /// `ignore_rc`) and reclaims every node whose count reaches zero.
    pub fn delete(&self, reference: &[u8], ignore_rc: bool) -> Result<()> {
        let reference = ContentReference::parse(reference, self.digest_size())?;
        let height = self.height(reference.content_length())?;

        let root = reference.root_digest();

        let _guard = self.lock_writes();
        let counts = self.counts();

        if !ignore_rc && counts.get(root)? == 0 {
            return Err(Error::MissingReferenceCount { key: hex(root) });
        }
        // Verify the root at the height that the reference's length implies before any
        // count changes, so that a reference with a forged length changes nothing.
        self.read_node(root, height, true, reference.content_length())?;

        if !ignore_rc && counts.decrement(root)? > 0 {
            return Ok(());
        }
        self.delete_subtree(&counts, root, height, true, reference.content_length())
    }

    /// Removes node `key` after releasing its children; a child whose count reaches
    /// zero is removed the same way. The node itself goes last, so that an interrupted
    /// delete leaves it readable and a later delete or repair can finish the work.
    /// `length` is the content length in the reference, which bounds every node's size.
    fn delete_subtree(&self, counts: &Counts<'_>, key: &[u8], height: u32, is_root: bool, length: u64) -> Result<()> {
        if height > 0 {
            let node = self.read_node(key, height, is_root, length)?;
            let digest_size = self.digest_size();
            if node.len() % digest_size != 0 {
                return Err(self.corrupt(key, height, format!(
                    "a superchunk of {} bytes is not a multiple of the digest size {digest_size}",
                    node.len()
                )));
            }
            for child in node.chunks(digest_size) {
                if counts.decrement(child)? == 0 {
                    self.delete_subtree(counts, child, height - 1, false, length)?;
                }
            }
        }

        self.backend
            .delete(key)
            .map_err(|source| Error::Backend { operation: "delete", key: hex(key), source })
    }

    pub(crate) fn backend_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.backend
            .get(key)
            .map_err(|source| Error::Backend { operation: "get", key: hex(key), source })
    }

    pub(crate) fn counts(&self) -> Counts<'_> {
        Counts::new(&self.counting, self.backend.as_ref())
    }

    pub(crate) fn lock_writes(&self) -> MutexGuard<'_, ()> {
        // The guarded data is `()`: a panic in another writer leaves nothing to repair here.
        self.write_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn corrupt(&self, key: &[u8], height: u32, reason: String) -> Error {
        Error::CorruptNode { key: hex(key), height, reason }
    }
}

/// Progress of a depth-first read of one content's tree.
struct ContentWalk<'a> {
    /// Content length recorded in the reference.
    length: u64,
    /// Bytes of leaves passed to `on_leaf` so far.
    consumed: u64,
    on_leaf: &'a mut dyn FnMut(&[u8]),
}

/// Superchunks written by the current put, remembered only with exact reference counts:
/// a second occurrence before its parent is stored is then reused, not stored and
/// counted again.
struct WrittenSuperchunks {
    keys: Option<std::collections::HashSet<Vec<u8>>>,
}

impl WrittenSuperchunks {
    fn new(exact: bool) -> Self {
        Self { keys: exact.then(std::collections::HashSet::new) }
    }

    fn contains(&self, key: &[u8]) -> bool {
        self.keys.as_ref().is_some_and(|keys| keys.contains(key))
    }

    fn insert(&mut self, key: &[u8]) {
        if let Some(keys) = &mut self.keys {
            keys.insert(key.to_vec());
        }
    }
}

/// Turns a wrapper's verification failure into the store error that names the node.
fn verify_error(error: VerifyError, key: &[u8], height: u32, is_root: bool) -> Error {
    match error {
        VerifyError::Integrity => Error::Integrity { key: hex(key), height },
        VerifyError::Authenticity => Error::Authenticity { key: hex(key), height, is_root },
    }
}
