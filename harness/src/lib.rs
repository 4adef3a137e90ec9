//! The ivconform harness as a library: everything between the golden vectors and a verdict.
//!
//! Data flows one way: [`suite`] plans vectors into requests (selection, expectations, the Wycheproof
//! import); [`runner`] schedules the planned cases over connections of a [`transport`] (in-process, stdio,
//! HTTP, the C ABI in a disposable child); each answer is graded by [`suite::grade`] and scanned by [`leak`];
//! [`report`] renders the result for people (human) and machines (JSON, JUnit). [`serve`] exposes the
//! reference itself as an implementation (stdio, HTTP, the diagnose page).
//!
//! The `ivconform` binary (crate `ivconform`, folder `cli/`) parses arguments and calls into this crate; the
//! differential (`props`, `fuzz`) and performance (`timing`, `bench`) suites build on it.
// `deny`, not `forbid`: the one exception is `abi`, the C ABI loader (allowed there, with SAFETY notes).
#![deny(unsafe_code)]

#[allow(unsafe_code)]
pub mod abi;
pub mod diagnosis;
pub mod helper;
pub mod leak;
pub mod lines;
pub mod process;
pub mod report;
pub mod runner;
pub mod sanitize;
pub mod serve;
pub mod slow;
pub mod suite;
pub mod transport;
pub mod values;
