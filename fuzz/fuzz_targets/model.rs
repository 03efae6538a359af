//! Fuzz target: put, get and delete sequences checked against a model of the live contents.
//! The logic is shared with `tests/fuzz_corpus.rs`, which replays the corpus.

#![no_main]

#[allow(dead_code)]
#[path = "../../tests/support/fuzz_targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::model(data));
