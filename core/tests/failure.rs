//! The failure handling lab: phi accrual agrees with Akka's published test values (its
//! AccrualFailureDetectorSpec, through the exact signatures course pages use); each part keeps
//! its guarantees where it should over a seed sweep; each teaching variant is caught,
//! pointing at the event; phi tolerates a GC pause the fixed timeout does not.

mod common;

use common::{counter, run_to, scenario_for};
use playground_core::invariant::Status;
use playground_core::lab::LabRun;
use playground_core::labs::failure::{phi, Detector, FailureView, HeartbeatHistory, PhiAccrual, PRESETS};
use playground_core::labs::LabView;
use playground_core::time::MICROS_PER_SEC;

fn run(params: &[(&str, &str)], faults: &str, seed: u64, secs: u64) -> Box<dyn LabRun> {
    run_to(&scenario_for("failure", seed, params, faults), secs * MICROS_PER_SEC)
}

fn broken(run: &dyn LabRun) -> Vec<&'static str> {
    run.verdicts().iter().filter(|v| !v.holds()).map(|v| v.name).collect()
}

fn detail(run: &dyn LabRun, name: &str) -> String {
    match &run.verdicts().iter().find(|v| v.name == name).expect("verdict").status {
        Status::Violated { detail, .. } => detail.clone(),
        Status::Holds => String::new(),
    }
}

fn view(run: &dyn LabRun) -> FailureView {
    match run.lab_view() {
        LabView::Failure(view) => *view,
        _ => panic!("the failure lab draws its own view"),
    }
}

fn preset(name: &str, secs: u64) -> Box<dyn LabRun> {
    let p = PRESETS.iter().find(|p| p.name.starts_with(name)).unwrap_or_else(|| panic!("preset {name}"));
    run(p.params, p.faults, p.seed, secs)
}

fn cdf(phi: f64) -> f64 {
    1.0 - 10f64.powf(-phi)
}

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!((actual - expected).abs() <= tolerance, "{actual} is not {expected} ± {tolerance}");
}

/// Akka's spec, "use good enough cumulative distribution function" and "handle outliers".
#[test]
fn phi_matches_akkas_cumulative_distribution_checks() {
    close(cdf(phi(0.0, 0.0, 10.0)), 0.5, 0.001);
    close(cdf(phi(6.0, 0.0, 10.0)), 0.7257, 0.001);
    close(cdf(phi(15.0, 0.0, 10.0)), 0.9332, 0.001);
    close(cdf(phi(20.0, 0.0, 10.0)), 0.97725, 0.001);
    close(cdf(phi(25.0, 0.0, 10.0)), 0.99379, 0.001);
    close(cdf(phi(35.0, 0.0, 10.0)), 0.99977, 0.001);
    close(cdf(phi(40.0, 0.0, 10.0)), 0.99997, 0.0001);
    for x in 0..40 {
        assert!(phi(f64::from(x), 0.0, 10.0) < phi(f64::from(x + 1), 0.0, 10.0));
    }
    close(cdf(phi(22.0, 20.0, 3.0)), 0.7475, 0.001);
    close(phi(10.0, 0.0, 1.0), 38.0, 1.0);
    assert_eq!(phi(-25.0, 0.0, 1.0), 0.0);
}

/// Akka's spec, "return realistic phi values".
#[test]
fn phi_matches_akkas_realistic_values() {
    for (diff, expected) in
        [(0.0, 0.0), (500.0, 0.1), (1000.0, 0.3), (1200.0, 1.6), (1400.0, 4.7), (1600.0, 10.8), (1700.0, 15.3)]
    {
        close(phi(diff, 1000.0, 100.0), expected, 0.1);
    }
    assert!(phi(1100.0, 1000.0, 500.0) < phi(1100.0, 1000.0, 100.0));
}

/// Akka's detector tests, with its spec's defaults (threshold 8, 1000 samples, a 100 ms
/// minimum standard deviation, no acceptable pause, a 1 s first estimate) and its fake clock
/// turned into explicit times.
fn akka(threshold: f64, max: usize, pause_ms: f64) -> PhiAccrual {
    PhiAccrual::new(threshold, max, 100.0, pause_ms, 1000.0)
}

