//! # The transactions lab: all or nothing across nodes, and what it costs
//!
//! Three ways to keep several nodes' changes together, each a real protocol on the shared
//! simulator (see the submodules' essays), with the guarantee each promises checked live:
//!
//! - **atomic commit** (`coordinator.rs`, `participant.rs`): two-phase commit (Gray 1978)
//!   with presumed abort (Mohan, Lindsay & Obermarck 1986) and cooperative termination, and
//!   three-phase commit (Skeen 1981) beside it. A transfer between accounts at two banks
//!   commits at both or at neither; a coordinator crash between the votes and the decision
//!   leaves participants in doubt, holding locks (2PC blocks), while 3PC's termination rule
//!   decides without it, and loses atomicity when the network partitions;
//! - **sagas** (`saga.rs`; Garcia-Molina & Salem 1987): local transactions with
//!   compensations, orchestrated or choreographed, idempotent under duplicated messages,
//!   and without isolation (a semantic lock as the countermeasure);
//! - **the transactional outbox** (`outbox.rs`) against the dual-write bug, with a polling
//!   or log-tailing relay and a deduplicating consumer.
//!
//! Every teaching variant (sending the decision before logging it, non-idempotent steps,
//! blind compensation, dual writes, a consumer without deduplication) is caught by a check
//! that names the transaction, saga or write and the event that broke the guarantee.

mod checks;
mod client;
mod coordinator;
pub mod msg;
mod node;
mod observe;
mod outbox;
mod params;
mod participant;
mod saga;
mod view;

pub use node::{By, Command, Config, Obs, Pattern, Publish, State};
pub use params::{PARAMS, PRESETS};
pub use view::{BankView, LockBar, OutboxView, SagaRow, TransactionsView, LOCK_BARS_KEPT, LOCK_WINDOW};

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::invariant::{Promises, Verdict};
use crate::lab::{lossy_network, Counter, Driver, Lab, Metrics, Params};
use crate::metrics::{Histogram, Series};
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{NodeRole, NodeSetup, Sim};
use crate::time::{Micros, MICROS_PER_MS, MICROS_PER_SEC};
use crate::trace::NodeId;
use checks::{Commits, Events, Sagas};
use node::{Kind, Role, Service};

/// Every guarantee the lab can check: (name, statement).
const GUARANTEES: [(&str, &str); 9] = [
    ("atomic", "No transaction commits at one participant and aborts at another."),
    ("money is conserved", "The accounts always hold, in committed state, the money they started with."),
    ("decision logged first", "No participant commits before the coordinator's decision is on its disk."),
    ("completed or compensated", "Every saga ends with every step done, or with every step that ran compensated."),
    ("no compensation without its step", "A compensation takes effect only where its step took effect."),
    ("each step takes effect once", "No step or compensation of a saga takes effect twice."),
    ("no event lost", "Every committed write's event reaches the consumer."),
    ("no phantom event", "No event is applied for a write that did not commit."),
    ("events applied once", "The consumer applies each write's event exactly once."),
];

const ATOMIC: usize = 0;
const MONEY: usize = 1;
const LOGGED_FIRST: usize = 2;
const SAGA_ENDS: usize = 3;
const NO_ORPHAN: usize = 4;
const STEP_ONCE: usize = 5;
const NO_LOSS: usize = 6;
const NO_PHANTOM: usize = 7;
const APPLIED_ONCE: usize = 8;

fn promised(pattern: Pattern) -> Vec<usize> {
    match pattern {
        Pattern::TwoPhase => alloc::vec![ATOMIC, MONEY, LOGGED_FIRST],
        Pattern::ThreePhase => alloc::vec![ATOMIC, MONEY],
        Pattern::Saga => alloc::vec![SAGA_ENDS, NO_ORPHAN, STEP_ONCE],
        Pattern::Outbox => alloc::vec![NO_LOSS, NO_PHANTOM, APPLIED_ONCE],
    }
}

