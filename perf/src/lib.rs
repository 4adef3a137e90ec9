//! Performance suites for an implementation under test.
//!
//! [`timing`] is the dudect-style constant-time test (rule V9), gated by controls measured in the same job;
//! [`bench`](mod@bench) drives signing and verifying at full speed and compares the ratio to the reference, so that a
//! slower machine does not read as a regression. Both reach an implementation through `ivconform-harness`'s
//! transports, and over FFI through its one C ABI loader.
// `deny`, not `forbid`: the FFI children call the library's raw C entry points (`timing`, `bench::ffi_child`).
#![deny(unsafe_code)]

pub mod bench;
pub mod plot;
// The timing suite calls raw C entry points and reads the time-stamp counter (SAFETY notes at each site).
#[allow(unsafe_code)]
pub mod timing;
