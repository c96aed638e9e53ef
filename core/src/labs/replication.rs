//! # The replication lab: three ways to keep copies, and what each one risks
//!
//! The same clients and the same faults against the three families of replication that
//! Kleppmann's *Designing Data-Intensive Applications* (ch. 5) sets side by side, each a
//! real protocol on the shared simulator (see the submodules' essays):
//!
//! - **single leader** (`leader.rs`): log shipping with synchronous, semi-synchronous or
//!   asynchronous acknowledgement, and failover by a monitor. An asynchronous leader that
//!   crashes takes acknowledged writes with it; a returning old leader without a lease
//!   (split brain) acknowledges writes that are later discarded. Reads from followers show
//!   replication lag as read-your-writes and monotonic-reads violations.
//! - **multi-leader** (`multi.rs`): a leader per datacenter, state-based replication between
//!   them, and conflict handling by last writer wins (lost updates under clock skew), by
//!   version-vector siblings (Dynamo, Riak), or by CRDTs (Shapiro, Preguiça, Baquero &
//!   Zawirski, "Conflict-free Replicated Data Types", SSS 2011).
//! - **leaderless** (`leaderless.rs`): Dynamo's quorums (DeCandia et al., SOSP 2007) with
//!   read repair, sloppy quorums with hinted handoff, and Merkle-tree anti-entropy.
//!
//! Every family's client history goes through the consistency lab's live judge
//! ([`crate::history::live`]), which says which models the run satisfies; the guarantees
//! each family promises are checked live (`checks.rs`, and [`crate::history::recency`] for
//! R + W > N), and each names the event that broke it.

mod checks;
mod client;
pub mod data;
mod leader;
mod leaderless;
mod monitor;
pub mod msg;
mod multi;
mod node;
mod observe;
mod params;
mod view;

pub use node::{Command, Config, Family, Obs, State};
pub use params::{PARAMS, PRESETS};
pub use view::{LagSeries, MerkleView, QuorumView, ReplicationView, ServerView};

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::history::live::Judge;
use crate::history::{recency, Answer, Call, Val};
use crate::invariant::{Promises, Verdict};
use crate::lab::{lossy_network, Counter, Driver, Lab, Metrics, Params};
use crate::metrics::Histogram;
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{NodeRole, NodeSetup, Sim};
use crate::time::{Micros, MICROS_PER_MS, MICROS_PER_SEC};
use crate::trace::NodeId;
use checks::{AckedWrites, Convergence, Failover};
use data::Conflicts;
use msg::{Reply, Request};
use node::{Kind, ReadFrom, Role, SyncMode};

/// Every guarantee the lab can check: (name, statement).
const GUARANTEES: [(&str, &str); 9] = [
    ("acknowledged writes survive", "A write acknowledged to a client is never lost, whatever fails."),
    ("read-your-writes", "A client's read reflects every write it made before."),
    ("monotonic-reads", "A client never reads an older value after a newer one."),
    ("convergent", "Once writes stop and messages flow, every replica answers with the same value."),
    ("no lost update", "Every write is kept, or replaced by a write that had seen it."),
    ("later write wins", "Of two conflicting writes, the one made later in real time is kept."),
    ("strong eventual consistency", "Replicas that applied the same updates have the same state."),
    ("no increment lost", "A counter reads the sum of every update it has applied."),
    ("fresh reads", "A read sees the latest write acknowledged before it began (R + W > N)."),
];

const ACKED: usize = 0;
const RYW: usize = 1;
const MONOTONIC: usize = 2;
const CONVERGENT: usize = 3;
const NO_LOST_UPDATE: usize = 4;
const LATER_WINS: usize = 5;
const SEC: usize = 6;
const NO_INCREMENT_LOST: usize = 7;
const FRESH: usize = 8;

