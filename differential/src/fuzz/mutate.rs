//! Mutations of a boot payload: bytes, libFuzzer's dictionary (`fuzz/payload.dict`, shared with the
//! cargo-fuzz targets), splices, JSON-value swaps and duplicated members, then a `user_hash` refresh so
//! mutated identities still carry the right hash (or another platform's) and reach the MAC check.

use super::corpus::Seed;
use super::FuzzRng;
use super::MAX_LEN;
use ivconform_core::hex::encode_lower;
use ivconform_core::mac::hmac_sha256;
use ivconform_core::payload::BootPayload;
use ivconform_core::Platform;

/// Tokens from `fuzz/payload.dict`, decoded (`\\`, `\"` and `\xNN` escapes).
pub fn dictionary() -> Vec<Vec<u8>> {
    include_str!("../../../fuzz/payload.dict")
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('"') && l.ends_with('"') && l.len() >= 2)
        .filter_map(|l| decode_token(&l[1..l.len() - 1]))
        .collect()
}

fn decode_token(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1)? {
            b'x' => {
                let hex = std::str::from_utf8(b.get(i + 2..i + 4)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 4;
            }
            c => {
                out.push(*c);
                i += 2;
            }
        }
    }
    Some(out)
}

/// Whole JSON values a member's value is swapped for: SPEC's edge cases for identifiers and hashes.
const VALUES: &[&str] = &[
    "0",
    "-0",
    "5678",
    "-3",
    "9007199254740991",
    "9007199254740992",
    "-9007199254740993",
    "123.0",
    "1e3",
    "1e400",
    "null",
    "true",
    "\"\"",
    "\" \"",
    "[]",
    "{}",
    "[\"5678\"]",
    "{\"user_id\":\"5678\"}",
    "\"5678\"",
    "\"5678 \"",
    "\"Ann@Example.COM\"",
    "\"ann@example.com\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\ud83d\\ude00\"",
    "\"caf\\u00e9\"",
    "\"cafe\\u0301\"",
    "\"<b>&amp;</b>\"",
    "\"ws_prod\"",
    "\"ws_test\"",
    "\"ws_unknown\"",
];

/// The same document in another shape: JSON whitespace added before and after it (P1 allows it), so a
/// golden vector's payload is sent as-is in meaning but not in bytes.
pub fn reshape(rng: &mut FuzzRng, payload: &[u8]) -> Vec<u8> {
    let ws = |rng: &mut FuzzRng| -> Vec<u8> { (0..rng.below(3)).map(|_| *rng.pick(b" \t\n\r")).collect() };
    let mut out = ws(rng);
    out.extend_from_slice(payload);
    out.extend(ws(rng));
    out
}

/// Mutates `seed.payload` one to four times; `others` are splice partners.
pub fn mutate(rng: &mut FuzzRng, seed: &Seed, others: &[Seed], dict: &[Vec<u8>]) -> Vec<u8> {
    let mut out = seed.payload.clone();
    for _ in 0..1 + rng.below(4) {
        mutate_once(rng, &mut out, others, dict);
    }
    out.truncate(MAX_LEN);
    out
}

fn mutate_once(rng: &mut FuzzRng, out: &mut Vec<u8>, others: &[Seed], dict: &[Vec<u8>]) {
    let len = out.len();
    let at = |rng: &mut FuzzRng| rng.below(len + 1);
    match rng.below(10) {
        // A flipped bit.
        0 if len > 0 => {
            let i = rng.below(len);
            out[i] ^= 1 << rng.below(8);
        }
        // A byte replaced by one JSON cares about.
        1 if len > 0 => {
            let i = rng.below(len);
            out[i] = *rng.pick(b"\"\\{}[],: \n0-9e.\x00\x7f\x80\xc3\xed\xff");
        }
        // A range deleted.
        2 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(16));
            out.drain(i..i + n);
        }
        // A range repeated.
        3 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(32));
            let piece = out[i..i + n].to_vec();
            let j = at(rng);
            out.splice(j..j, piece);
        }
        // A dictionary token inserted, or written over the bytes there.
        4 | 5 if !dict.is_empty() => {
            let token = rng.pick(dict).clone();
            let j = at(rng);
            if rng.chance(1, 2) {
                out.splice(j..j, token);
            } else {
                let end = (j + token.len()).min(len);
                out.splice(j..end, token);
            }
        }
        // A splice: this payload's head, another's tail.
        6 if !others.is_empty() => {
            let other = &rng.pick(others).payload;
            let cut = at(rng);
            let from = rng.below(other.len() + 1);
            out.truncate(cut);
            out.extend_from_slice(&other[from..]);
        }
        // A member's value swapped for an edge case.
        7 | 8 => {
            if let Some((start, end)) = value_span(out, rng) {
                out.splice(start..end, rng.pick(VALUES).bytes());
            }
        }
        // A member repeated (a duplicate key, P2), or the document nested one level deeper.
        _ => {
            if let Some((kstart, end)) = member_span(out, rng) {
                let member = out[kstart..end].to_vec();
                if let Some(open) = out.iter().position(|&b| b == b'{') {
                    let mut insert = member;
                    insert.push(b',');
                    out.splice(open + 1..open + 1, insert);
                }
            } else if len > 0 {
                out.splice(0..0, b"{\"custom\":".iter().copied());
                out.push(b'}');
            }
        }
    }
}

/// The byte range of a random value that follows a `":` (a string, number, literal or one-line bracket).
fn value_span(bytes: &[u8], rng: &mut FuzzRng) -> Option<(usize, usize)> {
    let colons: Vec<usize> = bytes.windows(2).enumerate().filter(|(_, w)| w == b"\":").map(|(i, _)| i + 2).collect();
    let start = *rng.pick(colons.as_slice().get(..).filter(|c| !c.is_empty())?);
    let start = start + bytes[start..].iter().take_while(|b| b.is_ascii_whitespace()).count();
    Some((start, start + value_len(&bytes[start..])))
}

