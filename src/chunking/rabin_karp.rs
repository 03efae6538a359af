//! Rabin-Karp content-defined chunking, compatible with the `fastchunking` 0.0.3 package
//! that `seccs` 0.0.5 uses.
//!
//! A rolling polynomial hash with base 37 runs over a window of W bytes; each byte is
//! first mapped through a table of 256 random 29-bit values drawn from MT19937 seeded
//! with the chunker's seed. A position ends a chunk of target size s when the hash of
//! the window that ends there is below 2^29 / s, so chunks are s bytes long on average.
//!
//! # How the multi-level chunker is computed
//!
//! Every level hashes the same bytes, except that a level restarts from W zero bytes
//! after each boundary of a higher level. Once W content bytes have passed since that
//! restart, the window holds content bytes only, so the level's hash equals the *plain
//! hash*: the hash of the stream of W zeros followed by the whole content, which never
//! restarts. The chunker therefore works in two passes:
//!
//! 1. The candidate scan computes the plain hash at every position and keeps the
//!    positions where it is below the largest threshold. Positions are independent
//!    given the window bytes, so the scan hashes `LANES` stretches of the content at
//!    once to overlap their multiply chains, and large contents are split between
//!    threads.
//! 2. The merge walks the candidates in order. Outside the W positions that follow a
//!    restart, every level sees the plain hash, so a candidate's level is the highest
//!    level whose threshold its hash is below. Within those W positions the merge rolls
//!    the restarted levels byte by byte, exactly as the reference does.
//!
//! Both passes give the boundaries of the byte-at-a-time definition; the tests compare
//! them with a direct implementation of it.

use std::ops::Range;

use super::mt19937::Mt19937;
use super::{Boundary, ChunkingStrategy};
use crate::error::Error;

/// Hashes are kept modulo 2^29. Rolling works modulo 2^32 and masks when comparing,
/// which gives the same low 29 bits because 2^29 divides 2^32.
const HASH_MASK: u32 = (1 << 29) - 1;
const BASE: u32 = 37;

/// Default window size W of the original package.
pub const DEFAULT_WINDOW_SIZE: usize = 48;
/// Default seed of the original package.
pub const DEFAULT_SEED: u32 = 0;

/// Number of content stretches the candidate scan hashes side by side. On the AMD EPYC
/// (x86-64 with AVX-512) this was tuned on, four hide the latency of each stretch's
/// multiply-add chain, while six or eight run out of registers and are slower.
const LANES: usize = 4;
/// Positions per stretch in one step of the candidate scan; the step's hashes (64 KiB)
/// stay in the L2 cache between hashing and filtering.
const LANE_LENGTH: usize = 4096;
/// Content bytes each thread scans before the merge consumes the candidates; bounds the
/// memory the candidates of one segment can take.
const SEGMENT_LENGTH_PER_THREAD: usize = 2 << 20;
/// Contents shorter than this are scanned on the calling thread alone: starting a
/// thread costs tens of microseconds, about what scanning 64 KiB costs.
const PARALLEL_MIN_LENGTH: usize = 1 << 20;

/// A Rabin-Karp chunker with a fixed window size and character table.
#[derive(Clone)]
pub struct RabinKarp {
    window_size: usize,
    seed: u32,
    /// Value of each byte entering the window.
    table: [u32; 256],
    /// BASE^W · table[c] mod 2^32: what rolling byte c out of the window subtracts.
    outgoing: [u32; 256],
    /// Hash of a window of W zero bytes: the state after a restart.
    zero_window_hash: u32,
}

impl std::fmt::Debug for RabinKarp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabinKarp")
            .field("window_size", &self.window_size)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// A position whose plain hash is below the largest threshold of the levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    position: usize,
    /// The plain hash at `position`, already masked to 29 bits.
    hash: u32,
}

