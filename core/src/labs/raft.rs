//! # The Raft lab (Ongaro & Ousterhout, "In Search of an Understandable Consensus
//! Algorithm", USENIX ATC 2014)
//!
//! Servers start as followers. A follower that hears no leader within a randomized election
//! timeout (§5.2) becomes a candidate for the next term, votes for itself and asks the
//! others; a server grants one vote per term, and only to a candidate whose log is at least
//! as up-to-date as its own (§5.4.1). A candidate with a majority leads: it appends client
//! commands to its log and replicates them with AppendEntries, whose consistency check
//! (the previous entry's index and term) makes followers truncate conflicting suffixes
//! (§5.3). Every RPC carries a term: a higher term sends anyone back to follower, a stale one
//! is rejected. A leader commits an entry once a majority stores it, but by counting
//! replicas only for entries of its own term (§5.4.2): Figure 8 shows how counting older
//! entries can lose a committed one, and the `commit_rule=any-term` teaching variant does
//! exactly that so the checker can catch it. currentTerm, votedFor and the log are persisted
//! before any reply, and survive crashes. Clients are redirected to the leader.
//!
//! PreVote (Ongaro, "Consensus: Bridging Theory and Practice", 2014, §9.6), `prevote=on`:
//! before a real election a server asks whether the others would vote for it in the next
//! term, without changing anyone's term; a server says yes only if it would grant the vote
//! and has not heard from a leader within the minimum election timeout. A server cut off
//! from the majority then never inflates its term, so its return does not unseat a healthy
//! leader (the "Returning follower" presets show both).
//!
//! Not built: membership changes.

mod checks;
pub mod log;
mod msg;
mod state;

pub use log::{Entry, Index, Term};
pub use msg::Msg;
pub use state::{CommitRule, Role, State};

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::fault::FaultAction;
use crate::invariant::Verdict;
use crate::lab::{
    int_param as int, lossy_network, Counter, Driver, Lab, LabRun, Metrics, ParamGroup, ParamKind, ParamSpec, Params,
    Preset, DUPLICATION, JITTER, LOSS,
};
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{NodeRole, NodeSetup, NodeStatus, Sim};
use crate::time::{Micros, MICROS_PER_MS};
use crate::trace::NodeId;
use checks::Checks;
use state::{Config, Kind};

pub static PARAMS: &[ParamSpec] = &[
    int("servers", "Servers", (1, 9, "nodes"), "5", "How many Raft servers.", false, false).in_group(ParamGroup::Cluster),
    int("clients", "Clients", (0, 3, "nodes"), "1", "Clients that submit commands and follow redirects.", false, false).in_group(ParamGroup::Workload),
    int(
        "election_min_ms",
        "Election timeout from",
        (10, 60_000, "ms"),
        "150",
        "The shortest randomized election timeout (§5.2).",
        false,
        true,
    ),
    int(
        "election_max_ms",
        "Election timeout to",
        (10, 60_000, "ms"),
        "300",
        "The longest randomized election timeout.",
        false,
        true,
    ),
    int(
        "heartbeat_ms",
        "Heartbeat",
        (5, 1_000, "ms"),
        "50",
        "How often a leader sends AppendEntries when idle.",
        false,
        true,
    ),
    int("client_rate", "Client rate", (0, 100, "per s"), "5", "Commands per second each client submits.", false, true).in_group(ParamGroup::Workload),
    ParamSpec {
        key: "commit_rule",
        label: "Commit rule",
        kind: ParamKind::Choice(&["current-term", "any-term"]),
        default: "current-term",
        help: "any-term counts replicas of old entries too: the Figure 8 bug.",
        per_node: false,
        live: true,
        when: None,
        group: ParamGroup::Protocol,
    },
    ParamSpec {
        key: "prevote",
        label: "PreVote",
        kind: ParamKind::Bool,
        default: "off",
        help: "Poll a majority before a real election (thesis §9.6), so a cut-off server does not inflate its term and disrupt the leader on return.",
        per_node: false,
        live: true,
        when: None,
        group: ParamGroup::Protocol,
    },
    LOSS,
    DUPLICATION,
    JITTER,
];

const QUIET: &[(&str, &str)] = &[("client_rate", "0"), ("election_min_ms", "10000"), ("election_max_ms", "20000")];

