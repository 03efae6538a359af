//! Reference counts of nodes.
//!
//! A node's count is the number of superchunks that list it (once per listing) plus
//! the number of counted `put` calls whose root it is, minus the matching deletes.
//! A node whose count drops to zero is deleted together with its subtree.

use crate::backend::Backend;
use crate::error::{Error, Result, hex};

/// Suffix appended to a node key to form its count key in the default placement.
pub const COUNT_KEY_SUFFIX: u8 = b'r';

/// Placement of the reference counts.
#[derive(Default)]
pub enum ReferenceCounting {
    /// In the node backend, under the node key followed by `"r"` (the default).
    #[default]
    KeySuffix,
    /// In a separate backend, under the node key itself.
    Separate(Box<dyn Backend>),
    /// Not at all: every count reads as 1, so nodes are never reclaimed by a counted delete.
    Disabled,
}

impl std::fmt::Debug for ReferenceCounting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReferenceCounting::KeySuffix => "KeySuffix",
            ReferenceCounting::Separate(_) => "Separate(..)",
            ReferenceCounting::Disabled => "Disabled",
        })
    }
}

/// Reads and updates counts; callers serialize updates (they are read-modify-write).
pub(crate) struct Counts<'a> {
    placement: &'a ReferenceCounting,
    nodes: &'a dyn Backend,
}

impl<'a> Counts<'a> {
    pub(crate) fn new(placement: &'a ReferenceCounting, nodes: &'a dyn Backend) -> Self {
        Self { placement, nodes }
    }

    /// Returns the backend and key where the count of `node_key` lives, or `None` when
    /// counting is disabled.
    fn location(&self, node_key: &[u8]) -> Option<(&'a dyn Backend, Vec<u8>)> {
        match self.placement {
            ReferenceCounting::KeySuffix => {
                let mut key = Vec::with_capacity(node_key.len() + 1);
                key.extend_from_slice(node_key);
                key.push(COUNT_KEY_SUFFIX);
                Some((self.nodes, key))
            }
            ReferenceCounting::Separate(backend) => Some((backend.as_ref(), node_key.to_vec())),
            ReferenceCounting::Disabled => None,
        }
    }

    /// Returns the count of `node_key`; an absent entry is a count of 0.
    pub(crate) fn get(&self, node_key: &[u8]) -> Result<u64> {
        let Some((backend, key)) = self.location(node_key) else { return Ok(1) };
        Ok(read_count(backend, &key, node_key)?.unwrap_or(0))
    }

    /// Adds one to the count of `node_key` and returns the new count.
    pub(crate) fn increment(&self, node_key: &[u8]) -> Result<u64> {
        let Some((backend, key)) = self.location(node_key) else { return Ok(1) };

        let count = read_count(backend, &key, node_key)?.unwrap_or(0);
        let count = count.checked_add(1).ok_or_else(|| Error::InvalidReferenceCount {
            key: hex(node_key),
            value: u64::MAX.to_string(),
        })?;
        write_count(backend, &key, count)?;
        Ok(count)
    }

    /// Subtracts one from the count of `node_key` and returns the new count; a count
    /// reaching 0 removes the entry. An absent entry is an error and changes nothing.
    pub(crate) fn decrement(&self, node_key: &[u8]) -> Result<u64> {
        let Some((backend, key)) = self.location(node_key) else { return Ok(1) };

        let count = read_count(backend, &key, node_key)?
            .filter(|&count| count > 0)
            .ok_or_else(|| Error::MissingReferenceCount { key: hex(node_key) })?;
        let count = count - 1;
        if count == 0 {
            backend.delete(&key).map_err(|source| Error::Backend {
                operation: "delete",
                key: hex(&key),
                source,
            })?;
        } else {
            write_count(backend, &key, count)?;
        }
        Ok(count)
    }
}

impl Counts<'_> {
    /// Sets the count of `node_key`; a count of 0 removes the entry.
    pub(crate) fn set(&self, node_key: &[u8], count: u64) -> Result<()> {
        let Some((backend, key)) = self.location(node_key) else { return Ok(()) };

        if count == 0 {
            backend
                .delete(&key)
                .map_err(|source| Error::Backend { operation: "delete", key: hex(&key), source })
        } else {
            write_count(backend, &key, count)
        }
    }
}

fn read_count(backend: &dyn Backend, key: &[u8], node_key: &[u8]) -> Result<Option<u64>> {
    let stored = backend
        .get(key)
        .map_err(|source| Error::Backend { operation: "get", key: hex(key), source })?;
    stored.map(|value| parse_count(&value, node_key)).transpose()
}

fn write_count(backend: &dyn Backend, key: &[u8], count: u64) -> Result<()> {
    backend
        .set(key, count.to_string().as_bytes())
        .map_err(|source| Error::Backend { operation: "set", key: hex(key), source })
}

/// Parses a count stored as ASCII decimal digits, without sign or padding other than
/// leading zeros.
pub(crate) fn parse_count(value: &[u8], node_key: &[u8]) -> Result<u64> {
    let invalid = || {
        // Count characters, not bytes: a byte limit could split a multi-byte character.
        let printable = String::from_utf8_lossy(value).chars().take(32).collect();
        Error::InvalidReferenceCount { key: hex(node_key), value: printable }
    };

    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    std::str::from_utf8(value).ok().and_then(|text| text.parse().ok()).ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_count_accepts_decimal() {
        assert_eq!(parse_count(b"42", b"k").unwrap(), 42);
        assert_eq!(parse_count(b"0", b"k").unwrap(), 0);
        assert_eq!(parse_count(b"18446744073709551615", b"k").unwrap(), u64::MAX);
    }

    #[test]
    fn parse_count_rejects_non_decimal() {
        for bad in [&b""[..], b"-1", b"+1", b" 1", b"1a", b"18446744073709551616"] {
            assert!(
                matches!(parse_count(bad, b"k"), Err(Error::InvalidReferenceCount { .. })),
                "{bad:?} was accepted"
            );
        }
    }
}
