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
    },
    LabInfo {
        name: "consensus",
        title: "Consensus",
        summary: "Will show Raft (elections, log replication, the Figure 8 commit rule) with its \
                  own view, single-decree Paxos with dueling proposers, and an FLP adversary you \
                  drive. Raft's simulation and safety checks already run, from the command line \
                  (playground run raft) or at ?lab=raft; Paxos at ?lab=paxos and FLP at ?lab=flp.",
        available: false,
        listed: true,
        params: &[],
        presets: &[],
    },
    LabInfo {
        name: "raft",
        title: "Raft (headless preview)",
        summary: "Raft with randomized elections, terms, the voting and commit rules, log repair, \
                  persistence across crashes and client redirects, with election safety, log \
                  matching, leader completeness and state-machine safety checked live. It runs \
                  from the command line today (playground run raft); its browser view shows the \
                  generic node and message view until the Raft view is built.",
        available: true,
        listed: false,
        params: raft::PARAMS,
        presets: raft::PRESETS,
    },
    LabInfo {
        name: "paxos",
        title: "Single-decree Paxos (preview)",
        summary: "Proposers, acceptors and learners with ballots; dueling proposers livelock, and \
                  randomized backoff or a distinguished proposer ends it. Agreement, learner \
                  agreement and validity are checked live.",
        available: true,
        listed: false,
        params: paxos::PARAMS,
        presets: &[],
    },
    LabInfo {
        name: "flp",
        title: "FLP: an adversary against consensus (preview)",
        summary: "Ben-Or's binary consensus with every message held by the scheduler: an \
                  automatic adversary, or you, picks each delivery and keeps the deterministic \
                  protocol undecided; a coin or timeouts after stabilization end the game.",
        available: true,
        listed: false,
        params: flp::PARAMS,
        presets: &[],
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