/// The guarantees a configuration promises, by index into [`GUARANTEES`].
fn promised(family: Family, conflicts: Conflicts) -> Vec<usize> {
    match family {
        Family::SingleLeader => alloc::vec![ACKED, RYW, MONOTONIC, CONVERGENT],
        Family::MultiLeader => match conflicts {
            Conflicts::LastWriterWins => alloc::vec![NO_LOST_UPDATE, LATER_WINS, SEC, CONVERGENT],
            Conflicts::Siblings => alloc::vec![NO_LOST_UPDATE, SEC],
            Conflicts::OrSet => alloc::vec![SEC],
            _ => alloc::vec![SEC, NO_INCREMENT_LOST],
        },
        Family::Leaderless => alloc::vec![FRESH, CONVERGENT],
    }
}

#[derive(Clone)]
pub struct ReplicationLab {
    driver: Driver<State>,
    params: Params,
    family: Family,
    conflicts: Conflicts,
    promises: Promises,
    judge: Judge,
    servers: Vec<NodeId>,
    clients: Vec<NodeId>,
    acked: AckedWrites,
    convergence: Convergence,
    /// Open operations: (client, id) → (invoked at, is a write).
    open: Vec<((NodeId, u32), Micros, Request, bool)>,
    /// Acknowledged register writes per key: (invoked, completed, value), for staleness.
    written: Vec<Vec<(Micros, Micros, msg::Value)>>,
    staleness: Histogram,
    write_latency: Histogram,
    read_latency: Histogram,
    lag: Vec<LagSeries>,
    next_sample: Micros,
    outcomes: (u64, u64),
    /// Reads answered with more than one sibling.
    sibling_reads: u64,
    repairs: u64,
    hints: u64,
    handoffs: u64,
    hashes: u64,
    keys_exchanged: u64,
    last_merkle: Option<(NodeId, NodeId, u8, Vec<u32>)>,
}

/// Acknowledged writes kept per key for the staleness of reads (the older half is dropped
/// when full, so a long run's memory stays bounded).
const WRITES_KEPT: usize = 1024;

/// The lag chart keeps one sample per this much virtual time, and at most this many.
const LAG_EVERY: Micros = 100 * MICROS_PER_MS;
const LAG_KEEP: usize = 600;

fn config(params: &Params, kind: Kind, servers: &[NodeId], monitor: Option<NodeId>, clients: &[NodeId]) -> Config {
    let workload = params.int("workload_s") as Micros * MICROS_PER_SEC;
    let ms = |key| params.int(key) as Micros * MICROS_PER_MS;
    let skewed = matches!(kind, Kind::Datacenter { index: 1 } | Kind::Replica { index: 1 });
    let count = servers.len() as u8;
    let n = (params.int("n") as u8).clamp(1, count.max(1));
    Config {
        family: Family::parse(params.choice("family")),
        kind,
        servers: servers.to_vec(),
        monitor,
        clients: clients.to_vec(),
        keys: params.int("keys") as u8,
        think: ms("think_ms"),
        timeout: ms("timeout_ms"),
        reads_pct: params.int("reads") as u8,
        stop: workload,
        finals: workload + 3 * MICROS_PER_SEC,
        sync: SyncMode::parse(params.choice("sync")),
        promote_any: params.choice("promote") == "any",
        lease: params.choice("lease") == "on",
        failover: ms("failover_ms"),
        heartbeat: 100 * MICROS_PER_MS,
        read_from: ReadFrom::parse(params.choice("read_from")),
        ryw_window: ms("ryw_ms"),
        conflicts: Conflicts::parse(params.choice("conflicts")),
        skew: if skewed { ms("skew_ms") } else { 0 },
        sync_every: ms("sync_ms"),
        n,
        r: (params.int("r") as u8).clamp(1, n),
        w: (params.int("w") as u8).clamp(1, n),
        read_repair: params.choice("read_repair") == "on",
        vector_clocks: params.choice("versions") == "vector-clock",
        sloppy: params.choice("sloppy") == "on",
        anti_entropy: ms("anti_entropy_ms"),
    }
}

fn setup(name: String, role: NodeRole, region: u8, config: Config) -> NodeSetup<Config> {
    NodeSetup { name, role, config, region, version: 1, cpu_cost: 0, present: true }
}

