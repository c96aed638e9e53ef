//! # Partitioning: which node holds which key
//!
//! A dataset too big or too busy for one machine is cut into partitions, and every scheme
//! answers the same two questions: is the load even, and how much data moves when a node
//! joins or leaves? Kleppmann's *Designing Data-Intensive Applications* (ch. 6) sets the
//! answers side by side; this module holds them as pure functions and small structures,
//! deterministic on every target, for the lab to measure.
//!
//! - **Hash mod N** ([`schemes::mod_n`]) is even but moves about `n / (n + 1)` of the keys
//!   when the `(n + 1)`-th node arrives: almost everything.
//! - **Consistent hashing** ([`ring::Ring`]; Karger et al., "Consistent Hashing and Random
//!   Trees", STOC 1997) puts nodes at points on a circle and a key on the next point
//!   clockwise, so a new node takes only about `1 / (n + 1)` of the keys. One point per node
//!   leaves very uneven arcs; many virtual nodes per node, as in Dynamo (DeCandia et al.,
//!   SOSP 2007), even them out at the cost of a bigger table.
//! - **Jump consistent hash** ([`jump_hash`]; Lamping & Veach, "A Fast, Minimal Memory,
//!   Consistent Hash Algorithm", 2014) moves the same minimal share with no table at all,
//!   in a few arithmetic steps, but only numbered buckets added or removed at the end.
//! - **Rendezvous hashing** ([`schemes::rendezvous`]; Thaler & Ravishankar, "Using
//!   Name-Based Mappings to Increase Hit Rates", 1998) lets every node bid a pseudo-random
//!   weight for the key, the highest winning: minimal movement, any node may leave, at the
//!   cost of a pass over all nodes per lookup.
//! - **Range partitioning** ([`ranges::Ranges`]; Bigtable's tablets, Chang et al., OSDI
//!   2006, and HBase's regions) keeps keys in order so scans stay local, and adapts to the
//!   data by splitting ranges that grow too big and merging neighbours that shrink
//!   ([`ranges::SizePolicy`]), but a sequential or skewed workload still finds a hot spot.
//!
//! Keys are hashed by [`schemes::key_hash`] (SplitMix64's finalizer) or
//! [`schemes::key_hash_bytes`] (FNV-1a), both fixed functions of the key's value, never of
//! the platform. [`schemes::moved`], [`schemes::loads`] and
//! [`schemes::max_over_mean_per_mille`] measure movement and balance.

//!
//! # The lab
//!
//! Storage nodes `p1 …` hold the keys (all of them from the start, each on its owner), a
//! coordinator `co` keeps the map and changes it when nodes join, leave, are decommissioned
//! or (with dynamic splitting) a range grows; keys move as batches over the simulated
//! network (`store.rs`), and clients route by their copy of the map, through a routing
//! tier `r1`, or through any node (`client.rs`, `router.rs`). The guarantees (`checks.rs`):
//! one owner per key after a move commits, no key lost or duplicated by a rebalance, and
//! reads that see the writes acknowledged before them.

mod audit;
mod checks;
mod client;
mod coordinator;
pub mod map;
pub mod msg;
mod node;
mod params;
pub mod ranges;
pub mod ring;
mod router;
pub mod schemes;
mod store;
pub mod view;
pub mod workload;

pub use map::{KeySpace, Map, Placement, Scheme};
pub use node::{Command, Config, Handoff, Obs, Reason, Routing, State};
pub use params::{PARAMS, PRESETS};
pub use ranges::{KeyRange, Plan, Ranges, SizePolicy};
pub use ring::Ring;
pub use schemes::{jump_hash, key_hash, key_hash_bytes, loads, max_over_mean_per_mille, mod_n, moved, rendezvous};
pub use view::{MoveRecord, NodeLoad, PartitioningView, SpreadPoint};

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::invariant::Verdict;
use crate::lab::{Counter, Driver, Lab, Metrics, Params};
use crate::metrics::Histogram;
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{NodeRole, NodeSetup, Sim};
use crate::time::{Micros, MICROS_PER_MS, MICROS_PER_SEC};
use crate::trace::NodeId;
use checks::{Owners, Registers, TermCounts};
use map::{Key, Sizes};
use msg::Op;
use node::{Index, Kind, OpKind};
use workload::Distribution;

const GUARANTEES: [(&str, &str); 4] = [
    ("one owner", "After a move commits, only the key's new owner answers for it."),
    ("no key lost or duplicated", "Once every node has applied a map, each key is on its owner and on no other node."),
    ("reads see earlier writes", "A read returns the latest write acknowledged before it began, or a concurrent one."),
    (
        "global index converges",
        "Once writes stop and every index update has arrived, the index lists exactly the keys of each term.",
    ),
];
const ONE_OWNER: usize = 0;
const NOTHING_LOST: usize = 1;
const READS: usize = 2;
const INDEX_CONVERGES: usize = 3;

