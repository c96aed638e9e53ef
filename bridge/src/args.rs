//! The command line, declared with clap's derive into a [`Config`]. Every mistake still gets
//! a sentence that names the option and what it takes: values are checked by our own parsers,
//! and clap's own errors (unknown options, missing values) are reworded to match.

use crate::origin::{parse_origin, OriginPolicy};
use crate::server::ServerSettings;
use crate::source::gpsd;
use crate::source::ptp::PtpSettings;
use clap::builder::{OsStringValueParser, TypedValueParser};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgAction, CommandFactory, Parser};
use playground_core::hardware_time::{SourceKind, DEFAULT_PORT};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

const ABOUT: &str = "\
playground-bridge: real clock hardware for the playground's TrueTime view

Reads the time with an uncertainty bound from a PTP hardware clock, gpsd or the kernel's
NTP state, and streams it as JSON over a WebSocket to the Clocks lab in the browser.";

const AFTER_HELP: &str = "\
The browser connects to ws://127.0.0.1:7374/ by default; open the Clocks lab, or add
&bridge=ws://127.0.0.1:P/ to its address for another port.";

/// The options as clap reads them; an option not given leaves [`Config::default`]'s value.
/// Every value option takes the next argument whatever it looks like (`--port -5` is a bad
/// port, not a missing one), and a repeated option replaces the earlier one (`--allow-origin`
/// adds up instead). The help has one form, for `-h` as for `--help`, laid out in two columns
/// with the line breaks written here (`term_width = 0`: clap wraps nothing).
#[derive(Parser, Debug)]
#[command(
    name = "playground-bridge",
    version,
    about = ABOUT,
    after_help = AFTER_HELP,
    term_width = 0,
    args_override_self = true,
    disable_help_flag = true,
    disable_version_flag = true
)]
struct Cli {
    #[arg(long, value_name = "auto|ptp|gpsd|system", allow_hyphen_values = true, value_parser = parse_source,
          help = "where time comes from (default auto: ptp, then gpsd,\nthen system; a missing source falls to the next)")]
    source: Option<SourceChoice>,
    #[arg(long, value_name = "P", allow_hyphen_values = true, help = "WebSocket port (default 7374)",
          value_parser = |t: &str| whole::<u16>("--port", t, 0, u16::MAX.into()))]
    port: Option<u16>,
    #[arg(long, value_name = "ADDRESS", allow_hyphen_values = true, value_parser = parse_bind,
          help = "listen address (default 127.0.0.1, loopback only)")]
    bind: Option<IpAddr>,
    #[arg(long, value_name = "HZ", allow_hyphen_values = true, help = "samples a second, 1 to 100 (default 10)",
          value_parser = |t: &str| whole::<u32>("--rate", t, 1, 100))]
    rate: Option<u32>,
    #[arg(long, value_name = "N", allow_hyphen_values = true, help = "connections at once, 1 to 1000 (default 8)",
          value_parser = |t: &str| whole::<usize>("--max-clients", t, 1, 1_000))]
    max_clients: Option<usize>,
    #[arg(long, value_name = "ORIGIN", allow_hyphen_values = true, value_parser = parse_origin,
          help = "also allow pages from ORIGIN, e.g. https://course.example.edu\n\
                  (repeatable; pages on localhost are always allowed)")]
    allow_origin: Vec<String>,
    #[arg(long, value_name = "HOST:PORT", allow_hyphen_values = true, value_parser = parse_gpsd,
          help = "gpsd's address (default 127.0.0.1:2947)")]
    gpsd: Option<String>,
    #[arg(long, value_name = "MS", allow_hyphen_values = true, help = "worst serial delay after a fix (default 500)",
          value_parser = |t: &str| whole::<u64>("--gpsd-latency-ms", t, 0, 10_000))]
    gpsd_latency_ms: Option<u64>,
    #[arg(long, value_name = "PATH", allow_hyphen_values = true, help = "PTP clock (default: the first /dev/ptpN)",
          value_parser = OsStringValueParser::new().map(PathBuf::from))]
    ptp_device: Option<PathBuf>,
    #[arg(long, value_name = "S", allow_hyphen_values = true,
          help = "TAI - UTC of the PTP clock, 0 if it runs on UTC (default 37)",
          value_parser = |t: &str| whole::<i64>("--ptp-tai-offset", t, 0, 1_000))]
    ptp_tai_offset: Option<i64>,
    #[arg(long, value_name = "NS", allow_hyphen_values = true, help = "stated accuracy of the PTP clock (default 1000)",
          value_parser = |t: &str| whole::<u64>("--ptp-accuracy-ns", t, 0, 1_000_000_000))]
    ptp_accuracy_ns: Option<u64>,
    #[arg(long, value_name = "MS", allow_hyphen_values = true,
          help = "drop a client that cannot take a frame in time (default 1000)",
          value_parser = |t: &str| whole::<u64>("--send-timeout-ms", t, 10, 60_000))]
    send_timeout_ms: Option<u64>,
    #[arg(short, long, help = "log debug detail")]
    verbose: bool,
    #[arg(short, long, action = ArgAction::Help, help = "this text")]
    help: Option<bool>,
    #[arg(short = 'V', long, action = ArgAction::Version, help = "the version")]
    version: Option<bool>,
}

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

