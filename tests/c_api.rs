//! Builds the C test programs in c-tests/ against include/seccs.h and the built
//! libseccs.so, and runs each one.
//!
//! Every program prints "NAME: N passed, M failed" last and exits non-zero on any failed
//! check. With `SECCS_VALGRIND=1` each program runs under valgrind's memcheck, which must
//! report no error and no definitely or indirectly lost block; the log goes to
//! `target/<profile>/c-tests/valgrind/NAME.log`. The counts of each run are written to
//! `target/<profile>/c-tests/results/` for the CI summary.

mod c_toolchain;

use std::path::PathBuf;
use std::process::Command;

use c_toolchain::{build_program, crate_root, work_dir};

/// Sources linked into every program besides its own.
const SHARED_SOURCES: [&str; 1] = ["hash_backend.c"];

/// Exit code valgrind uses when it finds an error or a leak, distinct from the programs' own.
const VALGRIND_ERROR_EXIT: i32 = 99;

fn under_valgrind() -> bool {
    std::env::var_os("SECCS_VALGRIND").is_some_and(|value| value != "0" && !value.is_empty())
}

/// Builds c-tests/NAME.c, runs it, and checks its exit status and summary line.
fn run_c_test(name: &str) {
    let dir = work_dir();
    let binary_dir = dir.join("bin");
    std::fs::create_dir_all(&binary_dir).expect("cannot create the C binary directory");

    let mut sources: Vec<PathBuf> = vec![crate_root().join("c-tests").join(format!("{name}.c"))];
    sources.extend(SHARED_SOURCES.iter().map(|source| crate_root().join("c-tests").join(source)));
    let binary = binary_dir.join(name);
    build_program(&sources, &binary, false, "c99").unwrap_or_else(|error| panic!("{error}"));

    let valgrind = under_valgrind();
    let log = dir.join("valgrind").join(format!("{name}.log"));
    let mut command = if valgrind {
        std::fs::create_dir_all(log.parent().expect("the log has a directory")).expect("cannot create the log directory");
        let mut command = Command::new("valgrind");
        command
            .arg("--tool=memcheck")
            .arg(format!("--error-exitcode={VALGRIND_ERROR_EXIT}"))
            .arg("--leak-check=full")
            .arg("--errors-for-leak-kinds=definite,indirect")
            .arg("--show-leak-kinds=definite,indirect")
            .arg(format!("--log-file={}", log.display()))
            .arg(&binary);
        command
    } else {
        Command::new(&binary)
    };

    let output = command.output().unwrap_or_else(|error| panic!("cannot run {}: {error}", binary.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");

    let report = if valgrind { std::fs::read_to_string(&log).unwrap_or_default() } else { String::new() };
    assert!(
        output.status.success(),
        "{name} exited with {}{}",
        output.status,
        if output.status.code() == Some(VALGRIND_ERROR_EXIT) {
            format!(": valgrind found errors or leaks, see {}:\n{report}", log.display())
        } else {
            String::new()
        }
    );

    let (passed, failed) = summary_counts(&stdout, name)
        .unwrap_or_else(|| panic!("{name} printed no \"{name}: N passed, M failed\" line"));
    assert_eq!(failed, 0, "{name} reported failed checks");
    assert!(passed > 0, "{name} ran no check");

    if valgrind {
        assert!(report.contains("ERROR SUMMARY: 0 errors"), "{name}: valgrind reported errors:\n{report}");
    }
    record_result(name, passed, valgrind);
}

/// Parses the closing "NAME: N passed, M failed" line.
fn summary_counts(stdout: &str, name: &str) -> Option<(u64, u64)> {
    let line = stdout.lines().rev().find(|line| line.starts_with(&format!("{name}: ")))?;
    let counts = line.strip_prefix(&format!("{name}: "))?;
    let (passed, failed) = counts.split_once(" passed, ")?;
    let failed = failed.strip_suffix(" failed")?;
    Some((passed.parse().ok()?, failed.parse().ok()?))
}

fn record_result(name: &str, passed: u64, valgrind: bool) {
    let dir = work_dir().join("results");
    std::fs::create_dir_all(&dir).expect("cannot create the results directory");
    let suffix = if valgrind { "valgrind" } else { "native" };
    std::fs::write(dir.join(format!("{name}.{suffix}")), format!("{passed}\n")).expect("cannot write the result");
}

#[test]
fn roundtrip() {
    run_c_test("roundtrip");
}

#[test]
fn dedup() {
    run_c_test("dedup");
}

#[test]
fn delete_restores() {
    run_c_test("delete_restores");
}

#[test]
fn errors() {
    run_c_test("errors");
}

#[test]
fn c_backend() {
    run_c_test("c_backend");
}

#[test]
fn faults() {
    run_c_test("faults");
}

#[test]
fn threads() {
    run_c_test("threads");
}

#[test]
fn placements() {
    run_c_test("placements");
}

#[test]
fn hooks() {
    run_c_test("hooks");
}

#[test]
fn check() {
    run_c_test("check");
}
