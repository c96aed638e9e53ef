//! `playground fuzz`: random scenarios of every lab, each run in a child process with a
//! wall-clock limit, looking for hangs as well as panics.
//!
//! A run may end in 0 (held), 2 (bad input) or 3 (violated). Anything else is a finding: a
//! panic or other crash, a run the no-progress guard stopped (exit 2 with its sentence), a
//! run still going after `--timeout-ms`, or any other exit code. Each finding is printed with the share link
//! and the command that reproduces it.

mod scenarios;

use std::io::Read;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use playground_core::rng::Rng;

use crate::args::FuzzArgs;
use scenarios::{Case, Target};

/// What went wrong with one case.
struct Finding {
    case: Case,
    what: String,
}

impl Finding {
    fn print(&self) {
        say!("FINDING  {} ({})", self.what, self.case.lab);
        say!("  reproduce: playground run --scenario {} --until {}us", self.case.link, self.case.until);
    }
}

struct Running {
    case: Case,
    child: Child,
    started: Instant,
}

fn spawn(exe: &std::path::Path, case: Case) -> std::io::Result<Running> {
    let until = format!("{}us", case.until);
    let child = Command::new(exe)
        .args(["run", "--scenario", &case.link, "--until", &until, "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    Ok(Running { case, child, started: Instant::now() })
}

/// Checks a child: `None` while it runs, then what (if anything) was wrong.
fn poll(running: &mut Running, timeout: Duration) -> Option<Option<String>> {
    match running.child.try_wait() {
        Ok(Some(status)) => {
            let mut stderr = String::new();
            if let Some(mut pipe) = running.child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            let panicked = stderr.contains("panicked");
            // The no-progress guard exits 2 like bad input, but a stuck run is a bug to report.
            let stalled = stderr.contains("made no progress");
            Some(match status.code() {
                Some(2) if stalled => Some(format!("stalled: {}", first_line(&stderr))),
                Some(0 | 2 | 3) if !panicked => None,
                Some(code) => Some(format!("exit code {code}: {}", first_line(&stderr))),
                None => Some(format!("killed by a signal ({status}): {}", first_line(&stderr))),
            })
        }
        Ok(None) if running.started.elapsed() > timeout => {
            let _ = running.child.kill();
            let _ = running.child.wait();
            Some(Some(format!("hang: still running after {} ms", timeout.as_millis())))
        }
        Ok(None) => None,
        Err(e) => Some(Some(format!("could not wait for the run: {e}"))),
    }
}

fn first_line(text: &str) -> String {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("(no message)").to_string()
}

pub fn fuzz(args: &FuzzArgs) -> ExitCode {
    let targets = match Target::all(args.lab.as_deref()) {
        Ok(targets) => targets,
        Err(message) => return crate::bad_input(&message),
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return crate::bad_input(&format!("cannot find this program's own path: {e}")),
    };
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    });
    let timeout = Duration::from_millis(args.timeout_ms);
    let budget = Duration::from_secs_f64(args.minutes * 60.0);
    say!(
        "fuzzing {} lab(s) for {:.1} min, seed {seed}, {} at once, {} ms per run at most",
        targets.len(),
        args.minutes,
        args.jobs,
        args.timeout_ms
    );
    let mut rng = Rng::seeded(seed);
    let started = Instant::now();
    let mut running: Vec<Running> = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut runs = 0u64;
    let mut next_target = 0;
    loop {
        while running.len() < args.jobs as usize && started.elapsed() < budget {
            let target = &targets[next_target % targets.len()];
            next_target += 1;
            let case = scenarios::case(&mut rng, target);
            match spawn(&exe, case.clone()) {
                Ok(child) => running.push(child),
                Err(e) => {
                    findings.push(Finding { case, what: format!("could not start a run: {e}") });
                    break;
                }
            }
        }
        if running.is_empty() {
            break;
        }
        let mut index = 0;
        while index < running.len() {
            match poll(&mut running[index], timeout) {
                None => index += 1,
                Some(outcome) => {
                    let done = running.swap_remove(index);
                    runs += 1;
                    if let Some(what) = outcome {
                        let finding = Finding { case: done.case, what };
                        finding.print();
                        findings.push(finding);
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    say!(
        "fuzz: {runs} runs in {:.1} min ({:.0} runs per minute), {} finding(s), seed {seed}",
        minutes,
        runs as f64 / minutes.max(1e-9),
        findings.len()
    );
    if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    }
}
