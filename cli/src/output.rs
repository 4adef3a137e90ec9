//! Output paths checked before any work starts (`--json`, `--junit`, `--html`, `--plot`, `--out`...): a
//! report that cannot be written fails at once, with the flag named, not after the run.

use std::path::{Path, PathBuf};

/// Checks, before any work starts, that a report can be written to `path` (given by `flag`): `-` (stdout)
/// always can; otherwise its directory must exist and take a new file (a probe file is created and removed),
/// and an existing `path` must be a file that opens for writing. The error names the flag and the path.
pub fn check_output(flag: &str, path: &Path) -> Result<(), crate::exit::Failure> {
    let fail = |why: String| Err(crate::exit::Failure::usage(format!("{flag} {}: {why}", path.display())));
    if path.as_os_str() == "-" {
        return Ok(());
    }
    if path.as_os_str().is_empty() {
        return fail("an empty path".into());
    }
    if path.is_dir() {
        return fail("is a directory, not a file".into());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return fail(format!("the directory {} does not exist", dir.display()));
    }
    if path.exists() {
        if let Err(e) = std::fs::OpenOptions::new().append(true).open(path) {
            return fail(format!("cannot be written ({e})"));
        }
        return Ok(());
    }
    let probe = dir.join(format!(".ivconform-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => fail(format!("cannot create a file in {} ({e})", dir.display())),
    }
}

/// [`check_output`] for every `(flag, path)` given; the first that cannot be written is the error (exit 2).
pub fn check_outputs(outputs: &[(&str, Option<&Path>)]) -> Result<(), crate::exit::Failure> {
    for (flag, path) in outputs {
        if let Some(path) = path {
            check_output(flag, path)?;
        }
    }
    Ok(())
}

/// Checks that `dir` (an output directory, given by `flag`) exists or can be created, and takes a new file.
pub fn check_output_dir(flag: &str, dir: &Path) -> Result<(), crate::exit::Failure> {
    let fail = |why: String| Err(crate::exit::Failure::usage(format!("{flag} {}: {why}", dir.display())));
    if dir.exists() && !dir.is_dir() {
        return fail("exists and is not a directory".into());
    }
    // The nearest existing ancestor must take a new file (the directory itself is made when needed).
    let mut base = dir.to_path_buf();
    while !base.exists() {
        match base.parent() {
            Some(p) if !p.as_os_str().is_empty() => base = p.to_path_buf(),
            _ => {
                base = PathBuf::from(".");
                break;
            }
        }
    }
    if !base.is_dir() {
        return fail(format!("{} is not a directory", base.display()));
    }
    check_output(flag, &base.join("probe")).or_else(|_| fail(format!("cannot create files in {}", base.display())))
}

/// Set when a report goes to stdout (`--json -`, `--junit -`): the human report then goes to stderr.
static HUMAN_ON_STDERR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sends the human report to stderr when one of `outputs` is `-` (stdout); two of them on stdout is a usage
/// error (their texts would interleave).
pub fn human_to_stderr_if_stdout_taken(outputs: &[Option<&Path>]) -> Result<(), crate::exit::Failure> {
    let on_stdout = outputs.iter().flatten().filter(|p| p.as_os_str() == "-").count();
    if on_stdout > 1 {
        return Err(crate::exit::Failure::usage("only one report can go to stdout (-)"));
    }
    HUMAN_ON_STDERR.store(on_stdout == 1, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// Whether the human report goes to stderr (see [`human_to_stderr_if_stdout_taken`]).
pub fn human_on_stderr() -> bool {
    HUMAN_ON_STDERR.load(std::sync::atomic::Ordering::Relaxed)
}

/// `println!` for the human report of props and fuzz: stdout, or stderr when a report took stdout.
macro_rules! say {
    ($($arg:tt)*) => {
        if $crate::output::human_on_stderr() { eprintln!($($arg)*) } else { println!($($arg)*) }
    };
}
pub(crate) use say;

/// A JUnit document of one testsuite (`suite`) holding `cases`, for commands whose report is one suite.
pub fn junit_one_suite(
    report: &str,
    suite: &str,
    cases: Vec<quick_junit::TestCase>,
    started: std::time::SystemTime,
) -> String {
    let mut j = quick_junit::Report::new(report);
    let mut s = quick_junit::TestSuite::new(suite);
    let skipped = cases.iter().filter(|c| matches!(c.status, quick_junit::TestCaseStatus::Skipped { .. })).count();
    s.add_test_cases(cases);
    s.extra.insert("skipped".into(), skipped.to_string().into());
    s.extra.insert("timestamp".into(), ivconform_harness::report::doc::rfc3339(started).into());
    s.set_time(started.elapsed().unwrap_or_default());
    j.add_test_suite(s);
    j.to_string().unwrap_or_else(|e| format!("<!-- could not render JUnit XML: {e} -->\n"))
}
