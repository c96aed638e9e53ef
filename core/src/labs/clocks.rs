//! # The Clocks lab: physical clocks, Lamport, vector, hybrid logical clocks and TrueTime
//!
//! Processes drift and start skewed; NTP rounds against a time server shrink the skew but
//! leave what round-trip asymmetry hides (RFC 5905 §8). Every event is stamped by four clocks
//! at once, so they can be compared on the same run:
//!
//! * the physical clock alone orders nothing reliably once clocks disagree;
//! * Lamport clocks (Lamport 1978) satisfy `a → b ⇒ L(a) < L(b)` but cannot tell concurrency;
//! * vector clocks (Fidge 1988; Mattern 1989) characterise happened-before exactly, at the
//!   price of one entry per process in every message;
//! * hybrid logical clocks (Kulkarni et al. 2014) keep the clock condition in a constant-size
//!   timestamp that stays within the clock skew of physical time;
//! * TrueTime (Corbett et al. 2012, Spanner §3 and §4.1.2) exposes the uncertainty as an
//!   interval; commit-wait turns it into external consistency.
//!
//! An oracle that knows true time and the true causal graph checks every guarantee live
//! (see `checks`). Understate ε or switch commit-wait off, and it points at the pair that
//! breaks.

mod checks;
pub mod logical;
mod node;
mod params;
pub mod physical;

pub use checks::EventRecord;
pub use node::{EventKind as ClockEventKind, Msg, Stamps, State};
pub use params::PARAMS;

use alloc::string::String;
use alloc::vec::Vec;

use crate::digest::encoded_len;
use crate::invariant::Verdict;
use crate::lab::{Counter, Driver, Lab, Metrics, Params};
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::Sim;
use crate::trace::NodeId;
use checks::Checks;

/// One process's clock against true time, right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockReading {
    pub node: NodeId,
    pub pt: i64,
    /// `pt − true time`.
    pub error: i64,
    pub epsilon: i64,
}

/// A row of the live comparison table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockKind {
    pub name: &'static str,
    pub guarantee: &'static str,
    pub hardware: &'static str,
    /// Mean metadata bytes per message in this run, in thousandths of a byte.
    pub milli_bytes_per_message: u64,
    /// Encoded bytes of one timestamp at N = 4, 16 and 64 processes.
    pub bytes_at_n: [(usize, usize); 3],
}

/// What the space-time diagram and the comparison table show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceTime {
    pub processes: usize,
    pub events: Vec<EventRecord>,
    pub readings: Vec<ClockReading>,
    pub kinds: Vec<ClockKind>,
}

/// How two events relate, in truth and according to each clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relation {
    /// The oracle: `Before` means the first happened before the second.
    pub truth: logical::Order,
    pub physical: logical::Order,
    pub lamport: logical::Order,
    pub vector: logical::Order,
    pub hlc: logical::Order,
}

fn order_of<T: Ord>(a: T, b: T) -> logical::Order {
    match a.cmp(&b) {
        core::cmp::Ordering::Less => logical::Order::Before,
        core::cmp::Ordering::Greater => logical::Order::After,
        core::cmp::Ordering::Equal => logical::Order::Equal,
    }
}

/// Compares two events by the true causal order and by every clock's timestamps.
pub fn relation(a: &EventRecord, b: &EventRecord) -> Relation {
    let truth = if (a.node, a.index) == (b.node, b.index) {
        logical::Order::Equal
    } else if a.happened_before(b) {
        logical::Order::Before
    } else if b.happened_before(a) {
        logical::Order::After
    } else {
        logical::Order::Concurrent
    };
    Relation {
        truth,
        physical: order_of(a.stamps.pt, b.stamps.pt),
        lamport: order_of(a.stamps.lamport, b.stamps.lamport),
        vector: logical::compare_vectors(&a.stamps.vector, &b.stamps.vector),
        hlc: order_of(a.stamps.hlc, b.stamps.hlc),
    }
}

#[derive(Clone)]
pub struct ClocksLab {
    driver: Driver<State>,
    checks: Checks,
    params: Params,
    processes: usize,
}

impl ClocksLab {
    pub fn start(scenario: &Scenario) -> Result<ClocksLab, ScenarioError> {
        scenario.check_limits()?;
        let params = Params::resolve(PARAMS, &scenario.params).map_err(ScenarioError::Param)?;
        let setups = params::node_setups(&params, scenario.seed);
        let processes = setups.len() - 1;
        let sim = Sim::new(scenario.seed, params::net_params(&params), setups);
        let driver = Driver::with_script(sim, &scenario.faults, &params)?;
        let mut lab = ClocksLab { driver, checks: Checks::new(processes), params, processes };
        lab.collect();
        Ok(lab)
    }

    fn collect(&mut self) {
        let driver = &mut self.driver;
        let mut observations = driver.sim.take_observed();
        for observed in observations.drain(..) {
            self.checks.observe(observed, driver.sim.trace_mut(), &driver.names);
        }
        driver.sim.recycle_observed(observations);
    }

    /// Reapplies the live knobs in `self.params` to the running nodes and network.
    fn set_live(&mut self) {
        let sim = &mut self.driver.sim;
        sim.set_net_params(params::net_params(&self.params));
        for id in 0..sim.node_count() as NodeId {
            let params = &self.params;
            sim.reconfigure(id, |config| params::refresh_config(config, params));
        }
    }

