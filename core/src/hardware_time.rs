//! # Hardware time: the bridge's wire protocol and the browser's view of it
//!
//! The simulated clocks of the Clocks lab are a model. `playground-bridge` is a small native
//! program that reads a real clock with a real uncertainty bound and streams it to the
//! browser over a WebSocket, so the TrueTime view can show what a machine actually knows
//! about the time, and commit-wait can wait on it.
//!
//! TrueTime (Corbett et al., "Spanner: Google's Globally-Distributed Database", OSDI 2012,
//! §3) exposes time as an interval `[earliest, latest]` guaranteed to contain the true time.
//! A bridge sample is exactly that, in Unix-epoch nanoseconds, together with the source
//! that produced it and the terms the bound is made of (for the kernel: the `maxerror` that
//! chrony or ntpd maintain, growing at 500 ppm between updates; for gpsd: the receiver's
//! `ept` and the serial latency; for PTP: half the read window and the hardware clock's
//! stated accuracy).
//!
//! ## The messages
//!
//! Every frame is one JSON object with a `type` field. From the bridge:
//!
//! ```json
//! {"type":"hello","version":1,"bridge":"playground-bridge 0.1.0","source":"system","rate_hz":10}
//! {"type":"sample","seq":7,"source":"system","device":"adjtimex","synchronized":true,
//!  "earliest_ns":"1795651200123000000","latest_ns":"1795651200125000000",
//!  "read_system_ns":"1795651200124000000",
//!  "bound":[{"what":"kernel maxerror (chrony/ntpd)","below_ns":1000000,"above_ns":1000000}]}
//! {"type":"notice","message":"gpsd went away; falling back to the kernel clock"}
//! {"type":"error","message":"unknown message type \"subscrbe\""}
//! ```
//!
//! Instants are decimal strings because a Unix time in nanoseconds (about 1.8·10¹⁸) does not
//! fit in a JSON number that JavaScript reads exactly (2⁵³ ≈ 9·10¹⁵); the bound terms are
//! small and stay numbers. From the browser, the one message is
//! `{"type":"subscribe","rate_hz":N}`, which changes that client's rate within the bridge's
//! limit. Anything else gets an `error` frame back and the stream goes on.
//!
//! ## Between samples
//!
//! The browser receives a sample at a local monotonic instant and must say what the interval
//! is a little later. [`LiveInterval::at`] advances both ends by the local elapsed time and
//! widens them by a drift bound ([`DRIFT_BOUND_PPM`], the kernel's own worst-case rate
//! error), so the interval stays honest until the next sample replaces it; after
//! [`STALE_AFTER_NS`] without a sample the browser treats the bridge as gone and falls back to
//! the simulated model.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::labs::clocks::physical::{commit_wait_remaining, TimeSource, TtInterval};

/// The protocol version in `hello`.
pub const PROTOCOL_VERSION: u32 = 1;
/// The port the bridge listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7374;
/// The worst rate error assumed for a clock between two readings, in parts per million
/// (Linux's `MAXFREQ`, the rate at which the kernel grows `maxerror`).
pub const DRIFT_BOUND_PPM: i64 = 500;
/// After this long without a sample, a live interval is stale.
pub const STALE_AFTER_NS: i64 = 3_000_000_000;

/// A Unix-epoch instant in nanoseconds, written as a decimal string in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EpochNanos(pub i64);

