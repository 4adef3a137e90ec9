//! Case selection: `--case`, `--group`, `--rule`, `--flag`, `--exclude`, `--exclude-rule`, `--exclude-flag`.

use super::plan::PlannedCase;
use globset::{Glob, GlobSet, GlobSetBuilder};
use ivconform_core::Rule;
use ivconform_vectors::{Flag, Group};

/// Which cases to run; empty lists mean "no restriction".
#[derive(Debug, Default)]
pub struct Selection {
    cases: Option<GlobSet>,
    exclude: Option<GlobSet>,
    groups: Vec<Group>,
    rules: Vec<Rule>,
    flags: Vec<Flag>,
    exclude_rules: Vec<Rule>,
    exclude_flags: Vec<Flag>,
}

fn parse_rules(rules: &[String]) -> Result<Vec<Rule>, String> {
    rules.iter().map(|r| r.parse::<Rule>().map_err(|e| e.to_string())).collect()
}

fn parse_flags(flags: &[String]) -> Result<Vec<Flag>, String> {
    flags
        .iter()
        .map(|f| {
            Flag::ALL.into_iter().find(|x| x.as_str().eq_ignore_ascii_case(f)).ok_or_else(|| {
                let names: Vec<_> = Flag::ALL.iter().map(|x| x.as_str()).collect();
                format!("unknown flag {f:?}: expected one of {}", names.join(", "))
            })
        })
        .collect()
}

fn globs(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| format!("bad glob {p:?}: {e}"))?);
    }
    b.build().map(Some).map_err(|e| e.to_string())
}

impl Selection {
    /// Builds a selection from command-line values, with clear errors for unknown groups, rules and flags.
    pub fn new(
        cases: &[String],
        exclude: &[String],
        groups: &[String],
        rules: &[String],
        flags: &[String],
    ) -> Result<Self, String> {
        Ok(Selection {
            cases: globs(cases)?,
            exclude: globs(exclude)?,
            groups: groups.iter().map(|g| g.parse()).collect::<Result<_, _>>()?,
            rules: parse_rules(rules)?,
            flags: parse_flags(flags)?,
            exclude_rules: Vec::new(),
            exclude_flags: Vec::new(),
        })
    }

    /// Also leaves out every case exercising one of `rules` or carrying one of `flags` (`--exclude-rule`,
    /// `--exclude-flag`: the mirror of `--rule` and `--flag`), with the same errors for unknown names.
    pub fn excluding(mut self, rules: &[String], flags: &[String]) -> Result<Self, String> {
        self.exclude_rules.extend(parse_rules(rules).map_err(|e| format!("--exclude-rule: {e}"))?);
        self.exclude_flags.extend(parse_flags(flags).map_err(|e| format!("--exclude-flag: {e}"))?);
        Ok(self)
    }

    /// True when the case is selected.
    pub fn matches(&self, case: &PlannedCase) -> bool {
        self.cases.as_ref().is_none_or(|g| g.is_match(&case.id))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match(&case.id))
            && (self.groups.is_empty() || self.groups.contains(&case.group))
            && (self.rules.is_empty() || case.rules.iter().any(|r| self.rules.contains(r)))
            && (self.flags.is_empty() || case.flags.iter().any(|f| self.flags.contains(f)))
            && !case.rules.iter().any(|r| self.exclude_rules.contains(r))
            && !case.flags.iter().any(|f| self.exclude_flags.contains(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::plan::bundled_plan as planned;

    fn ids(selection: &Selection) -> Vec<String> {
        planned().into_iter().filter(|c| selection.matches(c)).map(|c| c.id).collect()
    }

    #[test]
    fn exclusions_mirror_inclusions() {
        let all = ids(&Selection::default());
        let none = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for (rule, flag) in [("S2", "PRECEDENCE"), ("V6", "AUTH_BYPASS"), ("J2", "EXPIRY")] {
            let with_rule = ids(&Selection::new(&[], &[], &[], &none(&[rule]), &[]).unwrap());
            let without_rule = ids(&Selection::default().excluding(&none(&[rule]), &[]).unwrap());
            let with_flag = ids(&Selection::new(&[], &[], &[], &[], &none(&[flag])).unwrap());
            let without_flag =
                ids(&Selection::default().excluding(&[], &none(&[flag.to_lowercase().as_str()])).unwrap());
            assert!(!with_rule.is_empty() && !with_flag.is_empty());
            for (with, without) in [(&with_rule, &without_rule), (&with_flag, &without_flag)] {
                assert_eq!(with.len() + without.len(), all.len(), "{rule} {flag}");
                assert!(with.iter().all(|id| !without.contains(id)), "{rule} {flag}");
            }
        }
        // Combined with an inclusion: sign cases but not the precedence ones.
        let sign = ids(&Selection::new(&[], &[], &none(&["sign"]), &[], &[]).unwrap());
        let sign_no_precedence = ids(&Selection::new(&[], &[], &none(&["sign"]), &[], &[])
            .unwrap()
            .excluding(&[], &none(&["PRECEDENCE"]))
            .unwrap());
        assert!(sign_no_precedence.len() < sign.len());
        assert!(!sign_no_precedence.contains(&"sign-both-identifiers-user-id-wins".to_string()));
        assert!(sign_no_precedence.contains(&"sign-only-email".to_string()));
        let e = Selection::default().excluding(&none(&["S9"]), &[]).unwrap_err();
        assert!(e.starts_with("--exclude-rule: ") && e.contains("S9"), "{e}");
        let e = Selection::default().excluding(&[], &none(&["NOPE"])).unwrap_err();
        assert!(e.starts_with("--exclude-flag: ") && e.contains("NOPE"), "{e}");
    }
}
