//! Physical clocks with skew and drift, NTP-style synchronisation, and TrueTime intervals.
//!
//! A clock reads `t + offset + drift·(t − t_set)` at true time `t`, where `drift` is in parts
//! per million and `t_set` is when the offset was last set. The clock is hardware, so it is
//! modelled as part of the node's state and read from the true time the simulator passes in;
//! the protocol never sees true time otherwise.
//!
//! NTP (Mills, RFC 5905 §8): the client stamps `t0` when it sends, the server `t1` on receipt
//! and `t2` on reply, the client `t3` on receipt. The offset estimate is
//! `θ = ((t1 − t0) + (t2 − t3)) / 2` and the round trip `δ = (t3 − t0) − (t2 − t1)`. The error
//! of θ is half the difference between the two one-way delays, so it is at most `δ / 2`:
//! synchronisation shrinks skew, but asymmetry leaves some.
//!
//! TrueTime (Corbett et al., "Spanner", OSDI 2012, §3): `TT.now()` returns
//! `[earliest, latest] = [pt − ε, pt + ε]`, where ε is the uncertainty: the last sync's `δ/2`
//! plus the assumed worst drift times the time since. Commit-wait picks `s = TT.now().latest`
//! and waits until `TT.after(s)`, i.e. `earliest > s`, before acknowledging.

use crate::time::Micros;

/// A drifting, skewed hardware clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysicalClock {
    /// Offset from true time when last set, in microseconds.
    offset: i64,
    /// Rate error in parts per million (positive runs fast).
    drift_ppm: i64,
    set_at: Micros,
}

impl PhysicalClock {
    pub fn new(offset: i64, drift_ppm: i64) -> Self {
        PhysicalClock { offset, drift_ppm, set_at: 0 }
    }

    /// The clock's reading at true time `now`.
    pub fn read(&self, now: Micros) -> i64 {
        let elapsed = now.saturating_sub(self.set_at) as i64;
        now as i64 + self.offset + elapsed * self.drift_ppm / 1_000_000
    }

    /// Steps the clock by `delta` microseconds at true time `now`.
    pub fn step(&mut self, now: Micros, delta: i64) {
        self.offset = self.read(now) + delta - now as i64;
        self.set_at = now;
    }
}

/// NTP's offset and round-trip estimates from the four timestamps.
pub fn ntp_estimate(t0: i64, t1: i64, t2: i64, t3: i64) -> (i64, i64) {
    let offset = ((t1 - t0) + (t2 - t3)) / 2;
    let round_trip = (t3 - t0) - (t2 - t1);
    (offset, round_trip)
}

/// A TrueTime interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TtInterval {
    pub earliest: i64,
    pub latest: i64,
}

impl TtInterval {
    pub fn around(pt: i64, epsilon: i64) -> Self {
        TtInterval { earliest: pt - epsilon, latest: pt + epsilon }
    }

    pub fn contains(&self, t: i64) -> bool {
        self.earliest <= t && t <= self.latest
    }

    /// ε: half the interval's width.
    pub fn epsilon(&self) -> i64 {
        self.latest.saturating_sub(self.earliest) / 2
    }
}

/// How long commit-wait must still wait before `TT.after(s)` holds, judged by `tt`;
/// `None` once it holds.
pub fn commit_wait_remaining(tt: TtInterval, s: i64) -> Option<i64> {
    (tt.earliest <= s).then(|| s.saturating_sub(tt.earliest).saturating_add(1))
}

/// Where TrueTime intervals come from. The simulated clock model is one source; real clock
/// hardware streamed by the bridge (kernel NTP state, gpsd, PTP) is another. A view that
/// shows TrueTime asks its source and falls back to the simulated model when the source has
/// nothing (no bridge, or the connection dropped).
pub trait TimeSource {
    /// A short description, e.g. "simulated clock model" or "hardware: PTP /dev/ptp0".
    fn describe(&self) -> alloc::string::String;
    /// The interval now, if the source has one.
    fn interval(&mut self) -> Option<TtInterval>;
}

/// The simulated model as a [`TimeSource`]: a clock reading and the node's ε.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelSource {
    pub pt: i64,
    pub epsilon: i64,
}

impl TimeSource for ModelSource {
    fn describe(&self) -> alloc::string::String {
        "simulated clock model".into()
    }
    fn interval(&mut self) -> Option<TtInterval> {
        Some(TtInterval::around(self.pt, self.epsilon))
    }
}

/// The interval from `preferred` if it has one, else from the model, with the source's name.
pub fn interval_with_fallback(
    preferred: Option<&mut dyn TimeSource>,
    model: ModelSource,
) -> (TtInterval, alloc::string::String) {
    if let Some(source) = preferred {
        if let Some(tt) = source.interval() {
            return (tt, source.describe());
        }
    }
    (TtInterval::around(model.pt, model.epsilon), model.describe())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_and_steps() {
        let mut clock = PhysicalClock::new(5_000, 100); // 5 ms ahead, 100 ppm fast
        assert_eq!(clock.read(0), 5_000);
        assert_eq!(clock.read(1_000_000), 1_005_100);
        clock.step(1_000_000, -5_100);
        assert_eq!(clock.read(1_000_000), 1_000_000);
        assert_eq!(clock.read(2_000_000), 2_000_100);
    }

    #[test]
    fn ntp_error_is_half_the_asymmetry() {
        // Client 10 ms behind; 4 ms there, 8 ms back; server holds 1 ms.
        let truth = 100_000;
        let t0 = truth - 10_000;
        let t1 = truth + 4_000;
        let t2 = t1 + 1_000;
        let t3 = (t2 + 8_000) - 10_000;
        let (offset, round_trip) = ntp_estimate(t0, t1, t2, t3);
        assert_eq!(round_trip, 12_000);
        assert_eq!(offset, 10_000 - 2_000, "error = (4 ms - 8 ms) / 2");
        assert!((offset - 10_000).abs() <= round_trip / 2);
    }

    struct Dropped;
    impl TimeSource for Dropped {
        fn describe(&self) -> alloc::string::String {
            "hardware: gone".into()
        }
        fn interval(&mut self) -> Option<TtInterval> {
            None
        }
    }

    struct Hardware;
    impl TimeSource for Hardware {
        fn describe(&self) -> alloc::string::String {
            "hardware: test".into()
        }
        fn interval(&mut self) -> Option<TtInterval> {
            Some(TtInterval { earliest: 10, latest: 12 })
        }
    }

    #[test]
    fn sources_fall_back_to_the_model() {
        let model = ModelSource { pt: 100, epsilon: 5 };
        assert_eq!(
            interval_with_fallback(None, model),
            (TtInterval { earliest: 95, latest: 105 }, "simulated clock model".into())
        );
        assert_eq!(interval_with_fallback(Some(&mut Dropped), model).1, "simulated clock model");
        assert_eq!(
            interval_with_fallback(Some(&mut Hardware), model),
            (TtInterval { earliest: 10, latest: 12 }, "hardware: test".into())
        );
    }

    #[test]
    fn commit_wait_waits_until_earliest_passes_s() {
        assert_eq!(commit_wait_remaining(TtInterval::around(100, 10), 110), Some(21));
        assert_eq!(commit_wait_remaining(TtInterval::around(121, 10), 110), None);
    }

    #[test]
    fn intervals() {
        let tt = TtInterval::around(1_000, 7);
        assert!(tt.contains(993) && tt.contains(1_007) && !tt.contains(1_008));
    }
}
