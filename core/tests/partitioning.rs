//! The partitioning lab: every scheme and routing keeps its guarantees through joins,
//! decommissions and crashes over a seed sweep; moves are near the optimum except for mod N;
//! hot spots and their fixes show in the load; the teaching variant and the reassignment of
//! a crashed node's keys are caught, pointing at the event.

mod common;

use common::{counter, holds, run_to, scenario_for};
use playground_core::invariant::Status;
use playground_core::lab::LabRun;
use playground_core::labs::partitioning::{PartitioningView, Reason, PRESETS};
use playground_core::labs::LabView;
use playground_core::time::MICROS_PER_SEC;

fn run(params: &[(&str, &str)], faults: &str, seed: u64, secs: u64) -> Box<dyn LabRun> {
    run_to(&scenario_for("partitioning", seed, params, faults), secs * MICROS_PER_SEC)
}

fn broken(run: &dyn LabRun) -> Vec<&'static str> {
    run.verdicts().iter().filter(|v| !v.holds()).map(|v| v.name).collect()
}

fn view(run: &dyn LabRun) -> PartitioningView {
    match run.lab_view() {
        LabView::Partitioning(view) => *view,
        _ => panic!("the partitioning lab draws its own view"),
    }
}

fn preset(name: &str) -> (Vec<(&'static str, &'static str)>, &'static str, u64) {
    let p = PRESETS.iter().find(|p| p.name.starts_with(name)).expect("preset");
    (p.params.to_vec(), p.faults, p.seed)
}

const SCHEMES: [&str; 6] = ["mod-n", "ring", "jump", "rendezvous", "fixed", "ranges"];
const CHURN: &str = "2s join p5; 4s do p2 decommission; 6s crash p3; 6.3s restart p3; 9s crash p1; 11s restart p1";

#[test]
fn every_scheme_and_routing_keeps_its_guarantees_through_churn() {
    for scheme in SCHEMES {
        for routing in ["client", "tier", "any-node"] {
            for seed in 1..=3 {
                let params = [("scheme", scheme), ("routing", routing), ("loss", "2"), ("dup", "2")];
                let r = run(&params, CHURN, seed, 16);
                assert!(broken(&*r).is_empty(), "{scheme} {routing} seed {seed}: {:?}", r.verdicts());
                // Three changes of map: the join, the decommission, and nothing for crashes.
                assert!(counter(&*r, "rebalances") >= 2, "{scheme} {routing} seed {seed}");
                assert!(counter(&*r, "operations ok") > 500);
                let v = view(&*r);
                let p2 = v.nodes.iter().find(|n| n.name == "p2").expect("p2");
                assert_eq!((p2.in_map, p2.keys), (false, 0), "{scheme}: the decommissioned node hands every key over");
            }
        }
    }
}

#[test]
fn timestamp_keys_and_dynamic_splitting_keep_every_key() {
    for seed in 1..=4 {
        let params = [
            ("scheme", "ranges"),
            ("distribution", "sequential"),
            ("split_keys", "200"),
            ("reads", "20"),
            ("bandwidth", "2"),
            ("loss", "3"),
        ];
        let faults = "2s join p5; 3s crash p1; 5s restart p1; 7s crash p5; 7.5s restart p5; 8s crash co; 9s restart co";
        let r = run(&params, faults, seed, 20);
        assert!(broken(&*r).is_empty(), "seed {seed}: {:?}", r.verdicts());
        assert!(counter(&*r, "rebalances") >= 3, "seed {seed}: the growing ranges split");
    }
}

fn moved_on_join(scheme: &str) -> (u64, u64) {
    let r = run(&[("scheme", scheme)], "3s join p5", 1, 8);
    assert!(broken(&*r).is_empty());
    (counter(&*r, "keys moved"), counter(&*r, "keys moved at best (K/n)"))
}

#[test]
fn mod_n_moves_almost_everything_and_the_consistent_schemes_about_the_optimum() {
    let (moved, optimum) = moved_on_join("mod-n");
    assert_eq!(optimum, 400);
    assert!(moved > 1_400, "mod N moved {moved} of 2,000");
    for scheme in ["ring", "jump", "rendezvous", "fixed"] {
        let (moved, optimum) = moved_on_join(scheme);
        assert!(moved * 10 <= optimum * 14 && moved * 10 >= optimum * 6, "{scheme} moved {moved}, optimum {optimum}");
    }
}

