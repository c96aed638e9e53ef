//! FLP: the adversary keeps deterministic Ben-Or undecided; a coin, or timeouts once the
//! network stabilizes, end the game; agreement holds throughout; the manual scheduler
//! delivers exactly what it is told.

mod common;

use common::{run_to as run, secs};
use playground_core::fault::{Fault, FaultAction};
use playground_core::lab::LabRun;
use playground_core::rng::Rng;
use playground_core::scenario::Scenario;
use playground_core::time::MICROS_PER_MS;

fn flp(seed: u64, params: &[(&str, &str)]) -> Scenario {
    let mut s = Scenario::new("flp", seed);
    for (k, v) in params {
        s.set_param(k, v);
    }
    s
}

fn decided(r: &dyn LabRun) -> u64 {
    r.metrics().counter("decided processes").unwrap()
}

#[test]
fn the_adversary_keeps_the_deterministic_protocol_undecided() {
    for processes in ["3", "5", "7"] {
        let r = run(&flp(1, &[("processes", processes), ("gst_ms", "0")]), secs(10));
        assert_eq!(decided(r.as_ref()), 0, "{processes} processes");
        assert!(r.metrics().counter("highest round").unwrap() > 20, "it keeps going round after round");
    }
}

#[test]
fn randomization_or_timeouts_after_stabilization_end_it() {
    for seed in 0..10 {
        let coin = run(&flp(seed, &[("variant", "randomized"), ("gst_ms", "0")]), secs(10));
        assert_eq!(decided(coin.as_ref()), 3, "seed {seed}: the coin ends the game");
        let patient = run(&flp(seed, &[("variant", "timeouts"), ("gst_ms", "0")]), secs(10));
        assert_eq!(decided(patient.as_ref()), 0, "seed {seed}: without stabilization the adversary outwaits timeouts");
        let stable = run(&flp(seed, &[("variant", "timeouts"), ("gst_ms", "2000")]), secs(10));
        assert_eq!(decided(stable.as_ref()), 3, "seed {seed}: timeouts decide once the network is timely");
    }
}

#[test]
fn agreement_and_validity_hold_whatever_the_schedule() {
    for seed in 0..300u64 {
        let mut rng = Rng::seeded(seed ^ 0xF1F);
        let processes = ["3", "5", "7"][rng.below(3) as usize];
        let variant = ["deterministic", "randomized", "timeouts"][rng.below(3) as usize];
        let adversary = ["auto", "network"][rng.below(2) as usize];
        let inputs = ["mixed", "all-0", "all-1"][rng.below(3) as usize];
        let gst = (rng.below(4) * 1000).to_string();
        let mut s = flp(
            seed,
            &[
                ("processes", processes),
                ("variant", variant),
                ("adversary", adversary),
                ("inputs", inputs),
                ("gst_ms", &gst),
            ],
        );
        s.faults.push(Fault { at: rng.below(500) * MICROS_PER_MS, action: FaultAction::Crash("p1".into()) });
        let r = run(&s, secs(6));
        for v in r.verdicts() {
            assert!(v.holds(), "seed {seed}: {} violated: {:?}", v.name, v.status);
        }
        if inputs != "mixed" && decided(r.as_ref()) > 0 {
            let value = if inputs == "all-0" { "decided 0" } else { "decided 1" };
            assert!(r
                .view()
                .nodes
                .iter()
                .filter_map(|n| n.detail.get(1))
                .all(|d| d == "undecided" || d.starts_with(value)));
        }
    }
}

#[test]
fn the_manual_scheduler_delivers_only_what_it_is_told() {
    let idle = run(&flp(1, &[("adversary", "manual")]), secs(1));
    assert_eq!(idle.metrics().counter("delivered"), Some(0));
    assert_eq!(idle.held(usize::MAX).len(), 6, "three processes, each reporting to two others");
    let mut s = flp(1, &[("adversary", "manual")]);
    s.faults = playground_core::fault::parse_script("10ms deliver #1; 20ms deliver #4; 30ms deliver #99").unwrap();
    let r = run(&s, secs(1));
    assert_eq!(r.metrics().counter("delivered"), Some(2));
    assert!(r.held(usize::MAX).iter().all(|h| h.msg != 1 && h.msg != 4));
}
