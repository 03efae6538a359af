//! Crash safety of `put` and `delete`: a backend call fails, or the process stops, at
//! every possible point, and no completed content may be lost.
//!
//! For every operation of a scenario and every backend call k of that operation, the
//! test starts from the state an uninterrupted run had before the operation, runs it
//! with call k failing, and then:
//!
//! 1. reopens the store over the same backend with faults off and reads every content
//!    whose put had completed (and that is not being deleted) back, byte for byte;
//! 2. on a copy, abandons the operation and runs `check` with repair over the references
//!    still held: the backend must equal the uninterrupted run's before the put, or after
//!    the delete;
//! 3. finishes the operation, runs `check` with repair, and compares the backend with
//!    the uninterrupted run's after the operation. A put is retried. A counted delete is
//!    retried, and `MissingReferenceCount` means it was done already. An `ignore_rc`
//!    delete, or any delete whose last call may have taken effect, is finished by the
//!    repair alone. While an `ignore_rc` content is live, `check` cannot be told about
//!    it, so the test runs the remaining operations first and compares at the end.
//!
//! Three kinds of fault are injected: one failing call ([`Fault::FailAt`]), a process
//! that stops (every call from k on fails, [`Fault::StopAt`]), and a write that takes
//! effect but reports failure ([`Fault::ApplyThenFail`]).

mod support;

use std::time::Instant;

use seccs::{Backend, ContentReference, Error, Store, WrapperKind};

use support::faults::{Fault, FaultPlan, FaultyBackend, INJECTED_FAILURE};
use support::{
    BackendState, Chunking, Counting, MemoryBackends, StoreConfig, edited, hex, pseudo_random,
};

#[derive(Debug, Clone, Copy)]
enum Op {
    /// Puts `contents[content]`.
    Put { content: usize, ignore_rc: bool },
    /// Deletes the content stored by operation `put`.
    Delete { put: usize, ignore_rc: bool },
}

struct Scenario {
    name: &'static str,
    contents: Vec<Vec<u8>>,
    ops: Vec<Op>,
}

impl Scenario {
    /// Returns, for each point 0..=ops.len() (before operation i, and at the end), the
    /// indices of the put operations whose content is live there, in put order.
    fn live_puts(&self) -> Vec<Vec<usize>> {
        let mut live: Vec<usize> = Vec::new();
        let mut points = vec![live.clone()];
        for (index, op) in self.ops.iter().enumerate() {
            match *op {
                Op::Put { .. } => live.push(index),
                Op::Delete { put, .. } => {
                    let at = live.iter().position(|&p| p == put).expect("a delete follows its put");
                    live.remove(at);
                }
            }
            points.push(live.clone());
        }
        points
    }

    fn content_of(&self, put: usize) -> &[u8] {
        match self.ops[put] {
            Op::Put { content, .. } => &self.contents[content],
            Op::Delete { .. } => panic!("operation {put} is not a put"),
        }
    }

    fn is_ignore_rc_put(&self, put: usize) -> bool {
        matches!(self.ops[put], Op::Put { ignore_rc: true, .. })
    }
}