/// Buffers the candidate scan reuses from one step to the next.
#[derive(Default)]
struct ScanBuffers {
    /// The hashes of one step, row by row.
    hashes: Vec<u32>,
    /// The candidates of one step, per lane.
    lanes: [Vec<Candidate>; LANES],
}

impl RabinKarp {
    /// Creates a chunker; the window must hold at least one byte.
    pub fn new(window_size: usize, seed: u32) -> Result<Self, Error> {
        if window_size == 0 || window_size > 1 << 20 {
            return Err(Error::InvalidArgument {
                name: "Rabin-Karp window size",
                value: window_size.to_string(),
                hint: "use a window of 1 to 1048576 bytes (the default is 48)",
            });
        }

        let mut generator = Mt19937::new(seed);
        let mut table = [0u32; 256];
        for entry in table.iter_mut() {
            *entry = generator.next_u32() & HASH_MASK;
        }

        let mut outgoing_weight = 1u32;
        let mut zero_window_hash = 0u32;
        for _ in 0..window_size {
            outgoing_weight = outgoing_weight.wrapping_mul(BASE);
            zero_window_hash =
                BASE.wrapping_mul(zero_window_hash).wrapping_add(table[0]) & HASH_MASK;
        }
        let outgoing = table.map(|value| outgoing_weight.wrapping_mul(value));

        Ok(Self { window_size, seed, table, outgoing, zero_window_hash })
    }

    /// Returns the window size W.
    pub fn window_size(&self) -> usize {
        self.window_size
    }

    /// Returns the seed of the character table.
    pub fn seed(&self) -> u32 {
        self.seed
    }

    /// Returns the hash threshold for target chunk size `size`: trunc((1.0 / size) · 2^29),
    /// computed in double precision as the reference does.
    pub fn threshold(size: u64) -> u32 {
        if size == 0 {
            return u32::MAX;
        }
        ((1.0 / size as f64) * f64::from(1u32 << 29)) as u32
    }

    /// Single-level chunking without leading zeros: a position counts only once a full
    /// window of content bytes lies before it, so the first possible boundary is at W.
    pub fn single_level_boundaries(&self, content: &[u8], chunk_size: u64) -> Vec<usize> {
        // From position W on, the window contains content bytes only, so its hash is
        // the plain hash whatever precedes the content.
        let first = self.window_size.min(content.len() + 1);
        let mut candidates = Vec::new();
        if first <= content.len() {
            let positions = first - 1..content.len();
            self.scan(
                content,
                positions,
                Self::threshold(chunk_size),
                &mut ScanBuffers::default(),
                &mut candidates,
            );
        }
        candidates.into_iter().map(|candidate| candidate.position).collect()
    }

    /// Rolls the window hash one byte on: `incoming` enters, `outgoing` leaves.
    #[inline(always)]
    fn roll(&self, hash: u32, incoming: u8, outgoing: u8) -> u32 {
        BASE.wrapping_mul(hash)
            .wrapping_add(self.table[usize::from(incoming)])
            .wrapping_sub(self.outgoing[usize::from(outgoing)])
    }

    /// Returns the plain hash (unmasked) of the window that ends at `position`: the last
    /// W bytes of the content before it, preceded by zeros where the content is shorter.
    fn plain_hash(&self, content: &[u8], position: usize) -> u32 {
        let start = position.saturating_sub(self.window_size);
        let zeros = self.window_size - (position - start);
        let mut hash = 0u32;
        for _ in 0..zeros {
            hash = BASE.wrapping_mul(hash).wrapping_add(self.table[0]);
        }
        for &byte in &content[start..position] {
            hash = BASE.wrapping_mul(hash).wrapping_add(self.table[usize::from(byte)]);
        }
        hash
    }

