//! The expectations file: known deviations of an implementation, so CI stays green while they are fixed,
//! and cannot rot: entries that match no case and expected failures that now pass are reported.
//!
//! ```toml
//! [[expected_failure]]
//! case = "payload-duplicate-*"          # glob over case ids
//! reason = "our JSON library keeps the last duplicate key"
//! link = "https://tracker.example/ISSUE-123"   # optional
//! ```

use globset::{Glob, GlobMatcher};
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
    matcher: GlobMatcher,
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
}

impl Expectations {
    /// Reads and checks a file; errors carry the file, line and what is wrong.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
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
        let mut search_from = 0;
        for e in doc.expected_failure {
            // The line of this entry's `case = ...`, searched in order so repeated patterns get their own line.
            let needle = format!("\"{}\"", e.case);
            let pos = text[search_from..].find(&needle).map(|p| p + search_from).unwrap_or(0);
            search_from = pos + 1;
            let line = text[..pos].matches('\n').count() + 1;
            if e.reason.trim().is_empty() {
                return Err((
                    Some(line),
                    format!("entry for {:?} has an empty reason: say why it is expected to fail", e.case),
                ));
            }
            let matcher = Glob::new(&e.case)
                .map_err(|err| (Some(line), format!("bad glob {:?}: {err}", e.case)))?
                .compile_matcher();
            entries.push(Entry { pattern: e.case, matcher, reason: e.reason, link: e.link, line });
        }
        Ok(Expectations { entries })
    }

    /// The entry covering a case id, if any (the first that matches).
    pub fn lookup(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.matcher.is_match(id))
    }

    /// Entries that match none of `ids` (stale: the case was renamed or removed).
    pub fn unmatched<'a>(&'a self, ids: &[&str]) -> Vec<&'a Entry> {
        self.entries.iter().filter(|e| !ids.iter().any(|id| e.matcher.is_match(id))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
