//! Help text generated from what really exists (the core's rule table, the vectors' groups), so `--help`
//! cannot drift from the rules and groups; `cli.rs`'s tests check it against both.

/// What each rule family of docs/SPEC.md is about, by its letter; `None` for a family this table lacks (a
/// test fails then).
pub fn family_name(letter: char) -> Option<&'static str> {
    Some(match letter {
        'S' => "signing",
        'P' => "payload parsing",
        'V' => "verifying",
        'J' => "JWT mode",
        'D' => "diagnosis",
        _ => return None,
    })
}

/// The rule families as they exist in `ivconform_core::Rule::ALL`, in rule-book order: `(letter, ids)`.
fn families() -> Vec<(char, Vec<&'static str>)> {
    let mut out: Vec<(char, Vec<&'static str>)> = Vec::new();
    for rule in ivconform_core::Rule::ALL {
        let id = rule.id();
        let letter = id.chars().next().unwrap_or('?');
        match out.iter_mut().find(|(l, _)| *l == letter) {
            Some((_, ids)) => ids.push(id),
            None => out.push((letter, vec![id])),
        }
    }
    out
}

/// A family's ids compactly: `S1-S5` when they run 1..n without a gap, else `S1, S3`.
fn id_span(ids: &[&str]) -> String {
    let numbers: Vec<Option<u32>> = ids.iter().map(|id| id[1..].parse().ok()).collect();
    let contiguous = numbers.iter().enumerate().all(|(i, n)| *n == Some(i as u32 + 1));
    match (contiguous, ids) {
        (true, [one]) => (*one).to_string(),
        (true, [first, .., last]) => format!("{first}-{last}"),
        _ => ids.join(", "),
    }
}

/// `signing S1-S5, payload parsing P1-P6, ...`: every rule family that exists, for help texts.
pub fn rule_families() -> String {
    families()
        .iter()
        .map(|(letter, ids)| format!("{} {}", family_name(*letter).unwrap_or("other rules"), id_span(ids)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The top-level long help.
pub fn long_about() -> String {
    format!(
        "Conformance harness for identity verification (`user_hash = hex(HMAC-SHA256(secret, identifier))`).

ivconform drives an implementation under test (IUT), written in any language, through golden vectors that \
pin down the rules of the rule book, docs/SPEC.md ({}), and reports like a CI gate. An IUT is reached over \
stdio (a child process speaking JSON lines), HTTP, or a C shared library (include/ivconform.h); the \
protocol is in docs/PROTOCOL.md.

Exit codes: 0 conformant, 1 nonconformant (a failure, error, crash, timeout, unexpected pass, stale \
expectation or security finding), 2 usage or input error, 3 the IUT could not be started or reached, 4 \
inconclusive (timing).",
        rule_families()
    )
}

/// Every group `--group` takes: the vector files' groups, and `wycheproof` (with `--wycheproof`).
pub fn group_names() -> Vec<&'static str> {
    ivconform_vectors::Group::ALL
        .iter()
        .map(|g| g.as_str())
        .chain([ivconform_vectors::Group::Wycheproof.as_str()])
        .collect()
}

/// `--group`'s help (`run` and `check`).
pub fn group_help() -> String {
    let mut names = group_names();
    let last = names.pop().unwrap_or_default();
    format!("Run only this group: {}, or {last} with `run --wycheproof` (repeatable).", names.join(", "))
}

/// `--rule`'s help (`run` and `check`).
pub fn rule_help() -> String {
    let spans: Vec<String> = families().iter().map(|(_, ids)| id_span(ids)).collect();
    format!("Run only cases exercising this rule: {} (repeatable; docs/SPEC.md).", spans.join(", "))
}
