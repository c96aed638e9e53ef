//! # Histories and the judges of consistency models
//!
//! A history is what clients saw: each operation's process, function, key, value, the time it
//! was invoked and the time it completed, and its outcome. As in Jepsen, `ok` took effect,
//! `fail` did not, and `info` is unknown: it may or may not have taken effect, and it stays
//! open to the end of the history.
//!
//! The judges (each in its own module) say which models a history satisfies:
//! - [`linear`]: **linearizability** (Herlihy & Wing 1990), checked by Wing & Gong's search
//!   ("Testing and verifying concurrent objects", 1993) with Lowe's just-in-time
//!   linearization ("Testing for linearizability", 2017) and a cache of (linearized set,
//!   state) as in Porcupine; keys are checked independently (P-compositionality, Horn &
//!   Kroening 2015), and a budget of steps turns a search that would take too long into
//!   "unknown";
//! - [`sequential`]: **sequential consistency** (Lamport 1979): the same question with only
//!   each process's own order kept, searched over all keys at once (it is not compositional);
//! - [`causal`]: **causal consistency** for histories whose writes are unique, by the bad
//!   patterns of Bouajjani, Enea, Guerraoui and Hamza ("On verifying causal consistency",
//!   POPL 2017);
//! - [`recency`]: every read sees a value not overwritten, in real time, before it began
//!   (Lamport's regular register; what R + W > N quorums promise);
//! - [`session`]: the four **session guarantees** of Terry et al. ("Session guarantees for
//!   weakly consistent replicated data", 1994) and **convergence** (eventual consistency).
//!
//! Every failed verdict names the operations that show it; every verdict that holds can show
//! its witness. The judges are generic: they know models, not labs.

pub mod causal;
pub mod edn;
pub mod linear;
pub mod live;
mod model;
pub mod recency;
pub mod sequential;
pub mod session;
pub mod view;

pub use model::{Model, Val};

use crate::sort;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// What an operation asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// Read (`read`, `get`); its value is what was read.
    Read,
    /// Write (`write`, `put`).
    Write(Val),
    /// Compare and set: if the value is the first, make it the second.
    Cas(Val, Val),
    /// Append to a key's string (the key-value model).
    Append(Val),
    /// Add an element (the set model).
    Add(Val),
}

impl Call {
    pub fn is_read(&self) -> bool {
        matches!(self, Call::Read)
    }

    /// The function's name, as Jepsen writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Call::Read => "read",
            Call::Write(_) => "write",
            Call::Cas(..) => "cas",
            Call::Append(_) => "append",
            Call::Add(_) => "add",
        }
    }
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It took effect; a read's value is what it read.
    Ok,
    /// It did not take effect (for a compare-and-set: its compare did not match).
    Fail,
    /// Unknown: it may or may not have taken effect.
    Info,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Fail => "fail",
            Outcome::Info => "info",
        }
    }
}

/// One operation: invoked, and perhaps completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub process: u64,
    pub key: Val,
    pub call: Call,
    /// For an `ok` read, the value read.
    pub value: Val,
    pub outcome: Outcome,
    /// When it was invoked (any unit, the same for the whole history).
    pub invoke: u64,
    /// When it completed; `None` while open, and for `info` (open to the end).
    pub complete: Option<u64>,
}

impl Op {
    /// Whether the judges consider it at all: a failed operation did not happen, except a
    /// failed compare-and-set, which tells that its compare did not match.
    pub fn counts(&self) -> bool {
        self.outcome != Outcome::Fail || matches!(self.call, Call::Cas(..))
    }

    /// Whether its result is known (an `ok`, or a failed compare-and-set).
    pub fn known(&self) -> bool {
        self.complete.is_some() && self.outcome != Outcome::Info
    }

    /// The completion time, with an open operation open to the end.
    pub fn end(&self) -> u64 {
        match (self.outcome, self.complete) {
            (Outcome::Info, _) | (_, None) => u64::MAX,
            (_, Some(t)) => t,
        }
    }

