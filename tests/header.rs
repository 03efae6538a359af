//! Checks the committed header: it must equal a fresh cbindgen run over src/ffi/, and it
//! must compile as C99 and as C++ together with a program that uses every declaration of
//! the API with its exact type.
//!
//! `SECCS_UPDATE_HEADER=1 cargo test --test header` (or `make header`) rewrites
//! include/seccs.h instead of comparing, but only when its content changed.

mod c_toolchain;

use std::path::{Path, PathBuf};

use c_toolchain::{compile_only, crate_root, work_dir};

fn header_path() -> PathBuf {
    crate_root().join("include/seccs.h")
}

/// Runs cbindgen over src/ffi/ with cbindgen.toml and returns the header text.
fn generate_header() -> String {
    let root = crate_root();
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen can parse src/ffi/");

    let mut text = Vec::new();
    bindings.write(&mut text);
    String::from_utf8(text).expect("cbindgen writes UTF-8")
}

/// Writes `text` to `path` unless the file already contains exactly `text`, and returns
/// whether it wrote. An unchanged header keeps its modification time, so that make does
/// not rebuild the C objects that include it.
fn write_if_changed(path: &Path, text: &str) -> std::io::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|current| current == text) {
        return Ok(false);
    }
    std::fs::write(path, text)?;
    Ok(true)
}

#[test]
fn header_is_current() {
    let fresh = generate_header();
    if std::env::var_os("SECCS_UPDATE_HEADER").is_some() {
        write_if_changed(&header_path(), &fresh).expect("cannot write include/seccs.h");
        return;
    }

    let committed = std::fs::read_to_string(header_path()).unwrap_or_default();
    if committed == fresh {
        return;
    }
    let first_difference = committed
        .lines()
        .zip(fresh.lines())
        .position(|(old, new)| old != new)
        .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
    panic!(
        "include/seccs.h differs from the header generated from src/ffi/, first at line {}:\n  \
         committed: {:?}\n  generated: {:?}\nRun `make header` and commit include/seccs.h.",
        first_difference + 1,
        committed.lines().nth(first_difference).unwrap_or("<end of file>"),
        fresh.lines().nth(first_difference).unwrap_or("<end of file>"),
    );
}

#[test]
fn header_update_skips_same_content() {
    let path = work_dir().join("header_update.h");
    std::fs::write(&path, "int a;\n").expect("cannot write the scratch header");
    let old_time = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|file| file.set_modified(old_time))
        .expect("cannot set the scratch header's modification time");

    let wrote = write_if_changed(&path, "int a;\n").expect("cannot update the scratch header");
    assert!(!wrote, "a header with the same content was rewritten");
    let modified = std::fs::metadata(&path).and_then(|meta| meta.modified()).expect("mtime");
    assert_eq!(modified, old_time, "the unchanged header got a new modification time");

    let wrote = write_if_changed(&path, "int b;\n").expect("cannot update the scratch header");
    assert!(wrote, "a header with new content was not written");
    assert_eq!(std::fs::read_to_string(&path).expect("read back"), "int b;\n");
}

#[test]
fn header_compiles_as_c99() {
    let source = crate_root().join("c-tests/header_contract.c");
    let object = work_dir().join("header_contract_c99.o");
    compile_only(&source, &object, false, "c99").unwrap_or_else(|error| panic!("{error}"));
}

#[test]
fn header_compiles_as_cxx11() {
    let source = crate_root().join("c-tests/header_contract.c");
    let object = work_dir().join("header_contract_cxx11.o");
    // The cc crate's C++ driver compiles a .c file as C; force the language.
    let copy = work_dir().join("header_contract.cpp");
    std::fs::copy(&source, &copy).expect("cannot copy the contract program");
    compile_only(&copy, &object, true, "c++11").unwrap_or_else(|error| panic!("{error}"));
}

#[test]
fn header_documents_every_declaration() {
    let header = std::fs::read_to_string(header_path()).expect("include/seccs.h exists");
    let lines: Vec<&str> = header.lines().collect();

    let mut functions = 0;
    let mut undocumented = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let is_function = line.starts_with(|first: char| first.is_ascii_alphabetic())
            && !line.starts_with("typedef ")
            && line.contains("seccs_")
            && line.ends_with(");");
        let is_type = line.starts_with("typedef ");
        let is_constant = line.starts_with("#define SECCS_") && !line.starts_with("#define SECCS_H");
        if !(is_function || is_type || is_constant) {
            continue;
        }
        functions += usize::from(is_function);

        let previous = lines[..index].iter().rev().find(|line| !line.trim().is_empty());
        if !previous.is_some_and(|line| line.trim_end().ends_with("*/")) {
            undocumented.push(line.to_string());
        }
    }

    // The 20 functions of the API contract; a header that lists fewer was cut short.
    assert!(functions >= 20, "only {functions} function declarations found in include/seccs.h");
    assert!(undocumented.is_empty(), "declarations without a doc comment:\n{}", undocumented.join("\n"));
}
