//! Static chunking ("SC"): fixed-size chunks, the baseline strategy of the sec-cs paper.

use super::{Boundary, ChunkingStrategy};

/// Cuts at every multiple of each level's chunk size; a position that is a multiple
/// of several sizes belongs to the highest such level.
#[derive(Debug, Default, Clone, Copy)]
pub struct StaticChunking;

impl StaticChunking {
    /// Creates the strategy.
    pub fn new() -> Self {
        Self
    }
}

impl ChunkingStrategy for StaticChunking {
    fn boundaries(&self, content: &[u8], chunk_sizes: &[u64]) -> Vec<Boundary> {
        let length = content.len();
        let mut boundaries = Vec::new();

        for (level, &size) in chunk_sizes.iter().enumerate() {
            // A size beyond the content length (or beyond usize) yields no boundary.
            let Ok(size) = usize::try_from(size) else { continue };
            if size == 0 {
                continue;
            }
            boundaries.extend((size..=length).step_by(size).map(|position| Boundary { position, level }));
        }

        // Keep one boundary per position, the one of the highest level.
        boundaries.sort_unstable_by(|a, b| a.position.cmp(&b.position).then(b.level.cmp(&a.level)));
        boundaries.dedup_by_key(|boundary| boundary.position);
        boundaries
    }

    fn describe(&self) -> String {
        "static".to_string()
    }
}
