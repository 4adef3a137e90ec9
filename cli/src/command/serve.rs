//! `ivconform serve`: the reference as an implementation under test.

use crate::exit::{usage, CommandResult};
use clap::Args;
use ivconform_harness::serve;
use std::io::Write;
use std::process::ExitCode;

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["stdio", "http"])))]
pub struct ServeArgs {
    /// Speak JSON lines on stdin/stdout.
    #[arg(long)]
    pub stdio: bool,
    /// Listen for HTTP on this address (use port 0 for any free port; the address is printed).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// HTTP worker threads (the server's runtime threads; connections are tasks, not threads).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub threads: usize,
    /// Serve a no-op implementation instead of the reference: fixed answers, no work (a round-trip baseline
    /// for benchmarks; it fails most cases by design).
    #[arg(long)]
    pub noop: bool,
}

/// Serves until stdin closes (`--stdio`) or forever (`--http`).
pub fn serve(args: ServeArgs) -> CommandResult {
    let handler = if args.noop {
        ivconform_protocol::reference::noop_handle_bytes
    } else {
        ivconform_protocol::reference::handle_bytes
    };
    if args.stdio {
        let stdin = std::io::stdin();
        let stdout = std::io::stdout();
        return match serve::stdio::serve_lines(stdin.lock(), stdout.lock(), handler) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
            Err(e) => usage(e),
        };
    }
    let addr = args.http.expect("clap requires --stdio or --http");
    let result = serve::http::serve_with(&addr, args.threads.max(1), handler, |bound| {
        println!("listening on http://{bound}/");
        let _ = std::io::stdout().flush();
    });
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => usage(format!("{e:#}")),
    }
}
