//! `cargo xtask serve` and `cargo xtask test`: the two commands a fresh machine needs.
//! Each installs what is missing first (see `tools.rs`).

mod bundle;
mod tools;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Tests that passed and failed across every step, from the runners' summary lines.
static PASSED: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU64 = AtomicU64::new(0);

/// Adds up a `test result: ok. 12 passed; 0 failed; ...` line.
fn count_results(line: &str) {
    let Some(rest) = line.trim().strip_prefix("test result: ") else { return };
    for part in rest.split(';') {
        let mut words = part.split_whitespace().rev();
        let (Some(label), Some(number)) = (words.next(), words.next()) else { continue };
        let Ok(n) = number.parse::<u64>() else { continue };
        match label {
            "passed" => PASSED.fetch_add(n, Ordering::Relaxed),
            "failed" => FAILED.fetch_add(n, Ordering::Relaxed),
            _ => 0,
        };
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

/// One command to run from the workspace root.
pub struct Step {
    title: String,
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Step {
    pub fn new(title: &str, program: &str, args: &[&str]) -> Step {
        Step {
            title: title.into(),
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Step {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// Runs a step with the tools on PATH; an error names the step.
pub fn run(step: Step) -> Result<(), String> {
    println!("\n==> {} ({} {})", step.title, step.program, step.args.join(" "));
    let started = Instant::now();
    let mut child = Command::new(&step.program)
        .args(&step.args)
        .current_dir(root())
        .env("PATH", tools::path_with_tools())
        .envs(step.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: could not start `{}`: {e}", step.title, step.program))?;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            count_results(&line);
        }
    }
    let status = child.wait().map_err(|e| format!("{}: {e}", step.title))?;
    println!("<== {} took {:.1}s", step.title, started.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", step.title))
    }
}

fn serve() -> Result<(), String> {
    tools::ensure_for_serve()?;
    // The bridge beside the app, so the Clocks lab shows this machine's real clock; it stops
    // with the server. If it cannot start (say, one is already running), the app still serves.
    run(Step::new("build playground-bridge", "cargo", &["build", "--release", "-p", "playground-bridge"]))?;
    let bridge = Command::new(root().join("target/release/playground-bridge")).spawn();
    match &bridge {
        Ok(_) => println!("==> playground-bridge serves this machine's clock on ws://127.0.0.1:7374/"),
        Err(error) => println!("==> playground-bridge did not start ({error}); the Clocks lab will use its model"),
    }
    let served = run(Step::new("serve the app on http://127.0.0.1:8080/", "trunk", &["serve", "--release"]));
    if let Ok(mut bridge) = bridge {
        let _ = bridge.kill();
        let _ = bridge.wait();
    }
    served
}

fn test() -> Result<(), String> {
    tools::ensure_for_test()?;
    let wasm = "wasm32-unknown-unknown";
    let steps = [
        Step::new("format check", "cargo", &["fmt", "--all", "--", "--check"]),
        Step::new("clippy (host)", "cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]),
        Step::new(
            "clippy (wasm32)",
            "cargo",
            &[
                "clippy",
                "-p",
                "playground-core",
                "-p",
                "playground-web",
                "--all-targets",
                "--target",
                wasm,
                "--",
                "-D",
                "warnings",
            ],
        ),
        Step::new("native tests", "cargo", &["test", "--workspace", "--release", "--exclude", "playground-e2e"]),
        // A short fuzz with a fixed seed, so CI tries the same scenarios every time; `cargo
        // xtask fuzz` runs longer with a fresh seed.
        Step::new(
            "fuzz every lab for 45 s (panics, hangs, odd exit codes)",
            "cargo",
            &["run", "--release", "-q", "-p", "playground", "--", "fuzz", "--minutes", "0.75", "--seed", "2026"],
        ),
        Step::new(
            "no_std build of core",
            "cargo",
            &["build", "-p", "playground-core", "--target", "thumbv7em-none-eabihf"],
        ),
        Step::new(
            "wasm-bindgen tests in headless Chromium",
            "cargo",
            &["test", "-p", "playground-web", "--target", wasm, "--test", "browser"],
        )
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        // 1,400 pinned seeds replayed in an unoptimized wasm build take about 35 s here; the
        // runner's default limit is 20 s.
        .env("WASM_BINDGEN_TEST_TIMEOUT", "300"),
        Step::new("release build of the site", "trunk", &["build", "--release"]),
        Step::new(
            "end-to-end tests in headless Chromium",
            "cargo",
            &[
                "test",
                "-p",
                "playground-e2e",
                "--release",
                "--test",
                "e2e",
                "--test",
                "course",
                "--",
                "--nocapture",
                "--test-threads=1",
            ],
        ),
    ];
    let started = Instant::now();
    for step in steps {
        let after_build = step.title == "release build of the site";
        run(step)?;
        if after_build {
            bundle::report()?;
        }
    }
    println!("\nxtask: every check passed in {:.0}s", started.elapsed().as_secs_f64());
    println!("xtask: {} passed, {} failed", PASSED.load(Ordering::Relaxed), FAILED.load(Ordering::Relaxed));
    Ok(())
}

/// `cargo xtask fuzz [--minutes N] [playground fuzz options…]`: the long fuzz, for whoever
/// changes a lab. The options go to `playground fuzz` as they are.
fn fuzz(options: &[String]) -> Result<(), String> {
    let mut args: Vec<&str> = vec!["run", "--release", "-q", "-p", "playground", "--", "fuzz"];
    args.extend(options.iter().map(String::as_str));
    run(Step::new("fuzz every lab", "cargo", &args))
}

/// `cargo xtask screenshots`: rebuilds the site and pictures every lab into
/// `docs/screenshots/`, full size and embedded, for the README.
fn screenshots() -> Result<(), String> {
    tools::ensure_for_test()?;
    run(Step::new("release build of the site", "trunk", &["build", "--release"]))?;
    run(Step::new(
        "screenshot every lab",
        "cargo",
        &["run", "--release", "-q", "-p", "playground-e2e", "--bin", "screenshots"],
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().cloned().unwrap_or_default();
    let result = match command.as_str() {
        "serve" => serve(),
        "test" => test(),
        "fuzz" => fuzz(&args[1..]),
        "install" => tools::ensure_for_test(),
        "screenshots" => screenshots(),
        _ => {
            eprintln!(
                "usage: cargo xtask serve | cargo xtask test | cargo xtask fuzz [--minutes N] | cargo xtask screenshots | cargo xtask install"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
