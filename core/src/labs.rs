//! The catalogue of labs and how each one starts.

pub mod clocks;
pub mod flp;
pub mod network;
pub mod paxos;
pub mod raft;

use alloc::boxed::Box;

use crate::lab::{LabInfo, LabRun};
use crate::scenario::{Scenario, ScenarioError};

pub(crate) static CATALOGUE: [LabInfo; 11] = [
    LabInfo {
        name: "network",
        title: "Network: the eight fallacies",
        summary: "Clients call a sharded service over a network you control: loss, duplication, \
                  reordering, latency between regions, bandwidth queues, an on-path attacker, \
                  joining and leaving nodes, disagreeing configuration, CPU cost per message and \
                  mixed protocol versions. Retries and deduplication decide whether every \
                  acknowledged request is applied exactly once.",
        available: true,
        listed: true,
        params: network::PARAMS,
        presets: &[],
        parts: &[],
    },
    LabInfo {
        name: "clocks",
        title: "Clocks: physical, logical, hybrid and TrueTime",
        summary: "Drifting, skewed physical clocks kept close by NTP; Lamport, vector and hybrid \
                  logical clocks stamping the same events; TrueTime intervals with commit-wait. \
                  Click two events on the space-time diagram to see whether one happened before \
                  the other and which clocks can tell.",
        available: true,
        listed: true,
        params: clocks::PARAMS,
        presets: &[],
        parts: &[],
    },
    LabInfo {
        name: "consensus",
        title: "Consensus",
        summary: "Raft with its paper's scenarios (Figure 8, log repair, split votes), single-decree \
                  Paxos with dueling proposers, and an FLP adversary that keeps consensus undecided \
                  until a coin or timeouts end it. Safety is checked at every event.",
        available: true,
        listed: true,
        params: &[],
        presets: &[],
        parts: &["raft", "paxos", "flp"],
    },
    LabInfo {
        name: "raft",
        title: "Consensus: Raft",
        summary: "Raft with randomized elections, terms, the voting and commit rules, log repair, \
                  persistence across crashes and client redirects, with election safety, log \
                  matching, leader completeness and state-machine safety checked live, and the \
                  paper's scenarios as presets.",
        available: true,
        listed: false,
        params: raft::PARAMS,
        presets: raft::PRESETS,
        parts: &[],
    },
    LabInfo {
        name: "paxos",
        title: "Consensus: single-decree Paxos",
        summary: "Proposers, acceptors and learners with ballots; dueling proposers livelock, and \
                  randomized backoff or a distinguished proposer ends it. Agreement, learner \
                  agreement and validity are checked live.",
        available: true,
        listed: false,
        params: paxos::PARAMS,
        presets: &[],
        parts: &[],
    },
    LabInfo {
        name: "flp",
        title: "Consensus: the FLP adversary",
        summary: "Ben-Or's binary consensus with every message held by the scheduler: an \
                  automatic adversary, or you, picks each delivery and keeps the deterministic \
                  protocol undecided; a coin or timeouts after stabilization end the game.",
        available: true,
        listed: false,
        params: flp::PARAMS,
        presets: &[],
        parts: &[],
    },
    LabInfo {
        name: "consistency",
        title: "Consistency models",
        summary: "Will record client histories against a replicated store and label each run \
                  linearizable, sequential, causal or eventual, pointing at the operations that \
                  break the stronger models.",
        available: false,
        listed: true,
        params: &[],
        presets: &[],
        parts: &[],
    },
    LabInfo {
        name: "replication",
        title: "Replication",
        summary: "Will show single-leader (sync, semi-sync, async failover), multi-leader with LWW \
                  and CRDTs, and leaderless quorums with read repair, anti-entropy and hinted handoff.",
        available: false,
        listed: true,
        params: &[],
        presets: &[],
        parts: &[],
    },
    LabInfo {
        name: "partitioning",
        title: "Partitioning",
        summary: "Will compare hash-mod-N, consistent hashing with vnodes and range partitioning, \
                  with keys moved on rebalance, load balance and hot spots measured.",
        available: false,
        listed: true,
        params: &[],
        presets: &[],
        parts: &[],
    },
    LabInfo {
        name: "transactions",
        title: "Transactions",
        summary: "Will show two-phase commit blocking on a coordinator crash, sagas with \
                  compensations, and the transactional outbox against the dual-write bug.",
        available: false,
        listed: true,
        params: &[],
        presets: &[],
        parts: &[],
    },
    LabInfo {
        name: "failure",
        title: "Failure handling",
        summary: "Will show split brain, fencing tokens against a GC-paused zombie, idempotent \
                  retries, and failure detectors: a fixed timeout against phi accrual.",
        available: false,
        listed: true,
        params: &[],
        presets: &[],
        parts: &[],
    },
];

pub(crate) fn start(info: &LabInfo, scenario: &Scenario) -> Result<Box<dyn LabRun>, ScenarioError> {
    match info.name {
        "network" => Ok(Box::new(network::NetworkLab::start(scenario)?)),
        "clocks" => Ok(Box::new(clocks::ClocksLab::start(scenario)?)),
        "raft" => Ok(Box::new(raft::RaftLab::start(scenario)?)),
        "paxos" => Ok(Box::new(paxos::PaxosLab::start(scenario)?)),
        "flp" => Ok(Box::new(flp::FlpLab::start(scenario)?)),
        other => {
            Err(ScenarioError::LabNotReady(CATALOGUE.iter().find(|l| l.name == other).map_or("unknown", |l| l.name)))
        }
    }
}
