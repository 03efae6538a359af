//! The C ABI of libseccs, exported from the shared and static libraries and declared in
//! the generated header `include/seccs.h`.
//!
//! Conventions shared by every exported function:
//!
//! - Fallible functions return [`status::seccs_status`]. On failure they leave a detail
//!   message for the calling thread ([`status::seccs_last_error_message`]) that names
//!   the failing value and what to do about it.
//! - Each function body runs inside one panic boundary: an internal bug returns
//!   `SECCS_PANIC` instead of unwinding into C.
//! - Pointers are checked for NULL and lengths for sizes no object can have, before
//!   anything is read or written. Buffers are never accessed past the lengths given.
//! - Everything the caller passes in is borrowed for the duration of the call only,
//!   unless a function's documentation says that it takes ownership.
//!
//! The backend is a struct of callbacks ([`backend::seccs_backend`]), wrapped in an
//! adapter that implements the Rust [`crate::Backend`] trait.

// Exported types carry their C names, which the header shows unchanged.
#![allow(non_camel_case_types)]

pub mod backend;
mod boundary;
pub mod check;
pub mod config;
pub mod memory_backend;
pub mod status;
pub mod store;
