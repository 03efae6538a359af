//! Storage efficiency: bytes a backend holds after storing consecutive releases of a real
//! package, against their raw size, at chunk sizes 256, 1024 and 4096.
//!
//! Reads the paths of the release tars from standard input, one per line, oldest first
//! (the output of scripts/fetch-releases.sh), and stores them one after another in one
//! store per chunk size (AES_SIV_256, in-memory backend, counts under key suffixes).
//! After each release it prints the cumulative raw bytes and the bytes the backend
//! holds, and writes the same rows as CSV to the path given as the first argument, for
//! scripts/plot_storage.py.
//!
//! `make bench-storage` runs it; by hand: `scripts/fetch-releases.sh |
//! cargo bench --bench storage -- storage.csv`.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

use seccs::refcount::COUNT_KEY_SUFFIX;
use seccs::{MemoryBackend, Store, WrapperKind};

const CHUNK_SIZES: [u64; 3] = [256, 1024, 4096];
const KEY: [u8; 32] = [0x42; 32];

/// Bytes stored in a backend: node entries and count entries, keys plus values.
#[derive(Default, Clone, Copy)]
struct StoredBytes {
    nodes: u64,
    counts: u64,
}

fn stored_bytes(backend: &MemoryBackend, digest_size: usize) -> StoredBytes {
    let mut held = StoredBytes::default();
    for (key, value) in backend.snapshot() {
        let bytes = (key.len() + value.len()) as u64;
        // Count keys are a node key followed by the suffix byte, so one byte longer.
        if key.len() == digest_size + 1 && key.last() == Some(&COUNT_KEY_SUFFIX) {
            held.counts += bytes;
        } else {
            held.nodes += bytes;
        }
    }
    held
}

fn main() {
    // `cargo bench` passes --bench; the first other argument is the CSV path.
    let csv_path = std::env::args().skip(1).find(|arg| !arg.starts_with("--")).map(PathBuf::from);
    let Some(csv_path) = csv_path else {
        eprintln!("usage: scripts/fetch-releases.sh | cargo bench --bench storage -- OUTPUT.csv");
        std::process::exit(2);
    };

    let releases: Vec<PathBuf> = std::io::stdin()
        .lock()
        .lines()
        .map(|line| line.expect("standard input is readable"))
        .filter(|line| !line.trim().is_empty())
        .map(PathBuf::from)
        .collect();
    if releases.is_empty() {
        eprintln!(
            "no release paths on standard input: pipe in the output of scripts/fetch-releases.sh"
        );
        std::process::exit(2);
    }

    let stores: Vec<(u64, Arc<MemoryBackend>, Store)> = CHUNK_SIZES
        .iter()
        .map(|&chunk_size| {
            let backend = Arc::new(MemoryBackend::new());
            let wrapper = WrapperKind::AesSiv256.build(&KEY).expect("a 32-byte key");
            let store = Store::builder(chunk_size, wrapper)
                .build(Box::new(backend.clone()))
                .expect("a valid configuration");
            (chunk_size, backend, store)
        })
        .collect();

    let mut csv = String::from("release,raw_bytes,cumulative_raw_bytes");
    for chunk_size in CHUNK_SIZES {
        csv.push_str(&format!(
            ",stored_bytes_s{chunk_size},node_bytes_s{chunk_size},count_bytes_s{chunk_size}"
        ));
    }
    csv.push('\n');

    println!("Bytes held by the backend after each release (AES_SIV_256, in-memory backend)");
    print!("{:<16} {:>10} {:>12}", "release", "raw", "cumulative");
    for chunk_size in CHUNK_SIZES {
        print!(" {:>12} {:>6}", format!("S={chunk_size}"), "ratio");
    }
    println!();

    let mut cumulative_raw = 0u64;
    for path in &releases {
        let content = std::fs::read(path)
            .unwrap_or_else(|error| panic!("cannot read release {}: {error}", path.display()));
        cumulative_raw += content.len() as u64;
        let name = path
            .file_stem()
            .map_or_else(|| path.display().to_string(), |stem| stem.to_string_lossy().into_owned());

        print!("{:<16} {:>10} {:>12}", name, content.len(), cumulative_raw);
        csv.push_str(&format!("{name},{},{cumulative_raw}", content.len()));
        for (_, backend, store) in &stores {
            store
                .put(&content, false)
                .unwrap_or_else(|error| panic!("put of {name} failed: {error}"));
            let held = stored_bytes(backend, store.digest_size());
            let total = held.nodes + held.counts;
            print!(" {:>12} {:>6.3}", total, total as f64 / cumulative_raw as f64);
            csv.push_str(&format!(",{total},{},{}", held.nodes, held.counts));
        }
        println!();
        csv.push('\n');
    }

    let mut file = std::fs::File::create(&csv_path)
        .unwrap_or_else(|error| panic!("cannot create {}: {error}", csv_path.display()));
    file.write_all(csv.as_bytes()).expect("the CSV file is writable");
    println!();
    println!(
        "ratio: bytes held (node and count entries, keys and values) over the cumulative raw bytes. \
         CSV: {}",
        csv_path.display()
    );
}
