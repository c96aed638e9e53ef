//! The transactions lab: every correct pattern keeps its guarantees through crashes, loss and
//! duplication over a seed sweep; 2PC blocks on a coordinator crash where 3PC does not, and
//! cooperative termination resolves what it can; each teaching variant is caught, pointing at
//! the transaction, saga or write; the semantic lock removes refusals on intermediate states;
//! the outbox loses nothing where dual writes lose events.

mod common;

use common::{counter, run_to, scenario_for};
use playground_core::invariant::Status;
use playground_core::lab::LabRun;
use playground_core::labs::transactions::{TransactionsView, PRESETS};
use playground_core::labs::LabView;
use playground_core::time::MICROS_PER_SEC;

fn run(params: &[(&str, &str)], faults: &str, seed: u64, secs: u64) -> Box<dyn LabRun> {
    run_to(&scenario_for("transactions", seed, params, faults), secs * MICROS_PER_SEC)
}

fn broken(run: &dyn LabRun) -> Vec<&'static str> {
    run.verdicts().iter().filter(|v| !v.holds()).map(|v| v.name).collect()
}

fn view(run: &dyn LabRun) -> TransactionsView {
    match run.lab_view() {
        LabView::Transactions(view) => *view,
        _ => panic!("the transactions lab draws its own view"),
    }
}

fn preset(name: &str, secs: u64) -> Box<dyn LabRun> {
    let p = PRESETS.iter().find(|p| p.name.starts_with(name)).unwrap_or_else(|| panic!("preset {name}"));
    run(p.params, p.faults, p.seed, secs)
}

fn detail(run: &dyn LabRun, name: &str) -> String {
    let v = run.verdicts().iter().find(|v| v.name == name).expect("verdict");
    match &v.status {
        Status::Violated { detail, .. } => detail.clone(),
        Status::Holds => String::new(),
    }
}

#[test]
fn correct_patterns_keep_their_guarantees_through_crashes_loss_and_duplicates() {
    let cases: [(&[(&str, &str)], &str); 7] = [
        (
            &[("pattern", "2pc"), ("loss", "2"), ("dup", "2")],
            "3s crash p1; 3.5s restart p1; 5s crash co; 6s restart co; 7s partition p2 | co,p1,p3,c1,c2,c3; 7.5s heal",
        ),
        (
            &[("pattern", "2pc"), ("termination", "cooperative"), ("loss", "2"), ("dup", "2")],
            "3s crash p1; 3.5s restart p1; 5s crash co; 6s restart co",
        ),
        (&[("pattern", "3pc")], "3s crash p1; 3.5s restart p1; 5s crash co; 6s restart co"),
        (
            &[("pattern", "saga"), ("loss", "2"), ("dup", "5")],
            "3s crash orch; 3.5s restart orch; 5s crash pay; 5.5s restart pay",
        ),
        (
            &[("pattern", "saga"), ("style", "choreography"), ("loss", "2"), ("dup", "5"), ("stock", "200")],
            "3s crash inv; 3.5s restart inv; 5s crash pay; 5.5s restart pay",
        ),
        (
            &[("pattern", "outbox"), ("loss", "2"), ("dup", "5")],
            "3s crash svc; 3.3s restart svc; 5s crash mq; 5.5s restart mq; 7s crash cons; 7.4s restart cons",
        ),
        (
            &[("pattern", "outbox"), ("relay", "cdc"), ("loss", "2"), ("dup", "5")],
            "3s crash svc; 3.3s restart svc; 5s crash mq; 5.5s restart mq; 7s crash cons; 7.4s restart cons",
        ),
    ];
    for (params, faults) in cases {
        for seed in 1..=4 {
            let r = run(params, faults, seed, 20);
            assert!(broken(&*r).is_empty(), "{params:?} seed {seed}: {:?}", r.verdicts());
            let ok = r.metrics().counters[0].value;
            assert!(ok > 100, "{params:?} seed {seed}: only {ok} requests succeeded");
        }
    }
}

