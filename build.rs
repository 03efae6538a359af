//! Build script: gives the shared library its versioned soname and tells the tests which
//! target they build C programs for.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");

    // The soname carries the major version, so that programs linked against libseccs.so.0
    // keep loading a compatible library after an update.
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets CARGO_PKG_VERSION_MAJOR");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libseccs.so.{major}");
    }

    // The cc crate needs the target and host triples, which cargo sets for build scripts
    // only; tests/c_api.rs and tests/header.rs read them from these variables.
    for name in ["TARGET", "HOST"] {
        let value = std::env::var(name).unwrap_or_default();
        println!("cargo:rustc-env=SECCS_BUILD_{name}={value}");
    }
}
