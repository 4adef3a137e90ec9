//! The expectations file: known deviations of an implementation, so CI stays green while they are fixed,
//! and cannot rot: entries that match no case and expected failures that now pass are reported.
//!
//! ```toml
//! [[expected_failure]]
//! case = "payload-duplicate-*"          # glob over case ids
//! reason = "our JSON library keeps the last duplicate key"
//! link = "https://tracker.example/ISSUE-123"   # optional
//! ```

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    expected_failure: Vec<EntryDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDoc {
    case: String,
    reason: String,
    #[serde(default)]
    link: Option<String>,
}

/// One known deviation.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The glob as written.
    pub pattern: String,
    /// Why it fails.
    pub reason: String,
    /// Where it is tracked.
    pub link: Option<String>,
    /// 1-based line of the entry in the file.
    pub line: usize,
}

/// A loaded expectations file.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// Entries in file order.
    pub entries: Vec<Entry>,
    /// Every entry's pattern in one matcher (index = entry), so a lookup is one pass, not one per entry.
    set: GlobSet,
}

/// Largest expectations file read (bytes): thousands of entries fit; a runaway file is refused unread.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl Expectations {
    /// Reads and checks a file; errors carry the file, line and what is wrong.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = ivconform_vectors::file::read_regular_text(path, MAX_FILE_BYTES).map_err(|e| e.to_string())?;
        Self::parse(&text).map_err(|(line, m)| match line {
            Some(l) => format!("{}:{l}: {m}", path.display()),
            None => format!("{}: {m}", path.display()),
        })
    }

    /// Parses the TOML text.
    pub fn parse(text: &str) -> Result<Self, (Option<usize>, String)> {
        let doc: FileDoc = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            (line, e.message().trim().to_string())
        })?;
        let mut entries = Vec::new();
        let mut set = GlobSetBuilder::new();
        // Linear in the file: each entry's `case = ...` is searched from the previous one, and lines are
        // counted only over the text between them.
        let (mut search_from, mut counted_to, mut line) = (0, 0, 1);
        for e in doc.expected_failure {
            // The line of this entry's `case = ...`, searched in order so repeated patterns get their own line.
            let needle = format!("\"{}\"", e.case);
            let pos = text[search_from..].find(&needle).map_or(search_from, |p| p + search_from);
            search_from = pos + 1;
            line += text[counted_to..pos].matches('\n').count();
            counted_to = pos;
            if e.reason.trim().is_empty() {
                return Err((
                    Some(line),
                    format!("entry for {:?} has an empty reason: say why it is expected to fail", e.case),
                ));
            }
            let glob = Glob::new(&e.case).map_err(|err| (Some(line), format!("bad glob {:?}: {err}", e.case)))?;
            set.add(glob);
            entries.push(Entry { pattern: e.case, reason: e.reason, link: e.link, line });
        }
        let set = set.build().map_err(|e| (None, format!("the case patterns do not compile together: {e}")))?;
        Ok(Expectations { entries, set })
    }

    /// The entry covering a case id, if any (the first in file order that matches).
    pub fn lookup(&self, id: &str) -> Option<&Entry> {
        self.set.matches(id).into_iter().min().map(|i| &self.entries[i])
    }

    /// Entries that match none of `ids` (stale: the case was renamed or removed).
    pub fn unmatched<'a>(&'a self, ids: &[&str]) -> Vec<&'a Entry> {
        let mut used = vec![false; self.entries.len()];
        for id in ids {
            for i in self.set.matches(id) {
                used[i] = true;
            }
        }
        self.entries.iter().zip(used).filter(|(_, used)| !used).map(|(e, _)| e).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loading_is_linear_and_lookups_take_the_first_entry() {
        // 20,000 entries: quadratic line counting took seconds here; a linear load takes milliseconds.
        let mut text = String::new();
        for i in 0..20_000 {
            text += &format!("[[expected_failure]]\ncase = \"case-{i}-*\"\nreason = \"r{i}\"\n\n");
        }
        text += "[[expected_failure]]\ncase = \"case-1*\"\nreason = \"broad\"\n";
        let x = Expectations::parse(&text).unwrap();
        assert_eq!(x.entries.len(), 20_001);
        assert_eq!(x.entries[19_999].line, 19_999 * 4 + 2, "the line of each entry's case");
        assert_eq!(x.lookup("case-1-a").unwrap().reason, "r1", "the first matching entry in file order");
        assert_eq!(x.lookup("case-1x").unwrap().reason, "broad");
        assert!(x.lookup("other").is_none());
        let stale = x.unmatched(&["case-0-a", "case-1-b"]);
        assert_eq!(stale.len(), 20_001 - 3, "every entry but case-0-*, case-1-* and the broad case-1*");
    }

    #[test]
    fn parses_and_finds_lines() {
        let x = Expectations::parse(
            "[[expected_failure]]\ncase = \"payload-nan\"\nreason = \"lenient parser\"\n\n[[expected_failure]]\ncase = \"verify-form-*\"\nreason = \"r\"\nlink = \"https://x\"\n",
        )
        .unwrap();
        assert_eq!(x.entries.len(), 2);
        assert_eq!(x.entries[1].line, 6);
        assert_eq!(x.lookup("verify-form-base64").unwrap().reason, "r");
        assert!(x.lookup("sign-only-email").is_none());
        assert_eq!(x.unmatched(&["payload-nan"]).len(), 1);
    }

    #[test]
    fn errors_name_the_line() {
        let (line, m) = Expectations::parse("[[expected_failure]]\ncase = \"a\"\nreasn = \"typo\"\n").unwrap_err();
        assert_eq!(line, Some(3), "{m}");
        assert!(m.contains("reasn"), "{m}");
        let (line, m) = Expectations::parse("[[expected_failure]]\ncase = \"a\"\nreason = \" \"\n").unwrap_err();
        assert_eq!(line, Some(2));
        assert!(m.contains("empty reason"));
        assert!(Expectations::parse("[[expected_failure]]\ncase = \"a[\"\nreason = \"x\"\n").is_err());
    }
}
