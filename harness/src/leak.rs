//! The leak scan and the redaction of secrets.
//!
//! An IUT that prints a secret, or the MAC a verifier computes for a hash it was sent, hands attackers an oracle
//! (and writes secrets into CI logs). Every byte an IUT produces is scanned: answers of any kind, garbage,
//! HTTP error bodies, lines nobody asked for, and stderr. The scan looks for:
//! * every secret of the run (at least 8 bytes; shorter ones cannot be told from coincidence): as text, as hex
//!   in either case, as base64 and base64url;
//! * every expected MAC of the run: hex in either case, base64, base64url, and any hex prefix of 16 characters
//!   or more.
//!
//! It is exact, in both directions:
//! * a MAC the harness itself sent in the case's request (the `user_hash` of a payload, the signature of a
//!   token) is not a leak, nor is the value an answer is *supposed* to carry (a signer's hash, a token's
//!   signature, an HMAC tag); secrets always count, even the case's own;
//! * an answer's findings belong to the case it answered; stderr is attributed by content, never by arrival
//!   time (a background thread drains it, so "the case running when the line arrived" would differ from run to
//!   run): a secret or MAC found there is reported against the first case, in plan order, that owns it, and
//!   only values sent in some request or returned in some answer of the run are exempt. The same run gives the
//!   same findings every time.
//!
//! Findings describe what leaked ("the web secret of ws_prod (base64)") and never show it; [`Scanner::redact`]
//! replaces every known secret in IUT text with `<secret of case ID>` before the text reaches a report.
//! Multi-pattern search is `aho-corasick`'s: one pass over the text for every secret and MAC of the suite.

use crate::suite::plan::PlannedCase;
use aho_corasick::AhoCorasick;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use ivconform_protocol::Request;
use std::collections::{BTreeMap, BTreeSet};

/// One leak.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LeakFinding {
    /// The case whose exchange leaked (for stderr: the first case that owns what leaked).
    pub case: String,
    /// `response` or `stderr`.
    pub channel: String,
    /// What leaked, described without revealing it.
    pub what: String,
}

/// How a value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Text,
    Hex,
    HexPrefix,
    Base64,
    Base64Url,
}

impl Form {
    fn suffix(self) -> &'static str {
        match self {
            Form::Text | Form::Hex => "",
            Form::HexPrefix => " (a hex prefix of it)",
            Form::Base64 => " (base64)",
            Form::Base64Url => " (base64url)",
        }
    }
}

/// A secret or a MAC, with the cases it belongs to.
#[derive(Debug)]
struct Needle {
    secret: bool,
    /// For a secret: "the web secret of ws_prod".
    what: String,
    /// Case ids in plan order.
    owners: Vec<String>,
}

/// The shortest hex prefix of a MAC that counts as a leak.
const MIN_HEX_PREFIX: usize = 16;
/// The shortest value of a request that exempts a MAC found inside it.
const MIN_SENT_VALUE: usize = 16;
/// The longest (a token is a few hundred bytes; a payload's strings are short).
const MAX_SENT_VALUE: usize = 4096;

/// An automaton builder without the DFA step (built per scan for a handful of patterns, or once for many).
fn nfa() -> aho_corasick::AhoCorasickBuilder {
    let mut b = AhoCorasick::builder();
    b.kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA));
    b
}

/// Knows every secret and expected MAC of the run.
pub struct Scanner {
    needles: Vec<Needle>,
    /// Hex forms, matched in either case.
    hex: AhoCorasick,
    hex_meta: Vec<(usize, Form)>,
    /// Text and base64 forms, matched exactly.
    exact: AhoCorasick,
    exact_meta: Vec<(usize, Form)>,
}

/// Every value the requests of a run hand the IUT (for stderr, which belongs to no case): what the run
/// selected, not the whole suite the scanner knows.
pub struct SentValues {
    values: AhoCorasick,
    /// The selected cases, which stderr findings are attributed to first.
    ids: std::collections::HashSet<String>,
}

