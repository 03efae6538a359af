//! Wrapping the leaves of a `put` ahead of the thread that stores them.
//!
//! Every leaf's key and stored value depend on the leaf alone, so leaves can be wrapped
//! in any order and on any thread. What must stay in order are the backend calls:
//! reading a node, updating reference counts, writing the node. So the calling thread
//! applies the leaves in content order, while helper threads wrap batches of leaves
//! ahead of it. A bounded look-ahead caps the memory the wrapped batches take.

use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::chunking::Boundary;
use crate::crypto::{CryptoWrapper, WrappedNode};
use crate::error::Result;

/// What the caller does with each leaf: called with the leaf's index, bytes and wrapping.
pub(super) type ApplyLeaf<'a> = dyn FnMut(usize, &[u8], WrappedNode) -> Result<()> + 'a;

/// Contents shorter than this are put on the calling thread alone, because starting a
/// thread (tens of microseconds) would cost more than a small content's wrapping.
const PARALLEL_PUT_MIN_LENGTH: usize = 1 << 20;

/// Content bytes per batch of leaves wrapped together: enough leaves for the AES-SIV
/// wrapper to interleave, few enough that the batches in flight stay small.
const LEAF_BATCH_BYTES: usize = 256 << 10;

/// Batches each thread may wrap ahead of the batch being applied.
const BATCHES_AHEAD_PER_THREAD: usize = 4;

/// Calls `apply` on every leaf between consecutive `boundaries`, in order, with its
/// index, its bytes and its wrapping (height 0, not a root), and stops at the first
/// error.
///
/// Leaves are wrapped in batches with [`CryptoWrapper::wrap_many`]. For contents of at
/// least [`PARALLEL_PUT_MIN_LENGTH`] bytes, helper threads (one fewer than
/// [`std::thread::available_parallelism`]) wrap batches ahead of the calling thread, at
/// most [`BATCHES_AHEAD_PER_THREAD`] per thread. `apply` always runs on the calling
/// thread, and while it waits for a batch, the calling thread wraps batches too.
pub(super) fn for_each_wrapped_leaf(
    wrapper: &dyn CryptoWrapper,
    content: &[u8],
    boundaries: &[Boundary],
    apply: &mut ApplyLeaf<'_>,
) -> Result<()> {
    let helpers = if content.len() >= PARALLEL_PUT_MIN_LENGTH {
        std::thread::available_parallelism().map_or(1, usize::from) - 1
    } else {
        0
    };
    wrap_and_apply(wrapper, content, boundaries, helpers, apply)
}

/// Does the work of [`for_each_wrapped_leaf`] with up to `helpers` helper threads.
fn wrap_and_apply(
    wrapper: &dyn CryptoWrapper,
    content: &[u8],
    boundaries: &[Boundary],
    helpers: usize,
    apply: &mut ApplyLeaf<'_>,
) -> Result<()> {
    let batches = leaf_batches(boundaries);
    let leaf = |index: usize| &content[boundaries[index].position..boundaries[index + 1].position];
    let wrap_batch = |batch: usize| {
        let leaves: Vec<&[u8]> = batches[batch].clone().map(leaf).collect();
        wrapper.wrap_many(&leaves, 0, false)
    };
    let mut apply_batch = |batch: usize, wrapped: Vec<WrappedNode>| -> Result<()> {
        for (index, wrapped) in batches[batch].clone().zip(wrapped) {
            apply(index, leaf(index), wrapped)?;
        }
        Ok(())
    };

    // More helpers than batches beyond the first would have nothing to do.
    let helpers = helpers.min(batches.len().saturating_sub(1));
    if helpers == 0 {
        for batch in 0..batches.len() {
            apply_batch(batch, wrap_batch(batch))?;
        }
        return Ok(());
    }

    let pipeline = WrapPipeline::new(batches.len(), BATCHES_AHEAD_PER_THREAD * (helpers + 1));
    std::thread::scope(|scope| {
        // Stops the helpers however this thread leaves the scope, including by a panic
        // in `apply`, so that the scope never waits for a helper blocked on the pipeline.
        let _stop = StopOnDrop(&pipeline);
        for _ in 0..helpers {
            scope.spawn(|| pipeline.run_helper(&wrap_batch));
        }
        for batch in 0..batches.len() {
            let wrapped = pipeline.take(batch, &wrap_batch);
            apply_batch(batch, wrapped)?;
            pipeline.mark_applied(batch);
        }
        Ok(())
    })
}