    fn readings(&self) -> Vec<ClockReading> {
        let now = self.driver.sim.now();
        (0..self.processes as NodeId)
            .filter_map(|id| {
                let (pt, epsilon) = self.driver.sim.process(id)?.reading(now);
                Some(ClockReading { node: id, pt, error: pt - now as i64, epsilon })
            })
            .collect()
    }

    /// Everything the space-time view draws.
    pub fn space_time(&self) -> SpaceTime {
        let stats = &self.checks.stats;
        let per_message = |i: usize| (stats.bytes[i] * 1000).checked_div(stats.sends).unwrap_or(0);
        let widest = self.checks.window.iter().flat_map(|e| e.stamps.vector.iter().copied()).max().unwrap_or(0);
        let lamport = self.checks.window.back().map_or(0, |e| e.stamps.lamport);
        let hlc = self.checks.window.back().map(|e| e.stamps.hlc).unwrap_or_default();
        let vector_at = |n: usize| (n, encoded_len(&alloc::vec![widest; n]));
        let kinds = alloc::vec![
            ClockKind {
                name: "Physical",
                guarantee: "None across nodes: skew and drift reorder events",
                hardware: "a quartz clock; NTP to bound skew",
                milli_bytes_per_message: 0,
                bytes_at_n: [(4, 0), (16, 0), (64, 0)],
            },
            ClockKind {
                name: "Lamport",
                guarantee: "a → b ⇒ L(a) < L(b); cannot detect concurrency",
                hardware: "none",
                milli_bytes_per_message: per_message(0),
                bytes_at_n: [(4, encoded_len(&lamport)), (16, encoded_len(&lamport)), (64, encoded_len(&lamport))],
            },
            ClockKind {
                name: "Vector",
                guarantee: "a → b ⇔ V(a) < V(b): exactly happened-before",
                hardware: "none",
                milli_bytes_per_message: per_message(1),
                bytes_at_n: [vector_at(4), vector_at(16), vector_at(64)],
            },
            ClockKind {
                name: "HLC",
                guarantee: "a → b ⇒ hlc(a) < hlc(b), within the skew of physical time",
                hardware: "NTP-synced clocks",
                milli_bytes_per_message: per_message(2),
                bytes_at_n: [(4, encoded_len(&hlc)), (16, encoded_len(&hlc)), (64, encoded_len(&hlc))],
            },
            ClockKind {
                name: "TrueTime",
                guarantee: "true time ∈ [earliest, latest]; with commit-wait, external consistency",
                hardware: "GPS and atomic clocks keep ε small",
                milli_bytes_per_message: 0,
                bytes_at_n: [(4, 0), (16, 0), (64, 0)],
            },
        ];
        SpaceTime {
            processes: self.processes,
            events: self.checks.window.iter().cloned().collect(),
            readings: self.readings(),
            kinds,
        }
    }
}

impl Lab for ClocksLab {
    crate::lab::lab_plumbing!(State, "clocks");

    fn verdicts(&self) -> &[Verdict] {
        &self.checks.verdicts
    }

    fn metrics(&self) -> Metrics {
        let s = &self.checks.stats;
        let net = self.driver.sim.stats();
        let readings = self.readings();
        let max_skew = readings.iter().map(|r| r.error.unsigned_abs()).max().unwrap_or(0);
        let max_epsilon = readings.iter().map(|r| r.epsilon.max(0) as u64).max().unwrap_or(0);
        let mean_wait = s.commit_wait_total.checked_div(s.txns_committed).unwrap_or(0);
        let count = |name, value| Counter { name, value, unit: "" };
        Metrics {
            counters: alloc::vec![
                count("events", s.events),
                count("messages", s.sends),
                count("ntp syncs", s.syncs),
                count("transactions started", s.txns_started),
                count("transactions committed", s.txns_committed),
                Counter { name: "mean commit-wait", value: mean_wait, unit: "us" },
                Counter { name: "largest clock error now", value: max_skew, unit: "us" },
                Counter { name: "largest epsilon now", value: max_epsilon, unit: "us" },
                count("sent", net.sent),
                count("delivered", net.delivered),
                count("dropped", net.total_dropped()),
            ],
            histograms: alloc::vec![("transit", net.transit.clone())],
            series: alloc::vec![net.delivered_per_second.clone()],
            drops: Vec::new(),
        }
    }

    fn commands(&self, node: NodeId) -> Vec<(String, String)> {
        if usize::from(node) >= self.processes {
            return Vec::new();
        }
        let mut commands = alloc::vec![("Local event".into(), "local".into())];
        for (id, name) in self.driver.names.iter().enumerate().take(self.processes) {
            if id != usize::from(node) {
                commands.push((alloc::format!("Send to {name}"), alloc::format!("send {name}")));
            }
        }
        commands.push(("Start a transaction".into(), "txn".into()));
        commands
    }

    fn lab_view(&self) -> super::LabView {
        super::LabView::SpaceTime(self.space_time())
    }
}

/// The lab's catalogue entry.
pub const INFO: crate::lab::LabInfo = crate::lab::LabInfo {
    name: "clocks",
    title: "Clocks: physical, logical, hybrid and TrueTime",
    summary: "Drifting, skewed physical clocks kept close by NTP; Lamport, vector and hybrid \
              logical clocks stamping the same events; TrueTime intervals with commit-wait. \
              Click two events on the space-time diagram to see whether one happened before \
              the other and which clocks can tell.",
    listed: true,
    params: PARAMS,
    presets: &[],
    parts: &[],
    variants: &[],
    start: Some(|scenario| Ok(alloc::boxed::Box::new(ClocksLab::start(scenario)?))),
};