impl ReplicationLab {
    pub fn start(scenario: &Scenario) -> Result<ReplicationLab, ScenarioError> {
        scenario.check_limits()?;
        let params = Params::resolve(PARAMS, &scenario.params).map_err(ScenarioError::Param)?;
        let family = Family::parse(params.choice("family"));
        let conflicts = Conflicts::parse(params.choice("conflicts"));
        let mut count = params.int("replicas") as NodeId;
        if family == Family::MultiLeader {
            count = count.min(3);
        }
        let (prefix, role) = match family {
            Family::SingleLeader => ("s", NodeRole::Server),
            Family::MultiLeader => ("dc", NodeRole::Server),
            Family::Leaderless => ("n", NodeRole::Replica),
        };
        let servers: Vec<NodeId> = (0..count).collect();
        let mut next = count;
        let monitor = (family == Family::SingleLeader).then(|| {
            next += 1;
            count
        });
        let c = params.int("clients") as NodeId;
        let clients: Vec<NodeId> = (next..next + c).collect();
        let config = |kind| config(&params, kind, &servers, monitor, &clients);
        let region = |i: NodeId| if family == Family::MultiLeader { (i % 3) as u8 } else { 0 };
        let mut setups = Vec::new();
        for i in 0..count {
            let index = i as u8;
            let kind = match family {
                Family::SingleLeader => Kind::Server { index },
                Family::MultiLeader => Kind::Datacenter { index },
                Family::Leaderless => Kind::Replica { index },
            };
            setups.push(setup(format!("{prefix}{}", i + 1), role, region(i), config(kind)));
        }
        if monitor.is_some() {
            setups.push(setup("m1".into(), NodeRole::Monitor, 0, config(Kind::Monitor)));
        }
        for i in 0..c {
            let client = Client::home_of(family, i as u8, count as usize);
            setups.push(setup(
                format!("c{}", i + 1),
                NodeRole::Client,
                region(client as NodeId),
                config(Kind::Client { index: i as u8 }),
            ));
        }
        let sim = Sim::new(scenario.seed, lossy_network(&params), setups);
        let driver = Driver::with_script(sim, &scenario.faults, &params)?;
        let lag = match family {
            Family::SingleLeader => servers.iter().map(|&s| LagSeries { node: s, points: Vec::new() }).collect(),
            _ => Vec::new(),
        };
        let mut lab = ReplicationLab {
            driver,
            params,
            family,
            conflicts,
            promises: Promises::new(&GUARANTEES, promised(family, conflicts)),
            judge: Judge::default(),
            servers,
            clients,
            acked: AckedWrites::default(),
            convergence: Convergence::default(),
            open: Vec::new(),
            written: Vec::new(),
            staleness: Histogram::default(),
            write_latency: Histogram::default(),
            read_latency: Histogram::default(),
            lag,
            next_sample: 0,
            outcomes: (0, 0),
            sibling_reads: 0,
            repairs: 0,
            hints: 0,
            handoffs: 0,
            hashes: 0,
            keys_exchanged: 0,
            last_merkle: None,
        };
        lab.collect();
        lab.note_undecided();
        Ok(lab)
    }

    /// Convergence is judged from the final reads: until then it is not judged yet, not
    /// holding. The judge decides only on a completion, so this runs at the start and after
    /// each one.
    fn note_undecided(&mut self) {
        self.promises.set_pending(CONVERGENT, self.judge.undecided(CONVERGENT_MODEL));
    }

    /// Marks guarantee `g` violated at trace event `seq`, if the configuration promises it.
    fn violate(&mut self, g: usize, at: Micros, seq: u64, detail: String) {
        if let Some(event) = self.promises.violate(g, at, seq, detail) {
            self.driver.sim.trace_mut().record(at, event);
        }
    }

    fn name(&self, id: NodeId) -> String {
        self.driver.names.get(usize::from(id)).cloned().unwrap_or_default()
    }