/// Saga rows the view shows.
const SAGA_ROWS: usize = 14;
/// Balance of every account at the start.
const BALANCE: i64 = 100;

#[derive(Clone)]
pub struct TransactionsLab {
    driver: Driver<State>,
    params: Params,
    pattern: Pattern,
    promises: Promises,
    hub: NodeId,
    servers: Vec<NodeId>,
    commits: Commits,
    sagas: Sagas,
    events: Events,
    /// Open requests: (client, id) → sent at.
    open: BTreeMap<(NodeId, u32), Micros>,
    outcomes: [u64; 3],
    latency: Histogram,
    in_doubt: Histogram,
    held: Histogram,
    successes: Series,
    /// When each participant went in doubt about a transaction, until it decided.
    doubt_at: BTreeMap<(NodeId, u32), Micros>,
    bars: VecDeque<(NodeId, LockBar)>,
    /// Within the chart's window, every lock held after this instant has its bar; earlier
    /// closed ones may have been forgotten to keep [`LOCK_BARS_KEPT`].
    bars_complete_from: Micros,
    counts: BTreeMap<&'static str, u64>,
}

fn config(
    params: &Params,
    pattern: Pattern,
    kind: Kind,
    hub: NodeId,
    servers: &[NodeId],
    clients: &[NodeId],
) -> Config {
    let ms = |key| params.int(key) as Micros * MICROS_PER_MS;
    let on = |key| params.choice(key) == "on";
    let stop = params.int("workload_s") as Micros * MICROS_PER_SEC;
    Config {
        pattern,
        kind,
        hub,
        servers: servers.to_vec(),
        clients: clients.to_vec(),
        think: ms("think_ms"),
        timeout: ms("timeout_ms"),
        stop,
        settle: stop + 5 * MICROS_PER_SEC,
        accounts: params.int("accounts") as u8,
        balance: BALANCE,
        fsync: ms("fsync_ms"),
        log_first: params.choice("log_decision") == "before-send",
        vote_timeout: ms("vote_timeout_ms"),
        lock_timeout: ms("lock_timeout_ms"),
        decision_timeout: ms("decision_timeout_ms"),
        cooperative: params.choice("termination") == "cooperative",
        choreography: params.choice("style") == "choreography",
        stock: params.int("stock"),
        credit: params.int("credit"),
        ship_fail: params.int("ship_fail") as u8,
        idempotent: on("idempotent"),
        blind: params.choice("compensation") == "blind",
        semantic_lock: on("semantic_lock"),
        restock: ms("restock_ms"),
        retry: ms("retry_ms"),
        publish: Publish::parse(params.choice("publish")),
        cdc: params.choice("relay") == "cdc",
        dedup: on("dedup"),
        rollback: params.int("rollback") as u8,
        db: ms("db_ms"),
        poll: ms("poll_ms"),
    }
}

/// The nodes of a pattern, after the clients' hub: (name, role, kind).
fn layout(pattern: Pattern, params: &Params) -> Vec<(String, NodeRole, Kind)> {
    match pattern {
        Pattern::TwoPhase | Pattern::ThreePhase => {
            let mut nodes = alloc::vec![("co".into(), NodeRole::Coordinator, Kind::Coordinator)];
            for i in 0..params.int("participants") as u8 {
                nodes.push((format!("p{}", i + 1), NodeRole::Server, Kind::Participant { index: i }));
            }
            nodes
        }
        Pattern::Saga => {
            let mut nodes = Vec::new();
            if params.choice("style") != "choreography" {
                nodes.push(("orch".into(), NodeRole::Coordinator, Kind::Orchestrator));
            }
            let services = [
                ("ord", Service::Orders),
                ("pay", Service::Payments),
                ("inv", Service::Inventory),
                ("shp", Service::Shipping),
            ];
            nodes.extend(services.iter().map(|&(n, s)| (n.into(), NodeRole::Server, Kind::Service(s))));
            nodes
        }
        Pattern::Outbox => alloc::vec![
            ("svc".into(), NodeRole::Server, Kind::OutboxService),
            ("mq".into(), NodeRole::Router, Kind::Broker),
            ("cons".into(), NodeRole::Server, Kind::Consumer),
        ],
    }
}

