//! A history's picture, for timelines: each operation with its lane and linearization
//! point, and every judge's verdict with the operations that show it. Built by a lab's live
//! judge or from a history file; renderers draw it without knowing which.

use crate::sort;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Answer, Call, History, Model, Op, Val};

/// One operation as a timeline draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpView {
    pub op: Op,
    pub lane: u16,
    /// Where a linearization places it, while one exists.
    pub point: Option<u64>,
    /// A lab's last read of a key, for the convergence check.
    pub final_read: bool,
}

/// A model's verdict so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelView {
    pub name: &'static str,
    /// Whether what produced the history promises it (a violation fails the run).
    pub promised: bool,
    /// "holds", "violated" or "unknown".
    pub word: &'static str,
    pub reason: String,
    /// The operations that show a violation (indices into `ops`), the culprit last.
    pub ops: Vec<usize>,
}

impl ModelView {
    pub fn new(name: &'static str, answer: &Answer, promised: bool) -> Self {
        let (reason, ops) = match answer {
            Answer::Holds { .. } => (String::new(), Vec::new()),
            Answer::Violated { reason, ops, .. } => (reason.clone(), ops.clone()),
            Answer::Unknown { reason } => (reason.clone(), Vec::new()),
        };
        ModelView { name, promised, word: answer.word(), reason, ops }
    }
}

/// The picture: lanes, operations, and every model's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryView {
    pub lanes: Vec<String>,
    pub ops: Vec<OpView>,
    pub models: Vec<ModelView>,
    pub sessions: Vec<ModelView>,
    /// Whether times are the simulator's microseconds (else a file's own unit).
    pub micros: bool,
}

impl HistoryView {
    /// The history the view shows.
    pub fn to_history(&self) -> History {
        History { ops: self.ops.iter().map(|o| o.op.clone()).collect() }
    }

    /// The picture of a history from a file: one lane per concurrent thread (Jepsen's
    /// process modulo the concurrency), and the verdicts given.
    pub fn of_file(h: &History, models: Vec<ModelView>, sessions: Vec<ModelView>, witness: Option<&[usize]>) -> Self {
        let concurrency = concurrency(h).max(1) as u64;
        let lanes = (0..concurrency).map(|t| format!("thread {t}")).collect();
        let points = witness.map(|w| points(h, w));
        let ops = h
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| OpView {
                op: op.clone(),
                lane: (op.process % concurrency) as u16,
                point: points.as_ref().and_then(|p| p[i]),
                final_read: false,
            })
            .collect();
        HistoryView { lanes, ops, models, sessions, micros: false }
    }
}

/// How many operations were open at once, at most (Jepsen's concurrency: its processes
/// are threads modulo this, a new process after each unknown outcome).
fn concurrency(h: &History) -> usize {
    let mut edges: Vec<(u64, i8)> = Vec::new();
    for op in &h.ops {
        edges.push((op.invoke, 1));
        edges.push((op.end(), -1));
    }
    sort::by_key(&mut edges, |&(t, d)| (t, -d));
    let (mut open, mut most) = (0i64, 0i64);
    for (_, d) in edges {
        open += i64::from(d);
        most = most.max(open);
    }
    let processes = {
        let mut p: Vec<u64> = h.ops.iter().map(|o| o.process).collect();
        sort::ascending(&mut p);
        p.dedup();
        p.len()
    };
    (most as usize).min(processes).min(64)
}

/// Linearization points: each operation, in the witness's order per key, as early as its
/// invocation and its predecessor allow.
pub fn points(h: &History, witness: &[usize]) -> Vec<Option<u64>> {
    let mut points = alloc::vec![None; h.ops.len()];
    let mut last: Vec<(&Val, u64)> = Vec::new();
    for &i in witness {
        let o = &h.ops[i];
        let before = last.iter().find(|(k, _)| *k == &o.key).map_or(0, |(_, t)| *t);
        let at = before.max(o.invoke).min(o.end());
        points[i] = Some(at);
        match last.iter_mut().find(|(k, _)| *k == &o.key) {
            Some(slot) => slot.1 = at,
            None => last.push((&o.key, at)),
        }
    }
    points
}

impl Model {
    /// The model a history's operations call for: key-value if it appends, a set if it
    /// adds, a compare-and-set register if it has compare-and-sets, else a register.
    pub fn for_history(h: &History) -> Model {
        let has = |f: fn(&Call) -> bool| h.ops.iter().any(|op| f(&op.call));
        if has(|c| matches!(c, Call::Append(_))) {
            Model::Kv
        } else if has(|c| matches!(c, Call::Add(_))) {
            Model::Set
        } else if has(|c| matches!(c, Call::Cas(..))) {
            Model::CasRegister
        } else {
            Model::Register
        }
    }
}