#[test]
fn the_detector_matches_akkas_spec() {
    // No heartbeat yet: phi is 0.
    assert_eq!(akka(8.0, 1000, 0.0).phi(0.0), 0.0);
    // One heartbeat: phi from the first estimate.
    let mut d = akka(8.0, 1000, 0.0);
    d.heartbeat(0.0);
    close(d.phi(1000.0), 0.3, 0.2);
    close(d.phi(2000.0), 4.5, 0.3);
    assert!(d.phi(3000.0) > 15.0);
    // Marked dead when heartbeats stop (threshold 3): beats at 0, 1000, 1100.
    let mut d = akka(3.0, 1000, 0.0);
    for t in [0.0, 1000.0, 1100.0] {
        d.heartbeat(t);
    }
    assert!(d.is_available(1200.0));
    assert!(!d.is_available(8200.0));
    // Some missing heartbeats are accepted (acceptable pause 3 s).
    let mut d = akka(8.0, 1000, 3000.0);
    for t in [0.0, 1000.0, 2000.0, 3000.0] {
        d.heartbeat(t);
    }
    assert!(d.is_available(7000.0));
    d.heartbeat(7000.0);
    assert!(d.is_available(8000.0));
    // ... but not too many.
    let mut d = akka(8.0, 1000, 3000.0);
    for t in [0.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0] {
        d.heartbeat(t);
    }
    assert!(d.is_available(5500.0));
    d.heartbeat(6000.0);
    assert!(!d.is_available(11_000.0));
    // Only the last max-sample-size intervals count; the gap before the first 500 ms
    // interval is not recorded (the process was unavailable then).
    let mut d = akka(8.0, 3, 0.0);
    for t in [0.0, 100.0, 200.0, 300.0] {
        d.heartbeat(t);
    }
    let phi1 = d.phi(400.0);
    for t in [1000.0, 1500.0, 2000.0, 2500.0] {
        d.heartbeat(t);
    }
    close(d.phi(3000.0), phi1, 0.001);
    // Available again after a long pause, and the pause does not skew the statistics.
    let mut d = akka(8.0, 1000, 3000.0);
    let mut t = 0.0;
    d.heartbeat(t);
    for _ in 1..1000 {
        t += 1000.0;
        d.heartbeat(t);
    }
    t += 5.0 * 60.0 * 1000.0;
    assert!(!d.is_available(t));
    d.heartbeat(t);
    assert!(d.is_available(t + 100.0));
    d.heartbeat(t + 100.0);
    assert!(!d.is_available(t + 100.0 + 900.0 + 100.0 + 7000.0));
}

/// Akka's spec, "Statistics for heartbeats".
#[test]
fn heartbeat_history_statistics_match_akkas() {
    let mut h = HeartbeatHistory::new(20);
    for x in [100.0, 200.0, 125.0, 340.0, 130.0] {
        h.push(x);
    }
    close(h.mean(), 179.0, 0.00001);
    close(h.variance(), 7584.0, 0.00001);
    let mut one = HeartbeatHistory::new(600);
    one.push(1000.0);
    close(one.variance(), 0.0, 0.00001);
    let mut capped = HeartbeatHistory::new(3);
    for x in [100.0, 110.0, 90.0] {
        capped.push(x);
    }
    close(capped.mean(), 100.0, 0.00001);
    close(capped.variance(), 66.6666667, 0.00001);
    capped.push(140.0);
    close(capped.mean(), 113.333333, 0.00001);
    close(capped.variance(), 422.222222, 0.00001);
    capped.push(80.0);
    close(capped.mean(), 103.333333, 0.00001);
    close(capped.variance(), 688.88888889, 0.00001);
}

#[test]
fn phi_tolerates_a_gc_pause_that_the_fixed_timeout_does_not() {
    let r = preset("Detectors: a GC pause", 30);
    assert!(broken(&*r).is_empty());
    assert!(counter(&*r, "GC pauses") > 10);
    assert!(counter(&*r, "fixed: false suspicions") > 10);
    assert_eq!(counter(&*r, "phi: false suspicions"), 0);
    let v = view(&*r);
    assert!(v.processes.iter().all(|p| !p.phi.is_empty() && !p.beats.is_empty()));
}

#[test]
fn crashes_are_detected_and_the_curve_is_measured() {
    let r = preset("Detectors: crashes", 60);
    assert!(broken(&*r).is_empty(), "{:?}", r.verdicts());
    assert_eq!(counter(&*r, "crashes"), 4);
    let m = r.metrics();
    for name in ["phi: detection time", "fixed: detection time"] {
        let h = m.histogram(name).expect("histogram");
        assert_eq!(h.count(), 4, "{name}");
        assert!(h.max() < 3 * MICROS_PER_SEC, "{name}: {}", h.max());
    }
    let v = view(&*r);
    assert_eq!(v.curve.len(), 18, "nine settings per detector");
    for detector in [Detector::Phi, Detector::Fixed] {
        let points: Vec<_> = v.curve.iter().filter(|c| c.detector == detector && !c.current).collect();
        assert!(points.iter().all(|c| c.detected == 4), "{detector:?}: every setting detects every crash");
        // A higher threshold or longer timeout detects later and suspects falsely no more often.
        for pair in points.windows(2) {
            assert!(pair[0].detection_ms <= pair[1].detection_ms, "{pair:?}");
            assert!(pair[0].false_per_hour >= pair[1].false_per_hour, "{pair:?}");
        }
    }
    // A crashed process nobody watches (the monitor is down) is caught as undetected.
    let blind = run(&[], "2s crash m1; 3s crash p1", 1, 15);
    assert_eq!(broken(&*blind), ["crashes are detected"]);
    assert!(detail(&*blind, "crashes are detected").contains("p1 crashed at 3.0s"));
}