impl TransactionsLab {
    pub fn start(scenario: &Scenario) -> Result<TransactionsLab, ScenarioError> {
        scenario.check_limits()?;
        let params = Params::resolve(PARAMS, &scenario.params).map_err(ScenarioError::Param)?;
        let pattern = Pattern::parse(params.choice("pattern"));
        let nodes = layout(pattern, &params);
        let count = nodes.len() as NodeId;
        // The hub is the first node (coordinator, orchestrator, order service, service); the
        // servers are the rest (in choreography, all four services).
        let hub = 0;
        let servers: Vec<NodeId> = match nodes[0].2 {
            Kind::Service(_) => (0..count).collect(),
            _ => (1..count).collect(),
        };
        let c = params.int("clients") as NodeId;
        let clients: Vec<NodeId> = (count..count + c).collect();
        let make = |kind| config(&params, pattern, kind, hub, &servers, &clients);
        let mut setups: Vec<NodeSetup<Config>> =
            nodes.into_iter().map(|(name, role, kind)| setup(name, role, make(kind))).collect();
        for i in 0..c {
            setups.push(setup(format!("c{}", i + 1), NodeRole::Client, make(Kind::Client { index: i as u8 })));
        }
        let sim = Sim::new(scenario.seed, lossy_network(&params), setups);
        let driver = Driver::with_script(sim, &scenario.faults, &params)?;
        let money = BALANCE * params.int("accounts") * params.int("participants");
        let mut lab = TransactionsLab {
            driver,
            params,
            pattern,
            promises: Promises::new(&GUARANTEES, promised(pattern)),
            hub,
            servers,
            commits: Commits::new(money),
            sagas: Sagas::default(),
            events: Events::default(),
            open: BTreeMap::new(),
            outcomes: [0; 3],
            latency: Histogram::default(),
            in_doubt: Histogram::default(),
            held: Histogram::default(),
            successes: Series::new("successes per second", MICROS_PER_SEC, 600),
            doubt_at: BTreeMap::new(),
            bars: VecDeque::new(),
            bars_complete_from: 0,
            counts: BTreeMap::new(),
        };
        lab.collect();
        Ok(lab)
    }

    /// Marks guarantee `g` violated, pointing at trace event `seq`.
    fn violate(&mut self, g: usize, at: Micros, seq: u64, detail: String) {
        if let Some(event) = self.promises.violate(g, at, seq, detail) {
            let now = self.driver.sim.now();
            self.driver.sim.trace_mut().record(now, event);
        }
    }

    fn name(&self, id: NodeId) -> String {
        self.driver.names.get(usize::from(id)).cloned().unwrap_or_default()
    }

    fn count(&mut self, what: &'static str) {
        *self.counts.entry(what).or_default() += 1;
    }

    fn collect(&mut self) {
        let mut observations = self.driver.sim.take_observed();
        for o in observations.drain(..) {
            self.observe(o.node, o.at, o.seq, o.observation);
        }
        self.driver.sim.recycle_observed(observations);
    }