    /// The value it writes, if it writes one.
    pub fn written(&self) -> Option<&Val> {
        match &self.call {
            Call::Write(v) | Call::Append(v) | Call::Add(v) => Some(v),
            Call::Cas(_, v) => Some(v),
            Call::Read => None,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{} {}", self.process, self.call.name())?;
        match &self.key {
            Val::Nil => {}
            Val::Str(name) => write!(f, " {name}")?,
            key => write!(f, " {key}")?,
        }
        match (&self.call, self.outcome) {
            (Call::Read, Outcome::Ok) => write!(f, " → {}", self.value)?,
            (Call::Read, _) => {}
            (Call::Cas(a, b), _) => write!(f, " {a}→{b}")?,
            (Call::Write(v) | Call::Append(v) | Call::Add(v), _) => write!(f, " {v}")?,
        }
        match self.outcome {
            Outcome::Ok => Ok(()),
            other => write!(f, " ({})", other.name()),
        }
    }
}

/// A history: operations in the order they were invoked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    pub ops: Vec<Op>,
}

impl History {
    pub fn new() -> Self {
        History::default()
    }

    /// Records an invocation; returns its index, to complete it later.
    pub fn invoke(&mut self, process: u64, key: Val, call: Call, at: u64) -> usize {
        self.ops.push(Op { process, key, call, value: Val::Nil, outcome: Outcome::Info, invoke: at, complete: None });
        self.ops.len() - 1
    }

    /// Records a completion of operation `index`.
    pub fn complete(&mut self, index: usize, outcome: Outcome, value: Val, at: u64) {
        if let Some(op) = self.ops.get_mut(index) {
            op.outcome = outcome;
            op.value = value;
            op.complete = Some(at);
        }
    }

    /// The distinct keys, in order.
    pub fn keys(&self) -> Vec<Val> {
        let mut keys: Vec<Val> = self.ops.iter().map(|o| o.key.clone()).collect();
        sort::ascending(&mut keys);
        keys.dedup();
        keys
    }

    /// The indices of the operations the judges consider, on `key` (or all keys).
    pub fn counted(&self, key: Option<&Val>) -> Vec<usize> {
        (0..self.ops.len()).filter(|&i| self.ops[i].counts() && key.is_none_or(|k| &self.ops[i].key == k)).collect()
    }

    /// The operations a search must place, on `key` (or all keys): those counted, less the
    /// reads of unknown outcome, which constrain nothing (any state explains them).
    pub fn searched(&self, key: Option<&Val>) -> Vec<usize> {
        let mut ops = self.counted(key);
        ops.retain(|&i| !self.ops[i].call.is_read() || self.ops[i].known());
        ops
    }

    /// Whether every written value is written once per key (causal checking needs it).
    pub fn unique_writes(&self) -> bool {
        let mut seen: Vec<(&Val, &Val)> =
            self.ops.iter().filter(|o| o.counts()).filter_map(|o| o.written().map(|v| (&o.key, v))).collect();
        let n = seen.len();
        sort::ascending(&mut seen);
        seen.dedup();
        seen.len() == n
    }
}

/// A judge's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The history satisfies the model; `witness` is an order of operations (indices into
    /// the history) that shows it, where the judge has one.
    Holds { witness: Vec<usize> },
    /// It does not: `ops` are the operations that show it, `culprit` the one to point at,
    /// and `reason` says why in a sentence.
    Violated { ops: Vec<usize>, culprit: usize, reason: String },
    /// The judge ran out of its budget, or the model does not apply to this history.
    Unknown { reason: String },
}

impl Answer {
    pub fn holds(&self) -> bool {
        matches!(self, Answer::Holds { .. })
    }

    pub fn violated(&self) -> bool {
        matches!(self, Answer::Violated { .. })
    }

    pub fn word(&self) -> &'static str {
        match self {
            Answer::Holds { .. } => "holds",
            Answer::Violated { .. } => "violated",
            Answer::Unknown { .. } => "unknown",
        }
    }
}

/// How much a search may do before it answers "unknown".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub steps: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { steps: 20_000_000 }
    }
}

/// What a search did, for benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchStats {
    pub steps: u64,
    pub cache_peak: usize,
}