    /// Appends, in increasing order, the positions in `positions` (exclusive start,
    /// inclusive end, as `start..end` means positions start+1..=end) whose plain hash
    /// is below `threshold`.
    fn scan(
        &self,
        content: &[u8],
        positions: Range<usize>,
        threshold: u32,
        buffers: &mut ScanBuffers,
        candidates: &mut Vec<Candidate>,
    ) {
        let Range { mut start, end } = positions;

        // Up to position W, zeros leave the window instead of content bytes.
        if start < self.window_size {
            let stop = end.min(self.window_size);
            self.scan_one_lane(content, start..stop, threshold, candidates);
            start = stop;
        }

        while end - start >= LANES * LANE_LENGTH {
            self.scan_lanes(content, start, LANE_LENGTH, threshold, buffers, candidates);
            start += LANES * LANE_LENGTH;
        }
        // The lane filter takes eight rows at a time, so the lane length is a multiple of 8.
        let lane_length = (end - start) / LANES / 8 * 8;
        if lane_length >= 64 {
            self.scan_lanes(content, start, lane_length, threshold, buffers, candidates);
            start += LANES * lane_length;
        }
        self.scan_one_lane(content, start..end, threshold, candidates);
    }

    /// Scans positions start+1..=end one after another.
    fn scan_one_lane(
        &self,
        content: &[u8],
        positions: Range<usize>,
        threshold: u32,
        candidates: &mut Vec<Candidate>,
    ) {
        let Range { start, end } = positions;
        let mut hash = self.plain_hash(content, start);
        for position in start + 1..=end {
            let outgoing = if position > self.window_size {
                content[position - 1 - self.window_size]
            } else {
                0
            };
            hash = self.roll(hash, content[position - 1], outgoing);
            if hash & HASH_MASK < threshold {
                candidates.push(Candidate { position, hash: hash & HASH_MASK });
            }
        }
    }

    /// Scans positions start+1..=start+LANES·lane_length as [`LANES`] stretches of
    /// `lane_length` positions each, rolled side by side. Requires start ≥ W, so that
    /// every outgoing byte is a content byte.
    fn scan_lanes(
        &self,
        content: &[u8],
        start: usize,
        lane_length: usize,
        threshold: u32,
        buffers: &mut ScanBuffers,
        candidates: &mut Vec<Candidate>,
    ) {
        debug_assert!(start >= self.window_size && lane_length.is_multiple_of(8));
        let window = self.window_size;
        let lane_start = |lane: usize| start + lane * lane_length;
        let mut state: [u32; LANES] =
            std::array::from_fn(|lane| self.plain_hash(content, lane_start(lane)));

        // Row i contains the hashes at offset i of every lane, so the lanes' chains are
        // interleaved in one loop body and run in parallel. Lane l reads the slice from
        // W bytes before its first position: byte i leaves the window as byte i + W enters.
        let lanes: [&[u8]; LANES] = std::array::from_fn(|lane| {
            &content[lane_start(lane) - window..][..lane_length + window]
        });
        if buffers.hashes.len() < LANES * lane_length {
            buffers.hashes.resize(LANES * lane_length, 0);
        }
        let hashes = &mut buffers.hashes[..LANES * lane_length];

        // Raw pointers instead of slice indexing: with bounds checks (or with one pointer
        // per lane and direction) the loop runs out of registers and was about 10% slower.
        let lane_pointers = lanes.map(<[u8]>::as_ptr);
        for (index, row) in hashes.chunks_exact_mut(LANES).enumerate() {
            for lane in 0..LANES {
                // SAFETY: `index` < lane_length because `hashes` has lane_length rows, and
                // each lane slice is lane_length + window bytes long, so both reads stay
                // inside `lanes[lane]`, which outlives the loop.
                let (incoming, outgoing) = unsafe {
                    let pointer = lane_pointers[lane].add(index);
                    (*pointer.add(window), *pointer)
                };
                state[lane] = self.roll(state[lane], incoming, outgoing);
                row[lane] = state[lane];
            }
        }

        // Candidates are rare (one per smallest chunk size), so blocks of four rows are
        // first tested together without branches. Because masked hashes are below 2^29,
        // a hash is below the threshold exactly when hash - min(threshold, 2^29) is
        // negative as a signed integer, so OR-ing those differences tests the block.
        // Matches are collected per lane, then appended lane by lane to keep positions
        // in increasing order.
        let signed_threshold = threshold.min(1 << 29) as i32;
        for (block, rows) in hashes.chunks_exact(4 * LANES).enumerate() {
            let rows: &[u32; 4 * LANES] = rows.try_into().expect("a block has four rows");
            let any_match = rows.iter().fold(0i32, |acc, &hash| {
                acc | ((hash & HASH_MASK) as i32).wrapping_sub(signed_threshold)
            });
            if any_match >= 0 {
                continue;
            }

            let mut matches = 0u32;
            for (offset, &hash) in rows.iter().enumerate() {
                matches |= u32::from(hash & HASH_MASK < threshold) << offset;
            }
            while matches != 0 {
                let offset = matches.trailing_zeros() as usize;
                matches &= matches - 1;
                let lane = offset % LANES;
                let position = lane_start(lane) + block * 4 + offset / LANES + 1;
                buffers.lanes[lane].push(Candidate { position, hash: rows[offset] & HASH_MASK });
            }
        }
        for lane in &mut buffers.lanes {
            debug_assert!(lane.is_sorted_by_key(|candidate| candidate.position));
            candidates.append(lane);
        }
    }

