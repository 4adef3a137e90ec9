//! Shrinking a failing payload while the implementation still disagrees the same way: first whole members
//! of the top-level object are deleted (byte-level deletion rarely cuts exactly one `"key":value,`), then
//! delta debugging (Zeller's ddmin, complement-only) deletes chunks, halving their size when no deletion
//! keeps it failing, then members once more.

/// The smallest input found that still fails, and the number of checks spent (at most `budget`).
///
/// `check` says whether a candidate still fails by returning the failing bytes: the candidate itself, or a
/// repaired version of it (a re-signed `user_hash`), which then replaces the current input.
pub fn shrink(input: &[u8], budget: usize, mut fails: impl FnMut(&[u8]) -> Option<Vec<u8>>) -> (Vec<u8>, usize) {
    let mut spent = 0;
    let current = drop_members(input.to_vec(), budget, &mut spent, &mut fails);
    let (current, used) = ddmin(&current, budget - spent, &mut fails);
    spent += used;
    let current = drop_members(current, budget, &mut spent, &mut fails);
    (current, spent)
}

/// Deletes top-level members one at a time (last first) while the input keeps failing.
fn drop_members(
    mut current: Vec<u8>,
    budget: usize,
    spent: &mut usize,
    fails: &mut impl FnMut(&[u8]) -> Option<Vec<u8>>,
) -> Vec<u8> {
    let mut k = members(&current).len();
    while k > 0 && *spent < budget {
        k -= 1;
        let spans = members(&current);
        let Some(&(start, end)) = spans.get(k) else { continue };
        let mut candidate = current[..start].to_vec();
        candidate.extend_from_slice(&current[end..]);
        *spent += 1;
        if let Some(failing) = fails(&candidate) {
            current = failing;
        }
    }
    current
}

/// The byte spans of the top-level object's members, each with the comma that separates it from the next
/// (or, for the last, from the previous), found by a string- and depth-aware scan; empty when the input
/// is not an object.
fn members(bytes: &[u8]) -> Vec<(usize, usize)> {
    let Some(open) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else { return Vec::new() };
    if bytes[open] != b'{' {
        return Vec::new();
    }
    let mut spans = Vec::new();
    let (mut depth, mut in_string, mut start) = (0usize, false, open + 1);
    let mut i = open;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        if bytes[start..i].iter().any(|c| !c.is_ascii_whitespace()) {
                            // The last member takes the comma before it, when there is one.
                            let s = match spans.last() {
                                Some(&(_, prev_end)) if bytes[prev_end - 1] == b',' => prev_end - 1,
                                _ => start,
                            };
                            spans.push((s, i));
                        }
                        break;
                    }
                }
                b',' if depth == 1 => {
                    spans.push((start, i + 1));
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    spans
}

/// ddmin over bytes; the smallest input found and the checks spent (at most `budget`).
fn ddmin(input: &[u8], budget: usize, fails: &mut impl FnMut(&[u8]) -> Option<Vec<u8>>) -> (Vec<u8>, usize) {
    let mut current = input.to_vec();
    let mut spent = 0;
    let mut parts = 2usize;
    while current.len() > 1 && spent < budget {
        let chunk = current.len().div_ceil(parts);
        let mut reduced = false;
        let mut start = 0;
        while start < current.len() && spent < budget {
            let end = (start + chunk).min(current.len());
            let mut candidate = Vec::with_capacity(current.len() - (end - start));
            candidate.extend_from_slice(&current[..start]);
            candidate.extend_from_slice(&current[end..]);
            spent += 1;
            if let Some(failing) = fails(&candidate) {
                current = failing;
                reduced = true;
                // Same position: the next chunk has moved into it.
            } else {
                start = end;
            }
        }
        if reduced {
            parts = parts.saturating_sub(1).max(2);
        } else if chunk == 1 {
            break;
        } else {
            parts = (parts * 2).min(current.len());
        }
    }
    (current, spent)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain predicate as a check that repairs nothing.
    fn keep(pred: impl Fn(&[u8]) -> bool) -> impl FnMut(&[u8]) -> Option<Vec<u8>> {
        move |b| pred(b).then(|| b.to_vec())
    }

    #[test]
    fn finds_the_one_relevant_byte_and_keeps_to_the_budget() {
        let input: Vec<u8> = (0..200u8).collect();
        let (small, spent) = shrink(&input, 10_000, keep(|b| b.contains(&137)));
        assert_eq!(small, vec![137]);
        assert!(spent < 400, "{spent} checks");
        let (_, spent) = shrink(&input, 5, keep(|b| b.contains(&137)));
        assert_eq!(spent, 5);
    }

    fn drop_members_only(input: &[u8], fails: impl Fn(&[u8]) -> bool) -> (Vec<u8>, usize) {
        let mut spent = 0;
        (drop_members(input.to_vec(), 100, &mut spent, &mut keep(fails)), spent)
    }

    #[test]
    fn members_are_cut_whole() {
        let doc = br#"{"a":1, "b":{"c":[1,"}"]},"d":"x\"y"}"#;
        let cut: Vec<&[u8]> = members(doc).iter().map(|&(s, e)| &doc[s..e]).collect();
        assert_eq!(cut, vec![&br#""a":1,"#[..], &br#" "b":{"c":[1,"}"]},"#[..], &br#","d":"x\"y""#[..]]);
        assert!(members(b"[1,2]").is_empty());
        let payload = br#"{"o":{},"app_id":"ws","n":"x","user_id":true,"":1}"#;
        let needed = |b: &[u8]| {
            b.windows(14).any(|w| w == br#""user_id":true"#) && b.windows(13).any(|w| w == br#""app_id":"ws""#)
        };
        let (small, _) = shrink(payload, 100, keep(needed));
        assert!(needed(&small));
        // Both needles, sharing at most their quote: nothing else is left.
        assert!(small.len() <= 27, "{}", String::from_utf8_lossy(&small));
        let (members_only, spent) = drop_members_only(payload, needed);
        assert_eq!(
            members_only,
            br#"{"app_id":"ws","user_id":true}"#.to_vec(),
            "{}",
            String::from_utf8_lossy(&members_only)
        );
        assert_eq!(spent, 5, "one check per member");
    }

    #[test]
    fn keeps_bytes_that_matter_together() {
        let input = br#"{"app_id":"ws_prod","name":"x","user_id":-0,"custom":[1,2,3]}"#;
        let needle = br#""user_id":-0"#;
        let (small, _) = shrink(input, 10_000, keep(|b| b.windows(needle.len()).any(|w| w == needle)));
        assert_eq!(small, br#""user_id":-0"#.to_vec());
        let (unchanged, _) = shrink(b"abc", 100, keep(|_| false));
        assert_eq!(unchanged, b"abc".to_vec());
    }

    #[test]
    fn a_repaired_candidate_replaces_the_current_input() {
        // The check accepts candidates of at least 3 bytes, repaired to uppercase: the result is both.
        let (small, _) = shrink(b"abcdefgh", 1000, |b| (b.len() >= 3).then(|| b.to_ascii_uppercase()));
        assert_eq!(small.len(), 3);
        assert!(small.iter().all(u8::is_ascii_uppercase), "{}", String::from_utf8_lossy(&small));
    }
}
