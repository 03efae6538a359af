//! Chunking strategies: where a content is cut into chunks, at several levels at once.
//!
//! A multi-level chunker gets one target chunk size per level (level 0 smallest) and
//! returns boundaries: a position in the content after which a chunk ends, and the
//! highest level at which it ends. The store turns level-`t` boundaries into the ends
//! of nodes at heights `0..=t` of the chunk tree.

mod mt19937;
pub mod rabin_karp;
mod static_chunking;

pub use rabin_karp::RabinKarp;
pub use static_chunking::StaticChunking;

/// The end of a chunk: `position` bytes into the content, closing levels `0..=level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Boundary {
    /// Offset just past the chunk's last byte, in `1..=content.len()`.
    pub position: usize,
    /// The highest level at which a chunk ends here.
    pub level: usize,
}

/// A content-defined or fixed-size multi-level chunker.
pub trait ChunkingStrategy: Send + Sync {
    /// Returns the boundaries of `content` for target sizes `chunk_sizes` (one per level,
    /// increasing), in increasing position order, each position at most once.
    fn boundaries(&self, content: &[u8], chunk_sizes: &[u64]) -> Vec<Boundary>;

    /// Describes the strategy and its parameters, e.g. `rabin-karp:48:0`.
    fn describe(&self) -> String;
}
