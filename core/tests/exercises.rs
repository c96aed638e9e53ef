//! Every shipped exercise is a real one: its start does not meet the goal, its reference
//! solution does, within the limits; and the limits and the link format hold against what a
//! student or a hostile link may send.

use playground_core::exercise::catalogue::{self, ENTRIES};
use playground_core::exercise::{Exercise, Goal, Status};
use playground_core::fault::parse_script;

#[test]
fn every_lab_has_exercises() {
    for info in playground_core::lab::catalogue().iter().filter(|l| l.start.is_some()) {
        let count = ENTRIES.iter().filter(|e| e.lab == info.name).count();
        assert!(count >= 3, "the {} lab has {count} exercises; every lab has at least three", info.name);
    }
    let mut ids: Vec<&str> = ENTRIES.iter().map(|e| e.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), ENTRIES.len(), "exercise ids are unique");
}

/// A page grades a slice at a time: the same status as grading in one go, for every shipped
/// exercise's start and solution.
#[test]
fn grading_in_slices_decides_the_same() {
    for entry in ENTRIES {
        let exercise = entry.exercise().unwrap();
        for student in [exercise.start.clone(), entry.solution().unwrap()] {
            let whole = exercise.grade(&student).unwrap();
            let mut grading = exercise.start_grading(&student).unwrap();
            let mut last = 0.0;
            let sliced = loop {
                if let Some(status) = grading.advance(7) {
                    break status;
                }
                assert!(grading.progress() >= last && grading.progress() < 1.0, "{}", entry.id);
                last = grading.progress();
            };
            assert_eq!(sliced, whole, "{}", entry.id);
        }
    }
}

#[test]
fn each_start_misses_the_goal_and_each_solution_meets_it() {
    let mut problems = Vec::new();
    for entry in ENTRIES {
        let exercise = match entry.exercise() {
            Ok(exercise) => exercise,
            Err(e) => {
                problems.push(format!("{}: {e}", entry.id));
                continue;
            }
        };
        assert_eq!(Exercise::decode(&exercise.encode()).as_ref(), Ok(&exercise), "{}: the link round-trips", entry.id);
        let start = exercise.grade(&exercise.start);
        // Missed for the goal's own reason, not because the lab lacks what it names.
        if !matches!(&start, Ok(Status::Missed { why, .. }) if !why.contains("this lab has no")) {
            problems.push(format!("{}: the start alone gives {start:?}", entry.id));
        }
        let solution = entry.solution().expect("the solution reads");
        if let Err(why) = exercise.check(&solution) {
            problems.push(format!("{}: the solution is outside the limits: {why}", entry.id));
        }
        match exercise.grade(&solution) {
            Ok(Status::Met { at, event }) => {
                assert!(at <= exercise.limits.deadline, "{}: met by the deadline", entry.id);
                if matches!(exercise.goal, Goal::Break { .. }) {
                    assert!(event.is_some(), "{}: a broken guarantee names its event", entry.id);
                }
            }
            other => problems.push(format!("{}: the solution gives {other:?}", entry.id)),
        }
    }
    assert!(problems.is_empty(), "exercises that do not work:\n{}", problems.join("\n"));
}

