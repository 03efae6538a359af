//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the same target
//! functions the cargo-fuzz binaries run, so that `cargo test` guards every input the
//! fuzzer ever kept, without libFuzzer or a nightly toolchain.

mod support;

use std::path::PathBuf;

use support::fuzz_targets;

/// Runs `target` on every file of `fuzz/<kind>/<name>/` and names the failing file.
/// `kind` is `corpus` (the inputs the fuzzer kept) or `regressions` (inputs that once
/// crashed a target, kept apart so that corpus minimization never drops them).
fn replay(kind: &str, name: &str, target: fn(&[u8])) {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(kind).join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", directory.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no corpus files", directory.display());

    for file in &files {
        let data = std::fs::read(file).unwrap();
        let outcome = std::panic::catch_unwind(|| target(&data));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
                .unwrap_or_default();
            panic!("{kind} file {} failed: {message}", file.display());
        }
    }
    eprintln!("{kind}/{name}: replayed {} files", files.len());
}

#[test]
fn reference_corpus() {
    replay("corpus", "reference", fuzz_targets::reference);
}

#[test]
fn backend_values_corpus() {
    replay("corpus", "backend_values", fuzz_targets::backend_values);
}

#[test]
fn model_corpus() {
    replay("corpus", "model", fuzz_targets::model);
}

#[test]
fn backend_values_regressions() {
    replay("regressions", "backend_values", fuzz_targets::backend_values);
}

#[test]
fn model_regressions() {
    replay("regressions", "model", fuzz_targets::model);
}
