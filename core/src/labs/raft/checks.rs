//! Raft's safety properties (Figure 3 of the paper), checked live by an oracle that can read
//! every server's stable log:
//!
//! * **election-safety**: at most one leader per term;
//! * **log-matching**: if two logs hold an entry with the same index and term, they are
//!   identical up to that index;
//! * **leader-completeness**: a committed entry is in the log of every later leader;
//! * **state-machine-safety**: no two servers apply different commands at the same index.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::log::{Entry, Index, Term};
use super::state::Obs;
use crate::invariant::Verdict;
use crate::metrics::Histogram;
use crate::sim::Observed;
use crate::time::Micros;
use crate::trace::{EventKind, NodeId, Trace};

const ELECTION_SAFETY: usize = 0;
const LOG_MATCHING: usize = 1;
const LEADER_COMPLETENESS: usize = 2;
const STATE_MACHINE_SAFETY: usize = 3;

/// How far back log matching is compared after each change.
const MATCH_WINDOW: usize = 256;

#[derive(Clone, Debug, Default)]
pub struct RaftStats {
    pub elections: u64,
    /// PreVote polls started (thesis §9.6).
    pub pre_vote_rounds: u64,
    pub leaders: u64,
    pub committed: u64,
    pub client_done: u64,
    pub client_latency: Histogram,
    /// From the moment no leader was known (crash or step-down) to the next leader.
    pub election_time: Histogram,
    /// The most recent such election.
    pub last_election: Option<Micros>,
}

#[derive(Clone, Debug)]
pub struct Checks {
    pub verdicts: Vec<Verdict>,
    pub stats: RaftStats,
    leaders: BTreeMap<Term, NodeId>,
    committed: BTreeMap<Index, Term>,
    applied: BTreeMap<Index, (Term, u32)>,
    leaderless_since: Option<Micros>,
    /// Verdict events waiting to go into the trace.
    pending: Vec<(Micros, EventKind)>,
}

impl Checks {
    pub fn new() -> Self {
        Checks {
            verdicts: alloc::vec![
                Verdict::new("election-safety", "At most one leader is elected in a term."),
                Verdict::new(
                    "log-matching",
                    "Two logs with an entry of the same index and term are identical up to it."
                ),
                Verdict::new("leader-completeness", "A committed entry is present in the logs of all later leaders."),
                Verdict::new("state-machine-safety", "No two servers apply different commands at the same index."),
            ],
            stats: RaftStats::default(),
            leaders: BTreeMap::new(),
            committed: BTreeMap::new(),
            applied: BTreeMap::new(),
            leaderless_since: Some(0),
            pending: Vec::new(),
        }
    }

    fn violate(&mut self, which: usize, at: Micros, seq: u64, detail: String) {
        if let Some(event) = self.verdicts[which].violation_event(at, seq, detail) {
            self.pending.push((at, event));
        }
    }

    /// Moves verdict events into the trace.
    pub fn flush(&mut self, trace: &mut Trace) {
        for (at, kind) in self.pending.drain(..) {
            trace.record(at, kind);
        }
    }

    /// A leader crashed or stepped down: start the election clock.
    pub fn lost_leader(&mut self, at: Micros) {
        self.leaderless_since.get_or_insert(at);
    }

    /// `logs` gives every server's current stable log by node id.
    pub fn observe<'a>(
        &mut self,
        o: Observed<Obs>,
        logs: &dyn Fn(NodeId) -> Option<&'a [Entry]>,
        servers: &[NodeId],
        names: &[String],
    ) {
        let name = |id: NodeId| names.get(usize::from(id)).cloned().unwrap_or_else(|| format!("node#{id}"));
        let (at, seq, node) = (o.at, o.seq, o.node);
        match o.observation {
            Obs::BecameCandidate { .. } => self.stats.elections += 1,
            Obs::PreVoting { .. } => self.stats.pre_vote_rounds += 1,
            Obs::SteppedDown { .. } => {}
            Obs::BecameLeader { term } => {
                self.stats.leaders += 1;
                if let Some(since) = self.leaderless_since.take() {
                    self.stats.election_time.record(at - since);
                    self.stats.last_election = Some(at - since);
                }
                if let Some(&other) = self.leaders.get(&term) {
                    if other != node {
                        let detail = format!("{} and {} are both leaders of term {term}", name(other), name(node));
                        self.violate(ELECTION_SAFETY, at, seq, detail);
                    }
                }
                self.leaders.insert(term, node);
                let log = logs(node).unwrap_or(&[]);
                let missing = self
                    .committed
                    .iter()
                    .find(|(&index, &term)| log.get(index as usize - 1).map(|e| e.term) != Some(term));
                if let Some((&index, &term)) = missing {
                    let detail = format!("{} leads without committed entry {index} (term {term})", name(node));
                    self.violate(LEADER_COMPLETENESS, at, seq, detail);
                }
            }
            Obs::LogChanged { .. } => {
                let mine = logs(node).unwrap_or(&[]);
                for &other in servers.iter().filter(|&&s| s != node) {
                    let theirs = logs(other).unwrap_or(&[]);
                    if let Some(index) = log_mismatch(mine, theirs) {
                        let detail = format!(
                            "{} and {} agree on the term at index {index} but differ before it",
                            name(node),
                            name(other)
                        );
                        self.violate(LOG_MATCHING, at, seq, detail);
                    }
                }
            }
            Obs::Committed { index, term } => {
                self.stats.committed += 1;
                self.committed.insert(index, term);
            }
            Obs::Applied { index, term, command } => match self.applied.get(&index) {
                Some(&(t, c)) if (t, c) != (term, command) => {
                    let detail = format!("{} applied command {command} (term {term}) at index {index}, another server applied {c} (term {t})", name(node));
                    self.violate(STATE_MACHINE_SAFETY, at, seq, detail);
                }
                Some(_) => {}
                None => {
                    self.applied.insert(index, (term, command));
                }
            },
            Obs::Submitted { .. } => {}
            Obs::Done { latency, .. } => {
                self.stats.client_done += 1;
                self.stats.client_latency.record(latency);
            }
        }
    }
}

impl Default for Checks {
    fn default() -> Self {
        Checks::new()
    }
}

/// The highest index (within the recent window) where both logs hold the same term but an
/// earlier entry differs, if any.
fn log_mismatch(a: &[Entry], b: &[Entry]) -> Option<Index> {
    let common = a.len().min(b.len());
    let start = common.saturating_sub(MATCH_WINDOW);
    let agree = (start..common).rev().find(|&i| a[i].term == b[i].term)?;
    (start..agree).find(|&i| a[i] != b[i]).map(|_| agree as Index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(terms: &[(Term, u32)]) -> Vec<Entry> {
        terms.iter().map(|&(term, command)| Entry { term, command }).collect()
    }

    #[test]
    fn log_matching_detects_divergent_prefixes() {
        assert_eq!(log_mismatch(&log(&[(1, 1), (1, 2)]), &log(&[(1, 1), (1, 2), (2, 3)])), None);
        assert_eq!(log_mismatch(&log(&[(1, 1), (2, 2)]), &log(&[(1, 1), (3, 9)])), None, "a conflicting tail is fine");
        assert_eq!(log_mismatch(&log(&[(1, 1), (2, 2)]), &log(&[(1, 7), (2, 2)])), Some(2));
    }
}
