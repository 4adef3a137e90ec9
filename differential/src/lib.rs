//! Differential testing of an implementation under test against ivconform's reference.
//!
//! Golden vectors catch the bugs someone thought of; this crate looks for the rest, with the reference as
//! the oracle: [`props`] generates structured inputs (identifiers, payloads, configurations) and checks
//! properties that must hold, shrinking a failure to a ready-to-paste vector; [`fuzz`] mutates boot
//! payloads and stops at the first decision that differs from the reference's, shrunk the same way.
//! [`disagreement`] is what both call a failure and the kind a shrink must keep, and the bounds of a shrink.
//! Both reach the implementation through `ivconform-harness`'s transports and grade with its grader.
#![forbid(unsafe_code)]

pub mod disagreement;
pub mod fuzz;
pub mod props;
