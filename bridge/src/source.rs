//! Clock sources and the chain that falls from one to the next.
//!
//! A source turns "what time is it" into a reading with an uncertainty bound. The sampler
//! asks the sources in order (PTP, then gpsd, then the kernel clock) and takes the first that
//! answers, so a source that goes away mid-run (gpsd stopped, a device unplugged) hands over
//! to the next one on the very next sample, and takes over again when it comes back.

pub mod gpsd;
pub mod ptp;
pub mod system;

use playground_core::hardware_time::{BoundTerm, HardwareSample, SourceKind};

/// A reading of a real clock, with the terms of its bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    /// The source's best estimate of now, Unix-epoch nanoseconds.
    pub reading_ns: i64,
    /// The system clock when the reading was taken.
    pub read_system_ns: i64,
    pub synchronized: bool,
    pub device: String,
    pub bound: Vec<BoundTerm>,
}

/// A symmetric term of `ns` either side.
pub fn term(what: impl Into<String>, ns: u64) -> BoundTerm {
    BoundTerm { what: what.into(), below_ns: ns, above_ns: ns }
}

/// Something that reads a clock.
pub trait ClockSource: Send {
    fn kind(&self) -> SourceKind;
    /// A reading now, or why there is none (in words a person can act on).
    fn read(&mut self) -> Result<Reading, String>;
}

/// The system clock, `CLOCK_REALTIME`, in Unix-epoch nanoseconds.
pub fn system_now_ns() -> i64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec for the duration of the call.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    now.tv_sec * 1_000_000_000 + now.tv_nsec
}

/// The sources in order of preference, and which one answered last.
pub struct Sampler {
    chain: Vec<Box<dyn ClockSource>>,
    serving: Option<SourceKind>,
    seq: u64,
}

/// What changed when the sampler moved to another source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handover {
    pub from: Option<SourceKind>,
    pub to: SourceKind,
    /// Why the sources before `to` did not answer.
    pub reasons: Vec<String>,
}

impl Sampler {
    pub fn new(chain: Vec<Box<dyn ClockSource>>) -> Sampler {
        Sampler { chain, serving: None, seq: 0 }
    }

    /// A sample from the first source that answers, and a handover if that is not the one
    /// that answered last time. `Err` lists every source's reason when none answers.
    pub fn sample(&mut self) -> Result<(HardwareSample, Option<Handover>), Vec<String>> {
        let mut reasons = Vec::new();
        for source in &mut self.chain {
            match source.read() {
                Ok(reading) => {
                    let kind = source.kind();
                    let handover = (self.serving != Some(kind)).then(|| Handover {
                        from: self.serving,
                        to: kind,
                        reasons: reasons.clone(),
                    });
                    self.serving = Some(kind);
                    self.seq += 1;
                    let sample = HardwareSample::from_reading(
                        self.seq,
                        kind,
                        reading.device,
                        reading.synchronized,
                        (reading.reading_ns, reading.read_system_ns),
                        reading.bound,
                    );
                    return Ok((sample, handover));
                }
                Err(reason) => reasons.push(format!("{}: {reason}", source.kind().name())),
            }
        }
        self.serving = None;
        Err(reasons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    struct Switchable {
        kind: SourceKind,
        up: Arc<AtomicBool>,
    }

    impl ClockSource for Switchable {
        fn kind(&self) -> SourceKind {
            self.kind
        }
        fn read(&mut self) -> Result<Reading, String> {
            if !self.up.load(Ordering::SeqCst) {
                return Err("not running".into());
            }
            Ok(Reading {
                reading_ns: 1_000,
                read_system_ns: 1_000,
                synchronized: true,
                device: "test".into(),
                bound: vec![term("test", 10)],
            })
        }
    }

    #[test]
    fn falls_to_the_next_source_and_back() {
        let gps_up = Arc::new(AtomicBool::new(true));
        let mut sampler = Sampler::new(vec![
            Box::new(Switchable { kind: SourceKind::Gpsd, up: gps_up.clone() }),
            Box::new(Switchable { kind: SourceKind::System, up: Arc::new(AtomicBool::new(true)) }),
        ]);
        let (first, handover) = sampler.sample().unwrap();
        assert_eq!((first.source, first.seq), (SourceKind::Gpsd, 1));
        assert_eq!(handover.unwrap().from, None);
        assert_eq!(sampler.sample().unwrap().1, None, "no handover while the source answers");

        gps_up.store(false, Ordering::SeqCst);
        let (sample, handover) = sampler.sample().unwrap();
        assert_eq!(sample.source, SourceKind::System);
        let handover = handover.unwrap();
        assert_eq!((handover.from, handover.to), (Some(SourceKind::Gpsd), SourceKind::System));
        assert_eq!(handover.reasons, vec!["gpsd: not running".to_string()]);

        gps_up.store(true, Ordering::SeqCst);
        assert_eq!(sampler.sample().unwrap().1.unwrap().to, SourceKind::Gpsd);
        assert_eq!((sample.earliest_ns.0, sample.latest_ns.0), (990, 1_010));
    }
}
