//! Throughput and peak memory of libseccs, against its primitives measured in the same run.
//!
//! `cargo bench --bench throughput` (or `make bench`) stores 64 MiB of seeded random
//! bytes in the in-memory backend, for each crypto wrapper and chunk sizes 256 and 4096.
//! It prints put, get and delete throughput and peak memory. In the same run it measures
//! the wrapper's primitive alone over S-byte pieces of the same bytes and the Rabin-Karp
//! chunker alone, and prints the ratios and the performance targets with measured values.
//!
//! Every measurement runs in a fresh child process (this program run with `--child`),
//! so that peak memory is that of one operation and single-thread runs can be pinned to
//! one CPU: `std::thread::available_parallelism` then reports 1 and libseccs stays on the
//! calling thread. Peak memory is the kernel's resident-set high-water mark (VmHWM in
//! /proc/self/status), reset just before the operation through /proc/self/clear_refs.
//!
//! Times are wall-clock medians. `SECCS_BENCH_REPS` sets the number of runs (default 5),
//! `SECCS_BENCH_MIB` the content size (default 64), and `SECCS_BENCH_FFI` the path of
//! the C-ABI benchmark program that benches/bench.mk builds, whose results join the table.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use aes_siv::aead::KeyInit;
use aes_siv::siv::Aes128Siv;
use hmac::{Hmac, Mac};
use seccs::crypto::AesSiv256;
use seccs::{
    Backend, BackendError, ChunkingStrategy, MemoryBackend, RabinKarp, Store, WrapperKind,
};
use sha2::{Digest, Sha256};

const CHUNK_SIZES: [u64; 2] = [256, 4096];
const SEED: u64 = 1;
const KEY: [u8; 32] = [0x42; 32];
const MB: f64 = 1e6;
const MIB: f64 = 1024.0 * 1024.0;
/// Content size of the memory-bound measurement.
const LARGE_PUT_MIB: usize = 256;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(position) = args.iter().position(|arg| arg == "--child") {
        let spec: Vec<&str> = args[position + 1..].iter().map(String::as_str).collect();
        run_child(&spec);
    } else {
        run_parent();
    }
}

// ---------------------------------------------------------------------------------------
// Settings and helpers shared by parent and children.

fn repetitions() -> usize {
    env_number("SECCS_BENCH_REPS", 5).max(1)
}

fn content_mib() -> usize {
    env_number("SECCS_BENCH_MIB", 64).max(1)
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => text.parse().unwrap_or_else(|_| {
            panic!("{name}={text:?} is not a whole number; unset it or give e.g. {default}")
        }),
        Err(_) => default,
    }
}

