//! Reading an input file the way a CI gate must: only a regular file, and never more than a cap.
//!
//! A path from a command line can name anything: `/dev/zero` (reads forever), a FIFO (blocks forever), a
//! directory, a 10 GB log. Every file ivconform reads as input (vector files, expectations, workspace
//! configurations, Wycheproof files, saved reproducers, baselines) goes through [`read_regular`], which
//! refuses anything but a regular file before opening it, checks again on the opened handle, and reads at
//! most `cap + 1` bytes, so an oversized file is refused without being read whole.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// Why an input file was not read; the message names the file and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// What is wrong, starting with the path.
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FileError {}

/// The bytes of the regular file at `path` (symbolic links followed), refusing a file larger than `cap`.
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, FileError> {
    let err = |what: String| FileError { message: format!("{}: {what}", path.display()) };
    let kind = |m: &std::fs::Metadata| {
        let t = m.file_type();
        if t.is_dir() {
            "a directory"
        } else if is_special(&t) {
            "a device, FIFO or socket"
        } else {
            "not a regular file"
        }
    };
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(err(format!("is {}, not a regular file", kind(&meta))));
    }
    if meta.len() > cap {
        return Err(err(format!("is {} bytes, more than the limit of {cap} bytes", meta.len())));
    }
    let file = std::fs::File::open(path).map_err(|e| err(format!("cannot read: {e}")))?;
    // The path may have been swapped between the check and the open: check the handle itself.
    let opened = file.metadata().map_err(|e| err(format!("cannot read: {e}")))?;
    if !opened.is_file() {
        return Err(err(format!("is {}, not a regular file", kind(&opened))));
    }
    let mut bytes = Vec::with_capacity(opened.len().min(cap) as usize);
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| err(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(err(format!("is more than the limit of {cap} bytes (it grew while being read)")));
    }
    Ok(bytes)
}

/// [`read_regular`], as UTF-8 text.
pub fn read_regular_text(path: &Path, cap: u64) -> Result<String, FileError> {
    let bytes = read_regular(path, cap)?;
    String::from_utf8(bytes).map_err(|e| FileError {
        message: format!("{}: not UTF-8 (invalid byte at offset {})", path.display(), e.utf8_error().valid_up_to()),
    })
}

#[cfg(unix)]
fn is_special(t: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    t.is_block_device() || t.is_char_device() || t.is_fifo() || t.is_socket()
}

#[cfg(not(unix))]
fn is_special(_: &std::fs::FileType) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ivconform-file-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_a_regular_file_within_the_cap() {
        let dir = scratch("ok");
        let path = dir.join("a.json");
        std::fs::write(&path, b"{}\n").unwrap();
        assert_eq!(read_regular(&path, 3).unwrap(), b"{}\n");
        assert_eq!(read_regular_text(&path, 100).unwrap(), "{}\n");
        let e = read_regular(&path, 2).unwrap_err().message;
        assert!(e.contains("3 bytes, more than the limit of 2"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_fifos_and_directories_without_blocking() {
        let e = read_regular(Path::new("/dev/zero"), 1 << 20).unwrap_err().message;
        assert!(e.contains("/dev/zero") && e.contains("device, FIFO or socket"), "{e}");
        let dir = scratch("fifo");
        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().map(|s| s.success()).unwrap_or(false);
        if made {
            // Opening a FIFO for reading would block until a writer comes: it must be refused before that.
            let e = read_regular(&fifo, 1 << 20).unwrap_err().message;
            assert!(e.contains("device, FIFO or socket"), "{e}");
        }
        let e = read_regular(&dir, 1 << 20).unwrap_err().message;
        assert!(e.contains("a directory"), "{e}");
        let e = read_regular(&dir.join("missing"), 1).unwrap_err().message;
        assert!(e.contains("cannot read"), "{e}");
    }

    #[test]
    fn text_must_be_utf8() {
        let dir = scratch("utf8");
        let path = dir.join("b");
        std::fs::write(&path, b"ok\xff").unwrap();
        let e = read_regular_text(&path, 10).unwrap_err().message;
        assert!(e.contains("not UTF-8") && e.contains("offset 2"), "{e}");
    }
}
