//! `ivconform props`: property tests against any implementation, the reference as oracle; a failure is
//! shrunk and printed as a ready-to-paste golden vector with the command that replays it.

use super::iut::{connect_iut, iut_flags};
use crate::exit::{self, usage, CommandResult, Failure};

use super::iut::IutArgs;
use clap::Args;
use ivconform_differential::props::check::{run_property, PropertyResult, Session};
use ivconform_differential::props::properties::ALL;
use std::process::ExitCode;
use std::time::Duration;

/// `ivconform props`: what to test and how hard.
#[derive(Args, Debug)]
pub struct PropsArgs {
    /// The implementation under test.
    #[command(flatten)]
    pub iut: IutArgs,
    /// Random cases per property.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub cases: u32,
    /// Seed of the random inputs: the same seed, cases and properties replay the same run.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Run only this property (repeatable): sign, verify, precedence, reorder, custom-attributes, other-platform.
    #[arg(long = "property", value_name = "NAME")]
    pub properties: Vec<String>,
    /// Seconds to wait for each answer.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = crate::value::seconds)]
    pub timeout: Duration,
    /// Most shrinking steps per failure.
    #[arg(long, value_name = "N", default_value_t = 2048)]
    pub max_shrink_iters: u32,
}

/// Runs the command.
pub fn props(args: PropsArgs) -> CommandResult {
    if args.cases == 0 {
        return usage("--cases must be at least 1");
    }
    let names: Vec<&str> = ALL.iter().map(|p| p.name).collect();
    if let Some(bad) = args.properties.iter().find(|p| !names.contains(&p.as_str())) {
        return usage(format!("unknown property {bad:?}: expected one of {}", names.join(", ")));
    }
    let selected: Vec<_> =
        ALL.iter().filter(|p| args.properties.is_empty() || args.properties.iter().any(|n| n == p.name)).collect();
    let iut = connect_iut(&args.iut, args.timeout)?;
    let session = match Session::open(iut.connector.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            return Err(Failure::unreachable(format!(
                "the implementation could not be started or reached: {}: {e}",
                iut.connector.describe()
            )));
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
            PropertyResult::Pass { cases } => {
                println!("  pass     {:<18} {cases} cases, {took:.1} s  ({})", property.name, property.about)
            }
            PropertyResult::Skipped { reason } => println!("  skipped  {:<18} {reason}", property.name),
            PropertyResult::Fail(_) => println!("  FAIL     {:<18} {took:.1} s  ({})", property.name, property.about),
        }
        if let PropertyResult::Fail(f) = verdict {
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
        Ok(ExitCode::from(exit::CONFORMANT))
    } else {
        println!("Verdict: nonconformant: {} of {} properties failed.", failures.len(), selected.len());
        Ok(ExitCode::from(exit::NONCONFORMANT))
    }
}
