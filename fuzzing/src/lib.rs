//! Fuzzing support for ivconform: fuzzer bytes decoded into rule-book inputs, and the properties every input
//! must keep.
//!
//! # Why a crate of its own
//!
//! The cargo-fuzz crate (`fuzz/`) lives outside the workspace, builds on nightly and links libFuzzer, so no
//! ordinary test can use it. Yet every corpus file and every saved reproducer must keep being checked by a
//! plain `cargo test` on stable, decoding the bytes exactly as the targets do. So everything a target does
//! lives here, in one place, and both sides call it:
//!
//! * the cargo-fuzz targets in `fuzz/fuzz_targets/` are one line each, a call to [`targets`];
//! * `tests/replay.rs` replays `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` through the same
//!   [`targets::TARGETS`], and (with `IVCONFORM_WRITE_CORPUS=1`) writes the seed corpora generated from the
//!   golden vectors.
//!
//! `ivconform-core` stays the pure rule book, free of the `arbitrary` dependency and of test scaffolding.
//!
//! # Layout
//!
//! * [`input`]: bytes into configurations, payloads, secrets, identifiers and JSON shapes, and the encoders
//!   that write the golden vectors as seeds in the same layout; [`input::jwt`] for the `jwt` target.
//! * [`invariants`]: the properties, each a function that panics with a message naming the property.
//!   Expectations are computed apart from the code under test wherever that is cheap (HMAC with RustCrypto,
//!   S2 and V1–V6 re-derived from the rule book, serde_json as a second JSON parser, a separate base64url
//!   decoder for JWT mode).
//! * [`targets`]: decoding plus properties, one function per fuzz target.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod input;
pub mod invariants;
pub mod targets;