/// Parses the arguments after the program name. Help and version come back as
/// [`Command::Help`] and [`Command::Version`] (print them with [`print_help`] and
/// [`version`]); a mistake comes back as a sentence.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let argv = std::iter::once("playground-bridge").chain(args.iter().map(String::as_str));
    match Cli::try_parse_from(argv) {
        Ok(cli) => Ok(Command::Run(cli.into_config())),
        Err(error) => match error.kind() {
            ErrorKind::DisplayHelp => Ok(Command::Help),
            ErrorKind::DisplayVersion => Ok(Command::Version),
            // clap reports a stray argument (or a value given to a switch) before it checks the
            // value it holds for the option ahead of it (`--port --rate 5` would be about `5`),
            // so the arguments before the stray one are read again: the first mistake from the
            // left is the one named.
            ErrorKind::UnknownArgument => {
                let typed = as_typed(args, &context(&error, ContextKind::InvalidArg)).to_string();
                parse(&args[..args.iter().rposition(|arg| *arg == typed).unwrap_or(0)])?;
                Err(format!("unknown argument {typed:?}; see playground-bridge --help"))
            }
            ErrorKind::TooManyValues => {
                let flag = context(&error, ContextKind::InvalidArg);
                let at = args.iter().rposition(|arg| arg.starts_with(&format!("{flag}="))).unwrap_or(0);
                parse(&args[..at])?;
                Err(format!("{flag} takes no value; see playground-bridge --help"))
            }
            _ => Err(reword(&error)),
        },
    }
}

/// Prints clap's help to stdout.
pub fn print_help() -> std::io::Result<()> {
    Cli::command().print_help()
}

/// The version line clap prints: `playground-bridge 0.1.0`.
pub fn version() -> String {
    Cli::command().render_version()
}

impl Cli {
    fn into_config(self) -> Config {
        let defaults = Config::default();
        Config {
            source: self.source.unwrap_or(defaults.source),
            port: self.port.unwrap_or(defaults.port),
            bind: self.bind.unwrap_or(defaults.bind),
            rate_hz: self.rate.unwrap_or(defaults.rate_hz),
            max_clients: self.max_clients.unwrap_or(defaults.max_clients),
            allowed_origins: self.allow_origin,
            gpsd_address: self.gpsd.unwrap_or(defaults.gpsd_address),
            gpsd_latency_ms: self.gpsd_latency_ms.unwrap_or(defaults.gpsd_latency_ms),
            ptp_device: self.ptp_device.or(defaults.ptp_device),
            ptp: PtpSettings {
                tai_offset_s: self.ptp_tai_offset.unwrap_or(defaults.ptp.tai_offset_s),
                accuracy_ns: self.ptp_accuracy_ns.unwrap_or(defaults.ptp.accuracy_ns),
            },
            send_timeout_ms: self.send_timeout_ms.unwrap_or(defaults.send_timeout_ms),
            verbose: self.verbose,
        }
    }
}

fn parse_source(text: &str) -> Result<SourceChoice, String> {
    match text {
        "auto" => Ok(SourceChoice::Auto),
        other => SourceKind::parse(other)
            .map(SourceChoice::Only)
            .ok_or_else(|| format!("--source {other:?}: choose auto, ptp, gpsd or system")),
    }
}

