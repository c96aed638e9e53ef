//! The fault schedule a lab consults before each event.
//!
//! Faults are kept out of the event queue on purpose: a fault due at `t` runs before any
//! event due at or after `t`. An operator's live action is stamped `now + 1us`, after every
//! event at `now` already ran, so the recorded script replays the run exactly.

use crate::sort;
use alloc::vec::Vec;

use crate::fault::Fault;
use crate::time::Micros;

#[derive(Clone, Debug, Default)]
pub struct FaultSchedule {
    faults: Vec<Fault>,
    next: usize,
}

impl FaultSchedule {
    pub fn new(mut faults: Vec<Fault>) -> Self {
        sort::by_key(&mut faults, |f| f.at);
        FaultSchedule { faults, next: 0 }
    }

    /// When the next fault is due.
    pub fn next_time(&self) -> Option<Micros> {
        self.faults.get(self.next).map(|f| f.at)
    }

    /// The next fault, if it is due before the next event (or there is no next event).
    pub fn take_due(&mut self, next_event: Option<Micros>) -> Option<Fault> {
        let fault = self.faults.get(self.next)?;
        if next_event.is_some_and(|event| event < fault.at) {
            return None;
        }
        self.next += 1;
        Some(fault.clone())
    }

    /// Adds a fault after those already scheduled for the same time.
    pub fn insert(&mut self, fault: Fault) {
        let index = self.faults[self.next..].partition_point(|f| f.at <= fault.at) + self.next;
        self.faults.insert(index, fault);
    }
}
