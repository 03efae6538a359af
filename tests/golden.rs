//! Replays the vectors produced by the Python package `seccs` 0.0.5: chunker boundaries,
//! and store scenarios with the content reference, `is_new` and a fingerprint of the
//! whole backend after every step.
//!
//! The vectors are read from `$SECCS_GOLDEN_DIR`, by default `../shared/golden` beside
//! the crate root.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};

use seccs::{ChunkingStrategy, MemoryBackend, RabinKarp, StaticChunking, Store, WrapperKind};

fn golden_dir() -> PathBuf {
    match std::env::var_os("SECCS_GOLDEN_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/golden"),
    }
}

fn read_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}; set SECCS_GOLDEN_DIR", path.display()));
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("each vector line is one JSON object"))
        .collect()
}

fn read_content(dir: &Path, name: &str) -> Vec<u8> {
    let path = dir.join("contents").join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(&text[index..index + 2], 16).expect("vectors hold valid hex"))
        .collect()
}

fn numbers(value: &Value) -> Vec<u64> {
    value.as_array().expect("an array").iter().map(|n| n.as_u64().expect("a number")).collect()
}

fn pairs(value: &Value) -> Vec<(usize, usize)> {
    value
        .as_array()
        .expect("an array of pairs")
        .iter()
        .map(|pair| {
            let pair = numbers(pair);
            (pair[0] as usize, pair[1] as usize)
        })
        .collect()
}

/// Checks every chunker case; returns the number of cases.
fn check_chunker_cases(dir: &Path, failures: &mut Vec<String>) -> usize {
    let cases = read_lines(&dir.join("chunker.jsonl"));
    let mut contents: HashMap<String, Vec<u8>> = HashMap::new();

    for (index, case) in cases.iter().enumerate() {
        let name = case["content"].as_str().expect("content name");
        let content = contents.entry(name.to_string()).or_insert_with(|| read_content(dir, name));
        let window = case["window_size"].as_u64().expect("window_size") as usize;
        let seed = case["seed"].as_u64().expect("seed") as u32;
        let sizes = numbers(&case["chunk_sizes"]);
        assert_eq!(case["prepend_zeros"].as_u64(), Some(window as u64 - 1), "case {index}: zero prefix is W-1");
        let chunker = RabinKarp::new(window, seed).expect("valid window size");

        let expected = pairs(&case["multilevel_boundaries"]);
        let actual: Vec<(usize, usize)> =
            chunker.boundaries(content, &sizes).iter().map(|b| (b.position, b.level)).collect();
        if actual != expected {
            let first = actual.iter().zip(&expected).position(|(a, e)| a != e);
            failures.push(format!(
                "chunker case {index} ({name}, W={window}, seed={seed}, sizes={sizes:?}): multi-level \
                 boundaries differ: {} found, {} expected, first difference at index {first:?}",
                actual.len(),
                expected.len()
            ));
        }

        if let Some(size) = case["single_level_chunk_size"].as_u64() {
            let expected: Vec<usize> =
                numbers(&case["single_level_boundaries"]).iter().map(|&p| p as usize).collect();
            let actual = chunker.single_level_boundaries(content, size);
            if actual != expected {
                failures.push(format!(
                    "chunker case {index} ({name}, W={window}, seed={seed}, size={size}): single-level \
                     boundaries differ: {} found, {} expected",
                    actual.len(),
                    expected.len()
                ));
            }
        }
    }
    cases.len()
}

fn chunking_for(name: &str) -> Box<dyn ChunkingStrategy> {
    match name {
        "rabin_karp_48_0" => Box::new(RabinKarp::new(48, 0).unwrap()),
        "rabin_karp_48_alt" => Box::new(RabinKarp::new(48, 12345).unwrap()),
        "rabin_karp_16_7" => Box::new(RabinKarp::new(16, 7).unwrap()),
        "static" => Box::new(StaticChunking::new()),
        other => panic!("unknown chunking {other:?} in the vectors"),
    }
}

/// Fingerprint of a backend in the vectors' format.
struct Fingerprint {
    node_count: u64,
    node_bytes: u64,
    nodes_sha256: String,
    refcount_count: u64,
    refcounts_sha256: String,
    nodes: Vec<(String, String)>,
    refcounts: Vec<(String, u64)>,
}

fn fingerprint(entries: &HashMap<Vec<u8>, Vec<u8>>, digest_size: usize) -> Fingerprint {
    let mut sorted: Vec<_> = entries.iter().collect();
    sorted.sort();

    let mut nodes_hasher = Sha256::new();
    let mut counts_hasher = Sha256::new();
    let mut fingerprint = Fingerprint {
        node_count: 0,
        node_bytes: 0,
        nodes_sha256: String::new(),
        refcount_count: 0,
        refcounts_sha256: String::new(),
        nodes: Vec::new(),
        refcounts: Vec::new(),
    };

    for (key, value) in sorted {
        if key.len() == digest_size {
            fingerprint.node_count += 1;
            fingerprint.node_bytes += (key.len() + value.len()) as u64;
            nodes_hasher.update((key.len() as u32).to_le_bytes());
            nodes_hasher.update(key);
            nodes_hasher.update((value.len() as u32).to_le_bytes());
            nodes_hasher.update(value);
            fingerprint.nodes.push((hex(key), hex(value)));
        } else {
            assert_eq!(key.len(), digest_size + 1, "backend key {} has neither node nor count length", hex(key));
            assert_eq!(key.last(), Some(&b'r'), "count key {} lacks the 'r' suffix", hex(key));
            let count: u64 = std::str::from_utf8(value)
                .ok()
                .and_then(|text| text.parse().ok())
                .unwrap_or_else(|| panic!("count {value:?} under {} is not ASCII decimal", hex(key)));
            fingerprint.refcount_count += 1;
            counts_hasher.update((key.len() as u32).to_le_bytes());
            counts_hasher.update(key);
            counts_hasher.update(count.to_le_bytes());
            fingerprint.refcounts.push((hex(key), count));
        }
    }

    fingerprint.nodes_sha256 = hex(&nodes_hasher.finalize());
    fingerprint.refcounts_sha256 = hex(&counts_hasher.finalize());
    fingerprint
}

