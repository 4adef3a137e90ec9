//! The subcommands: each module owns its arguments and returns a [`crate::exit::CommandResult`].

pub mod bench;
pub mod check;
pub mod diagnose;
pub mod fuzz;
pub mod iut;
pub mod props;
pub mod report;
pub mod run;
pub mod selection;
pub mod serve;
pub mod shell;
pub mod timing;
pub mod vectors;