/// The paper's scenarios, driven by partitions, crashes and forced timeouts.
pub static PRESETS: &[Preset] = &[
    Preset {
        name: "Leader crash",
        about: "n1 wins the first election; at 1.5 s it crashes, and a new leader takes over within an election timeout.",
        seed: 1,
        params: &[],
        faults: "100ms do n1 timeout; 1500ms crash n1; 3s restart n1",
    },
    Preset {
        name: "Split vote",
        about: "Every server has the same election timeout, so all become candidates at once and split the vote, again and again. Widen the timeout range to end it (§5.2).",
        seed: 1,
        params: &[("election_min_ms", "200"), ("election_max_ms", "200")],
        faults: "",
    },
    Preset {
        name: "Partitioned old leader",
        about: "The leader n1 is cut off with the client: it keeps accepting commands but cannot commit them. The majority elects a new leader; after the heal n1 steps down and its uncommitted entries are replaced.",
        seed: 2,
        params: &[],
        faults: "100ms do n1 timeout; 1s partition n1,c1 | n2,n3,n4,n5; 4s heal",
    },
    Preset {
        name: "Figure 8",
        about: "The paper's Figure 8, step by step. With the current-term rule, the term-1 entry replicated to a majority in term 3 is not committed, so n5 may safely overwrite it in term 4.",
        seed: 8,
        params: QUIET,
        faults: FIGURE_8,
    },
    Preset {
        name: "Figure 8, committing old entries",
        about: "The same run with the teaching variant that counts replicas of old-term entries: n1 commits the term-1 entry, n5 then overwrites it, and the checker flags leader completeness and state-machine safety.",
        seed: 8,
        params: &[("client_rate", "0"), ("election_min_ms", "10000"), ("election_max_ms", "20000"), ("commit_rule", "any-term")],
        faults: FIGURE_8,
    },
    Preset {
        name: "Figure 7 log repair",
        about: "n1 gathers uncommitted entries while cut off, n5 misses committed ones; after the heal, leader n2 walks each follower's nextIndex back and repairs both logs (§5.3).",
        seed: 7,
        params: QUIET,
        faults: "100ms do n1 timeout; 300ms do c1 submit n1; 500ms partition n1,c1 | n2,n3,n4,n5; 600ms do c1 submit n1; \
                 700ms do c1 submit n1; 800ms partition n1,c1 | n2,n3,n4 | n5; 900ms do n2 timeout; \
                 1000ms partition n1 | n2,n3,n4,c1 | n5; 1100ms do c1 submit n2; 1200ms do c1 submit n2; 1500ms heal",
    },
    Preset {
        name: "Returning follower",
        about: "n5 is cut off alone from 1 s to 4 s. Each election timeout it starts an election it cannot win, raising its term; when it returns, that term forces the healthy leader to step down.",
        seed: 3,
        params: &[],
        faults: RETURNING_FOLLOWER,
    },
    Preset {
        name: "Returning follower, with PreVote",
        about: "The same run with PreVote (thesis §9.6): n5 first asks whether it could win, is told no, and keeps its term; when it returns, it simply follows the leader.",
        seed: 3,
        params: &[("prevote", "on")],
        faults: RETURNING_FOLLOWER,
    },
];

const RETURNING_FOLLOWER: &str = "100ms do n1 timeout; 1s partition n5 | n1,n2,n3,n4,c1; 4s heal";

/// Raft Figure 8, driven with partitions, crashes and forced timeouts.
pub const FIGURE_8: &str = "100ms do n1 timeout; 300ms partition n1,n2,c1 | n3,n4,n5; 400ms do c1 submit n1; \
     600ms crash n1; 700ms do n5 timeout; 800ms partition n5,c1 | n1,n2,n3,n4; 900ms do c1 submit n5; \
     1000ms crash n5; 1100ms restart n1; 1150ms partition n1,n2,n3 | n4,n5,c1; 1200ms do n1 timeout; \
     1300ms do n1 timeout; 1600ms crash n1; 1700ms restart n5; 1700ms heal; 1800ms do n5 timeout; \
     1900ms do n5 timeout";

/// Election-timeout ranges the curve measures, in milliseconds.
pub const TIMEOUT_RANGES: [(u64, u64); 5] = [(50, 100), (150, 300), (300, 600), (150, 1_000), (600, 1_200)];

/// The mean time to elect a new leader after the leader (n1) crashes, for each
/// election-timeout range, over `seeds` runs each (Raft §9.3 measures the same).
pub fn election_time_curve(seeds: u64) -> Vec<((u64, u64), Micros)> {
    TIMEOUT_RANGES
        .iter()
        .map(|&range| {
            let times: Vec<Micros> = (0..seeds).filter_map(|seed| election_time_sample(range, seed)).collect();
            (range, times.iter().sum::<Micros>().checked_div(times.len() as u64).unwrap_or(0))
        })
        .collect()
}

