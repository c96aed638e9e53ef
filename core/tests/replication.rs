//! The replication lab: each family's defaults keep every promise over a seed sweep, each
//! teaching variant and each fault a promise cannot survive is caught (pointing at the event
//! that broke it), and the fixes hold under the same faults.

mod common;

use common::{run_to, scenario_for};
use playground_core::invariant::Status;
use playground_core::lab::{self, LabRun};
use playground_core::labs::replication::PRESETS;
use playground_core::scenario::Scenario;
use playground_core::time::MICROS_PER_SEC;

fn run(params: &[(&str, &str)], faults: &str, seed: u64, secs: u64) -> Box<dyn LabRun> {
    run_to(&scenario_for("replication", seed, params, faults), secs * MICROS_PER_SEC)
}

fn broken(run: &dyn LabRun) -> Vec<&'static str> {
    run.verdicts().iter().filter(|v| !v.holds()).map(|v| v.name).collect()
}

fn preset(name: &str) -> &'static playground_core::lab::Preset {
    PRESETS.iter().find(|p| p.name.starts_with(name)).expect("preset")
}

fn preset_params(name: &str) -> (Vec<(&'static str, &'static str)>, &'static str) {
    let p = preset(name);
    (p.params.to_vec(), p.faults)
}

/// The trace text of the event `verdict` points at, read while it is still in the trace's
/// window: the run goes on in 10 ms slices until the verdict breaks.
fn culprit(params: &[(&str, &str)], faults: &str, seed: u64, verdict: &str) -> String {
    let mut run = run(params, faults, seed, 0);
    for slice in 1..=2_000 {
        run.run_until(slice * 10_000);
        let v = run.verdicts().iter().find(|v| v.name == verdict).expect("verdict");
        if let Status::Violated { event, .. } = &v.status {
            let names = run.names();
            let e = run.trace().get(*event).expect("the event is in the trace window");
            return run.event_text(e, &names);
        }
    }
    panic!("{verdict} held for 20 s")
}

const FAMILIES: [&[(&str, &str)]; 6] = [
    &[],
    &[("family", "multi-leader")],
    &[("family", "multi-leader"), ("conflicts", "g-counter")],
    &[("family", "multi-leader"), ("conflicts", "pn-counter")],
    &[("family", "multi-leader"), ("conflicts", "or-set")],
    &[("family", "leaderless")],
];

#[test]
fn every_family_keeps_its_promises_over_a_seed_sweep() {
    for params in FAMILIES {
        for seed in 1..=6 {
            let r = run(params, "", seed, 14);
            assert!(broken(&*r).is_empty(), "{params:?} seed {seed}: {:?}", broken(&*r));
            let ok = r.metrics().counter("operations ok").unwrap();
            assert!(ok > 200, "{params:?} seed {seed}: the workload ran ({ok} operations)");
        }
    }
}

#[test]
fn the_promises_hold_under_loss_and_a_follower_crash() {
    let faults = "2s crash s3; 4s restart s3";
    for sync in ["sync", "semi-sync"] {
        for seed in 1..=4 {
            let r = run(&[("sync", sync), ("loss", "2")], faults, seed, 14);
            assert!(broken(&*r).is_empty(), "{sync} seed {seed}: {:?}", broken(&*r));
        }
    }
    for seed in 1..=4 {
        let r = run(&[("family", "leaderless"), ("loss", "2")], "2s crash n2; 4s restart n2", seed, 14);
        assert!(broken(&*r).is_empty(), "leaderless seed {seed}: {:?}", broken(&*r));
    }
}

#[test]
fn async_failover_loses_an_acknowledged_write_and_names_the_failover() {
    let (mut params, faults) = preset_params("Async failover");
    let mut caught = 0;
    for seed in 1..=10 {
        let r = run(&params, faults, seed, 8);
        if broken(&*r).contains(&"acknowledged writes survive") {
            caught += 1;
            let v = r.verdicts().iter().find(|v| v.name == "acknowledged writes survive").unwrap();
            let Status::Violated { detail, .. } = &v.status else { unreachable!() };
            assert!(detail.contains("the failover at") && detail.contains("epoch 2"), "{detail}");
            assert!(culprit(&params, faults, seed, v.name).contains("leads epoch 2"), "points at the promotion");
            assert!(r.metrics().counter("acknowledged writes lost").unwrap() > 0);
        }
    }
    assert!(caught >= 8, "async failover lost a write in {caught} of 10 seeds");
    // The same crash with synchronous replication loses nothing, on every seed.
    params.retain(|(k, _)| *k != "sync");
    params.push(("sync", "sync"));
    for seed in 1..=10 {
        let r = run(&params, faults, seed, 8);
        assert!(broken(&*r).is_empty(), "sync seed {seed}: {:?}", broken(&*r));
        assert_eq!(r.metrics().counter("failovers"), Some(1), "seed {seed}: the monitor failed over");
    }
}