#[test]
fn fencing_tokens_refuse_the_paused_holder_and_their_absence_is_caught() {
    let fenced = preset("Fencing: a GC pause past the lease, with tokens", 12);
    assert!(broken(&*fenced).is_empty());
    assert!(counter(&*fenced, "stale writes refused") >= 1);
    let open = preset("Fencing: the same pause without tokens", 12);
    assert_eq!(broken(&*open), ["no stale lease holder's write"]);
    assert!(detail(&*open, "no stale lease holder's write").contains("storage accepted c1's write"));
    assert!(view(&*open).writes.iter().any(|w| w.stale && w.accepted));

    let slow = preset("Leases: a slow clock", 12);
    assert_eq!(broken(&*slow), ["no stale lease holder's write"]);
    let margin = preset("Leases: a margin covers", 12);
    assert!(broken(&*margin).is_empty());
    let v = view(&*margin);
    assert!(v.leases.iter().filter_map(|l| l.believed_until.map(|b| (b, l.until))).all(|(b, u)| b <= u));
}

#[test]
fn split_brain_is_caught_without_a_quorum_and_prevented_with_one() {
    let none = preset("Split brain without a quorum", 12);
    assert!(broken(&*none).contains(&"no write acknowledged by a deposed leader"));
    assert!(detail(&*none, "no write acknowledged by a deposed leader").contains("n1 acknowledged c1's"));
    let quorum = preset("Split brain: a majority quorum", 12);
    assert!(broken(&*quorum).is_empty(), "{:?}", quorum.verdicts());
    assert!(counter(&*quorum, "writes acknowledged") > 100);
    let twins = preset("Split brain: two leaders", 12);
    assert!(broken(&*twins).contains(&"one leader per epoch"));
    for seed in 1..=6 {
        let r = run(
            &[("part", "split-brain"), ("loss", "3")],
            "3s partition n1,c1 | n2,n3,c2; 5s heal; 7s crash n2; 8s restart n2",
            seed,
            12,
        );
        assert!(broken(&*r).is_empty(), "seed {seed}: {:?}", r.verdicts());
    }
}

#[test]
fn idempotency_keys_make_retries_safe() {
    let keyless = preset("Retries charge twice", 15);
    assert_eq!(broken(&*keyless), ["each charge takes effect once"]);
    assert!(counter(&*keyless, "double charges") > 0);
    let keyed = preset("Idempotency keys", 15);
    assert!(broken(&*keyed).is_empty());
    assert!(counter(&*keyed, "retries answered from their key") > 0);
    assert_eq!(counter(&*keyed, "double charges"), 0);
    let storm = preset("A retry storm", 8);
    assert!(counter(&*storm, "retries received") > 0);
    assert!(view(&*storm).load.is_some());
}

#[test]
fn the_defaults_hold_over_seeds_for_every_part() {
    for part in ["detectors", "fencing", "split-brain", "idempotency"] {
        for seed in 1..=5 {
            let r = run(&[("part", part)], "", seed, 12);
            assert!(broken(&*r).is_empty(), "{part} seed {seed}: {:?}", r.verdicts());
        }
    }
    for p in PRESETS {
        assert!(run(p.params, p.faults, p.seed, 1).now() > 0, "{}", p.name);
    }
}

/// The correct variants survive what a review found could break them: a paused leader whose
/// heartbeat answers arrive late, duplicated votes among five replicas, a single replica,
/// lost fence messages and a paused store.
#[test]
fn the_correct_variants_survive_pauses_duplicates_and_loss() {
    for seed in 1..=4 {
        let cases: [(&[(&str, &str)], &str); 5] = [
            (&[("part", "split-brain")], "3s pause n1 450ms; 6s pause n1 400ms"),
            (
                &[("part", "split-brain"), ("replicas", "5"), ("dup", "20")],
                "3s partition n1,c1 | n2,n3,n4,n5,c2; 6s heal",
            ),
            (&[("part", "fencing"), ("loss", "10")], ""),
            (&[("part", "fencing")], "3s pause store 2s"),
            (&[("part", "detectors"), ("dup", "20")], "2s crash m1; 3s restart m1; 5s crash p2; 6s restart p2"),
        ];
        for (params, faults) in cases {
            let r = run(params, faults, seed, 12);
            assert!(broken(&*r).is_empty(), "{params:?} {faults} seed {seed}: {:?}", r.verdicts());
        }
        let single = run(&[("part", "split-brain"), ("replicas", "1")], "", seed, 6);
        assert!(counter(&*single, "writes acknowledged") > 50, "a lone replica is its own majority");
    }
}
