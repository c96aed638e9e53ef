//! The same scenario and seed give the same trace: twice in a row, stepped or run in bulk,
//! replayed from a checkpoint, or replayed from a share link after live operator actions.

mod common;

use common::*;
use playground_core::fault::FaultAction;
use playground_core::runner::Runner;
use playground_core::scenario::Scenario;

const BUSY: &[(&str, &str)] =
    &[("loss", "10"), ("dup", "10"), ("reorder", "10"), ("bandwidth", "2000"), ("attacker", "replay")];
const FAULTS: &str =
    "1s crash s2; 2s restart s2; 3s partition c1,s1 | s2,s3; 4s heal; 5s pause s3 300ms; 6s slow c2-s3 x5";

#[test]
fn same_seed_same_trace_twice() {
    let s = scenario(11, BUSY, FAULTS);
    let (a, b) = (text_trace(&s, secs(8)), text_trace(&s, secs(8)));
    assert!(a.lines().count() > 1_000);
    assert_eq!(a, b);
    assert_eq!(run_to(&s, secs(8)).trace().digest(), run_to(&s, secs(8)).trace().digest());
}

#[test]
fn different_seeds_differ() {
    let a = run_to(&scenario(1, BUSY, FAULTS), secs(5)).trace().digest();
    let b = run_to(&scenario(2, BUSY, FAULTS), secs(5)).trace().digest();
    assert_ne!(a, b);
}

#[test]
fn stepping_equals_running_in_bulk() {
    let s = scenario(5, BUSY, FAULTS);
    let bulk = run_to(&s, secs(6));
    let mut stepped = playground_core::lab::start(&s).unwrap();
    while stepped.next_time().is_some_and(|t| t <= secs(6)) {
        stepped.step();
    }
    assert_eq!(bulk.trace().digest(), stepped.trace().digest());
    assert_eq!(bulk.trace().total(), stepped.trace().total());
}

#[test]
fn seeking_back_replays_exactly() {
    let s = scenario(3, BUSY, FAULTS);
    let mut runner = Runner::start(s.clone()).unwrap();
    runner.seek(secs(9));
    let at_nine = runner.run().trace().digest();
    runner.seek(secs(3) + 123_456);
    assert_eq!(runner.now(), secs(3) + 123_456);
    assert_eq!(runner.run().trace().digest(), run_to(&s, secs(3) + 123_456).trace().digest());
    runner.seek(secs(9));
    assert_eq!(runner.run().trace().digest(), at_nine);
}

#[test]
fn live_actions_replay_from_the_share_link() {
    let mut runner = Runner::start(scenario(21, &[("loss", "5")], "")).unwrap();
    runner.seek(secs(2));
    runner.inject(FaultAction::Crash("s1".into())).unwrap();
    runner.seek(secs(3));
    runner.inject(FaultAction::Set { key: "dup".into(), value: "30".into() }).unwrap();
    runner.inject(FaultAction::Partition(vec![vec!["c1".into(), "s2".into()]])).unwrap();
    runner.seek(secs(5));
    let link = runner.scenario().encode();
    let replayed = Runner::start(Scenario::decode(&link).unwrap()).unwrap();
    assert_eq!(replayed.now(), secs(5));
    assert_eq!(replayed.run().trace().digest(), runner.run().trace().digest());
    assert_eq!(replayed.scenario().faults.len(), 3);
}

#[test]
fn actions_after_seeking_back_rewrite_the_future() {
    let mut runner = Runner::start(scenario(8, &[], "")).unwrap();
    runner.seek(secs(10));
    runner.seek(secs(4));
    runner.inject(FaultAction::Crash("s3".into())).unwrap();
    runner.seek(secs(10));
    let fresh = Runner::start(runner.scenario()).unwrap();
    assert_eq!(fresh.run().trace().digest(), runner.run().trace().digest());
}

#[test]
fn a_fork_shares_the_past_and_diverges() {
    let mut original = Runner::start(scenario(4, &[("dedup", "off")], "")).unwrap();
    original.seek(secs(3));
    let mut fork = original.fork();
    assert_eq!(fork.run().trace().digest(), original.run().trace().digest());
    fork.inject(FaultAction::Set { key: "loss".into(), value: "40".into() }).unwrap();
    original.seek(secs(10));
    fork.seek(secs(10));
    assert!(holds(original.run(), "exactly-once"));
    assert!(!holds(fork.run(), "exactly-once"));
}

#[test]
fn an_hour_stays_bounded() {
    let mut runner = Runner::start(scenario(9, &[("loss", "5")], "")).unwrap();
    runner.seek(secs(3_600));
    let run = runner.run();
    assert!(run.trace().total() > 1_000_000, "{}", run.trace().total());
    assert!(run.trace().window().len() <= playground_core::trace::DEFAULT_WINDOW);
    assert!(runner.checkpoint_count() <= playground_core::runner::MAX_CHECKPOINTS);
    // Seeking into the middle replays from a nearby checkpoint, not from zero.
    runner.seek(secs(1_800) + 5);
    assert_eq!(runner.now(), secs(1_800) + 5);
}