/// Returns `length` bytes from xorshift64* seeded with `seed`, the same on every run.
fn random_content(length: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut content = Vec::with_capacity(length + 8);
    while content.len() < length {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        content.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    content.truncate(length);
    content
}

/// Runs `operation` `runs` times and returns the median wall-clock seconds. `prepare`
/// runs before each run and the value `operation` returns is dropped after it, both
/// untimed.
///
/// The machine may be shared, so a run during which other processes used more than a
/// tenth of a CPU is repeated after a pause, up to [`MAX_ATTEMPTS`] times. The last
/// attempt counts either way and is reported in `contended_runs` of the child's results.
fn median_seconds<S, R>(
    runs: usize,
    mut prepare: impl FnMut() -> S,
    mut operation: impl FnMut(S) -> R,
) -> f64 {
    let mut seconds: Vec<f64> = (0..runs)
        .map(|_| {
            for attempt in 1..=MAX_ATTEMPTS {
                let state = prepare();
                let before = CpuUsage::now();
                let start = Instant::now();
                let result = operation(state);
                let elapsed = start.elapsed().as_secs_f64();
                let others = CpuUsage::now().others_since(&before);
                drop(result);
                let quiet = others <= 0.1 * elapsed + 0.02;
                if quiet || attempt == MAX_ATTEMPTS {
                    if !quiet {
                        CONTENDED_RUNS.fetch_add(1, Ordering::Relaxed);
                    }
                    return elapsed;
                }
                // Builds and tests come in bursts; give this one time to pass.
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
            unreachable!("the last attempt returns")
        })
        .collect();
    seconds.sort_by(f64::total_cmp);
    seconds[seconds.len() / 2]
}

/// Attempts per run before a run measured while other processes were busy counts.
const MAX_ATTEMPTS: usize = 6;

/// Runs that still had other processes busy after [`MAX_ATTEMPTS`] attempts.
static CONTENDED_RUNS: AtomicUsize = AtomicUsize::new(0);

/// CPU time used so far by the whole machine and by this process, in seconds.
struct CpuUsage {
    machine: f64,
    own: f64,
}

impl CpuUsage {
    fn now() -> Self {
        // The first line of /proc/stat adds up all CPUs, in clock ticks: user, nice,
        // system, idle, iowait, irq, softirq, steal.
        let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat is readable");
        let ticks: Vec<f64> = stat
            .lines()
            .next()
            .expect("/proc/stat has a cpu line")
            .split_whitespace()
            .skip(1)
            .take(8)
            .map(|field| field.parse().expect("a tick count"))
            .collect();
        let busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7];
        // SAFETY: sysconf has no preconditions.
        let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;

        // SAFETY: `usage` is a plain struct owned by this frame that getrusage fills.
        let own = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0, "getrusage failed");
            let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 * 1e-6;
            seconds(usage.ru_utime) + seconds(usage.ru_stime)
        };
        CpuUsage { machine: busy / ticks_per_second, own }
    }

    /// Returns the CPU seconds that other processes used since `earlier`.
    fn others_since(&self, earlier: &CpuUsage) -> f64 {
        (self.machine - earlier.machine) - (self.own - earlier.own)
    }
}

fn megabytes_per_second(bytes: usize, seconds: f64) -> f64 {
    bytes as f64 / seconds / MB
}

/// Restricts this process to the first CPU it may run on.
fn pin_to_one_cpu() {
    // SAFETY: `set` is a plain bitmask owned by this frame; sched_getaffinity and
    // sched_setaffinity read and write at most size_of::<cpu_set_t>() bytes of it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let size = std::mem::size_of::<libc::cpu_set_t>();
        assert_eq!(libc::sched_getaffinity(0, size, &mut set), 0, "sched_getaffinity failed");
        let first = (0..libc::CPU_SETSIZE as usize).find(|&cpu| libc::CPU_ISSET(cpu, &set));
        let first = first.expect("the process may run on some CPU");
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(first, &mut set);
        assert_eq!(libc::sched_setaffinity(0, size, &set), 0, "sched_setaffinity failed");
    }
}

/// Resets the resident-set high-water mark of this process.
fn reset_peak_memory() {
    std::fs::write("/proc/self/clear_refs", "5")
        .expect("writing /proc/self/clear_refs resets the peak RSS (Linux 4.0 or later)");
}

/// Returns a field of /proc/self/status in bytes, e.g. `VmHWM` or `VmRSS`.
fn status_bytes(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with(&format!("{field}:")))
        .unwrap_or_else(|| panic!("/proc/self/status has no {field} line"));
    let kib: f64 =
        line.split_whitespace().nth(1).and_then(|text| text.parse().ok()).expect("a size in kB");
    kib * 1024.0
}

/// Measures the peak resident memory `operation` adds over what was resident before.
fn with_peak_memory<T>(operation: impl FnOnce() -> T) -> (T, f64) {
    let before = status_bytes("VmRSS");
    reset_peak_memory();
    let result = operation();
    let peak = status_bytes("VmHWM");
    (result, (peak - before).max(0.0))
}

fn wrapper_key(kind: WrapperKind) -> &'static [u8] {
    if kind.is_keyed() { &KEY } else { &[] }
}

fn new_store(kind: WrapperKind, chunk_size: u64, backend: Box<dyn Backend>) -> Store {
    let wrapper = kind.build(wrapper_key(kind)).expect("valid benchmark key");
    Store::builder(chunk_size, wrapper).build(backend).expect("valid benchmark configuration")
}

