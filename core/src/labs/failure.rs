//! # The failure handling lab: telling the dead from the slow, and acting safely anyway
//!
//! Four parts, each a real protocol on the shared simulator (see the submodules' essays):
//!
//! - **failure detectors** (`monitor.rs`, `phi.rs`): a fixed timeout against phi accrual
//!   (Hayashibara et al., SRDS 2004, as Akka implements it), on the same heartbeats, with the
//!   trade-off between detection time and false suspicions measured by running both at a
//!   sweep of settings;
//! - **leases and fencing tokens** (`lease.rs`; Gray & Cheriton 1989, Chubby's sequencers,
//!   Kleppmann's fencing story): a paused or slow-clocked holder writes after its lease
//!   ended, and only a token checked by storage stops it;
//! - **split brain** (`leader.rs`): leadership with and without a majority quorum after a
//!   partition;
//! - **idempotency** (`retry.rs`): retries with exponential backoff and jitter, with and
//!   without idempotency keys.
//!
//! The monitor cannot see a crash; the lab can. It compares each detector's verdicts with
//! what happened (a suspicion of a live process is a false one; of a crashed process, a
//! detection, timed from the crash) and checks live that every crash is detected, that no
//! stale lease holder's write is accepted, that each epoch has one leader and no deposed
//! leader acknowledges a write, and that each charge takes effect once.

mod leader;
mod lease;
mod monitor;
pub mod msg;
mod node;
mod observe;
mod params;
mod phi;
mod retry;
mod view;

pub use node::{Command, Config, Detector, Jitter, Obs, Part, State, PHI_SWEEP, TIMEOUT_SWEEP};
pub use params::{PARAMS, PRESETS};
pub use phi::{phi, HeartbeatHistory, PhiAccrual};
pub use view::{CurvePoint, FailureView, LeaseBar, ProcessTrace, ReplicaView, WriteDot};

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::invariant::{Promises, Verdict};
use crate::lab::{lossy_network, Driver, Lab, Metrics, Params};
use crate::metrics::{Histogram, Series};
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{NodeRole, NodeSetup, NodeStatus, Sim};
use crate::time::{format_duration, Micros, MICROS_PER_MS, MICROS_PER_SEC};
use crate::trace::NodeId;
use node::{Kind, Role};

/// Every guarantee the lab can check: (name, statement).
const GUARANTEES: [(&str, &str); 5] = [
    ("crashes are detected", "Both detectors suspect a crashed process they had heard from within 10 s."),
    (
        "no stale lease holder's write",
        "No write is accepted from a client whose lease had ended and been granted to another.",
    ),
    ("one leader per epoch", "At most one node accepts writes for a given epoch."),
    ("no write acknowledged by a deposed leader", "No leader acknowledges a write once a later epoch has a leader."),
    ("each charge takes effect once", "A charge is applied once, however often it is retried."),
];

const DETECTED: usize = 0;
const NO_STALE: usize = 1;
const ONE_LEADER: usize = 2;
const NOT_DEPOSED: usize = 3;
const ONCE: usize = 4;

fn promised(part: Part) -> Vec<usize> {
    match part {
        Part::Detectors => alloc::vec![DETECTED],
        Part::Fencing => alloc::vec![NO_STALE],
        Part::SplitBrain => alloc::vec![ONE_LEADER, NOT_DEPOSED],
        Part::Idempotency => alloc::vec![ONCE],
    }
}

/// How long after a crash both detectors must suspect it.
const DETECT_WITHIN: Micros = 10 * MICROS_PER_SEC;
/// The phi plot's window, and how often it is sampled.
const WINDOW: Micros = 10 * MICROS_PER_SEC;
const SAMPLE: Micros = 20 * MICROS_PER_MS;

/// One detector instance's record against the truth.
#[derive(Clone, Debug, Default)]
struct Score {
    false_suspicions: u64,
    detections: u32,
    detection_sum: Micros,
}

/// What the lab knows of one watched process.
#[derive(Clone, Debug, Default)]
struct Truth {
    crashed_at: Option<Micros>,
    /// Whether the monitor had heard from the process before it crashed (a detector cannot
    /// suspect what it never monitored: Akka treats it as healthy).
    heard: bool,
    /// Whether a monitor has ever heard from the process.
    ever_heard: bool,
    flagged: bool,
    /// When the process last came back (its crash may have scrolled off the picture).
    restarted: Option<Micros>,
    up_since: Option<Micros>,
    up_total: Micros,
    /// Instances that detected the current crash: (detector, instance).
    detected: Vec<(Detector, u8)>,
    trace: ProcessTrace,
}

