//! The golden vectors compiled into the binary, so an installed `ivconform` needs no checkout beside it.
//!
//! [`FILES`] holds the five vector files and their six schemas as `include_str!` of the committed files
//! (read at build time from this crate's directory, so a rebuild picks up any regenerated vectors);
//! [`suite`] loads them with the same checks as [`crate::load_dir`]. [`VectorSource`] is what a command
//! runs: the bundled set, or a directory given with `--vectors DIR`, and says which in run headers.
//! [`export`] writes the bundled set out (`ivconform vectors export DIR`) for people who want to read or
//! extend it; the exported directory loads with `--vectors DIR` as it is.
//!
//! Project Wycheproof's HMAC-SHA256 file ([`WYCHEPROOF_HMAC_SHA256`]) is bundled the same way, from the
//! vendored copy in `vectors/external/wycheproof/` (its licence and provenance are beside it).

use crate::load::{load_dir, load_texts, LoadError, Suite};
use crate::model::Group;
use std::path::{Path, PathBuf};

/// A file of the bundled set: its path relative to the vectors directory, and its text.
pub type BundledFile = (&'static str, &'static str);

/// The five vector files (in [`Group::ALL`]'s order) and their schemas, as committed when this crate was built.
pub const FILES: [BundledFile; 11] = [
    ("hmac_sha256.json", include_str!("../hmac_sha256.json")),
    ("sign.json", include_str!("../sign.json")),
    ("payload.json", include_str!("../payload.json")),
    ("verify.json", include_str!("../verify.json")),
    ("jwt.json", include_str!("../jwt.json")),
    ("schema/common.schema.json", include_str!("../schema/common.schema.json")),
    ("schema/hmac_sha256.schema.json", include_str!("../schema/hmac_sha256.schema.json")),
    ("schema/sign.schema.json", include_str!("../schema/sign.schema.json")),
    ("schema/payload.schema.json", include_str!("../schema/payload.schema.json")),
    ("schema/verify.schema.json", include_str!("../schema/verify.schema.json")),
    ("schema/jwt.schema.json", include_str!("../schema/jwt.schema.json")),
];

/// Project Wycheproof's `testvectors_v1/hmac_sha256_test.json` (C2SP/wycheproof, Apache-2.0), unmodified.
pub const WYCHEPROOF_HMAC_SHA256: &str = include_str!("../external/wycheproof/hmac_sha256_test.json");

/// The bundled Wycheproof file's name, as reports print it.
pub const WYCHEPROOF_HMAC_SHA256_NAME: &str = "hmac_sha256_test.json";

/// Where the bundled Wycheproof file comes from: the upstream repository and commit.
pub const WYCHEPROOF_PROVENANCE: &str = "C2SP/wycheproof@427a648c39e2edea11b75bcdcd72eea3da482d6f";

/// How errors in the bundled set name their file (they cannot happen in a released binary: a test loads it).
fn bundled_path(name: &str) -> PathBuf {
    Path::new("(bundled vectors)").join(name)
}

/// The bundled vector set, loaded and checked like [`crate::load_dir`] loads a directory.
pub fn suite() -> Result<Suite, LoadError> {
    let paths: Vec<PathBuf> = FILES[..5].iter().map(|(name, _)| bundled_path(name)).collect();
    let files: [(&Path, &str); 5] = std::array::from_fn(|i| (paths[i].as_path(), FILES[i].1));
    debug_assert!(Group::ALL.iter().zip(&FILES).all(|(g, (name, _))| g.file_name() == *name));
    load_texts(files)
}

/// Which vector set a command runs: the one compiled in, or the files in a directory (`--vectors DIR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VectorSource {
    /// [`FILES`], compiled into the binary.
    Bundled,
    /// The five files in this directory.
    Dir(PathBuf),
}

impl VectorSource {
    /// `--vectors DIR` when given, else the bundled set.
    pub fn from_option(dir: Option<PathBuf>) -> VectorSource {
        dir.map_or(VectorSource::Bundled, VectorSource::Dir)
    }

    /// Loads and checks the set.
    pub fn load(&self) -> Result<Suite, LoadError> {
        match self {
            VectorSource::Bundled => suite(),
            VectorSource::Dir(dir) => load_dir(dir),
        }
    }

    /// What run headers say: `bundled` or `from DIR`.
    pub fn describe(&self) -> String {
        match self {
            VectorSource::Bundled => "bundled".into(),
            VectorSource::Dir(dir) => format!("from {}", dir.display()),
        }
    }