/// Returns the level sizes a put of `length` bytes passes to the chunker.
fn level_sizes(chunk_size: u64, length: usize) -> Vec<u64> {
    let store = new_store(WrapperKind::AesSiv256, chunk_size, Box::new(MemoryBackend::new()));
    let height = store.height(length as u64).expect("a valid height");
    (0..height).map(|level| store.level_size(level)).collect()
}

/// A backend that keeps nothing: every read finds no entry. Used to measure the memory a
/// put itself needs, apart from what a backend keeps.
struct DiscardingBackend;

impl Backend for DiscardingBackend {
    fn get(&self, _key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(None)
    }

    fn set(&self, _key: &[u8], _value: &[u8]) -> Result<(), BackendError> {
        Ok(())
    }

    fn delete(&self, _key: &[u8]) -> Result<(), BackendError> {
        Ok(())
    }

    fn contains(&self, _key: &[u8]) -> Result<bool, BackendError> {
        Ok(false)
    }
}

// ---------------------------------------------------------------------------------------
// Children: one measurement each, printed as `key=value` pairs on one line.

fn run_child(spec: &[&str]) {
    let mut results: Vec<(String, f64)> = Vec::new();
    match spec {
        ["primitives", chunk_size] => {
            pin_to_one_cpu();
            measure_primitives(chunk_size.parse().expect("a chunk size"), &mut results);
        }
        ["store", wrapper, chunk_size, threads] => {
            if *threads == "1" {
                pin_to_one_cpu();
            }
            let kind = WrapperKind::from_name(wrapper).expect("a wrapper name");
            let only_put = *threads == "1";
            measure_store(kind, chunk_size.parse().expect("a chunk size"), only_put, &mut results);
        }
        ["scaling"] => measure_scaling(&mut results),
        ["large-put", chunk_size] => {
            measure_large_put(chunk_size.parse().expect("a chunk size"), &mut results);
        }
        _ => panic!("unknown child measurement {spec:?}"),
    }

    let line: Vec<String> = results.iter().map(|(key, value)| format!("{key}={value}")).collect();
    println!("RESULT {}", line.join(" "));
}

fn measure_primitives(chunk_size: u64, results: &mut Vec<(String, f64)>) {
    let runs = repetitions();
    let content = random_content(content_mib() << 20, SEED);
    let length = content.len();
    let piece = chunk_size as usize;
    let mut record = |key: &str, seconds: f64| {
        results.push((key.to_string(), megabytes_per_second(length, seconds)))
    };

    // libseccs's own AES-SIV, the primitive of its AES_SIV_256 wrapper.
    let siv = AesSiv256::new(&KEY, false).expect("a 32-byte key");
    record(
        "aes_siv_encrypt",
        median_seconds(
            runs,
            || content.clone(),
            |mut buffer| {
                for chunk in buffer.chunks_mut(piece) {
                    std::hint::black_box(siv.encrypt_in_place(chunk, 0, false));
                }
            },
        ),
    );
    let mut ciphertext = content.clone();
    let tags: Vec<[u8; 16]> =
        ciphertext.chunks_mut(piece).map(|chunk| siv.encrypt_in_place(chunk, 0, false)).collect();
    record(
        "aes_siv_decrypt",
        median_seconds(
            runs,
            || ciphertext.clone(),
            |mut buffer| {
                for (chunk, tag) in buffer.chunks_mut(piece).zip(&tags) {
                    siv.decrypt_in_place(chunk, tag, 0, false).expect("authentic ciphertext");
                }
            },
        ),
    );

    // The aes-siv crate, the reference RustCrypto implementation, with the same one
    // associated-data component (a height of 0) as the wrapper.
    let mut cipher = Aes128Siv::new(&KEY.into());
    let header = [0u8; 4];
    record(
        "aes_siv_crate_encrypt",
        median_seconds(
            runs,
            || content.clone(),
            |mut buffer| {
                for chunk in buffer.chunks_mut(piece) {
                    let tag = cipher
                        .encrypt_inout_detached([&header[..]], chunk.into())
                        .expect("encrypts");
                    std::hint::black_box(tag);
                }
            },
        ),
    );
    // Both implementations produce the same ciphertext, so the tags above serve.
    record(
        "aes_siv_crate_decrypt",
        median_seconds(
            runs,
            || ciphertext.clone(),
            |mut buffer| {
                for (chunk, tag) in buffer.chunks_mut(piece).zip(&tags) {
                    let tag = (*tag).into();
                    cipher
                        .decrypt_inout_detached([&header[..]], chunk.into(), &tag)
                        .expect("authentic");
                }
            },
        ),
    );

    // HMAC-SHA-256 with the keyed state prepared once, as the wrapper does.
    let keyed = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&KEY).expect("any key length");
    record(
        "hmac_sha256",
        median_seconds(
            runs,
            || (),
            |()| {
                for chunk in content.chunks(piece) {
                    let mut mac = keyed.clone();
                    mac.update(chunk);
                    std::hint::black_box(mac.finalize());
                }
            },
        ),
    );
    record(
        "sha256",
        median_seconds(
            runs,
            || (),
            |()| {
                for chunk in content.chunks(piece) {
                    std::hint::black_box(Sha256::digest(chunk));
                }
            },
        ),
    );

    // The multi-level chunker with the sizes a put of this content uses.
    let chunker = RabinKarp::new(48, 0).expect("default window");
    let sizes = level_sizes(chunk_size, length);
    record(
        "chunker",
        median_seconds(
            runs,
            || (),
            |()| {
                std::hint::black_box(chunker.boundaries(&content, &sizes));
            },
        ),
    );
    results.push(("chunker_levels".to_string(), sizes.len() as f64));
    results.push(("contended_runs".to_string(), CONTENDED_RUNS.load(Ordering::Relaxed) as f64));
}

