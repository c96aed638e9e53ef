//! # The consistency lab: one store, four promises, and a judge that reads the history
//!
//! Clients run a workload of reads and writes of a few registers against a replicated
//! store, through every fault the simulator has. What they saw is recorded as a history
//! (Jepsen's: invocation, completion, `ok` or unknown) and judged live by the generic
//! checkers of [`crate::history`]: **linearizable** (Herlihy & Wing 1990; checked as Wing &
//! Gong, Lowe and Porcupine do), **sequential** (Lamport 1979), **causal** (by the bad
//! patterns of Bouajjani, Enea, Guerraoui & Hamza, POPL 2017), and **convergent** (eventual
//! consistency: after the workload stops, every replica answers the same written value),
//! with Terry et al.'s session guarantees (1994) beside them.
//!
//! The store's mode is a knob, each a real protocol (see `replica.rs` and `leader.rs`):
//! a leader with majority writes and confirmed reads (linearizable); the same writes with
//! reads from the client's own replica once it has caught up with the client, as ZooKeeper
//! does (sequential); COPS's dependency tracking (causal); and last-writer-wins replication
//! with anti-entropy (eventual). The verdicts that fail the run are the mode's own promise
//! and the weaker ones it implies; the others are shown, with the operations that break them.
//!
//! The teaching variant `stale_reads=on` makes the linearizable leader answer reads from its
//! own state without confirming it still leads: after a partition, the judge finds the read.

mod client;
mod leader;
pub mod msg;
mod node;
mod replica;

pub use crate::history::live::MODELS;
pub use crate::history::view::{HistoryView, ModelView, OpView};
pub use node::{Command, Config, Mode, Obs, State};

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::history::live::Judge;
use crate::history::Answer;
use crate::invariant::Verdict;
use crate::lab::{
    int_param as int, lossy_network, Counter, Driver, Lab, Metrics, ParamGroup, ParamKind, ParamSpec, Params, Preset,
};
use crate::lab::{DUPLICATION, JITTER, LOSS};
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{NodeRole, NodeSetup, Sim};
use crate::time::{Micros, MICROS_PER_MS, MICROS_PER_SEC};
use crate::trace::NodeId;
use node::Kind;

pub static PARAMS: &[ParamSpec] = &[
    ParamSpec {
        key: "mode",
        label: "Store",
        kind: ParamKind::Choice(&Mode::NAMES),
        default: "linearizable",
        help: "What the store promises: linearizable (leader, majority writes, confirmed reads), sequential (reads from your own replica once it caught up with you), causal (COPS dependencies), eventual (last writer wins).",
        per_node: false,
        live: false,
        when: None,
        group: ParamGroup::Protocol,
    },
    int("replicas", "Replicas", (1, 5, "nodes"), "3", "Replicas of the store.", false, false).in_group(ParamGroup::Cluster),
    int("clients", "Clients", (1, 8, "nodes"), "3", "Clients running the workload, one operation at a time.", false, false).in_group(ParamGroup::Workload),
    int("keys", "Keys", (1, 4, "keys"), "2", "Registers the workload uses (x, y, z, w).", false, false).in_group(ParamGroup::Workload),
    int("reads", "Reads", (0, 100, "%"), "50", "Share of operations that are reads.", false, true).in_group(ParamGroup::Workload),
    int("think_ms", "Pause", (1, 10_000, "ms"), "60", "Mean pause between a client's operations.", false, true).in_group(ParamGroup::Workload),
    int("timeout_ms", "Client timeout", (10, 60_000, "ms"), "500", "How long a client waits before the outcome is unknown.", false, true).in_group(ParamGroup::Workload),
    int("workload_s", "Workload", (1, 600, "s"), "10", "How long clients run; then each reads every key a last time.", false, false).in_group(ParamGroup::Workload),
    ParamSpec {
        key: "stale_reads",
        label: "Leader reads unconfirmed",
        kind: ParamKind::Choice(&["off", "on"]),
        default: "off",
        help: "Teaching variant: the linearizable store's leader answers reads from its own state without asking a majority (the stale-read bug Jepsen found in etcd and Consul).",
        per_node: false,
        live: true,
        when: None,
        group: ParamGroup::Protocol,
    }
    .only_when("mode", &["linearizable"]),
    ParamSpec {
        key: "read_level",
        label: "Read from",
        kind: ParamKind::Choice(&LEVELS),
        default: "one",
        help: "Eventual store: how many replicas answer a read before the client gets the newest of their values (one, a majority, all), as Dynamo and Cassandra let each operation choose.",
        per_node: false,
        live: false,
        when: None,
        group: ParamGroup::Protocol,
    }
    .only_when("mode", &["eventual"]),
    ParamSpec {
        key: "write_level",
        label: "Write to",
        kind: ParamKind::Choice(&LEVELS),
        default: "one",
        help: "Eventual store: how many replicas store a write before the client is told it is done.",
        per_node: false,
        live: false,
        when: None,
        group: ParamGroup::Protocol,
    }
    .only_when("mode", &["eventual"]),
    LOSS,
    DUPLICATION,
    JITTER,
];

