//! Consistency check and repair of a whole store.
//!
//! Given the references a caller still holds (one per counted `put` not yet deleted),
//! the check derives every node's expected reference count from the trees of those
//! references and compares it with the backend. An interrupted `put` or `delete` can
//! only leave extra nodes and counts that are too high (see [`crate::store`]). Repair
//! deletes the nodes that no held reference reaches and rewrites the counts. That
//! brings such a store back to the state an uninterrupted run would have left.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result, hex};
use crate::reference::ContentReference;
use crate::refcount::{COUNT_KEY_SUFFIX, ReferenceCounting, parse_count};
use crate::store::Store;

/// A node whose stored reference count differs from the expected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongCount {
    /// Node key.
    pub key: Vec<u8>,
    /// Count found in the backend (0 if the entry is absent or unreadable).
    pub stored: u64,
    /// Count the held references imply.
    pub expected: u64,
}

/// A reachable node that is absent, fails verification or has an impossible size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadNode {
    /// Node key.
    pub key: Vec<u8>,
    /// Height at which a held tree lists the node.
    pub height: u32,
    /// Description of the fault, worded like the error of a read.
    pub reason: String,
}

/// Findings of [`Store::check`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Node entries in the backend.
    pub nodes_total: u64,
    /// Distinct nodes reachable from the held references.
    pub nodes_reachable: u64,
    /// Keys of node entries that no held reference reaches.
    pub orphan_nodes: Vec<Vec<u8>>,
    /// Reachable nodes with a wrong reference count.
    pub wrong_counts: Vec<WrongCount>,
    /// Node keys whose count entry exists although no held reference reaches the node.
    pub orphan_counts: Vec<Vec<u8>>,
    /// Reachable nodes that are not in the backend.
    pub missing_nodes: Vec<BadNode>,
    /// Reachable nodes that fail verification or have an impossible size.
    pub corrupt_nodes: Vec<BadNode>,
    /// Backend entries deleted or rewritten by repair.
    pub repaired: u64,
}

impl CheckReport {
    /// Tells whether the check found nothing wrong.
    pub fn is_clean(&self) -> bool {
        self.orphan_nodes.is_empty()
            && self.wrong_counts.is_empty()
            && self.orphan_counts.is_empty()
            && self.missing_nodes.is_empty()
            && self.corrupt_nodes.is_empty()
    }
}

impl Store {
    /// Checks the whole backend against the references in `held`, and with `repair`
    /// deletes orphan nodes and count entries and rewrites wrong counts.
    ///
    /// `held` lists every content the caller still holds, once per counted `put`
    /// (a content put twice is listed twice). Contents stored with `ignore_rc` are not
    /// counted, so they must not be listed, and repair deletes their nodes unless
    /// counted contents share them. Missing and corrupt nodes are reported, never
    /// repaired: their data is gone. The check needs a backend that can list its keys
    /// ([`crate::Backend::keys`]), and so does a separate count backend. Puts and
    /// deletes wait while the check runs.
    pub fn check(&self, held: &[&[u8]], repair: bool) -> Result<CheckReport> {
        let references = held
            .iter()
            .map(|bytes| ContentReference::parse(bytes, self.digest_size()))
            .collect::<Result<Vec<_>>>()?;

        let _guard = self.lock_writes();
        let mut report = CheckReport::default();

        // Expected counts: one per held reference for its root, one per listing in a
        // reachable superchunk for each child.
        let mut expected: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut visited: HashSet<Vec<u8>> = HashSet::new();
        for reference in &references {
            let root = reference.root_digest();
            *expected.entry(root.to_vec()).or_default() += 1;
            let height = self.height(reference.content_length())?;
            let length = reference.content_length();
            self.visit(root, height, true, length, &mut expected, &mut visited, &mut report)?;
        }
        report.nodes_reachable = visited.len() as u64;

        // Every node entry that no held tree reaches is an orphan.
        let digest_size = self.digest_size();
        let node_keys = list_keys(self.backend())?;
        let mut stored_counts: HashMap<Vec<u8>, Option<u64>> = HashMap::new();
        for key in node_keys {
            let is_count = matches!(self.reference_counting(), ReferenceCounting::KeySuffix)
                && key.len() == digest_size + 1
                && key.last() == Some(&COUNT_KEY_SUFFIX);
            if is_count {
                let node_key = key[..digest_size].to_vec();
                let count = self.read_count_entry(self.backend(), &key, &node_key)?;
                stored_counts.insert(node_key, count);
            } else if key.len() == digest_size {
                report.nodes_total += 1;
                if !visited.contains(&key) {
                    report.orphan_nodes.push(key);
                }
            }
        }
        if let ReferenceCounting::Separate(counts) = self.reference_counting() {
            for key in list_keys(counts.as_ref())? {
                let count = self.read_count_entry(counts.as_ref(), &key, &key)?;
                stored_counts.insert(key, count);
            }
        }

        if !matches!(self.reference_counting(), ReferenceCounting::Disabled) {
            self.compare_counts(&expected, &visited, &stored_counts, &mut report);
        }
        report.orphan_nodes.sort();

        if repair {
            self.repair(&mut report)?;
        }
        Ok(report)
    }

