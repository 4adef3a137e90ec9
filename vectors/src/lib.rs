//! ivconform's golden vectors: the data model of `vectors/*.json` and a bounded loader that reports file and
//! line for every problem. The committed files and their schemas live beside this crate; the generator that
//! writes them from readable case definitions is the `ivconform-vectorgen` crate (`vectorgen/`).
//!
//! The format is documented in `docs/VECTORS.md`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod file;
pub mod load;
pub mod model;

pub use load::{load_dir, LoadError, Suite};
pub use model::*;

/// The `vectors/` directory of this source tree, where the committed files live.
pub fn default_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}
