//! Guarantees as code.
//!
//! A lab declares named guarantees; its checkers watch the run and, at the first event that
//! breaks one, record a violation that points at that event. Verdicts are live: the UI reads
//! them every frame, and the CLI's exit code reflects them.

use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

use crate::time::Micros;
use crate::trace::EventKind;

/// The state of one guarantee so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Status {
    Holds,
    Violated {
        at: Micros,
        /// The trace event that broke it.
        event: u64,
        detail: String,
        /// How many violations were seen in total.
        count: u64,
    },
}

/// A named guarantee and its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub name: &'static str,
    pub statement: &'static str,
    pub status: Status,
    /// While no violation is seen: why the guarantee is not judged yet, if it is not (a
    /// property of a finished history, a search out of its budget). Shown instead of
    /// "holds"; a run's status is unchanged by it, but an exercise's goal to keep the
    /// guarantee is not met, nor a tour's claim that it holds, while it is pending.
    pub pending: Option<String>,
}

impl Verdict {
    pub fn new(name: &'static str, statement: &'static str) -> Self {
        Verdict { name, statement, status: Status::Holds, pending: None }
    }

    /// Says the guarantee is not judged yet, and why; `None` once it is.
    pub fn set_pending(&mut self, why: Option<&str>) {
        if self.pending.as_deref() != why {
            self.pending = why.map(String::from);
        }
    }

    pub fn holds(&self) -> bool {
        self.status == Status::Holds
    }

    /// Records a violation. Returns true if it is the first one, which is the one reported.
    pub fn violate(&mut self, at: Micros, event: u64, detail: String) -> bool {
        match &mut self.status {
            Status::Holds => {
                self.status = Status::Violated { at, event, detail, count: 1 };
                true
            }
            Status::Violated { count, .. } => {
                *count += 1;
                false
            }
        }
    }

    /// Records a violation by trace event `event`; for the first one, returns the trace
    /// event that reports it, for the lab to record.
    pub fn violation_event(&mut self, at: Micros, event: u64, detail: String) -> Option<EventKind> {
        let first = self.violate(at, event, detail.clone());
        first.then_some(EventKind::Verdict { invariant: self.name, holds: false, detail, culprit: Some(event) })
    }
}

/// The guarantees a lab can check, by index into its list, and the verdicts of those its
/// configuration promises: a guarantee not promised is never reported.
#[derive(Clone, Debug)]
pub struct Promises {
    checked: Vec<usize>,
    pub verdicts: Vec<Verdict>,
}

impl Promises {
    /// Promises guarantees `checked` of `all` (name, statement).
    pub fn new(all: &[(&'static str, &'static str)], checked: Vec<usize>) -> Promises {
        let verdicts = checked.iter().map(|&g| Verdict::new(all[g].0, all[g].1)).collect();
        Promises { checked, verdicts }
    }

    /// Records guarantee `g` violated by trace event `event`, if it is promised; for its
    /// first violation, returns the trace event that reports it.
    pub fn violate(&mut self, g: usize, at: Micros, event: u64, detail: String) -> Option<EventKind> {
        let i = self.checked.iter().position(|&c| c == g)?;
        self.verdicts[i].violation_event(at, event, detail)
    }

    /// Says guarantee `g`, if promised, is not judged yet and why; `None` once it is.
    pub fn set_pending(&mut self, g: usize, why: Option<&str>) {
        if let Some(i) = self.checked.iter().position(|&c| c == g) {
            self.verdicts[i].set_pending(why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_violation_is_kept_and_later_ones_counted() {
        let mut v = Verdict::new("x", "x holds");
        assert!(v.holds());
        assert!(v.violate(5, 17, "first".into()));
        assert!(!v.violate(9, 30, "second".into()));
        assert_eq!(v.status, Status::Violated { at: 5, event: 17, detail: "first".into(), count: 2 });
    }
}
