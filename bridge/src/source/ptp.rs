//! Time from a PTP hardware clock (`/dev/ptpN`).
//!
//! A NIC with IEEE 1588 support has its own clock, which ptp4l disciplines to the network's
//! grandmaster. Linux exposes it as `/dev/ptpN` and offers two ways to read it against the
//! system clock (`Documentation/driver-api/ptp.rst`, `include/uapi/linux/ptp_clock.h`):
//!
//! - `PTP_SYS_OFFSET_PRECISE`: the hardware cross-timestamps the PHC and the system clock at
//!   one instant, so there is no read window at all;
//! - `PTP_SYS_OFFSET_EXTENDED`: n readings, each a (system before, PHC, system after) triple;
//!   the PHC was read somewhere inside the window, so the narrowest window gives the best
//!   correspondence, good to half its width.
//!
//! The PHC usually runs on TAI (ptp4l's default), so the bridge subtracts TAI − UTC
//! (`--ptp-tai-offset`, 37 s since 2017). How close the PHC is to the grandmaster is ptp4l's
//! business and not visible through the device, so it enters the bound as a stated term,
//! `--ptp-accuracy-ns` (1 µs by default, a typical ptp4l offset on a LAN).

use super::{term, ClockSource, Reading};
use playground_core::hardware_time::SourceKind;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

/// One `ptp_clock_time`: seconds and nanoseconds.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PtpTime {
    pub sec: i64,
    pub nsec: u32,
    pub reserved: u32,
}

impl PtpTime {
    pub fn ns(self) -> i64 {
        self.sec * 1_000_000_000 + i64::from(self.nsec)
    }
}

const MAX_SAMPLES: usize = 25;

#[repr(C)]
struct SysOffsetExtended {
    n_samples: u32,
    rsv: [u32; 3],
    ts: [[PtpTime; 3]; MAX_SAMPLES],
}

#[repr(C)]
struct SysOffsetPrecise {
    device: PtpTime,
    sys_realtime: PtpTime,
    sys_monoraw: PtpTime,
    rsv: [u32; 4],
}

/// `_IOWR('=', nr, size)` from `asm-generic/ioctl.h`.
const fn iowr(nr: u64, size: usize) -> u64 {
    (3 << 30) | ((size as u64) << 16) | ((b'=' as u64) << 8) | nr
}

pub const PTP_SYS_OFFSET_PRECISE: u64 = iowr(8, std::mem::size_of::<SysOffsetPrecise>());
pub const PTP_SYS_OFFSET_EXTENDED: u64 = iowr(9, std::mem::size_of::<SysOffsetExtended>());

/// A PTP hardware clock, real or recorded.
pub trait PtpDevice: Send {
    fn path(&self) -> String;
    /// A hardware cross-timestamp (PHC, system), if the driver has one.
    fn precise(&mut self) -> Option<(PtpTime, PtpTime)>;
    /// `n` (system before, PHC, system after) triples.
    fn extended(&mut self, n: usize) -> Result<Vec<[PtpTime; 3]>, String>;
}

/// `/dev/ptpN` through the kernel's ioctls.
pub struct KernelPtp {
    path: PathBuf,
    file: File,
}

impl KernelPtp {
    pub fn open(path: PathBuf) -> Result<KernelPtp, String> {
        match File::open(&path) {
            Ok(file) => Ok(KernelPtp { path, file }),
            Err(error) => Err(format!("no PTP hardware clock at {} ({error})", path.display())),
        }
    }

    /// The first `/dev/ptpN` that opens.
    pub fn find() -> Result<KernelPtp, String> {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/dev")
            .map_err(|error| format!("cannot list /dev: {error}"))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.file_name().and_then(|name| name.to_str()).is_some_and(|name| name.starts_with("ptp")))
            .collect();
        found.sort();
        let Some(first) = found.into_iter().next() else {
            return Err("no PTP hardware clock: /dev/ptp0 not found".into());
        };
        KernelPtp::open(first)
    }
}

impl PtpDevice for KernelPtp {
    fn path(&self) -> String {
        self.path.display().to_string()
    }

    fn precise(&mut self) -> Option<(PtpTime, PtpTime)> {
        // SAFETY: all-zero is a valid value of this plain-data struct.
        let mut request: SysOffsetPrecise = unsafe { std::mem::zeroed() };
        // SAFETY: the request has the size and layout the ioctl number encodes and lives
        // for the duration of the call.
        let result = unsafe { libc::ioctl(self.file.as_raw_fd(), PTP_SYS_OFFSET_PRECISE as _, &mut request) };
        (result == 0).then_some((request.device, request.sys_realtime))
    }

    fn extended(&mut self, n: usize) -> Result<Vec<[PtpTime; 3]>, String> {
        // SAFETY: all-zero is a valid value of this plain-data struct.
        let mut request: SysOffsetExtended = unsafe { std::mem::zeroed() };
        request.n_samples = n.clamp(1, MAX_SAMPLES) as u32;
        // SAFETY: as above.
        let result = unsafe { libc::ioctl(self.file.as_raw_fd(), PTP_SYS_OFFSET_EXTENDED as _, &mut request) };
        if result != 0 {
            return Err(format!("PTP_SYS_OFFSET_EXTENDED on {}: {}", self.path(), std::io::Error::last_os_error()));
        }
        Ok(request.ts[..request.n_samples as usize].to_vec())
    }
}