/// One run behind [`election_time_curve`]: with election timeouts drawn from `(min, max)` ms
/// and this seed, how long the cluster took to elect a new leader after n1 (the first leader)
/// crashed; `None` if it had not within ten timeouts. A page runs one per frame.
pub fn election_time_sample((min, max): (u64, u64), seed: u64) -> Option<Micros> {
    let mut scenario = Scenario::new("raft", seed);
    scenario.set_param("election_min_ms", &format!("{min}"));
    scenario.set_param("election_max_ms", &format!("{max}"));
    scenario.set_param("client_rate", "0");
    let crash_at = 2 * max * MICROS_PER_MS;
    scenario.faults = alloc::vec![
        crate::fault::Fault {
            at: 10 * MICROS_PER_MS,
            action: FaultAction::Command { node: "n1".into(), text: "timeout".into() }
        },
        crate::fault::Fault { at: crash_at, action: FaultAction::Crash("n1".into()) },
    ];
    let mut lab = RaftLab::start(&scenario).ok()?;
    LabRun::run_until(&mut lab, crash_at + 10 * max * MICROS_PER_MS);
    lab.checks.stats.last_election.filter(|_| lab.checks.stats.leaders >= 2)
}

fn config(params: &Params, kind: Kind) -> Config {
    let min = params.int("election_min_ms").max(1) as Micros * MICROS_PER_MS;
    Config {
        kind,
        election_min: min,
        election_max: (params.int("election_max_ms") as Micros * MICROS_PER_MS).max(min),
        heartbeat: params.int("heartbeat_ms") as Micros * MICROS_PER_MS,
        commit_rule: if params.choice("commit_rule") == "any-term" {
            CommitRule::AnyTerm
        } else {
            CommitRule::CurrentTerm
        },
        client_rate: params.int("client_rate") as u32,
        client_timeout: 4 * params.int("election_max_ms") as Micros * MICROS_PER_MS,
        prevote: params.flag("prevote"),
    }
}

/// Entries of each log shown at most (the most recent ones).
const VIEW_ENTRIES: usize = 40;

/// One server as the log panel shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerView {
    pub node: NodeId,
    pub up: bool,
    pub role: Role,
    pub term: Term,
    pub voted_for: Option<NodeId>,
    /// The most recent entries; `log_offset` entries come before them.
    pub log: Vec<Entry>,
    pub log_offset: Index,
    pub last_index: Index,
    pub commit: Index,
    /// When the election timer was armed and for how long.
    pub election: Option<(Micros, Micros)>,
    /// Pre-votes gathered while polling (PreVote), if polling.
    pub pre_votes: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaftView {
    pub now: Micros,
    pub servers: Vec<ServerView>,
    /// The clients, which submit commands.
    pub clients: Vec<NodeId>,
}

#[derive(Clone)]
pub struct RaftLab {
    driver: Driver<State>,
    checks: Checks,
    params: Params,
    servers: Vec<NodeId>,
    leader_alive: bool,
}

impl RaftLab {
    pub fn start(scenario: &Scenario) -> Result<RaftLab, ScenarioError> {
        scenario.check_limits()?;
        let params = Params::resolve(PARAMS, &scenario.params).map_err(ScenarioError::Param)?;
        let n = params.int("servers") as NodeId;
        let servers: Vec<NodeId> = (0..n).collect();
        let mut setups = Vec::new();
        for id in 0..n {
            let peers = servers.iter().copied().filter(|&p| p != id).collect();
            setups.push(NodeSetup {
                name: format!("n{}", id + 1),
                role: NodeRole::Server,
                config: config(&params, Kind::Server { peers }),
                region: 0,
                version: 1,
                cpu_cost: 0,
                present: true,
            });
        }
        for c in 0..params.int("clients") as NodeId {
            let kind = Kind::Client { servers: servers.clone() };
            setups.push(NodeSetup {
                name: format!("c{}", c + 1),
                role: NodeRole::Client,
                config: config(&params, kind),
                region: 0,
                version: 1,
                cpu_cost: 0,
                present: true,
            });
        }
        let sim = Sim::new(scenario.seed, lossy_network(&params), setups);
        let driver = Driver::with_script(sim, &scenario.faults, &params)?;
        let mut lab = RaftLab { driver, checks: Checks::new(), params, servers, leader_alive: false };
        lab.collect();
        Ok(lab)
    }