const LEVELS: [&str; 3] = ["one", "quorum", "all"];

/// How many of `replicas` a consistency level needs.
fn level(params: &Params, key: &str, replicas: usize) -> u8 {
    let n = replicas as u8;
    match params.choice(key) {
        "all" => n,
        "quorum" => n / 2 + 1,
        _ => 1,
    }
}

static PRESETS: &[Preset] = &[
    Preset {
        name: "Stale read after a partition (etcd's bug)",
        about: "r1 leads; at 2 s it is cut off with c1. A new leader takes writes on the other side, while r1, \
                answering reads without asking a majority, tells c1 old values. The judge finds the stale read.",
        seed: 1,
        params: &[("stale_reads", "on")],
        faults: "100ms do r1 elect; 2s partition r1,c1 | r2,r3,c2,c3; 7s heal",
    },
    Preset {
        name: "The same partition, reads confirmed",
        about: "The same fault with the leader confirming each read with a majority: c1's reads on the cut-off \
                side time out instead, and the history stays linearizable.",
        seed: 1,
        params: &[],
        faults: "100ms do r1 elect; 2s partition r1,c1 | r2,r3,c2,c3; 7s heal",
    },
    Preset {
        name: "Eventual: stale reads across a partition",
        about: "Eventual mode, r3 cut off with c3 from 1 s to 5 s: c3 keeps reading and writing its own side, \
                so it misses the others' writes and they miss its, and the history is not linearizable. Once \
                the partition heals and the writes stop, anti-entropy makes every replica agree.",
        seed: 1,
        params: &[("mode", "eventual")],
        faults: "1s partition r1,r2,c1,c2 | r3,c3; 5s heal",
    },
    Preset {
        name: "Quorum reads and writes",
        about: "Eventual mode with reads and writes from a majority of replicas: a read overlaps every \
                acknowledged write, so stale reads need a partition or a crash.",
        seed: 1,
        params: &[("mode", "eventual"), ("read_level", "quorum"), ("write_level", "quorum")],
        faults: "",
    },
    Preset {
        name: "Sequential, not linearizable",
        about: "Reads go to the client's own replica, which lags the leader by a heartbeat: a read after another \
                client's write completed can miss it. Each client's own order is kept, so it is sequential.",
        seed: 1,
        params: &[("mode", "sequential")],
        faults: "",
    },
    Preset {
        name: "A reply seen before its question",
        about: "Eventual mode with r3's links a hundred times slower: clients reading from any replica see a \
                newer write, then an older value from r3. The causal judge names the pattern; once writes stop, \
                the replicas converge.",
        seed: 1,
        params: &[("mode", "eventual"), ("reads", "60")],
        faults: "0s slow r1-r3 x100; 0s slow r2-r3 x100",
    },
    Preset {
        name: "Causal under a partition",
        about: "The causal store keeps taking writes on both sides of a partition; not linearizable, but causal, \
                and convergent after the heal.",
        seed: 1,
        params: &[("mode", "causal")],
        faults: "1s partition r1,c1 | r2,r3,c2,c3; 6s heal",
    },
];