/// Contents whose chunks overlap: `a` and `b` share most chunks, `f` shares with `b`.
fn mixed_scenario(chunk_size: usize) -> Scenario {
    let s = chunk_size;
    let a = pseudo_random(32 * s, 11);
    let b = edited(&a, 16 * s, &pseudo_random(2 * s, 12));
    let c = pseudo_random(s / 2, 13);
    let empty = Vec::new();
    let f = edited(&b, 4 * s, &pseudo_random(s, 14));
    let d = pseudo_random(6 * s, 15);
    let g = edited(&d, 3 * s, &pseudo_random(s / 2, 16));
    let contents = vec![a, b, c, empty, f, d, g];

    use Op::*;
    let ops = vec![
        Put { content: 0, ignore_rc: false },  // 0: new content
        Put { content: 1, ignore_rc: false },  // 1: shares chunks with 0
        Put { content: 0, ignore_rc: false },  // 2: same content again
        Put { content: 2, ignore_rc: false },  // 3: a single leaf
        Put { content: 3, ignore_rc: false },  // 4: the empty content
        Put { content: 4, ignore_rc: true },   // 5: uncounted, shares chunks with 1
        Delete { put: 0, ignore_rc: false },   // 6: still held by 2
        Delete { put: 5, ignore_rc: true },    // 7: uncounted delete of shared chunks
        Delete { put: 1, ignore_rc: false },   // 8: shares chunks with 2
        Delete { put: 4, ignore_rc: false },   // 9
        Delete { put: 2, ignore_rc: false },   // 10: last holder, nothing shared any more
        Put { content: 5, ignore_rc: true },   // 11: uncounted, new
        Put { content: 6, ignore_rc: false },  // 12: counted, shares chunks with 11
        Delete { put: 12, ignore_rc: false },  // 13
        Delete { put: 11, ignore_rc: true },   // 14
        Put { content: 0, ignore_rc: false },  // 15: a content deleted before, again
        Put { content: 1, ignore_rc: false },  // 16: shares chunks with 15
        Delete { put: 15, ignore_rc: false },  // 17
        Delete { put: 3, ignore_rc: false },   // 18
        Delete { put: 16, ignore_rc: false },  // 19
    ];
    Scenario { name: "mixed", contents, ops }
}

/// Returns a scenario that puts one content three times and deletes it three times.
fn repeated_scenario(chunk_size: usize) -> Scenario {
    let contents = vec![pseudo_random(10 * chunk_size, 21)];
    use Op::*;
    let ops = vec![
        Put { content: 0, ignore_rc: false },
        Put { content: 0, ignore_rc: false },
        Put { content: 0, ignore_rc: false },
        Delete { put: 1, ignore_rc: false },
        Delete { put: 0, ignore_rc: false },
        Delete { put: 2, ignore_rc: false },
    ];
    Scenario { name: "repeated", contents, ops }
}

/// What an uninterrupted run of a scenario leaves behind.
struct ReferenceRun {
    /// Backend state before operation i; the last entry is the final state.
    states: Vec<BackendState>,
    /// Number of backend calls each operation makes.
    calls: Vec<u64>,
    /// The reference each put returned.
    references: Vec<Option<ContentReference>>,
}

fn open_faulty(config: &StoreConfig, backends: &MemoryBackends, plan: &std::sync::Arc<FaultPlan>) -> Store {
    let nodes = FaultyBackend::new(backends.nodes.clone(), plan.clone());
    let counts = backends
        .counts
        .clone()
        .map(|counts| Box::new(FaultyBackend::new(counts, plan.clone())) as Box<dyn Backend>);
    config.open(Box::new(nodes), counts)
}

fn apply(
    store: &Store,
    scenario: &Scenario,
    index: usize,
    references: &[Option<ContentReference>],
) -> seccs::Result<Option<ContentReference>> {
    match scenario.ops[index] {
        Op::Put { content, ignore_rc } => store.put(&scenario.contents[content], ignore_rc).map(Some),
        Op::Delete { put, ignore_rc } => {
            let reference = references[put].as_ref().expect("the put ran before");
            store.delete(reference.as_bytes(), ignore_rc).map(|()| None)
        }
    }
}

fn run_uninterrupted(config: &StoreConfig, scenario: &Scenario) -> ReferenceRun {
    let backends = MemoryBackends::new(config);
    let plan = FaultPlan::new(Fault::Never);
    let store = open_faulty(config, &backends, &plan);
    let mut run = ReferenceRun { states: vec![backends.state()], calls: Vec::new(), references: Vec::new() };

    for index in 0..scenario.ops.len() {
        let before = plan.calls();
        let reference = apply(&store, scenario, index, &run.references)
            .unwrap_or_else(|error| panic!("{} op {index} failed without faults: {error}", scenario.name));
        run.calls.push(plan.calls() - before);
        run.references.push(reference);
        run.states.push(backends.state());
    }
    run
}