#[test]
fn two_phase_commit_blocks_on_a_coordinator_crash_and_three_phase_does_not() {
    // Mid-crash (5 s): 2PC's participants sit in doubt holding their locks.
    let mid = preset("2PC: a coordinator crash blocks", 5);
    let v = view(&*mid);
    assert!(v.coordinator.is_none(), "co is down");
    let doubt: Vec<_> = v.banks.iter().flat_map(|b| b.uncertain.iter().filter(|u| u.2)).collect();
    assert!(!doubt.is_empty(), "some bank is in doubt while the coordinator is down: {:?}", v.banks);
    assert!(v.locks.iter().any(|l| l.to.is_none() && l.in_doubt), "an in-doubt lock is still held");
    assert!(counter(&*mid, "lock waits") > 0);
    let end = preset("2PC: a coordinator crash blocks", 20);
    assert!(broken(&*end).is_empty(), "{:?}", end.verdicts());
    let blocked = end.metrics().histogram("time in doubt").expect("histogram").max();
    assert!(blocked > 2 * MICROS_PER_SEC, "in doubt until the coordinator is back: {blocked}");
    assert_eq!(view(&*end).locks.iter().filter(|l| l.to.is_none()).count(), 0, "every lock released in the end");

    // 3PC: the coordinator never comes back, yet no one stays in doubt for long.
    let three = preset("3PC: a coordinator crash does not block", 20);
    assert!(broken(&*three).is_empty(), "{:?}", three.verdicts());
    assert!(counter(&*three, "decided by termination") > 0);
    let longest = three.metrics().histogram("time in doubt").expect("histogram").max();
    assert!(longest < MICROS_PER_SEC, "termination decides within a round: {longest}");
    assert_eq!(view(&*three).locks.iter().filter(|l| l.to.is_none()).count(), 0);
}

#[test]
fn cooperative_termination_learns_the_outcome_from_a_peer() {
    let p = PRESETS.iter().find(|p| p.name.starts_with("2PC: cooperative")).expect("preset");
    let co = run(p.params, p.faults, p.seed, 20);
    assert!(broken(&*co).is_empty(), "{:?}", co.verdicts());
    assert!(counter(&*co, "learned from a peer") > 0);
    let alone: Vec<_> = p.params.iter().filter(|kv| kv.0 != "termination").copied().collect();
    let alone = run(&alone, p.faults, p.seed, 20);
    assert_eq!(counter(&*alone, "learned from a peer"), 0);
    let (a, c) = (alone.metrics(), co.metrics());
    let max = |m: &playground_core::lab::Metrics| m.histogram("time in doubt").expect("histogram").max();
    assert!(max(&c) < max(&a), "asking the peer ends doubt sooner: {} against {}", max(&c), max(&a));
}

#[test]
fn teaching_variants_are_caught_pointing_at_the_event() {
    let r = preset("2PC: sending before logging", 20);
    assert_eq!(broken(&*r), ["atomic", "money is conserved", "decision logged first"]);
    assert!(detail(&*r, "atomic").contains("but aborted at p2"), "{}", detail(&*r, "atomic"));
    assert!(counter(&*r, "split transactions") == 1);
    let fixed = preset("2PC: logging first survives", 20);
    assert!(broken(&*fixed).is_empty(), "{:?}", fixed.verdicts());

    let r = preset("3PC: a partition splits", 20);
    assert_eq!(broken(&*r), ["atomic", "money is conserved"]);
    assert!(detail(&*r, "atomic").contains("aborted at p2"));

    let r = preset("Saga: duplicates take effect twice", 20);
    assert!(broken(&*r).contains(&"each step takes effect once"));
    assert!(detail(&*r, "each step takes effect once").contains("took effect twice"));
    let fixed = preset("Saga: duplicates are harmless", 20);
    assert!(broken(&*fixed).is_empty());
    assert!(counter(&*fixed, "repeats answered from the record") > 100);

    let r = preset("Saga: blind compensation", 20);
    assert!(broken(&*r).contains(&"no compensation without its step"));
    assert!(detail(&*r, "no compensation without its step").contains("never did there"));

    let r = preset("Outbox: dual write loses events", 20);
    assert_eq!(broken(&*r), ["no event lost"]);
    assert!(detail(&*r, "no event lost").contains("never reached the consumer"));
    let fixed = preset("Outbox: the same outage", 20);
    assert!(broken(&*fixed).is_empty(), "{:?}", fixed.verdicts());
    assert!(counter(&*fixed, "duplicates skipped") > 0 || counter(&*fixed, "events published") > 500);

    let r = preset("Outbox: publishing first", 20);
    assert_eq!(broken(&*r), ["no phantom event"]);
    let r = preset("Outbox: at-least-once without dedup", 20);
    assert_eq!(broken(&*r), ["events applied once"]);
}