    /// Scans `positions` on up to `threads` threads, splitting them into equal parts.
    fn scan_parallel(
        &self,
        content: &[u8],
        positions: Range<usize>,
        threshold: u32,
        threads: usize,
        buffers: &mut ScanBuffers,
        candidates: &mut Vec<Candidate>,
    ) {
        let part_length = positions.len().div_ceil(threads.max(1));
        if threads <= 1 || part_length < LANES * LANE_LENGTH {
            self.scan(content, positions, threshold, buffers, candidates);
            return;
        }

        let parts: Vec<Range<usize>> = (0..threads)
            .map(|part| {
                let start = positions.start + part * part_length;
                start.min(positions.end)..(start + part_length).min(positions.end)
            })
            .collect();
        std::thread::scope(|scope| {
            let helpers: Vec<_> = parts[1..]
                .iter()
                .map(|part| {
                    let part = part.clone();
                    scope.spawn(move || {
                        let mut found = Vec::new();
                        self.scan(
                            content,
                            part,
                            threshold,
                            &mut ScanBuffers::default(),
                            &mut found,
                        );
                        found
                    })
                })
                .collect();

            self.scan(content, parts[0].clone(), threshold, buffers, candidates);
            for helper in helpers {
                // A panic in a helper is a bug in the scan; re-raise it on this thread.
                let found =
                    helper.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload));
                candidates.extend_from_slice(&found);
            }
        });
    }
}

impl ChunkingStrategy for RabinKarp {
    /// Runs one chunker per level over the content preceded by W-1 zero bytes. The
    /// chunker of level t restarts from the zero prefix after every boundary of a level
    /// above t, so chunks of a level never straddle the chunks of the levels above.
    ///
    /// Contents of 1 MiB or more are scanned on as many threads as
    /// [`std::thread::available_parallelism`] reports; the result does not depend on it.
    fn boundaries(&self, content: &[u8], chunk_sizes: &[u64]) -> Vec<Boundary> {
        let thresholds: Vec<u32> = chunk_sizes.iter().map(|&size| Self::threshold(size)).collect();
        let Some(&max_threshold) = thresholds.iter().max() else { return Vec::new() };
        if max_threshold == 0 {
            // No hash is below 0: chunk sizes above 2^29 never cut.
            return Vec::new();
        }

        let threads = if content.len() >= PARALLEL_MIN_LENGTH {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            1
        };
        let segment_length = SEGMENT_LENGTH_PER_THREAD * threads;

        let mut merge = Merge::new(self, content, &thresholds);
        let mut buffers = ScanBuffers::default();
        let mut candidates = Vec::new();
        let mut start = 0;
        while start < content.len() {
            let end = (start + segment_length).min(content.len());
            candidates.clear();
            self.scan_parallel(
                content,
                start..end,
                max_threshold,
                threads,
                &mut buffers,
                &mut candidates,
            );
            for &candidate in &candidates {
                merge.visit(candidate);
            }
            start = end;
        }
        merge.boundaries
    }