#[test]
fn virtual_nodes_even_out_the_load() {
    let uneven = view(&*run(&[("vnodes", "1"), ("nodes", "8"), ("keys", "5000")], "", 3, 1));
    let even = view(&*run(&[("vnodes", "256"), ("nodes", "8"), ("keys", "5000")], "", 3, 1));
    assert!(uneven.max_over_mean > 1_800, "one point each: max/mean {}", uneven.max_over_mean);
    assert!(even.max_over_mean < 1_300, "256 points each: max/mean {}", even.max_over_mean);
    // The curve the view prints falls as virtual nodes grow.
    let spread: Vec<u32> = even.spread.iter().map(|p| p.deviation).collect();
    assert!(spread.first() > spread.last(), "{spread:?}");
}

fn busiest_share(v: &PartitioningView) -> f64 {
    let total: u64 = v.nodes.iter().map(|n| n.served).sum();
    v.nodes.iter().map(|n| n.served).max().unwrap_or(0) as f64 / total.max(1) as f64
}

#[test]
fn a_celebrity_key_loads_one_node_and_salting_spreads_it() {
    let (params, faults, seed) = preset("A celebrity key");
    let hot = run(&params, faults, seed, 8);
    let (params, faults, seed) = preset("Salting the celebrity");
    let salted = run(&params, faults, seed, 8);
    assert!(broken(&*hot).is_empty() && broken(&*salted).is_empty());
    let (a, b) = (busiest_share(&view(&*hot)), busiest_share(&view(&*salted)));
    assert!(a > 0.5, "the celebrity's owner answers most requests: {a}");
    assert!(b < 0.4, "salted, the busiest node answers {b}");
    assert!(counter(&*salted, "salted reads fanned out") > 100);
}

#[test]
fn sequential_keys_put_the_heat_on_one_range() {
    // The share of the recent requests that the busiest node answered, from the view's
    // heat per slice and owner per slice.
    let busiest = |distribution| {
        let (mut params, faults, seed) = preset("Timestamp keys on ranges");
        params.retain(|(k, _)| *k != "distribution");
        params.push(("distribution", distribution));
        let v = view(&*run(&params, faults, seed, 8));
        let total: u32 = v.heat.iter().sum();
        assert!(total > 50 * 64, "{distribution}: {total}");
        let mut per_node = [0u32; 8];
        for (heat, owner) in v.heat.iter().zip(&v.owners) {
            per_node[usize::from(owner.expect("every slice has an owner"))] += heat;
        }
        f64::from(per_node.into_iter().max().unwrap_or(0)) / f64::from(total)
    };
    let (sequential, uniform) = (busiest("sequential"), busiest("uniform"));
    assert!(sequential > 0.8 && uniform < 0.4, "the busiest node answered {sequential} and {uniform}");
}

#[test]
fn scans_touch_few_nodes_under_ranges_and_every_node_under_a_hash() {
    let scans = |scheme| {
        let r = run(&[("scheme", scheme), ("split", "off"), ("scans", "30"), ("nodes", "8")], "", 2, 6);
        assert!(broken(&*r).is_empty());
        counter(&*r, "scan requests (fan-out)") as f64 / counter(&*r, "scans").max(1) as f64
    };
    let (ranges, ring) = (scans("ranges"), scans("ring"));
    assert!(ranges < 1.5, "ranges: {ranges} nodes per scan");
    assert_eq!(ring, 8.0);
}

#[test]
fn a_crash_during_a_move_loses_nothing() {
    let (params, faults, seed) = preset("A node crashes during a move");
    let r = run(&params, faults, seed, 12);
    assert!(broken(&*r).is_empty(), "{:?}", r.verdicts());
    let v = view(&*r);
    assert_eq!(v.moves.len(), 1);
    let committed = v.moves[0].committed.expect("the move commits after p5 restarts");
    assert!(committed > 6 * MICROS_PER_SEC, "committed at {committed}");
}

/// The text of the event a broken guarantee points at.
fn culprit(run: &dyn LabRun, verdict: &str) -> String {
    let v = run.verdicts().iter().find(|v| v.name == verdict).expect("verdict");
    let Status::Violated { event, detail, .. } = &v.status else { panic!("{verdict} holds") };
    let names = run.names();
    let e = run.trace().get(*event).expect("the event is in the trace window");
    format!("{} | {detail}", run.event_text(e, &names))
}

#[test]
fn fire_and_forget_loses_keys_and_the_checks_name_them() {
    let (params, faults, seed) = preset("Fire-and-forget");
    let r = run(&params, faults, seed, 5);
    assert!(counter(&*r, "keys lost") > 0);
    let text = culprit(&*r, "no key lost or duplicated");
    assert!(text.contains("every node applied map 1") && text.contains("keys lost (k"), "{text}");
    // The same join, copied and committed, keeps everything under the same losses.
    let safe: Vec<_> = params.iter().copied().filter(|(k, _)| *k != "handoff").collect();
    let r = run(&safe, faults, seed, 5);
    assert!(broken(&*r).is_empty(), "{:?}", r.verdicts());
}