    /// What a load error adds, so the message says where the files came from and how to choose others.
    pub fn hint(&self) -> &'static str {
        match self {
            VectorSource::Bundled => "(the vectors bundled into this binary: a build problem, please report it)",
            VectorSource::Dir(_) => "(from --vectors DIR; without --vectors the bundled golden vectors run)",
        }
    }

    /// The run header's suite label: `golden vectors 2.1.0 (bundled)`, or `(from DIR)`, with the version
    /// the loaded files carry.
    pub fn label(&self, suite: &Suite) -> String {
        format!("golden vectors {} ({})", suite.verify.suite_version, self.describe())
    }
}

/// Writes the bundled set into `dir` (created if missing, with `schema/`), refusing to overwrite any file;
/// returns the paths written. Nothing is written when one of the files exists already.
pub fn export(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let targets: Vec<(PathBuf, &str)> = FILES.iter().map(|(name, text)| (dir.join(name), *text)).collect();
    if let Some((path, _)) = targets.iter().find(|(p, _)| p.symlink_metadata().is_ok()) {
        return Err(format!("{} exists already: export into a new or empty directory", path.display()));
    }
    std::fs::create_dir_all(dir.join("schema")).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for (path, text) in targets {
        use std::io::Write;
        // create_new: a file that appeared since the check above is refused, never overwritten.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        file.write_all(text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_files_are_the_committed_files_and_all_of_them() {
        let dir = crate::default_dir();
        let mut on_disk = Vec::new();
        for sub in ["", "schema"] {
            for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                if name.ends_with(".json") {
                    on_disk.push(if sub.is_empty() { name } else { format!("{sub}/{name}") });
                }
            }
        }
        on_disk.sort();
        let mut bundled: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
        bundled.sort();
        assert_eq!(bundled, on_disk, "every committed vector and schema file is bundled, and nothing else");
        for (name, text) in FILES {
            assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), text, "{name}");
        }
    }

    #[test]
    fn the_bundled_suite_loads_like_the_directory() {
        let bundled = suite().unwrap_or_else(|e| panic!("{e}"));
        let dir = crate::load_dir(&crate::default_dir()).unwrap();
        assert_eq!(bundled.len(), dir.len());
        assert!(bundled.len() > 400, "{} cases", bundled.len());
        let ids = |s: &Suite| -> Vec<String> {
            let mut v: Vec<String> = s.verify.cases.iter().map(|c| c.meta.id.clone()).collect();
            v.extend(s.jwt.cases.iter().map(|c| c.meta().id.clone()));
            v
        };
        assert_eq!(ids(&bundled), ids(&dir));
        assert_eq!(VectorSource::Bundled.label(&bundled), format!("golden vectors {} (bundled)", crate::SUITE_VERSION));
        let from = VectorSource::Dir("/some/dir".into());
        assert_eq!(from.label(&dir), format!("golden vectors {} (from /some/dir)", crate::SUITE_VERSION));
    }

    #[test]
    fn the_vendored_wycheproof_file_is_the_upstream_file() {
        use sha2::Digest;
        let digest = ivconform_core::hex::encode_lower(&sha2::Sha256::digest(WYCHEPROOF_HMAC_SHA256.as_bytes()));
        // The sha256 vectors/external/wycheproof/PROVENANCE.md records for the upstream commit.
        assert_eq!(digest, "1a86eeafc894491322137f4352608e4422670c906e18722e2892dde6ecaba688");
        assert!(WYCHEPROOF_PROVENANCE.ends_with("427a648c39e2edea11b75bcdcd72eea3da482d6f"));
        let doc: serde_json::Value = serde_json::from_str(WYCHEPROOF_HMAC_SHA256).unwrap();
        assert_eq!(doc["algorithm"], "HMACSHA256");
        assert_eq!(doc["numberOfTests"], 174);
    }

    #[test]
    fn export_writes_a_directory_that_loads_and_refuses_to_overwrite() {
        let dir = std::env::temp_dir().join(format!("ivconform-export-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let written = export(&dir).unwrap();
        assert_eq!(written.len(), FILES.len());
        assert_eq!(crate::load_dir(&dir).unwrap().len(), suite().unwrap().len());
        let before = std::fs::read_to_string(dir.join("verify.json")).unwrap();
        std::fs::write(dir.join("sign.json"), "edited").unwrap();
        let e = export(&dir).unwrap_err();
        assert!(e.contains("exists already"), "{e}");
        assert_eq!(std::fs::read_to_string(dir.join("sign.json")).unwrap(), "edited", "never overwritten");
        assert_eq!(std::fs::read_to_string(dir.join("verify.json")).unwrap(), before);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
