//! Case selection: `--case`, `--group`, `--rule`, `--flag`, `--exclude`.

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
            rules: rules.iter().map(|r| r.parse::<Rule>().map_err(|e| e.to_string())).collect::<Result<_, _>>()?,
            flags: flags
                .iter()
                .map(|f| {
                    Flag::ALL.into_iter().find(|x| x.as_str().eq_ignore_ascii_case(f)).ok_or_else(|| {
                        let names: Vec<_> = Flag::ALL.iter().map(|x| x.as_str()).collect();
                        format!("unknown flag {f:?}: expected one of {}", names.join(", "))
                    })
                })
                .collect::<Result<_, _>>()?,
        })
    }

    /// True when the case is selected.
    pub fn matches(&self, case: &PlannedCase) -> bool {
        self.cases.as_ref().is_none_or(|g| g.is_match(&case.id))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match(&case.id))
            && (self.groups.is_empty() || self.groups.contains(&case.group))
            && (self.rules.is_empty() || case.rules.iter().any(|r| self.rules.contains(r)))
            && (self.flags.is_empty() || case.flags.iter().any(|f| self.flags.contains(f)))
    }
}