    fn observe(&mut self, node: NodeId, at: Micros, seq: u64, obs: Obs) {
        match obs {
            Obs::Submitted { id } => {
                self.open.insert((node, id), at);
            }
            Obs::Finished { id, ok } => {
                let started = self.open.remove(&(node, id));
                match ok {
                    Some(true) => {
                        self.outcomes[0] += 1;
                        self.successes.add(at, 1);
                        if let Some(s) = started {
                            self.latency.record(at - s);
                        }
                    }
                    Some(false) => self.outcomes[1] += 1,
                    None => self.outcomes[2] += 1,
                }
            }
            Obs::Settled => self.settle(at, seq),
            Obs::Logged { tx } => {
                self.commits.logged.insert(tx, at);
            }
            Obs::Presumed { .. } => self.count("presumed aborts"),
            Obs::Locked { tx, account } => {
                let open = self.bars.iter().any(|(n, b)| *n == node && b.tx == tx && b.to.is_none());
                if !open {
                    self.bars.push_back((node, LockBar { account, tx, from: at, to: None, in_doubt: false }));
                    self.forget_bars(at);
                }
            }
            Obs::Unlocked { tx, .. } => {
                if let Some((_, bar)) =
                    self.bars.iter_mut().rev().find(|(n, b)| *n == node && b.tx == tx && b.to.is_none())
                {
                    bar.to = Some(at);
                    self.held.record(at - bar.from);
                }
            }
            Obs::Waiting { .. } => self.count("lock waits"),
            Obs::InDoubt { tx } => {
                if let alloc::collections::btree_map::Entry::Vacant(e) = self.doubt_at.entry((node, tx)) {
                    e.insert(at);
                    self.count("in doubt");
                }
                if let Some((_, bar)) = self.bars.iter_mut().rev().find(|(n, b)| *n == node && b.tx == tx) {
                    bar.in_doubt = true;
                }
            }
            Obs::StillBlocked { .. } => self.count("blocked: nobody knew"),
            Obs::Decided { tx, commit, account, delta, by } => {
                if let Some(p) = self.doubt_at.remove(&(node, tx)) {
                    self.in_doubt.record(at - p);
                }
                if by == By::Peer {
                    self.count("learned from a peer");
                }
                if by == By::Termination {
                    self.count("decided by termination");
                }
                let names = |n: NodeId| self.driver.names.get(usize::from(n)).cloned().unwrap_or_default();
                let two = self.pattern == Pattern::TwoPhase;
                let broke = self.commits.decided(&names, node, tx, commit, account, delta, two);
                for (g, detail) in [ATOMIC, MONEY, LOGGED_FIRST].into_iter().zip(broke) {
                    if let Some(detail) = detail {
                        self.violate(g, at, seq, detail);
                    }
                }
            }
            Obs::StepRan { saga, step, compensate, ok, effect, step_ran } => {
                self.sagas.seen(saga);
                if !ok && !compensate {
                    self.sagas.tracks.entry(saga).or_default().failed = Some(step);
                }
                if !effect {
                    // A repeat answered from the record (a tombstone is not one).
                    self.sagas.repeats += u64::from((ok || compensate) && step_ran);
                    return;
                }
                let name = self.name(node);
                let (twice, orphan) = self.sagas.ran(&name, saga, step, compensate, step_ran);
                if let Some(detail) = twice {
                    self.violate(STEP_ONCE, at, seq, detail);
                }
                if let Some(detail) = orphan {
                    self.violate(NO_ORPHAN, at, seq, detail);
                }
            }
            Obs::Refused { .. } => self.count("refused: out of stock"),
            Obs::Deferred { .. } => self.count("waited on a semantic lock"),
            Obs::DirtyRefusal { .. } => self.count("refused on a state later undone"),
            Obs::SagaEnded { saga, completed } => {
                self.sagas.tracks.entry(saga).or_default().ended = Some((completed, at, seq));
                self.sagas.ended(saga, at);
                self.count(if completed { "sagas completed" } else { "sagas compensated" });
            }
            Obs::Committed { id } => self.events.committed(id, at, seq),
            Obs::RolledBack { id } => {
                if let Some(detail) = self.events.rolled_back(id) {
                    self.violate(NO_PHANTOM, at, seq, detail);
                }
            }
            Obs::GaveUp { .. } => self.count("gave up publishing"),
            Obs::Appended { .. } => self.count("events published"),
            Obs::Applied { id, .. } => {
                let (twice, phantom) = self.events.applied(id);
                if let Some(detail) = twice {
                    self.violate(APPLIED_ONCE, at, seq, detail);
                }
                if let Some(detail) = phantom {
                    self.violate(NO_PHANTOM, at, seq, detail);
                }
            }
            Obs::Skipped { .. } => self.count("duplicates skipped"),
            Obs::Votes { .. }
            | Obs::Sent { .. }
            | Obs::Forgot { .. }
            | Obs::PreCommitted { .. }
            | Obs::Prepared { .. } => {}
        }
    }