#[derive(Clone)]
pub struct FailureLab {
    driver: Driver<State>,
    params: Params,
    part: Part,
    promises: Promises,
    hub: NodeId,
    servers: Vec<NodeId>,
    // Detectors.
    truth: Vec<Truth>,
    suspecting: BTreeMap<(NodeId, Detector, u8), bool>,
    scores: BTreeMap<(Detector, u8), Score>,
    detection: [Histogram; 2],
    next_sample: Micros,
    // Leases.
    leases: VecDeque<LeaseBar>,
    /// Every recent grant, by token: (client, from, until), for the fencing check.
    grants: BTreeMap<u64, (NodeId, Micros, Micros)>,
    writes: VecDeque<WriteDot>,
    // Split brain.
    leaders: BTreeMap<u64, Vec<NodeId>>,
    /// The highest epoch that has had a leader, and since when.
    latest: Option<(u64, NodeId, Micros)>,
    // Idempotency: times each (client, key) was charged, by client then key.
    charged: Vec<Vec<u8>>,
    /// First tries and retries the clients sent, per 100 ms.
    load: Series,
    retried: Series,
    /// Whether the monitor was up at the last step.
    monitor_up: bool,
    outcomes: [u64; 3],
    latency: Histogram,
    open: BTreeMap<(NodeId, u32), Micros>,
    counts: BTreeMap<&'static str, u64>,
}

fn config(params: &Params, part: Part, kind: Kind, hub: NodeId, servers: &[NodeId], clients: &[NodeId]) -> Config {
    let ms = |key| params.int(key) as Micros * MICROS_PER_MS;
    Config {
        part,
        kind,
        hub,
        servers: servers.to_vec(),
        clients: clients.to_vec(),
        stop: params.int("workload_s") as Micros * MICROS_PER_SEC,
        think: ms("think_ms"),
        timeout: ms("timeout_ms"),
        interval: ms("interval_ms"),
        gc: ms("gc_ms"),
        gc_every: params.int("gc_every_s") as Micros * MICROS_PER_SEC,
        threshold: params.int("threshold") as f64,
        fixed_timeout: ms("fixed_ms"),
        max_samples: params.int("samples") as usize,
        min_std_dev_ms: params.int("min_std_ms") as f64,
        acceptable_pause_ms: params.int("pause_ms") as f64,
        check: 10 * MICROS_PER_MS,
        lease: ms("lease_ms"),
        margin: ms("margin_ms"),
        fencing: params.choice("fencing") == "on",
        drift_ppm: if kind == (Kind::LeaseClient { index: 0 }) { params.int("drift_ppm") as u64 } else { 0 },
        work: ms("work_ms"),
        quorum: params.choice("quorum") == "majority",
        election: ms("election_ms"),
        keys: params.choice("keys") == "on",
        backoff: ms("backoff_ms"),
        jitter: Jitter::parse(params.choice("jitter_retry")),
        retries: params.int("retries") as u8,
    }
}

/// The nodes of a part: (name, role, kind, region); the hub first, then the servers.
fn layout(part: Part, params: &Params) -> (Vec<(String, NodeRole, Kind, u8)>, usize) {
    let clients = params.int("clients") as u8;
    let mut nodes = Vec::new();
    let servers;
    match part {
        Part::Detectors => {
            nodes.push(("m1".into(), NodeRole::Monitor, Kind::Monitor, 0));
            servers = params.int("processes") as usize;
            for i in 0..servers as u8 {
                nodes.push((format!("p{}", i + 1), NodeRole::Process, Kind::Watched { index: i }, 1 + i % 2));
            }
            return (nodes, servers);
        }
        Part::Fencing => {
            nodes.push(("lock".into(), NodeRole::Coordinator, Kind::LockService, 0));
            nodes.push(("store".into(), NodeRole::Server, Kind::Store, 0));
            servers = 1;
            for i in 0..clients {
                nodes.push((format!("c{}", i + 1), NodeRole::Client, Kind::LeaseClient { index: i }, 0));
            }
        }
        Part::SplitBrain => {
            servers = params.int("replicas") as usize;
            for i in 0..servers as u8 {
                nodes.push((format!("n{}", i + 1), NodeRole::Replica, Kind::Replica { index: i }, 0));
            }
            for i in 0..clients {
                nodes.push((format!("c{}", i + 1), NodeRole::Client, Kind::PutClient { index: i }, 0));
            }
        }
        Part::Idempotency => {
            nodes.push(("srv".into(), NodeRole::Server, Kind::Server, 0));
            servers = 0;
            for i in 0..clients {
                nodes.push((format!("c{}", i + 1), NodeRole::Client, Kind::Payer { index: i }, 0));
            }
        }
    }
    (nodes, servers)
}