/// How the PHC's time scale and accuracy are to be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PtpSettings {
    /// TAI − UTC in seconds, subtracted from a PHC on TAI; 0 for a PHC on UTC.
    pub tai_offset_s: i64,
    /// The stated accuracy of the PHC against the grandmaster.
    pub accuracy_ns: u64,
}

impl Default for PtpSettings {
    fn default() -> Self {
        PtpSettings { tai_offset_s: 37, accuracy_ns: 1_000 }
    }
}

/// A PTP device as a source.
pub struct PtpSource<D: PtpDevice> {
    pub device: D,
    pub settings: PtpSettings,
}

impl<D: PtpDevice> PtpSource<D> {
    /// A reading from the device: a cross-timestamp if there is one, else the narrowest of
    /// several read windows.
    pub fn reading(&mut self) -> Result<Reading, String> {
        let utc = |phc: PtpTime| phc.ns() - self.settings.tai_offset_s * 1_000_000_000;
        let accuracy = term("PHC accuracy against the grandmaster (stated)", self.settings.accuracy_ns);
        let device = format!("{} (TAI − {} s)", self.device.path(), self.settings.tai_offset_s);
        if let Some((phc, system)) = self.device.precise() {
            return Ok(Reading {
                reading_ns: utc(phc),
                read_system_ns: system.ns(),
                synchronized: true,
                device,
                bound: vec![term("hardware cross-timestamp", 1), accuracy],
            });
        }
        let triples = self.device.extended(MAX_SAMPLES)?;
        let narrowest = triples
            .iter()
            .filter(|[before, _, after]| after.ns() >= before.ns())
            .min_by_key(|[before, _, after]| after.ns() - before.ns())
            .ok_or_else(|| format!("{} gave no usable read window", self.device.path()))?;
        let [before, phc, after] = *narrowest;
        let half_window = ((after.ns() - before.ns()) as u64).div_ceil(2);
        Ok(Reading {
            reading_ns: utc(phc),
            read_system_ns: before.ns() + (after.ns() - before.ns()) / 2,
            synchronized: true,
            device,
            bound: vec![term("half the narrowest of 25 read windows", half_window), accuracy],
        })
    }
}

impl<D: PtpDevice> ClockSource for PtpSource<D> {
    fn kind(&self) -> SourceKind {
        SourceKind::Ptp
    }
    fn read(&mut self) -> Result<Reading, String> {
        self.reading()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ns: i64) -> PtpTime {
        PtpTime { sec: ns.div_euclid(1_000_000_000), nsec: ns.rem_euclid(1_000_000_000) as u32, reserved: 0 }
    }

    /// A recorded device: fixed triples, and a cross-timestamp when it has one.
    struct Recorded {
        triples: Vec<[PtpTime; 3]>,
        precise: Option<(PtpTime, PtpTime)>,
    }

    impl PtpDevice for Recorded {
        fn path(&self) -> String {
            "/dev/ptp-recorded".into()
        }
        fn precise(&mut self) -> Option<(PtpTime, PtpTime)> {
            self.precise
        }
        fn extended(&mut self, n: usize) -> Result<Vec<[PtpTime; 3]>, String> {
            Ok(self.triples.iter().copied().take(n).collect())
        }
    }

    const T: i64 = 1_795_608_000_000_000_000;
    const TAI: i64 = 37_000_000_000;

    #[test]
    fn the_ioctl_numbers_match_the_kernel_headers() {
        assert_eq!(std::mem::size_of::<PtpTime>(), 16);
        assert_eq!(std::mem::size_of::<SysOffsetExtended>(), 1216);
        assert_eq!(PTP_SYS_OFFSET_EXTENDED, 0xC4C0_3D09);
        assert_eq!(PTP_SYS_OFFSET_PRECISE, 0xC040_3D08);
    }

    #[test]
    fn the_narrowest_window_wins() {
        let device = Recorded {
            triples: vec![
                [at(T), at(T + TAI + 900), at(T + 2_000)],
                [at(T + 10_000), at(T + TAI + 10_300), at(T + 10_600)],
                [at(T + 20_000), at(T + TAI + 20_000), at(T + 19_000)], // window runs backwards: skipped
            ],
            precise: None,
        };
        let mut source = PtpSource { device, settings: PtpSettings::default() };
        let reading = source.reading().unwrap();
        assert_eq!(reading.reading_ns, T + 10_300);
        assert_eq!(reading.read_system_ns, T + 10_300);
        assert_eq!(reading.bound[0].above_ns, 300);
        assert_eq!(reading.bound[1].above_ns, 1_000);
        assert!(reading.device.starts_with("/dev/ptp-recorded"));
    }

    #[test]
    fn a_cross_timestamp_has_no_window() {
        let device = Recorded { triples: vec![], precise: Some((at(T + TAI + 5), at(T))) };
        let mut source = PtpSource { device, settings: PtpSettings { tai_offset_s: 37, accuracy_ns: 50 } };
        let reading = source.reading().unwrap();
        assert_eq!((reading.reading_ns, reading.read_system_ns), (T + 5, T));
        assert_eq!(reading.bound.iter().map(|term| term.above_ns).sum::<u64>(), 51);
    }

    #[test]
    fn an_empty_device_is_an_error() {
        let mut source =
            PtpSource { device: Recorded { triples: vec![], precise: None }, settings: Default::default() };
        assert!(source.reading().unwrap_err().contains("no usable read window"));
    }

    #[test]
    fn a_missing_device_says_so() {
        let error = KernelPtp::open("/dev/ptp-does-not-exist".into()).err().unwrap();
        assert!(error.contains("no PTP hardware clock at /dev/ptp-does-not-exist"), "{error}");
    }
}
