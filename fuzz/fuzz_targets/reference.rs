//! Fuzz target: arbitrary content reference bytes through get, verify and delete.
//! The logic is shared with `tests/fuzz_corpus.rs`, which replays the corpus.

#![no_main]

#[allow(dead_code)]
#[path = "../../tests/support/fuzz_targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::reference(data));
