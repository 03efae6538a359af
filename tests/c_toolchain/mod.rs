//! Compiling C and C++ against the library from tests, with the compiler the `cc` crate
//! selects for the target.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Root of the crate.
pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Directory of the running profile's artifacts, e.g. `target/release`: the test binary
/// runs from its `deps` subdirectory.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let deps = exe.parent().expect("the test binary lies in a directory");
    deps.parent().expect("the deps directory has a parent").to_path_buf()
}

/// Scratch directory for compiled programs and their logs.
pub fn work_dir() -> PathBuf {
    let dir = profile_dir().join("c-tests");
    std::fs::create_dir_all(&dir).expect("cannot create the C test directory");
    dir
}

/// Returns the C (or C++) compiler for the target the tests were built for.
pub fn compiler(cpp: bool) -> cc::Tool {
    cc::Build::new()
        .cpp(cpp)
        .target(env!("SECCS_BUILD_TARGET"))
        .host(env!("SECCS_BUILD_HOST"))
        .opt_level(1)
        .debug(true)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .try_get_compiler()
        .unwrap_or_else(|error| panic!("no C compiler found by the cc crate: {error}"))
}

/// Directory holding the shared library under its file name and its soname, so that
/// programs linked with `-lseccs` find it at run time through their rpath.
pub fn library_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // `cargo test` rebuilds the rlib that Rust tests link, not always the cdylib, so
        // build the shared library here to never test a stale one.
        let mut cargo = Command::new(env!("CARGO"));
        cargo.current_dir(crate_root()).args(["build", "--lib", "--quiet"]);
        if !cfg!(debug_assertions) {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("cannot run cargo to build libseccs.so");
        assert!(status.success(), "cargo build --lib failed: {status}");

        let built = ["deps/libseccs.so", "libseccs.so"]
            .iter()
            .map(|name| profile_dir().join(name))
            .find(|path| path.exists())
            .expect("libseccs.so was not built; the crate type list must include cdylib");

        let dir = work_dir().join("lib");
        std::fs::create_dir_all(&dir).expect("cannot create the library directory");
        // Copy under a temporary name and rename, because test binaries run in parallel.
        let staged = dir.join(format!("libseccs.so.{}", std::process::id()));
        std::fs::copy(&built, &staged).expect("cannot copy libseccs.so");
        std::fs::rename(&staged, dir.join("libseccs.so.0")).expect("cannot install libseccs.so.0");
        let link = dir.join("libseccs.so");
        if std::fs::symlink_metadata(&link).is_err() {
            let _ = std::os::unix::fs::symlink("libseccs.so.0", &link);
        }
        dir
    })
}

/// Compiles and links `sources` into the program `output` against libseccs and the
/// committed header. Returns the compiler's output on failure.
pub fn build_program(sources: &[PathBuf], output: &Path, cpp: bool, standard: &str) -> Result<(), String> {
    let tool = compiler(cpp);
    let library = library_dir();

    let mut command: Command = tool.to_command();
    command
        .arg(format!("-std={standard}"))
        .args(["-Wall", "-Wextra", "-Wpedantic", "-Werror", "-pthread", "-D_POSIX_C_SOURCE=200809L"])
        .arg("-I")
        .arg(crate_root().join("include"))
        .arg("-I")
        .arg(crate_root().join("c-tests"))
        .args(sources)
        .arg("-o")
        .arg(output)
        .arg("-L")
        .arg(library)
        .arg(format!("-Wl,-rpath,{}", library.display()))
        .arg("-lseccs");

    run_compiler(command)
}

/// Compiles `source` to an object file only: enough to check that a header parses.
pub fn compile_only(source: &Path, output: &Path, cpp: bool, standard: &str) -> Result<(), String> {
    let mut command: Command = compiler(cpp).to_command();
    command
        .arg(format!("-std={standard}"))
        .args(["-Wall", "-Wextra", "-Wpedantic", "-Werror", "-c"])
        .arg("-I")
        .arg(crate_root().join("include"))
        .arg(source)
        .arg("-o")
        .arg(output);
    run_compiler(command)
}

fn run_compiler(mut command: Command) -> Result<(), String> {
    let printed = format!("{command:?}");
    let output = command.output().map_err(|error| format!("cannot run {printed}: {error}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{printed} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}
