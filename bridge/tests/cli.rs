//! The `playground-bridge` binary as a person runs it: help, mistakes, and `--source ptp` on
//! a machine without a PTP clock, which must say so and fall back to the kernel clock.

mod common;

use common::*;
use playground_core::hardware_time::SourceKind;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BRIDGE: &str = env!("CARGO_BIN_EXE_playground-bridge");

#[test]
fn help_and_mistakes() {
    let help = Command::new(BRIDGE).arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("--source <auto|ptp|gpsd|system>") && text.contains("--allow-origin"), "{text}");
    assert!(text.contains("real clock hardware") && text.contains("ws://127.0.0.1:7374/"), "{text}");
    let short = Command::new(BRIDGE).arg("-h").output().unwrap();
    assert!(short.status.success());
    assert_eq!(String::from_utf8_lossy(&short.stdout), text, "-h and --help print the same help");

    let version = Command::new(BRIDGE).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(String::from_utf8_lossy(&version.stdout), format!("playground-bridge {}\n", env!("CARGO_PKG_VERSION")));

    let wrong = Command::new(BRIDGE).args(["--source", "sundial"]).output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    let why = String::from_utf8_lossy(&wrong.stderr);
    assert!(why.contains("--source \"sundial\": choose auto, ptp, gpsd or system"), "{why}");

    for (arguments, sentence) in [
        (&["--rate", "0"][..], "playground-bridge: --rate \"0\": give a whole number from 1 to 100\n"),
        (&["--port"][..], "playground-bridge: --port needs a port; see playground-bridge --help\n"),
        (&["--frobnicate"][..], "playground-bridge: unknown argument \"--frobnicate\"; see playground-bridge --help\n"),
    ] {
        let wrong = Command::new(BRIDGE).args(arguments).output().unwrap();
        assert_eq!(wrong.status.code(), Some(2), "{arguments:?}");
        assert_eq!(String::from_utf8_lossy(&wrong.stderr), sentence, "{arguments:?}");
        assert!(wrong.stdout.is_empty(), "{arguments:?}");
    }
}

/// Kills the child when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
/// It also closes the log pipe once it has the address, as a launcher that goes away would:
/// that once stopped every task that logged.
async fn a_missing_source_is_named_and_the_next_one_serves() {
    if std::path::Path::new("/dev/ptp0").exists() {
        eprintln!("this machine has /dev/ptp0; the fallback is not exercised here");
        return;
    }
    let mut child = Child(
        Command::new(BRIDGE)
            .args(["--source", "ptp", "--port", "0", "--gpsd", "127.0.0.1:1"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = BufReader::new(child.0.stderr.take().unwrap());
    let mut log = Vec::new();
    let mut address = None;
    for line in stderr.lines() {
        let line = line.unwrap();
        if let Some(at) = line.split("serving ws://").nth(1) {
            address = at.split('/').next().map(str::to_string);
            break;
        }
        log.push(line);
    }
    let log = log.join("\n");
    assert!(log.contains("no PTP hardware clock: /dev/ptp0 not found; trying gpsd"), "{log}");
    assert!(log.contains("gpsd is not running at 127.0.0.1:1"), "{log}");
    let address = address.expect("the bridge says where it serves").parse().unwrap();
    let mut client = connect(address, "http://localhost:8080").await.unwrap();
    assert_eq!(next_sample(&mut client).await.source, SourceKind::System);
}