#[test]
fn promoting_any_follower_can_lose_writes_that_semi_sync_kept() {
    let faults = "0s cut s1-s2; 3s crash s1";
    let params = |promote| vec![("sync", "semi-sync"), ("replicas", "4"), ("promote", promote), ("think_ms", "20")];
    let mut caught = 0;
    for seed in 1..=20 {
        let safe = run(&params("most-up-to-date"), faults, seed, 7);
        assert!(broken(&*safe).is_empty(), "most up to date, seed {seed}: {:?}", broken(&*safe));
        caught += usize::from(!broken(&*run(&params("any"), faults, seed, 7)).is_empty());
    }
    assert!(caught >= 3, "promoting any follower lost writes in only {caught} of 20 seeds");
}

#[test]
fn split_brain_loses_writes_and_a_lease_fences_the_old_leader() {
    let (mut params, faults) = preset_params("Split brain");
    for seed in 1..=5 {
        let r = run(&params, faults, seed, 10);
        assert!(broken(&*r).contains(&"acknowledged writes survive"), "seed {seed}");
    }
    for seed in 1..=5 {
        let r = run(&params, faults, seed, 10);
        assert!(r.metrics().counter("acknowledged by a deposed leader").unwrap() > 0, "seed {seed}");
    }
    params.push(("lease", "on"));
    for seed in 1..=5 {
        let r = run(&params, faults, seed, 10);
        // The lease fences the old leader; the asynchronous batch it had not shipped is still lost.
        assert_eq!(r.metrics().counter("acknowledged by a deposed leader"), Some(0), "with a lease, seed {seed}");
    }
}

#[test]
fn follower_reads_break_read_your_writes_and_the_fixes_restore_it() {
    let (params, faults) = preset_params("Reading from followers");
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut p = params.clone();
        p.extend_from_slice(extra);
        p
    };
    for seed in 1..=5 {
        let r = run(&params, faults, seed, 10);
        assert!(broken(&*r).contains(&"read-your-writes"), "seed {seed}: {:?}", broken(&*r));
        let text = culprit(&params, faults, seed, "read-your-writes");
        assert!(text.contains("value"), "points at the read's completion: {text}");
        let fixed = run(&with(&[("ryw_ms", "2000")]), faults, seed, 10);
        assert!(!broken(&*fixed).contains(&"read-your-writes"), "reading from the leader after a write, seed {seed}");
        let sticky = run(&with(&[("read_from", "sticky")]), faults, seed, 10);
        assert!(!broken(&*sticky).contains(&"monotonic-reads"), "sticky reads, seed {seed}");
    }
}

#[test]
fn last_writer_wins_under_skew_drops_a_later_write() {
    let (params, faults) = preset_params("LWW under clock skew");
    for seed in 1..=5 {
        let r = run(&params, faults, seed, 10);
        let b = broken(&*r);
        assert!(b.contains(&"later write wins") && b.contains(&"no lost update"), "seed {seed}: {b:?}");
        assert!(!b.contains(&"strong eventual consistency"), "LWW still converges");
        assert!(culprit(&params, faults, seed, "later write wins").contains("dropped"));
        assert!(r.metrics().counter("later writes dropped").unwrap() > 0);
    }
    // Without skew, no write made later is dropped (concurrent writes still are).
    let unskewed: Vec<_> = params.iter().copied().filter(|(k, _)| *k != "skew_ms").collect();
    for seed in 1..=5 {
        let r = run(&unskewed, faults, seed, 10);
        assert!(!broken(&*r).contains(&"later write wins"), "seed {seed}");
    }
}

