//! The stand-alone binary (issue 14): `cargo install` from a copy of the repository, the copy deleted, and the
//! installed `ivconform` run from an unrelated directory with every reference transport and a bench. Nothing
//! it needs may come from the checkout it was built from: the vectors are compiled in, the FFI reference is
//! linked in, and the build path no longer exists when it runs.
//!
//! SLOW: the first run builds the workspace's crates in the release profile for the copy (the registry
//! dependencies come from the shared target directory, already built by `cargo build --release`); later runs
//! reuse them, because the copy always goes to the same place with the files' modification times kept. See
//! the timings it prints (`--nocapture`).

use crate::util::{root, scratch, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// The workspace's target directory: this test binary is `<target>/<profile>/deps/integration-<hash>`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).expect("<target>/<profile>/deps/<test>").to_path_buf()
}

/// Directories never copied: build output, VCS data, installed npm packages, fuzzing scratch space.
const SKIP: [&str; 6] = ["target", ".git", "node_modules", "corpus-work", "artifacts", "__pycache__"];

/// Copies the repository's files (not its build output) from `from` to `to`, keeping modification times so
/// that cargo's fingerprints of an earlier copy at the same place stay fresh.
fn copy_tree(from: &Path, to: &Path) -> u64 {
    let mut bytes = 0;
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let kind = entry.file_type().unwrap();
        let (src, dst) = (entry.path(), to.join(&name));
        if kind.is_dir() {
            if !SKIP.iter().any(|s| name == *s) {
                bytes += copy_tree(&src, &dst);
            }
        } else if kind.is_file() {
            bytes += std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
            let modified = entry.metadata().unwrap().modified().unwrap();
            std::fs::File::options().write(true).open(&dst).unwrap().set_modified(modified).unwrap();
        }
    }
    bytes
}

/// Runs the installed binary from `cwd` with a clean environment apart from PATH and HOME (no CARGO_*
/// variables pointing back at the build).
fn installed(exe: &Path, cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(exe);
    cmd.args(args).current_dir(cwd).env_clear();
    for var in ["PATH", "HOME", "TMPDIR"] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    cmd.output().expect("the installed binary starts")
}