    fn describe(&self) -> String {
        format!("rabin-karp:{}:{}", self.window_size, self.seed)
    }
}

/// The second pass of the multi-level chunker: turns candidates into boundaries.
struct Merge<'a> {
    chunker: &'a RabinKarp,
    content: &'a [u8],
    thresholds: &'a [u32],
    /// Per level, the position of the last boundary of a higher level (0 at the start):
    /// the level's hash restarted there. Never increasing with the level.
    restarts: Vec<usize>,
    /// Per level, the rolling hash while the level is within W positions of its restart.
    hashes: Vec<u32>,
    /// Per level t, the largest threshold of levels t and above.
    plain_max_threshold: Vec<u32>,
    /// Every position up to this one has been decided.
    decided: usize,
    boundaries: Vec<Boundary>,
}

impl<'a> Merge<'a> {
    fn new(chunker: &'a RabinKarp, content: &'a [u8], thresholds: &'a [u32]) -> Self {
        Self {
            chunker,
            content,
            thresholds,
            restarts: vec![0; thresholds.len()],
            hashes: vec![0; thresholds.len()],
            plain_max_threshold: (0..thresholds.len())
                .map(|level| thresholds[level..].iter().copied().max().unwrap_or(0))
                .collect(),
            decided: 0,
            boundaries: Vec::new(),
        }
    }

    /// Decides candidate positions, in increasing order.
    fn visit(&mut self, candidate: Candidate) {
        if candidate.position <= self.decided {
            // Within the W positions after a restart, already decided by `walk`.
            return;
        }

        // Outside those positions every level's hash is the plain hash.
        let Some(level) = self.thresholds.iter().rposition(|&threshold| candidate.hash < threshold)
        else {
            return;
        };
        self.cut(candidate.position, level);
        self.decided = candidate.position;
        if level > 0 {
            self.hashes.fill(candidate.hash);
            self.restart_below(candidate.position, level);
            self.walk(candidate.position, candidate.hash);
        }
    }

    fn cut(&mut self, position: usize, level: usize) {
        self.boundaries.push(Boundary { position, level });
    }

    fn restart_below(&mut self, position: usize, level: usize) {
        for lower in 0..level {
            self.restarts[lower] = position;
            self.hashes[lower] = self.chunker.zero_window_hash;
        }
    }

    /// Rolls the restarted levels byte by byte from `position`, whose plain hash is
    /// `plain`, until every level's window contains content bytes only again.
    ///
    /// Restarts never increase with the level, so the levels still within W positions
    /// of their restart are a prefix, and levels restarted at the same position share
    /// one hash. A restarted level has zeros leaving its window up to W positions after
    /// its restart; from then on it equals the plain hash.
    fn walk(&mut self, mut position: usize, mut plain: u32) {
        let window = self.chunker.window_size;
        let levels = self.thresholds.len();

        // Level 0 restarts last, so once it is W positions past its restart, all are.
        while position < self.content.len() && position + 1 - self.restarts[0] < window {
            let restart = self.restarts[0];
            let group = self.restarts.iter().take_while(|&&other| other == restart).count();
            let others_plain = group == levels || position + 1 - self.restarts[group] > window;
            if !others_plain {
                // Nested restarts: roll level by level.
                position += 1;
                let (incoming, outgoing) = self.window_bytes(position);
                plain = self.chunker.roll(plain, incoming, outgoing);
                self.roll_restarted(position, incoming);
                self.decide(position, plain);
                continue;
            }

            // The common case: levels below `group` restarted together, and every other
            // level has the plain hash until level 0 leaves its restart window. Roll the
            // two hashes until one of them gets below a threshold of its levels.
            let group_threshold = self.thresholds[..group].iter().copied().max().unwrap_or(0);
            let plain_threshold = self.plain_max_threshold.get(group).copied().unwrap_or(0);
            let stop = (restart + window - 1).min(self.content.len());
            let mut hash = self.hashes[0];
            let mut matched = false;
            while position < stop {
                position += 1;
                let (incoming, outgoing) = self.window_bytes(position);
                hash = self.chunker.roll(hash, incoming, 0);
                plain = self.chunker.roll(plain, incoming, outgoing);
                if hash & HASH_MASK < group_threshold || plain & HASH_MASK < plain_threshold {
                    matched = true;
                    break;
                }
            }
            self.hashes[..group].fill(hash);
            if matched {
                self.decide(position, plain);
            }
        }
        self.decided = position;
    }