#[test]
fn siblings_keep_every_concurrent_write() {
    let (params, faults) = preset_params("Siblings keep");
    for seed in 1..=5 {
        let r = run(&params, faults, seed, 12);
        assert!(broken(&*r).is_empty(), "seed {seed}: {:?}", broken(&*r));
        assert!(r.metrics().counter("conflicts kept").unwrap() > 0, "seed {seed}: the partition made siblings");
    }
}

#[test]
fn the_naive_counter_loses_increments_and_the_g_counter_does_not() {
    for seed in 1..=5 {
        let naive = run(&[("family", "multi-leader"), ("conflicts", "naive-counter")], "", seed, 8);
        assert!(broken(&*naive).contains(&"no increment lost"), "seed {seed}");
        let naive_params = [("family", "multi-leader"), ("conflicts", "naive-counter")];
        assert!(culprit(&naive_params, "", seed, "no increment lost").contains("merged"));
        let crdt = run(
            &[("family", "multi-leader"), ("conflicts", "g-counter")],
            "2s partition dc1,c1 | dc2,dc3,c2,c3; 4s heal",
            seed,
            8,
        );
        assert!(broken(&*crdt).is_empty(), "seed {seed}: {:?}", broken(&*crdt));
    }
}

#[test]
fn small_quorums_and_sloppy_quorums_read_stale_values() {
    for name in ["R = W = 1", "Sloppy quorum"] {
        let (params, faults) = preset_params(name);
        let caught = (1..=6).filter(|&seed| broken(&*run(&params, faults, seed, 10)).contains(&"fresh reads")).count();
        assert!(caught >= 3, "{name}: caught in {caught} of 6 seeds");
        let seed = preset(name).seed;
        let text = culprit(&params, faults, seed, "fresh reads");
        assert!(text.contains("value"), "{name}: points at the stale read's completion: {text}");
    }
    // The same faults with a strict quorum: writes that cannot reach W fail, and no read is stale.
    let (params, faults) = preset_params("Sloppy quorum");
    let strict: Vec<_> = params.iter().copied().filter(|(k, _)| *k != "sloppy").collect();
    for seed in 1..=6 {
        let r = run(&strict, faults, seed, 10);
        assert!(!broken(&*r).contains(&"fresh reads"), "strict quorum, seed {seed}");
    }
}

#[test]
fn merkle_anti_entropy_repairs_a_replica_that_was_down_sending_few_hashes() {
    let (params, faults) = preset_params("Merkle repair");
    for seed in 1..=3 {
        let r = run(&params, faults, seed, 14);
        assert!(broken(&*r).is_empty(), "seed {seed}: {:?}", broken(&*r));
        let m = r.metrics();
        let (hashes, keys) = (m.counter("Merkle hashes sent").unwrap(), m.counter("keys exchanged").unwrap());
        assert!(keys > 0, "seed {seed}: the returning replica got keys by anti-entropy");
        assert!(hashes > 0);
    }
    // Without anti-entropy or read repair, the replica that was down stays behind.
    let off: Vec<_> =
        params.iter().copied().filter(|(k, _)| *k != "anti_entropy_ms").chain([("anti_entropy_ms", "0")]).collect();
    let diverged = (1..=3).filter(|&seed| broken(&*run(&off, faults, seed, 14)).contains(&"convergent")).count();
    assert!(diverged >= 2, "without repair the replicas stayed apart in {diverged} of 3 seeds");
}

#[test]
fn every_preset_starts_and_replays_bit_for_bit() {
    for p in PRESETS {
        let scenario = p.scenario("replication").expect("preset scenario");
        let mut a = lab::start(&scenario).expect(p.name);
        let mut b = lab::start(&scenario).expect(p.name);
        a.run_until(5 * MICROS_PER_SEC);
        b.run_until(5 * MICROS_PER_SEC);
        assert_eq!(a.trace().digest(), b.trace().digest(), "{}", p.name);
        assert!(a.processed() > 100, "{}", p.name);
    }
}

#[test]
fn bad_commands_are_refused_with_a_sentence() {
    let mut s = Scenario::new("replication", 1);
    s.faults = playground_core::fault::parse_script("1s do c1 write q").unwrap();
    let e = lab::start(&s).err().expect("refused").to_string();
    assert!(e.contains("no key `q`"), "{e}");
    s.faults = playground_core::fault::parse_script("1s do m1 elect").unwrap();
    let e = lab::start(&s).err().expect("refused").to_string();
    assert!(e.contains("failover"), "{e}");
    s.faults = playground_core::fault::parse_script("1s do m1 failover; 2s do c1 write x").unwrap();
    let r = lab::start(&s).map(|mut r| {
        r.run_until(3 * MICROS_PER_SEC);
        r
    });
    assert!(r.is_ok());
}