impl Serialize for EpochNanos {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EpochNanos {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = EpochNanos;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("Unix-epoch nanoseconds as a decimal string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<EpochNanos, E> {
                text.parse().map(EpochNanos).map_err(|_| E::custom("not a decimal count of nanoseconds"))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<EpochNanos, E> {
                Ok(EpochNanos(value))
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<EpochNanos, E> {
                i64::try_from(value).map(EpochNanos).map_err(|_| E::custom("instant out of range"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Where a sample's time came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A PTP hardware clock (`/dev/ptpN`).
    Ptp,
    /// A GPS receiver through gpsd.
    Gpsd,
    /// The kernel clock as disciplined by chrony or ntpd (adjtimex).
    System,
}

impl SourceKind {
    pub const ALL: [SourceKind; 3] = [SourceKind::Ptp, SourceKind::Gpsd, SourceKind::System];

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Ptp => "ptp",
            SourceKind::Gpsd => "gpsd",
            SourceKind::System => "system",
        }
    }

    pub fn parse(text: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|kind| kind.name() == text)
    }
}

/// One term of an uncertainty bound: how far below and above the reading the truth may be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundTerm {
    pub what: String,
    pub below_ns: u64,
    pub above_ns: u64,
}

/// A TrueTime-style reading of a real clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardwareSample {
    pub seq: u64,
    pub source: SourceKind,
    /// Which device or service, e.g. `/dev/ptp0`, `127.0.0.1:2947`, `adjtimex`.
    pub device: String,
    /// Whether the source says it is synchronised to a reference.
    pub synchronized: bool,
    pub earliest_ns: EpochNanos,
    pub latest_ns: EpochNanos,
    /// The machine's system clock (`CLOCK_REALTIME`) when the reading was taken. A browser
    /// on the same machine compares it with its own `Date.now()` to learn how old the sample
    /// is when it arrives.
    pub read_system_ns: EpochNanos,
    /// What the bound is made of; the terms add up to the interval's extent around the reading.
    pub bound: Vec<BoundTerm>,
}

impl HardwareSample {
    /// A sample from a reading and the terms of its bound.
    pub fn from_reading(
        seq: u64,
        source: SourceKind,
        device: String,
        synchronized: bool,
        (reading_ns, read_system_ns): (i64, i64),
        bound: Vec<BoundTerm>,
    ) -> HardwareSample {
        let below = bound.iter().fold(0u64, |sum, term| sum.saturating_add(term.below_ns));
        let above = bound.iter().fold(0u64, |sum, term| sum.saturating_add(term.above_ns));
        HardwareSample {
            seq,
            source,
            device,
            synchronized,
            earliest_ns: EpochNanos(reading_ns.saturating_sub(clamp(below))),
            latest_ns: EpochNanos(reading_ns.saturating_add(clamp(above))),
            read_system_ns: EpochNanos(read_system_ns),
            bound,
        }
    }

    pub fn interval(&self) -> TtInterval {
        TtInterval { earliest: self.earliest_ns.0, latest: self.latest_ns.0 }
    }

    /// Half the interval's width: TrueTime's ε.
    pub fn epsilon_ns(&self) -> i64 {
        self.interval().epsilon()
    }
}

fn clamp(ns: u64) -> i64 {
    i64::try_from(ns).unwrap_or(i64::MAX)
}

/// The first frame on every connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub version: u32,
    pub bridge: String,
    pub source: SourceKind,
    pub rate_hz: u32,
}

/// A sentence from the bridge: a notice (a source handed over, a rate changed) or an error
/// (a client frame it could not take).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Said {
    pub message: String,
}

/// A frame from the bridge. Each variant wraps a struct, so a reader that has already looked
/// at `type` (the browser does, to keep its bundle small) can read the struct alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BridgeMessage {
    Hello(Hello),
    Sample(HardwareSample),
    Notice(Said),
    Error(Said),
}

impl BridgeMessage {
    /// A notice or an error with this text.
    pub fn notice(message: String) -> BridgeMessage {
        BridgeMessage::Notice(Said { message })
    }
    pub fn error(message: String) -> BridgeMessage {
        BridgeMessage::Error(Said { message })
    }
}

/// A frame from the browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    Subscribe { rate_hz: u32 },
}

/// The last sample, extrapolated forward on the browser's monotonic clock.
///
/// The sample was read some time before it arrived. The browser measures that age with its
/// wall clock (the same system clock the bridge stamped `read_system_ns` with, read at
/// millisecond resolution), so the elapsed time since the reading lies within
/// `age ± resolution`, and the interval stays honest if both ends use the worse side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveInterval {
    pub sample: HardwareSample,
    /// The local monotonic instant the sample arrived.
    pub received_ns: i64,
    /// How old the sample was when it arrived, by the wall clock (never negative).
    pub age_ns: i64,
    /// The resolution of that wall-clock comparison.
    pub resolution_ns: i64,
}

impl LiveInterval {
    /// A sample arriving at monotonic `now_ns` when the wall clock reads `wall_ns`.
    pub fn arrived(sample: HardwareSample, now_ns: i64, wall_ns: i64, resolution_ns: i64) -> LiveInterval {
        let age_ns = wall_ns.saturating_sub(sample.read_system_ns.0).clamp(0, STALE_AFTER_NS);
        LiveInterval { sample, received_ns: now_ns, age_ns, resolution_ns }
    }

    /// The interval at local monotonic instant `now_ns`: both ends advance by the time since
    /// the reading (the least it can be for `earliest`, the most for `latest`) and widen by
    /// [`DRIFT_BOUND_PPM`] of it.
    pub fn at(&self, now_ns: i64) -> TtInterval {
        let since_arrival = now_ns.saturating_sub(self.received_ns).clamp(0, i64::MAX / 4);
        let least = since_arrival + (self.age_ns - self.resolution_ns).max(0);
        let most = since_arrival + self.age_ns + self.resolution_ns;
        let widen = |elapsed: i64| elapsed.saturating_mul(DRIFT_BOUND_PPM) / 1_000_000;
        TtInterval {
            earliest: self.sample.earliest_ns.0.saturating_add(least - widen(least)),
            latest: self.sample.latest_ns.0.saturating_add(most + widen(most)),
        }
    }

