//! ivconform's golden vectors: the data model of `vectors/*.json` and a bounded loader that reports file and
//! line for every problem. The committed files and their schemas live beside this crate and are compiled
//! into it ([`bundled`]), so a binary built from it needs no checkout; the generator that writes them from
//! readable case definitions is the `ivconform-vectorgen` crate (`vectorgen/`).
//!
//! The format is documented in `docs/VECTORS.md`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bundled;
pub mod file;
pub mod load;
pub mod model;

pub use bundled::VectorSource;
pub use load::{load_dir, load_texts, LoadError, Suite};
pub use model::*;

/// The `vectors/` directory of this source tree, where the committed files live: for the generator and the
/// tests, which work on a checkout. Commands of an installed binary use [`bundled`] (or `--vectors DIR`), never
/// this path, which names the build machine's checkout.
pub fn default_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}
