//! The command line, parsed by hand into a [`Config`], with a sentence for every mistake.

use crate::origin::{parse_origin, OriginPolicy};
use crate::server::ServerSettings;
use crate::source::gpsd;
use crate::source::ptp::PtpSettings;
use playground_core::hardware_time::{SourceKind, DEFAULT_PORT};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

pub const HELP: &str = "\
playground-bridge: real clock hardware for the playground's TrueTime view

Reads the time with an uncertainty bound from a PTP hardware clock, gpsd or the kernel's
NTP state, and streams it as JSON over a WebSocket to the Clocks lab in the browser.

USAGE:
    playground-bridge [OPTIONS]

OPTIONS:
    --source auto|ptp|gpsd|system   where time comes from (default auto: ptp, then gpsd,
                                    then system; a missing source falls to the next)
    --port P                        WebSocket port (default 7374)
    --bind ADDRESS                  listen address (default 127.0.0.1, loopback only)
    --rate HZ                       samples a second, 1 to 100 (default 10)
    --max-clients N                 connections at once, 1 to 1000 (default 8)
    --allow-origin ORIGIN           also allow pages from ORIGIN, e.g. https://course.example.edu
                                    (repeatable; pages on localhost are always allowed)
    --gpsd HOST:PORT                gpsd's address (default 127.0.0.1:2947)
    --gpsd-latency-ms MS            worst serial delay after a fix (default 500)
    --ptp-device PATH               PTP clock (default: the first /dev/ptpN)
    --ptp-tai-offset S              TAI - UTC of the PTP clock, 0 if it runs on UTC (default 37)
    --ptp-accuracy-ns NS            stated accuracy of the PTP clock (default 1000)
    --send-timeout-ms MS            drop a client that cannot take a frame in time (default 1000)
    -v, --verbose                   log debug detail
    -h, --help                      this text
    -V, --version                   the version

The browser connects to ws://127.0.0.1:7374/ by default; open the Clocks lab, or add
&bridge=ws://127.0.0.1:P/ to its address for another port.
";

/// Which source to start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceChoice {
    Auto,
    Only(SourceKind),
}

/// Everything the bridge is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub source: SourceChoice,
    pub port: u16,
    pub bind: IpAddr,
    pub rate_hz: u32,
    pub max_clients: usize,
    pub allowed_origins: Vec<String>,
    pub gpsd_address: String,
    pub gpsd_latency_ms: u64,
    pub ptp_device: Option<PathBuf>,
    pub ptp: PtpSettings,
    pub send_timeout_ms: u64,
    pub verbose: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: SourceChoice::Auto,
            port: DEFAULT_PORT,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            rate_hz: 10,
            max_clients: 8,
            allowed_origins: Vec::new(),
            gpsd_address: gpsd::DEFAULT_ADDRESS.into(),
            gpsd_latency_ms: 500,
            ptp_device: None,
            ptp: PtpSettings::default(),
            send_timeout_ms: 1_000,
            verbose: false,
        }
    }
}

impl Config {
    pub fn server_settings(&self) -> ServerSettings {
        ServerSettings {
            rate_hz: self.rate_hz,
            max_clients: self.max_clients,
            origins: OriginPolicy::new(self.allowed_origins.clone()),
            send_timeout: Duration::from_millis(self.send_timeout_ms),
            handshake_timeout: Duration::from_secs(5),
        }
    }
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Run(Config),
    Help,
    Version,
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut config = Config::default();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = |what: &str| {
            rest.next().cloned().ok_or_else(|| format!("{flag} needs {what}; see playground-bridge --help"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "-v" | "--verbose" => config.verbose = true,
            "--source" => {
                let text = value("a source")?;
                config.source = match text.as_str() {
                    "auto" => SourceChoice::Auto,
                    other => SourceChoice::Only(
                        SourceKind::parse(other)
                            .ok_or_else(|| format!("--source {other:?}: choose auto, ptp, gpsd or system"))?,
                    ),
                };
            }
            "--port" => config.port = number(flag, &value("a port")?, 0, u16::MAX as u64)? as u16,
            "--bind" => {
                let text = value("an address")?;
                config.bind = text.parse().map_err(|_| format!("--bind {text:?} is not an IP address"))?;
            }
            "--rate" => config.rate_hz = number(flag, &value("a rate in Hz")?, 1, 100)? as u32,
            "--max-clients" => config.max_clients = number(flag, &value("a count")?, 1, 1_000)? as usize,
            "--allow-origin" => config.allowed_origins.push(parse_origin(&value("an origin")?)?),
            "--gpsd" => {
                let text = value("HOST:PORT")?;
                if !text.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok()) {
                    return Err(format!("--gpsd {text:?} is not HOST:PORT"));
                }
                config.gpsd_address = text;
            }
            "--gpsd-latency-ms" => config.gpsd_latency_ms = number(flag, &value("milliseconds")?, 0, 10_000)?,
            "--ptp-device" => config.ptp_device = Some(PathBuf::from(value("a path")?)),
            "--ptp-tai-offset" => config.ptp.tai_offset_s = number(flag, &value("seconds")?, 0, 1_000)? as i64,
            "--ptp-accuracy-ns" => config.ptp.accuracy_ns = number(flag, &value("nanoseconds")?, 0, 1_000_000_000)?,
            "--send-timeout-ms" => config.send_timeout_ms = number(flag, &value("milliseconds")?, 10, 60_000)?,
            other => return Err(format!("unknown argument {other:?}; see playground-bridge --help")),
        }
    }
    Ok(Command::Run(config))
}

fn number(flag: &str, text: &str, low: u64, high: u64) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if (low..=high).contains(&n) => Ok(n),
        _ => Err(format!("{flag} {text:?}: give a whole number from {low} to {high}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn defaults_and_flags() {
        assert_eq!(parse(&[]), Ok(Command::Run(Config::default())));
        let Ok(Command::Run(config)) = parse(&args(
            "--source gpsd --port 9000 --rate 50 --allow-origin https://course.example.edu/ --gpsd 127.0.0.1:29470 -v",
        )) else {
            panic!("valid arguments")
        };
        assert_eq!(config.source, SourceChoice::Only(SourceKind::Gpsd));
        assert_eq!((config.port, config.rate_hz, config.verbose), (9000, 50, true));
        assert_eq!(config.allowed_origins, vec!["https://course.example.edu".to_string()]);
        assert_eq!(config.gpsd_address, "127.0.0.1:29470");
        assert_eq!(parse(&args("--help")), Ok(Command::Help));
    }

    #[test]
    fn mistakes_get_sentences() {
        for (input, expected) in [
            ("--source gps", "choose auto, ptp, gpsd or system"),
            ("--port", "--port needs a port"),
            ("--port 70000", "from 0 to 65535"),
            ("--rate 0", "from 1 to 100"),
            ("--bind nowhere", "not an IP address"),
            ("--allow-origin example.org", "not an origin"),
            ("--gpsd localhost", "not HOST:PORT"),
            ("--frobnicate", "unknown argument"),
        ] {
            let error = parse(&args(input)).unwrap_err();
            assert!(error.contains(expected), "{input}: {error}");
        }
    }
}