/// Splits the leaves between `boundaries` into ranges of leaf indices that cover about
/// [`LEAF_BATCH_BYTES`] of content each (at least one leaf each).
fn leaf_batches(boundaries: &[Boundary]) -> Vec<Range<usize>> {
    let leaves = boundaries.len().saturating_sub(1);
    let mut batches = Vec::new();
    let mut start = 0;
    while start < leaves {
        let limit = boundaries[start].position + LEAF_BATCH_BYTES;
        let mut end = start + 1;
        while end < leaves && boundaries[end + 1].position <= limit {
            end += 1;
        }
        batches.push(start..end);
        start = end;
    }
    batches
}

/// Hands out batches of leaves to wrap, and collects the wrapped batches for the
/// thread that applies them in order.
struct WrapPipeline {
    state: Mutex<PipelineState>,
    /// Signalled whenever a batch is wrapped or applied, or the pipeline stops.
    changed: Condvar,
    batches: usize,
    /// Batches that may be claimed beyond the last applied one.
    max_ahead: usize,
}

struct PipelineState {
    /// The first batch no thread has claimed yet.
    next_unclaimed: usize,
    /// The number of batches applied so far.
    applied: usize,
    /// Wrapped batches not yet applied, by index.
    ready: Vec<Option<Vec<WrappedNode>>>,
    /// A panic raised while wrapping on a helper, to re-raise on the applying thread.
    panic: Option<Box<dyn std::any::Any + Send>>,
    stopped: bool,
}

impl WrapPipeline {
    fn new(batches: usize, max_ahead: usize) -> Self {
        Self {
            state: Mutex::new(PipelineState {
                next_unclaimed: 0,
                applied: 0,
                ready: (0..batches).map(|_| None).collect(),
                panic: None,
                stopped: false,
            }),
            changed: Condvar::new(),
            batches,
            max_ahead,
        }
    }

    fn lock(&self) -> MutexGuard<'_, PipelineState> {
        // No code panics while holding this lock, so a poisoned state is still sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, state: MutexGuard<'a, PipelineState>) -> MutexGuard<'a, PipelineState> {
        self.changed.wait(state).unwrap_or_else(PoisonError::into_inner)
    }

    /// Claims the first unclaimed batch if the look-ahead limit allows it.
    fn claim(&self, state: &mut PipelineState) -> Option<usize> {
        let batch = state.next_unclaimed;
        if state.stopped || batch >= self.batches || batch >= state.applied + self.max_ahead {
            return None;
        }
        state.next_unclaimed += 1;
        Some(batch)
    }

    /// Wraps batches until every batch is claimed or the pipeline stops. A panic while
    /// wrapping stops the pipeline and is handed to the applying thread.
    fn run_helper(&self, wrap_batch: &(dyn Fn(usize) -> Vec<WrappedNode> + Sync)) {
        let mut state = self.lock();
        loop {
            if state.stopped || state.next_unclaimed >= self.batches {
                return;
            }
            let Some(batch) = self.claim(&mut state) else {
                state = self.wait(state);
                continue;
            };
            drop(state);

            let wrapped = std::panic::catch_unwind(AssertUnwindSafe(|| wrap_batch(batch)));

            state = self.lock();
            match wrapped {
                Ok(wrapped) => state.ready[batch] = Some(wrapped),
                Err(payload) => {
                    state.panic = Some(payload);
                    state.stopped = true;
                }
            }
            self.changed.notify_all();
        }
    }

    /// Returns wrapped batch `batch`, wrapping other batches on this thread while a
    /// helper is still wrapping it. Re-raises a helper's panic.
    fn take(
        &self,
        batch: usize,
        wrap_batch: &dyn Fn(usize) -> Vec<WrappedNode>,
    ) -> Vec<WrappedNode> {
        let mut state = self.lock();
        loop {
            if let Some(payload) = state.panic.take() {
                drop(state);
                std::panic::resume_unwind(payload);
            }
            if let Some(wrapped) = state.ready[batch].take() {
                return wrapped;
            }
            match self.claim(&mut state) {
                Some(claimed) => {
                    drop(state);
                    let wrapped = wrap_batch(claimed);
                    state = self.lock();
                    state.ready[claimed] = Some(wrapped);
                }
                None => state = self.wait(state),
            }
        }
    }

    fn mark_applied(&self, batch: usize) {
        self.lock().applied = batch + 1;
        self.changed.notify_all();
    }

    fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }
}