    fn collect(&mut self) {
        let driver = &mut self.driver;
        let mut observed = driver.sim.take_observed();
        let sim = &driver.sim;
        let logs = |id: NodeId| sim.stable(id).map(|s| s.log.as_slice());
        for o in observed.drain(..) {
            self.checks.observe(o, &logs, &self.servers, &driver.names);
        }
        let alive = self
            .servers
            .iter()
            .any(|&s| sim.status(s) == Some(NodeStatus::Up) && sim.process(s).is_some_and(|p| p.role == Role::Leader));
        if self.leader_alive && !alive {
            self.checks.lost_leader(sim.now());
        }
        self.leader_alive = alive;
        driver.sim.recycle_observed(observed);
        self.checks.flush(driver.sim.trace_mut());
    }

    /// Every server's role, term, vote, timer and recent log.
    pub fn raft_view(&self) -> RaftView {
        let sim = &self.driver.sim;
        let servers = self
            .servers
            .iter()
            .filter_map(|&node| {
                let stable = sim.stable(node)?;
                let process = sim.process(node);
                let offset = stable.log.len().saturating_sub(VIEW_ENTRIES);
                Some(ServerView {
                    node,
                    up: sim.status(node) == Some(NodeStatus::Up),
                    role: process.map_or(Role::Follower, |p| p.role),
                    term: stable.current_term,
                    voted_for: stable.voted_for,
                    log: stable.log[offset..].to_vec(),
                    log_offset: offset as Index,
                    last_index: stable.last_index(),
                    commit: process.map_or(0, |p| p.commit_index),
                    election: process.and_then(|p| p.election_deadline),
                    pre_votes: process.and_then(|p| p.pre_votes()),
                })
            })
            .collect();
        let clients = (0..sim.node_count() as NodeId).filter(|id| !self.servers.contains(id)).collect();
        RaftView { now: sim.now(), servers, clients }
    }

    /// Reapplies the live knobs in `self.params` to the running nodes and network.
    fn set_live(&mut self) {
        let sim = &mut self.driver.sim;
        sim.set_net_params(lossy_network(&self.params));
        let params = &self.params;
        for id in 0..sim.node_count() as NodeId {
            sim.reconfigure(id, |c| {
                let kind = c.kind.clone();
                *c = config(params, kind);
            });
        }
    }
}

impl Lab for RaftLab {
    crate::lab::lab_plumbing!(State, "raft");

    fn verdicts(&self) -> &[Verdict] {
        &self.checks.verdicts
    }

    fn metrics(&self) -> Metrics {
        let s = &self.checks.stats;
        let net = self.driver.sim.stats();
        let count = |name, value| Counter { name, value, unit: "" };
        let per_entry = (net.sent + s.committed / 2).checked_div(s.committed).unwrap_or(0);
        Metrics {
            counters: alloc::vec![
                count("elections", s.elections),
                count("pre-vote rounds", s.pre_vote_rounds),
                count("leaders elected", s.leaders),
                count("entries committed", s.committed),
                count("client commands done", s.client_done),
                count("messages per committed entry", per_entry),
                count("sent", net.sent),
                count("delivered", net.delivered),
                count("dropped", net.total_dropped()),
            ],
            histograms: alloc::vec![
                ("election time", s.election_time.clone()),
                ("request latency", s.client_latency.clone()),
                ("transit", net.transit.clone()),
            ],
            series: alloc::vec![net.delivered_per_second.clone()],
            drops: Vec::new(),
        }
    }

    fn commands(&self, node: NodeId) -> Vec<(String, String)> {
        if self.servers.contains(&node) {
            alloc::vec![("Time out now (start an election)".into(), "timeout".into())]
        } else {
            alloc::vec![("Submit a command".into(), "submit".into())]
        }
    }

    fn lab_view(&self) -> super::LabView {
        super::LabView::Raft(self.raft_view())
    }
}

/// The lab's catalogue entry.
pub const INFO: crate::lab::LabInfo = crate::lab::LabInfo {
    name: "raft",
    title: "Consensus: Raft",
    summary: "Raft with randomized elections, terms, the voting and commit rules, log repair, \
              persistence across crashes and client redirects, with election safety, log \
              matching, leader completeness and state-machine safety checked live, and the \
              paper's scenarios as presets.",
    listed: false,
    params: PARAMS,
    presets: PRESETS,
    parts: &[],
    variants: &[],
    start: Some(|scenario| Ok(alloc::boxed::Box::new(RaftLab::start(scenario)?))),
};
