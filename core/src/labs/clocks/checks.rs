//! The Clocks lab's guarantees, checked against an oracle that knows true time and the
//! true causal order.
//!
//! The oracle builds happened-before from the event graph itself (process order plus message
//! edges): for every event it keeps, per process, how many of that process's events lie in
//! its causal past. `a → b` exactly when `b`'s count for `a`'s process reaches `a`. Each new
//! event is compared with the recent ones:
//!
//! * **clock-condition** (Lamport 1978): `a → b ⇒ L(a) < L(b)`;
//! * **vector-exact** (Mattern 1989): `a → b ⇔ V(a) < V(b)`;
//! * **hlc-condition** (Kulkarni et al. 2014): `a → b ⇒ hlc(a) < hlc(b)`;
//! * **hlc-bounded**: `l − pt` never exceeds the spread of clock errors seen so far;
//! * **truetime-interval**: true time lies inside `[earliest, latest]` at every reading;
//! * **external-consistency** (Spanner §4.1.2): if T1 commits before T2 starts, `s1 < s2`.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::logical::{compare_vectors, Order};
use super::node::{EventKind, Obs, Stamps};
use crate::invariant::Verdict;
use crate::sim::Observed;
use crate::time::Micros;
use crate::trace::{NodeId, Trace};

pub const CLOCK_CONDITION: usize = 0;
pub const VECTOR_EXACT: usize = 1;
pub const HLC_CONDITION: usize = 2;
pub const HLC_BOUNDED: usize = 3;
pub const TRUETIME_INTERVAL: usize = 4;
pub const EXTERNAL_CONSISTENCY: usize = 5;

/// Events kept for the diagram and for pairwise checks.
pub const WINDOW: usize = 400;
/// How many recent events each new event is checked against.
const COMPARE_WITH: usize = 96;
/// Sends remembered while their message may still arrive.
const PENDING_SENDS: usize = 4_096;

/// One event as the oracle saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub node: NodeId,
    pub index: u32,
    /// True time.
    pub at: Micros,
    pub kind: EventKind,
    pub stamps: Stamps,
    /// Per process, how many of its events are in this event's causal past (itself included).
    pub frontier: Vec<u32>,
    /// The trace event that recorded it.
    pub seq: u64,
}

impl EventRecord {
    /// True happened-before, from the oracle.
    pub fn happened_before(&self, later: &EventRecord) -> bool {
        !(self.node == later.node && self.index == later.index)
            && later.frontier.get(usize::from(self.node)).is_some_and(|&n| n > self.index)
    }
}

/// Client-visible totals.
#[derive(Clone, Debug, Default)]
pub struct ClockStats {
    pub events: u64,
    pub syncs: u64,
    pub txns_started: u64,
    pub txns_committed: u64,
    pub commit_wait_total: Micros,
    /// Metadata bytes summed over stamped sends: Lamport, vector, HLC.
    pub bytes: [u64; 3],
    pub sends: u64,
}

#[derive(Clone, Debug)]
pub struct Checks {
    pub verdicts: Vec<Verdict>,
    pub stats: ClockStats,
    pub window: VecDeque<EventRecord>,
    last_frontier: Vec<Vec<u32>>,
    sent: BTreeMap<(NodeId, u32), Vec<u32>>,
    error_range: Option<(i64, i64)>,
    max_committed_s: Option<(i64, u32, NodeId)>,
}

impl Checks {
    pub fn new(processes: usize) -> Self {
        Checks {
            verdicts: alloc::vec![
                Verdict::new("clock-condition", "Lamport: if a happened before b, then L(a) < L(b)."),
                Verdict::new("vector-exact", "Vector clocks: a happened before b exactly when V(a) < V(b)."),
                Verdict::new("hlc-condition", "HLC: if a happened before b, then hlc(a) < hlc(b)."),
                Verdict::new("hlc-bounded", "HLC: l − pt stays within the spread of the physical clocks' errors."),
                Verdict::new("truetime-interval", "TrueTime: true time always lies inside [earliest, latest]."),
                Verdict::new("external-consistency", "If T1 commits before T2 starts, then s1 < s2."),
            ],
            stats: ClockStats::default(),
            window: VecDeque::new(),
            last_frontier: alloc::vec![alloc::vec![0; processes]; processes],
            sent: BTreeMap::new(),
            error_range: None,
            max_committed_s: None,
        }
    }

    fn violate(&mut self, which: usize, observed_at: Micros, seq: u64, detail: String, trace: &mut Trace) {
        if let Some(event) = self.verdicts[which].violation_event(observed_at, seq, detail) {
            trace.record(observed_at, event);
        }
    }

    fn check_interval(&mut self, at: Micros, seq: u64, node: &str, pt: i64, epsilon: i64, trace: &mut Trace) {
        let truth = at as i64;
        if (pt - truth).abs() > epsilon {
            let detail = format!(
                "{node}: true time {truth}us is outside [{}, {}] (clock off by {}us, ε {}us)",
                pt - epsilon,
                pt + epsilon,
                pt - truth,
                epsilon
            );
            self.violate(TRUETIME_INTERVAL, at, seq, detail, trace);
        }
    }