fn measure_store(
    kind: WrapperKind,
    chunk_size: u64,
    only_put: bool,
    results: &mut Vec<(String, f64)>,
) {
    let runs = repetitions();
    let content = random_content(content_mib() << 20, SEED);
    let length = content.len();

    // put: a fresh store each run; dropping the filled backend is not timed.
    let mut put_peak: f64 = 0.0;
    let put_seconds = median_seconds(
        runs,
        || new_store(kind, chunk_size, Box::new(MemoryBackend::new())),
        |store| {
            let ((), peak) = with_peak_memory(|| {
                store.put(&content, false).expect("put succeeds");
            });
            put_peak = put_peak.max(peak);
            store
        },
    );
    results.push(("put".to_string(), megabytes_per_second(length, put_seconds)));
    results.push(("put_peak_mib".to_string(), put_peak / MIB));
    if only_put {
        results.push(("contended_runs".to_string(), CONTENDED_RUNS.load(Ordering::Relaxed) as f64));
        return;
    }

    // get: one filled store, read repeatedly.
    let backend = Arc::new(MemoryBackend::new());
    let store = new_store(kind, chunk_size, Box::new(backend.clone()));
    let reference = store.put(&content, false).expect("put succeeds");
    let mut get_peak: f64 = 0.0;
    let get_seconds = median_seconds(
        runs,
        || (),
        |()| {
            let (read, peak) =
                with_peak_memory(|| store.get(reference.as_bytes()).expect("get succeeds"));
            get_peak = get_peak.max(peak);
            assert!(read.len() == length, "get returned {} bytes, not {length}", read.len());
            read
        },
    );
    results.push(("get".to_string(), megabytes_per_second(length, get_seconds)));
    results.push(("get_peak_mib".to_string(), get_peak / MIB));
    drop(store);

    // delete: put untimed, then time the delete that empties the backend.
    let mut delete_peak: f64 = 0.0;
    let delete_seconds = median_seconds(
        runs,
        || {
            let backend = Arc::new(MemoryBackend::new());
            let store = new_store(kind, chunk_size, Box::new(backend.clone()));
            let reference = store.put(&content, false).expect("put succeeds");
            (backend, store, reference)
        },
        |(backend, store, reference)| {
            let ((), peak) = with_peak_memory(|| {
                store.delete(reference.as_bytes(), false).expect("delete succeeds")
            });
            delete_peak = delete_peak.max(peak);
            assert!(backend.is_empty(), "delete left entries behind");
            (backend, store)
        },
    );
    results.push(("delete".to_string(), megabytes_per_second(length, delete_seconds)));
    results.push(("delete_peak_mib".to_string(), delete_peak / MIB));
    results.push(("contended_runs".to_string(), CONTENDED_RUNS.load(Ordering::Relaxed) as f64));
}

