//! The `ivconform` binary's integration tests, in one test binary (cargo links one executable instead of
//! eleven), with the helpers they share in [`util`]. Each module drives the real binary, or the harness
//! library with the real binary as its helper process, against the bundled reference, the adapters in
//! `adapters/`, the mutant zoo and the misbehaving fixtures in `tests/fixtures/`.

mod util;

mod adapters;
mod bench;
mod c_adapter;
mod check;
mod cli;
mod deps;
mod diagnose;
mod ffi;
mod ffi_transport;
mod field;
mod fuzz;
mod hostile;
mod install;
mod jwt_libs;
mod kits;
mod props;
mod reports;
mod servers;
mod sign_exec;
mod style;
mod timing;