/// The byte range `"key":value` of a random member.
fn member_span(bytes: &[u8], rng: &mut FuzzRng) -> Option<(usize, usize)> {
    let (vstart, vend) = value_span(bytes, rng)?;
    let colon = vstart - bytes[..vstart].iter().rev().take_while(|b| b.is_ascii_whitespace()).count() - 1;
    let quote = colon.checked_sub(1)?;
    let kstart = bytes[..quote].iter().rposition(|&b| b == b'"')?;
    Some((kstart, vend))
}

/// How long the JSON value at the start of `rest` is, roughly (strings with escapes, balanced brackets,
/// else up to a delimiter); good enough to aim a mutation, never trusted for anything else.
fn value_len(rest: &[u8]) -> usize {
    match rest.first() {
        Some(b'"') => {
            let mut i = 1;
            while i < rest.len() {
                match rest[i] {
                    b'\\' => i += 2,
                    b'"' => return i + 1,
                    _ => i += 1,
                }
            }
            rest.len()
        }
        Some(b'{') | Some(b'[') => {
            let mut depth = 0usize;
            let mut in_string = false;
            let mut i = 0;
            while i < rest.len() {
                match (in_string, rest[i]) {
                    (true, b'\\') => i += 1,
                    (true, b'"') => in_string = false,
                    (false, b'"') => in_string = true,
                    (false, b'{') | (false, b'[') => depth += 1,
                    (false, b'}') | (false, b']') => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            rest.len()
        }
        _ => rest.iter().position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\n')).unwrap_or(rest.len()),
    }
}

/// Often rewrites `user_hash` to a hash of the identifier S2 selects: with the request platform's secret
/// (the verified path), another platform's, or in uppercase (V6). Payloads that do not parse are left alone.
pub fn refresh_hash(rng: &mut FuzzRng, seed: &Seed, payload: &mut Vec<u8>) {
    if !rng.chance(2, 3) {
        return;
    }
    let Ok(parsed) = BootPayload::parse(payload) else { return };
    let Some(identifier) = parsed.identifiers.select() else { return };
    let Some(app) = seed.config.apps.get(&parsed.app_id) else { return };
    let platform = if rng.chance(4, 5) { seed.platform } else { *rng.pick(&Platform::ALL) };
    let Some(secret) = app.platform(platform).secret else { return };
    let mut hash = encode_lower(&hmac_sha256(secret.expose(), identifier.message()));
    if rng.chance(1, 6) {
        hash.make_ascii_uppercase();
    }
    let key = b"\"user_hash\"";
    match payload.windows(key.len()).position(|w| w == key) {
        Some(k) => {
            let rest = k + key.len();
            let colon = rest + payload[rest..].iter().take_while(|b| b.is_ascii_whitespace()).count();
            if payload.get(colon) != Some(&b':') {
                return;
            }
            let start = colon + 1 + payload[colon + 1..].iter().take_while(|b| b.is_ascii_whitespace()).count();
            let end = start + value_len(&payload[start..]);
            payload.splice(start..end, format!("\"{hash}\"").into_bytes());
        }
        None => {
            if let Some(open) = payload.iter().position(|&b| b == b'{') {
                payload.splice(open + 1..open + 1, format!("\"user_hash\":\"{hash}\",").into_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_dictionary_decodes_its_escapes() {
        let dict = dictionary();
        assert!(dict.len() > 50, "{} tokens", dict.len());
        assert!(dict.contains(&b"\"user_hash\"".to_vec()));
        assert!(dict.contains(&vec![0xef, 0xbb, 0xbf]), "\\xNN escapes decode to bytes");
        assert!(dict.contains(&b"\\ud800".to_vec()), "\\\\ is one backslash");
    }

    #[test]
    fn value_lengths() {
        assert_eq!(value_len(br#""a\"b",1"#), 6);
        assert_eq!(value_len(br#"{"a":[1,"}"]},2"#), 13);
        assert_eq!(value_len(b"123}"), 3);
        assert_eq!(value_len(b"\"unterminated"), 13);
    }

    #[test]
    fn refreshed_hashes_verify_and_mutation_stays_bounded() {
        let config =
            ivconform_core::Config::from_toml_str("[apps.ws_prod.web]\nsecret = \"s3cret\"\nenforced = true\n")
                .unwrap();
        let seed = Seed {
            config: Arc::new(config),
            platform: Platform::Web,
            payload: br#"{"app_id":"ws_prod","user_id":"5678","user_hash":"00"}"#.to_vec(),
            now: None,
        };
        let mut rng = FuzzRng::new(7);
        let mut verified = 0;
        for _ in 0..60 {
            let mut p = seed.payload.clone();
            refresh_hash(&mut rng, &seed, &mut p);
            let d = ivconform_core::verify::verify(&seed.config, Platform::Web, &p);
            if matches!(
                d.outcome,
                ivconform_core::decision::Outcome::Accept(ivconform_core::decision::Identity::User {
                    verified: true,
                    ..
                })
            ) {
                verified += 1;
            }
        }
        assert!(verified > 20, "the refresh makes the verified path common: {verified}/60");
        let dict = dictionary();
        let big = Seed { payload: vec![b'['; MAX_LEN], ..seed.clone() };
        for _ in 0..500 {
            assert!(mutate(&mut rng, &big, std::slice::from_ref(&big), &dict).len() <= MAX_LEN);
        }
    }
}
