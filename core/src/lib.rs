//! ivconform's reference rules for identity verification (`user_hash`), as written in `SPEC.md`.
//!
//! Pure functions over bytes and typed values: no files, sockets, clocks or randomness. Every transport,
//! suite, fuzz target and benchmark of ivconform calls this one crate, so there is one meaning of each rule.
//!
//! * [`sign`]: S1–S5, what a customer's server computes ([`sign::user_hash`], [`sign::Signer`]).
//! * [`payload`] over [`json`]: P1–P6, the strict boot-payload parser.
//! * [`mod@verify`]: V1–V8, the messenger's decision; V9 (timing) by construction, checked by the timing suite.
//! * [`jwt`]: J1–J3, the HS256 token of JWT mode (verified and signed); J4 is in [`mod@verify`].
//! * [`decision`]: the verifier's answer ([`Decision`], [`Outcome`], [`Identity`], [`RejectReason`]).
//! * [`config`]: the workspace configuration the verifier is given.
//! * [`mac`] and [`hex`]: HMAC-SHA256 (on SHA-NI when present) and the tag's hex forms.
//!
//! Fuzz inputs and the invariants the fuzz targets assert are in the `ivconform-fuzzing` crate, not here.
// `deny`, not `forbid`: the one exception is `mac::shani` (CPU intrinsics behind a safe API), allowed there.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod decision;
pub mod diagnose;
pub mod hex;
pub mod identifier;
pub mod json;
pub mod jwt;
pub mod mac;
pub mod payload;
pub mod platform;
pub mod rules;
pub mod sign;
pub mod verify;

pub use config::{Config, Secret};
pub use decision::{Decision, Identity, Outcome, RejectReason};
pub use identifier::{Identifiers, Selected, Source, UserId};
pub use payload::BootPayload;
pub use platform::Platform;
pub use rules::Rule;
pub use sign::{user_hash, SignError, Signer};
pub use verify::{verify, verify_at};