    /// Forgets lock bars that ended before the chart's window, oldest first. A lock still
    /// held stays however old (a lock held in doubt is what the chart is for): it moves to
    /// the back, so the closed bars behind it can go.
    fn forget_bars(&mut self, now: Micros) {
        let horizon = now.saturating_sub(LOCK_WINDOW);
        let mut moved = 0;
        while let Some((_, front)) = self.bars.front() {
            match front.to {
                Some(to) if to < horizon => {
                    self.bars.pop_front();
                }
                Some(to) if self.bars.len() > LOCK_BARS_KEPT => {
                    self.bars_complete_from = self.bars_complete_from.max(to);
                    self.bars.pop_front();
                }
                None if moved < self.bars.len() => {
                    self.bars.rotate_left(1);
                    moved += 1;
                }
                _ => break,
            }
        }
    }

    /// The workload has ended and had time to finish: what never did is checked now.
    fn settle(&mut self, at: Micros, seq: u64) {
        match self.pattern {
            Pattern::Saga => {
                let broken: Vec<(String, Micros, u64)> = self
                    .sagas
                    .unbalanced()
                    .into_iter()
                    .map(|(id, t)| {
                        let (when, event) = t.ended.map(|e| (e.1, e.2)).unwrap_or((at, seq));
                        (t.imbalance(id), when, event)
                    })
                    .collect();
                if let Some((detail, when, event)) = broken.first().cloned() {
                    let more = match broken.len() - 1 {
                        0 => String::new(),
                        n => format!(" ({n} more sagas like it)"),
                    };
                    self.violate(SAGA_ENDS, when, event, format!("{detail}{more}"));
                }
            }
            Pattern::Outbox => {
                let (lost, phantom) = self.events.settle(at);
                if let Some((detail, point)) = lost {
                    let (when, event) = point.unwrap_or((at, seq));
                    self.violate(NO_LOSS, when, event, detail);
                }
                if let Some(detail) = phantom {
                    self.violate(NO_PHANTOM, at, seq, detail);
                }
            }
            _ => {}
        }
    }

    /// Reapplies the live knobs to the running nodes and network.
    fn set_live(&mut self) {
        self.driver.sim.set_net_params(lossy_network(&self.params));
        for id in 0..self.driver.sim.node_count() as NodeId {
            let fresh = config(&self.params, self.pattern, Kind::Coordinator, self.hub, &self.servers, &[]);
            self.driver.sim.reconfigure(id, |c| {
                c.think = fresh.think;
                c.timeout = fresh.timeout;
                c.fsync = fresh.fsync;
                c.log_first = fresh.log_first;
                c.vote_timeout = fresh.vote_timeout;
                c.lock_timeout = fresh.lock_timeout;
                c.decision_timeout = fresh.decision_timeout;
                c.cooperative = fresh.cooperative;
                c.ship_fail = fresh.ship_fail;
                c.idempotent = fresh.idempotent;
                c.blind = fresh.blind;
                c.semantic_lock = fresh.semantic_lock;
                c.restock = fresh.restock;
                c.retry = fresh.retry;
                c.dedup = fresh.dedup;
                c.rollback = fresh.rollback;
                c.db = fresh.db;
                c.poll = fresh.poll;
            });
        }
    }
}

fn setup(name: String, role: NodeRole, config: Config) -> NodeSetup<Config> {
    NodeSetup { name, role, config, region: 0, version: 1, cpu_cost: 0, present: true }
}

impl Lab for TransactionsLab {
    crate::lab::lab_plumbing!(State, "transactions");

    fn verdicts(&self) -> &[Verdict] {
        &self.promises.verdicts
    }