#[test]
fn vector_clocks_keep_concurrent_leaderless_writes_as_siblings() {
    let faults = "2s partition n1,c1,c2 | n2,n3,c3,c4,c5,c6; 5s heal";
    let params = |versions| {
        vec![("family", "leaderless"), ("versions", versions), ("keys", "1"), ("clients", "6"), ("sloppy", "on")]
    };
    for seed in 1..=3 {
        let stamped = run(&params("timestamp"), faults, seed, 14);
        assert_eq!(stamped.metrics().counter("reads of siblings"), Some(0), "seed {seed}");
        let vectored = run(&params("vector-clock"), faults, seed, 14);
        assert!(vectored.metrics().counter("reads of siblings").unwrap() > 0, "seed {seed}: concurrent writes kept");
        assert!(broken(&*vectored).is_empty(), "seed {seed}: {:?}", broken(&*vectored));
    }
}

#[test]
fn followers_drop_what_a_failover_discarded_and_the_replicas_converge() {
    // A promoted follower that lacks entries another follower has: that follower's extra
    // entries were never the new leader's, and it must discard them.
    let faults = "0s slow s1-s2 x20; 3s crash s1";
    for promote in ["any", "most-up-to-date"] {
        for seed in 1..=6 {
            let params = [("sync", "async"), ("think_ms", "20"), ("promote", promote), ("replicas", "4")];
            let r = run(&params, faults, seed, 14);
            let b = broken(&*r);
            assert!(!b.contains(&"convergent"), "{promote} seed {seed}: {b:?}");
        }
    }
}

#[test]
fn duplicated_messages_are_not_applied_twice() {
    for params in FAMILIES {
        for seed in 1..=3 {
            let mut p = params.to_vec();
            p.push(("dup", "30"));
            let r = run(&p, "", seed, 14);
            assert!(broken(&*r).is_empty(), "{params:?} seed {seed}: {:?}", broken(&*r));
        }
    }
}

#[test]
fn a_restarted_monitor_learns_the_epoch_and_a_lease_fences_a_one_way_cut() {
    let faults = "3s crash s1; 5s crash m1; 5500ms restart m1; 7s restart s1";
    for seed in 1..=4 {
        let r = run(&[("sync", "sync")], faults, seed, 14);
        assert!(broken(&*r).is_empty(), "seed {seed}: {:?}", broken(&*r));
    }
    // s1's answers to the monitor are lost while the monitor's checks reach it: the monitor
    // deposes s1, stops granting it leases, and s1, hearing of epoch 2, steps down. No write
    // is acknowledged by a deposed leader, with or without leases.
    let cut = "2s cut s1>m1; 8s heal";
    for lease in ["on", "off"] {
        for seed in 1..=4 {
            let r = run(&[("sync", "async"), ("lease", lease)], cut, seed, 10);
            assert_eq!(r.metrics().counter("failovers"), Some(1), "lease {lease}, seed {seed}");
            assert_eq!(r.metrics().counter("acknowledged by a deposed leader"), Some(0), "lease {lease}, seed {seed}");
        }
    }
}

/// Convergence is judged from the final reads: before the workload ends every family says it
/// is not judged yet rather than "holds", and after the final reads it is judged.
#[test]
fn convergence_is_not_judged_before_the_final_reads() {
    // The configurations that promise convergence (multi-leader registers with LWW).
    for (family, conflicts) in [("single-leader", "siblings"), ("multi-leader", "lww"), ("leaderless", "siblings")] {
        let params = [("family", family), ("conflicts", conflicts)];
        let early = run(&params, "", 1, 5);
        let pending = early.verdict("convergent").and_then(|v| v.pending.clone());
        assert!(pending.is_some_and(|why| why.contains("workload")), "{family}: not judged at 5 s");
        let late = run(&params, "", 1, 20);
        let verdict = late.verdict("convergent").expect("every family promises convergence");
        assert_eq!(verdict.pending, None, "{family}: judged after the final reads");
    }
}
