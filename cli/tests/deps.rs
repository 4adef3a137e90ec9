//! The system dependencies of the test suite are all in one list, `.ci/deps.txt`, which `.ci/test` installs
//! (issue 14): a test that starts using a new tool, header or pkg-config library fails here until the list
//! says which Debian package provides it, so a fresh machine never meets a dependency nobody wrote down.
//!
//! The scan reads every source and script of the repository (Rust, Python, shell, Makefiles, C) and collects
//! what they run: `Command::new("X")`, `require_tool("X", "PKG")`, the first word of `--cmd "X ..."`,
//! `subprocess.*(["X", ...])`, `shutil.which("X")`, `command -v X` and `need X` in scripts, `CC ?= X` in
//! Makefiles, the modules given to `pkg-config`, `#include <...>` in C files, and any string literal naming a
//! well-known tool (`"node ..."`, `"chromium"`, ...), however the test starts it.

use crate::util::root;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Commands every Debian system has (Essential packages: dash, bash, coreutils, diffutils, grep, findutils,
/// util-linux) and the Rust toolchain the README assumes, plus shell words that are not programs.
const ALWAYS_THERE: &[&str] = &[
    "sh",
    "bash",
    "env",
    "cat",
    "cp",
    "mv",
    "rm",
    "mkdir",
    "mkfifo",
    "sleep",
    "kill",
    "true",
    "false",
    "echo",
    "printf",
    "test",
    "cmp",
    "dirname",
    "basename",
    "grep",
    "find",
    "id",
    "exec",
    "exit",
    "trap",
    "read",
    "cd",
    "dpkg",
    "dpkg-query",
    "apt-get",
    "runuser",
    "cargo",
    "rustc",
    "rustfmt",
    "cargo-fuzz",
];

/// Tools a test could start in some way the specific patterns miss; named in any string literal, they must be
/// covered too.
const WELL_KNOWN: &[&str] = &[
    "node",
    "npm",
    "npx",
    "deno",
    "bun",
    "php",
    "ruby",
    "perl",
    "python3",
    "pip",
    "pip3",
    "dotnet",
    "javac",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "firefox",
    "openssl",
    "curl",
    "wget",
    "git",
    "docker",
    "jq",
    "gcc",
    "clang",
    "cmake",
    "objdump",
    "readelf",
    "pkg-config",
    "valgrind",
    "strace",
    "gdb",
    "nc",
    "socat",
];

/// pkg-config modules and the -dev package that provides each.
const PKG_CONFIG: &[(&str, &str)] =
    &[("libcrypto", "libssl-dev"), ("libssl", "libssl-dev"), ("openssl", "libssl-dev"), ("jansson", "libjansson-dev")];

/// Header prefixes outside the C library, and their package; every other header must be one of [`LIBC`].
const HEADERS: &[(&str, &str)] = &[("openssl/", "libssl-dev"), ("jansson.h", "libjansson-dev")];

/// C library and compiler headers (libc6-dev, gcc).
const LIBC: &[&str] = &[
    "assert.h",
    "ctype.h",
    "dlfcn.h",
    "errno.h",
    "fcntl.h",
    "inttypes.h",
    "limits.h",
    "math.h",
    "pthread.h",
    "signal.h",
    "stdarg.h",
    "stdbool.h",
    "stddef.h",
    "stdint.h",
    "stdio.h",
    "stdlib.h",
    "string.h",
    "time.h",
    "unistd.h",
    "sys/types.h",
    "sys/stat.h",
    "sys/mman.h",
    "sys/time.h",
    "sys/wait.h",
];

/// `.ci/deps.txt`: the commands it covers (command -> package) and every package it names.
fn deps() -> (BTreeMap<String, String>, BTreeSet<String>) {
    let text = std::fs::read_to_string(root().join(".ci/deps.txt")).expect(".ci/deps.txt exists");
    let (mut commands, mut packages) = (BTreeMap::new(), BTreeSet::new());
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        assert!(!line.contains(char::is_whitespace), ".ci/deps.txt:{}: one entry per line: {line:?}", n + 1);
        match line.split_once(':') {
            Some((cmd, pkg)) => {
                commands.insert(cmd.to_string(), pkg.to_string());
                packages.insert(pkg.to_string());
            }
            None => {
                packages.insert(line.to_string());
            }
        }
    }
    (commands, packages)
}

/// The repository's files worth scanning (not build output, installed packages or vendored data).
fn sources() -> Vec<PathBuf> {
    let skip = ["target", ".git", "node_modules", ".venv", "corpus", "corpus-work", "artifacts", "regressions"];
    walkdir::WalkDir::new(root())
        .into_iter()
        .filter_entry(|e| !(e.file_type().is_dir() && skip.iter().any(|s| e.file_name() == *s)))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            let ext = p.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
            matches!(ext.as_str(), "rs" | "py" | "sh" | "c" | "h" | "mjs" | "js")
                || name == "Makefile"
                || p.parent().is_some_and(|d| d.file_name().is_some_and(|n| n == ".ci"))
        })
        .collect()
}

