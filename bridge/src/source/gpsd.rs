//! Time from a GPS receiver through gpsd's JSON protocol.
//!
//! The bridge connects to gpsd (127.0.0.1:2947 by default), sends
//! `?WATCH={"enable":true,"json":true,"pps":true}` and reads one JSON object per line
//! (gpsd's protocol, `gpsd_json(5)`):
//!
//! - `TPV`: a fix, with `time` (UTC) and `ept`, the receiver's estimated time error in
//!   seconds;
//! - `TOFF`: the fix's GPS time (`real_*`) beside the system clock (`clock_*`) when gpsd
//!   received the first sentence of that fix over the serial line;
//! - `PPS`: the same pair for a pulse-per-second edge, with `precision` as a power of two
//!   of seconds.
//!
//! A pair gives the offset of GPS time from the system clock. For PPS the edge is the second
//! boundary to within 2^precision s. For serial time the sentence leaves the receiver some
//! time *after* the fix it describes, so the true offset is larger than the measured one by
//! between zero and the serial latency (`--gpsd-latency-ms`, 500 ms by default, the usual
//! worst case for NMEA at 4800 baud): the interval is lopsided, wider above than below.
//! Between reports the offset is carried on the system clock, widened by 500 ppm of the age.
//! A report older than [`FRESH_FOR_NS`] is not used.

use super::{system_now_ns, term, ClockSource, Reading};
use playground_core::hardware_time::{BoundTerm, SourceKind, DRIFT_BOUND_PPM};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long a PPS or serial-time report stays usable.
pub const FRESH_FOR_NS: i64 = 3_000_000_000;
/// gpsd's default address.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:2947";
const WATCH: &[u8] = b"?WATCH={\"enable\":true,\"json\":true,\"pps\":true};\n";

/// The offset of GPS time from the system clock, as of one report.
#[derive(Clone, Debug, PartialEq)]
pub struct Offset {
    /// GPS time minus system time, nanoseconds, as measured.
    pub offset_ns: i64,
    /// The system clock at the measurement.
    pub at_system_ns: i64,
    /// Terms of the bound at the moment of measurement.
    pub bound: Vec<BoundTerm>,
}

/// What gpsd has told us so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GpsState {
    pub pps: Option<Offset>,
    pub serial: Option<Offset>,
    /// The last fix's `ept`, seconds, and its mode (2 = 2D, 3 = 3D).
    pub ept_s: Option<f64>,
    pub mode: u8,
    pub saw_toff: bool,
}

