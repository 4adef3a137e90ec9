//! `ivconform serve`: the reference as an implementation under test.

use crate::cli::ServeArgs;
use crate::serve;
use std::io::Write;
use std::process::ExitCode;

/// Serves until stdin closes (`--stdio`) or forever (`--http`).
pub fn serve(args: ServeArgs) -> ExitCode {
    let handler = if args.noop {
        ivconform_protocol::reference::noop_handle_bytes
    } else {
        ivconform_protocol::reference::handle_bytes
    };
    if args.stdio {
        let stdin = std::io::stdin();
        let stdout = std::io::stdout();
        return match serve::stdio::serve_lines(stdin.lock(), stdout.lock(), handler) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ivconform serve: {e}");
                ExitCode::from(super::EXIT_USAGE)
            }
        };
    }
    let addr = args.http.expect("clap requires --stdio or --http");
    let result = serve::http::serve_with(&addr, args.threads.max(1), handler, |bound| {
        println!("listening on http://{bound}/");
        let _ = std::io::stdout().flush();
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ivconform serve: {e:#}");
            ExitCode::from(super::EXIT_USAGE)
        }
    }
}