    pub fn is_stale(&self, now_ns: i64) -> bool {
        now_ns.saturating_sub(self.received_ns) > STALE_AFTER_NS
    }

    /// A [`TimeSource`] view of this interval at `now_ns`, `None` once stale.
    pub fn source_at(&self, now_ns: i64) -> LiveSource<'_> {
        LiveSource { live: self, now_ns }
    }
}

/// A [`LiveInterval`] read at one instant.
pub struct LiveSource<'a> {
    live: &'a LiveInterval,
    now_ns: i64,
}

impl TimeSource for LiveSource<'_> {
    fn describe(&self) -> String {
        alloc::format!("hardware: {} ({})", self.live.sample.source.name(), self.live.sample.device)
    }
    fn interval(&mut self) -> Option<TtInterval> {
        (!self.live.is_stale(self.now_ns)).then(|| self.live.at(self.now_ns))
    }
}

/// Spanner's commit-wait against a real clock: the timestamp is `TT.now().latest` when the
/// commit starts, and the commit may be acknowledged once `TT.after(s)` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitWait {
    /// The commit timestamp `s`, Unix-epoch nanoseconds.
    pub timestamp: i64,
    /// The local monotonic instant the commit started.
    pub started_ns: i64,
    /// The local monotonic instant `TT.after(s)` first held.
    pub finished_ns: Option<i64>,
    /// ε when the commit started.
    pub epsilon_ns: i64,
}

impl CommitWait {
    pub fn start(tt: TtInterval, now_ns: i64) -> CommitWait {
        CommitWait { timestamp: tt.latest, started_ns: now_ns, finished_ns: None, epsilon_ns: tt.epsilon() }
    }

    /// Looks at the interval at `now_ns`; returns the wait still left, or `None` once done.
    pub fn advance(&mut self, tt: TtInterval, now_ns: i64) -> Option<i64> {
        if self.finished_ns.is_some() {
            return None;
        }
        let left = commit_wait_remaining(tt, self.timestamp);
        if left.is_none() {
            self.finished_ns = Some(now_ns);
        }
        left
    }

    /// How long the wait took, once finished.
    pub fn waited_ns(&self) -> Option<i64> {
        self.finished_ns.map(|end| end.saturating_sub(self.started_ns))
    }
}

/// A span of nanoseconds for people: `850 ns`, `12.3 µs`, `4.56 ms`, `16.000 s`.
pub fn format_span_ns(ns: i64) -> String {
    let size = ns.unsigned_abs();
    let sign = if ns < 0 { "−" } else { "" };
    match size {
        0..=999 => alloc::format!("{sign}{size} ns"),
        1_000..=999_999 => alloc::format!("{sign}{:.1} µs", size as f64 / 1e3),
        1_000_000..=999_999_999 => alloc::format!("{sign}{:.2} ms", size as f64 / 1e6),
        _ => alloc::format!("{sign}{:.3} s", size as f64 / 1e9),
    }
}

