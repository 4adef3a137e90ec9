//! The subcommands' bodies.

pub mod bench;
pub mod diagnose;
pub mod diagnose_page;
pub mod fuzz;
pub mod iut;
pub mod props;
pub mod reference;
pub mod run;
pub mod serve;
pub mod timing;

/// Exit code: every case conformant.
pub const EXIT_CONFORMANT: u8 = 0;
/// Exit code: at least one failure, error, crash, timeout, unexpected pass, stale expectation or finding.
pub const EXIT_NONCONFORMANT: u8 = 1;
/// Exit code: bad command line, vector or expectations file.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the implementation could not be started or reached.
pub const EXIT_UNREACHABLE: u8 = 3;
