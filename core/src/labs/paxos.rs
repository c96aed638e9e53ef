//! # The Paxos lab: single-decree Paxos (Lamport, "Paxos Made Simple", 2001)
//!
//! Proposers pick ballots that no one else uses. In phase 1 a proposer asks the acceptors to
//! promise to ignore lower ballots; each promise carries the highest-numbered proposal the
//! acceptor already accepted. With promises from a majority, phase 2 asks them to accept a
//! value: the one from the highest-numbered accepted proposal among the promises, or the
//! proposer's own if there is none. That rule is what makes at most one value chosen: any
//! two majorities share an acceptor (§2.2). Learners learn a value once a majority accepted
//! it in the same ballot.
//!
//! Progress is not guaranteed: two proposers that keep preempting each other with higher
//! ballots livelock (§2.4, `contention=duel`). Randomized backoff or a distinguished
//! proposer ends the duel.
//!
//! The lab checks **agreement** (at most one value is chosen), **learners-agree** (no two
//! learners learn different values) and **validity** (only a proposed value is chosen), with
//! an oracle that watches every acceptor's accepted proposals.

mod state;

pub use state::{Ballot, Contention, Msg, State};

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::invariant::Verdict;
use crate::lab::{
    int_param as int, lossy_network, Counter, Driver, Lab, Metrics, ParamGroup, ParamKind, ParamSpec, Params,
    DUPLICATION, JITTER, LOSS,
};
use crate::metrics::Histogram;
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{NodeRole, NodeSetup, Observed, Sim};
use crate::time::{Micros, MICROS_PER_MS};
use crate::trace::NodeId;
use state::{Config, Kind, Obs};

pub static PARAMS: &[ParamSpec] = &[
    int("proposers", "Proposers", (1, 4, "nodes"), "2", "Proposers that compete to get their value chosen.", false, false).in_group(ParamGroup::Cluster),
    int("acceptors", "Acceptors", (1, 7, "nodes"), "3", "Acceptors; any majority of them decides.", false, false).in_group(ParamGroup::Cluster),
    int("learners", "Learners", (1, 3, "nodes"), "1", "Learners that learn the chosen value.", false, false).in_group(ParamGroup::Cluster),
    ParamSpec {
        key: "contention",
        label: "Contention",
        kind: ParamKind::Choice(&["duel", "backoff", "leader"]),
        default: "duel",
        help: "duel retries at once (livelock); backoff waits randomly; leader lets one proposer propose.",
        per_node: false,
        live: true,
        when: None,
        group: ParamGroup::Workload,
    },
    int("retry_ms", "Retry after", (1, 10_000, "ms"), "1", "How long a proposer waits for a phase before retrying; 1 ms is shorter than a round trip, so dueling proposers livelock.", false, true),
    LOSS,
    DUPLICATION,
    JITTER,
];

fn contention(params: &Params) -> Contention {
    match params.choice("contention") {
        "backoff" => Contention::Backoff,
        "leader" => Contention::Leader,
        _ => Contention::Duel,
    }
}

/// The oracle's view of what acceptors accepted and learners learned.
#[derive(Clone, Debug, Default)]
struct Oracle {
    accepted: BTreeMap<Ballot, (u32, BTreeSet<NodeId>)>,
    chosen: Option<(u32, Ballot)>,
    learned: BTreeMap<NodeId, u32>,
    rounds: u64,
    decided_at: Option<Micros>,
    decision_time: Histogram,
}

#[derive(Clone)]
pub struct PaxosLab {
    driver: Driver<State>,
    params: Params,
    verdicts: Vec<Verdict>,
    oracle: Oracle,
    majority: usize,
    proposed: Vec<u32>,
}

impl PaxosLab {
    pub fn start(scenario: &Scenario) -> Result<PaxosLab, ScenarioError> {
        scenario.check_limits()?;
        let params = Params::resolve(PARAMS, &scenario.params).map_err(ScenarioError::Param)?;
        let (p, a, l) =
            (params.int("proposers") as NodeId, params.int("acceptors") as NodeId, params.int("learners") as NodeId);
        let acceptors: Vec<NodeId> = (p..p + a).collect();
        let learners: Vec<NodeId> = (p + a..p + a + l).collect();
        let retry = params.int("retry_ms") as Micros * MICROS_PER_MS;
        let config = |kind| Config {
            kind,
            acceptors: acceptors.clone(),
            learners: learners.clone(),
            contention: contention(&params),
            retry,
            start: 10 * MICROS_PER_MS,
        };
        let mut setups = Vec::new();
        let mut proposed = Vec::new();
        for i in 0..p {
            let value = 100 * (u32::from(i) + 1);
            proposed.push(value);
            setups.push(NodeSetup {
                name: format!("p{}", i + 1),
                role: NodeRole::Proposer,
                config: config(Kind::Proposer { index: usize::from(i), value }),
                region: 0,
                version: 1,
                cpu_cost: 0,
                present: true,
            });
        }
        for i in 0..a {
            setups.push(NodeSetup {
                name: format!("a{}", i + 1),
                role: NodeRole::Acceptor,
                config: config(Kind::Acceptor),
                region: 0,
                version: 1,
                cpu_cost: 0,
                present: true,
            });
        }
        for i in 0..l {
            setups.push(NodeSetup {
                name: format!("l{}", i + 1),
                role: NodeRole::Learner,
                config: config(Kind::Learner),
                region: 0,
                version: 1,
                cpu_cost: 0,
                present: true,
            });
        }
        let sim = Sim::new(scenario.seed, lossy_network(&params), setups);
        let driver = Driver::with_script(sim, &scenario.faults, &params)?;
        let verdicts = alloc::vec![
            Verdict::new("agreement", "At most one value is chosen."),
            Verdict::new("learners-agree", "No two learners learn different values."),
            Verdict::new("validity", "Only a value that some proposer proposed can be chosen."),
        ];
        let mut lab = PaxosLab {
            driver,
            params,
            verdicts,
            oracle: Oracle::default(),
            majority: usize::from(a) / 2 + 1,
            proposed,
        };
        lab.collect();
        Ok(lab)
    }