/// Which of [`MODELS`] each mode promises.
fn promised(mode: Mode) -> &'static [usize] {
    match mode {
        Mode::Linearizable => &[0, 1, 2, 3],
        Mode::Sequential => &[1, 2, 3],
        Mode::Causal => &[2, 3],
        Mode::Eventual => &[3],
    }
}

const STATEMENTS: [&str; 4] = [
    "Every operation takes effect at one instant between its invocation and its completion.",
    "One order of all operations keeps each client's order and explains every read.",
    "No read misses a write in its causal past, and no reply is seen before its question.",
    "Once writes stop and messages flow, every replica answers with the same written value.",
];

#[derive(Clone)]
pub struct ConsistencyLab {
    driver: Driver<State>,
    params: Params,
    verdicts: Vec<Verdict>,
    judge: Judge,
    mode: Mode,
    replicas: Vec<NodeId>,
    clients: Vec<NodeId>,
}

fn config(params: &Params, kind: Kind, replicas: &[NodeId]) -> Config {
    let workload = params.int("workload_s") as Micros * MICROS_PER_SEC;
    Config {
        kind,
        mode: Mode::parse(params.choice("mode")),
        replicas: replicas.to_vec(),
        clients: params.int("clients") as u8,
        keys: params.int("keys") as u8,
        think: params.int("think_ms") as Micros * MICROS_PER_MS,
        timeout: params.int("timeout_ms") as Micros * MICROS_PER_MS,
        reads_pct: params.int("reads") as u8,
        stale_reads: params.choice("stale_reads") == "on",
        read_quorum: level(params, "read_level", replicas.len()),
        write_quorum: level(params, "write_level", replicas.len()),
        stop: workload,
        finals: workload + 2 * MICROS_PER_SEC,
    }
}

impl ConsistencyLab {
    pub fn start(scenario: &Scenario) -> Result<ConsistencyLab, ScenarioError> {
        scenario.check_limits()?;
        let params = Params::resolve(PARAMS, &scenario.params).map_err(ScenarioError::Param)?;
        let (r, c) = (params.int("replicas") as NodeId, params.int("clients") as NodeId);
        let replicas: Vec<NodeId> = (0..r).collect();
        let clients: Vec<NodeId> = (r..r + c).collect();
        let mut setups = Vec::new();
        for i in 0..r {
            let kind = Kind::Replica { index: i as u8 };
            setups.push(setup(format!("r{}", i + 1), NodeRole::Replica, config(&params, kind, &replicas)));
        }
        for i in 0..c {
            let kind = Kind::Client { index: i as u8 };
            setups.push(setup(format!("c{}", i + 1), NodeRole::Client, config(&params, kind, &replicas)));
        }
        let sim = Sim::new(scenario.seed, lossy_network(&params), setups);
        let driver = Driver::with_script(sim, &scenario.faults, &params)?;
        let mode = Mode::parse(params.choice("mode"));
        let verdicts = promised(mode).iter().map(|&m| Verdict::new(MODELS[m], STATEMENTS[m])).collect();
        let mut lab = ConsistencyLab { driver, params, verdicts, judge: Judge::default(), mode, replicas, clients };
        lab.collect();
        lab.note_undecided();
        Ok(lab)
    }

    fn collect(&mut self) {
        let mut observations = self.driver.sim.take_observed();
        for o in observations.drain(..) {
            let lane = self.clients.iter().position(|&c| c == o.node).unwrap_or(0) as u8;
            match o.observation {
                Obs::Invoke { process, id, request, final_read } => {
                    self.judge.invoke(o.node, lane, process, id, msg::call(request), o.at, final_read);
                }
                Obs::Complete { id, ok, value } => {
                    for (model, at, seq) in self.judge.complete(o.node, id, ok, msg::val(value), o.at, o.seq) {
                        let Answer::Violated { reason, .. } = &self.judge.answers[model] else { continue };
                        let detail = reason.clone();
                        if let Some(verdict) = self.verdicts.iter_mut().find(|v| v.name == MODELS[model]) {
                            if let Some(event) = verdict.violation_event(at, seq, detail) {
                                self.driver.sim.trace_mut().record(o.at, event);
                            }
                        }
                    }
                    self.note_undecided();
                }
                Obs::Leader { .. } => {}
            }
        }
        self.driver.sim.recycle_observed(observations);
    }