#[test]
fn a_semantic_lock_removes_refusals_on_intermediate_states() {
    let open = preset("Saga: no isolation", 20);
    let locked = preset("Saga: a semantic lock", 20);
    assert!(broken(&*open).is_empty() && broken(&*locked).is_empty());
    assert!(counter(&*open, "refused on a state later undone") > 10);
    assert_eq!(counter(&*locked, "refused on a state later undone"), 0);
    assert!(counter(&*locked, "waited on a semantic lock") > 10);
}

#[test]
fn the_orchestrator_recovers_from_its_log() {
    let r = preset("Saga: the orchestrator crashes", 20);
    assert!(broken(&*r).is_empty(), "{:?}", r.verdicts());
    let v = view(&*r);
    assert!(v.sagas.iter().all(|s| s.ended.is_some()), "every saga shown has ended");
    assert!(counter(&*r, "sagas completed") > 300);
}

#[test]
fn every_preset_starts_and_the_defaults_hold_over_seeds() {
    for p in PRESETS {
        let r = run(p.params, p.faults, p.seed, 1);
        assert!(r.now() > 0, "{}", p.name);
    }
    for seed in 1..=10 {
        let r = run(&[], "", seed, 16);
        assert!(broken(&*r).is_empty(), "seed {seed}: {:?}", r.verdicts());
    }
}

#[test]
fn bad_commands_are_refused_with_a_sentence() {
    let mut s = scenario_for("transactions", 1, &[], "");
    s.faults = playground_core::fault::parse_script("1s do co commit").expect("parses");
    let err = playground_core::lab::start(&s).err().expect("refused");
    assert!(err.to_string().contains("takes no commands"), "{err}");
    s.faults = playground_core::fault::parse_script("1s do svc poll").expect("parses");
    assert!(playground_core::lab::start(&s).is_err(), "there is no svc in 2PC");
}

#[test]
fn the_lock_chart_covers_its_whole_window_and_every_lock_held() {
    use playground_core::labs::transactions::{LOCK_BARS_KEPT, LOCK_WINDOW};
    // The defaults: hundreds of locks in the chart's window, all kept. (At most 400 were
    // kept once, so the window's first second was blank.)
    let v = view(&*run(&[], "", 1, 9));
    let start = v.now - LOCK_WINDOW;
    assert!(v.locks.len() > 400, "a busy window: {} bars", v.locks.len());
    let earliest = v.locks.iter().map(|l| l.to.unwrap_or(v.now)).min().expect("bars");
    assert!(earliest < start + MICROS_PER_SEC / 10, "bars from the window's start on: the first ends at {earliest}");
    assert!(v.locks_complete_from <= start, "complete: {}", v.locks_complete_from);
    let locked = |v: &TransactionsView| v.banks.iter().flat_map(|b| &b.accounts).filter(|a| a.2.is_some()).count();
    assert_eq!(v.locks.iter().filter(|l| l.to.is_none()).count(), locked(&v), "every lock held has its bar");
    // Busier still (five banks of eight accounts, clients barely pausing): more locks end
    // within the window than are kept, and the view says from when its bars are complete.
    let params = [("clients", "8"), ("think_ms", "1"), ("participants", "5"), ("accounts", "8"), ("workload_s", "20")];
    let v = view(&*run(&params, "", 1, 9));
    let start = v.now - LOCK_WINDOW;
    assert!(v.locks_complete_from > start && v.locks_complete_from < v.now, "{}", v.locks_complete_from);
    assert!(v.locks.len() <= LOCK_BARS_KEPT + locked(&v), "{} bars", v.locks.len());
    assert!(v.locks.iter().any(|l| l.to.is_some_and(|to| to <= v.locks_complete_from + MICROS_PER_SEC / 10)));
    assert_eq!(v.locks.iter().filter(|l| l.to.is_none()).count(), locked(&v), "every lock held has its bar");
}
