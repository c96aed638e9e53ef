//! The exercises that ship with the playground: two or three for every lab, break-it and fix-it
//! pairs where a lab has a teaching variant, most built on a lab's presets (a teaching variant breaks a guarantee; its fix is one knob; the
//! break is finding the faults that expose the variant). Each has a reference solution, and
//! the tests check that the start alone does not meet the goal and the solution does.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{Exercise, Goal, Limits};
use crate::lab;
use crate::scenario::Scenario;
use crate::time::MICROS_PER_MS;

#[derive(Clone, Copy, Debug)]
pub enum GoalSpec {
    Break(&'static str),
    Hold(&'static str),
    Reach(&'static str, u64),
    StayUnder(&'static str, u64),
}

/// How the reference solution differs from the start.
#[derive(Clone, Copy, Debug)]
pub enum Solution {
    /// These knob values.
    Knobs(&'static [(&'static str, &'static str)]),
    /// The knob values of this other preset of the lab.
    PresetKnobs(&'static str),
    /// The start preset's own faults, which the exercise leaves out.
    PresetFaults,
}

#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// Stable, for links and the CLI (`playground exercise raft-figure-8-fix`).
    pub id: &'static str,
    pub lab: &'static str,
    pub title: &'static str,
    pub text: &'static str,
    /// The preset it starts from (its seed, knobs and faults), or the lab's defaults (seed 1).
    pub preset: Option<&'static str>,
    /// Start without the preset's faults: finding them is the exercise.
    pub without_faults: bool,
    /// Knob values on top of the preset.
    pub params: &'static [(&'static str, &'static str)],
    pub goal: GoalSpec,
    pub knobs: &'static [&'static str],
    pub actions: &'static [&'static str],
    pub max_actions: u32,
    pub deadline_ms: u64,
    pub solution: Solution,
}

const FAULTS: &[&str] = &["crash", "restart", "partition", "heal", "cut", "pause", "slow", "do"];

pub const ENTRIES: &[Entry] = &[
    Entry {
        id: "network-apply-twice",
        lab: "network",
        title: "Apply a request twice",
        text: "Servers deduplicate request ids, so a retry or a duplicated frame is applied once. Turn the network and the servers' settings until one acknowledged request is applied twice.",
        preset: None,
        without_faults: false,
        params: &[],
        goal: GoalSpec::Break("exactly-once"),
        knobs: &["dedup", "dup", "loss", "retries", "timeout_ms"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 5_000,
        solution: Solution::Knobs(&[("dedup", "off"), ("dup", "30")]),
    },
    Entry {
        id: "network-apply-once",
        lab: "network",
        title: "Exactly once, on a network that duplicates",
        text: "A third of all frames arrive twice and the servers apply whatever arrives. Change the servers, not the network, so every acknowledged request is applied exactly once.",
        preset: None,
        without_faults: false,
        params: &[("dedup", "off"), ("dup", "30")],
        goal: GoalSpec::Hold("exactly-once"),
        knobs: &["dedup"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 5_000,
        solution: Solution::Knobs(&[("dedup", "on")]),
    },
    Entry {
        id: "clocks-commit-wait",
        lab: "clocks",
        title: "Commit before time is certain",
        text: "Spanner waits out its clock uncertainty before it acknowledges a commit, so commit timestamps follow real time. Make a later transaction get an earlier timestamp.",
        preset: None,
        without_faults: false,
        params: &[],
        goal: GoalSpec::Break("external-consistency"),
        knobs: &["commit_wait", "epsilon_pct", "txn_rate"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 10_000,
        solution: Solution::Knobs(&[("commit_wait", "off"), ("txn_rate", "50")]),
    },
    Entry {
        id: "clocks-understated-uncertainty",
        lab: "clocks",
        title: "An interval that misses true time",
        text: "TrueTime's interval must always contain true time. Make the nodes understate their uncertainty until true time falls outside a node's interval.",
        preset: None,
        without_faults: false,
        params: &[],
        goal: GoalSpec::Break("truetime-interval"),
        knobs: &["epsilon_pct", "assumed_drift_ppm"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 10_000,
        solution: Solution::Knobs(&[("epsilon_pct", "10")]),
    },
    Entry {
        id: "raft-figure-8-fix",
        lab: "raft",
        title: "Figure 8: fix the commit rule",
        text: "With the teaching commit rule a leader counts replicas of an old term's entry as committed, and a later leader overwrites it (the Raft paper's Figure 8). Change the rule so the same faults lose nothing.",
        preset: Some("Figure 8, committing old entries"),
        without_faults: false,
        params: &[],
        goal: GoalSpec::Hold("state-machine-safety"),
        knobs: &["commit_rule"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 2_500,
        solution: Solution::Knobs(&[("commit_rule", "current-term")]),
    },
    Entry {
        id: "raft-figure-8-break",
        lab: "raft",
        title: "Figure 8: lose a committed entry",
        text: "The commit rule here counts replicas of old entries. With crashes, partitions and forced elections (do n1 timeout), make a committed entry disappear from a later leader's log.",
        preset: Some("Figure 8, committing old entries"),
        without_faults: true,
        params: &[],
        goal: GoalSpec::Break("leader-completeness"),
        knobs: &[],
        actions: FAULTS,
        max_actions: 30,
        deadline_ms: 2_500,
        solution: Solution::PresetFaults,
    },
    Entry {
        id: "paxos-end-the-duel",
        lab: "paxos",
        title: "End the duel",
        text: "Two proposers retry at once and pre-empt each other forever: nothing is chosen. Change how proposers contend so a learner learns a value within two seconds.",
        preset: None,
        without_faults: false,
        params: &[],
        goal: GoalSpec::Reach("learners that learned", 1),
        knobs: &["contention", "retry_ms"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 2_000,
        solution: Solution::Knobs(&[("contention", "backoff")]),
    },
    Entry {
        id: "paxos-livelock",
        lab: "paxos",
        title: "Make Paxos livelock",
        text: "With random backoff one proposer soon wins. Keep every learner empty-handed for two seconds: Paxos stays safe, but nothing guarantees it finishes.",
        preset: None,
        without_faults: false,
        params: &[("contention", "backoff")],
        goal: GoalSpec::StayUnder("learners that learned", 0),
        knobs: &["contention", "retry_ms"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 2_000,
        solution: Solution::Knobs(&[("contention", "duel")]),
    },
    Entry {
        id: "flp-decide",
        lab: "flp",
        title: "Escape FLP",
        text: "The network never stabilizes and the adversary keeps the deterministic protocol undecided forever, as FLP says it can. Without touching the adversary or the network, change the protocol so every process decides within ten seconds.",
        preset: None,
        without_faults: false,
        params: &[("gst_ms", "0")],
        goal: GoalSpec::Reach("decided processes", 3),
        knobs: &["variant", "patience_ms"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 10_000,
        solution: Solution::Knobs(&[("variant", "randomized")]),
    },
    Entry {
        id: "flp-stay-undecided",
        lab: "flp",
        title: "Keep consensus undecided",
        text: "With coin flips the processes decide in a few rounds, adversary or not. Choose the protocol so the adversary keeps every process undecided for five seconds on this never-stable network.",
        preset: None,
        without_faults: false,
        params: &[("gst_ms", "0"), ("variant", "randomized")],
        goal: GoalSpec::StayUnder("decided processes", 0),
        knobs: &["variant", "patience_ms"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 5_000,
        solution: Solution::Knobs(&[("variant", "deterministic")]),
    },
    Entry {
        id: "consistency-stale-read-fix",
        lab: "consistency",
        title: "etcd's stale read: fix it",
        text: "A leader cut off by a partition answers reads from its own state and serves a stale value. Make reads linearizable again under the same partition.",
        preset: Some("Stale read after a partition (etcd's bug)"),
        without_faults: false,
        params: &[],
        goal: GoalSpec::Hold("linearizable"),
        knobs: &["stale_reads"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 10_000,
        solution: Solution::Knobs(&[("stale_reads", "off")]),
    },
    Entry {
        id: "consistency-stale-read-break",
        lab: "consistency",
        title: "etcd's stale read: find it",
        text: "This leader answers reads without asking a majority. Partition the cluster so that it serves a stale read, and the judge catches a non-linearizable history.",
        preset: Some("Stale read after a partition (etcd's bug)"),
        without_faults: true,
        params: &[],
        goal: GoalSpec::Break("linearizable"),
        knobs: &[],
        actions: FAULTS,
        max_actions: 10,
        deadline_ms: 10_000,
        solution: Solution::PresetFaults,
    },
    Entry {
        id: "replication-async-failover-fix",
        lab: "replication",
        title: "Failover without losing a write",
        text: "The leader acknowledges writes before its followers have them, then crashes; the promoted follower never had them. Change the replication so the same crash loses no acknowledged write.",
        preset: Some("Async failover loses a write"),
        without_faults: false,
        params: &[],
        goal: GoalSpec::Hold("acknowledged writes survive"),
        knobs: &["sync"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 10_000,
        solution: Solution::PresetKnobs("Sync failover loses nothing"),
    },
    Entry {
        id: "replication-async-failover-break",
        lab: "replication",
        title: "Lose an acknowledged write",
        text: "Replication here is asynchronous. Crash the right node at the right moment so a write the client saw acknowledged is gone after failover.",
        preset: Some("Async failover loses a write"),
        without_faults: true,
        params: &[],
        goal: GoalSpec::Break("acknowledged writes survive"),
        knobs: &[],
        actions: FAULTS,
        max_actions: 10,
        deadline_ms: 10_000,
        solution: Solution::PresetFaults,
    },
    Entry {
        id: "partitioning-handoff-fix",
        lab: "partitioning",
        title: "A handoff that loses nothing",
        text: "Nodes switch to the new map at once and send each key once, without waiting for an acknowledgement: on a lossy network keys vanish. Make the handoff lose nothing.",
        preset: Some("Fire-and-forget handoff loses keys"),
        without_faults: false,
        params: &[],
        goal: GoalSpec::Hold("no key lost or duplicated"),
        knobs: &["handoff"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 10_000,
        solution: Solution::Knobs(&[("handoff", "copy-then-commit")]),
    },
    Entry {
        id: "partitioning-handoff-break",
        lab: "partitioning",
        title: "Lose keys in a handoff",
        text: "Nodes here hand keys over fire-and-forget on a lossy network. Change the membership so a rebalance moves keys, and watch some of them vanish.",
        preset: Some("Fire-and-forget handoff loses keys"),
        without_faults: true,
        params: &[],
        goal: GoalSpec::Break("no key lost or duplicated"),
        knobs: &[],
        actions: &["join", "leave", "crash", "restart"],
        max_actions: 5,
        deadline_ms: 10_000,
        solution: Solution::PresetFaults,
    },
    Entry {
        id: "transactions-2pc-log-first",
        lab: "transactions",
        title: "2PC: log before you send",
        text: "The coordinator sends its commit decision before it is on disk, then crashes: a bank in doubt asks, the restarted coordinator has no record and presumes abort. Fix the coordinator so the same crashes leave every transfer whole.",
        preset: Some("2PC: sending before logging (teaching variant)"),
        without_faults: false,
        params: &[],
        goal: GoalSpec::Hold("atomic"),
        knobs: &["log_decision"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 12_000,
        solution: Solution::PresetKnobs("2PC: logging first survives the same crashes"),
    },
    Entry {
        id: "transactions-2pc-half-done",
        lab: "transactions",
        title: "2PC: leave a transfer half done",
        text: "This coordinator sends its decision before logging it. Crash the right nodes so one bank commits a transfer that another aborts.",
        preset: Some("2PC: sending before logging (teaching variant)"),
        without_faults: true,
        params: &[],
        goal: GoalSpec::Break("atomic"),
        knobs: &[],
        actions: FAULTS,
        max_actions: 10,
        deadline_ms: 12_000,
        solution: Solution::PresetFaults,
    },
    Entry {
        id: "failure-fencing",
        lab: "failure",
        title: "Fence off a paused lease holder",
        text: "A client pauses past its lease, wakes up and writes as if it still held it. Make storage refuse the stale write.",
        preset: Some("Fencing: the same pause without tokens (teaching variant)"),
        without_faults: false,
        params: &[],
        goal: GoalSpec::Hold("no stale lease holder's write"),
        knobs: &["fencing"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 8_000,
        solution: Solution::PresetKnobs("Fencing: a GC pause past the lease, with tokens"),
    },
    Entry {
        id: "failure-split-brain",
        lab: "failure",
        title: "No write from a deposed leader",
        text: "A leader cut off from the others goes on acknowledging writes while the rest elect a new one. Change the replicas so the same partition cannot make two leaders acknowledge.",
        preset: Some("Split brain without a quorum (teaching variant)"),
        without_faults: false,
        params: &[],
        goal: GoalSpec::Hold("no write acknowledged by a deposed leader"),
        knobs: &["quorum"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 10_000,
        solution: Solution::PresetKnobs("Split brain: a majority quorum prevents it"),
    },
    Entry {
        id: "failure-charge-once",
        lab: "failure",
        title: "Charge once, whatever is lost",
        text: "A tenth of messages are lost; a client whose reply was lost retries and is charged twice. Make every charge take effect once without making the network better.",
        preset: Some("Retries charge twice without idempotency keys (teaching variant)"),
        without_faults: false,
        params: &[],
        goal: GoalSpec::Hold("each charge takes effect once"),
        knobs: &["keys"],
        actions: &[],
        max_actions: 0,
        deadline_ms: 10_000,
        solution: Solution::PresetKnobs("Idempotency keys: exactly once"),
    },
];

impl Entry {
    fn base(&self) -> Result<Scenario, String> {
        let info = lab::find(self.lab).ok_or_else(|| alloc::format!("no lab called {}", self.lab))?;
        match self.preset {
            None => Ok(Scenario::new(self.lab, 1)),
            Some(name) => info
                .presets
                .iter()
                .find(|p| p.name == name)
                .ok_or_else(|| alloc::format!("the {} lab has no preset “{name}”", self.lab))?
                .scenario(self.lab),
        }
    }

    /// The exercise this entry describes.
    pub fn exercise(&self) -> Result<Exercise, String> {
        let mut start = self.base()?;
        if self.without_faults {
            start.faults.clear();
        }
        for (key, value) in self.params {
            start.set_param(key, value);
        }
        start.at = 0;
        let goal = match self.goal {
            GoalSpec::Break(g) => Goal::Break { guarantee: g.to_string() },
            GoalSpec::Hold(g) => Goal::Hold { guarantee: g.to_string() },
            GoalSpec::Reach(c, value) => Goal::Reach { counter: c.to_string(), value },
            GoalSpec::StayUnder(c, value) => Goal::StayUnder { counter: c.to_string(), value },
        };
        let limits = Limits {
            deadline: self.deadline_ms * MICROS_PER_MS,
            knobs: self.knobs.iter().map(|k| k.to_string()).collect(),
            actions: self.actions.iter().map(|a| a.to_string()).collect(),
            max_actions: self.max_actions,
        };
        Ok(Exercise { title: self.title.to_string(), text: self.text.to_string(), start, goal, limits })
    }

    /// The reference solution: the start with the solution's knobs or faults.
    pub fn solution(&self) -> Result<Scenario, String> {
        let mut scenario = self.exercise()?.start;
        match self.solution {
            Solution::Knobs(knobs) => {
                for (key, value) in knobs {
                    scenario.set_param(key, value);
                }
            }
            Solution::PresetKnobs(name) => {
                // Each knob the exercise lets the student turn, as that preset has it (its
                // default where the preset leaves it).
                let info = lab::find(self.lab).ok_or("no such lab")?;
                let preset = info.presets.iter().find(|p| p.name == name).ok_or("no such preset")?;
                for knob in self.knobs {
                    let given = preset.params.iter().find(|(k, _)| k == knob).map(|(_, v)| *v);
                    let default = info.params.iter().find(|s| s.key == *knob).map(|s| s.default);
                    if let Some(value) = given.or(default) {
                        scenario.set_param(knob, value);
                    }
                }
            }
            Solution::PresetFaults => scenario.faults = self.base()?.faults,
        }
        Ok(scenario)
    }
}

/// Every shipped exercise, with its id and lab.
pub fn all() -> Vec<(&'static Entry, Exercise)> {
    ENTRIES.iter().filter_map(|e| e.exercise().ok().map(|x| (e, x))).collect()
}

/// A shipped exercise by id.
pub fn find(id: &str) -> Option<Exercise> {
    ENTRIES.iter().find(|e| e.id == id).and_then(|e| e.exercise().ok())
}