    /// A model the judge has not decided (convergence before the workload ends, a search out
    /// of its budget) is shown as not judged yet, not as holding. The judge decides only on a
    /// completion, so this runs at the start and after each one.
    fn note_undecided(&mut self) {
        for verdict in &mut self.verdicts {
            let model = MODELS.iter().position(|&m| m == verdict.name);
            verdict.set_pending(model.and_then(|m| self.judge.undecided(m)));
        }
    }

    /// Reapplies the live knobs to the running nodes and network.
    fn set_live(&mut self) {
        self.driver.sim.set_net_params(lossy_network(&self.params));
        let fresh = config(&self.params, Kind::Client { index: 0 }, &self.replicas);
        for id in 0..self.driver.sim.node_count() as NodeId {
            self.driver.sim.reconfigure(id, |c| {
                c.think = fresh.think;
                c.timeout = fresh.timeout;
                c.reads_pct = fresh.reads_pct;
                c.stale_reads = fresh.stale_reads;
            });
        }
    }

    /// The history as the judge holds it.
    pub fn history(&self) -> &crate::history::History {
        &self.judge.history
    }

    pub fn history_view(&self) -> HistoryView {
        let names = self.clients.iter().map(|&c| self.driver.names[usize::from(c)].clone()).collect();
        self.judge.view(names, promised(self.mode))
    }
}

fn setup(name: String, role: NodeRole, config: Config) -> NodeSetup<Config> {
    NodeSetup { name, role, config, region: 0, version: 1, cpu_cost: 0, present: true }
}

impl Lab for ConsistencyLab {
    crate::lab::lab_plumbing!(State, "consistency");

    fn verdicts(&self) -> &[Verdict] {
        &self.verdicts
    }

    fn metrics(&self) -> Metrics {
        let net = self.driver.sim.stats();
        let (ok, unknown) = self.judge.outcomes();
        let count = |name, value| Counter { name, value, unit: "" };
        Metrics {
            counters: alloc::vec![
                count("operations ok", ok),
                count("operations unknown", unknown),
                count("sent", net.sent),
                count("dropped", net.total_dropped()),
            ],
            histograms: alloc::vec![("transit", net.transit.clone())],
            series: alloc::vec![net.delivered_per_second.clone()],
            drops: Vec::new(),
        }
    }

    fn commands(&self, node: NodeId) -> Vec<(String, String)> {
        if self.clients.contains(&node) {
            let keys = self.params.int("keys") as u8;
            (0..keys)
                .flat_map(|k| {
                    let name = msg::key_name(k);
                    [
                        (format!("Read {name}"), format!("read {name}")),
                        (format!("Write {name}"), format!("write {name}")),
                    ]
                })
                .collect()
        } else if self.mode.has_leader() {
            alloc::vec![("Start an election".into(), "elect".into())]
        } else {
            Vec::new()
        }
    }

    fn lab_view(&self) -> super::LabView {
        super::LabView::History(self.history_view())
    }
}

/// The lab's catalogue entry.
pub const INFO: crate::lab::LabInfo = crate::lab::LabInfo {
    name: "consistency",
    title: "Consistency models",
    summary: "Clients read and write a replicated store, linearizable, sequential, causal or eventual; a \
              judge reads the history live and names the operations that break each stronger model.",
    listed: true,
    params: PARAMS,
    presets: PRESETS,
    parts: &[],
    variants: &[],
    start: Some(|scenario| Ok(alloc::boxed::Box::new(ConsistencyLab::start(scenario)?))),
};
