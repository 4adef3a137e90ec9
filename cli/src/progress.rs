//! Progress for the commands that run longer than a second (run, props, fuzz, timing, bench), on stderr only:
//! an indicatif bar with an ETA when stderr is a terminal, a plain line every 10 s when it is not (a CI log:
//! `run: 240/499 cases, 12 s`), nothing with `--quiet`.
//!
//! Work is counted in units the command names (`cases`, `payloads`, `s`); when the total is known the bar
//! shows an ETA. A command that only knows how long it will take counts seconds ([`Progress::timed`]).
//! `IVCONFORM_PROGRESS_INTERVAL` (seconds) changes the plain line's interval, for tests.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The plain line's default interval.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// The state the plain-line thread reads.
struct Shared {
    position: AtomicU64,
    total: AtomicU64,
    has_total: AtomicBool,
    message: Mutex<String>,
}

/// A progress display; [`Progress::finish`] (or drop) clears it.
pub struct Progress {
    bar: Option<ProgressBar>,
    shared: Arc<Shared>,
    stop: Option<mpsc::Sender<()>>,
    ticker: Option<JoinHandle<()>>,
}

/// How the display is drawn, from `--quiet` and whether stderr is a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Nothing (`--quiet`).
    Hidden,
    /// An indicatif bar (stderr is a terminal).
    Bar,
    /// A plain line every interval (stderr is a file or a pipe).
    Plain,
}

impl Mode {
    /// The mode for this process's stderr.
    pub fn for_stderr(quiet: bool) -> Mode {
        if quiet {
            Mode::Hidden
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Plain
        }
    }
}

fn plain_interval() -> Duration {
    std::env::var("IVCONFORM_PROGRESS_INTERVAL")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.05 && *s <= 3600.0)
        .map_or(PLAIN_EVERY, Duration::from_secs_f64)
}

/// `1 s`, `1 min 05 s`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

impl Progress {
    /// Progress of `command` over `total` units (`None`: unknown) named `unit` (`cases`, `payloads`).
    pub fn new(command: &'static str, total: Option<u64>, unit: &'static str, quiet: bool) -> Progress {
        Progress::with_mode(command, total, unit, Mode::for_stderr(quiet), false)
    }

    /// Progress of `command` expected to take about `planned` (`None`: unknown, the elapsed time alone): the
    /// bar and the line follow the clock.
    pub fn timed(command: &'static str, planned: Option<Duration>, quiet: bool) -> Progress {
        let tenths = planned.map(|p| (p.as_secs_f64() * 10.0).ceil().max(1.0) as u64);
        Progress::with_mode(command, tenths, "s", Mode::for_stderr(quiet), true)
    }