impl GpsState {
    /// Takes one line of gpsd output received when the system clock read `received_ns`.
    /// Returns an error for a line that is not a JSON object; unknown classes are ignored.
    pub fn take_line(&mut self, line: &str, received_ns: i64, serial_latency_ns: u64) -> Result<(), String> {
        let value: Value = serde_json::from_str(line).map_err(|error| format!("not JSON from gpsd: {error}"))?;
        let class = value.get("class").and_then(Value::as_str).ok_or("a gpsd line without a class")?;
        match class {
            "TPV" => self.take_fix(&value, received_ns, serial_latency_ns),
            "TOFF" => {
                if let Some((real, clock)) = pair(&value) {
                    self.saw_toff = true;
                    self.serial = Some(self.serial_offset(real.saturating_sub(clock), clock, serial_latency_ns));
                }
            }
            "PPS" => {
                if let Some((real, clock)) = pair(&value) {
                    let precision = value.get("precision").and_then(Value::as_i64).unwrap_or(-1).clamp(-40, 10);
                    let edge_ns = (2f64.powi(precision as i32) * 1e9).ceil() as u64;
                    let bound = vec![term(format!("PPS edge (precision 2^{precision} s)"), edge_ns)];
                    self.pps = Some(Offset { offset_ns: real.saturating_sub(clock), at_system_ns: clock, bound });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn take_fix(&mut self, value: &Value, received_ns: i64, serial_latency_ns: u64) {
        self.mode = value.get("mode").and_then(Value::as_u64).unwrap_or(0) as u8;
        if let Some(ept) = value.get("ept").and_then(Value::as_f64) {
            self.ept_s = Some(ept);
        }
        // Without TOFF (older gpsd), the fix time against our own receipt time is the
        // serial measurement, with gpsd's processing folded into the latency.
        if !self.saw_toff {
            if let Some(time) = value.get("time").and_then(Value::as_str).and_then(parse_utc) {
                self.serial =
                    Some(self.serial_offset(time.saturating_sub(received_ns), received_ns, serial_latency_ns));
            }
        }
    }

    fn serial_offset(&self, offset_ns: i64, at_system_ns: i64, serial_latency_ns: u64) -> Offset {
        let latency =
            BoundTerm { what: "serial latency after the fix".into(), below_ns: 0, above_ns: serial_latency_ns };
        Offset { offset_ns, at_system_ns, bound: vec![latency] }
    }

    /// The receiver's time error from the latest fix, or a second when it gives none.
    fn ept_term(&self) -> BoundTerm {
        match self.ept_s {
            Some(ept) => term("receiver time error (ept)", (ept.max(0.0) * 1e9).ceil() as u64),
            None => term("receiver time error (no ept: 1 s)", 1_000_000_000),
        }
    }

    /// A reading at system time `now_ns` from the freshest usable report, PPS first.
    pub fn reading(&self, now_ns: i64, device: &str) -> Result<Reading, String> {
        if self.mode < 2 && self.pps.is_none() {
            return Err(format!("gpsd at {device} has no fix yet"));
        }
        let fresh = |offset: &&Offset| (0..=FRESH_FOR_NS).contains(&now_ns.saturating_sub(offset.at_system_ns));
        let (offset, what) = match (self.pps.as_ref().filter(fresh), self.serial.as_ref().filter(fresh)) {
            (Some(pps), _) => (pps, "PPS"),
            (None, Some(serial)) => (serial, "serial time"),
            (None, None) => return Err(format!("gpsd at {device} sent no time report in the last 3 s")),
        };
        let age = now_ns.saturating_sub(offset.at_system_ns) as u64; // within FRESH_FOR_NS
        let mut bound = offset.bound.clone();
        if what == "serial time" {
            bound.insert(0, self.ept_term());
        }
        bound.push(term("drift since the report (500 ppm)", age * DRIFT_BOUND_PPM as u64 / 1_000_000));
        Ok(Reading {
            reading_ns: now_ns.saturating_add(offset.offset_ns),
            read_system_ns: now_ns,
            synchronized: true,
            device: format!("{device} ({what})"),
            bound,
        })
    }
}

/// `real_sec`/`real_nsec` and `clock_sec`/`clock_nsec` as nanoseconds.
fn pair(value: &Value) -> Option<(i64, i64)> {
    let field = |name: &str| value.get(name).and_then(Value::as_i64);
    let real = field("real_sec")?.checked_mul(1_000_000_000)?.checked_add(field("real_nsec")?)?;
    let clock = field("clock_sec")?.checked_mul(1_000_000_000)?.checked_add(field("clock_nsec")?)?;
    Some((real, clock))
}

/// Parses gpsd's ISO 8601 UTC time, `2026-11-25T12:00:04.000Z`, to Unix-epoch nanoseconds.
pub fn parse_utc(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (date_parts.next()??, date_parts.next()??, date_parts.next()??);
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut time_parts = hms.splitn(3, ':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (time_parts.next()??, time_parts.next()??, time_parts.next()??);
    // Unix-epoch nanoseconds in an i64 reach 2262.
    let plausible = (1970..=2200).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day);
    if !plausible || !(0..=23).contains(&hour) || !(0..=59).contains(&minute) || !(0..=60).contains(&second) {
        return None;
    }
    if fraction.len() > 9 || !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let nanos = format!("{fraction:0<9}").parse::<i64>().ok()?;
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + hour * 3_600 + minute * 60 + second) * 1_000_000_000) + nanos)
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// gpsd as a source: a task keeps a connection (reconnecting when it drops) and the
/// source reads the state it maintains.
pub struct GpsdSource {
    address: String,
    state: Arc<Mutex<Option<GpsState>>>,
}

impl GpsdSource {
    /// Starts the connection task on the current tokio runtime.
    pub fn spawn(address: String, serial_latency_ns: u64) -> GpsdSource {
        let state = Arc::new(Mutex::new(None));
        tokio::spawn(keep_connected(address.clone(), serial_latency_ns, state.clone()));
        GpsdSource { address, state }
    }

    /// Whether gpsd answered with a fix within `wait`; says at once when nothing listens.
    pub async fn wait_for_fix(&mut self, wait: Duration) -> Result<(), String> {
        let probe = tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(&self.address)).await;
        if !matches!(probe, Ok(Ok(_))) {
            return Err(format!("gpsd is not running at {} (nothing answers there)", self.address));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let result = self.read().map(|_| ());
            if result.is_ok() || tokio::time::Instant::now() >= deadline {
                return result;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl ClockSource for GpsdSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Gpsd
    }
    fn read(&mut self) -> Result<Reading, String> {
        let state = self.state.lock().map_err(|_| "gpsd state poisoned".to_string())?;
        match state.as_ref() {
            None => Err(format!("gpsd is not running at {} (nothing answers there)", self.address)),
            Some(gps) => gps.reading(system_now_ns(), &self.address),
        }
    }
}

async fn keep_connected(address: String, serial_latency_ns: u64, state: Arc<Mutex<Option<GpsState>>>) {
    let mut said_missing = false;
    loop {
        match watch(&address, serial_latency_ns, &state).await {
            Ok(()) => tracing::warn!("gpsd at {address} closed the connection; reconnecting"),
            Err(error) if !said_missing => {
                tracing::warn!("gpsd: {error}; will keep trying every 2 s");
                said_missing = true;
            }
            Err(error) => tracing::debug!("gpsd: {error}"),
        }
        if let Ok(mut shared) = state.lock() {
            *shared = None;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn watch(address: &str, serial_latency_ns: u64, state: &Mutex<Option<GpsState>>) -> Result<(), String> {
    let connect = tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(address));
    let mut stream = match connect.await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => return Err(format!("gpsd is not running at {address} ({error})")),
        Err(_) => return Err(format!("gpsd at {address} did not accept a connection within 1 s")),
    };
    stream.write_all(WATCH).await.map_err(|error| format!("writing to gpsd: {error}"))?;
    tracing::info!("connected to gpsd at {address}");
    if let Ok(mut shared) = state.lock() {
        *shared = Some(GpsState::default());
    }
    let mut lines = BufReader::new(stream).lines();
    while let Some(line) = lines.next_line().await.map_err(|error| format!("reading from gpsd: {error}"))? {
        let received = system_now_ns();
        let mut shared = state.lock().map_err(|_| "gpsd state poisoned".to_string())?;
        if let Some(gps) = shared.as_mut() {
            if let Err(error) = gps.take_line(&line, received, serial_latency_ns) {
                tracing::debug!("{error}: {line}");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LATENCY: u64 = 500_000_000;
    const NOON: i64 = 1_795_608_000_000_000_000; // 2026-11-25T12:00:00Z

    #[test]
    fn utc_times_parse_exactly() {
        assert_eq!(parse_utc("2026-11-25T12:00:00.000Z"), Some(NOON));
        assert_eq!(parse_utc("2026-11-25T12:00:04.25Z"), Some(NOON + 4_250_000_000));
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2000-02-29T00:00:00Z"), Some(951_782_400_000_000_000));
        for bad in [
            "99999999999999999-01-01T00:00:00Z",
            "2026-11-25T-1:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-25 12:00:00Z",
            "2026-11-25T12:00:00",
            "x",
            "2026-11-25T12:0a:00Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn serial_time_is_lopsided_by_the_latency() {
        let mut gps = GpsState::default();
        let clock = NOON + 36_000_000_000_000;
        gps.take_line(r#"{"class":"TPV","mode":3,"time":"2026-11-25T12:00:04.000Z","ept":0.005}"#, clock, LATENCY)
            .unwrap();
        let toff = format!(
            r#"{{"class":"TOFF","real_sec":1795608004,"real_nsec":0,"clock_sec":{},"clock_nsec":250000000}}"#,
            clock / 1_000_000_000
        );
        gps.take_line(&toff, clock, LATENCY).unwrap();
        let reading = gps.reading(clock + 250_000_000 + 1_000_000_000, "gpsd").unwrap();
        assert_eq!(reading.reading_ns, NOON + 5_000_000_000, "one second after the fix, by the system clock");
        assert_eq!(reading.bound[0].below_ns, 5_000_000);
        assert_eq!((reading.bound[1].below_ns, reading.bound[1].above_ns), (0, LATENCY));
        assert_eq!(reading.bound[2].above_ns, 500_000, "1 s at 500 ppm");
        assert!(reading.device.contains("serial time"));
    }

    #[test]
    fn pps_wins_while_fresh_then_reports_go_stale() {
        let mut gps = GpsState::default();
        gps.take_line(r#"{"class":"TPV","mode":3,"time":"2026-11-25T12:00:04.000Z","ept":0.005}"#, NOON, LATENCY)
            .unwrap();
        gps.take_line(
            r#"{"class":"PPS","real_sec":1795608005,"real_nsec":0,"clock_sec":1795608005,"clock_nsec":120,"precision":-20}"#,
            NOON,
            LATENCY,
        )
        .unwrap();
        let edge = NOON + 5_000_000_120;
        let reading = gps.reading(edge, "gpsd").unwrap();
        assert_eq!(reading.reading_ns, NOON + 5_000_000_000);
        assert_eq!(reading.bound[0].above_ns, 954, "2^-20 s");
        assert!(reading.device.contains("PPS"));
        let stale = gps.reading(edge + FRESH_FOR_NS + 1, "gpsd").unwrap_err();
        assert!(stale.contains("no time report"), "{stale}");
    }

    #[test]
    fn without_toff_the_fix_time_is_measured_against_receipt() {
        let mut gps = GpsState::default();
        let received = NOON + 300_000_000;
        gps.take_line(r#"{"class":"TPV","mode":2,"time":"2026-11-25T12:00:00.000Z"}"#, received, LATENCY).unwrap();
        let reading = gps.reading(received, "gpsd").unwrap();
        assert_eq!(reading.reading_ns, NOON);
        assert!(reading.bound[0].what.contains("no ept"));
    }

    #[test]
    fn no_fix_and_garbage_are_reported_not_panicked_on() {
        let mut gps = GpsState::default();
        assert!(gps.take_line("not json", 0, LATENCY).is_err());
        assert!(gps.take_line("[1,2]", 0, LATENCY).is_err());
        gps.take_line(r#"{"class":"TPV","mode":1}"#, 0, LATENCY).unwrap();
        gps.take_line(r#"{"class":"TOFF","real_sec":"x"}"#, 0, LATENCY).unwrap();
        gps.take_line(r#"{"class":"SKY","satellites":[]}"#, 0, LATENCY).unwrap();
        assert!(gps.reading(0, "gpsd").unwrap_err().contains("no fix"));
    }

    /// Real gpsd lines, cut short and with bytes changed at random: whatever arrives is
    /// taken or refused, and a reading is a reading or a reason, never a panic.
    #[test]
    fn mangled_gpsd_output_never_panics() {
        let lines = [
            r#"{"class":"TPV","device":"/dev/pts/1","mode":3,"time":"2026-11-25T12:00:04.000Z","ept":0.005,"lat":48.1173}"#,
            r#"{"class":"TOFF","device":"/dev/pts/1","real_sec":1795608004, "real_nsec":0,"clock_sec":1795643920,"clock_nsec":226637481}"#,
            r#"{"class":"PPS","real_sec":1795608005,"real_nsec":0,"clock_sec":1795608005,"clock_nsec":120,"precision":-20}"#,
            r#"{"class":"TOFF","real_sec":9223372036,"real_nsec":999999999,"clock_sec":-9223372036,"clock_nsec":0}"#,
            r#"{"class":"TPV","mode":3,"ept":1e300,"time":"9999-12-31T23:59:60.999999999Z"}"#,
        ];
        let mut rng = playground_core::rng::Rng::seeded(6);
        let mut gps = GpsState::default();
        let mut readings = 0;
        for _ in 0..20_000 {
            let mut bytes = lines[rng.below(lines.len() as u64) as usize].as_bytes().to_vec();
            for _ in 0..rng.below(4) {
                let at = rng.below(bytes.len() as u64) as usize;
                let alphabet = b"0123456789-.:,\"{}[]eZT x";
                bytes[at] = alphabet[rng.below(alphabet.len() as u64) as usize];
            }
            bytes.truncate(rng.between(1, bytes.len() as u64 + 1) as usize);
            let line = String::from_utf8_lossy(&bytes);
            // Mostly near the recorded clock, so readings happen; sometimes anywhere at all.
            let near = 1_795_643_920_000_000_000 + rng.below(2_000_000_000) as i64;
            let now = if rng.chance_ppm(900_000) { near } else { rng.next_u64() as i64 };
            let _ = gps.take_line(&line, now, LATENCY);
            if let Ok(reading) = gps.reading(now, "gpsd") {
                readings += 1;
                let sample = playground_core::hardware_time::HardwareSample::from_reading(
                    1,
                    SourceKind::Gpsd,
                    reading.device,
                    true,
                    (reading.reading_ns, reading.read_system_ns),
                    reading.bound,
                );
                assert!(sample.earliest_ns <= sample.latest_ns);
            }
        }
        assert!(readings > 1_000, "the reading path ran ({readings} times)");
    }
}