/// An operation a client has begun: (client, id), when, key (or term), what, which kind.
type Open = ((NodeId, u32), Micros, Key, Op, OpKind);

#[derive(Clone)]
pub struct PartitioningLab {
    driver: Driver<State>,
    params: Params,
    space: KeySpace,
    /// Whether every key exists from the start.
    preloaded: bool,
    /// Keys some owner has stored a write to (those that must survive every move).
    stored: Vec<bool>,
    storage: Vec<NodeId>,
    coordinator: NodeId,
    clients: Vec<NodeId>,
    verdicts: Vec<Verdict>,
    owners: Owners,
    registers: Registers,
    open: Vec<Open>,
    read_latency: Histogram,
    write_latency: Histogram,
    outcomes: (u64, u64),
    redirects: u64,
    scans: (u64, u64),
    fanned_reads: u64,
    /// Index queries and the nodes they asked; index updates sent; answers that disagreed
    /// with the data at that moment.
    queries: (u64, u64),
    index_updates: u64,
    terms: TermCounts,
    query_latency: Histogram,
    /// When the workload stops, and whether the global index has been checked since.
    stop: Micros,
    index_checked: bool,
    /// Requests answered per storage node (by id) and per slice.
    served: Vec<u64>,
    heat: Vec<u32>,
    /// When the heat next halves (a half-life of a second: the view shows where requests
    /// land now, not since the start).
    cool_at: Micros,
    moves: Vec<MoveRecord>,
    lost: u64,
    duplicated: u64,
    spread: Vec<SpreadPoint>,
    /// The committed map as last seen, ready for lookups (for the audit and the view).
    shown: Placement,
}

fn config(
    params: &Params,
    kind: Kind,
    storage: &[NodeId],
    initial: &[NodeId],
    coordinator: NodeId,
    router: Option<NodeId>,
) -> Config {
    let ms = |key| params.int(key) as Micros * MICROS_PER_MS;
    let keys = params.int("keys") as u32;
    let split = params.int("split_keys") as u32;
    let scheme = Scheme::parse(params.choice("scheme"));
    let index = Index::parse(params.choice("index"));
    Config {
        kind,
        scheme,
        vnodes: params.int("vnodes") as u16,
        partitions: params.int("partitions") as u16,
        space: KeySpace { keys, salts: params.int("salt") as u8, global_index: index == Index::Global },
        storage: storage.to_vec(),
        initial: initial.to_vec(),
        coordinator,
        router,
        routing: Routing::parse(params.choice("routing")),
        handoff: Handoff::parse(params.choice("handoff")),
        distribution: Distribution::parse(params.choice("distribution"), keys, params.int("skew") as u32),
        hot_pct: params.int("hot") as u8,
        reads_pct: params.int("reads") as u8,
        scans_pct: params.int("scans") as u8,
        scan_keys: params.int("scan_keys") as u32,
        index,
        queries_pct: params.int("queries") as u8,
        think: ms("think_ms"),
        timeout: ms("timeout_ms"),
        stop: params.int("workload_s") as Micros * MICROS_PER_SEC,
        value_bytes: params.int("value_bytes") as u32,
        batch: params.int("batch") as u32,
        sizes: (scheme == Scheme::Ranges && params.choice("split") == "on")
            .then_some(Sizes { split_above: split, merge_below: split / 4 }),
        reassign_after: (params.choice("crash") == "reassign").then(|| ms("reassign_ms")),
        preload: Vec::new(),
    }
}

fn network(params: &Params) -> crate::network::NetParams {
    crate::network::NetParams {
        bandwidth_kbps: params.int("bandwidth") as u64 * 1000,
        ..crate::lab::lossy_network(params)
    }
}

fn setup(name: String, role: NodeRole, present: bool, config: Config) -> NodeSetup<Config> {
    NodeSetup { name, role, config, region: 0, version: 1, cpu_cost: 0, present }
}

/// Load spread over `nodes` for 1 to 512 virtual nodes each: the curve that shows why
/// Dynamo and Cassandra use many.
fn spread_curve(nodes: &[NodeId], space: &KeySpace) -> Vec<SpreadPoint> {
    let keys: Vec<u64> = (0..space.keys.min(20_000)).map(|k| key_hash(u64::from(k))).collect();
    [1u16, 4, 16, 64, 256, 512]
        .iter()
        .map(|&vnodes| {
            let ring = Ring::new(nodes, vnodes);
            let counts = loads(nodes, |h| ring.owner(h), &keys);
            let (max_over_mean, deviation) = view::spread_of(&counts);
            SpreadPoint { vnodes, max_over_mean, deviation }
        })
        .collect()
}

