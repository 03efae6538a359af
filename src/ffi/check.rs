//! The consistency check of a whole store, with optional repair.

use super::boundary::{Failure, guard, input_bytes, required, required_out};
use super::status::seccs_status;
use crate::CheckReport;

/// Findings of `seccs_check`: counts of backend entries by what is wrong with them.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct seccs_check_report {
    /// Node entries found in the backend.
    pub nodes_total: u64,
    /// Distinct nodes reachable from the held references.
    pub nodes_reachable: u64,
    /// Node entries that no held reference reaches.
    pub orphan_nodes: u64,
    /// Reachable nodes whose stored count differs from the one the held references imply.
    pub wrong_counts: u64,
    /// Count entries whose node no held reference reaches.
    pub orphan_counts: u64,
    /// Nodes listed by a reachable superchunk, or held roots, that are not in the backend.
    pub missing_nodes: u64,
    /// Reachable nodes that fail verification or have an impossible size.
    pub corrupt_nodes: u64,
    /// Backend entries deleted or rewritten by repair.
    pub repaired: u64,
}

impl From<&CheckReport> for seccs_check_report {
    fn from(report: &CheckReport) -> Self {
        Self {
            nodes_total: report.nodes_total,
            nodes_reachable: report.nodes_reachable,
            orphan_nodes: report.orphan_nodes.len() as u64,
            wrong_counts: report.wrong_counts.len() as u64,
            orphan_counts: report.orphan_counts.len() as u64,
            missing_nodes: report.missing_nodes.len() as u64,
            corrupt_nodes: report.corrupt_nodes.len() as u64,
            repaired: report.repaired,
        }
    }
}

/// Checks the whole backend against the contents the caller still holds, and with
/// `repair` deletes orphan nodes and count entries and rewrites wrong counts.
///
/// `refs` holds `ref_count` references back to back (`ref_count *
/// seccs_reference_size(store)` bytes; NULL allowed when `ref_count` is 0): every content
/// the caller still holds, once per counted put. Contents stored with ignore_rc must not
/// be listed, so repair deletes their nodes unless listed contents share them. Missing and
/// corrupt nodes are counted, never repaired. Puts and deletes on the same handle wait
/// while the check runs. On success `*report` contains the findings. A report without
/// orphans, wrong counts, missing or corrupt nodes means that the store is consistent.
/// On failure `*report` is all zero, and a failed repair may have done part of its work.
///
/// Needs the scan callback of the backend, and of the count backend with
/// `SECCS_REFCOUNT_SEPARATE_BACKEND`; without it, returns `SECCS_UNSUPPORTED` and changes
/// nothing. Also returns `SECCS_NULL_ARGUMENT`, `SECCS_INVALID_ARGUMENT` (when `ref_count`
/// references cannot fit in memory, or a `length_to_height` hook returns more than 256),
/// `SECCS_BACKEND_ERROR`, or `SECCS_OK`.
///
/// # Safety
///
/// `store` must be NULL or a live handle, `refs` readable for `ref_count *
/// seccs_reference_size(store)` bytes and `report` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccs_check(
    store: *mut super::store::seccs_store,
    refs: *const u8,
    ref_count: usize,
    repair: bool,
    report: *mut seccs_check_report,
) -> seccs_status {
    guard("seccs_check", || {
        // SAFETY: the caller passes NULL or a live handle.
        let store = unsafe { required(store, "store") }?.inner();
        // SAFETY: the caller passes NULL or a pointer valid for writes of a report.
        let report = unsafe { required_out(report, "report") }?;
        report.write(seccs_check_report::default());

        let reference_size = store.reference_size();
        let total = ref_count.checked_mul(reference_size).ok_or_else(|| {
            Failure::invalid(format!(
                "ref_count is {ref_count}: {ref_count} references of {reference_size} bytes \
                 cannot fit in memory; pass the number of references in refs"
            ))
        })?;
        // SAFETY: the caller guarantees that `refs` is readable for `total` bytes.
        let refs = unsafe { input_bytes(refs, total, "refs") }?;

        let held: Vec<&[u8]> = refs.chunks_exact(reference_size).collect();
        let findings = store.check(&held, repair)?;

        report.write(seccs_check_report::from(&findings));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_counts_each_finding() {
        let findings = CheckReport {
            nodes_total: 9,
            nodes_reachable: 7,
            orphan_nodes: vec![vec![1], vec![2]],
            orphan_counts: vec![vec![3]],
            repaired: 4,
            ..CheckReport::default()
        };
        let report = seccs_check_report::from(&findings);
        assert_eq!(report.nodes_total, 9);
        assert_eq!(report.nodes_reachable, 7);
        assert_eq!(report.orphan_nodes, 2);
        assert_eq!(report.orphan_counts, 1);
        assert_eq!(report.wrong_counts, 0);
        assert_eq!(report.repaired, 4);
        assert_eq!(seccs_status::SECCS_OK as u32, 0);
    }
}