    /// The history's form of a request, or none (counters and sets are not registers).
    fn call(request: Request) -> Option<(Val, Call)> {
        let key = |k| Val::Str(format!("{}", msg::key_name(k)));
        match request {
            Request::Read { key: k } => Some((key(k), Call::Read)),
            Request::Write { key: k, value } => Some((key(k), Call::Write(Val::Int(i64::from(value))))),
            _ => None,
        }
    }

    fn collect(&mut self) {
        let mut observations = self.driver.sim.take_observed();
        for o in observations.drain(..) {
            let (node, at, seq) = (o.node, o.at, o.seq);
            match o.observation {
                Obs::Invoke { process, id, request, final_read } => {
                    self.open.push(((node, id), at, request, final_read));
                    let registers = self.family != Family::MultiLeader || self.conflicts.registers();
                    if let (true, Some(call)) = (registers, Self::call(request)) {
                        let lane = self.clients.iter().position(|&c| c == node).unwrap_or(0) as u8;
                        self.judge.invoke(node, lane, process, id, call, at, final_read);
                    }
                }
                Obs::Complete { id, ok, reply } => self.completed(node, id, ok, reply, at, seq),
                Obs::Acked { epoch, index, key, value, client } => {
                    if self.acked.failovers.iter().any(|f| f.epoch > epoch) {
                        self.acked.deposed += 1;
                    }
                    let w = checks::AckedWrite { epoch, index, key, value, client, at, lost: false };
                    self.acked.acked.push(w);
                }
                Obs::Failover { epoch, from, to } => self.acked.failovers.push(Failover { epoch, from, to, at }),
                Obs::Promoted { epoch, .. } => self.check_acked(node, epoch, at, seq),
                Obs::Rollback { .. } | Obs::SteppedDown { .. } => {
                    if let Some((leader, epoch)) = self.current_leader() {
                        self.check_acked(leader, epoch, at, seq);
                    }
                }
                Obs::Dropped { key, lost, kept, later, dc, number } => {
                    // Each datacenter reports a write it dropped; count the write once.
                    if !self.convergence.dropped_writes.insert((dc, number)) {
                        continue;
                    }
                    self.convergence.dropped += 1;
                    let k = msg::key_name(key);
                    let detail = format!(
                        "{}: the write {k}={lost} was dropped for {k}={kept}, which had not seen it",
                        self.name(node)
                    );
                    self.violate(NO_LOST_UPDATE, at, seq, detail);
                    if later {
                        self.convergence.dropped_later += 1;
                        let detail = format!(
                            "{}: the write {k}={lost} was dropped for {k}={kept}, though it was made later in real time (the clocks disagree)",
                            self.name(node)
                        );
                        self.violate(LATER_WINS, at, seq, detail);
                    }
                }
                Obs::Conflict { .. } => self.convergence.conflicts += 1,
                Obs::Updated { number, delta } => {
                    let dc = self.servers.iter().position(|&s| s == node).unwrap_or(0) as u8;
                    self.convergence.record(dc, number, delta);
                    self.check_datacenters(at, seq);
                }
                Obs::Merged { .. } => self.check_datacenters(at, seq),
                Obs::Repaired { replicas, .. } => self.repairs += u64::from(replicas),
                Obs::Hinted { .. } => self.hints += 1,
                Obs::HandedOff { .. } => self.handoffs += 1,
                Obs::TreeLevel { peer, level, hashes, .. } => {
                    self.hashes += u64::from(hashes);
                    if level == 0 {
                        self.last_merkle = Some((node, peer, 0, Vec::new()));
                    }
                }
                Obs::TreeKeys { keys, .. } => self.keys_exchanged += u64::from(keys),
            }
        }
        self.driver.sim.recycle_observed(observations);
        self.sample_lag();
    }