    /// Runs `f` (which prints to stdout) with the bar hidden, so lines and bar do not mix on a terminal.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// [`Progress::new`] with the mode given (tests).
    pub fn with_mode(
        command: &'static str,
        total: Option<u64>,
        unit: &'static str,
        mode: Mode,
        timed: bool,
    ) -> Progress {
        let shared = Arc::new(Shared {
            position: AtomicU64::new(0),
            total: AtomicU64::new(total.unwrap_or(0)),
            has_total: AtomicBool::new(total.is_some()),
            message: Mutex::new(String::new()),
        });
        let started = Instant::now();
        let bar = (mode == Mode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            let template = match (total.is_some(), timed) {
                (true, true) => {
                    format!("{command}: {{spinner}} [{{bar:40}}] {{elapsed}} of about {{duration}} {{msg}}")
                }
                (true, false) => {
                    format!(
                        "{command}: {{spinner}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{elapsed}}, ETA {{eta}}) {{msg}}"
                    )
                }
                (false, true) => format!("{command}: {{spinner}} {{elapsed}} {{msg}}"),
                (false, false) => format!("{command}: {{spinner}} {{pos}} {unit} ({{per_sec}}, {{elapsed}}) {{msg}}"),
            };
            bar.set_style(ProgressStyle::with_template(&template).expect("a valid template").progress_chars("=> "));
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let (stop, ticker) = match mode {
            Mode::Hidden => (None, None),
            Mode::Bar if !timed => (None, None),
            Mode::Bar | Mode::Plain => {
                let (tx, rx) = mpsc::channel::<()>();
                let every = if mode == Mode::Bar { Duration::from_millis(200) } else { plain_interval() };
                let (shared, bar) = (shared.clone(), bar.clone());
                let ticker = std::thread::spawn(move || {
                    while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(every) {
                        let elapsed = started.elapsed();
                        if timed && shared.has_total.load(Ordering::Relaxed) {
                            let tenths = (elapsed.as_secs_f64() * 10.0) as u64;
                            let total = shared.total.load(Ordering::Relaxed);
                            // Past the plan, the bar stays just short of full until the command says it is done.
                            shared.position.store(tenths.min(total.saturating_sub(1)), Ordering::Relaxed);
                        }
                        match &bar {
                            Some(bar) => bar.set_position(shared.position.load(Ordering::Relaxed)),
                            None => eprintln!("{}", line(command, unit, &shared, elapsed, timed)),
                        }
                    }
                });
                (Some(tx), Some(ticker))
            }
        };
        Progress { bar, shared, stop, ticker }
    }

    /// Adds `n` units done.
    pub fn inc(&self, n: u64) {
        self.shared.position.fetch_add(n, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Sets the note after the counts (the current property, the last failure).
    pub fn set_message(&self, message: impl Into<String>) {
        let message = message.into();
        if let Some(bar) = &self.bar {
            bar.set_message(message.clone());
        }
        *self.shared.message.lock().unwrap_or_else(|e| e.into_inner()) = message;
    }

    /// Stops and clears the display.
    pub fn finish(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// The plain line: `run: 240/499 cases, 12 s` (`timing: 12 s of about 27 s`), with the message if any.
fn line(command: &str, unit: &str, shared: &Shared, elapsed: Duration, timed: bool) -> String {
    let position = shared.position.load(Ordering::Relaxed);
    let total = shared.total.load(Ordering::Relaxed);
    let mut text = if timed && !shared.has_total.load(Ordering::Relaxed) {
        format!("{command}: {}", clock(elapsed))
    } else if timed {
        format!("{command}: {} of about {}", clock(elapsed), clock(Duration::from_millis(total * 100)))
    } else if shared.has_total.load(Ordering::Relaxed) {
        let eta = if position > 0 && total > position {
            let left = elapsed.as_secs_f64() * (total - position) as f64 / position as f64;
            format!(", about {} left", clock(Duration::from_secs_f64(left)))
        } else {
            String::new()
        };
        format!("{command}: {position}/{total} {unit}, {}{eta}", clock(elapsed))
    } else {
        format!("{command}: {position} {unit}, {}", clock(elapsed))
    };
    let message = shared.message.lock().unwrap_or_else(|e| e.into_inner());
    if !message.is_empty() {
        text.push_str(&format!(" ({message})"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_line_says_how_far_and_how_long() {
        let shared = Shared {
            position: AtomicU64::new(240),
            total: AtomicU64::new(499),
            has_total: AtomicBool::new(true),
            message: Mutex::new(String::new()),
        };
        let text = line("run", "cases", &shared, Duration::from_secs(12), false);
        assert!(text.starts_with("run: 240/499 cases, 12 s, about "), "{text}");
        shared.has_total.store(false, Ordering::Relaxed);
        *shared.message.lock().unwrap() = "sign".into();
        assert_eq!(
            line("fuzz", "payloads", &shared, Duration::from_secs(75), false),
            "fuzz: 240 payloads, 1 min 15 s (sign)"
        );
        shared.total.store(270, Ordering::Relaxed);
        shared.has_total.store(true, Ordering::Relaxed);
        shared.message.lock().unwrap().clear();
        assert_eq!(line("timing", "s", &shared, Duration::from_secs(12), true), "timing: 12 s of about 27 s");
        shared.has_total.store(false, Ordering::Relaxed);
        assert_eq!(line("timing", "s", &shared, Duration::from_secs(12), true), "timing: 12 s");
    }

    #[test]
    fn hidden_progress_counts_and_stops() {
        let p = Progress::with_mode("run", Some(3), "cases", Mode::Hidden, false);
        p.inc(2);
        p.set_message("x");
        assert_eq!(p.shared.position.load(Ordering::Relaxed), 2);
        p.finish();
    }
}
