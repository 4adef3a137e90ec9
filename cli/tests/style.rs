//! One CLI style (issue 16): colour on a pseudo-terminal (NO_COLOR, CLICOLOR_FORCE, --color), shell
//! completions and man pages, output paths checked before a run, the shared flag names and their old
//! aliases, `--url --wait`, and the plain progress line on a non-terminal.

use crate::util::*;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The visible subcommands, read off `ivconform --help`'s "Commands:" section (not from the code's own list).
fn subcommands() -> Vec<String> {
    let out = ivconform(&["--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let section = help.split("Commands:").nth(1).expect("a Commands: section");
    let names: Vec<String> = section
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A command's line starts with its name after two spaces; wrapped descriptions are indented further.
        .filter(|l| !l[2..].starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    for must in ["run", "props", "fuzz", "timing", "bench", "completions", "man"] {
        assert!(names.iter().any(|n| n == must), "{must} missing from {names:?}");
    }
    names
}

/// `ivconform ARGS` inside a pseudo-terminal (`script`), stderr discarded, with `env` set (`None`: removed);
/// the bytes the terminal got.
fn on_a_terminal(args: &str, env: &[(&str, Option<&str>)]) -> Vec<u8> {
    require_tool("script", "bsdutils");
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &format!("{} {args} 2>/dev/null", bin()), "/dev/null"])
        .env("IVCONFORM_BIN", bin())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .current_dir(fixtures())
        .stdin(Stdio::null());
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().expect("script runs");
    assert!(!out.stdout.is_empty(), "nothing on the terminal: {}", text(&out));
    out.stdout
}

fn has_escape(bytes: &[u8]) -> bool {
    bytes.contains(&0x1b)
}

/// A failing run, so the report has coloured verdicts and failures to show.
const FAILING: &str = "run --cmd 'python3 proxy.py uppercase' --group sign";

#[test]
fn no_color_on_a_terminal_prints_no_escape_while_auto_colours() {
    let auto = on_a_terminal(FAILING, &[]);
    assert!(has_escape(&auto), "plain auto on a terminal colours:\n{}", String::from_utf8_lossy(&auto));
    let no_color = on_a_terminal(FAILING, &[("NO_COLOR", Some("1"))]);
    assert!(!has_escape(&no_color), "NO_COLOR=1 still coloured:\n{}", String::from_utf8_lossy(&no_color));
    // An empty NO_COLOR is not set (no-color.org).
    assert!(has_escape(&on_a_terminal(FAILING, &[("NO_COLOR", Some(""))])));
    let never = on_a_terminal(&format!("{FAILING} --color never"), &[]);
    assert!(!has_escape(&never), "--color never still coloured");
    // The same report text either way, apart from the colour.
    let strip = |b: &[u8]| {
        let s = String::from_utf8_lossy(b).into_owned();
        regex::Regex::new("\x1b\\[[0-9;]*m").unwrap().replace_all(&s, "").replace("\r\n", "\n")
    };
    let (a, b) = (strip(&auto), strip(&no_color));
    let lines = |s: &str| s.lines().filter(|l| !l.contains(" s") && !l.contains("ms")).count();
    assert_eq!(lines(&a), lines(&b), "colour changed the report:\n{a}\n---\n{b}");
}

#[test]
fn colour_on_a_pipe_only_when_forced() {
    let piped = |extra: &[&str], env: &[(&str, &str)]| -> Output {
        let mut args = vec!["run", "--cmd", "python3 proxy.py uppercase", "--group", "sign"];
        args.extend_from_slice(extra);
        let mut cmd = Command::new(bin());
        cmd.args(&args).env("IVCONFORM_BIN", bin()).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.current_dir(fixtures()).output().unwrap()
    };
    assert!(!has_escape(&piped(&[], &[]).stdout), "auto on a pipe: no colour");
    assert!(has_escape(&piped(&["--color", "always"], &[]).stdout), "--color always colours a pipe");
    assert!(has_escape(&piped(&[], &[("CLICOLOR_FORCE", "1")]).stdout), "CLICOLOR_FORCE=1 colours a pipe");
    assert!(!has_escape(&piped(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).stdout), "NO_COLOR wins");
    // --color is global: before the subcommand too; a bad value is a usage error.
    let out = ivconform(&["--color", "never", "run", "--reference", "--group", "sign"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ivconform(&["run", "--reference", "--color", "sometimes"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn completions_name_every_subcommand_in_every_shell() {
    let names = subcommands();
    let out = ivconform(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let bash = String::from_utf8_lossy(&out.stdout);
    assert!(bash.contains("complete -F _ivconform"), "not a bash completion script");
    for name in &names {
        assert!(bash.contains(name.as_str()), "bash completion does not mention {name}");
    }
    for flag in ["--reference", "--cases", "--max-shrink-iters", "--color", "--wait"] {
        assert!(bash.contains(flag), "bash completion does not offer {flag}");
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = ivconform(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("run") && script.contains("bench"), "{shell}: {script:.300}");
    }
    assert_eq!(ivconform(&["completions", "tcsh"]).status.code(), Some(2));
}

/// Checks roff structure: a `.TH NAME 1` title first, NAME and SYNOPSIS sections, every request line a
/// known man(7) macro or escape, `.RS`/`.RE` balanced.
fn check_roff(page: &str, name: &str) {
    let requests: Vec<&str> = page.lines().filter(|l| l.starts_with('.')).collect();
    let first = requests.iter().find(|l| l.starts_with(".TH")).unwrap_or_else(|| panic!("{name}: no .TH"));
    assert!(first.starts_with(&format!(".TH {name} 1")), "{name}: title {first}");
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION"] {
        assert!(page.contains(&format!(".SH {section}")), "{name}: no {section} section");
    }
    let known = [
        ".TH", ".SH", ".SS", ".TP", ".PP", ".IP", ".RS", ".RE", ".br", ".B", ".I", ".ie", ".el", ".nf", ".fi", ".sp",
        ".in", ".ds", ".\\\"",
    ];
    for l in &requests {
        let macro_ = l.split_whitespace().next().unwrap_or("");
        assert!(known.contains(&macro_), "{name}: unknown request {l:?}");
    }
    let (rs, re) = (
        requests.iter().filter(|l| l.starts_with(".RS")).count(),
        requests.iter().filter(|l| l.starts_with(".RE")).count(),
    );
    assert_eq!(rs, re, "{name}: .RS/.RE unbalanced");
}

#[test]
fn the_man_pages_are_roff_with_every_command() {
    let out = ivconform(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = String::from_utf8_lossy(&out.stdout).into_owned();
    check_roff(&page, "ivconform");
    for name in subcommands() {
        assert!(page.contains(&format!("ivconform\\-{name}")) || page.contains(&name), "the page lacks {name}");
    }
    let dir = scratch("man");
    let out = ivconform(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for name in subcommands() {
        let file = dir.join(format!("ivconform-{name}.1"));
        let page = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        check_roff(&page, &format!("ivconform-{name}"));
    }
    let run = std::fs::read_to_string(dir.join("ivconform-run.1")).unwrap();
    for flag in ["\\-\\-rule", "\\-\\-group", "\\-\\-junit", "\\-\\-wait"] {
        assert!(run.contains(flag), "ivconform-run.1 lacks {flag}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn output_paths_are_checked_before_anything_runs() {
    // A slow IUT: were the run started, it would take minutes; the check answers at once.
    for (args, flag) in [
        (vec!["run", "--cmd", "python3 proxy.py slow", "--junit", "/no/such/dir/x.xml"], "--junit"),
        (vec!["run", "--cmd", "python3 proxy.py slow", "--json", "/no/such/dir/x.json"], "--json"),
        (vec!["bench", "--cmd", "python3 proxy.py slow", "--plot", "/no/such/dir/x.svg"], "--plot"),
        (vec!["bench", "--cmd", "python3 proxy.py slow", "--save-baseline", "/no/such/b.json"], "--save-baseline"),
        (vec!["timing", "--cmd", "python3 proxy.py slow", "--json", "/no/such/dir/t.json"], "--json"),
        (vec!["timing", "--cmd", "python3 proxy.py slow", "--plot", "/"], "--plot"),
        (vec!["fuzz", "--cmd", "python3 proxy.py slow", "--out", "/dev/null/findings"], "--out"),
    ] {
        let started = std::time::Instant::now();
        let out = ivconform(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "{args:?}: the error names {flag}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing ran, nothing reported: {}", text(&out));
        // Generous: the point is "not after the run" (minutes), not speed.
        assert!(started.elapsed() < Duration::from_secs(60), "{args:?} took {:?}", started.elapsed());
    }
    // `-` is stdout, not a file named `-`.
    let out = ivconform(&[
        "bench",
        "--reference",
        "inproc",
        "--cases",
        "50",
        "--warmup",
        "0",
        "--no-calibration",
        "--json",
        "-",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!fixtures().join("-").exists());
}

#[test]
fn one_name_per_idea_and_the_old_names_still_work() {
    for cmd in ["props", "fuzz", "bench"] {
        let out = ivconform(&[cmd, "--help"]);
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("--cases <N>"), "{cmd} --help has no --cases:\n{help}");
        assert!(!help.contains("--iterations <") && !help.contains("--count <"), "{cmd}: an old name is shown");
    }
    for cmd in ["props", "fuzz"] {
        let help = String::from_utf8_lossy(&ivconform(&[cmd, "--help"]).stdout).into_owned();
        assert!(help.contains("--max-shrink-iters <N>") && help.contains("--shrink-time <SECS>"), "{cmd}");
    }
    for cmd in ["run", "bench"] {
        assert!(String::from_utf8_lossy(&ivconform(&[cmd, "--help"]).stdout).contains("--jobs <N>"), "{cmd}");
    }
    // The hidden aliases.
    let fuzz =
        |flag: &str| ivconform(&["fuzz", "--reference", flag, "40", "--out", scratch("alias").to_str().unwrap(), "-q"]);
    for flag in ["--cases", "--iterations"] {
        let out = fuzz(flag);
        assert_eq!(out.status.code(), Some(0), "{flag}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("40 payloads"), "{flag}: {}", text(&out));
    }
    for flag in [["--cases", "--jobs"], ["--count", "--connections"]] {
        let out = ivconform(&[
            "bench",
            "--reference",
            "inproc",
            flag[0],
            "120",
            flag[1],
            "2",
            "--op",
            "sign",
            "--no-calibration",
            "--warmup",
            "0",
            "--json",
            "-",
        ]);
        assert_eq!(out.status.code(), Some(0), "{flag:?}: {}", text(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["ops"][0]["iut"]["ok"].as_u64(), Some(120), "{json}");
        assert_eq!(json["connections"].as_u64(), Some(2), "{json}");
    }
    let out = ivconform(&["props", "--reference", "--cases", "3", "--max-shrink", "5", "--property", "sign", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// A free local port (bound, then released for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn url_wait_retries_until_the_server_is_up_and_gives_up_when_bounded() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/");
    // The server starts 1.5 s after ivconform does.
    let server = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        Command::new(bin())
            .args(["serve", "--http", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts")
    });
    let out = ivconform(&["run", "--url", &url, "--wait", "60", "--group", "sign"]);
    let mut child = server.join().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("waiting up to 60 s") && err.contains("is up after"), "{err}");

    // Nobody there: exit 3 after the wait, saying so.
    let nobody = format!("http://127.0.0.1:{}/", free_port());
    let out = ivconform(&["run", "--url", &nobody, "--wait", "0.6", "--group", "sign"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not up after --wait 0.6 s"), "{}", text(&out));
    // --wait needs --url.
    assert_eq!(ivconform(&["run", "--reference", "--wait", "1"]).status.code(), Some(2));
}

#[test]
fn a_non_terminal_gets_a_plain_progress_line_and_quiet_gets_none() {
    // proxy.py slow answers every request after 0.3 s: ten cases take about 3 s, the line comes every 0.5 s.
    let run = |quiet: bool| {
        let mut cmd = Command::new(bin());
        cmd.args(["run", "--cmd", "python3 proxy.py slow", "--group", "hmac_sha256", "--case", "*rfc4231*"]);
        if quiet {
            cmd.arg("--quiet");
        }
        cmd.env("IVCONFORM_BIN", bin())
            .env("IVCONFORM_PROGRESS_INTERVAL", "0.5")
            .current_dir(fixtures())
            .output()
            .unwrap()
    };
    let out = run(false);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = regex::Regex::new(r"(?m)^run: \d+/\d+ cases, \d+ s").unwrap();
    assert!(line.is_match(&err), "no plain progress line on stderr:\n{}", text(&out));
    assert!(!err.contains('\x1b') && !err.contains('\r'), "no terminal control on a pipe: {err:?}");
    assert!(!line.is_match(&String::from_utf8_lossy(&out.stdout)), "progress goes to stderr only");
    let out = run(true);
    assert!(!line.is_match(&String::from_utf8_lossy(&out.stderr)), "--quiet still drew progress:\n{}", text(&out));
}