/// Returns the counted references among the live puts `live`, once per put.
fn held<'a>(scenario: &Scenario, run: &'a ReferenceRun, live: &[usize]) -> Vec<&'a [u8]> {
    live.iter()
        .filter(|&&put| !scenario.is_ignore_rc_put(put))
        .map(|&put| run.references[put].as_ref().unwrap().as_bytes())
        .collect()
}

fn any_ignore_rc(scenario: &Scenario, live: &[usize]) -> bool {
    live.iter().any(|&put| scenario.is_ignore_rc_put(put))
}

/// Runs check with repair over `held` and returns the state afterwards.
fn repaired(config: &StoreConfig, backends: &MemoryBackends, held: &[&[u8]], context: &str) -> BackendState {
    let store = backends.open(config);
    store.check(held, true).unwrap_or_else(|error| panic!("{context}: check with repair failed: {error}"));
    let after = store.check(held, false).unwrap_or_else(|error| panic!("{context}: check failed: {error}"));
    assert!(after.is_clean(), "{context}: repair left problems: {after:?}");
    backends.state()
}

/// Returns the state an uninterrupted run has at each point where no `ignore_rc`
/// content is live, normalized by check with repair. Stores that count references must
/// need no repair at all; without counts, deletes leave nodes that repair removes.
fn expected_states(config: &StoreConfig, scenario: &Scenario, run: &ReferenceRun) -> Vec<Option<BackendState>> {
    let live = scenario.live_puts();
    (0..run.states.len())
        .map(|point| {
            if any_ignore_rc(scenario, &live[point]) {
                return None;
            }
            let backends = MemoryBackends::from_state(&run.states[point]);
            let store = backends.open(config);
            let held = held(scenario, run, &live[point]);
            let report = store.check(&held, config.counting == Counting::Disabled).unwrap();
            if config.counting != Counting::Disabled {
                assert!(report.is_clean(), "{} point {point}: uninterrupted run is not clean: {report:?}", scenario.name);
            }
            Some(backends.state())
        })
        .collect()
}

fn assert_reads_back(store: &Store, scenario: &Scenario, run: &ReferenceRun, puts: &[usize], context: &str) {
    for &put in puts {
        let reference = run.references[put].as_ref().unwrap();
        match store.get(reference.as_bytes()) {
            Ok(content) => assert!(
                content == scenario.content_of(put),
                "{context}: content of op {put} reads back wrong ({} bytes, expected {})",
                content.len(),
                scenario.content_of(put).len()
            ),
            Err(error) => panic!("{context}: content of op {put} ({}) is lost: {error}", hex(reference.as_bytes())),
        }
    }
}

fn assert_same_state(actual: &BackendState, expected: &BackendState, context: &str) {
    if actual == expected {
        return;
    }
    let describe = |name: &str, actual: &std::collections::HashMap<Vec<u8>, Vec<u8>>, expected: &std::collections::HashMap<Vec<u8>, Vec<u8>>| {
        let mut lines = Vec::new();
        for (key, value) in actual {
            match expected.get(key) {
                None => lines.push(format!("{name} extra {}", hex(key))),
                Some(wanted) if wanted != value => lines.push(format!(
                    "{name} differs {}: {:?} instead of {:?}",
                    hex(key),
                    String::from_utf8_lossy(value),
                    String::from_utf8_lossy(wanted)
                )),
                Some(_) => {}
            }
        }
        for key in expected.keys().filter(|key| !actual.contains_key(*key)) {
            lines.push(format!("{name} missing {}", hex(key)));
        }
        lines
    };
    let mut lines = describe("node backend:", &actual.nodes, &expected.nodes);
    if let (Some(actual), Some(expected)) = (&actual.counts, &expected.counts) {
        lines.extend(describe("count backend:", actual, expected));
    }
    lines.truncate(10);
    panic!("{context}: backend differs from the uninterrupted run:\n{}", lines.join("\n"));
}