#[test]
fn slow_an_installed_binary_runs_every_reference_transport_and_bench_with_no_checkout() {
    let target = target_dir();
    // Always the same place, so a second run is incremental; removed again before the binary runs.
    let copy = target.join("ivconform-install-test").join("repo");
    let _ = std::fs::remove_dir_all(&copy);
    let started = Instant::now();
    let copied = copy_tree(&root(), &copy);
    assert!(copy.join("cli/Cargo.toml").is_file() && copy.join("Cargo.lock").is_file());
    assert!(!copy.join("target").exists());
    let work = scratch("install");
    let install_root = work.join("root");
    let out = Command::new(env!("CARGO"))
        .args(["install", "--path"])
        .arg(copy.join("cli"))
        .arg("--root")
        .arg(&install_root)
        .args(["--locked", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo starts");
    let built = started.elapsed();
    assert!(out.status.success(), "cargo install failed:\n{}", text(&out));
    std::fs::remove_dir_all(&copy).unwrap();
    assert!(!copy.exists());

    let exe = install_root.join("bin").join(format!("ivconform{}", std::env::consts::EXE_SUFFIX));
    let size = std::fs::metadata(&exe).unwrap().len();
    let dir_entries: Vec<String> = std::fs::read_dir(install_root.join("bin"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(dir_entries, ["ivconform"], "cargo install installs the binary and nothing else");
    eprintln!(
        "install test: copied {} KiB, `cargo install` took {:.1} s, installed binary {} bytes ({:.1} MB)",
        copied / 1024,
        built.as_secs_f64(),
        size,
        size as f64 / 1e6
    );
    // The release profile keeps line tables only (81 MB with `debug = 1`, 68 MB with line tables).
    assert!(size < 30_000_000, "the installed binary is {size} bytes: is [profile.release] debug info back?");

    // An unrelated directory with nothing in it: no vectors/, no rule book beside it, no cdylib.
    let elsewhere = work.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let header = |out: &Output| String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_string();
    for mode in ["stdio", "ffi", "http"] {
        let t = Instant::now();
        let out = installed(&exe, &elsewhere, &["run", "--reference", mode]);
        assert_eq!(out.status.code(), Some(0), "run --reference {mode} from an installed binary:\n{}", text(&out));
        let first = header(&out);
        assert!(first.contains(" (bundled) "), "{mode}: the header says which vectors ran: {first}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Verdict: CONFORMANT"), "{mode}:\n{}", text(&out));
        if mode == "ffi" {
            assert!(first.contains("linked into ivconform"), "no cdylib beside it, so the linked reference: {first}");
        }
        eprintln!("install test: run --reference {mode}: {:.1} s", t.elapsed().as_secs_f64());
    }
    let out = installed(&exe, &elsewhere, &["run", "--reference", "stdio", "--wycheproof", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("174 passed"), "{}", text(&out));

    let out = installed(&exe, &elsewhere, &["bench", "--reference", "stdio", "--duration", "1", "--warmup", "0.2"]);
    assert_eq!(out.status.code(), Some(0), "bench from an installed binary:\n{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("calibration: stdio"), "{stdout}");
    for op in ["sign", "verify"] {
        assert!(stdout.lines().any(|l| l.starts_with(op) && l.contains("ratio")), "{op}: {stdout}");
    }
    // `bench --lib`'s calibration is the FFI reference: linked in, so it works here too.
    let out = installed(
        &exe,
        &elsewhere,
        &["bench", "--reference", "ffi", "--count", "2000", "--warmup", "0", "--op", "verify"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("linked into ivconform"), "{}", text(&out));
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "the runs wrote nothing into the directory");
    let _ = std::fs::remove_dir_all(&work);
}

// ------------------------------------------------------------------- the bundled set, without installing

#[test]
fn vectors_export_writes_the_bundled_set_and_run_reads_the_directory_back() {
    let dir = scratch("export").join("my-vectors");
    let out = crate::util::ivconform(&["vectors", "export", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for group in ["hmac_sha256", "sign", "payload", "verify", "jwt"] {
        let committed = std::fs::read(root().join(format!("vectors/{group}.json"))).unwrap();
        assert_eq!(std::fs::read(dir.join(format!("{group}.json"))).unwrap(), committed, "{group}");
        let schema = format!("schema/{group}.schema.json");
        assert_eq!(
            std::fs::read(dir.join(&schema)).unwrap(),
            std::fs::read(root().join("vectors").join(&schema)).unwrap()
        );
    }
    // The default run says it used the bundled set; with --vectors, the directory.
    let header = |out: &Output| String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_string();
    let bundled = crate::util::ivconform(&["run", "--reference", "--group", "sign"]);
    assert_eq!(bundled.status.code(), Some(0), "{}", text(&bundled));
    assert!(header(&bundled).contains(" (bundled) "), "{}", header(&bundled));
    let from = crate::util::ivconform(&["run", "--reference", "--group", "sign", "--vectors", dir.to_str().unwrap()]);
    assert_eq!(from.status.code(), Some(0), "{}", text(&from));
    assert!(header(&from).contains(&format!(" (from {}) ", dir.display())), "{}", header(&from));

    // The directory is really what runs: one expected hash changed in the export fails exactly that case.
    let path = dir.join("sign.json");
    let mut doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let case =
        doc["cases"].as_array_mut().unwrap().iter_mut().find(|c| c["expected"]["user_hash"].is_string()).unwrap();
    let id = case["id"].as_str().unwrap().to_string();
    let hash = case["expected"]["user_hash"].as_str().unwrap().to_string();
    let flipped = format!("{}{}", &hash[..63], if hash.ends_with('0') { '1' } else { '0' });
    case["expected"]["user_hash"] = serde_json::Value::String(flipped.clone());
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let edited =
        crate::util::ivconform(&["run", "--reference", "--group", "sign", "--vectors", dir.to_str().unwrap(), "-q"]);
    assert_eq!(edited.status.code(), Some(1), "{}", text(&edited));
    assert!(String::from_utf8_lossy(&edited.stdout).contains(&id), "{}", text(&edited));

    // A second export refuses to overwrite, and leaves the edit alone.
    let again = crate::util::ivconform(&["vectors", "export", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"), "{}", text(&again));
    assert!(std::fs::read_to_string(&path).unwrap().contains(&flipped), "the edit is still there");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[test]
fn a_bad_vectors_directory_is_a_usage_error_that_names_the_flag() {
    for cmd in [&["run", "--reference"][..], &["fuzz", "--reference", "--iterations", "1"][..]] {
        let out = crate::util::ivconform(&[cmd, &["--vectors", "/nonexistent-ivconform-vectors"]].concat());
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("/nonexistent-ivconform-vectors/hmac_sha256.json"), "{cmd:?}: {stderr}");
        assert!(stderr.contains("--vectors") && stderr.contains("bundled"), "{cmd:?}: {stderr}");
    }
}

#[test]
fn the_rule_book_in_the_repository_names_every_rule() {
    let spec = std::fs::read_to_string(root().join("docs/SPEC.md")).unwrap();
    for rule in ivconform_core::Rule::ALL {
        assert!(spec.contains(&format!("- **{} — ", rule.id())), "docs/SPEC.md has no paragraph for {}", rule.id());
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("](docs/SPEC.md)"), "README links the rule book in the repository");
    let help = crate::util::ivconform(&["--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("docs/SPEC.md"), "{}", text(&help));
}

/// The `run:` script of action.yml's step named `name` (the lines indented under `run: |`).
fn action_step(name: &str) -> String {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let start = text.find(&format!("- name: {name}")).unwrap_or_else(|| panic!("action.yml has no step {name:?}"));
    let run = start + text[start..].find("run: |\n").expect("the step has a run block") + "run: |\n".len();
    let mut script = String::new();
    for line in text[run..].lines() {
        if !(line.starts_with("        ") || line.trim().is_empty()) {
            break;
        }
        script.push_str(line.get(8..).unwrap_or_default());
        script.push('\n');
    }
    script
}

#[test]
fn the_github_actions_step_runs_the_adapter_gates_on_the_verdict_and_writes_junit() {
    let install = action_step("Install ivconform from the action's own checkout");
    assert!(install.contains("cargo install --locked --path \"$ACTION_PATH/cli\""), "{install}");
    let dir = scratch("action");
    let script = dir.join("step.sh");
    std::fs::write(&script, action_step("Run the golden vectors against the adapter")).unwrap();
    let bin_dir = Path::new(crate::util::bin()).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let step = |cmd: &str, args: &str| {
        Command::new("bash")
            .arg(&script)
            .current_dir(&dir)
            .env("PATH", &path)
            .env("IV_CMD", cmd)
            .env("IV_URL", "")
            .env("IV_LIB", "")
            .env("IV_ARGS", args)
            .env("IV_JUNIT", "junit.xml")
            .env("IV_JSON", "report.json")
            .output()
            .unwrap()
    };
    let ok = step("ivconform serve --stdio", "--group sign --quiet");
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.contains("<testsuite") && junit.contains("sign"), "{junit}");
    assert!(dir.join("report.json").is_file());
    // A nonconformant adapter fails the step (the no-op server answers without doing the work).
    let bad = step("ivconform serve --stdio --noop", "--group sign --quiet");
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let none = step("", "");
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
    let _ = std::fs::remove_dir_all(&dir);
}