    fn violate(&mut self, which: usize, o: &Observed<Obs>, detail: String) {
        if let Some(event) = self.verdicts[which].violation_event(o.at, o.seq, detail) {
            self.driver.sim.trace_mut().record(o.at, event);
        }
    }

    fn collect(&mut self) {
        let mut observations = self.driver.sim.take_observed();
        for o in observations.drain(..) {
            match o.observation {
                Obs::Proposing { .. } => self.oracle.rounds += 1,
                Obs::Promised { .. } => {}
                Obs::AcceptedValue { ballot, value } => {
                    let entry = self.oracle.accepted.entry(ballot).or_insert((value, BTreeSet::new()));
                    entry.1.insert(o.node);
                    if entry.1.len() >= self.majority {
                        match self.oracle.chosen {
                            Some((chosen, at)) if chosen != value => {
                                let detail = format!(
                                    "{value} was chosen at ballot ({}, {}) after {chosen} was chosen at ({}, {})",
                                    ballot.round, ballot.proposer, at.round, at.proposer
                                );
                                self.violate(0, &o, detail);
                            }
                            Some(_) => {}
                            None => {
                                self.oracle.chosen = Some((value, ballot));
                                self.oracle.decided_at = Some(o.at);
                                self.oracle.decision_time.record(o.at);
                                if !self.proposed.contains(&value) {
                                    self.violate(2, &o, format!("{value} was chosen but nobody proposed it"));
                                }
                            }
                        }
                    }
                }
                Obs::Learned { value, .. } => {
                    if let Some((&other, &theirs)) = self.oracle.learned.iter().find(|(_, &v)| v != value) {
                        let names = &self.driver.names;
                        let detail = format!(
                            "{} learned {value} but {} learned {theirs}",
                            names[usize::from(o.node)],
                            names[usize::from(other)]
                        );
                        self.violate(1, &o, detail);
                    }
                    self.oracle.learned.insert(o.node, value);
                }
            }
        }
        self.driver.sim.recycle_observed(observations);
    }

    /// Reapplies the live knobs in `self.params` to the running nodes and network.
    fn set_live(&mut self) {
        let sim = &mut self.driver.sim;
        sim.set_net_params(lossy_network(&self.params));
        let (contention, retry) = (contention(&self.params), self.params.int("retry_ms") as Micros * MICROS_PER_MS);
        for id in 0..sim.node_count() as NodeId {
            sim.reconfigure(id, |c| {
                c.contention = contention;
                c.retry = retry;
            });
        }
    }
}

impl Lab for PaxosLab {
    crate::lab::lab_plumbing!(State, "paxos");

    fn verdicts(&self) -> &[Verdict] {
        &self.verdicts
    }

    fn metrics(&self) -> Metrics {
        let net = self.driver.sim.stats();
        let count = |name, value| Counter { name, value, unit: "" };
        Metrics {
            counters: alloc::vec![
                count("ballots started", self.oracle.rounds),
                count("value chosen", self.oracle.chosen.map_or(0, |(v, _)| u64::from(v))),
                Counter { name: "time to choose", value: self.oracle.decided_at.unwrap_or(0), unit: "us" },
                count("learners that learned", self.oracle.learned.len() as u64),
                count("sent", net.sent),
                count("dropped", net.total_dropped()),
            ],
            histograms: alloc::vec![("transit", net.transit.clone())],
            series: alloc::vec![net.delivered_per_second.clone()],
            drops: Vec::new(),
        }
    }

    fn commands(&self, node: NodeId) -> Vec<(String, String)> {
        match self.driver.sim.view().nodes.get(usize::from(node)) {
            Some(n) if n.role == NodeRole::Proposer => {
                alloc::vec![("Propose now (a higher ballot)".into(), "propose".into())]
            }
            _ => Vec::new(),
        }
    }
}

/// The lab's catalogue entry.
pub const INFO: crate::lab::LabInfo = crate::lab::LabInfo {
    name: "paxos",
    title: "Consensus: single-decree Paxos",
    summary: "Proposers, acceptors and learners with ballots; dueling proposers livelock, and \
              randomized backoff or a distinguished proposer ends it. Agreement, learner \
              agreement and validity are checked live.",
    listed: false,
    params: PARAMS,
    presets: &[],
    parts: &[],
    variants: &[],
    start: Some(|scenario| Ok(alloc::boxed::Box::new(PaxosLab::start(scenario)?))),
};