/// Runs one operation of the scenario with `fault` and checks every guarantee.
fn interrupt(
    config: &StoreConfig,
    scenario: &Scenario,
    run: &ReferenceRun,
    expected: &[Option<BackendState>],
    index: usize,
    fault: Fault,
) {
    let context = format!("{:?} S={} {:?} {:?} {} op {index} {fault:?}", config.wrapper, config.chunk_size, config.chunking, config.counting, scenario.name);
    let live = scenario.live_puts();
    let (live_before, live_after) = (&live[index], &live[index + 1]);

    // The interrupted operation.
    let backends = MemoryBackends::from_state(&run.states[index]);
    let plan = FaultPlan::new(fault);
    let result = apply(&open_faulty(config, &backends, &plan), scenario, index, &run.references);
    match &result {
        Err(Error::Backend { source, .. }) if source.code == INJECTED_FAILURE => {}
        other => panic!("{context}: expected the injected failure ({:?}), got {other:?}", plan.injected()),
    }

    // Reopen with faults off: every completed content that is not being deleted is intact.
    let store = backends.open(config);
    let untouched: Vec<usize> = live_before.iter().copied().filter(|put| live_after.contains(put)).collect();
    assert_reads_back(&store, scenario, run, &untouched, &format!("{context}, after the failure"));

    // Abandoning the operation and repairing gives the state without the put, or with the
    // delete done.
    let abandoned_live = match scenario.ops[index] {
        Op::Put { .. } => (live_before, index),
        Op::Delete { .. } => (live_after, index + 1),
    };
    if let Some(want) = &expected[abandoned_live.1] {
        let copy = MemoryBackends::from_state(&backends.state());
        let state = repaired(config, &copy, &held(scenario, run, abandoned_live.0), &context);
        assert_same_state(&state, want, &format!("{context}, abandoned and repaired"));
    }

    // Finish the operation.
    match scenario.ops[index] {
        Op::Put { content, ignore_rc } => {
            let reference = store
                .put(&scenario.contents[content], ignore_rc)
                .unwrap_or_else(|error| panic!("{context}: retried put failed: {error}"));
            assert_eq!(Some(&reference), run.references[index].as_ref(), "{context}: retried put");
        }
        Op::Delete { put, ignore_rc: false } if !matches!(fault, Fault::ApplyThenFail(_)) => {
            let reference = run.references[put].as_ref().unwrap();
            match store.delete(reference.as_bytes(), false) {
                Ok(()) | Err(Error::MissingReferenceCount { .. }) => {}
                Err(error) => panic!("{context}: retried delete failed: {error}"),
            }
        }
        Op::Delete { .. } => {}
    }
    assert_reads_back(&store, scenario, run, live_after, &format!("{context}, after finishing"));

    // Carry on without repair: leaked nodes and high counts must not disturb later
    // operations, and a repair at the end still reaches the uninterrupted state. The
    // other faults leave the same kinds of leftovers, so one kind is enough here.
    if matches!(fault, Fault::FailAt(_)) {
        let unrepaired = MemoryBackends::from_state(&backends.state());
        carry_on(config, scenario, run, expected, &unrepaired, index + 1, scenario.ops.len(), &context);
    }

    // Repair right away, or where no ignore_rc content is live any more.
    carry_on(config, scenario, run, expected, &backends, index + 1, index + 1, &context);
}

