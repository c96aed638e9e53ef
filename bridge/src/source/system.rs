//! The kernel clock and its discipline state, read with `adjtimex(2)`.
//!
//! chrony or ntpd steer the kernel clock and tell the kernel how good it is (RFC 5905's
//! clock discipline, as in Mills' "Computer Network Time Synchronization"): `maxerror` is
//! the maximum error in microseconds, which the daemon sets from its root distance and the
//! kernel grows by 500 ppm every second until the next update; `esterror` is the estimated
//! (one-sigma) error; the status word carries `STA_UNSYNC` while no daemon vouches for the
//! clock, and then `maxerror` sits at its cap of 16 s. The interval is the reading ± maxerror,
//! which is exactly what the kernel promises, no more: on a machine with no time daemon it is
//! honest and 32 seconds wide.

use super::{term, ClockSource, Reading};
use playground_core::hardware_time::SourceKind;

const STA_UNSYNC: i32 = 0x0040;
const STA_NANO: i32 = 0x2000;
const TIME_ERROR: i32 = 5;

/// What `adjtimex` reported, as plain numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelClock {
    /// The return value: TIME_OK, TIME_INS, …, TIME_ERROR.
    pub state: i32,
    pub status: i32,
    pub maxerror_us: i64,
    pub esterror_us: i64,
    /// The clock's reading, Unix-epoch nanoseconds.
    pub time_ns: i64,
}

impl KernelClock {
    /// Reads the kernel clock and its discipline state without changing anything.
    pub fn read() -> Result<KernelClock, String> {
        // SAFETY: an all-zero timex is valid input; `modes = 0` asks only to read.
        let mut timex: libc::timex = unsafe { std::mem::zeroed() };
        // SAFETY: `timex` is a valid, writable struct for the duration of the call.
        let state = unsafe { libc::adjtimex(&mut timex) };
        if state < 0 {
            return Err(format!("adjtimex failed: {}", std::io::Error::last_os_error()));
        }
        let fraction = timex.time.tv_usec;
        let fraction_ns = if timex.status & STA_NANO != 0 { fraction } else { fraction * 1_000 };
        Ok(KernelClock {
            state,
            status: timex.status,
            maxerror_us: timex.maxerror,
            esterror_us: timex.esterror,
            time_ns: timex.time.tv_sec * 1_000_000_000 + fraction_ns,
        })
    }

    pub fn synchronized(&self) -> bool {
        self.status & STA_UNSYNC == 0 && self.state != TIME_ERROR
    }

    /// The reading and its bound.
    pub fn reading(&self) -> Reading {
        let maxerror_ns = self.maxerror_us.max(0) as u64 * 1_000;
        let what = if self.synchronized() {
            format!("kernel maxerror from chrony/ntpd (esterror {} µs)", self.esterror_us)
        } else {
            "kernel maxerror: unsynchronized, no time daemon vouches for the clock".to_string()
        };
        let mut bound = vec![term(what, maxerror_ns)];
        if self.status & STA_NANO == 0 {
            bound.push(term("reading resolution (µs)", 1_000));
        }
        Reading {
            reading_ns: self.time_ns,
            read_system_ns: self.time_ns,
            synchronized: self.synchronized(),
            device: "adjtimex".into(),
            bound,
        }
    }
}

/// The kernel clock as a source. Always present on Linux.
pub struct SystemSource;

impl ClockSource for SystemSource {
    fn kind(&self) -> SourceKind {
        SourceKind::System
    }
    fn read(&mut self) -> Result<Reading, String> {
        KernelClock::read().map(|clock| clock.reading())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disciplined_clock_is_bounded_by_maxerror() {
        let clock =
            KernelClock { state: 0, status: STA_NANO, maxerror_us: 1_500, esterror_us: 40, time_ns: 5_000_000_000 };
        let reading = clock.reading();
        assert!(reading.synchronized);
        assert_eq!(reading.bound.len(), 1);
        assert_eq!(reading.bound[0].below_ns, 1_500_000);
        assert!(reading.bound[0].what.contains("esterror 40 µs"));
    }

    #[test]
    fn an_unsynchronized_clock_says_so_and_keeps_the_16_second_cap() {
        let clock = KernelClock {
            state: TIME_ERROR,
            status: STA_UNSYNC,
            maxerror_us: 16_000_000,
            esterror_us: 16_000_000,
            time_ns: 5_000_000_000,
        };
        let reading = clock.reading();
        assert!(!reading.synchronized);
        assert_eq!(reading.bound[0].above_ns, 16_000_000_000);
        assert!(reading.bound[0].what.contains("unsynchronized"));
        assert_eq!(reading.bound[1].above_ns, 1_000, "microsecond readings add their resolution");
    }

    #[test]
    fn this_machine_has_a_kernel_clock_near_the_system_clock() {
        let before = super::super::system_now_ns();
        let clock = KernelClock::read().expect("adjtimex works on Linux");
        let after = super::super::system_now_ns();
        assert!(before - 1_000 <= clock.time_ns && clock.time_ns <= after + 1_000, "{before} {clock:?} {after}");
        assert!(clock.maxerror_us > 0, "{clock:?}");
    }
}