fn parse_bind(text: &str) -> Result<IpAddr, String> {
    text.parse().map_err(|_| format!("--bind {text:?} is not an IP address"))
}

fn parse_gpsd(text: &str) -> Result<String, String> {
    match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(text.to_string()),
        _ => Err(format!("--gpsd {text:?} is not HOST:PORT")),
    }
}

/// A whole number from `low` to `high` (both within `T`), or a sentence naming `flag`.
fn whole<T: TryFrom<u64>>(flag: &str, text: &str, low: u64, high: u64) -> Result<T, String> {
    let sentence = || format!("{flag} {text:?}: give a whole number from {low} to {high}");
    match text.parse::<u64>() {
        Ok(n) if (low..=high).contains(&n) => T::try_from(n).map_err(|_| sentence()),
        _ => Err(sentence()),
    }
}

/// What an option given last, with no value, needs.
fn needs(flag: &str) -> &'static str {
    match flag {
        "--source" => "a source",
        "--port" => "a port",
        "--bind" => "an address",
        "--rate" => "a rate in Hz",
        "--max-clients" => "a count",
        "--allow-origin" => "an origin",
        "--gpsd" => "HOST:PORT",
        "--ptp-device" => "a path",
        "--ptp-tai-offset" => "seconds",
        "--ptp-accuracy-ns" => "nanoseconds",
        "--gpsd-latency-ms" | "--send-timeout-ms" => "milliseconds",
        _ => "a value",
    }
}

fn context(error: &clap::Error, kind: ContextKind) -> String {
    match error.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(" "),
        _ => String::new(),
    }
}

/// What clap reported, as one of our sentences.
fn reword(error: &clap::Error) -> String {
    // clap names an option with its value, like `--port <P>`.
    let flag = || context(error, ContextKind::InvalidArg).split_whitespace().next().unwrap_or_default().to_string();
    match error.kind() {
        // Our value parsers' own sentences, without clap's "invalid value ... for ..." around them.
        ErrorKind::ValueValidation => match std::error::Error::source(error) {
            Some(why) => why.to_string(),
            None => first_line(error),
        },
        ErrorKind::InvalidValue if context(error, ContextKind::InvalidValue).is_empty() => {
            let flag = flag();
            format!("{flag} needs {}; see playground-bridge --help", needs(&flag))
        }
        _ => format!("{}; see playground-bridge --help", first_line(error)),
    }
}

/// The argument as typed that holds `unknown`: clap names `-x` for `-vx`, `-=` for `-v=1` and
/// `--frob` for `--frob=1`.
fn as_typed<'a>(args: &'a [String], unknown: &'a str) -> &'a str {
    let holds = |arg: &&str| match unknown.strip_prefix("--") {
        Some(long) => arg.strip_prefix("--").and_then(|a| a.strip_prefix(long)).is_some_and(|r| r.starts_with('=')),
        None => arg.len() > 2 && arg.starts_with('-') && !arg.starts_with("--") && arg[1..].contains(&unknown[1..]),
    };
    if args.iter().any(|arg| arg == unknown) || !unknown.starts_with('-') {
        return unknown;
    }
    args.iter().map(String::as_str).find(holds).unwrap_or(unknown)
}