impl PartitioningLab {
    pub fn start(scenario: &Scenario) -> Result<PartitioningLab, ScenarioError> {
        scenario.check_limits()?;
        let params = Params::resolve(PARAMS, &scenario.params).map_err(ScenarioError::Param)?;
        let first = params.int("nodes") as NodeId;
        let spares = params.int("spares") as NodeId;
        let storage: Vec<NodeId> = (0..first + spares).collect();
        let initial: Vec<NodeId> = (0..first).collect();
        let coordinator = first + spares;
        let tier = Routing::parse(params.choice("routing")) == Routing::Tier;
        let router = tier.then_some(coordinator + 1);
        let c = params.int("clients") as NodeId;
        let first_client = coordinator + 1 + NodeId::from(tier);
        let clients: Vec<NodeId> = (first_client..first_client + c).collect();
        let config = |kind| config(&params, kind, &storage, &initial, coordinator, router);
        let probe = config(Kind::Storage);
        let space = probe.space;
        // Every key starts on its owner under the first map, unless keys are timestamps
        // (then the data arrives as the clients write it).
        let first_map = Placement::new(store::initial_map(&probe));
        let mut preload: Vec<Vec<(Key, msg::Value)>> = alloc::vec![Vec::new(); storage.len()];
        let preloaded = probe.distribution != Distribution::Sequential;
        for key in (0..space.data()).filter(|_| preloaded) {
            let mut place = |key, value| {
                if let Some(owner) = first_map.owner(&space, key) {
                    preload[usize::from(owner)].push((key, value));
                }
            };
            place(key, 0);
            // A global index starts with every key's entry under the initial value's term.
            if space.global_index && key < space.keys {
                place(space.entry(KeySpace::term(key, 0), key), 1);
            }
        }
        let mut setups = Vec::new();
        for (&id, keys) in storage.iter().zip(preload) {
            let mut c = config(Kind::Storage);
            c.preload = keys;
            setups.push(setup(format!("p{}", id + 1), NodeRole::Server, id < first, c));
        }
        setups.push(setup("co".into(), NodeRole::Coordinator, true, config(Kind::Coordinator)));
        if tier {
            setups.push(setup("r1".into(), NodeRole::Router, true, config(Kind::Router)));
        }
        for i in 0..c {
            setups.push(setup(format!("c{}", i + 1), NodeRole::Client, true, config(Kind::Client { index: i as u8 })));
        }
        let sim = Sim::new(scenario.seed, network(&params), setups);
        let driver = Driver::with_script(sim, &scenario.faults, &params)?;
        // The index's guarantee only where there is a global index.
        let checked = if space.global_index { GUARANTEES.len() } else { INDEX_CONVERGES };
        let verdicts = GUARANTEES[..checked].iter().map(|&(name, statement)| Verdict::new(name, statement)).collect();
        let spread = if probe.scheme == Scheme::Ring { spread_curve(&initial, &space) } else { Vec::new() };
        let shown = first_map.clone();
        let mut lab = PartitioningLab {
            driver,
            params,
            space,
            preloaded,
            stored: (0..space.total())
                .map(|k| match space.entry_of(k) {
                    Some((term, key)) => preloaded && term == KeySpace::term(key, 0),
                    None => preloaded,
                })
                .collect(),
            queries: (0, 0),
            index_updates: 0,
            terms: TermCounts::new(space.keys, preloaded),
            query_latency: Histogram::default(),
            stop: probe.stop,
            index_checked: false,
            served: alloc::vec![0; storage.len()],
            storage,
            coordinator,
            clients,
            verdicts,
            owners: Owners::default(),
            registers: Registers::default(),
            open: Vec::new(),
            read_latency: Histogram::default(),
            write_latency: Histogram::default(),
            outcomes: (0, 0),
            redirects: 0,
            scans: (0, 0),
            fanned_reads: 0,
            heat: alloc::vec![0; view::SLICES],
            cool_at: MICROS_PER_SEC,
            moves: Vec::new(),
            lost: 0,
            duplicated: 0,
            spread,
            shown,
        };
        lab.collect();
        Ok(lab)
    }

    fn violate(&mut self, g: usize, at: Micros, seq: u64, detail: String) {
        let Some(verdict) = self.verdicts.get_mut(g) else { return };
        if let Some(event) = verdict.violation_event(at, seq, detail) {
            self.driver.sim.trace_mut().record(at, event);
        }
    }

