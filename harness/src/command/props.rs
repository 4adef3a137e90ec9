//! `ivconform props`: property tests against any implementation, the reference as oracle; a failure is
//! shrunk and printed as a ready-to-paste golden vector with the command that replays it.

use super::{EXIT_CONFORMANT, EXIT_NONCONFORMANT, EXIT_UNREACHABLE, EXIT_USAGE};
use crate::cli::{IutArgs, PropsArgs, ReferenceMode};
use crate::props::check::{run_property, Session, Verdict};
use crate::props::properties::ALL;
use crate::transport::ffi::FfiConnector;
use crate::transport::http::HttpConnector;
use crate::transport::stdio::StdioConnector;
use crate::transport::Connector;
use std::process::ExitCode;
use std::time::Duration;

/// A connector for the IUT the flags name, and whatever must outlive it (a reference server child).
pub struct Iut {
    /// The connector.
    pub connector: Box<dyn Connector>,
    /// Keeps a reference server child alive as long as the connector is used.
    pub guard: Option<super::reference::ReferenceIut>,
}

/// Builds the IUT's connector from `--reference/--cmd/--url/--lib`; `Err((exit code, message))`.
pub fn connect_iut(iut: &IutArgs, timeout: Duration) -> Result<Iut, (u8, String)> {
    let plain = |connector: Box<dyn Connector>| Ok(Iut { connector, guard: None });
    if let Some(cmd) = &iut.cmd {
        plain(Box::new(StdioConnector::shell(cmd, timeout)))
    } else if let Some(url) = &iut.url {
        HttpConnector::new(url, timeout).map_err(|e| (EXIT_USAGE, e)).and_then(|c| plain(Box::new(c)))
    } else if let Some(lib) = &iut.lib {
        if !lib.is_file() {
            return Err((EXIT_USAGE, format!("--lib {}: no such file", lib.display())));
        }
        plain(Box::new(FfiConnector::new(lib.clone(), timeout)))
    } else if let Some(mode) = iut.reference {
        let mut r = super::reference::connect(mode, timeout).map_err(|e| (EXIT_UNREACHABLE, e))?;
        let connector = std::mem::replace(&mut r.connector, Box::new(crate::transport::inproc::InProcess));
        Ok(Iut { connector, guard: Some(r) })
    } else {
        Err((
            EXIT_USAGE,
            "say which implementation to test: --reference, --cmd COMMAND, --url URL or --lib PATH (see --help)".into(),
        ))
    }
}

/// The IUT flags again, for the replay command (shell-quoted).
pub fn iut_flags(iut: &IutArgs) -> String {
    let quote = |s: &str| {
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c)) {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    if let Some(cmd) = &iut.cmd {
        format!("--cmd {}", quote(cmd))
    } else if let Some(url) = &iut.url {
        format!("--url {}", quote(url))
    } else if let Some(lib) = &iut.lib {
        format!("--lib {}", quote(&lib.display().to_string()))
    } else {
        match iut.reference {
            Some(ReferenceMode::Stdio) => "--reference stdio".into(),
            Some(ReferenceMode::Http) => "--reference http".into(),
            Some(ReferenceMode::Ffi) => "--reference ffi".into(),
            _ => "--reference".into(),
        }
    }
}

/// Runs the command.
pub fn props(args: PropsArgs) -> ExitCode {
    let usage = |m: String| {
        eprintln!("ivconform props: {m}");
        ExitCode::from(EXIT_USAGE)
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout < 1e7) {
        return usage(format!("--timeout must be a positive number of seconds, not {}", args.timeout));
    }
    if args.cases == 0 {
        return usage("--cases must be at least 1".into());
    }
    let names: Vec<&str> = ALL.iter().map(|p| p.name).collect();
    if let Some(bad) = args.properties.iter().find(|p| !names.contains(&p.as_str())) {
        return usage(format!("unknown property {bad:?}: expected one of {}", names.join(", ")));
    }
    let selected: Vec<_> =
        ALL.iter().filter(|p| args.properties.is_empty() || args.properties.iter().any(|n| n == p.name)).collect();
    let iut = match connect_iut(&args.iut, Duration::from_secs_f64(args.timeout)) {
        Ok(i) => i,
        Err((code, m)) => {
            eprintln!("ivconform props: {m}");
            return ExitCode::from(code);
        }
    };
    let session = match Session::open(iut.connector.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "ivconform props: the implementation could not be started or reached: {}: {e}",
                iut.connector.describe()
            );
            return ExitCode::from(EXIT_UNREACHABLE);
        }
    };
    println!(
        "ivconform props: {} ({} {}), seed {}, {} cases per property",
        iut.connector.describe(),
        session.hello.name,
        session.hello.version,
        args.seed,
        args.cases
    );
    let mut failures = Vec::new();
    for property in &selected {
        let started = std::time::Instant::now();
        let verdict = run_property(&session, property, args.seed, args.cases, args.max_shrink_iters);
        let took = started.elapsed().as_secs_f64();
        match &verdict {
            Verdict::Pass { cases } => {
                println!("  pass     {:<18} {cases} cases, {took:.1} s  ({})", property.name, property.about)
            }
            Verdict::Skipped { reason } => println!("  skipped  {:<18} {reason}", property.name),
            Verdict::Fail(_) => println!("  FAIL     {:<18} {took:.1} s  ({})", property.name, property.about),
        }
        if let Verdict::Fail(f) = verdict {
            failures.push((property.name, f));
        }
    }
    session.close();
    for (name, f) in &failures {
        println!();
        match &f.detail {
            Some(_) => println!("FAIL {name}"),
            None => println!("FAIL {name}: {}", f.reason),
        }
        if let Some(change) = &f.change {
            println!("  the law: {change} must decide as before");
        }
        if let Some((expected, actual, hint)) = &f.detail {
            println!("  expected: {expected}");
            println!("  actual:   {actual}");
            println!("  hint:     {hint}");
        }
        match &f.probe {
            Some(probe) => {
                println!("  smallest failing input, as a vector for {}:", probe.vector.file());
                for line in probe.vector.render().lines() {
                    println!("    {line}");
                }
            }
            None => println!("  (the shrunk input passed when asked again: the implementation is not deterministic)"),
        }
        println!(
            "  replay: ivconform props {} --property {name} --seed {} --cases {}",
            iut_flags(&args.iut),
            args.seed,
            args.cases
        );
    }
    println!();
    if failures.is_empty() {
        println!("Verdict: every property held ({} properties, seed {}).", selected.len(), args.seed);
        ExitCode::from(EXIT_CONFORMANT)
    } else {
        println!("Verdict: nonconformant: {} of {} properties failed.", failures.len(), selected.len());
        ExitCode::from(EXIT_NONCONFORMANT)
    }
}