/// Runs operations `first..` on `backends` without faults, reading every live content
/// back after each, and once past `repair_from` repairs at the first point where no
/// ignore_rc content is live and compares with the uninterrupted run.
#[allow(clippy::too_many_arguments)]
fn carry_on(
    config: &StoreConfig,
    scenario: &Scenario,
    run: &ReferenceRun,
    expected: &[Option<BackendState>],
    backends: &MemoryBackends,
    first: usize,
    repair_from: usize,
    context: &str,
) {
    let live = scenario.live_puts();
    let store = backends.open(config);
    for point in first..=scenario.ops.len() {
        if point > first {
            let op = point - 1;
            apply(&store, scenario, op, &run.references)
                .unwrap_or_else(|error| panic!("{context}: op {op} after the failure failed: {error}"));
            assert_reads_back(&store, scenario, run, &live[point], &format!("{context}, after op {op}"));
        }
        if point < repair_from {
            continue;
        }
        if let Some(want) = &expected[point] {
            let state = repaired(config, backends, &held(scenario, run, &live[point]), context);
            assert_same_state(&state, want, &format!("{context}, repaired before op {point}"));
            return;
        }
    }
    panic!("{context}: the scenario ends with an ignore_rc content live");
}

/// Interrupts every call of every operation of `scenario` with each kind of fault;
/// returns the number of interrupted runs.
fn interrupt_everywhere(config: StoreConfig, scenario: &Scenario, faults: &[fn(u64) -> Fault]) -> u64 {
    let run = run_uninterrupted(&config, scenario);
    let expected = expected_states(&config, scenario, &run);
    let final_state = expected.last().unwrap().as_ref().expect("scenarios end without ignore_rc contents");
    if config.counting != Counting::Disabled {
        assert!(final_state.nodes.is_empty(), "{}: deleting everything leaves nodes", scenario.name);
    }

    let mut runs = 0;
    for index in 0..scenario.ops.len() {
        for call in 0..run.calls[index] {
            for fault in faults {
                interrupt(&config, scenario, &run, &expected, index, fault(call));
                runs += 1;
            }
        }
    }
    runs
}

const ALL_FAULTS: [fn(u64) -> Fault; 3] = [Fault::FailAt, Fault::StopAt, Fault::ApplyThenFail];

fn run_configs(configs: &[StoreConfig], faults: &[fn(u64) -> Fault]) {
    for config in configs {
        let started = Instant::now();
        let chunk_size = config.chunk_size as usize;
        let mut runs = 0;
        for scenario in [mixed_scenario(chunk_size), repeated_scenario(chunk_size)] {
            runs += interrupt_everywhere(*config, &scenario, faults);
        }
        eprintln!("{config:?}: {runs} interrupted runs in {:.2?}", started.elapsed());
    }
}

#[test]
fn aes_siv_every_fault_point() {
    let configs = [StoreConfig::new(WrapperKind::AesSiv256, 32), StoreConfig::new(WrapperKind::AesSiv256, 64)];
    run_configs(&configs, &ALL_FAULTS);
}

#[test]
fn aes_siv_distinguished_root_every_fault_point() {
    let configs = [
        StoreConfig::new(WrapperKind::AesSiv256DistinguishedRoot, 48),
        StoreConfig::new(WrapperKind::AesSiv256DistinguishedRoot, 96),
    ];
    run_configs(&configs, &ALL_FAULTS);
}

#[test]
fn hmac_every_fault_point() {
    let configs = [StoreConfig::new(WrapperKind::HmacSha256, 64), StoreConfig::new(WrapperKind::HmacSha256, 128)];
    run_configs(&configs, &ALL_FAULTS);
}

#[test]
fn hmac_distinguished_root_every_fault_point() {
    let configs = [
        StoreConfig::new(WrapperKind::HmacSha256DistinguishedRoot, 64),
        StoreConfig::new(WrapperKind::HmacSha256DistinguishedRoot, 96),
    ];
    run_configs(&configs, &ALL_FAULTS);
}

#[test]
fn sha256_every_fault_point() {
    let configs = [StoreConfig::new(WrapperKind::Sha256, 64), StoreConfig::new(WrapperKind::Sha256, 128)];
    run_configs(&configs, &ALL_FAULTS);
}