    /// Returns the bytes that enter and leave the plain window at `position`.
    fn window_bytes(&self, position: usize) -> (u8, u8) {
        let window = self.chunker.window_size;
        let outgoing = if position > window { self.content[position - 1 - window] } else { 0 };
        (self.content[position - 1], outgoing)
    }

    /// Rolls the hash of every level within W positions of its restart to `position`.
    fn roll_restarted(&mut self, position: usize, incoming: u8) {
        let mut shared_restart = usize::MAX;
        let mut shared_hash = 0;
        for level in 0..self.thresholds.len() {
            let restart = self.restarts[level];
            if position - restart > self.chunker.window_size {
                break;
            }
            if restart != shared_restart {
                shared_restart = restart;
                shared_hash = self.chunker.roll(self.hashes[level], incoming, 0);
            }
            self.hashes[level] = shared_hash;
        }
    }

    /// Cuts at `position` if a level's hash there is below its threshold. `plain` is the
    /// plain hash, and `hashes` contains the restarted levels' hashes at `position`.
    fn decide(&mut self, position: usize, plain: u32) {
        let mut matched = None;
        for level in 0..self.thresholds.len() {
            if position - self.restarts[level] > self.chunker.window_size {
                // This level and all above see the plain hash.
                matched = self.thresholds[level..]
                    .iter()
                    .rposition(|&threshold| plain & HASH_MASK < threshold)
                    .map(|offset| level + offset)
                    .or(matched);
                break;
            }
            if self.hashes[level] & HASH_MASK < self.thresholds[level] {
                matched = Some(level);
            }
        }

        if let Some(level) = matched {
            self.cut(position, level);
            self.restart_below(position, level);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::random_bytes;

    /// Computes the boundaries byte at a time, as the definition reads: one rolling
    /// window per level, restarted from the zero window after every boundary of a higher
    /// level.
    fn reference_boundaries(
        chunker: &RabinKarp,
        content: &[u8],
        chunk_sizes: &[u64],
    ) -> Vec<Boundary> {
        let thresholds: Vec<u32> =
            chunk_sizes.iter().map(|&size| RabinKarp::threshold(size)).collect();
        let table = &chunker.table;
        let weight = (0..chunker.window_size).fold(1u32, |weight, _| weight.wrapping_mul(BASE));
        let zero_hash =
            (0..chunker.window_size).fold(0u32, |hash, _| (BASE * hash + table[0]) & HASH_MASK);
        // Each level keeps its hash and a ring of its last W bytes, all zeros after a restart.
        let restarted = || (zero_hash, vec![0u8; chunker.window_size]);
        let mut windows: Vec<(u32, Vec<u8>)> = thresholds.iter().map(|_| restarted()).collect();
        let mut boundaries = Vec::new();

        for (index, &byte) in content.iter().enumerate() {
            let mut matched = None;
            for (level, (hash, ring)) in windows.iter_mut().enumerate() {
                let slot = index % ring.len();
                let outgoing = std::mem::replace(&mut ring[slot], byte);
                *hash = BASE
                    .wrapping_mul(*hash)
                    .wrapping_add(table[usize::from(byte)])
                    .wrapping_sub(weight.wrapping_mul(table[usize::from(outgoing)]))
                    & HASH_MASK;
                if *hash < thresholds[level] {
                    matched = Some(level);
                }
            }
            if let Some(level) = matched {
                boundaries.push(Boundary { position: index + 1, level });
                windows[..level].fill_with(restarted);
            }
        }
        boundaries
    }

    fn reference_single_level(chunker: &RabinKarp, content: &[u8], chunk_size: u64) -> Vec<usize> {
        let threshold = RabinKarp::threshold(chunk_size);
        (chunker.window_size..=content.len())
            .filter(|&position| {
                let window = &content[position - chunker.window_size..position];
                let hash = window.iter().fold(0u32, |hash, &byte| {
                    BASE.wrapping_mul(hash).wrapping_add(chunker.table[usize::from(byte)])
                });
                hash & HASH_MASK < threshold
            })
            .collect()
    }


    /// Content with long runs of one byte and repeated blocks, where windows repeat.
    fn repetitive_bytes(seed: u64, length: usize) -> Vec<u8> {
        let noise = random_bytes(seed, length);
        let mut content = Vec::with_capacity(length);
        let mut index = 0;
        while content.len() < length {
            let run = usize::from(noise[index % length]) * 3 + 1;
            match noise[(index + 1) % length] % 3 {
                0 => content.extend(std::iter::repeat_n(0u8, run)),
                1 => content.extend(std::iter::repeat_n(noise[(index + 2) % length], run)),
                _ => {
                    let start = content.len().saturating_sub(run * 2);
                    let copy: Vec<u8> = content[start..].iter().copied().take(run).collect();
                    content.extend(copy);
                    content.push(noise[(index + 3) % length]);
                }
            }
            index += 4;
        }
        content.truncate(length);
        content
    }

    fn check_multilevel(chunker: &RabinKarp, content: &[u8], sizes: &[u64]) {
        let expected = reference_boundaries(chunker, content, sizes);
        let actual = chunker.boundaries(content, sizes);
        assert_eq!(
            actual.len(),
            expected.len(),
            "boundary count for W={}, seed={}, sizes={sizes:?}, length={}",
            chunker.window_size,
            chunker.seed,
            content.len()
        );
        if let Some(index) = actual.iter().zip(&expected).position(|(a, e)| a != e) {
            panic!(
                "first difference at boundary {index}: {:?} found, {:?} expected (W={}, seed={}, sizes={sizes:?})",
                actual[index], expected[index], chunker.window_size, chunker.seed
            );
        }
    }

    #[test]
    fn multilevel_matches_reference_on_random_content() {
        let level_sets: [&[u64]; 6] = [
            &[256],
            &[256, 4096],
            &[256, 4096, 65536, 1 << 20],
            &[32, 64, 128, 256],
            &[4096, 1 << 16],
            &[8, 16, 24, 32],
        ];
        for window in [1, 2, 7, 16, 48, 64, 200] {
            for seed in [0, 7, 12345] {
                let chunker = RabinKarp::new(window, seed).unwrap();
                for (index, sizes) in level_sets.iter().enumerate() {
                    let content = random_bytes(
                        window as u64 * 1000 + u64::from(seed) + index as u64,
                        150_000,
                    );
                    check_multilevel(&chunker, &content, sizes);
                }
            }
        }
    }

    #[test]
    fn multilevel_matches_reference_when_levels_restart_often() {
        // Tiny upper levels cut within W of each other, so the restart walks chain.
        let level_sets: [&[u64]; 5] = [&[2, 3, 4], &[1, 2], &[3, 3, 3], &[4, 2, 1], &[0, 5]];
        for window in [1, 3, 16, 48] {
            let chunker = RabinKarp::new(window, 99).unwrap();
            for sizes in level_sets {
                check_multilevel(&chunker, &random_bytes(window as u64, 20_000), sizes);
                check_multilevel(&chunker, &repetitive_bytes(window as u64, 20_000), sizes);
            }
        }
    }

    #[test]
    fn multilevel_matches_reference_on_repetitive_content() {
        for window in [16, 48] {
            let chunker = RabinKarp::new(window, 0).unwrap();
            for sizes in [&[64u64, 256, 1024][..], &[256, 4096, 65536]] {
                check_multilevel(&chunker, &repetitive_bytes(3, 300_000), sizes);
            }
        }
    }

    #[test]
    fn multilevel_matches_reference_at_every_short_length() {
        // Covers the edges of the lane split: every length around the lane and window sizes.
        let chunker = RabinKarp::new(48, 0).unwrap();
        let content = random_bytes(5, 40_000);
        for length in (0..300).chain((LANES * 64 - 70..LANES * 64 + 70).step_by(3)).chain([
            LANES * LANE_LENGTH - 1,
            LANES * LANE_LENGTH,
            LANES * LANE_LENGTH + 48,
            LANES * LANE_LENGTH * 2 + 13,
        ]) {
            check_multilevel(&chunker, &content[..length], &[16, 64, 256]);
        }
    }

    #[test]
    fn multilevel_matches_reference_across_threads_and_segments() {
        // Longer than the parallel threshold and than one segment, so the scan is split
        // between threads and segments whenever the machine has more than one CPU.
        let chunker = RabinKarp::new(48, 0).unwrap();
        let content = random_bytes(11, 5 * SEGMENT_LENGTH_PER_THREAD + 12_345);
        check_multilevel(&chunker, &content, &[256, 4096, 65536]);
        check_multilevel(&chunker, &content, &[64, 128]);
    }

    #[test]
    fn multilevel_handles_sizes_without_cuts() {
        let chunker = RabinKarp::new(48, 0).unwrap();
        let content = random_bytes(1, 10_000);
        assert_eq!(chunker.boundaries(&content, &[]), Vec::new());
        assert_eq!(chunker.boundaries(&content, &[1 << 30]), Vec::new());
        check_multilevel(&chunker, &content, &[1 << 30, 64]);
    }

    #[test]
    fn scan_parts_agree_with_one_part() {
        let chunker = RabinKarp::new(48, 3).unwrap();
        let content = random_bytes(2, 3 * LANES * LANE_LENGTH + 777);
        let threshold = RabinKarp::threshold(64);
        let mut whole = Vec::new();
        chunker.scan(
            &content,
            0..content.len(),
            threshold,
            &mut ScanBuffers::default(),
            &mut whole,
        );
        for threads in [2, 3, 4] {
            let mut split = Vec::new();
            chunker.scan_parallel(
                &content,
                0..content.len(),
                threshold,
                threads,
                &mut ScanBuffers::default(),
                &mut split,
            );
            assert_eq!(split, whole, "{threads} threads");
        }
        let direct: Vec<usize> = (1..=content.len())
            .filter(|&position| chunker.plain_hash(&content, position) & HASH_MASK < threshold)
            .collect();
        assert_eq!(whole.iter().map(|candidate| candidate.position).collect::<Vec<_>>(), direct);
    }

    #[test]
    fn single_level_matches_reference() {
        for window in [1, 16, 48] {
            let chunker = RabinKarp::new(window, 12345).unwrap();
            for length in [0, 1, window - 1, window, window + 1, 1000, 70_000] {
                let content = random_bytes(length as u64, length);
                for size in [2, 64, 256] {
                    assert_eq!(
                        chunker.single_level_boundaries(&content, size),
                        reference_single_level(&chunker, &content, size),
                        "W={window}, length={length}, size={size}"
                    );
                }
            }
        }
    }
}
