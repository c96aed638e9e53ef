//! `cargo xtask screenshots`: every lab at a telling moment, at 1400×900 and embedded at
//! 720×460, written to `docs/screenshots/` for the README. The site is the release build in
//! `dist/`, served on loopback; headless Chromium takes each picture after the page has
//! replayed to the moment (virtual time, so a slow machine gets the same pictures).

use std::path::Path;
use std::process::{Command, ExitCode};

use playground_core::lab;
use playground_core::scenario::Scenario;
use playground_core::time::MICROS_PER_MS;
use playground_e2e::Site;

/// Each lab: a preset (or its defaults) and the moment to show, in milliseconds.
const SHOTS: [(&str, Option<&str>, u64); 10] = [
    ("network", None, 3_000),
    ("clocks", None, 3_000),
    ("raft", Some("Figure 8, committing old entries"), 2_500),
    ("paxos", None, 1_500),
    ("flp", None, 3_000),
    ("consistency", Some("Stale read after a partition (etcd's bug)"), 8_000),
    ("replication", Some("Async failover loses a write"), 8_000),
    ("partitioning", Some("Consistent hashing: a fifth node moves a fifth"), 8_000),
    ("transactions", Some("2PC: a coordinator crash blocks"), 4_500),
    ("failure", Some("Detectors: a GC pause phi tolerates and a fixed timeout does not"), 8_000),
];

fn scenario(lab_name: &str, preset: Option<&str>, at_ms: u64) -> Result<Scenario, String> {
    let info = lab::find(lab_name).ok_or_else(|| format!("there is no lab called {lab_name}"))?;
    let mut scenario = match preset {
        None => Scenario::new(lab_name, 1),
        Some(name) => info.preset(name)?,
    };
    scenario.at = at_ms * MICROS_PER_MS;
    Ok(scenario)
}

fn shoot(url: &str, size: &str, out: &Path) -> Result<(), String> {
    let status = Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--virtual-time-budget=20000",
            &format!("--window-size={size}"),
            &format!("--screenshot={}", out.display()),
            url,
        ])
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("chromium did not start ({e}); `cargo xtask install` installs it"))?;
    if status.success() && out.exists() {
        Ok(())
    } else {
        Err(format!("chromium could not take {}", out.display()))
    }
}

fn main() -> ExitCode {
    let folder = playground_e2e::root().join("docs/screenshots");
    if let Err(e) = std::fs::create_dir_all(&folder) {
        eprintln!("screenshots: cannot create {}: {e}", folder.display());
        return ExitCode::FAILURE;
    }
    let site = Site::serve(playground_e2e::dist());
    for (lab_name, preset, at_ms) in SHOTS {
        let result = scenario(lab_name, preset, at_ms).and_then(|s| {
            let url = format!("{}?s={}", site.base, s.encode());
            shoot(&url, "1400,900", &folder.join(format!("{lab_name}.png")))?;
            shoot(&format!("{url}&embed=1"), "720,460", &folder.join(format!("{lab_name}-embed.png")))
        });
        match result {
            Ok(()) => println!("screenshots: {lab_name} at {at_ms} ms"),
            Err(e) => {
                eprintln!("screenshots: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    // A guided tour, full and embedded.
    let tour = shoot(&format!("{}?tour=raft&step=2", site.base), "1400,900", &folder.join("tour.png")).and_then(|()| {
        shoot(&format!("{}?tour=network&step=4&embed=1", site.base), "720,460", &folder.join("tour-embed.png"))
    });
    if let Err(e) = tour {
        eprintln!("screenshots: {e}");
        return ExitCode::FAILURE;
    }
    println!("screenshots: written to {}", folder.display());
    ExitCode::SUCCESS
}