    fn metrics(&self) -> Metrics {
        let net = self.driver.sim.stats();
        let count = |name, value| Counter { name, value, unit: "" };
        let [ok, failed, unknown] = self.outcomes;
        let (ok_name, failed_name) = match self.pattern {
            Pattern::TwoPhase | Pattern::ThreePhase => ("committed", "aborted"),
            Pattern::Saga => ("orders completed", "orders compensated"),
            Pattern::Outbox => ("writes committed", "writes failed"),
        };
        let mut counters =
            alloc::vec![count(ok_name, ok), count(failed_name, failed), count("unknown to the client", unknown)];
        let names: &[&'static str] = match self.pattern {
            Pattern::TwoPhase | Pattern::ThreePhase => &[
                "lock waits",
                "in doubt",
                "blocked: nobody knew",
                "learned from a peer",
                "decided by termination",
                "presumed aborts",
            ],
            Pattern::Saga => &[
                "sagas completed",
                "sagas compensated",
                "refused: out of stock",
                "refused on a state later undone",
                "waited on a semantic lock",
            ],
            Pattern::Outbox => &["events published", "gave up publishing", "duplicates skipped"],
        };
        for &name in names {
            counters.push(count(name, self.counts.get(name).copied().unwrap_or(0)));
        }
        match self.pattern {
            Pattern::TwoPhase | Pattern::ThreePhase => {
                let open = self.bars.iter().filter(|(_, b)| b.to.is_none()).count() as u64;
                counters.push(count("locks held now", open));
                counters.push(count("split transactions", self.commits.split));
                counters.push(count("money in accounts", self.commits.held().max(0) as u64));
                counters.push(count("money in flight", self.commits.in_flight().max(0) as u64));
            }
            Pattern::Saga => {
                counters.push(count("compensations run", self.sagas.compensations));
                counters.push(count("repeats answered from the record", self.sagas.repeats));
            }
            Pattern::Outbox => {
                counters.push(count("events lost", self.events.lost));
                counters.push(count("phantom events", self.events.phantoms));
                counters.push(count("duplicates applied", self.events.duplicates));
            }
        }
        counters.push(count("sent", net.sent));
        counters.push(count("dropped", net.total_dropped()));
        let mut histograms = alloc::vec![("latency", self.latency.clone())];
        if self.pattern.commits() {
            histograms.push(("lock held", self.held.clone()));
            histograms.push(("time in doubt", self.in_doubt.clone()));
        }
        histograms.push(("transit", net.transit.clone()));
        Metrics {
            counters,
            histograms,
            series: alloc::vec![self.successes.clone(), net.delivered_per_second.clone()],
            drops: Vec::new(),
        }
    }

    fn commands(&self, node: NodeId) -> Vec<(String, String)> {
        match self.driver.sim.process(node).map(|p| &p.role) {
            Some(Role::Client(_)) => alloc::vec![("Send a request now".into(), "request".into())],
            Some(Role::Outbox(_)) if self.params.choice("publish") == "outbox" => {
                alloc::vec![("Poll the outbox now".into(), "poll".into())]
            }
            _ => Vec::new(),
        }
    }

    fn lab_view(&self) -> super::LabView {
        super::LabView::Transactions(alloc::boxed::Box::new(self.view()))
    }
}

/// The lab's catalogue entry.
pub const INFO: crate::lab::LabInfo = crate::lab::LabInfo {
    name: "transactions",
    title: "Transactions",
    summary: "Two-phase commit blocking on a coordinator crash (with presumed abort and cooperative \
              termination) beside three-phase commit; sagas with compensations, orchestrated or \
              choreographed; and the transactional outbox against the dual-write bug. Atomicity, \
              compensation and exactly-once effects are checked live.",
    listed: true,
    params: PARAMS,
    presets: PRESETS,
    parts: &[],
    variants: &[
        ("Two-phase commit", "pattern", "2pc"),
        ("Three-phase commit", "pattern", "3pc"),
        ("Sagas", "pattern", "saga"),
        ("Transactional outbox", "pattern", "outbox"),
    ],
    start: Some(|scenario| Ok(alloc::boxed::Box::new(TransactionsLab::start(scenario)?))),
};