impl FailureLab {
    pub fn start(scenario: &Scenario) -> Result<FailureLab, ScenarioError> {
        scenario.check_limits()?;
        let params = Params::resolve(PARAMS, &scenario.params).map_err(ScenarioError::Param)?;
        let part = Part::parse(params.choice("part"));
        let (nodes, count) = layout(part, &params);
        // The split-brain service has no hub: its replicas come first.
        let first = if part == Part::SplitBrain { 0 } else { 1 };
        let hub = if part == Part::SplitBrain { NodeId::MAX } else { 0 };
        let servers: Vec<NodeId> = (first..first + count as NodeId).collect();
        let clients: Vec<NodeId> = (0..nodes.len() as NodeId).filter(|&i| i >= first + count as NodeId).collect();
        let service_ms = params.int("service_ms") as Micros * MICROS_PER_MS;
        let setups: Vec<NodeSetup<Config>> = nodes
            .into_iter()
            .map(|(name, role, kind, region)| {
                let cpu_cost = if kind == Kind::Server { service_ms } else { 0 };
                let config = config(&params, part, kind, hub, &servers, &clients);
                NodeSetup { name, role, config, region, version: 1, cpu_cost, present: true }
            })
            .collect();
        let sim = Sim::new(scenario.seed, lossy_network(&params), setups);
        let driver = Driver::with_script(sim, &scenario.faults, &params)?;
        let truth = servers
            .iter()
            .map(|&s| Truth {
                up_since: Some(0),
                trace: ProcessTrace { node: s, up: true, ..ProcessTrace::default() },
                ..Truth::default()
            })
            .collect();
        let mut lab = FailureLab {
            driver,
            params,
            part,
            promises: Promises::new(&GUARANTEES, promised(part)),
            hub,
            servers,
            truth: if part == Part::Detectors { truth } else { Vec::new() },
            suspecting: BTreeMap::new(),
            scores: BTreeMap::new(),
            detection: [Histogram::default(), Histogram::default()],
            next_sample: 0,
            leases: VecDeque::new(),
            grants: BTreeMap::new(),
            writes: VecDeque::new(),
            leaders: BTreeMap::new(),
            latest: None,
            charged: Vec::new(),
            load: Series::new("first tries sent per 100 ms", 100 * MICROS_PER_MS, 600),
            retried: Series::new("retries sent per 100 ms", 100 * MICROS_PER_MS, 600),
            monitor_up: true,
            outcomes: [0; 3],
            latency: Histogram::default(),
            open: BTreeMap::new(),
            counts: BTreeMap::new(),
        };
        for t in &mut lab.truth {
            t.trace.name = lab.driver.names.get(usize::from(t.trace.node)).cloned().unwrap_or_default();
        }
        lab.collect();
        Ok(lab)
    }

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
        if self.part == Part::Detectors {
            self.follow_crashes();
            self.sample();
        }
    }

    /// Compares the processes' real state with what the lab last saw: crashes start the
    /// detection clock, restarts stop it; an undetected crash past the bound is a violation.
    fn follow_crashes(&mut self) {
        let now = self.driver.sim.now();
        let seq = self.driver.sim.trace().total().saturating_sub(1);
        // A monitor that crashes forgets its verdicts; so does the lab.
        let monitor_up = self.driver.sim.process(self.hub).is_some();
        if self.monitor_up && !monitor_up {
            self.suspecting.clear();
            for t in &mut self.truth {
                for s in t.trace.suspicions.iter_mut().filter(|s| s.2.is_none()) {
                    s.2 = Some(now);
                }
            }
        }
        self.monitor_up = monitor_up;
        for i in 0..self.truth.len() {
            let node = self.truth[i].trace.node;
            let crashed = matches!(self.driver.sim.status(node), Some(NodeStatus::Crashed | NodeStatus::Absent));
            let t = &mut self.truth[i];
            match (crashed, t.crashed_at) {
                (true, None) => {
                    t.crashed_at = Some(now);
                    t.heard = t.ever_heard;
                    t.flagged = false;
                    t.detected.clear();
                    if let Some(since) = t.up_since.take() {
                        t.up_total += now - since;
                    }
                    t.trace.crashes.push((now, None));
                    self.count("crashes");
                    // A detector already suspecting the process detects the crash at once.
                    let already: Vec<(Detector, u8)> =
                        self.suspecting.iter().filter(|(k, &s)| s && k.0 == node).map(|(k, _)| (k.1, k.2)).collect();
                    for (d, instance) in already {
                        self.detected(i, d, instance, now);
                    }
                }
                (false, Some(_)) => {
                    t.crashed_at = None;
                    t.up_since = Some(now);
                    t.restarted = Some(now);
                    if let Some(c) = t.trace.crashes.last_mut() {
                        c.1 = Some(now);
                    }
                }
                (true, Some(at)) if t.heard && !t.flagged && now > at + DETECT_WITHIN => {
                    let missing: Vec<&str> = [Detector::Phi, Detector::Fixed]
                        .into_iter()
                        .filter(|d| !t.detected.contains(&(*d, 0)))
                        .map(|d| if d == Detector::Phi { "phi accrual" } else { "the fixed timeout" })
                        .collect();
                    if !missing.is_empty() {
                        t.flagged = true;
                        let detail = format!(
                            "{} crashed at {} and {} had not suspected it {} later",
                            t.trace.name,
                            format_duration(at),
                            missing.join(" and "),
                            format_duration(DETECT_WITHIN)
                        );
                        self.violate(DETECTED, now, seq, detail);
                    }
                }
                _ => {}
            }
            let up = self.truth[i].crashed_at.is_none();
            self.truth[i].trace.up = up;
        }
    }

    fn detected(&mut self, i: usize, detector: Detector, instance: u8, at: Micros) {
        let t = &mut self.truth[i];
        let Some(crashed) = t.crashed_at else { return };
        if t.detected.contains(&(detector, instance)) {
            return;
        }
        t.detected.push((detector, instance));
        let score = self.scores.entry((detector, instance)).or_default();
        score.detections += 1;
        score.detection_sum += at - crashed;
        if instance == 0 {
            self.detection[detector as usize].record(at - crashed);
        }
    }

    /// Samples each process's phi for the plot, and notes new heartbeats.
    fn sample(&mut self) {
        let now = self.driver.sim.now();
        if now < self.next_sample {
            return;
        }
        self.next_sample = now + SAMPLE;
        let Some(Role::Monitor(m)) = self.driver.sim.process(self.hub).map(|p| &p.role) else { return };
        let readings = m.readings(now);
        let start = now.saturating_sub(WINDOW);
        for (node, phi, last, _, _) in readings {
            let Some(t) = self.truth.iter_mut().find(|t| t.trace.node == node) else { continue };
            t.ever_heard |= last.is_some();
            let tr = &mut t.trace;
            tr.phi.push((now, phi.min(1000.0) as f32));
            if let Some(last) = last {
                if tr.beats.last() != Some(&last) {
                    tr.beats.push(last);
                }
            }
            let old = tr.phi.iter().take_while(|p| p.0 < start).count();
            tr.phi.drain(..old);
            let old = tr.beats.iter().take_while(|&&b| b < start).count();
            tr.beats.drain(..old);
            tr.suspicions.retain(|s| s.2.is_none_or(|end| end >= start));
            tr.crashes.retain(|c| c.1.is_none_or(|end| end >= start));
        }
    }
}

