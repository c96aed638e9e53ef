//! The Clocks lab: seed sweeps with random skew, drift and faults keep every guarantee;
//! breaking commit-wait or understating ε is caught; runs replay exactly.

mod common;

use common::{run_to as run, secs};
use playground_core::fault::{Fault, FaultAction};
use playground_core::lab::LabRun;
use playground_core::rng::Rng;
use playground_core::scenario::Scenario;
use playground_core::time::MICROS_PER_MS;

fn clocks(seed: u64, params: &[(&str, String)]) -> Scenario {
    let mut s = Scenario::new("clocks", seed);
    for (k, v) in params {
        s.set_param(k, v);
    }
    s
}

fn violated(run: &dyn LabRun) -> Vec<&'static str> {
    run.verdicts().iter().filter(|v| !v.holds()).map(|v| v.name).collect()
}

#[test]
fn every_guarantee_holds_over_random_clocks_and_faults() {
    let seeds = std::env::var("SWEEP_SEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(150u64);
    for seed in 0..seeds {
        let mut rng = Rng::seeded(seed ^ 0xC10C);
        let processes = rng.between(2, 8);
        let drift = rng.below(200);
        let params = vec![
            ("processes", processes.to_string()),
            ("max_skew_ms", rng.below(200).to_string()),
            ("max_drift_ppm", drift.to_string()),
            ("assumed_drift_ppm", (drift + rng.below(100)).to_string()),
            ("sync_ms", rng.between(0, 5_000).to_string()),
            ("ntp_region", rng.below(3).to_string()),
            ("jitter", rng.below(100).to_string()),
            ("events", rng.between(1, 40).to_string()),
            ("txn_rate", rng.between(0, 20).to_string()),
        ];
        let mut s = clocks(seed, &params);
        let name = |rng: &mut Rng| format!("p{}", rng.between(1, processes));
        for _ in 0..rng.below(6) {
            let at = rng.below(8_000) * MICROS_PER_MS;
            let action = match rng.below(4) {
                0 => FaultAction::Crash(name(&mut rng)),
                1 => FaultAction::Restart(name(&mut rng)),
                2 => FaultAction::Partition(vec![vec![name(&mut rng), "ntp".into()]]),
                _ => FaultAction::Pause { node: name(&mut rng), span: rng.between(10, 1_000) * MICROS_PER_MS },
            };
            s.faults.push(Fault { at, action });
        }
        s.faults.sort_by_key(|f| f.at);
        let r = run(&s, secs(10));
        assert!(
            violated(r.as_ref()).is_empty(),
            "seed {seed}: {:?} violated\n{:?}\n{:?}",
            violated(r.as_ref()),
            s.params,
            r.verdicts()
        );
    }
}

#[test]
fn commit_wait_off_breaks_external_consistency() {
    let on = run(&clocks(1, &[]), secs(30));
    assert!(violated(on.as_ref()).is_empty());
    let off = run(&clocks(1, &[("commit_wait", "off".into())]), secs(30));
    assert_eq!(violated(off.as_ref()), ["external-consistency"]);
}

#[test]
fn understating_epsilon_is_caught() {
    let r = run(&clocks(2, &[("epsilon_pct", "20".into())]), secs(30));
    assert!(violated(r.as_ref()).contains(&"truetime-interval"));
    let drifty = run(
        &clocks(3, &[("max_drift_ppm", "900".into()), ("assumed_drift_ppm", "100".into()), ("sync_ms", "0".into())]),
        secs(60),
    );
    assert!(violated(drifty.as_ref()).contains(&"truetime-interval"));
}

/// The hardware panel's "Use in the simulation" sets `epsilon_floor_us` mid-run through the
/// fault script: commit-wait then lasts about 2ε, every guarantee still holds (a wider
/// interval is never wrong), and the run replays.
#[test]
fn a_real_clocks_epsilon_lengthens_commit_wait_and_keeps_every_guarantee() {
    let wait = |r: &dyn LabRun| r.metrics().counter("mean commit-wait").unwrap();
    let model = run(&clocks(5, &[]), secs(30));
    let mut hardware = clocks(5, &[]);
    hardware.faults.push(Fault {
        at: secs(1),
        action: FaultAction::Set { key: "epsilon_floor_us".into(), value: "500000".into() },
    });
    let floored = run(&hardware, secs(30));
    assert!(violated(floored.as_ref()).is_empty(), "{:?}", violated(floored.as_ref()));
    assert!(wait(model.as_ref()) < 100_000, "the model's ε is tens of ms: {}", wait(model.as_ref()));
    assert!(wait(floored.as_ref()) > 800_000, "about 2 × 500 ms after the floor: {}", wait(floored.as_ref()));
    assert_eq!(floored.trace().digest(), run(&hardware, secs(30)).trace().digest());
}

#[test]
fn ntp_shrinks_skew_but_never_removes_it() {
    let unsynced = run(&clocks(4, &[("sync_ms", "0".into()), ("max_skew_ms", "100".into())]), secs(20));
    let synced = run(&clocks(4, &[("sync_ms", "500".into()), ("max_skew_ms", "100".into())]), secs(20));
    let error = |r: &dyn LabRun| r.metrics().counter("largest clock error now").unwrap();
    assert!(
        error(synced.as_ref()) * 5 < error(unsynced.as_ref()),
        "{} vs {}",
        error(synced.as_ref()),
        error(unsynced.as_ref())
    );
    assert!(error(synced.as_ref()) > 0, "asymmetry leaves some skew");
}

#[test]
fn vector_clocks_cost_bytes_per_process() {
    let small = run(&clocks(5, &[("processes", "2".into())]), secs(10)).lab_view().into_space_time().unwrap();
    let large = run(&clocks(5, &[("processes", "8".into())]), secs(10)).lab_view().into_space_time().unwrap();
    let row = |st: &playground_core::labs::clocks::SpaceTime, name: &str| {
        st.kinds.iter().find(|k| k.name == name).unwrap().milli_bytes_per_message
    };
    assert!(row(&large, "Vector") > 2 * row(&small, "Vector"));
    let lamport_growth = row(&large, "Lamport").abs_diff(row(&small, "Lamport"));
    assert!(lamport_growth < 2_000, "a Lamport stamp stays a few bytes");
    assert!(large.kinds.iter().find(|k| k.name == "Vector").unwrap().bytes_at_n[2].1 >= 64);
}

#[test]
fn the_diagram_knows_happened_before_and_concurrency() {
    let st = run(&clocks(6, &[("send", "80".into())]), secs(5)).lab_view().into_space_time().unwrap();
    let events = &st.events;
    let (mut before, mut concurrent) = (0, 0);
    for a in events.iter().take(60) {
        for b in events.iter().take(60) {
            if a.happened_before(b) {
                before += 1;
                assert!(a.stamps.lamport < b.stamps.lamport);
            } else if !b.happened_before(a) && (a.node, a.index) != (b.node, b.index) {
                concurrent += 1;
            }
        }
    }
    assert!(before > 0 && concurrent > 0, "{before} ordered pairs, {concurrent} concurrent");
}

#[test]
fn replays_bit_for_bit() {
    let s = clocks(7, &[("txn_rate", "10".into())]);
    assert_eq!(run(&s, secs(10)).trace().digest(), run(&s, secs(10)).trace().digest());
    assert_ne!(
        run(&s, secs(10)).trace().digest(),
        run(&clocks(8, &[("txn_rate", "10".into())]), secs(10)).trace().digest()
    );
}

#[test]
fn a_scripted_workload_gives_hand_checkable_clocks() {
    let mut s = clocks(
        1,
        &[("processes", "3".into()), ("events", "1".into()), ("sync_ms", "0".into()), ("txn_rate", "0".into())],
    );
    // Random events are rare at 1/s; within the first 20 ms only the script acts.
    s.faults =
        playground_core::fault::parse_script("1ms do p1 local; 2ms do p1 send p2; 5ms do p2 send p3; 9ms do p3 local")
            .unwrap();
    let r = run(&s, 12 * MICROS_PER_MS);
    let st = r.lab_view().into_space_time().unwrap();
    let stamp = |node: u16, index: u32| {
        let e = st.events.iter().find(|e| e.node == node && e.index == index).unwrap();
        (e.stamps.lamport, e.stamps.vector.clone())
    };
    assert_eq!(stamp(0, 0), (1, vec![1, 0, 0]));
    assert_eq!(stamp(0, 1), (2, vec![2, 0, 0]));
    assert_eq!(stamp(1, 0), (3, vec![2, 1, 0]), "p2 receives p1's send");
    assert_eq!(stamp(1, 1), (4, vec![2, 2, 0]));
    assert_eq!(stamp(2, 0), (5, vec![2, 2, 1]), "p3 receives p2's send");
    assert_eq!(stamp(2, 1), (6, vec![2, 2, 2]));
}