impl SentValues {
    /// The values sent by `cases`.
    pub fn of(cases: &[PlannedCase]) -> SentValues {
        let mut sent: BTreeSet<String> = BTreeSet::new();
        for case in cases {
            sent.extend(sent_values(&case.request));
        }
        let sent: Vec<String> = sent.into_iter().collect();
        SentValues {
            values: nfa().ascii_case_insensitive(true).build(&sent).expect("sent values build"),
            ids: cases.iter().map(|c| c.id.clone()).collect(),
        }
    }
}

impl Scanner {
    /// A scanner for the secrets of `cases` (the whole suite: every secret the harness knows is redacted) and
    /// the `(hash hex, case id)` pairs of every expected MAC.
    pub fn new(cases: &[PlannedCase], expected_hashes: Vec<(String, String)>) -> Self {
        let mut needles: Vec<Needle> = Vec::new();
        let mut by_key: BTreeMap<(bool, String), usize> = BTreeMap::new();
        let mut add = |secret: bool, hex: String, what: String, owner: &str, needles: &mut Vec<Needle>| {
            let i = *by_key.entry((secret, hex)).or_insert_with(|| {
                needles.push(Needle { secret, what, owners: Vec::new() });
                needles.len() - 1
            });
            if !needles[i].owners.iter().any(|o| o == owner) {
                needles[i].owners.push(owner.to_string());
            }
        };
        let mut secret_text: BTreeMap<String, Option<String>> = BTreeMap::new();
        for case in cases {
            for s in &case.secrets {
                secret_text.insert(s.hex.clone(), s.text.clone());
                add(true, s.hex.clone(), s.what.clone(), &case.id, &mut needles);
            }
        }
        let order: BTreeMap<&str, usize> = cases.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
        let mut hashes = expected_hashes;
        hashes.sort_by_key(|(_, id)| order.get(id.as_str()).copied().unwrap_or(usize::MAX));
        for (hash, id) in hashes {
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                add(false, hash.to_ascii_lowercase(), String::new(), &id, &mut needles);
            }
        }
        let (mut hex_pats, mut hex_meta, mut exact_pats, mut exact_meta) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for ((secret, hex), &i) in &by_key {
            let Some(bytes) = ivconform_core::hex::decode(hex) else { continue };
            hex_pats.push(hex.clone());
            hex_meta.push((i, Form::Hex));
            if !secret {
                hex_pats.push(hex[..MIN_HEX_PREFIX].to_string());
                hex_meta.push((i, Form::HexPrefix));
            }
            if let Some(Some(text)) = secret.then(|| secret_text.get(hex).cloned().flatten()) {
                exact_pats.push(text);
                exact_meta.push((i, Form::Text));
            }
            let (b64, url) = (STANDARD_NO_PAD.encode(&bytes), URL_SAFE_NO_PAD.encode(&bytes));
            if url != b64 {
                exact_pats.push(url);
                exact_meta.push((i, Form::Base64Url));
            }
            exact_pats.push(b64);
            exact_meta.push((i, Form::Base64));
        }
        let hex = AhoCorasick::builder().ascii_case_insensitive(true).build(&hex_pats).expect("hex patterns build");
        let exact = AhoCorasick::new(&exact_pats).expect("exact patterns build");
        Scanner { needles, hex, hex_meta, exact, exact_meta }
    }

    /// Every known value found in `text`: (needle, form, start, end), overlapping matches included.
    fn matches(&self, text: &[u8]) -> Vec<(usize, Form, usize, usize)> {
        let mut out = Vec::new();
        for m in self.hex.find_overlapping_iter(text) {
            let (i, form) = self.hex_meta[m.pattern().as_usize()];
            out.push((i, form, m.start(), m.end()));
        }
        for m in self.exact.find_overlapping_iter(text) {
            let (i, form) = self.exact_meta[m.pattern().as_usize()];
            out.push((i, form, m.start(), m.end()));
        }
        // A whole hex MAC also matches its own prefix: report it once, as the whole.
        let whole: BTreeSet<(usize, usize)> =
            out.iter().filter(|m| m.1 == Form::Hex).map(|&(i, _, s, _)| (i, s)).collect();
        out.retain(|&(i, form, s, _)| form != Form::HexPrefix || !whole.contains(&(i, s)));
        out
    }

    /// Scans what the IUT sent on `channel` while answering `case`; `allowed` are the values its answer is
    /// supposed to carry (a signer's hash, a token's signature, an HMAC tag).
    pub fn scan(&self, case: &PlannedCase, channel: &str, text: &[u8], allowed: &[&str]) -> Vec<LeakFinding> {
        self.findings(text, |found| {
            let spans = spans_of(found, &sent_values(&case.request));
            let allowed: Vec<&str> = allowed.iter().copied().filter(|a| a.len() >= MIN_SENT_VALUE).collect();
            let answer = spans_of(found, &allowed);
            let describe = move |n: &Needle, form: Form| {
                let what = if n.secret {
                    format!("{}{}", n.what, form.suffix())
                } else if n.owners.contains(&case.id) {
                    format!("this case's expected hash{}", form.suffix())
                } else {
                    format!("the expected hash of case {}{}", n.owners[0], form.suffix())
                };
                LeakFinding { case: case.id.clone(), channel: channel.into(), what }
            };
            (spans, answer, describe)
        })
    }

    /// Scans stderr, which belongs to no case: a value is reported against the first case of the run (else of
    /// the suite) that owns it, and only values `sent` in some request of the run, or in `returned` (values
    /// answers carried), are exempt.
    pub fn scan_stderr(&self, text: &[u8], sent: &SentValues, returned: &[String]) -> Vec<LeakFinding> {
        self.findings(text, |found| {
            let spans: Vec<(usize, usize)> =
                sent.values.find_overlapping_iter(found).map(|m| (m.start(), m.end())).collect();
            let returned: Vec<&str> =
                returned.iter().map(String::as_str).filter(|r| r.len() >= MIN_SENT_VALUE).collect();
            let answer = spans_of(found, &returned);
            let describe = |n: &Needle, form: Form| {
                let what = if n.secret {
                    format!("{}{}", n.what, form.suffix())
                } else {
                    format!("this case's expected hash{}", form.suffix())
                };
                let owner = n.owners.iter().find(|o| sent.ids.contains(*o)).unwrap_or(&n.owners[0]);
                LeakFinding { case: owner.clone(), channel: "stderr".into(), what }
            };
            (spans, answer, describe)
        })
    }

    /// The findings in `text`: `context` gives, once something matched, the exempt spans (values the request
    /// sent), the spans of values an answer carries (a signer's hash: they exempt expected MACs but never a
    /// secret, so a "hash" that is the secret is still a leak) and how to describe a finding; a match inside an
    /// exempt span is not one.
    fn findings<D: Fn(&Needle, Form) -> LeakFinding>(
        &self,
        text: &[u8],
        context: impl FnOnce(&[u8]) -> (Vec<(usize, usize)>, Vec<(usize, usize)>, D),
    ) -> Vec<LeakFinding> {
        let found = if text.is_empty() { Vec::new() } else { self.matches(text) };
        if found.is_empty() {
            return Vec::new();
        }
        let (spans, answer, describe) = context(text);
        let out: BTreeSet<LeakFinding> = found
            .into_iter()
            .filter(|&(i, _, start, end)| {
                !inside(&spans, start, end) && (self.needles[i].secret || !inside(&answer, start, end))
            })
            .map(|(i, form, ..)| describe(&self.needles[i], form))
            .collect();
        out.into_iter().collect()
    }

    /// `text` with every known secret (any of its forms) replaced by `<secret of case ID>`.
    pub fn redact(&self, text: &str) -> String {
        let mut hits: Vec<(usize, usize, usize)> = self
            .matches(text.as_bytes())
            .into_iter()
            .filter(|(i, ..)| self.needles[*i].secret)
            .map(|(i, _, s, e)| (s, e, i))
            .collect();
        if hits.is_empty() {
            return text.to_string();
        }
        hits.sort();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, i) in hits {
            if end <= at {
                continue;
            }
            let start = start.max(at);
            // Matches are on ASCII patterns or whole UTF-8 texts, so their ends fall on char boundaries.
            if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                continue;
            }
            out.push_str(&text[at..start]);
            out.push_str(&format!("<secret of case {}>", self.needles[i].owners[0]));
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// The values a request hands the IUT, other than its secrets, that are long enough to exempt a value found
/// inside them, with their hex forms: a verify payload's strings (its `user_hash`, a token and its segments),
/// a signer's identifiers (which may look like a secret: `sign-key-message-swap-probe` sends one), an HMAC
/// message. A correct answer or log line may repeat them.
fn sent_values(request: &Request) -> Vec<String> {
    let mut out = Vec::new();
    let json = |v: &Option<serde_json::Value>, out: &mut Vec<String>| {
        if let Some(v) = v {
            collect_strings(v, out);
        }
    };
    match request {
        Request::Verify { payload_hex, .. } => {
            if let Some(bytes) = ivconform_core::hex::decode(payload_hex) {
                if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                    collect_strings(&value, &mut out);
                }
            }
        }
        Request::Sign { user_id, email, .. } => {
            json(user_id, &mut out);
            json(email, &mut out);
        }
        Request::SignJwt { user_id, email, .. } => {
            out.push(user_id.clone());
            out.extend(email.clone());
        }
        Request::Hmac { msg_hex, .. } => {
            if let Some(bytes) = ivconform_core::hex::decode(msg_hex) {
                out.push(String::from_utf8_lossy(&bytes).into_owned());
                out.push(msg_hex.clone());
            }
        }
        _ => {}
    }
    // Long strings (a padded identifier, a large attribute) exempt nothing a MAC could hide in usefully.
    out.retain(|v| v.len() >= MIN_SENT_VALUE && v.len() <= MAX_SENT_VALUE);
    let derived: Vec<String> = out
        .iter()
        .flat_map(|v| {
            let segments = v.split('.').filter(|s| s.len() >= MIN_SENT_VALUE && s.len() < v.len()).map(String::from);
            segments.chain([ivconform_core::hex::encode_lower(v.as_bytes())])
        })
        .collect();
    out.extend(derived);
    out
}

fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// Where the exempt values occur in `text` (ASCII case-insensitively, as hex is).
fn spans_of(text: &[u8], exempt: &[impl AsRef<str>]) -> Vec<(usize, usize)> {
    let patterns: Vec<&str> = exempt.iter().map(AsRef::as_ref).filter(|p| !p.is_empty()).collect();
    if patterns.is_empty() {
        return Vec::new();
    }
    let Ok(ac) = nfa().ascii_case_insensitive(true).build(&patterns) else { return Vec::new() };
    ac.find_overlapping_iter(text).map(|m| (m.start(), m.end())).collect()
}

fn inside(spans: &[(usize, usize)], start: usize, end: usize) -> bool {
    spans.iter().any(|&(s, e)| s <= start && end <= e)
}

/// A scanner for every secret and expected MAC of the committed vectors (for unit tests).
#[cfg(test)]
pub(crate) fn bundled_scanner() -> Scanner {
    use crate::suite::plan::{bundled_plan, bundled_suite, expected_hashes};
    Scanner::new(&bundled_plan(), expected_hashes(bundled_suite()))
}

#[cfg(test)]
mod tests {
    use super::bundled_scanner as scanner;
    use crate::suite::plan::bundled_plan as planned;

    /// A value an answer carries exempts an expected hash (the signer's own), never a secret: a signer that
    /// answers with its secret as the "hash" leaks it, on stdout and on stderr.
    #[test]
    fn an_answer_that_is_the_secret_is_still_a_leak() {
        let scanner = scanner();
        let case = planned().into_iter().find(|c| c.id == "sign-only-user-id").unwrap();
        let secret = case.secrets[0].text.clone().expect("a text secret");
        let found = scanner.scan(&case, "response", secret.as_bytes(), &[secret.as_str()]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].channel, "response");
        let returned = vec![secret.clone()];
        let sent = crate::leak::SentValues::of(std::slice::from_ref(&case));
        // `=` before it, not a space: another case's secret is this one with a leading space, and would be
        // found in "debug SECRET" too (rightly).
        let found = scanner.scan_stderr(format!("debug={secret}").as_bytes(), &sent, &returned);
        assert_eq!(found.len(), 1, "{found:?}");
        // The case's own expected hash, returned as the answer, is not a leak.
        let ivconform_protocol::Response::Sign { user_hash: Some(hash), .. } =
            ivconform_protocol::reference::handle(&case.request)
        else {
            panic!()
        };
        assert!(scanner.scan(&case, "response", hash.as_bytes(), &[hash.as_str()]).is_empty());
    }
}
