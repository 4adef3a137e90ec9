//! Shrinking a failing payload while the implementation still disagrees the same way: first whole members
//! of the top-level object are deleted (byte-level deletion rarely cuts exactly one `"key":value,`), then
//! delta debugging (Zeller's ddmin, complement-only) deletes chunks, halving their size when no deletion
//! keeps it failing, then members once more. A check can also say [`Check::Stop`] (the time is spent, the
//! implementation stalled): the shrink then ends at once with the smallest input found so far.

/// What one candidate came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// It fails the same way; these bytes (the candidate, or a repaired version of it such as a re-signed
    /// `user_hash`) replace the current input.
    Fails(Vec<u8>),
    /// It does not fail the same way: keep the current input.
    Passes,
    /// Stop shrinking now (the candidate is not taken).
    Stop,
}

/// Whether the shrink was stopped by a [`Check::Stop`].
type Stopped = bool;

/// The smallest input found that still fails, the number of checks spent (at most `budget`), and whether
/// a check stopped the shrink before it was done.
pub fn shrink(input: &[u8], budget: usize, mut check: impl FnMut(&[u8]) -> Check) -> (Vec<u8>, usize, Stopped) {
    let mut spent = 0;
    let (current, stopped) = drop_members(input.to_vec(), budget, &mut spent, &mut check);
    if stopped {
        return (current, spent, true);
    }
    let (current, used, stopped) = ddmin(&current, budget - spent, &mut check);
    spent += used;
    if stopped {
        return (current, spent, true);
    }
    let (current, stopped) = drop_members(current, budget, &mut spent, &mut check);
    (current, spent, stopped)
}

/// Deletes top-level members one at a time (last first) while the input keeps failing.
fn drop_members(
    mut current: Vec<u8>,
    budget: usize,
    spent: &mut usize,
    check: &mut impl FnMut(&[u8]) -> Check,
) -> (Vec<u8>, Stopped) {
    let mut k = members(&current).len();
    while k > 0 && *spent < budget {
        k -= 1;
        let spans = members(&current);
        let Some(&(start, end)) = spans.get(k) else { continue };
        let mut candidate = current[..start].to_vec();
        candidate.extend_from_slice(&current[end..]);
        *spent += 1;
        match check(&candidate) {
            Check::Fails(failing) => current = failing,
            Check::Passes => {}
            Check::Stop => return (current, true),
        }
    }
    (current, false)
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

/// ddmin over bytes; the smallest input found, the checks spent (at most `budget`) and whether it was stopped.
fn ddmin(input: &[u8], budget: usize, check: &mut impl FnMut(&[u8]) -> Check) -> (Vec<u8>, usize, Stopped) {
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
            match check(&candidate) {
                Check::Fails(failing) => {
                    current = failing;
                    reduced = true;
                    // Same position: the next chunk has moved into it.
                }
                Check::Passes => start = end,
                Check::Stop => return (current, spent, true),
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
    (current, spent, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain predicate as a check that repairs nothing.
    fn keep(pred: impl Fn(&[u8]) -> bool) -> impl FnMut(&[u8]) -> Check {
        move |b| if pred(b) { Check::Fails(b.to_vec()) } else { Check::Passes }
    }

    #[test]
    fn finds_the_one_relevant_byte_and_keeps_to_the_budget() {
        let input: Vec<u8> = (0..200u8).collect();
        let (small, spent, stopped) = shrink(&input, 10_000, keep(|b| b.contains(&137)));
        assert_eq!((small, stopped), (vec![137], false));
        assert!(spent < 400, "{spent} checks");
        let (_, spent, _) = shrink(&input, 5, keep(|b| b.contains(&137)));
        assert_eq!(spent, 5);
    }

    #[test]
    fn a_stop_ends_the_shrink_at_once_with_the_smallest_input_so_far() {
        let input: Vec<u8> = (0..200u8).collect();
        // Fails while 137 is kept, for three candidates; the fourth check stops it (a stall, a deadline).
        let mut calls = 0;
        let mut last_taken = input.clone();
        let (small, spent, stopped) = shrink(&input, 10_000, |b| {
            calls += 1;
            if calls == 4 {
                return Check::Stop;
            }
            if b.contains(&137) {
                last_taken = b.to_vec();
                Check::Fails(b.to_vec())
            } else {
                Check::Passes
            }
        });
        assert!(stopped);
        assert_eq!((spent, calls), (4, 4), "no check after the stop");
        assert_eq!(small, last_taken, "the last failing candidate before the stop");
        assert!(small.len() < input.len());
        // A stop at the first check keeps the input unshrunk.
        let (unshrunk, spent, stopped) = shrink(&input, 10_000, |_| Check::Stop);
        assert_eq!((unshrunk, spent, stopped), (input, 1, true));
    }

    fn drop_members_only(input: &[u8], fails: impl Fn(&[u8]) -> bool) -> (Vec<u8>, usize) {
        let mut spent = 0;
        (drop_members(input.to_vec(), 100, &mut spent, &mut keep(fails)).0, spent)
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
        let (small, _, _) = shrink(payload, 100, keep(needed));
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
        let (small, _, _) = shrink(input, 10_000, keep(|b| b.windows(needle.len()).any(|w| w == needle)));
        assert_eq!(small, br#""user_id":-0"#.to_vec());
        let (unchanged, _, _) = shrink(b"abc", 100, keep(|_| false));
        assert_eq!(unchanged, b"abc".to_vec());
    }

    #[test]
    fn a_repaired_candidate_replaces_the_current_input() {
        // The check accepts candidates of at least 3 bytes, repaired to uppercase: the result is both.
        let (small, _, _) =
            shrink(
                b"abcdefgh",
                1000,
                |b| {
                    if b.len() >= 3 {
                        Check::Fails(b.to_ascii_uppercase())
                    } else {
                        Check::Passes
                    }
                },
            );
        assert_eq!(small.len(), 3);
        assert!(small.iter().all(u8::is_ascii_uppercase), "{}", String::from_utf8_lossy(&small));
    }
}
