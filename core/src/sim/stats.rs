//! Network-level counters the simulator keeps while it runs.

use alloc::vec::Vec;

use crate::metrics::{Histogram, Series};
use crate::time::{Micros, MICROS_PER_SEC};
use crate::trace::DropReason;

/// Counters over the whole run, bounded in memory.
#[derive(Clone, Debug)]
pub struct NetStats {
    pub sent: u64,
    pub delivered: u64,
    pub dropped: [u64; DropReason::ALL.len()],
    pub duplicated: u64,
    pub tampered: u64,
    pub replayed: u64,
    pub bytes_sent: u64,
    pub bytes_delivered: u64,
    /// Frames and bytes the on-path attacker read.
    pub eavesdropped: u64,
    pub eavesdropped_bytes: u64,
    pub timers_fired: u64,
    /// Time frames waited behind others on a link transmitter.
    pub queue_wait: Histogram,
    /// Send to delivery, for delivered frames.
    pub transit: Histogram,
    /// CPU time spent handling messages, per node.
    pub cpu_busy: Vec<Micros>,
    pub delivered_per_second: Series,
    pub dropped_per_second: Series,
    pub bytes_per_second: Series,
}

/// Per-second series keep the last ten minutes.
const SERIES_KEEP: usize = 600;

impl NetStats {
    pub fn new(nodes: usize) -> Self {
        NetStats {
            sent: 0,
            delivered: 0,
            dropped: [0; DropReason::ALL.len()],
            duplicated: 0,
            tampered: 0,
            replayed: 0,
            bytes_sent: 0,
            bytes_delivered: 0,
            eavesdropped: 0,
            eavesdropped_bytes: 0,
            timers_fired: 0,
            queue_wait: Histogram::default(),
            transit: Histogram::default(),
            cpu_busy: alloc::vec![0; nodes],
            delivered_per_second: Series::new("delivered", MICROS_PER_SEC, SERIES_KEEP),
            dropped_per_second: Series::new("dropped", MICROS_PER_SEC, SERIES_KEEP),
            bytes_per_second: Series::new("bytes", MICROS_PER_SEC, SERIES_KEEP),
        }
    }

    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason as usize]
    }

    pub fn total_dropped(&self) -> u64 {
        self.dropped.iter().sum()
    }

    pub(crate) fn count_drop(&mut self, at: Micros, reason: DropReason) {
        self.dropped[reason as usize] += 1;
        self.dropped_per_second.add(at, 1);
    }
}