    fn name(&self, id: NodeId) -> String {
        self.driver.names.get(usize::from(id)).cloned().unwrap_or_default()
    }

    fn collect(&mut self) {
        let mut observations = self.driver.sim.take_observed();
        for o in observations.drain(..) {
            let (node, at, seq) = (o.node, o.at, o.seq);
            match o.observation {
                Obs::Invoke { id, key, op, parts, kind } => {
                    self.open.push(((node, id), at, key, op, kind));
                    match (kind, op) {
                        (OpKind::Scan, _) => {
                            (self.scans.0, self.scans.1) = (self.scans.0 + 1, self.scans.1 + u64::from(parts))
                        }
                        (OpKind::Query, _) => {
                            (self.queries.0, self.queries.1) = (self.queries.0 + 1, self.queries.1 + u64::from(parts))
                        }
                        (_, Op::Write(value, _)) => self.registers.invoke_write(key, value, at),
                        _ if parts > 1 => self.fanned_reads += 1,
                        _ => {}
                    }
                }
                Obs::Indexed { from, .. } => self.index_updates += 1 + u64::from(from.is_some()),
                Obs::Complete { id, ok, value, redirects } => self.completed(node, id, ok, value, redirects, at, seq),
                Obs::Served { key, epoch, wrote } => {
                    if let (Some(_), Some(slot)) = (wrote, self.stored.get_mut(key as usize)) {
                        *slot = true;
                    }
                    if let Some(value) = wrote {
                        self.terms.wrote(key, value);
                    }
                    if let Some(count) = self.served.get_mut(usize::from(node)) {
                        *count += 1;
                    }
                    let scheme = self.shown.map.scheme;
                    // In 64ths of a request, so that halving keeps a trace of a single one for a while.
                    self.heat[view::slice_of(self.space.point(scheme, key))] += 64;
                    if let Some((other, newer)) = self.owners.served(node, key, epoch) {
                        let detail = format!(
                            "{} answered for k{key} under map {epoch}, after {} had answered for it under map {newer}",
                            self.name(node),
                            self.name(other)
                        );
                        self.violate(ONE_OWNER, at, seq, detail);
                    }
                }
                Obs::Rebalance { epoch, reason, before, after } => {
                    let change = u32::from(before.abs_diff(after));
                    let stored: usize = self.storage.iter().filter_map(|&id| self.keys_of(id)).map(|d| d.len()).sum();
                    let optimum = (change > 0 && before.max(after) > 0)
                        .then(|| stored as u32 * change / u32::from(before.max(after)));
                    self.moves.push(MoveRecord {
                        epoch,
                        reason,
                        before,
                        after,
                        started: at,
                        committed: None,
                        moved: None,
                        optimum,
                    });
                }
                Obs::Committed { epoch, moved } => {
                    if let Some(m) = self.moves.iter_mut().find(|m| m.epoch == epoch) {
                        (m.committed, m.moved) = (Some(at), Some(moved));
                    }
                }
                Obs::Settled { epoch } => self.audit(epoch, at, seq),
                Obs::Moving { .. } | Obs::Applied { .. } => {}
            }
        }
        self.driver.sim.recycle_observed(observations);
        if let Some(epoch) = self.committed_epoch() {
            if epoch != self.shown.epoch() {
                if let Some(map) = self.committed_map() {
                    self.shown = Placement::new(map);
                }
            }
        }
        if self.space.global_index && !self.index_checked && self.driver.sim.now() >= self.stop + 3 * MICROS_PER_SEC {
            self.check_index();
        }
        while self.driver.sim.now() >= self.cool_at {
            self.heat.iter_mut().for_each(|h| *h /= 2);
            self.cool_at += MICROS_PER_SEC;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn completed(
        &mut self,
        node: NodeId,
        id: u32,
        ok: bool,
        value: Option<msg::Value>,
        redirects: u8,
        at: Micros,
        seq: u64,
    ) {
        self.redirects += u64::from(redirects);
        if ok {
            self.outcomes.0 += 1;
        } else {
            self.outcomes.1 += 1;
        }
        let Some(i) = self.open.iter().position(|(k, ..)| *k == (node, id)) else { return };
        let (_, invoked, key, op, kind) = self.open.swap_remove(i);
        if !ok || kind == OpKind::Scan {
            return;
        }
        if kind == OpKind::Query {
            self.query_latency.record(at - invoked);
            self.terms.answered(key as u8, value.unwrap_or(0));
            return;
        }
        match op {
            Op::Read => {
                self.read_latency.record(at - invoked);
                if let Some(reason) = self.registers.check_read(key, value, self.preloaded, invoked, at) {
                    self.violate(READS, at, seq, format!("{}: {reason}", self.name(node)));
                }
            }
            Op::Write(v, _) => {
                self.write_latency.record(at - invoked);
                // Reads still open (a crashed client's never complete: past twice the
                // timeout they no longer hold writes back from being forgotten).
                let timeout = self.params.int("timeout_ms") as Micros * MICROS_PER_MS;
                let open = self.open.iter().filter(|o| o.4 == OpKind::Single && o.1 + 2 * timeout > at);
                let horizon = open.map(|o| o.1).min().unwrap_or(at);
                self.registers.ack_write(key, v, at, horizon);
            }
            Op::Index { .. } => {}
        }
    }

    fn set_live(&mut self) {
        self.driver.sim.set_net_params(network(&self.params));
        let fresh = config(&self.params, Kind::Coordinator, &self.storage, &[], self.coordinator, None);
        for id in 0..self.driver.sim.node_count() as NodeId {
            self.driver.sim.reconfigure(id, |c| {
                c.think = fresh.think;
                c.timeout = fresh.timeout;
                c.reads_pct = fresh.reads_pct;
                c.hot_pct = fresh.hot_pct;
                c.scans_pct = fresh.scans_pct;
                c.queries_pct = fresh.queries_pct;
                c.reassign_after = fresh.reassign_after;
                c.sizes = fresh.sizes;
            });
        }
    }
}

impl Lab for PartitioningLab {
    crate::lab::lab_plumbing!(State, "partitioning");

    fn verdicts(&self) -> &[Verdict] {
        &self.verdicts
    }

    fn metrics(&self) -> Metrics {
        let net = self.driver.sim.stats();
        let count = |name, value| Counter { name, value, unit: "" };
        let moved: u64 = self.moves.iter().filter_map(|m| m.moved).map(u64::from).sum();
        let optimum: u64 =
            self.moves.iter().filter(|m| m.moved.is_some()).filter_map(|m| m.optimum).map(u64::from).sum();
        Metrics {
            counters: alloc::vec![
                count("operations ok", self.outcomes.0),
                count("operations unknown", self.outcomes.1),
                count("redirects", self.redirects),
                count("rebalances", self.moves.iter().filter(|m| m.moved.is_some()).count() as u64),
                count("keys moved", moved),
                count("keys moved at best (K/n)", optimum),
                count("keys lost", self.lost),
                count("keys on a non-owner", self.duplicated),
                count("scans", self.scans.0),
                count("scan requests (fan-out)", self.scans.1),
                count("salted reads fanned out", self.fanned_reads),
                count("index queries", self.queries.0),
                count("index query requests (fan-out)", self.queries.1),
                count("index updates sent", self.index_updates),
                count("index answers off", self.terms.off),
                count("sent", net.sent),
                Counter { name: "bytes sent", value: net.bytes_sent, unit: "B" },
                count("dropped", net.total_dropped()),
            ],
            histograms: alloc::vec![
                ("read latency", self.read_latency.clone()),
                ("write latency", self.write_latency.clone()),
                ("index query latency", self.query_latency.clone()),
                ("transit", net.transit.clone()),
            ],
            series: alloc::vec![net.delivered_per_second.clone()],
            drops: Vec::new(),
        }
    }

    fn commands(&self, node: NodeId) -> Vec<(String, String)> {
        if self.clients.contains(&node) {
            return alloc::vec![("Read k0".into(), "read k0".into()), ("Write k0".into(), "write k0".into())];
        }
        if self.storage.contains(&node) {
            return alloc::vec![("Decommission".into(), "decommission".into())];
        }
        Vec::new()
    }

    fn lab_view(&self) -> super::LabView {
        super::LabView::Partitioning(alloc::boxed::Box::new(self.view()))
    }
}

/// The lab's catalogue entry.
pub const INFO: crate::lab::LabInfo = crate::lab::LabInfo {
    name: "partitioning",
    title: "Partitioning",
    summary: "Hash mod N, consistent hashing with virtual nodes, jump hash, rendezvous, fixed partitions and \
              dynamically split ranges: nodes join, leave and crash, keys move over the network, and the moves, \
              the load, hot spots and every key's single owner are measured and checked live.",
    listed: true,
    params: PARAMS,
    presets: PRESETS,
    parts: &[],
    variants: &[],
    start: Some(|scenario| Ok(alloc::boxed::Box::new(PartitioningLab::start(scenario)?))),
};
