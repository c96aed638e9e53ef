//! The replication lab's live checks, beyond what the history judge says.
//!
//! - **Acknowledged writes survive** (single leader): every write the leader acknowledged is
//!   in the log of each newly promoted leader, and of the current leader whenever a server
//!   discards entries. Positions in the log are (epoch, index) pairs, unique by
//!   construction, so "the new leader has it" is a lookup.
//! - **No lost update**, **later write wins** (multi-leader registers): a write dropped by a
//!   merge must have been seen by its replacement; and it must not be the later of the two
//!   in real time.
//! - **Strong eventual consistency** and **no increment lost** (multi-leader): datacenters
//!   whose version vectors of applied updates are equal have equal states (Shapiro et al.
//!   2011, Definition 2.3); a counter's value is the sum of the updates it has applied.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::data::{Conflicts, DcState};
use super::msg::{key_name, Entry, Key, Value};
use crate::time::Micros;
use crate::trace::NodeId;

/// A write the single leader acknowledged.
#[derive(Clone, Debug)]
pub struct AckedWrite {
    pub epoch: u64,
    pub index: u64,
    pub key: Key,
    pub value: Value,
    pub client: NodeId,
    pub at: Micros,
    pub lost: bool,
}

/// A failover, as the monitor made it.
#[derive(Clone, Copy, Debug)]
pub struct Failover {
    pub epoch: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub at: Micros,
}

#[derive(Clone, Debug, Default)]
pub struct AckedWrites {
    pub acked: Vec<AckedWrite>,
    pub failovers: Vec<Failover>,
    /// Writes found lost, in order.
    pub lost: Vec<usize>,
    /// Writes acknowledged by a leader after another was promoted in a later epoch (split
    /// brain).
    pub deposed: u64,
}

impl AckedWrites {
    /// Checks every acknowledged write not yet lost against `log`, the log of the leader of
    /// `epoch`; returns a sentence for each newly lost one.
    pub fn check(&mut self, log: &[Entry], epoch: u64, names: &dyn Fn(NodeId) -> String) -> Vec<String> {
        let failover = self.failovers.iter().rev().find(|f| f.epoch <= epoch).copied();
        let mut found = Vec::new();
        for (i, w) in self.acked.iter_mut().enumerate() {
            if w.lost || w.epoch > epoch {
                continue;
            }
            let kept = log.get(w.index as usize - 1).is_some_and(|e| e.epoch == w.epoch);
            if kept {
                continue;
            }
            w.lost = true;
            self.lost.push(i);
            let how = match failover {
                Some(f) => format!(
                    "the failover at {} from {} to {} (epoch {}) lost it",
                    crate::time::format_duration(f.at),
                    names(f.from),
                    names(f.to),
                    f.epoch
                ),
                None => "the leader's log no longer has it".into(),
            };
            found.push(format!(
                "the write {}={} acknowledged to {} at {} (entry {} of epoch {}) is gone: {how}",
                key_name(w.key),
                w.value,
                names(w.client),
                crate::time::format_duration(w.at),
                w.index,
                w.epoch
            ));
        }
        found
    }
}

/// The multi-leader checks.
#[derive(Clone, Debug, Default)]
pub struct Convergence {
    /// Each origin's updates' running sum of effects on the counter: `sums[dc][n]` is the
    /// sum of its first `n` updates.
    pub sums: Vec<Vec<i64>>,
    pub dropped: u64,
    pub dropped_later: u64,
    /// The writes counted as dropped, by dot.
    pub dropped_writes: BTreeSet<(u8, u64)>,
    pub conflicts: u64,
}

impl Convergence {
    pub fn record(&mut self, dc: u8, number: u64, delta: i8) {
        let dc = usize::from(dc);
        if self.sums.len() <= dc {
            self.sums.resize(dc + 1, alloc::vec![0]);
        }
        let sums = &mut self.sums[dc];
        // Updates are numbered 1, 2, … at their datacenter and observed in that order.
        while sums.len() <= number as usize {
            let last = *sums.last().unwrap_or(&0);
            sums.push(last);
        }
        let n = number as usize;
        let before = sums[n - 1];
        sums[n] = before + i64::from(delta);
    }

    /// What the counter should read at a datacenter that applied `state.seen`'s updates.
    pub fn expected(&self, state: &DcState) -> i64 {
        self.sums
            .iter()
            .enumerate()
            .map(|(dc, sums)| sums[(state.seen.get(dc as u8) as usize).min(sums.len() - 1)])
            .sum()
    }

    /// Two datacenters that applied the same updates but differ; a sentence.
    pub fn diverged(states: &[(NodeId, &DcState)], names: &dyn Fn(NodeId) -> String) -> Option<String> {
        for (i, (a, sa)) in states.iter().enumerate() {
            for (b, sb) in &states[i + 1..] {
                if sa.seen == sb.seen && !sa.same_contents(sb) {
                    return Some(format!(
                        "{} and {} applied the same {} updates but hold different states",
                        names(*a),
                        names(*b),
                        sa.seen.total()
                    ));
                }
            }
        }
        None
    }

    /// A counter that lost an increment; a sentence.
    pub fn short_count(
        &self,
        conflicts: Conflicts,
        states: &[(NodeId, &DcState)],
        names: &dyn Fn(NodeId) -> String,
    ) -> Option<String> {
        if !conflicts.counter() {
            return None;
        }
        states.iter().find_map(|(id, s)| {
            let (have, want) = (s.count(conflicts), self.expected(s));
            (have != want).then(|| {
                format!("{} reads {have} after applying {} updates that sum to {want}", names(*id), s.seen.total())
            })
        })
    }
}