/// The UTC time of day of a Unix-epoch instant, to the microsecond: `22:10:03.123456`.
pub fn format_time_of_day_ns(ns: i64) -> String {
    let micros = ns.div_euclid(1_000);
    let of_day = micros.rem_euclid(86_400_000_000);
    let seconds = of_day / 1_000_000;
    alloc::format!("{:02}:{:02}:{:02}.{:06}", seconds / 3_600, seconds / 60 % 60, seconds % 60, of_day % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn sample() -> HardwareSample {
        HardwareSample::from_reading(
            7,
            SourceKind::Gpsd,
            "127.0.0.1:2947".to_string(),
            true,
            (1_795_651_200_000_000_000, 1_795_651_100_000_000_000),
            vec![
                BoundTerm { what: "ept".into(), below_ns: 5_000_000, above_ns: 5_000_000 },
                BoundTerm { what: "serial latency".into(), below_ns: 0, above_ns: 500_000_000 },
            ],
        )
    }

    #[test]
    fn terms_add_up_to_an_asymmetric_interval() {
        let s = sample();
        assert_eq!(s.earliest_ns.0, 1_795_651_199_995_000_000);
        assert_eq!(s.latest_ns.0, 1_795_651_200_505_000_000);
        assert_eq!(s.epsilon_ns(), 255_000_000);
    }

    #[test]
    fn spans_and_times_of_day_read_well() {
        assert_eq!(format_span_ns(850), "850 ns");
        assert_eq!(format_span_ns(12_345), "12.3 µs");
        assert_eq!(format_span_ns(-4_560_000), "−4.56 ms");
        assert_eq!(format_span_ns(16_000_000_000), "16.000 s");
        assert_eq!(format_time_of_day_ns(1_795_644_603_123_456_789), "22:10:03.123456");
    }

    #[test]
    fn instants_travel_as_exact_strings() {
        let json = serde_json::to_string(&BridgeMessage::Sample(sample())).unwrap();
        assert!(json.starts_with(r#"{"type":"sample","seq":7,"source":"gpsd""#), "{json}");
        assert!(json.contains(r#""earliest_ns":"1795651199995000000""#), "{json}");
        let back: BridgeMessage = serde_json::from_str(&json).unwrap();
        assert_eq!(back, BridgeMessage::Sample(sample()));
    }

    #[test]
    fn client_messages_parse_and_reject() {
        let ok: ClientMessage = serde_json::from_str(r#"{"type":"subscribe","rate_hz":4}"#).unwrap();
        assert_eq!(ok, ClientMessage::Subscribe { rate_hz: 4 });
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"subscrbe"}"#).is_err());
        assert!(serde_json::from_str::<BridgeMessage>(r#"{"type":"sample","earliest_ns":"x"}"#).is_err());
        let notice = serde_json::to_string(&BridgeMessage::notice("hi".into())).unwrap();
        assert_eq!(notice, r#"{"type":"notice","message":"hi"}"#);
    }

    #[test]
    fn live_interval_advances_and_widens_then_goes_stale() {
        let live = LiveInterval { sample: sample(), received_ns: 1_000, age_ns: 0, resolution_ns: 0 };
        let later = live.at(1_000 + 1_000_000_000);
        assert_eq!(later.earliest, live.sample.earliest_ns.0 + 1_000_000_000 - 500_000);
        assert_eq!(later.latest, live.sample.latest_ns.0 + 1_000_000_000 + 500_000);
        assert!(live.source_at(1_000 + STALE_AFTER_NS).interval().is_some());
        assert!(live.source_at(2_000 + STALE_AFTER_NS).interval().is_none());
        assert_eq!(live.source_at(0).describe(), "hardware: gpsd (127.0.0.1:2947)");
    }

    #[test]
    fn an_old_sample_is_aged_by_the_wall_clock_within_its_resolution() {
        let read_at = sample().read_system_ns.0;
        let live = LiveInterval::arrived(sample(), 50, read_at + 4_000_000, 1_000_000);
        assert_eq!(live.age_ns, 4_000_000);
        let tt = live.at(50);
        assert_eq!(tt.earliest, sample().earliest_ns.0 + 3_000_000 - 1_500);
        assert_eq!(tt.latest, sample().latest_ns.0 + 5_000_000 + 2_500);
        let from_the_future = LiveInterval::arrived(sample(), 50, read_at - 9, 1_000_000);
        assert_eq!(from_the_future.age_ns, 0, "a wall clock behind the reading never ages it backwards");
    }

    #[test]
    fn extreme_frames_saturate_instead_of_overflowing() {
        let mut wild = sample();
        wild.earliest_ns = EpochNanos(i64::MIN);
        wild.latest_ns = EpochNanos(i64::MAX);
        wild.read_system_ns = EpochNanos(i64::MIN);
        assert_eq!(wild.epsilon_ns(), i64::MAX / 2);
        let live = LiveInterval::arrived(wild, i64::MIN, i64::MAX, 1_000_000);
        let tt = live.at(i64::MAX);
        assert!(tt.earliest <= tt.latest);
        let mut wait = CommitWait::start(tt, i64::MIN);
        assert!(wait.advance(tt, i64::MAX).is_some());
        assert_eq!(wait.waited_ns(), None);
        let big = BoundTerm { what: "huge".into(), below_ns: u64::MAX, above_ns: u64::MAX };
        let s = HardwareSample::from_reading(1, SourceKind::Ptp, "x".into(), true, (0, 0), vec![big.clone(), big]);
        assert_eq!((s.earliest_ns.0, s.latest_ns.0), (-i64::MAX, i64::MAX));
    }

    #[test]
    fn commit_wait_lasts_until_earliest_passes_the_timestamp() {
        let live = LiveInterval { sample: sample(), received_ns: 0, age_ns: 0, resolution_ns: 0 };
        let mut wait = CommitWait::start(live.at(0), 0);
        assert_eq!(wait.timestamp, live.sample.latest_ns.0);
        // The interval is 510 ms wide, so earliest passes s after about 510 ms (a little
        // less, since the drift bound widens the interval as it goes).
        assert!(wait.advance(live.at(500_000_000), 500_000_000).is_some());
        assert_eq!(wait.advance(live.at(520_000_000), 520_000_000), None);
        assert_eq!(wait.waited_ns(), Some(520_000_000));
        assert_eq!(wait.advance(live.at(900_000_000), 900_000_000), None, "stays finished");
    }
}
