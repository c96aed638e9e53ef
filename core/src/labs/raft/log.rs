//! The replicated log and the durable state Raft keeps (Raft §5, Figure 2: "Persistent
//! state on all servers": currentTerm, votedFor, log[]).

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::process::Durable;
use crate::trace::NodeId;

pub type Term = u64;
/// Log positions start at 1; 0 means "before the first entry".
pub type Index = u64;

/// A log entry: the term it was created in and the client's command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub term: Term,
    pub command: u32,
}

/// What survives a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stable {
    pub current_term: Term,
    pub voted_for: Option<NodeId>,
    pub log: Vec<Entry>,
}

/// A change written to stable storage before the server answers anyone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Term {
        term: Term,
        voted_for: Option<NodeId>,
    },
    /// Drop every entry from `from` on, then append `entries`.
    Splice {
        from: Index,
        entries: Vec<Entry>,
    },
}

impl Durable for Stable {
    type Change = Change;
    fn apply(&mut self, change: Change) {
        match change {
            Change::Term { term, voted_for } => {
                self.current_term = term;
                self.voted_for = voted_for;
            }
            Change::Splice { from, entries } => {
                self.log.truncate(from.saturating_sub(1) as usize);
                self.log.extend(entries);
            }
        }
    }
}

impl Stable {
    pub fn last_index(&self) -> Index {
        self.log.len() as Index
    }

    pub fn last_term(&self) -> Term {
        self.log.last().map_or(0, |e| e.term)
    }

    /// The term of the entry at `index` (0 for index 0), or `None` past the end.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        match index {
            0 => Some(0),
            i => self.log.get(i as usize - 1).map(|e| e.term),
        }
    }

    /// Entries from `from` on, at most `limit` of them.
    pub fn entries_from(&self, from: Index, limit: usize) -> Vec<Entry> {
        let start = from.saturating_sub(1) as usize;
        self.log.iter().skip(start).take(limit).copied().collect()
    }

    /// Raft §5.4.1: a candidate's log is at least as up-to-date as ours if its last term is
    /// later, or the same with a log at least as long.
    pub fn candidate_up_to_date(&self, last_log_term: Term, last_log_index: Index) -> bool {
        last_log_term > self.last_term() || (last_log_term == self.last_term() && last_log_index >= self.last_index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(terms: &[Term]) -> Stable {
        Stable { log: terms.iter().map(|&term| Entry { term, command: 0 }).collect(), ..Stable::default() }
    }

    #[test]
    fn voting_rule_table() {
        // (our log terms, candidate last term, candidate last index, grant?)
        let table: &[(&[Term], Term, Index, bool)] = &[
            (&[], 0, 0, true),
            (&[1, 1], 1, 2, true),
            (&[1, 1], 1, 1, false),
            (&[1, 1], 2, 1, true),
            (&[1, 3], 2, 9, false),
            (&[1, 3], 3, 2, true),
            (&[1, 3], 3, 3, true),
        ];
        for &(ours, term, index, grant) in table {
            assert_eq!(log(ours).candidate_up_to_date(term, index), grant, "{ours:?} vs ({term}, {index})");
        }
    }

    #[test]
    fn splice_truncates_conflicts() {
        let mut s = log(&[1, 1, 2, 2]);
        s.apply(Change::Splice { from: 3, entries: alloc::vec![Entry { term: 3, command: 9 }] });
        assert_eq!(s.log.iter().map(|e| e.term).collect::<Vec<_>>(), [1, 1, 3]);
        assert_eq!(s.term_at(0), Some(0));
        assert_eq!(s.term_at(3), Some(3));
        assert_eq!(s.term_at(4), None);
        assert_eq!(s.entries_from(2, 5).len(), 2);
    }
}
