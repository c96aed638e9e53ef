//! The no-progress guard: a run whose virtual time stops moving is stopped, with a sentence.
//!
//! Every accepted scenario must make progress in virtual time. A protocol or knob bug that
//! schedules work at the same instant forever (a timer re-armed after 0 µs, a message storm
//! with no delay) would otherwise spin the CLI forever or silently stall the page. The guard
//! counts consecutive events that leave the clock where it was; past [`STALL_EVENTS`] the run
//! stops and [`Stall`] names the lab, the instant and the kinds of event that repeated.
//!
//! The budget is far beyond any legitimate burst: the busiest lab settings produce a few
//! dozen events in one microsecond.

use crate::sort;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::time::{format_time, Micros};
use crate::trace::{EventKind, Trace};

/// Consecutive events at one instant after which a run counts as stuck.
pub const STALL_EVENTS: u32 = 200_000;

/// Why a run was stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stall {
    pub lab: &'static str,
    /// The instant virtual time stayed at.
    pub at: Micros,
    /// Events processed there without the clock moving.
    pub events: u32,
    /// The most frequent kinds of event among the last ones recorded, with their counts.
    pub repeating: Vec<(String, u64)>,
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} run made no progress: virtual time stayed at {} for {} events in a row, so it was stopped",
            self.lab,
            format_time(self.at),
            self.events
        )?;
        if !self.repeating.is_empty() {
            let kinds: Vec<String> = self.repeating.iter().map(|(kind, n)| format!("{kind} ×{n}")).collect();
            write!(f, " (repeating: {})", kinds.join(", "))?;
        }
        Ok(())
    }
}

/// Counts events at the same instant.
#[derive(Clone, Debug, Default)]
pub struct ProgressGuard {
    at: Micros,
    same: u32,
    stall: Option<Stall>,
}

impl ProgressGuard {
    pub fn stall(&self) -> Option<&Stall> {
        self.stall.as_ref()
    }

    /// Notes one processed event that left the clock at `now`; trips the guard when too many
    /// in a row did not move it.
    pub fn observe(&mut self, lab: &'static str, now: Micros, trace: &Trace) {
        if now != self.at {
            self.at = now;
            self.same = 0;
            return;
        }
        self.same += 1;
        if self.same >= STALL_EVENTS && self.stall.is_none() {
            self.stall = Some(Stall { lab, at: now, events: self.same, repeating: repeating(trace) });
        }
    }
}

/// The three most frequent kinds of event in the trace window, named with their detail
/// (the message kind of a send, the timer of a timeout).
fn repeating(trace: &Trace) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for event in trace.window() {
        let name = match &event.kind {
            EventKind::Send { kind, .. } | EventKind::Deliver { kind, .. } => {
                format!("{} {kind}", event.kind.name())
            }
            EventKind::Timer { timer, .. } => format!("timer {timer}"),
            other => other.name().into(),
        };
        *counts.entry(name).or_insert(0) += 1;
    }
    let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
    sort::by(&mut counts, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(3);
    counts
}