#[test]
fn reassigning_a_crashed_nodes_keys_is_caught() {
    let (params, faults, seed) = preset("Reassigning");
    let r = run(&params, faults, seed, 8);
    assert!(!holds(&*r, "no key lost or duplicated"));
    let text = culprit(&*r, "reads see earlier writes");
    assert!(text.contains("found no such key"), "{text}");
    // Waiting for the node instead loses nothing.
    let r = run(&[("crash", "wait")], "3s crash p2; 6s restart p2", seed, 8);
    assert!(broken(&*r).is_empty(), "{:?}", r.verdicts());
}

#[test]
fn every_preset_starts_and_only_the_lossy_ones_break_a_guarantee() {
    for p in PRESETS {
        let r = run(p.params, p.faults, p.seed, 10);
        let lossy = p.name.starts_with("Fire-and-forget") || p.name.starts_with("Reassigning");
        assert_eq!(broken(&*r).is_empty(), !lossy, "{}: {:?}", p.name, r.verdicts());
    }
    let bad = scenario_for("partitioning", 1, &[], "");
    let mut r = playground_core::lab::start(&bad).expect("starts");
    let err = r.inject(playground_core::fault::FaultAction::Command { node: "c1".into(), text: "read k999999".into() });
    assert!(err.is_err_and(|e| e.contains("there is no key")));
}

#[test]
fn a_local_index_asks_every_node_and_a_global_one_asks_one_and_converges() {
    let fan_out = |r: &dyn LabRun| {
        counter(r, "index query requests (fan-out)") as f64 / counter(r, "index queries").max(1) as f64
    };
    let local = run(&[("index", "local"), ("queries", "30"), ("nodes", "8")], "", 1, 8);
    assert!(broken(&*local).is_empty());
    assert_eq!(fan_out(&*local), 8.0);
    assert_eq!(counter(&*local, "index updates sent"), 0, "a local index is updated with its key");
    for scheme in SCHEMES {
        let params = [("index", "global"), ("queries", "30"), ("nodes", "8"), ("scheme", scheme), ("loss", "3")];
        let global = run(&params, CHURN, 2, 25);
        assert!(broken(&*global).is_empty(), "{scheme}: {:?}", global.verdicts());
        assert!(global.verdicts().iter().any(|v| v.name == "global index converges"));
        assert!(fan_out(&*global) < 2.0, "{scheme}: {}", fan_out(&*global));
        assert!(counter(&*global, "index updates sent") > 100);
    }
    // A handoff that drops batches drops index entries too, and the index is caught wrong.
    let params = [("index", "global"), ("handoff", "fire-and-forget"), ("loss", "5"), ("batch", "10")];
    let lossy = run(&params, "3s join p5", 4, 30);
    assert!(!holds(&*lossy, "global index converges"), "{:?}", lossy.verdicts());
}

#[test]
fn a_move_to_a_node_that_leaves_is_abandoned_for_one_without_it() {
    for seed in 1..=4 {
        let r = run(&[("bandwidth", "2")], "2s join p5; 2.1s leave p5", seed, 12);
        assert!(broken(&*r).is_empty(), "seed {seed}: {:?}", r.verdicts());
        let v = view(&*r);
        assert!(v.moves.len() >= 2, "seed {seed}: the join, then a map without p5");
        let last = v.moves.last().expect("a move");
        assert!(last.committed.is_some() && !v.nodes.iter().any(|n| n.name == "p5" && n.in_map), "seed {seed}");
    }
}

#[test]
fn a_restarted_coordinator_or_client_breaks_nothing() {
    for seed in 1..=6 {
        let faults = "2s join p5; 2.05s crash co; 2.6s restart co; 3s crash c1; 3.5s restart c1";
        // Even reassigning silent nodes: after its restart the coordinator waits to hear
        // from everyone before it calls anyone silent.
        for crash in ["wait", "reassign"] {
            let r = run(&[("crash", crash), ("bandwidth", "5")], faults, seed, 12);
            assert!(broken(&*r).is_empty(), "seed {seed} {crash}: {:?}", r.verdicts());
            let v = view(&*r);
            assert!(v.moves.iter().all(|m| !matches!(m.reason, Reason::Silent(_))), "seed {seed}: {:?}", v.moves);
            assert!(v.nodes.iter().all(|n| n.in_map), "seed {seed} {crash}: every node is in the map");
        }
    }
}
