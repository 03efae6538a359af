//! Rabin-Karp content-defined chunking, compatible with the `fastchunking` 0.0.3 package
//! that `seccs` 0.0.5 uses.
//!
//! A rolling polynomial hash with base 37 runs over a window of W bytes; each byte is
//! first mapped through a table of 256 random 29-bit values drawn from MT19937 seeded
//! with the chunker's seed. A position ends a chunk of target size s when the hash of
//! the window that ends there is below 2^29 / s, so chunks are s bytes long on average.

use super::mt19937::Mt19937;
use super::{Boundary, ChunkingStrategy};
use crate::error::Error;

/// Hashes are kept modulo 2^29.
const HASH_MASK: u32 = (1 << 29) - 1;
const BASE: u32 = 37;

/// Default window size W of the original package.
pub const DEFAULT_WINDOW_SIZE: usize = 48;
/// Default seed of the original package.
pub const DEFAULT_SEED: u32 = 0;

/// A Rabin-Karp chunker with a fixed window size and character table.
#[derive(Debug, Clone)]
pub struct RabinKarp {
    window_size: usize,
    seed: u32,
    table: [u32; 256],
    /// BASE^W mod 2^32, the weight of the byte that leaves the window.
    outgoing_weight: u32,
    /// Hash of a window of W zero bytes: the state after a reset.
    zero_window_hash: u32,
}

/// Rolling-hash state of one level.
struct Window {
    hash: u32,
    /// Table values of the last W bytes, oldest at `next`.
    ring: Vec<u32>,
    next: usize,
}

impl Window {
    fn roll(&mut self, incoming: u32, outgoing_weight: u32) {
        let outgoing = self.ring[self.next];
        self.ring[self.next] = incoming;
        self.next += 1;
        if self.next == self.ring.len() {
            self.next = 0;
        }

        self.hash = BASE
            .wrapping_mul(self.hash)
            .wrapping_add(incoming)
            .wrapping_sub(outgoing_weight.wrapping_mul(outgoing))
            & HASH_MASK;
    }
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
            zero_window_hash = BASE.wrapping_mul(zero_window_hash).wrapping_add(table[0]) & HASH_MASK;
        }

        Ok(Self { window_size, seed, table, outgoing_weight, zero_window_hash })
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

    /// Returns the window state after W-1 zero bytes, with one more zero still in the
    /// window: rolling in the first content byte evicts it.
    fn zero_window(&self) -> Window {
        Window { hash: self.zero_window_hash, ring: vec![self.table[0]; self.window_size], next: 0 }
    }

    /// Single-level chunking without leading zeros: a position counts only once a full
    /// window of content bytes lies before it, so the first possible boundary is at W.
    pub fn single_level_boundaries(&self, content: &[u8], chunk_size: u64) -> Vec<usize> {
        let threshold = Self::threshold(chunk_size);
        let mut window = Window { hash: 0, ring: vec![0; self.window_size], next: 0 };
        let mut boundaries = Vec::new();

        for (index, &byte) in content.iter().enumerate() {
            window.roll(self.table[usize::from(byte)], self.outgoing_weight);
            if index + 1 >= self.window_size && window.hash < threshold {
                boundaries.push(index + 1);
            }
        }
        boundaries
    }
}

impl ChunkingStrategy for RabinKarp {
    /// Runs one chunker per level over the content preceded by W-1 zero bytes. The
    /// chunker of level t restarts from the zero prefix after every boundary of a level
    /// above t, so chunks of a level never straddle the chunks of the levels above.
    fn boundaries(&self, content: &[u8], chunk_sizes: &[u64]) -> Vec<Boundary> {
        let thresholds: Vec<u32> = chunk_sizes.iter().map(|&size| Self::threshold(size)).collect();
        let mut windows: Vec<Window> = thresholds.iter().map(|_| self.zero_window()).collect();
        let mut boundaries = Vec::new();

        for (index, &byte) in content.iter().enumerate() {
            let incoming = self.table[usize::from(byte)];
            let mut matched = None;
            for (level, window) in windows.iter_mut().enumerate() {
                window.roll(incoming, self.outgoing_weight);
                if window.hash < thresholds[level] {
                    matched = Some(level);
                }
            }

            if let Some(level) = matched {
                boundaries.push(Boundary { position: index + 1, level });
                for window in &mut windows[..level] {
                    *window = self.zero_window();
                }
            }
        }
        boundaries
    }

    fn describe(&self) -> String {
        format!("rabin-karp:{}:{}", self.window_size, self.seed)
    }
}
