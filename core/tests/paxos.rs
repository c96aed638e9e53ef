//! Paxos: agreement over seed sweeps with loss, duplication, crashes and contention; the
//! dueling-proposers livelock, and backoff or a distinguished proposer ending it.

mod common;

use common::{run_to as run, secs};
use playground_core::fault::{Fault, FaultAction};
use playground_core::lab::LabRun;
use playground_core::rng::Rng;
use playground_core::scenario::Scenario;
use playground_core::time::MICROS_PER_MS;

fn paxos(seed: u64, params: &[(&str, String)]) -> Scenario {
    let mut s = Scenario::new("paxos", seed);
    for (k, v) in params {
        s.set_param(k, v);
    }
    s
}

fn chosen(r: &dyn LabRun) -> u64 {
    r.metrics().counter("value chosen").unwrap()
}

#[test]
fn agreement_holds_across_random_runs() {
    let seeds = std::env::var("SWEEP_SEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000u64);
    for seed in 0..seeds {
        let mut rng = Rng::seeded(seed ^ 0x9A05);
        let acceptors = rng.between(1, 7);
        let contention = ["duel", "backoff", "leader"][rng.below(3) as usize];
        let mut s = paxos(
            seed,
            &[
                ("proposers", rng.between(1, 4).to_string()),
                ("acceptors", acceptors.to_string()),
                ("learners", rng.between(1, 3).to_string()),
                ("contention", contention.to_string()),
                ("loss", rng.below(30).to_string()),
                ("dup", rng.below(30).to_string()),
                ("retry_ms", rng.between(2, 50).to_string()),
            ],
        );
        for _ in 0..rng.below(4) {
            let node = format!("a{}", rng.between(1, acceptors));
            let at = rng.below(500) * MICROS_PER_MS;
            s.faults.push(Fault { at, action: FaultAction::Crash(node.clone()) });
            s.faults.push(Fault { at: at + rng.between(1, 300) * MICROS_PER_MS, action: FaultAction::Restart(node) });
        }
        s.faults.sort_by_key(|f| f.at);
        let r = run(&s, secs(3));
        for v in r.verdicts() {
            assert!(v.holds(), "seed {seed}: {} violated: {:?}", v.name, v.status);
        }
    }
}

#[test]
fn dueling_proposers_livelock_and_backoff_or_a_leader_ends_it() {
    let run_with = |contention: &str, seed| {
        // A 1 ms retry is shorter than the two phases' round trips: proposers keep preempting.
        let params = [("contention", contention.into()), ("retry_ms", "1".into())];
        run(&paxos(seed, &params), secs(2))
    };
    let mut livelocked = 0;
    for seed in 0..10 {
        let duel = run_with("duel", seed);
        if chosen(duel.as_ref()) == 0 {
            livelocked += 1;
            assert!(duel.metrics().counter("ballots started").unwrap() > 100, "they keep preempting each other");
        }
        assert_ne!(chosen(run_with("backoff", seed).as_ref()), 0, "seed {seed}: backoff ends the duel");
        let leader = run_with("leader", seed);
        assert_ne!(chosen(leader.as_ref()), 0, "seed {seed}: a distinguished proposer ends it");
        assert!(leader.metrics().counter("ballots started").unwrap() < 10);
    }
    assert!(livelocked >= 8, "dueling proposers livelocked in only {livelocked} of 10 runs");
}

#[test]
fn learners_learn_the_chosen_value() {
    let s = paxos(1, &[("learners", "3".into()), ("contention", "backoff".into())]);
    let r = run(&s, secs(2));
    assert_eq!(r.metrics().counter("learners that learned"), Some(3));
    let value = chosen(r.as_ref());
    assert!(value == 100 || value == 200, "{value}");
    assert!(r
        .view()
        .nodes
        .iter()
        .filter(|n| n.role == playground_core::sim::NodeRole::Learner)
        .all(|n| n.detail[0] == format!("learned {value}")));
}
