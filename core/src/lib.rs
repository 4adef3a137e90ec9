//! ivconform's reference rules for identity verification (`user_hash`), as written in `SPEC.md`.
//!
//! Pure functions over bytes and typed values: no files, sockets, clocks or randomness. Every transport,
//! suite, fuzz target and benchmark of ivconform calls this one crate, so there is one meaning of each rule.
//!
//! * [`sign`]: S1–S5, what a customer's server computes ([`sign::user_hash`], [`sign::Signer`]).
//! * [`payload`] over [`json`]: P1–P6, the strict boot-payload parser.
//! * [`verify`]: V1–V8, the messenger's decision; V9 (timing) by construction, checked by the timing suite.
//! * [`jwt`]: J1–J3, the HS256 token of JWT mode (verified and signed); J4 is in [`verify`].
//! * [`config`]: the workspace configuration the verifier is given.
// `deny`, not `forbid`: the one exception is `shani` (CPU intrinsics behind a safe API), allowed below.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod diagnose;
pub mod fastmac;
#[cfg(feature = "arbitrary")]
pub mod fuzz_input;
#[cfg(feature = "arbitrary")]
pub mod fuzz_jwt;
pub mod hex;
pub mod identifier;
pub mod invariants;
pub mod json;
pub mod jwt;
pub mod mac;
pub mod payload;
pub mod platform;
pub mod rules;
#[allow(unsafe_code)]
mod shani;
pub mod sign;
pub mod verify;

pub use config::{Config, Secret};
pub use identifier::{Identifiers, Selected, Source, UserId};
pub use payload::BootPayload;
pub use platform::Platform;
pub use rules::Rule;
pub use sign::{user_hash, SignError, Signer};
pub use verify::{verify, verify_at, Decision, Identity, Outcome, RejectReason};
