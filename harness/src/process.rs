//! Every child process the harness starts (an IUT, the FFI host, a reference or control server, a measuring
//! child) runs in its own process group, and is killed as a group: on a timeout, a crash, the end of a run,
//! and when ivconform itself gets SIGINT, SIGTERM or SIGHUP ([`install_signal_cleanup`]).
//!
//! A group, not a pid, because IUTs are usually started as `sh -c "python3 adapter.py"`: dash forks, so
//! killing the shell leaves the adapter running with parent 1; and adapters start helpers of their own.
//! Killing with SIGKILL (not SIGTERM) because an IUT that ignores SIGTERM must not outlive the run. A process
//! that leaves the group on purpose (`setsid`) is out of reach: that is a deliberate escape, not sloppiness.

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The process groups alive right now, for the signal handler.
static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

fn groups() -> std::sync::MutexGuard<'static, BTreeSet<i32>> {
    GROUPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// A child that leads its own process group; dropping it kills the whole group and reaps the child.
#[derive(Debug)]
pub struct GroupChild {
    /// The child (its stdio handles can be taken as usual).
    pub child: Child,
    pgid: i32,
    status: Option<ExitStatus>,
}

/// Starts `cmd` as the leader of a new process group, registered for cleanup.
pub fn spawn(cmd: &mut Command) -> io::Result<GroupChild> {
    cmd.process_group(0);
    let child = cmd.spawn()?;
    let pgid = child.id() as i32;
    groups().insert(pgid);
    Ok(GroupChild { child, pgid, status: None })
}

impl GroupChild {
    /// The group's id (the leader's pid).
    pub fn pgid(&self) -> i32 {
        self.pgid
    }

    /// The leader's exit status if it has exited (reaps it), without waiting.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits up to `limit` for the leader to exit on its own.
    pub fn wait_for(&mut self, limit: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + limit;
        loop {
            if let Some(s) = self.try_wait() {
                return Some(s);
            }
            if Instant::now() >= until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits for the leader to exit (reaps it); the rest of the group is killed when this value is dropped.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(s) = self.status {
            return Ok(s);
        }
        let s = self.child.wait()?;
        self.status = Some(s);
        Ok(s)
    }

    /// SIGKILL to every process of the group, then reaps the leader. Idempotent.
    pub fn kill_group(&mut self) {
        let _ = killpg(Pid::from_raw(self.pgid), Signal::SIGKILL);
        if self.status.is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
        groups().remove(&self.pgid);
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        self.kill_group();
    }
}

/// Kills every live process group the harness started (the signal handler's work, also usable at exit).
pub fn kill_all() {
    let live: Vec<i32> = groups().iter().copied().collect();
    for pgid in live {
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
}

/// On SIGINT, SIGTERM or SIGHUP: kill every child group, then exit with 128 + the signal, as a shell would
/// report it. Call once, early in `main`.
pub fn install_signal_cleanup() -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new().name("ivconform-signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            kill_all();
            eprintln!("ivconform: stopped by signal {signal}; every process it started was killed");
            std::process::exit(128 + signal);
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Stdio;

    fn alive(pid: i32) -> bool {
        // Signal 0: does the process exist (zombies excepted: a reaped or dead-and-unreaped one is gone for us)?
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
            .unwrap_or(false)
    }

    #[test]
    fn killing_the_group_kills_a_shell_wrapped_child_that_ignores_sigterm_and_its_grandchild() {
        // The shell starts a grandchild that ignores TERM and reports its pid, then waits.
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg("sh -c 'trap \"\" TERM; echo $$; exec sleep 300' & wait").stdout(Stdio::piped());
        let mut child = spawn(&mut cmd).unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.child.stdout.take().unwrap()), &mut line)
            .unwrap();
        let grandchild: i32 = line.trim().parse().unwrap();
        assert!(alive(grandchild));
        assert!(groups().contains(&child.pgid()));
        let pgid = child.pgid();
        drop(child);
        let until = Instant::now() + Duration::from_secs(5);
        while alive(grandchild) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!alive(grandchild), "the grandchild {grandchild} outlived its group");
        assert!(!groups().contains(&pgid), "the group is still registered");
    }
}