/// One use of a system dependency: what it is and where.
#[derive(Debug)]
struct Use {
    what: String,
    at: String,
}

/// Everything the sources run or include: (commands, packages named directly, headers, pkg-config modules).
fn scan() -> (Vec<Use>, Vec<Use>, Vec<Use>, Vec<Use>) {
    let re = |s: &str| Regex::new(s).unwrap();
    let command_patterns = [
        re(r#"Command::new\("([^"]+)"\)"#),
        re(r#"require_tool\("([^"]+)""#),
        re(r#""--cmd",\s*"([^"\s]+)"#),
        re(r#"--cmd \\?"([^"\s\\]+)"#),
        re(r#"subprocess\.(?:run|call|check_call|check_output|Popen)\(\s*\[\s*"([^"]+)""#),
        re(r#"shutil\.which\("([^"]+)"\)"#),
        re(r#"command -v "?([A-Za-z0-9_.+-]+)"?"#),
        re(r#"(?m)^\s*need ([A-Za-z0-9_.+-]+)"#),
        re(r#"(?m)^CC\s*\?=\s*(\S+)"#),
    ];
    let well_known =
        re(&format!(r#""({})[ "]"#, WELL_KNOWN.iter().map(|t| regex::escape(t)).collect::<Vec<_>>().join("|")));
    let exact = re(r#""(cc|make|nm)""#);
    let packages = re(r#"require_tool\("[^"]+",\s*"([^"]+)"\)"#);
    let include = re(r#"(?m)^\s*#\s*include\s*<([^>]+)>"#);
    let pkg_config_rust = re(r#"(?s)Command::new\("pkg-config"\)(.*?);"#);
    let pkg_config_make = re(r#"(?m)^[^#\n]*(?:\$\(PKG_CONFIG\)|pkg-config) ([^)\n]*)"#);
    let dev_package = re(r#"require_dev_package\([^)]*"([a-z0-9.+-]+-dev)"\)"#);
    let literal = re(r#""([^"]*)""#);
    let (mut cmds, mut pkgs, mut headers, mut modules) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for path in sources() {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let rel = path.strip_prefix(root()).unwrap().display().to_string();
        let line_of = |pos: usize| text[..pos].matches('\n').count() + 1;
        let at = |pos: usize| format!("{rel}:{}", line_of(pos));
        // This file names tools in its own tables; the patterns it holds are not uses.
        if rel == "cli/tests/deps.rs" {
            continue;
        }
        let c_file = rel.ends_with(".c") || rel.ends_with(".h");
        if !c_file {
            for p in &command_patterns {
                for m in p.captures_iter(&text) {
                    let g = m.get(1).unwrap();
                    cmds.push(Use { what: g.as_str().to_string(), at: at(g.start()) });
                }
            }
            for m in well_known.captures_iter(&text).chain(exact.captures_iter(&text)) {
                let g = m.get(1).unwrap();
                cmds.push(Use { what: g.as_str().to_string(), at: at(g.start()) });
            }
            for m in packages.captures_iter(&text).chain(dev_package.captures_iter(&text)) {
                let g = m.get(1).unwrap();
                for pkg in g.as_str().split_whitespace() {
                    pkgs.push(Use { what: pkg.to_string(), at: at(g.start()) });
                }
            }
            for m in pkg_config_rust.captures_iter(&text) {
                let g = m.get(1).unwrap();
                for lit in literal.captures_iter(g.as_str()) {
                    let word = lit.get(1).unwrap().as_str();
                    if !word.starts_with('-') && !word.is_empty() {
                        modules.push(Use { what: word.to_string(), at: at(g.start()) });
                    }
                }
            }
            if rel.ends_with("Makefile") || rel.ends_with(".sh") {
                for m in pkg_config_make.captures_iter(&text) {
                    let g = m.get(1).unwrap();
                    // The modules end where a redirection or another command starts.
                    let args = g.as_str().split("2>").next().unwrap_or_default();
                    let args = args.split(['|', ';', '>']).next().unwrap_or_default();
                    for word in args.split_whitespace().filter(|w| !w.starts_with('-') && !w.starts_with('$')) {
                        if !word.is_empty() {
                            modules.push(Use { what: word.to_string(), at: at(g.start()) });
                        }
                    }
                }
            }
        } else {
            for m in include.captures_iter(&text) {
                let g = m.get(1).unwrap();
                headers.push(Use { what: g.as_str().to_string(), at: at(g.start()) });
            }
        }
    }
    (cmds, pkgs, headers, modules)
}

/// A command a scan found that is not something to install: a path, a variable, a shell builtin.
fn not_a_tool(cmd: &str) -> bool {
    !cmd.starts_with(|c: char| c.is_ascii_alphanumeric())
        || cmd.contains('/')
        || cmd.starts_with('$')
        || cmd.starts_with('{')
        || ALWAYS_THERE.contains(&cmd)
        || cmd == "."
}

#[test]
fn every_tool_header_and_library_the_suite_uses_is_in_ci_deps() {
    let (commands, packages) = deps();
    let (cmds, pkgs, headers, modules) = scan();
    // The scan must see the uses we know of, or it proves nothing.
    for known in ["cc", "python3", "openssl", "node", "chromium", "make", "nm", "pkg-config"] {
        assert!(cmds.iter().any(|u| u.what == known), "the scan no longer finds {known}: {cmds:?}");
    }
    assert!(headers.iter().any(|u| u.what == "jansson.h"), "{headers:?}");
    assert!(modules.iter().any(|u| u.what == "jansson"), "{modules:?}");

    let mut problems = Vec::new();
    for u in &cmds {
        if !not_a_tool(&u.what) && !commands.contains_key(&u.what) {
            problems.push(format!("{}: runs `{}`; add `{}:<debian package>` to .ci/deps.txt", u.at, u.what, u.what));
        }
    }
    for u in &pkgs {
        if !packages.contains(&u.what) {
            problems.push(format!("{}: names the package {}; add it to .ci/deps.txt", u.at, u.what));
        }
    }
    for u in &modules {
        match PKG_CONFIG.iter().find(|(m, _)| *m == u.what) {
            Some((_, pkg)) if packages.contains(*pkg) => {}
            Some((_, pkg)) => problems.push(format!("{}: pkg-config {} needs {pkg} in .ci/deps.txt", u.at, u.what)),
            None => problems.push(format!(
                "{}: pkg-config module {}: add its -dev package to .ci/deps.txt and to PKG_CONFIG in cli/tests/deps.rs",
                u.at, u.what
            )),
        }
    }
    for u in &headers {
        let pkg = HEADERS
            .iter()
            .find(|(prefix, _)| u.what.starts_with(prefix))
            .map(|(_, p)| *p)
            .or_else(|| LIBC.contains(&u.what.as_str()).then_some("libc6-dev"));
        match pkg {
            Some(pkg) if packages.contains(pkg) => {}
            Some(pkg) => problems.push(format!("{}: #include <{}> needs {pkg} in .ci/deps.txt", u.at, u.what)),
            None => problems.push(format!(
                "{}: #include <{}>: add its package to .ci/deps.txt and to HEADERS in cli/tests/deps.rs",
                u.at, u.what
            )),
        }
    }
    assert!(problems.is_empty(), "system dependencies missing from .ci/deps.txt:\n{}", problems.join("\n"));
}

#[test]
fn the_deps_scan_catches_a_new_tool() {
    // What the scan would report for a test that started using deno: not covered by .ci/deps.txt.
    let (commands, _) = deps();
    assert!(!commands.contains_key("deno") && !not_a_tool("deno"));
    let re = Regex::new(r#""--cmd",\s*"([^"\s]+)"#).unwrap();
    let caught = re.captures(r#"ivconform(&["run", "--cmd", "deno adapter.ts"])"#).unwrap();
    assert_eq!(&caught[1], "deno");
}

#[test]
fn ci_test_installs_from_the_one_list_and_ci_run_calls_it() {
    let test = std::fs::read_to_string(root().join(".ci/test")).unwrap();
    assert!(test.contains(".ci/deps.txt") && test.contains("apt-get install"), "{test}");
    assert!(test.contains("cargo test --workspace --locked"), "{test}");
    assert!(test.contains("adapters/jwt/install.sh"), "{test}");
    let run = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(run.contains("bash .ci/test"), ".ci/run calls .ci/test");
    assert!(!run.contains("apt-get"), ".ci/run keeps no install list of its own: .ci/deps.txt is the one list");
    assert!(!run.lines().any(|l| l.trim_start().starts_with("cargo test")), ".ci/run runs the tests through .ci/test");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("bash .ci/test"), "README's test command is bash .ci/test");
}

#[test]
fn nothing_in_the_repository_reads_outside_it() {
    // The rule book, the Wycheproof file and everything else live in the repository now (issue 14).
    let needles = [concat!("..", "/shared"), concat!("/work", "/shared")];
    let mut hits = Vec::new();
    let markdown = walkdir::WalkDir::new(root())
        .into_iter()
        .filter_entry(|e| !["target", ".git", "node_modules", ".venv"].iter().any(|s| e.file_name() == *s))
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        // docs/SPEC.md says at its top which outside file it restates; that is a note, not a link.
        .filter(|p| !p.ends_with("docs/SPEC.md"));
    for path in sources().into_iter().chain(markdown) {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        for (n, line) in text.lines().enumerate() {
            if needles.iter().any(|needle| line.contains(needle)) {
                hits.push(format!("{}:{}: {line}", path.strip_prefix(root()).unwrap().display(), n + 1));
            }
        }
    }
    assert!(hits.is_empty(), "these read or link outside the repository:\n{}", hits.join("\n"));
}
