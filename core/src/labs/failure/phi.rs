//! The phi accrual failure detector (Hayashibara, Défago, Yared & Katayama, "The φ Accrual
//! Failure Detector", SRDS 2004), as Akka implements it (`akka.remote.PhiAccrualFailureDetector`
//! and its `HeartbeatHistory`; Apache Pekko keeps the same code).
//!
//! Instead of a verdict, the detector outputs φ = −log10(P(a heartbeat arrives later than
//! now)), where the inter-arrival times are taken to be normally distributed with the mean
//! and standard deviation of a sliding window of the last `max_sample_size` intervals. As
//! Akka does:
//!
//! - the normal CDF is replaced by a logistic approximation, `1 / (1 + e^(−y(1.5976 +
//!   0.070566 y²)))`, which needs no error function and stays finite far in the tail;
//! - the standard deviation is never taken below `min_std_dev_ms`, so perfectly regular
//!   heartbeats do not make the detector hair-triggered;
//! - `acceptable_pause_ms` is added to the mean, so a pause that long costs nothing;
//! - the first heartbeat seeds the history with two intervals around
//!   `first_heartbeat_estimate_ms` (the estimate ± a quarter), so φ is meaningful at once;
//! - an interval is recorded only while the process is considered available, so the long
//!   gap before a process comes back does not skew the statistics.
//!
//! All arithmetic is `f64` with `libm`'s `exp`, `log10` and `sqrt`, so native and wasm32
//! runs agree bit for bit.

use alloc::collections::VecDeque;

/// φ for a heartbeat `elapsed_ms` after the last, when intervals have this mean and standard
/// deviation (Akka's logistic approximation of the normal CDF).
pub fn phi(elapsed_ms: f64, mean_ms: f64, std_dev_ms: f64) -> f64 {
    let y = (elapsed_ms - mean_ms) / std_dev_ms;
    let e = libm::exp(-y * (1.5976 + 0.070566 * y * y));
    if elapsed_ms > mean_ms {
        -libm::log10(e / (1.0 + e))
    } else {
        -libm::log10(1.0 - 1.0 / (1.0 + e))
    }
}

/// The sliding window of inter-arrival times, with running sums for the mean and variance.
#[derive(Clone, Debug, PartialEq)]
pub struct HeartbeatHistory {
    max_sample_size: usize,
    intervals: VecDeque<f64>,
    interval_sum: f64,
    squared_interval_sum: f64,
}

impl HeartbeatHistory {
    pub fn new(max_sample_size: usize) -> HeartbeatHistory {
        HeartbeatHistory {
            max_sample_size: max_sample_size.max(1),
            intervals: VecDeque::new(),
            interval_sum: 0.0,
            squared_interval_sum: 0.0,
        }
    }

    /// Adds an interval, dropping the oldest when the window is full.
    pub fn push(&mut self, interval: f64) {
        if self.intervals.len() >= self.max_sample_size {
            if let Some(oldest) = self.intervals.pop_front() {
                self.interval_sum -= oldest;
                self.squared_interval_sum -= oldest * oldest;
            }
        }
        self.intervals.push_back(interval);
        self.interval_sum += interval;
        self.squared_interval_sum += interval * interval;
    }

    pub fn len(&self) -> usize {
        self.intervals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }

    pub fn mean(&self) -> f64 {
        self.interval_sum / self.intervals.len().max(1) as f64
    }

    pub fn variance(&self) -> f64 {
        self.squared_interval_sum / self.intervals.len().max(1) as f64 - self.mean() * self.mean()
    }

    pub fn std_dev(&self) -> f64 {
        libm::sqrt(self.variance().max(0.0))
    }
}

/// One process's phi accrual failure detector. Times are in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct PhiAccrual {
    pub threshold: f64,
    min_std_dev_ms: f64,
    acceptable_pause_ms: f64,
    first_heartbeat_estimate_ms: f64,
    history: HeartbeatHistory,
    last: Option<f64>,
}

impl PhiAccrual {
    pub fn new(
        threshold: f64,
        max_sample_size: usize,
        min_std_dev_ms: f64,
        acceptable_pause_ms: f64,
        first_heartbeat_estimate_ms: f64,
    ) -> PhiAccrual {
        PhiAccrual {
            threshold,
            min_std_dev_ms,
            acceptable_pause_ms,
            first_heartbeat_estimate_ms,
            history: HeartbeatHistory::new(max_sample_size),
            last: None,
        }
    }

    /// A heartbeat arrived at `now_ms`.
    pub fn heartbeat(&mut self, now_ms: f64) {
        match self.last {
            None => {
                // A new process: seed the history from the estimate.
                let mean = self.first_heartbeat_estimate_ms;
                let std_dev = mean / 4.0;
                self.history.push(mean - std_dev);
                self.history.push(mean + std_dev);
            }
            Some(last) => {
                // The first heartbeat after a failure is not recorded: the long gap would
                // skew the statistics.
                if self.is_available(now_ms) {
                    self.history.push(now_ms - last);
                }
            }
        }
        self.last = Some(now_ms);
    }

    /// φ at `now_ms`: 0 before the first heartbeat.
    pub fn phi(&self, now_ms: f64) -> f64 {
        let Some(last) = self.last else { return 0.0 };
        let std_dev = self.history.std_dev().max(self.min_std_dev_ms);
        phi(now_ms - last, self.history.mean() + self.acceptable_pause_ms, std_dev)
    }

    pub fn is_available(&self, now_ms: f64) -> bool {
        self.phi(now_ms) < self.threshold
    }

    /// The window's mean and (floored) standard deviation, for display.
    pub fn stats(&self) -> (f64, f64) {
        (self.history.mean(), self.history.std_dev().max(self.min_std_dev_ms))
    }

    /// When the last heartbeat arrived.
    pub fn last_heartbeat(&self) -> Option<f64> {
        self.last
    }
}