/// Measures how much faster two threads do independent work than one on this machine:
/// AES-SIV over 4096-byte pieces, and the chunker over pieces below the size at which it
/// starts threads of its own. Virtual CPUs that share a physical core scale well below 2.
fn measure_scaling(results: &mut Vec<(String, f64)>) {
    let runs = repetitions();
    let content = random_content(content_mib() << 20, SEED);
    let siv = AesSiv256::new(&KEY, false).expect("a 32-byte key");
    let chunker = RabinKarp::new(48, 0).expect("default window");
    let sizes = level_sizes(4096, content.len());

    let encrypt = |part: &mut [u8]| {
        for chunk in part.chunks_mut(4096) {
            std::hint::black_box(siv.encrypt_in_place(chunk, 0, false));
        }
    };
    let chunk = |part: &[u8]| {
        for piece in part.chunks((1 << 20) - 1) {
            std::hint::black_box(chunker.boundaries(piece, &sizes));
        }
    };

    let one = median_seconds(
        runs,
        || content.clone(),
        |mut buffer| {
            encrypt(&mut buffer);
            buffer
        },
    );
    let two = median_seconds(
        runs,
        || content.clone(),
        |mut buffer| {
            let (first, second) = buffer.split_at_mut(content.len() / 2);
            std::thread::scope(|scope| {
                scope.spawn(|| encrypt(first));
                encrypt(second);
            });
            buffer
        },
    );
    results.push(("aes_siv_scaling".to_string(), one / two));

    let one = median_seconds(runs, || (), |()| chunk(&content));
    let two = median_seconds(
        runs,
        || (),
        |()| {
            let (first, second) = content.split_at(content.len() / 2);
            std::thread::scope(|scope| {
                scope.spawn(|| chunk(first));
                chunk(second);
            });
        },
    );
    results.push(("chunker_scaling".to_string(), one / two));
    results.push(("contended_runs".to_string(), CONTENDED_RUNS.load(Ordering::Relaxed) as f64));
}

fn measure_large_put(chunk_size: u64, results: &mut Vec<(String, f64)>) {
    let content = random_content(LARGE_PUT_MIB << 20, SEED);
    let store = new_store(WrapperKind::AesSiv256, chunk_size, Box::new(DiscardingBackend));
    reset_peak_memory();
    let start = Instant::now();
    store.put(&content, false).expect("put succeeds");
    let seconds = start.elapsed().as_secs_f64();
    results.push(("peak_mib".to_string(), status_bytes("VmHWM") / MIB));
    results.push(("content_mib".to_string(), content.len() as f64 / MIB));
    results.push(("put".to_string(), megabytes_per_second(content.len(), seconds)));
}

// ---------------------------------------------------------------------------------------
// Parent: runs the children and prints the tables.

type Measurement = BTreeMap<String, f64>;

