//! Bounded-memory metrics: a log-linear latency histogram and fixed-width time series.
//!
//! The histogram keeps 16 sub-buckets per power of two (about 6 % relative error), so a
//! one-hour run costs a few hundred counters, never one entry per sample.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

use crate::time::Micros;

const SUB_BUCKET_BITS: u32 = 4;
const SUB_BUCKETS: u64 = 1 << SUB_BUCKET_BITS;

/// A histogram of microsecond values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Counts by bucket index, up to the largest bucket seen: a few hundred counters at most
    /// (values up to an hour), and an array index per sample.
    buckets: Vec<u64>,
    count: u64,
    sum: u128,
    max: Micros,
}

fn bucket_of(value: Micros) -> u16 {
    if value < SUB_BUCKETS {
        return value as u16;
    }
    let exponent = 63 - value.leading_zeros();
    let sub = (value >> (exponent - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
    ((u64::from(exponent - SUB_BUCKET_BITS + 1) << SUB_BUCKET_BITS) + sub) as u16
}

fn bucket_floor(bucket: u16) -> Micros {
    let bucket = u64::from(bucket);
    if bucket < SUB_BUCKETS {
        return bucket;
    }
    let exponent = (bucket >> SUB_BUCKET_BITS) + u64::from(SUB_BUCKET_BITS) - 1;
    let sub = bucket & (SUB_BUCKETS - 1);
    (1 << exponent) | (sub << (exponent - u64::from(SUB_BUCKET_BITS)))
}

impl Histogram {
    pub fn record(&mut self, value: Micros) {
        let bucket = usize::from(bucket_of(value));
        if bucket >= self.buckets.len() {
            self.buckets.resize(bucket + 1, 0);
        }
        self.buckets[bucket] += 1;
        self.count += 1;
        self.sum += u128::from(value);
        self.max = self.max.max(value);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn max(&self) -> Micros {
        self.max
    }

    pub fn mean(&self) -> Micros {
        if self.count == 0 {
            0
        } else {
            (self.sum / u128::from(self.count)) as Micros
        }
    }

    /// The value at the given quantile in per-mille (500 = median, 990 = p99): the lower edge
    /// of the bucket holding it, capped by the observed maximum.
    pub fn quantile(&self, per_mille: u32) -> Micros {
        if self.count == 0 {
            return 0;
        }
        let rank = (self.count * u64::from(per_mille.min(1000))).div_ceil(1000).max(1);
        let mut seen = 0;
        for (bucket, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return bucket_floor(bucket as u16).min(self.max);
            }
        }
        self.max
    }

    /// (lower edge, count) for every non-empty bucket, for drawing.
    pub fn buckets(&self) -> impl Iterator<Item = (Micros, u64)> + '_ {
        self.buckets.iter().enumerate().filter(|(_, &n)| n > 0).map(|(b, &n)| (bucket_floor(b as u16), n))
    }

    pub fn summary(&self) -> HistogramSummary {
        HistogramSummary {
            count: self.count,
            mean_us: self.mean(),
            p50_us: self.quantile(500),
            p90_us: self.quantile(900),
            p99_us: self.quantile(990),
            max_us: self.max,
        }
    }
}

/// Percentiles of a histogram, for reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistogramSummary {
    pub count: u64,
    pub mean_us: Micros,
    pub p50_us: Micros,
    pub p90_us: Micros,
    pub p99_us: Micros,
    pub max_us: Micros,
}

/// Counts per fixed time bucket, keeping only the most recent buckets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    pub name: String,
    pub bucket: Micros,
    first: u64,
    values: VecDeque<u64>,
    keep: usize,
}

impl Series {
    pub fn new(name: &str, bucket: Micros, keep: usize) -> Self {
        Series { name: name.into(), bucket: bucket.max(1), first: 0, values: VecDeque::new(), keep: keep.max(1) }
    }

    pub fn add(&mut self, at: Micros, amount: u64) {
        let index = at / self.bucket;
        if index < self.first {
            return;
        }
        while self.first + (self.values.len() as u64) <= index {
            self.values.push_back(0);
            if self.values.len() > self.keep {
                self.values.pop_front();
                self.first += 1;
            }
        }
        if let Some(slot) = self.values.get_mut((index - self.first) as usize) {
            *slot += amount;
        }
    }

    /// (bucket start time, value), oldest first.
    pub fn points(&self) -> impl Iterator<Item = (Micros, u64)> + '_ {
        self.values.iter().enumerate().map(move |(i, &v)| ((self.first + i as u64) * self.bucket, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_bucket_error() {
        let mut h = Histogram::default();
        for v in 1..=10_000 {
            h.record(v);
        }
        let p50 = h.quantile(500);
        assert!((4_700..=5_000).contains(&p50), "{p50}");
        let p99 = h.quantile(990);
        assert!((9_300..=9_900).contains(&p99), "{p99}");
        assert!((9_300..=10_000).contains(&h.quantile(1000)));
        assert_eq!(h.max(), 10_000);
        assert_eq!(h.mean(), 5_000);
    }

    #[test]
    fn bucket_edges_round_trip() {
        for v in [0u64, 1, 15, 16, 17, 31, 32, 1_000, 123_456, u64::MAX / 2] {
            let floor = bucket_floor(bucket_of(v));
            assert!(floor <= v && v - floor <= v / 16 + 1, "{v} -> {floor}");
        }
    }

    #[test]
    fn series_keeps_only_recent_buckets() {
        let mut s = Series::new("acks", 10, 3);
        for t in 0..100 {
            s.add(t, 1);
        }
        let points: alloc::vec::Vec<_> = s.points().collect();
        assert_eq!(points, [(70, 10), (80, 10), (90, 10)]);
        s.add(5, 1); // too old: ignored
        assert_eq!(s.points().count(), 3);
    }
}
