//! Which golden vectors a command runs (`run`, and `check`'s vectors stage): one set of selection flags, so
//! the two commands cannot drift apart.

use clap::Args;
use std::path::PathBuf;

/// The vector selection flags, flattened into each command that runs vectors.
#[derive(Args, Debug, Clone, Default)]
pub struct SelectionArgs {
    /// Directory of vector files, e.g. one written by `ivconform vectors export DIR` [default: the golden
    /// vectors bundled into this binary].
    #[arg(long, value_name = "DIR", help_heading = "Selecting cases")]
    pub vectors: Option<PathBuf>,
    /// Run only cases whose id matches this glob (repeatable).
    #[arg(long = "case", value_name = "GLOB", help_heading = "Selecting cases")]
    pub cases: Vec<String>,
    /// Run only this group (the help lists every group: `crate::help::group_help`).
    #[arg(long = "group", value_name = "GROUP", help = crate::help::group_help(), help_heading = "Selecting cases")]
    pub groups: Vec<String>,
    /// Run only cases exercising this rule (the help lists every rule: `crate::help::rule_help`).
    #[arg(long = "rule", value_name = "RULE", help = crate::help::rule_help(), help_heading = "Selecting cases")]
    pub rules: Vec<String>,
    /// Run only cases with this flag, e.g. PRECEDENCE, AUTH_BYPASS (repeatable).
    #[arg(long = "flag", value_name = "FLAG", help_heading = "Selecting cases")]
    pub flags: Vec<String>,
    /// Leave out cases whose id matches this glob (repeatable).
    #[arg(long = "exclude", value_name = "GLOB", help_heading = "Selecting cases")]
    pub exclude: Vec<String>,
    /// Leave out cases exercising this rule, e.g. S2 (repeatable).
    #[arg(long = "exclude-rule", value_name = "RULE", help_heading = "Selecting cases")]
    pub exclude_rules: Vec<String>,
    /// Leave out cases with this flag, e.g. PRECEDENCE (repeatable).
    #[arg(long = "exclude-flag", value_name = "FLAG", help_heading = "Selecting cases")]
    pub exclude_flags: Vec<String>,
    /// TOML file of known deviations: [[expected_failure]] case = GLOB, reason = "...", link = "...".
    #[arg(long, value_name = "FILE", help_heading = "Selecting cases")]
    pub expectations: Option<PathBuf>,
}