fn child(spec: &[&str]) -> Measurement {
    let program = std::env::current_exe().expect("the benchmark's own path");
    let output = Command::new(program)
        .arg("--child")
        .args(spec)
        .output()
        .unwrap_or_else(|error| panic!("cannot run the child measurement {spec:?}: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        panic!(
            "child measurement {spec:?} failed ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_result(&stdout)
        .unwrap_or_else(|| panic!("child measurement {spec:?} printed no RESULT line:\n{stdout}"))
}

/// Parses the `RESULT key=value ...` line of a child or of the C-ABI program.
fn parse_result(output: &str) -> Option<Measurement> {
    let line = output.lines().find_map(|line| line.strip_prefix("RESULT "))?;
    Some(
        line.split_whitespace()
            .filter_map(|pair| pair.split_once('='))
            .filter_map(|(key, value)| Some((key.to_string(), value.parse().ok()?)))
            .collect(),
    )
}

fn value(measurement: &Measurement, key: &str) -> f64 {
    *measurement.get(key).unwrap_or_else(|| panic!("measurement has no {key}: {measurement:?}"))
}

fn cpu_model() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

/// One target line: what is compared, the measured ratio or value, and whether it meets
/// the goal.
struct Target {
    name: String,
    measured: f64,
    goal: f64,
    /// True when the measured value must stay below the goal.
    below: bool,
    unit: &'static str,
}

impl Target {
    fn met(&self) -> bool {
        if self.below { self.measured < self.goal } else { self.measured >= self.goal }
    }
}

fn run_parent() {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let mib = content_mib();
    println!("libseccs benchmark: {cpus} CPUs available, {}", cpu_model());
    println!(
        "content: {mib} MiB of seeded random bytes; in-memory backend; median of {} runs; \
         MB/s = 10^6 bytes per second; load average at start: {}",
        repetitions(),
        load_average()
    );
    println!();

    let primitives: BTreeMap<u64, Measurement> =
        CHUNK_SIZES.iter().map(|&size| (size, child(&["primitives", &size.to_string()]))).collect();

    println!("Primitives alone, one thread, over S-byte pieces of the same bytes (MB/s)");
    println!(
        "{:>5}  {:>12} {:>12}  {:>12} {:>12}  {:>11}  {:>8}  {:>14}",
        "S",
        "AES-SIV enc",
        "AES-SIV dec",
        "aes-siv enc",
        "aes-siv dec",
        "HMAC-SHA256",
        "SHA-256",
        "chunker"
    );
    for (size, measured) in &primitives {
        println!(
            "{:>5}  {:>12.0} {:>12.0}  {:>12.0} {:>12.0}  {:>11.0}  {:>8.0}  {:>6.0} ({} lvl)",
            size,
            value(measured, "aes_siv_encrypt"),
            value(measured, "aes_siv_decrypt"),
            value(measured, "aes_siv_crate_encrypt"),
            value(measured, "aes_siv_crate_decrypt"),
            value(measured, "hmac_sha256"),
            value(measured, "sha256"),
            value(measured, "chunker"),
            value(measured, "chunker_levels") as usize,
        );
    }
    println!(
        "AES-SIV enc/dec: libseccs's AES-SIV (crypto::AesSiv256, in place, one piece at a time); \
         aes-siv: the aes-siv 0.8 crate."
    );
    println!();

    let mut rows = Vec::new();
    for kind in WrapperKind::ALL {
        for size in CHUNK_SIZES {
            let auto = child(&["store", kind.name(), &size.to_string(), "auto"]);
            let single = child(&["store", kind.name(), &size.to_string(), "1"]);
            rows.push((kind, size, auto, single));
        }
    }

    // The baseline of each wrapper: its primitive over the same bytes, one thread. For
    // AES-SIV the faster of libseccs's implementation and the aes-siv crate.
    let baselines = |kind: WrapperKind, size: u64| -> (f64, f64) {
        let measured = &primitives[&size];
        match kind {
            WrapperKind::Sha256 => (value(measured, "sha256"), value(measured, "sha256")),
            WrapperKind::HmacSha256 | WrapperKind::HmacSha256DistinguishedRoot => {
                (value(measured, "hmac_sha256"), value(measured, "hmac_sha256"))
            }
            WrapperKind::AesSiv256 | WrapperKind::AesSiv256DistinguishedRoot => (
                value(measured, "aes_siv_encrypt").max(value(measured, "aes_siv_crate_encrypt")),
                value(measured, "aes_siv_decrypt").max(value(measured, "aes_siv_crate_decrypt")),
            ),
        }
    };

    println!("Store operations (MB/s). put: all {cpus} CPUs; put 1T: pinned to one CPU");
    println!(
        "{:<31} {:>5}  {:>7} {:>7} {:>7} {:>7}  {:>8} {:>8}  {:>8} {:>8}  {:>7}",
        "wrapper",
        "S",
        "put",
        "put 1T",
        "get",
        "delete",
        "put/prim",
        "get/prim",
        "put/chnk",
        "1T/chnk",
        "put/1T"
    );
    for (kind, size, auto, single) in &rows {
        let (encrypt, decrypt) = baselines(*kind, *size);
        let chunker = value(&primitives[size], "chunker");
        println!(
            "{:<31} {:>5}  {:>7.0} {:>7.0} {:>7.0} {:>7.0}  {:>8.2} {:>8.2}  {:>8.2} {:>8.2}  {:>7.2}",
            kind.name(),
            size,
            value(auto, "put"),
            value(single, "put"),
            value(auto, "get"),
            value(auto, "delete"),
            value(auto, "put") / encrypt,
            value(auto, "get") / decrypt,
            value(auto, "put") / chunker,
            value(single, "put") / chunker,
            value(auto, "put") / value(single, "put"),
        );
    }
    println!(
        "prim: the wrapper's primitive alone, one thread (SHA-256, HMAC-SHA-256, or the faster \
         AES-SIV encrypt/decrypt above); chnk: the chunker alone."
    );
    println!();

    println!("Peak memory added by one operation (MiB over the resident size before it)");
    println!(
        "{:<31} {:>5}  {:>8} {:>8} {:>8} {:>8}",
        "wrapper", "S", "put", "put 1T", "get", "delete"
    );
    for (kind, size, auto, single) in &rows {
        println!(
            "{:<31} {:>5}  {:>8.0} {:>8.0} {:>8.0} {:>8.0}",
            kind.name(),
            size,
            value(auto, "put_peak_mib"),
            value(single, "put_peak_mib"),
            value(auto, "get_peak_mib"),
            value(auto, "delete_peak_mib"),
        );
    }
    println!(
        "put includes the in-memory backend's growth ({mib} MiB of nodes plus map overhead); \
         get includes the {mib} MiB result."
    );
    println!();

    let large: BTreeMap<u64, Measurement> =
        CHUNK_SIZES.iter().map(|&size| (size, child(&["large-put", &size.to_string()]))).collect();
    println!(
        "Peak memory of a {LARGE_PUT_MIB} MiB put (AES_SIV_256, a backend that keeps \
         nothing): whole process, content included"
    );
    for (size, measured) in &large {
        println!(
            "  S={size:<5} peak {:.0} MiB = {:.2} x content, {:.0} MB/s",
            value(measured, "peak_mib"),
            value(measured, "peak_mib") / value(measured, "content_mib"),
            value(measured, "put"),
        );
    }
    println!();

    let ffi = ffi_measurement(&rows);

    // The targets, for AES_SIV_256 on a 2-CPU machine.
    let mut targets = Vec::new();
    for (kind, size, auto, single) in &rows {
        if *kind != WrapperKind::AesSiv256 {
            continue;
        }
        let (encrypt, decrypt) = baselines(*kind, *size);
        let put_goal = if *size == 4096 { 0.85 } else { 0.6 };
        targets.push(Target {
            name: format!("AES_SIV_256 S={size}: put / single-thread AES-SIV encryption"),
            measured: value(auto, "put") / encrypt,
            goal: put_goal,
            below: false,
            unit: "x",
        });
        targets.push(Target {
            name: format!("AES_SIV_256 S={size}: get / single-thread AES-SIV decryption"),
            measured: value(auto, "get") / decrypt,
            goal: 0.9,
            below: false,
            unit: "x",
        });
        targets.push(Target {
            name: format!("AES_SIV_256 S={size}: put with {cpus} threads / put with one"),
            measured: value(auto, "put") / value(single, "put"),
            goal: 1.6,
            below: false,
            unit: "x",
        });
    }
    for (size, measured) in &primitives {
        targets.push(Target {
            name: format!(
                "Rabin-Karp chunker alone, one thread, {} levels (S={size})",
                value(measured, "chunker_levels")
            ),
            measured: value(measured, "chunker"),
            goal: 1000.0,
            below: false,
            unit: " MB/s",
        });
    }
    for (size, measured) in &large {
        targets.push(Target {
            name: format!("peak memory of a {LARGE_PUT_MIB} MiB put (S={size}) / content size"),
            measured: value(measured, "peak_mib") / value(measured, "content_mib"),
            goal: 1.5,
            below: true,
            unit: "x",
        });
    }

    let scaling = child(&["scaling"]);
    println!(
        "Machine scaling: independent work on {cpus} threads vs one: AES-SIV {:.2}x, \
         chunker {:.2}x (the ceiling for a put's speed-up on this machine)",
        value(&scaling, "aes_siv_scaling"),
        value(&scaling, "chunker_scaling"),
    );
    let contended: f64 = primitives
        .values()
        .chain([&scaling])
        .chain(rows.iter().flat_map(|(_, _, auto, single)| [auto, single]))
        .map(|measured| value(measured, "contended_runs"))
        .sum();
    println!(
        "Timed runs repeated while other processes used over a tenth of a CPU; runs still \
         contended after {MAX_ATTEMPTS} attempts: {contended:.0}. Load average now: {}",
        load_average()
    );
    println!();

    println!("Targets (AES_SIV_256, 2-CPU machine)");
    for target in &targets {
        println!(
            "  {:<4} {:<68} {:>8.2}{} (goal {} {}{})",
            if target.met() { "met" } else { "MISS" },
            target.name,
            target.measured,
            target.unit,
            if target.below { "<" } else { ">=" },
            target.goal,
            target.unit,
        );
    }
    if let Some(ffi) = ffi {
        println!();
        println!("{ffi}");
    }
}

/// Runs the C-ABI benchmark named by `SECCS_BENCH_FFI` and returns its table.
fn ffi_measurement(rows: &[(WrapperKind, u64, Measurement, Measurement)]) -> Option<String> {
    let program = std::env::var_os("SECCS_BENCH_FFI")?;
    let mut lines = vec![
        "Through the C ABI (benches/ffi_bench.c linking libseccs.so), AES_SIV_256, all CPUs (MB/s)"
            .to_string(),
        format!(
            "{:>5}  {:>9} {:>9}  {:>9} {:>9}  {:>9} {:>9}  {:>10} {:>10}",
            "S",
            "Rust put",
            "Rust get",
            "C/mem put",
            "C/mem get",
            "C/C put",
            "C/C get",
            "put C/Rust",
            "get C/Rust"
        ),
    ];
    let mut contended = 0.0;
    for (kind, size, auto, _) in rows {
        if *kind != WrapperKind::AesSiv256 {
            continue;
        }
        let output = Command::new(&program)
            .arg(size.to_string())
            .arg(content_mib().to_string())
            .arg(repetitions().to_string())
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", program.to_string_lossy()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let measured = match (output.status.success(), parse_result(&stdout)) {
            (true, Some(measured)) => measured,
            _ => panic!(
                "{} failed ({}):\n{stdout}{}",
                program.to_string_lossy(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ),
        };
        contended += value(&measured, "contended_runs");
        lines.push(format!(
            "{:>5}  {:>9.0} {:>9.0}  {:>9.0} {:>9.0}  {:>9.0} {:>9.0}  {:>10.2} {:>10.2}",
            size,
            value(auto, "put"),
            value(auto, "get"),
            value(&measured, "memory_put"),
            value(&measured, "memory_get"),
            value(&measured, "c_backend_put"),
            value(&measured, "c_backend_get"),
            value(&measured, "memory_put") / value(auto, "put"),
            value(&measured, "memory_get") / value(auto, "get"),
        ));
    }
    lines.push(format!(
        "C/mem: the C ABI with the built-in memory backend; C/C: the C ABI with a hash-table \
         backend written in C; ratios: C/mem over the Rust API. Runs still contended: \
         {contended:.0}."
    ));
    Some(lines.join("\n"))
}