    fn completed(&mut self, node: NodeId, id: u32, ok: bool, reply: Reply, at: Micros, seq: u64) {
        if ok {
            self.outcomes.0 += 1;
        } else {
            self.outcomes.1 += 1;
        }
        let mut stale = None;
        if let Some(i) = self.open.iter().position(|(k, ..)| *k == (node, id)) {
            let (_, started, request, final_read) = self.open.swap_remove(i);
            if ok {
                let read = matches!(request, Request::Read { .. });
                let h = if read { &mut self.read_latency } else { &mut self.write_latency };
                h.record(at - started);
                // Final reads ask one replica, not a quorum: they are convergence's business.
                stale = self.staleness_of(request, &reply, started, at).filter(|&s| s > 0 && !final_read);
            }
        }
        let read = match &reply {
            Reply::Value(0) => Some(Val::Nil),
            Reply::Value(v) => Some(Val::Int(i64::from(*v))),
            Reply::Siblings(values, _) if values.len() == 1 => Some(Val::Int(i64::from(values[0]))),
            Reply::Siblings(values, _) if values.is_empty() => Some(Val::Nil),
            Reply::Siblings(..) => None,
            _ => Some(Val::Nil),
        };
        if matches!(&reply, Reply::Siblings(values, _) if values.len() > 1) {
            self.sibling_reads += 1;
        }
        // A read of several siblings is not a register's answer: recorded as unknown.
        let ok = ok && read.is_some();
        let broke = self.judge.complete(node, id, ok, read.unwrap_or(Val::Nil), at, seq);
        for (model, at, seq) in broke {
            if model == CONVERGENT_MODEL {
                if let Answer::Violated { reason, .. } = &self.judge.answers[model] {
                    let detail = reason.clone();
                    self.violate(CONVERGENT, at, seq, detail);
                }
            }
        }
        self.note_undecided();
        for (guarantee, which) in [(RYW, 0), (MONOTONIC, 1)] {
            if let Answer::Violated { culprit, reason, .. } = self.judge.session(which) {
                let (at, seq) = self.judge.completion(*culprit).unwrap_or((at, seq));
                let detail = reason.clone();
                self.violate(guarantee, at, seq, detail);
            }
        }
        if let (Family::Leaderless, Some(stale)) = (self.family, stale) {
            // The judge's sentence, naming the writes, when the read is in the history.
            let recorded = self.judge.last_completed().filter(|&i| self.judge.completion(i) == Some((at, seq)));
            let reason = match recorded
                .and_then(|i| recency::check_read_timed(&self.judge.history, i, &crate::time::format_time))
            {
                Some(Answer::Violated { reason, .. }) => reason,
                _ => format!(
                    "a read returned a value that an acknowledged write had overwritten {} before the read began",
                    crate::time::format_duration(stale)
                ),
            };
            self.violate(FRESH, at, seq, reason);
        }
    }

    /// Reapplies the live knobs to the running nodes and network.
    fn set_live(&mut self) {
        self.driver.sim.set_net_params(lossy_network(&self.params));
        let servers = self.servers.clone();
        let clients = self.clients.clone();
        let fresh = config(&self.params, Kind::Monitor, &servers, None, &clients);
        for id in 0..self.driver.sim.node_count() as NodeId {
            let skewed = id == 1;
            self.driver.sim.reconfigure(id, |c| {
                c.think = fresh.think;
                c.timeout = fresh.timeout;
                c.reads_pct = fresh.reads_pct;
                c.promote_any = fresh.promote_any;
                c.read_from = fresh.read_from;
                c.ryw_window = fresh.ryw_window;
                c.sync_every = fresh.sync_every;
                c.r = fresh.r;
                c.w = fresh.w;
                c.read_repair = fresh.read_repair;
                c.sloppy = fresh.sloppy;
                if skewed && matches!(c.kind, Kind::Datacenter { .. } | Kind::Replica { .. }) {
                    c.skew = self.params.int("skew_ms") as Micros * MICROS_PER_MS;
                }
            });
        }
    }
}

/// Index of "convergent" in the judge's models.
const CONVERGENT_MODEL: usize = 3;

use client::Client;

impl Lab for ReplicationLab {
    crate::lab::lab_plumbing!(State, "replication");

    fn verdicts(&self) -> &[Verdict] {
        &self.promises.verdicts
    }