#[test]
fn the_limits_hold() {
    let fix = catalogue::find("raft-figure-8-fix").expect("the Figure 8 fix");
    let mut student = fix.start.clone();
    student.set_param("commit_rule", "current-term");
    assert_eq!(fix.check(&student), Ok(()));
    let mut locked = student.clone();
    locked.set_param("election_min_ms", "100");
    assert!(fix.check(&locked).unwrap_err().contains("election_min_ms"), "a knob the exercise keeps");
    let mut dropped = student.clone();
    dropped.faults.remove(3);
    assert!(fix.check(&dropped).unwrap_err().contains("must stay"), "the exercise's own faults stay");
    let mut added = student.clone();
    added.faults.extend(parse_script("2s crash n2").unwrap());
    assert!(fix.check(&added).unwrap_err().contains("does not allow `crash`"), "no actions allowed here");
    let mut live = student.clone();
    live.faults.extend(parse_script("2s set commit_rule=current-term").unwrap());
    assert_eq!(fix.check(&live), Ok(()), "a live change of an allowed knob is fine");
    let mut spelled_out = student.clone();
    spelled_out.set_param("heartbeat_ms", "50");
    assert_eq!(fix.check(&spelled_out), Ok(()), "a locked knob written out at its value is left alone");
    let mut same_live = student.clone();
    same_live.faults.extend(parse_script("2s set election_min_ms=10000").unwrap());
    assert_eq!(fix.check(&same_live), Ok(()), "so is a live change to the value it has");
    let mut per_node = student.clone();
    per_node.set_param("n1.loss", "50");
    assert!(fix.check(&per_node).is_err(), "a per-node override of a locked knob is a change");
    let mut other_seed = student.clone();
    other_seed.seed += 1;
    assert!(fix.check(&other_seed).unwrap_err().contains("seed"));

    let find = catalogue::find("replication-async-failover-break").expect("the failover break");
    let mut many = find.start.clone();
    for i in 0..=find.limits.max_actions {
        many.faults.extend(parse_script(&format!("{}ms crash s2", 100 + i)).unwrap());
    }
    assert!(find.check(&many).unwrap_err().contains("actions added"), "at most max_actions");
}

#[test]
fn bad_exercise_links_are_refused_with_a_reason() {
    let good = catalogue::find("paxos-end-the-duel").unwrap().encode();
    for bad in ["", "!!!", "AQ", &good[..good.len() / 2], "Ag", &format!("{good}AAAA")] {
        let error = Exercise::decode(bad).expect_err(bad);
        assert!(error.to_string().starts_with("this exercise link cannot be read: "), "{error}");
    }
    let mut bytes = playground_core::base64url::decode(&good).unwrap();
    for i in 0..bytes.len() {
        let keep = bytes[i];
        bytes[i] ^= 0x5a;
        let _ = Exercise::decode(&playground_core::base64url::encode(&bytes));
        bytes[i] = keep;
    }
}

/// A goal to keep a guarantee that nothing judges by the deadline (convergence, judged only
/// after the workload ends) is missed, and the grading says why, so the authoring panel can
/// tell the instructor that no student could meet it; a later deadline can be met.
#[test]
fn a_hold_goal_judged_after_the_deadline_cannot_be_met() {
    use playground_core::exercise::Limits;
    use playground_core::scenario::Scenario;
    let exercise = |deadline_s: u64| Exercise {
        title: "Keep the replicas agreeing".into(),
        text: "Keep them agreeing.".into(),
        start: Scenario::new("consistency", 1),
        goal: Goal::Hold { guarantee: "convergent".into() },
        limits: Limits { deadline: deadline_s * 1_000_000, knobs: Vec::new(), actions: Vec::new(), max_actions: 0 },
    };
    let early = exercise(10);
    let mut grading = early.start_grading(&early.start).unwrap();
    let status = loop {
        if let Some(status) = grading.advance(100) {
            break status;
        }
    };
    assert!(matches!(&status, Status::Missed { why, .. } if why.contains("not judged")), "{status:?}");
    assert!(grading.unjudged().is_some_and(|why| why.contains("workload")));
    let late = exercise(20);
    assert!(matches!(late.grade(&late.start), Ok(Status::Met { .. })));
    let mut grading = late.start_grading(&late.start).unwrap();
    while grading.advance(100).is_none() {}
    assert_eq!(grading.unjudged(), None);
}

/// A goal naming something that is neither an event kind nor a message kind the run sent
/// (a misspelt link) says so at the deadline and lists the kinds sent, not "0 times".
#[test]
fn a_misspelt_happen_goal_says_what_was_sent() {
    use playground_core::exercise::Limits;
    use playground_core::scenario::Scenario;
    let exercise = Exercise {
        title: "Replicate".into(),
        text: "Make an append happen.".into(),
        start: Scenario::new("raft", 1),
        goal: Goal::Happen { event: "AppendEntrie".into(), value: 1 },
        limits: Limits { deadline: 2_000_000, knobs: Vec::new(), actions: Vec::new(), max_actions: 0 },
    };
    match exercise.grade(&exercise.start) {
        Ok(Status::Missed { why, .. }) => {
            assert!(why.contains("not a kind of event") && why.contains("AppendEntries"), "{why}")
        }
        other => panic!("{other:?}"),
    }
}
