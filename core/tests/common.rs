//! Helpers shared by the integration tests.
#![allow(dead_code)]

use playground_core::fault::parse_script;
use playground_core::lab::{self, LabRun};
use playground_core::scenario::Scenario;
use playground_core::time::{Micros, MICROS_PER_SEC};

pub fn scenario(seed: u64, params: &[(&str, &str)], faults: &str) -> Scenario {
    scenario_for("network", seed, params, faults)
}

pub fn scenario_for(lab: &str, seed: u64, params: &[(&str, &str)], faults: &str) -> Scenario {
    let mut s = Scenario::new(lab, seed);
    for (k, v) in params {
        s.set_param(k, v);
    }
    s.faults = parse_script(faults).expect("test fault script parses");
    s
}

pub fn run_to(s: &Scenario, until: Micros) -> Box<dyn LabRun> {
    let mut run = lab::start(s).expect("test scenario starts");
    run.run_until(until);
    run
}

/// Runs and returns every event as a text line (the whole trace, not just the window).
pub fn text_trace(s: &Scenario, until: Micros) -> String {
    let mut run = lab::start(s).expect("test scenario starts");
    let names = run.names();
    let mut out = String::new();
    let mut seen = 0;
    loop {
        for event in run.trace().since(seen) {
            out.push_str(&run.event_text(event, &names));
            out.push('\n');
        }
        seen = run.trace().total();
        if run.next_time().is_none_or(|t| t > until) {
            break;
        }
        run.step();
    }
    out
}

pub fn secs(n: u64) -> Micros {
    n * MICROS_PER_SEC
}

pub fn counter(run: &dyn LabRun, name: &str) -> u64 {
    run.metrics().counter(name).unwrap_or_else(|| panic!("no counter `{name}`"))
}

pub fn holds(run: &dyn LabRun, name: &str) -> bool {
    run.verdicts().iter().find(|v| v.name == name).unwrap_or_else(|| panic!("no verdict `{name}`")).holds()
}