    fn metrics(&self) -> Metrics {
        let net = self.driver.sim.stats();
        let (ok, unknown) = self.outcomes;
        let count = |name, value| Counter { name, value, unit: "" };
        let mut counters = alloc::vec![count("operations ok", ok), count("operations unknown", unknown)];
        match self.family {
            Family::SingleLeader => {
                counters.push(count("writes acknowledged", self.acked.acked.len() as u64));
                counters.push(count("acknowledged writes lost", self.acked.lost.len() as u64));
                counters.push(count("failovers", self.acked.failovers.len() as u64));
                counters.push(count("acknowledged by a deposed leader", self.acked.deposed));
            }
            Family::MultiLeader => {
                counters.push(count("writes dropped unseen", self.convergence.dropped));
                counters.push(count("later writes dropped", self.convergence.dropped_later));
                counters.push(count("conflicts kept", self.convergence.conflicts));
                counters.push(count("reads of siblings", self.sibling_reads));
            }
            Family::Leaderless => {
                counters.push(count("read repairs", self.repairs));
                counters.push(count("reads of siblings", self.sibling_reads));
                counters.push(count("hinted writes", self.hints));
                counters.push(count("hints handed off", self.handoffs));
                counters.push(count("Merkle hashes sent", self.hashes));
                counters.push(count("keys exchanged", self.keys_exchanged));
            }
        }
        counters.push(count("sent", net.sent));
        counters.push(count("dropped", net.total_dropped()));
        Metrics {
            counters,
            histograms: alloc::vec![
                ("write latency", self.write_latency.clone()),
                ("read latency", self.read_latency.clone()),
                ("read staleness", self.staleness.clone()),
                ("transit", net.transit.clone()),
            ],
            series: alloc::vec![net.delivered_per_second.clone()],
            drops: Vec::new(),
        }
    }

    fn commands(&self, node: NodeId) -> Vec<(String, String)> {
        let keys = self.params.int("keys") as u8;
        if self.clients.contains(&node) {
            if self.family == Family::MultiLeader && self.conflicts.counter() {
                let mut c = alloc::vec![("Increment".into(), "increment".into())];
                if self.conflicts == Conflicts::PNCounter {
                    c.push(("Decrement".into(), "decrement".into()));
                }
                return c;
            }
            if self.family == Family::MultiLeader && self.conflicts == Conflicts::OrSet {
                return alloc::vec![("Add a".into(), "add a".into()), ("Remove a".into(), "remove a".into())];
            }
            return (0..keys.min(4))
                .flat_map(|k| {
                    let name = msg::key_name(k);
                    [
                        (format!("Read {name}"), format!("read {name}")),
                        (format!("Write {name}"), format!("write {name}")),
                    ]
                })
                .collect();
        }
        match self.driver.sim.process(node).map(|p| &p.role) {
            Some(Role::Monitor(_)) => alloc::vec![("Fail over now".into(), "failover".into())],
            Some(Role::Replica(_)) => alloc::vec![("Anti-entropy round now".into(), "repair".into())],
            _ => Vec::new(),
        }
    }

    fn lab_view(&self) -> super::LabView {
        super::LabView::Replication(alloc::boxed::Box::new(self.view()))
    }
}

/// The lab's catalogue entry.
pub const INFO: crate::lab::LabInfo = crate::lab::LabInfo {
    name: "replication",
    title: "Replication",
    summary: "Single leader with sync, semi-sync or async failover; multi-leader with last writer wins, \
              siblings and CRDTs; leaderless quorums with read repair, hinted handoff and Merkle \
              anti-entropy. Each family's losses are checked live and the history is judged.",
    listed: true,
    params: PARAMS,
    presets: PRESETS,
    parts: &[],
    variants: &[
        ("Single leader", "family", "single-leader"),
        ("Multi-leader", "family", "multi-leader"),
        ("Leaderless", "family", "leaderless"),
    ],
    start: Some(|scenario| Ok(alloc::boxed::Box::new(ReplicationLab::start(scenario)?))),
};
