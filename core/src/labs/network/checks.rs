//! The Network lab's guarantees and client-side metrics.
//!
//! * **exactly-once**: no request is applied twice, and every acknowledged request was
//!   applied. Retries and network duplicates break it unless servers deduplicate.
//! * **integrity**: servers apply only what clients sent. An on-path attacker that tampers
//!   with frames breaks it unless frames are authenticated.
//!
//! The checker is an oracle outside the system: it sees what clients issued and what servers
//! applied. It forgets requests older than a horizon that covers every retry and every
//! in-flight copy, so memory stays bounded on long runs.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::vec::Vec;

use super::node::Obs;
use crate::invariant::Verdict;
use crate::metrics::{Histogram, Series};
use crate::sim::Observed;
use crate::time::{Micros, MICROS_PER_SEC};
use crate::trace::{NodeId, Trace};

pub const EXACTLY_ONCE: &str = "exactly-once";
pub const INTEGRITY: &str = "integrity";

#[derive(Clone, Debug, Default)]
struct RequestRecord {
    amount: i32,
    applied: u32,
}

/// Client-side counters.
#[derive(Clone, Debug)]
pub struct ClientStats {
    pub issued: u64,
    pub acked: u64,
    pub retried: u64,
    pub gave_up: u64,
    pub rejected: u64,
    pub no_server: u64,
    pub applied: u64,
    pub dedup_hits: u64,
    pub latency: Histogram,
    pub acked_per_second: Series,
}

#[derive(Clone, Debug)]
pub struct Checks {
    pub verdicts: Vec<Verdict>,
    pub stats: ClientStats,
    requests: crate::idmap::IdMap<(NodeId, u32), RequestRecord>,
    /// Requests in the order they were issued, for forgetting the oldest first.
    issue_order: VecDeque<(Micros, NodeId, u32)>,
    /// Per client: requests below this id were forgotten by the horizon.
    forgotten_below: BTreeMap<NodeId, u32>,
    horizon: Micros,
}

impl Checks {
    pub fn new(horizon: Micros) -> Self {
        Checks {
            verdicts: alloc::vec![
                Verdict::new(
                    EXACTLY_ONCE,
                    "Every acknowledged request was applied exactly once, and no request was applied twice."
                ),
                Verdict::new(INTEGRITY, "Servers apply only requests that clients sent, with the amounts they sent."),
            ],
            stats: ClientStats {
                issued: 0,
                acked: 0,
                retried: 0,
                gave_up: 0,
                rejected: 0,
                no_server: 0,
                applied: 0,
                dedup_hits: 0,
                latency: Histogram::default(),
                acked_per_second: Series::new("acked", MICROS_PER_SEC, 600),
            },
            requests: crate::idmap::new(),
            issue_order: VecDeque::new(),
            forgotten_below: BTreeMap::new(),
            horizon,
        }
    }

    pub fn set_horizon(&mut self, horizon: Micros) {
        self.horizon = horizon;
    }

    fn violate(&mut self, which: usize, observed: &Observed<Obs>, detail: alloc::string::String, trace: &mut Trace) {
        if let Some(event) = self.verdicts[which].violation_event(observed.at, observed.seq, detail) {
            trace.record(observed.at, event);
        }
    }

    pub fn observe(&mut self, observed: Observed<Obs>, trace: &mut Trace, names: &[alloc::string::String]) {
        let name = |id: NodeId| names.get(usize::from(id)).cloned().unwrap_or_else(|| format!("node#{id}"));
        let node = observed.node;
        match observed.observation {
            Obs::Issued { req, amount, .. } => {
                self.stats.issued += 1;
                self.requests.insert((node, req), RequestRecord { amount, applied: 0 });
                self.issue_order.push_back((observed.at, node, req));
            }
            Obs::Retried { .. } => self.stats.retried += 1,
            Obs::GaveUp { .. } => self.stats.gave_up += 1,
            Obs::Rejected { .. } => self.stats.rejected += 1,
            Obs::NoServer { .. } => self.stats.no_server += 1,
            Obs::DedupHit { .. } | Obs::Stale { .. } => self.stats.dedup_hits += 1,
            Obs::Acked { req, latency } => {
                self.stats.acked += 1;
                self.stats.latency.record(latency);
                self.stats.acked_per_second.add(observed.at, 1);
                if self.requests.get(&(node, req)).is_some_and(|r| r.applied == 0) {
                    let detail = format!("{}:{req} was acknowledged but never applied", name(node));
                    self.violate(0, &observed, detail, trace);
                }
            }
            Obs::Applied { client, req, amount, .. } => {
                self.stats.applied += 1;
                let forgotten = self.forgotten_below.get(&client).is_some_and(|&below| req < below);
                match self.requests.get_mut(&(client, req)) {
                    Some(record) => {
                        record.applied += 1;
                        let (sent, times) = (record.amount, record.applied);
                        if times > 1 {
                            let detail =
                                format!("{} applied {}:{req} a {}time", name(node), name(client), ordinal(times));
                            self.violate(0, &observed, detail, trace);
                        }
                        if sent != amount {
                            let detail = format!(
                                "{} applied amount {amount} for {}:{req}, but the client sent {sent}",
                                name(node),
                                name(client)
                            );
                            self.violate(1, &observed, detail, trace);
                        }
                    }
                    None if forgotten => {}
                    None => {
                        let detail = format!("{} applied {}:{req}, which no client sent", name(node), name(client));
                        self.violate(1, &observed, detail, trace);
                    }
                }
            }
        }
        self.forget_before(observed.at.saturating_sub(self.horizon));
    }

    /// Forgets requests issued before `cutoff`, oldest first.
    fn forget_before(&mut self, cutoff: Micros) {
        while let Some(&(issued_at, client, req)) = self.issue_order.front() {
            if issued_at >= cutoff {
                break;
            }
            self.issue_order.pop_front();
            self.requests.remove(&(client, req));
            let below = self.forgotten_below.entry(client).or_insert(0);
            *below = (*below).max(req + 1);
        }
    }
}

fn ordinal(n: u32) -> alloc::string::String {
    match n {
        2 => "second ".into(),
        3 => "third ".into(),
        n => format!("{n}th "),
    }
}