/// Stops a [`WrapPipeline`] when dropped.
struct StopOnDrop<'a>(&'a WrapPipeline);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::WrapperKind;
    use crate::error::Error;

    /// Boundaries of leaves of 1 to 9000 bytes over `length` bytes.
    fn boundaries_for(length: usize) -> Vec<Boundary> {
        let mut boundaries = vec![Boundary { position: 0, level: 0 }];
        let mut position = 0;
        let mut step = 1;
        while position < length {
            step = (step * 7 + 13) % 9000 + 1;
            position = (position + step).min(length);
            boundaries.push(Boundary { position, level: 0 });
        }
        boundaries
    }

    fn content(length: usize) -> Vec<u8> {
        (0..length).map(|index| (index * 31 % 251) as u8).collect()
    }

    #[test]
    fn leaf_batches_cover_every_leaf_once() {
        let boundaries = boundaries_for(3 << 20);
        let batches = leaf_batches(&boundaries);
        assert_eq!(batches.first().map(|batch| batch.start), Some(0));
        assert_eq!(batches.last().map(|batch| batch.end), Some(boundaries.len() - 1));
        for pair in batches.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "batches are contiguous");
        }
        for batch in &batches {
            let bytes = boundaries[batch.end].position - boundaries[batch.start].position;
            assert!(
                batch.len() == 1 || bytes <= LEAF_BATCH_BYTES,
                "batch {batch:?} has {bytes} bytes"
            );
        }
        assert!(leaf_batches(&[]).is_empty());
        assert!(leaf_batches(&[Boundary { position: 0, level: 0 }]).is_empty());
    }

    #[test]
    fn leaves_arrive_in_order_with_any_helper_count() {
        let wrapper = WrapperKind::AesSiv256.build(&[9; 32]).unwrap();
        let content = content(3 << 20);
        let boundaries = boundaries_for(content.len());
        let expected: Vec<(usize, WrappedNode)> = boundaries
            .windows(2)
            .enumerate()
            .map(|(index, pair)| {
                (index, wrapper.wrap(&content[pair[0].position..pair[1].position], 0, false))
            })
            .collect();

        for helpers in [0, 1, 3, 100] {
            let mut applied = Vec::new();
            wrap_and_apply(
                wrapper.as_ref(),
                &content,
                &boundaries,
                helpers,
                &mut |index, leaf, wrapped| {
                    assert_eq!(
                        leaf,
                        &content[boundaries[index].position..boundaries[index + 1].position]
                    );
                    applied.push((index, wrapped));
                    Ok(())
                },
            )
            .unwrap();
            assert!(applied == expected, "{helpers} helpers: leaves differ or are out of order");
        }
    }

    #[test]
    fn apply_error_stops_the_pipeline() {
        let wrapper = WrapperKind::Sha256.build(&[]).unwrap();
        let content = content(3 << 20);
        let boundaries = boundaries_for(content.len());
        for helpers in [0, 1, 3] {
            let mut calls = 0;
            let result = wrap_and_apply(
                wrapper.as_ref(),
                &content,
                &boundaries,
                helpers,
                &mut |index, _, _| {
                    calls += 1;
                    if index == 100 {
                        return Err(Error::InvalidArgument {
                            name: "leaf",
                            value: index.to_string(),
                            hint: "test",
                        });
                    }
                    Ok(())
                },
            );
            assert!(
                matches!(result, Err(Error::InvalidArgument { .. })),
                "{helpers} helpers: {result:?}"
            );
            assert_eq!(calls, 101, "{helpers} helpers: apply ran after the error");
        }
    }

    /// A wrapper that panics on one leaf, as a faulty custom wrapper might.
    struct PanickingWrapper {
        inner: Box<dyn CryptoWrapper>,
        poisoned_length: usize,
    }

    impl CryptoWrapper for PanickingWrapper {
        fn kind(&self) -> WrapperKind {
            self.inner.kind()
        }

        fn wrap(&self, value: &[u8], height: u32, is_root: bool) -> WrappedNode {
            assert_ne!(value.len(), self.poisoned_length, "wrapper failure on purpose");
            self.inner.wrap(value, height, is_root)
        }

        fn unwrap(
            &self,
            stored: &[u8],
            key: &[u8],
            height: u32,
            is_root: bool,
        ) -> std::result::Result<Vec<u8>, crate::crypto::VerifyError> {
            self.inner.unwrap(stored, key, height, is_root)
        }
    }

    #[test]
    fn wrapper_panic_reaches_the_caller() {
        let content = content(3 << 20);
        let boundaries = boundaries_for(content.len());
        // A leaf in the second half, so that with helpers a helper thread wraps it.
        let poisoned = boundaries.len() * 3 / 4;
        let poisoned_length = boundaries[poisoned + 1].position - boundaries[poisoned].position;
        let wrapper =
            PanickingWrapper { inner: WrapperKind::Sha256.build(&[]).unwrap(), poisoned_length };
        for helpers in [0, 1, 3] {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                wrap_and_apply(&wrapper, &content, &boundaries, helpers, &mut |_, _, _| Ok(()))
            }));
            let payload = outcome.expect_err("the panic propagates");
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or_default();
            assert!(message.contains("wrapper failure on purpose"), "{helpers} helpers: {message}");
        }
    }
}