    pub fn observe(&mut self, observed: Observed<Obs>, trace: &mut Trace, names: &[String]) {
        let name = |id: NodeId| names.get(usize::from(id)).cloned().unwrap_or_else(|| format!("node#{id}"));
        let (at, seq, node) = (observed.at, observed.seq, observed.node);
        match observed.observation {
            Obs::Event { index, kind, stamps, bytes } => {
                self.stats.events += 1;
                if let EventKind::Send { .. } = kind {
                    self.stats.sends += 1;
                    for (total, b) in self.stats.bytes.iter_mut().zip(bytes) {
                        *total += u64::from(b);
                    }
                }
                let error = stamps.pt - at as i64;
                let (low, high) = self.error_range.map_or((error, error), |(l, h)| (l.min(error), h.max(error)));
                self.error_range = Some((low, high));
                let record = self.oracle(node, index, at, kind, stamps, seq);
                self.check_event(&record, &name, trace);
                if self.window.len() == WINDOW {
                    self.window.pop_front();
                }
                self.window.push_back(record);
            }
            Obs::Synced { .. } => self.stats.syncs += 1,
            Obs::TxnStart { txn, s, pt, epsilon } => {
                self.stats.txns_started += 1;
                self.check_interval(at, seq, &name(node), pt, epsilon, trace);
                if let Some((earlier_s, earlier_txn, earlier_node)) = self.max_committed_s {
                    if s <= earlier_s {
                        let detail = format!(
                            "{} txn {txn} started after {} txn {earlier_txn} committed, yet s2={s} ≤ s1={earlier_s}",
                            name(node),
                            name(earlier_node)
                        );
                        self.violate(EXTERNAL_CONSISTENCY, at, seq, detail, trace);
                    }
                }
            }
            Obs::TxnCommit { txn, s, waited } => {
                self.stats.txns_committed += 1;
                self.stats.commit_wait_total += waited;
                if self.max_committed_s.is_none_or(|(best, _, _)| s > best) {
                    self.max_committed_s = Some((s, txn, node));
                }
            }
        }
    }

    /// Builds the true causal frontier of a new event.
    fn oracle(
        &mut self,
        node: NodeId,
        index: u32,
        at: Micros,
        kind: EventKind,
        stamps: Stamps,
        seq: u64,
    ) -> EventRecord {
        let p = usize::from(node);
        let processes = self.last_frontier.len();
        let mut frontier = self.last_frontier.get(p).cloned().unwrap_or_else(|| alloc::vec![0; processes]);
        if let EventKind::Receive { from, sender_event } = kind {
            if let Some(theirs) = self.sent.get(&(from, sender_event)).cloned() {
                for (mine, t) in frontier.iter_mut().zip(theirs) {
                    *mine = (*mine).max(t);
                }
            }
        }
        if let Some(own) = frontier.get_mut(p) {
            *own = index + 1;
        }
        if let EventKind::Send { .. } = kind {
            self.sent.insert((node, index), frontier.clone());
            if self.sent.len() > PENDING_SENDS {
                self.sent.pop_first();
            }
        }
        if let Some(slot) = self.last_frontier.get_mut(p) {
            slot.clone_from(&frontier);
        }
        EventRecord { node, index, at, kind, stamps, frontier, seq }
    }

    fn check_event(&mut self, b: &EventRecord, name: &dyn Fn(NodeId) -> String, trace: &mut Trace) {
        let label = |e: &EventRecord| format!("{}#{}", name(e.node), e.index);
        self.check_interval(b.at, b.seq, &name(b.node), b.stamps.pt, b.stamps.epsilon, trace);
        if let Some((low, high)) = self.error_range {
            let drift = b.stamps.hlc.l - b.stamps.pt;
            if drift > high - low {
                let detail =
                    format!("{}: l − pt = {drift}us exceeds the clock-error spread {}us", label(b), high - low);
                self.violate(HLC_BOUNDED, b.at, b.seq, detail, trace);
            }
        }
        let mut findings = Vec::new();
        for a in self.window.iter().rev().take(COMPARE_WITH) {
            let before = a.happened_before(b);
            if before && a.stamps.lamport >= b.stamps.lamport {
                findings.push((
                    CLOCK_CONDITION,
                    format!("{} → {} but L = {} ≥ {}", label(a), label(b), a.stamps.lamport, b.stamps.lamport),
                ));
            }
            let vector_says = compare_vectors(&a.stamps.vector, &b.stamps.vector) == Order::Before;
            if vector_says != before {
                let truth = if before { "happened before" } else { "is concurrent with" };
                findings.push((
                    VECTOR_EXACT,
                    format!(
                        "{} {truth} {}, but V = {:?} vs {:?}",
                        label(a),
                        label(b),
                        a.stamps.vector,
                        b.stamps.vector
                    ),
                ));
            }
            if before && a.stamps.hlc >= b.stamps.hlc {
                findings.push((
                    HLC_CONDITION,
                    format!("{} → {} but hlc {:?} ≥ {:?}", label(a), label(b), a.stamps.hlc, b.stamps.hlc),
                ));
            }
        }
        for (which, detail) in findings {
            self.violate(which, b.at, b.seq, detail, trace);
        }
    }
}