fn compare_db(expected: &Value, actual: &Fingerprint, context: &str, failures: &mut Vec<String>) {
    let mut check = |field: &str, found: String| {
        let wanted = match &expected[field] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        if wanted != found {
            failures.push(format!("{context}: db {field} is {found}, expected {wanted}"));
        }
    };
    check("node_count", actual.node_count.to_string());
    check("node_bytes", actual.node_bytes.to_string());
    check("nodes_sha256", actual.nodes_sha256.clone());
    check("refcount_count", actual.refcount_count.to_string());
    check("refcounts_sha256", actual.refcounts_sha256.clone());

    if let Some(nodes) = expected["nodes"].as_array() {
        let wanted: Vec<(String, String)> = nodes
            .iter()
            .map(|pair| (pair[0].as_str().unwrap().to_string(), pair[1].as_str().unwrap().to_string()))
            .collect();
        if wanted != actual.nodes {
            failures.push(format!("{context}: node entries differ"));
        }
    }
    if let Some(counts) = expected["refcounts"].as_array() {
        let wanted: Vec<(String, u64)> = counts
            .iter()
            .map(|pair| (pair[0].as_str().unwrap().to_string(), pair[1].as_u64().unwrap()))
            .collect();
        if wanted != actual.refcounts {
            failures.push(format!("{context}: count entries differ: found {:?}, expected {wanted:?}", actual.refcounts));
        }
    }
}

/// Replays every store scenario; returns the number of scenarios and of steps.
fn check_store_scenarios(dir: &Path, failures: &mut Vec<String>) -> (usize, usize) {
    let scenarios = read_lines(&dir.join("store.jsonl"));
    let mut steps_checked = 0;

    for (index, scenario) in scenarios.iter().enumerate() {
        let wrapper_name = scenario["crypto_wrapper"].as_str().expect("crypto_wrapper");
        let kind = WrapperKind::from_name(wrapper_name).expect("a known wrapper name");
        let key = scenario["key"].as_str().map(unhex).unwrap_or_default();
        let chunk_size = scenario["chunk_size"].as_u64().expect("chunk_size");
        let chunking = scenario["chunking"].as_str().expect("chunking");
        let name = scenario["name"].as_str().unwrap_or("unnamed");
        let context = format!("scenario {index} ({name}, {wrapper_name}, S={chunk_size}, {chunking})");

        let backend = Arc::new(MemoryBackend::new());
        let store = Store::builder(chunk_size, kind.build(&key).expect("valid key"))
            .chunking(chunking_for(chunking))
            .build(Box::new(backend.clone()))
            .expect("valid store configuration");
        let mut references: HashMap<String, Vec<u8>> = HashMap::new();

        for (step_index, step) in scenario["steps"].as_array().expect("steps").iter().enumerate() {
            let label = step["label"].as_str().unwrap_or("");
            let ignore_rc = step["ignore_rc"].as_bool().unwrap_or(false);
            let op = step["op"].as_str().expect("op");
            let step_context = format!("{context} step {step_index} ({op} {label})");

            match op {
                "put" => {
                    let content = read_content(dir, step["content"].as_str().expect("content"));
                    let (reference, is_new) = match store.put_and_check_if_new(&content, ignore_rc) {
                        Ok(result) => result,
                        Err(error) => {
                            failures.push(format!("{step_context}: put failed: {error}"));
                            break;
                        }
                    };
                    let expected_digest = step["digest"].as_str().expect("digest");
                    if reference.to_hex() != expected_digest {
                        failures.push(format!(
                            "{step_context}: reference {} expected {expected_digest}",
                            reference.to_hex()
                        ));
                    }
                    if Some(is_new) != step["is_new"].as_bool() {
                        failures.push(format!("{step_context}: is_new {is_new}, expected {}", step["is_new"]));
                    }
                    match store.get(reference.as_bytes()) {
                        Ok(read) if read == content => {}
                        Ok(_) => failures.push(format!("{step_context}: get returned other bytes")),
                        Err(error) => failures.push(format!("{step_context}: get failed: {error}")),
                    }
                    references.insert(label.to_string(), reference.as_bytes().to_vec());
                }
                "delete" => {
                    let reference = references.get(label).expect("delete names an earlier put");
                    if let Err(error) = store.delete(reference, ignore_rc) {
                        failures.push(format!("{step_context}: delete failed: {error}"));
                        break;
                    }
                }
                other => panic!("unknown step op {other:?}"),
            }

            let actual = fingerprint(&backend.snapshot(), kind.digest_size());
            compare_db(&step["db"], &actual, &step_context, failures);
            steps_checked += 1;
        }
    }
    (scenarios.len(), steps_checked)
}

#[test]
fn golden_vectors() {
    let dir = golden_dir();
    let mut failures = Vec::new();

    let chunker_cases = check_chunker_cases(&dir, &mut failures);
    let (scenarios, steps) = check_store_scenarios(&dir, &mut failures);
    println!("golden: {scenarios} store scenarios, {chunker_cases} chunker cases, {steps} steps checked");

    assert!(chunker_cases > 0, "no chunker cases in {}", dir.display());
    assert!(scenarios > 0, "no store scenarios in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} mismatches with the vectors in {}:\n{}",
        failures.len(),
        dir.display(),
        failures.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}