/// The first line of clap's own message, without its `error: `.
fn first_line(error: &clap::Error) -> String {
    let text = error.to_string();
    text.trim_start_matches("error: ").lines().next().unwrap_or_default().to_string()
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
        assert_eq!(parse(&args("-h")), Ok(Command::Help));
        assert_eq!(parse(&args("-V")), Ok(Command::Version));
        assert_eq!(parse(&args("--version")), Ok(Command::Version));
    }

    #[test]
    fn every_option_sets_its_field() {
        let Ok(Command::Run(config)) = parse(&args(
            "--source system --port 0 --bind ::1 --rate 1 --max-clients 1000 --gpsd gps.local:2947 \
             --gpsd-latency-ms 0 --ptp-device /dev/ptp3 --ptp-tai-offset 0 --ptp-accuracy-ns 25 \
             --send-timeout-ms 10 --verbose",
        )) else {
            panic!("valid arguments")
        };
        let expected = Config {
            source: SourceChoice::Only(SourceKind::System),
            port: 0,
            bind: "::1".parse().unwrap(),
            rate_hz: 1,
            max_clients: 1000,
            allowed_origins: Vec::new(),
            gpsd_address: "gps.local:2947".into(),
            gpsd_latency_ms: 0,
            ptp_device: Some(PathBuf::from("/dev/ptp3")),
            ptp: PtpSettings { tai_offset_s: 0, accuracy_ns: 25 },
            send_timeout_ms: 10,
            verbose: true,
        };
        assert_eq!(config, expected);
        assert_eq!(parse(&args("--source auto")), Ok(Command::Run(Config::default())));
    }

    #[test]
    fn repeats_replace_except_origins_which_add_up() {
        let Ok(Command::Run(config)) = parse(&args(
            "--port 1 --port 2 -v -v --allow-origin http://a.example --allow-origin https://b.example:8443",
        )) else {
            panic!("valid arguments")
        };
        assert_eq!(config.port, 2);
        assert_eq!(config.allowed_origins, vec!["http://a.example".to_string(), "https://b.example:8443".to_string()]);
        let Ok(Command::Run(config)) = parse(&args("--port=9000")) else { panic!("--port=9000 is valid") };
        assert_eq!(config.port, 9000);
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
            ("--source", "--source needs a source; see playground-bridge --help"),
            ("--source sundial", "--source \"sundial\": choose auto, ptp, gpsd or system"),
            ("--port -5", "--port \"-5\": give a whole number from 0 to 65535"),
            ("--port --rate 5", "--port \"--rate\": give a whole number from 0 to 65535"),
            ("--rate 101", "--rate \"101\": give a whole number from 1 to 100"),
            ("--rate", "--rate needs a rate in Hz"),
            ("--max-clients 0", "--max-clients \"0\": give a whole number from 1 to 1000"),
            ("--max-clients", "--max-clients needs a count"),
            ("--bind", "--bind needs an address"),
            ("--allow-origin ftp://x", "\"ftp://x\" is not an origin like https://example.org (http or https"),
            ("--allow-origin", "--allow-origin needs an origin"),
            ("--gpsd :2947", "--gpsd \":2947\" is not HOST:PORT"),
            ("--gpsd", "--gpsd needs HOST:PORT"),
            ("--gpsd-latency-ms 10001", "--gpsd-latency-ms \"10001\": give a whole number from 0 to 10000"),
            ("--gpsd-latency-ms", "--gpsd-latency-ms needs milliseconds"),
            ("--ptp-device", "--ptp-device needs a path"),
            ("--ptp-tai-offset -1", "--ptp-tai-offset \"-1\": give a whole number from 0 to 1000"),
            ("--ptp-tai-offset", "--ptp-tai-offset needs seconds"),
            (
                "--ptp-accuracy-ns 1000000001",
                "--ptp-accuracy-ns \"1000000001\": give a whole number from 0 to 1000000000",
            ),
            ("--ptp-accuracy-ns", "--ptp-accuracy-ns needs nanoseconds"),
            ("--send-timeout-ms 9", "--send-timeout-ms \"9\": give a whole number from 10 to 60000"),
            ("--send-timeout-ms", "--send-timeout-ms needs milliseconds"),
            ("--verbose=yes", "--verbose takes no value; see playground-bridge --help"),
            ("--frobnicate", "unknown argument \"--frobnicate\"; see playground-bridge --help"),
            ("--frob=1", "unknown argument \"--frob=1\""),
            ("-vx", "unknown argument \"-vx\""),
            ("-v=1", "unknown argument \"-v=1\""),
            ("now", "unknown argument \"now\""),
            ("--port 1 --help-me", "unknown argument \"--help-me\""),
            ("--port x --help", "--port \"x\": give a whole number"),
            ("--port x 5", "--port \"x\": give a whole number"),
            ("--port x --verbose=1", "--port \"x\": give a whole number"),
            ("--rate 0 --frob", "--rate \"0\": give a whole number from 1 to 100"),
            ("foo --ptp-device foo", "unknown argument \"foo\""),
        ] {
            let error = parse(&args(input)).unwrap_err();
            assert!(error.contains(expected), "{input}: {error}");
            assert!(
                !error.starts_with("error:") && !error.contains('\n'),
                "{input}: one sentence, not clap's: {error}"
            );
        }
    }
}
