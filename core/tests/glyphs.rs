//! What the canvas draws on a node comes from the protocol: its standing, the number that
//! matters and its running timer. These tests hold the labs to what the glyphs promise.

use playground_core::lab::{self, ParamGroup};
use playground_core::scenario::Scenario;
use playground_core::sim::{NodeRole, NodeStatus, Standing};
use playground_core::time::MICROS_PER_SEC;

fn view_at(lab_name: &str, seed: u64, seconds: u64, faults: &str) -> playground_core::sim::SimView {
    let mut scenario = Scenario::new(lab_name, seed);
    scenario.faults = playground_core::fault::parse_script(faults).expect("the script reads");
    let mut run = lab::start(&scenario).expect("the lab starts");
    run.run_until(seconds * MICROS_PER_SEC);
    run.view()
}

#[test]
fn raft_draws_one_leader_its_term_and_the_followers_election_timers() {
    for seed in 1..=20 {
        let view = view_at("raft", seed, 3, "");
        let servers: Vec<_> = view.nodes.iter().filter(|n| n.role == NodeRole::Server).collect();
        let leaders: Vec<_> = servers.iter().filter(|n| n.glyph.standing == Standing::Leader).collect();
        assert_eq!(leaders.len(), 1, "seed {seed}: one leader after 3 s of a healthy run");
        let leader = leaders[0];
        let (what, term) = leader.glyph.mark.expect("a server shows its term");
        assert_eq!(what, "term");
        assert!(term >= 1, "seed {seed}: a leader was elected in a term ≥ 1");
        assert!(leader.detail[0].contains(&format!("term {term}")), "the mark is the term the details give");
        assert!(leader.glyph.timer.is_none(), "a leader runs no election timer");
        for follower in servers.iter().filter(|n| n.glyph.standing == Standing::Follower) {
            let (set, fires) = follower.glyph.timer.expect("a follower's election timer runs");
            assert!(set <= view.now && view.now < fires, "seed {seed}: the timer is running now");
            let span = fires - set;
            assert!((150_000..=300_000).contains(&span), "seed {seed}: a timeout from the configured range: {span}");
        }
        let client = view.nodes.iter().find(|n| n.role == NodeRole::Client).expect("a client");
        assert_eq!(client.glyph.standing, Standing::Plain, "clients have no standing");
    }
}

#[test]
fn a_crashed_raft_leader_gives_way_and_its_successor_shows_a_higher_term() {
    let before = view_at("raft", 4, 2, "");
    let leader = before.nodes.iter().find(|n| n.glyph.standing == Standing::Leader).expect("a leader").clone();
    let after = view_at("raft", 4, 5, &format!("2s crash {}", leader.name));
    let crashed = after.nodes.iter().find(|n| n.name == leader.name).expect("the old leader");
    assert_eq!(crashed.status, NodeStatus::Crashed);
    let successor = after.nodes.iter().find(|n| n.glyph.standing == Standing::Leader).expect("a new leader");
    assert!(successor.glyph.mark.unwrap().1 > leader.glyph.mark.unwrap().1, "a new leader, a higher term");
}

#[test]
fn paxos_proposers_show_their_ballots_and_acceptors_their_promises() {
    let view = view_at("paxos", 1, 1, "");
    for node in &view.nodes {
        match node.role {
            NodeRole::Proposer => assert_eq!(node.glyph.mark.map(|m| m.0), Some("ballot")),
            NodeRole::Acceptor => assert_eq!(node.glyph.mark.map(|m| m.0), Some("promised")),
            _ => {}
        }
    }
    let highest_ballot =
        view.nodes.iter().filter(|n| n.role == NodeRole::Proposer).filter_map(|n| n.glyph.mark).map(|m| m.1).max();
    let highest_promise =
        view.nodes.iter().filter(|n| n.role == NodeRole::Acceptor).filter_map(|n| n.glyph.mark).map(|m| m.1).max();
    assert!(highest_promise <= highest_ballot, "no acceptor promised a round no proposer has reached");
}

#[test]
fn every_lab_sorts_its_knobs_into_groups() {
    for info in lab::catalogue().iter().filter(|l| l.start.is_some()) {
        for spec in info.params.iter().filter(|s| ["loss", "dup"].contains(&s.key)) {
            assert_eq!(spec.group, ParamGroup::Network, "{}: {} is a network knob", info.name, spec.key);
        }
        let groups: std::collections::BTreeSet<_> = info.params.iter().map(|s| s.group).collect();
        assert!(groups.contains(&ParamGroup::Cluster), "{}: how many nodes is a Cluster knob", info.name);
        assert!(groups.contains(&ParamGroup::Network), "{}: the network's knobs are grouped", info.name);
        assert!(groups.contains(&ParamGroup::Protocol), "{}: so are the protocol's", info.name);
    }
}

#[test]
fn flp_draws_the_climbing_round_then_the_decided_value() {
    // The deterministic protocol under the adversary: rounds climb, nobody decides.
    let early = view_at("flp", 1, 1, "");
    let late = view_at("flp", 1, 3, "");
    for (a, b) in early.nodes.iter().zip(&late.nodes) {
        let (what, first) = a.glyph.mark.expect("a process shows its round");
        let (_, later) = b.glyph.mark.expect("a process shows its round");
        assert_eq!(what, "round");
        assert!(later > first, "{}: round {first} at 1 s, {later} at 3 s", a.name);
        assert!(b.detail[0].contains(&format!("round {later}")), "the mark is the round the details give");
    }
    // With a coin, the processes decide; a decided process shows the value it decided.
    let mut scenario = Scenario::new("flp", 1);
    scenario.set_param("variant", "randomized");
    let mut run = lab::start(&scenario).expect("the lab starts");
    run.run_until(30 * MICROS_PER_SEC);
    let view = run.view();
    let decided: Vec<_> =
        view.nodes.iter().filter(|n| n.glyph.mark.is_some_and(|(w, _)| w == "decided value")).collect();
    assert!(!decided.is_empty(), "with a coin someone decides within 30 s");
    for node in decided {
        let (_, value) = node.glyph.mark.unwrap();
        assert!(node.detail[1].starts_with(&format!("decided {value} ")), "{}: {:?}", node.name, node.detail);
    }
}