mod record;

impl Lab for FailureLab {
    crate::lab::lab_plumbing!(State, "failure");

    fn verdicts(&self) -> &[Verdict] {
        &self.promises.verdicts
    }

    fn metrics(&self) -> Metrics {
        self.measure()
    }

    fn commands(&self, node: NodeId) -> Vec<(String, String)> {
        match self.driver.sim.process(node).map(|p| &p.role) {
            Some(Role::LeaseClient(_) | Role::PutClient(_) | Role::Payer(_)) => {
                alloc::vec![("Send a request now".into(), "request".into())]
            }
            Some(Role::Replica(_)) => alloc::vec![("Stand for election now".into(), "elect".into())],
            _ => Vec::new(),
        }
    }

    fn lab_view(&self) -> super::LabView {
        super::LabView::Failure(alloc::boxed::Box::new(self.view()))
    }
}

/// The lab's catalogue entry.
pub const INFO: crate::lab::LabInfo = crate::lab::LabInfo {
    name: "failure",
    title: "Failure handling",
    summary: "Failure detectors (a fixed timeout against phi accrual) with their trade-off curve, \
              leases and fencing tokens against a GC-paused or slow-clocked holder, split brain \
              with and without a quorum, and retries with backoff, jitter and idempotency keys.",
    listed: true,
    params: PARAMS,
    presets: PRESETS,
    parts: &[],
    variants: &[
        ("Failure detectors", "part", "detectors"),
        ("Leases and fencing", "part", "fencing"),
        ("Split brain", "part", "split-brain"),
        ("Idempotent retries", "part", "idempotency"),
    ],
    start: Some(|scenario| Ok(alloc::boxed::Box::new(FailureLab::start(scenario)?))),
};