    /// Walks the tree below `key` once per distinct node, adding the expected counts
    /// of children and recording missing and corrupt nodes. `length` is the content
    /// length in the reference, which bounds every node's size.
    #[allow(clippy::too_many_arguments)]
    fn visit(
        &self,
        key: &[u8],
        height: u32,
        is_root: bool,
        length: u64,
        expected: &mut HashMap<Vec<u8>, u64>,
        visited: &mut HashSet<Vec<u8>>,
        report: &mut CheckReport,
    ) -> Result<()> {
        if !visited.insert(key.to_vec()) {
            return Ok(());
        }

        let node = match self.read_node(key, height, is_root, length) {
            Ok(node) => node,
            Err(Error::NotFound { .. }) => {
                let reason = "not found in the backend".to_string();
                report.missing_nodes.push(BadNode { key: key.to_vec(), height, reason });
                return Ok(());
            }
            Err(error @ (Error::Integrity { .. } | Error::Authenticity { .. } | Error::CorruptNode { .. })) => {
                report.corrupt_nodes.push(BadNode { key: key.to_vec(), height, reason: error.to_string() });
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        if height == 0 {
            return Ok(());
        }

        let digest_size = self.digest_size();
        if node.is_empty() || node.len() % digest_size != 0 {
            let reason = format!(
                "a superchunk of {} bytes is not a non-zero multiple of the digest size {digest_size}",
                node.len()
            );
            report.corrupt_nodes.push(BadNode { key: key.to_vec(), height, reason });
            return Ok(());
        }
        for child in node.chunks(digest_size) {
            *expected.entry(child.to_vec()).or_default() += 1;
            self.visit(child, height - 1, false, length, expected, visited, report)?;
        }
        Ok(())
    }

    fn read_count_entry(
        &self,
        backend: &dyn crate::Backend,
        key: &[u8],
        node_key: &[u8],
    ) -> Result<Option<u64>> {
        let value = backend
            .get(key)
            .map_err(|source| Error::Backend { operation: "get", key: hex(key), source })?;
        // An unreadable count is reported as a wrong count of 0 and rewritten by repair.
        Ok(value.map(|value| parse_count(&value, node_key).unwrap_or(0)))
    }

    fn compare_counts(
        &self,
        expected: &HashMap<Vec<u8>, u64>,
        visited: &HashSet<Vec<u8>>,
        stored_counts: &HashMap<Vec<u8>, Option<u64>>,
        report: &mut CheckReport,
    ) {
        // A missing or corrupt node has no count to fix: rewriting one would create a
        // count entry for a node that is not there.
        let bad: HashSet<&[u8]> = report
            .missing_nodes
            .iter()
            .chain(&report.corrupt_nodes)
            .map(|node| node.key.as_slice())
            .collect();
        for key in visited {
            if bad.contains(key.as_slice()) {
                continue;
            }
            let wanted = expected.get(key).copied().unwrap_or(0);
            let stored = stored_counts.get(key).copied().flatten().unwrap_or(0);
            if stored != wanted {
                report.wrong_counts.push(WrongCount { key: key.clone(), stored, expected: wanted });
            }
        }
        for key in stored_counts.keys() {
            if !visited.contains(key) {
                report.orphan_counts.push(key.clone());
            }
        }
        report.wrong_counts.sort_by(|a, b| a.key.cmp(&b.key));
        report.orphan_counts.sort();
    }

    /// Deletes orphan nodes and counts and rewrites wrong counts.
    fn repair(&self, report: &mut CheckReport) -> Result<()> {
        let counts = self.counts();
        for key in &report.orphan_nodes {
            delete_entry(self.backend(), key)?;
            report.repaired += 1;
        }
        for key in &report.orphan_counts {
            counts.set(key, 0)?;
            report.repaired += 1;
        }
        for wrong in &report.wrong_counts {
            counts.set(&wrong.key, wrong.expected)?;
            report.repaired += 1;
        }
        Ok(())
    }
}

fn list_keys(backend: &dyn crate::Backend) -> Result<Vec<Vec<u8>>> {
    let keys = backend.keys().ok_or(Error::Unsupported {
        operation: "check",
        hint: "the backend cannot list its keys; give it a scan callback (Backend::keys)",
    })?;
    keys.map_err(|source| Error::Backend { operation: "keys", key: String::new(), source })
}

fn delete_entry(backend: &dyn crate::Backend, key: &[u8]) -> Result<()> {
    backend
        .delete(key)
        .map_err(|source| Error::Backend { operation: "delete", key: hex(key), source })
}