#[test]
fn static_chunking_every_fault_point() {
    let configs = [
        StoreConfig::new(WrapperKind::AesSiv256, 32).with_chunking(Chunking::Static),
        StoreConfig::new(WrapperKind::Sha256, 64).with_chunking(Chunking::Static),
    ];
    run_configs(&configs, &ALL_FAULTS);
}

#[test]
fn separate_counts_every_fault_point() {
    let configs = [
        StoreConfig::new(WrapperKind::AesSiv256, 48).with_counting(Counting::Separate),
        StoreConfig::new(WrapperKind::HmacSha256DistinguishedRoot, 64).with_counting(Counting::Separate),
    ];
    run_configs(&configs, &ALL_FAULTS);
}

#[test]
fn disabled_counts_every_fault_point() {
    let configs = [StoreConfig::new(WrapperKind::HmacSha256, 64).with_counting(Counting::Disabled)];
    run_configs(&configs, &ALL_FAULTS);
}

/// Interrupts `check` with repair itself at every call: repair only deletes what no held
/// reference reaches and rewrites counts to their exact values, so a partial repair
/// loses nothing and a second repair completes it.
fn interrupt_repair(config: StoreConfig) -> u64 {
    let s = config.chunk_size as usize;
    let kept = pseudo_random(30 * s, 31);
    let abandoned = edited(&kept, 10 * s, &pseudo_random(3 * s, 32));
    let deleted = edited(&kept, 20 * s, &pseudo_random(3 * s, 33));

    // A store with the leftovers of an abandoned put and of a delete stopped halfway,
    // next to the state the same store has without them.
    let backends = MemoryBackends::new(&config);
    let store = backends.open(&config);
    let kept_reference = store.put(&kept, false).unwrap();
    let clean = backends.state();
    let deleted_reference = store.put(&deleted, false).unwrap();
    drop(store);
    for (work, stop_at) in [(0, 40), (1, 25)] {
        let plan = FaultPlan::new(Fault::StopAt(stop_at));
        let store = open_faulty(&config, &backends, &plan);
        let result = match work {
            0 => store.put(&abandoned, false).map(drop),
            _ => store.delete(deleted_reference.as_bytes(), false),
        };
        assert!(matches!(result, Err(Error::Backend { .. })), "leftover {work}: {result:?}");
    }
    let damaged = backends.state();
    let held = [kept_reference.as_bytes()];
    assert_ne!(damaged, clean, "the interrupted operations left nothing to repair");

    let plan = FaultPlan::new(Fault::Never);
    open_faulty(&config, &MemoryBackends::from_state(&damaged), &plan).check(&held, true).unwrap();
    let repair_calls = plan.calls();

    for call in 0..repair_calls {
        for fault in ALL_FAULTS {
            let context = format!("{config:?} repair {:?}", fault(call));
            let backends = MemoryBackends::from_state(&damaged);
            let plan = FaultPlan::new(fault(call));
            let result = open_faulty(&config, &backends, &plan).check(&held, true);
            assert!(matches!(result, Err(Error::Backend { .. })), "{context}: {result:?}");

            let store = backends.open(&config);
            assert!(store.get(kept_reference.as_bytes()).unwrap() == kept, "{context}: kept content changed");
            let state = repaired(&config, &backends, &held, &context);
            assert_same_state(&state, &clean, &context);
        }
    }
    repair_calls
}

#[test]
fn repair_every_fault_point() {
    for config in [
        StoreConfig::new(WrapperKind::AesSiv256, 32),
        StoreConfig::new(WrapperKind::Sha256, 64),
        StoreConfig::new(WrapperKind::HmacSha256, 64).with_counting(Counting::Separate),
    ] {
        let calls = interrupt_repair(config);
        assert!(calls > 10, "{config:?}: repair made only {calls} backend calls");
    }
}
