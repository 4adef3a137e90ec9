//! `--color` and the colour decision every command shares (NO_COLOR, CLICOLOR_FORCE, the terminal), kept out
//! of `cli.rs` so commands need not import the argument tree that imports them.

/// `--color`: when to colour what ivconform prints.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorWhen {
    /// Colour a terminal, unless `NO_COLOR` is set (non-empty); `CLICOLOR_FORCE` colours a pipe too.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

static COLOR: std::sync::OnceLock<ColorWhen> = std::sync::OnceLock::new();

/// Records the `--color` choice (once, from `main`).
pub fn set_color(when: ColorWhen) {
    let _ = COLOR.set(when);
}

/// Whether an environment variable is set to something non-empty.
fn env_set(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The colour decision for a stream: `--color always|never` decide; `auto` colours a terminal unless
/// `NO_COLOR` is non-empty, and anything when `CLICOLOR_FORCE` is non-empty and not `0` (NO_COLOR wins).
pub fn decide_color(
    when: ColorWhen,
    terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
    force: Option<&std::ffi::OsStr>,
) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto if no_color.is_some_and(|v| !v.is_empty()) => false,
        ColorWhen::Auto if force.is_some_and(|v| !v.is_empty() && v != "0") => true,
        ColorWhen::Auto => terminal,
    }
}

fn color_for(terminal: bool) -> bool {
    decide_color(
        COLOR.get().copied().unwrap_or_default(),
        terminal,
        env_set("NO_COLOR").as_deref(),
        env_set("CLICOLOR_FORCE").as_deref(),
    )
}

/// Whether to colour what goes to stdout (the human reports).
pub fn color_stdout() -> bool {
    use std::io::IsTerminal;
    color_for(std::io::stdout().is_terminal())
}

/// clap's own colour (help, usage errors) for the `--color` given on the command line, read before parsing
/// (clap itself already honours NO_COLOR and CLICOLOR_FORCE in `auto`).
pub fn clap_color(args: &[std::ffi::OsString]) -> clap::ColorChoice {
    let mut it = args.iter().map(|a| a.to_string_lossy());
    let mut choice = clap::ColorChoice::Auto;
    while let Some(arg) = it.next() {
        if arg == "--" {
            break;
        }
        let value = match arg.strip_prefix("--color") {
            Some("") => it.next().map(|v| v.into_owned()),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        };
        match value.as_deref() {
            Some("always") => choice = clap::ColorChoice::Always,
            Some("never") => choice = clap::ColorChoice::Never,
            Some("auto") => choice = clap::ColorChoice::Auto,
            _ => {}
        }
    }
    choice
}
