//! Command-line arguments, declared with clap's derive. Every mistake still gets a sentence
//! that says what to type instead: values are checked by our own parsers, and clap's own
//! errors for unknown options and commands are reworded to match.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand};
use playground_core::fault::{parse_script, Fault};
use playground_core::history::Model;
use playground_core::scenario::Scenario;
use playground_core::time::{parse_duration, Micros};

use crate::check::Consistency;

const AFTER_HELP: &str = "\
Fault scripts are `<time> <action>` entries separated by `;`, like
  \"2s crash s1; 5s restart s1; 3s partition c1,s1 | s2,s3; 8s heal; 9s set loss=20\"

exit codes: 0 every guarantee held, 2 bad arguments or scenario (or a run that made no
progress), 3 a guarantee was violated; for `check`: 0 every model held, 2 bad input,
3 a model was violated, 4 unknown (see `playground check --help`)";

const CHECK_AFTER_HELP: &str = "\
Histories are Jepsen's: one EDN map per line ({:process 0, :type :invoke, :f :read,
:value nil}, with :key and :time if there are any), or jepsen.util log lines
(INFO  jepsen.util - 3  :invoke  :cas  [1 2]). Functions: read/get, write/put, cas,
append, add. Without --model, the model is chosen from the operations: kv if any append,
set if any add, cas-register if any cas, else register.

exit codes (the worst over all files, in this order):
  2  bad input: an unreadable file, or a line that is not a history (the message names
     the file and the line)
  3  a model was violated
  4  unknown: a search ran out of its budget, or the model does not apply
  0  every model held";

/// playground: run distributed-systems labs headlessly.
#[derive(Parser, Debug)]
#[command(name = "playground", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the labs and their parameters.
    Labs {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a scenario and print the trace summary, metrics and verdicts.
    Run(RunArgs),
    /// Run random scenarios of every lab (knobs in and out of range, fault scripts with live
    /// changes, manual scheduling, mutated share links), each in its own process with a
    /// wall-clock limit, and report any panic, hang or unexpected exit with the link that
    /// reproduces it. Exit code 3 when something was found.
    Fuzz(FuzzArgs),
    /// Judge Jepsen histories against consistency models: one verdict line per file and
    /// model, naming the operations that show a violation.
    #[command(after_help = CHECK_AFTER_HELP)]
    Check(CheckArgs),
    /// Describe an exercise, list the shipped ones, or grade a student's run against one:
    /// exit 0 when the run meets the goal within the limits, 3 when it does not, 2 on bad
    /// input.
    Exercise(ExerciseArgs),
    /// Show a lab's guided tour step by step, with each step's share link, and replay every
    /// step to check its story still holds: exit 0 when all do, 3 when one does not.
    Tour(TourArgs),
}

#[derive(Args, Debug)]
pub struct TourArgs {
    /// The tour: a lab's name (see --list).
    pub tour: Option<String>,
    /// List the tours.
    #[arg(long)]
    pub list: bool,
}

#[derive(Args, Debug)]
pub struct ExerciseArgs {
    /// The exercise: a link (`…?x=…`), its encoded form, or a shipped exercise's id (see
    /// --list).
    pub exercise: Option<String>,
    /// The student's run: a share link (`…?s=…`), its encoded form, or a file holding one.
    /// Without it, the exercise is described.
    #[arg(long, value_name = "LINK|FILE")]
    pub scenario: Option<String>,
    /// List the shipped exercises.
    #[arg(long)]
    pub list: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The lab to run (see `playground labs`); optional with --scenario.
    pub lab: Option<String>,
    /// The seed (default 1, or the scenario's).
    #[arg(long, value_name = "N", value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Virtual time to run, like 500ms, 60s, 10m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_until)]
    pub until: Micros,
    /// A lab parameter; node.key=value sets it for one node. Repeat for more.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set)]
    pub sets: Vec<(String, String)>,
    /// Timed faults, like "2s crash s1; 5s restart s1; 3s partition c1,s1 | s2,s3".
    #[arg(long, value_name = "SCRIPT", value_parser = parse_faults)]
    pub faults: Option<Script>,
    /// A share-link scenario string, or a file holding one (or its JSON form).
    #[arg(long, value_name = "ENCODED|FILE")]
    pub scenario: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print every event as a text line before the summary.
    #[arg(long)]
    pub trace: bool,
    /// Write every event to FILE as JSON lines, one typed event per line after a header
    /// line (the schema is in docs/TRACE.md).
    #[arg(long, value_name = "FILE")]
    pub export_trace: Option<std::path::PathBuf>,
    /// Write the clients' history (labs that record one) to FILE as Jepsen EDN, one
    /// operation map per line, for `playground check`, Knossos or Porcupine.
    #[arg(long, value_name = "FILE")]
    pub history: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct FuzzArgs {
    /// How long to fuzz, in minutes (fractions allowed).
    #[arg(long, default_value_t = 1.0, value_parser = parse_minutes)]
    pub minutes: f64,
    /// The fuzzer's own seed; the same seed tries the same scenarios (default: the clock).
    #[arg(long, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Wall-clock limit for one run, in milliseconds; a run past it counts as a hang.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Runs at once.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub jobs: u32,
    /// Fuzz only this lab (default: every lab that runs).
    #[arg(long)]
    pub lab: Option<String>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// History files (EDN lines or jepsen.util logs); `-` reads standard input.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
    /// The object: register, cas-register, kv or set (default: chosen from the operations).
    #[arg(long, value_name = "MODEL", value_parser = parse_model)]
    pub model: Option<Model>,
    /// linearizable, sequential, causal, eventual, recency, or all of them.
    #[arg(long, value_name = "CONSISTENCY", default_value = "linearizable", value_parser = parse_consistency)]
    pub consistency: Which,
    /// Print one JSON object per file instead of text.
    #[arg(long)]
    pub json: bool,
    /// Steps a search may take before it answers "unknown" (default 20000000).
    #[arg(long, value_name = "STEPS", value_parser = parse_budget)]
    pub budget: Option<u64>,
}

/// The consistency models to judge (a newtype, since clap reads `Vec<_>` as a list).
#[derive(Clone, Debug)]
pub struct Which(pub Vec<Consistency>);

fn parse_model(text: &str) -> Result<Model, String> {
    Model::parse(text).ok_or_else(|| format!("`--model` must be register, cas-register, kv or set, not `{text}`"))
}

fn parse_consistency(text: &str) -> Result<Which, String> {
    Consistency::parse(text).map(Which).ok_or_else(|| {
        format!("`--consistency` must be linearizable, sequential, causal, eventual, recency or all, not `{text}`")
    })
}

fn parse_budget(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(steps) if steps > 0 => Ok(steps),
        _ => Err(format!("`--budget` must be a whole number of steps above 0, not `{text}`")),
    }
}

fn parse_seed(text: &str) -> Result<u64, String> {
    text.parse().map_err(|_| format!("`--seed` must be a whole number from 0 to {}, not `{text}`", u64::MAX))
}

fn parse_until(text: &str) -> Result<Micros, String> {
    parse_duration(text).map_err(|e| format!("`--until`: {e}"))
}

fn parse_set(pair: &str) -> Result<(String, String), String> {
    let (key, value) = pair.split_once('=').ok_or_else(|| format!("`--set` takes key=value, not `{pair}`"))?;
    Ok((key.to_string(), value.to_string()))
}

/// A parsed `--faults` script (a newtype, since clap reads `Option<Vec<_>>` as a list).
#[derive(Clone, Debug)]
pub struct Script(pub Vec<Fault>);

fn parse_faults(text: &str) -> Result<Script, String> {
    parse_script(text).map(Script).map_err(|e| format!("`--faults`: {e}"))
}

fn parse_minutes(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(m) if m > 0.0 && m <= 24.0 * 60.0 => Ok(m),
        _ => Err(format!("`--minutes` must be a number of minutes above 0 and at most a day, not `{text}`")),
    }
}

/// What clap reported, as one of our sentences when we have a better one.
fn reword(error: &clap::Error) -> String {
    let invalid = |kind| match error.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(" "),
        _ => String::new(),
    };
    match error.kind() {
        ErrorKind::UnknownArgument => format!("unknown option `{}`", invalid(ContextKind::InvalidArg)),
        ErrorKind::InvalidSubcommand => {
            format!(
                "unknown command `{}` (expected `labs`, `run`, `fuzz` or `check`)",
                invalid(ContextKind::InvalidSubcommand)
            )
        }
        ErrorKind::MissingRequiredArgument if invalid(ContextKind::InvalidArg).contains("<FILE>") => {
            "`check` needs at least one history file, or `-` to read standard input".into()
        }
        _ => {
            let text = error.to_string();
            let text = text.trim_start_matches("error: ");
            text.lines().next().unwrap_or_default().to_string()
        }
    }
}

/// Parses the command line. Help and version are printed by clap (exit 0); a mistake is
/// returned as a sentence.
pub fn parse() -> Result<Command, String> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli.command),
        Err(error) if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => error.exit(),
        Err(error) if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.exit(),
        Err(error) => Err(reword(&error)),
    }
}

/// Reads `--scenario`: a file path (encoded text or JSON) or the encoded text itself.
fn load_scenario(source: &str) -> Result<Scenario, String> {
    let text = match std::fs::read_to_string(source) {
        Ok(contents) => contents,
        Err(_) if source.len() > 200 || !source.contains(['/', '.']) => source.to_string(),
        Err(e) => return Err(format!("cannot read scenario file `{source}`: {e}")),
    };
    let text = text.trim();
    if text.starts_with('{') {
        let scenario: Scenario = serde_json::from_str(text).map_err(|e| format!("scenario JSON: {e}"))?;
        scenario.check_limits().map_err(|e| e.to_string())?;
        Ok(scenario)
    } else {
        Scenario::decode(text).map_err(|e| e.to_string())
    }
}

impl RunArgs {
    /// The scenario these arguments describe: the `--scenario` one or the lab's defaults,
    /// with the seed, parameters and faults given on top.
    pub fn scenario(&self) -> Result<Scenario, String> {
        let from_file = self.scenario.as_deref().map(load_scenario).transpose()?;
        let mut scenario = match (from_file, &self.lab) {
            (Some(s), Some(lab)) if &s.lab != lab => {
                return Err(format!("the scenario is for the `{}` lab, not `{lab}`", s.lab))
            }
            (Some(s), _) => s,
            (None, Some(lab)) => Scenario::new(lab, 1),
            (None, None) => return Err("`run` needs a lab name, like `playground run network`".into()),
        };
        if let Some(seed) = self.seed {
            scenario.seed = seed;
        }
        for (key, value) in &self.sets {
            scenario.set_param(key, value);
        }
        if let Some(Script(faults)) = &self.faults {
            scenario.faults.extend(faults.iter().cloned());
            scenario.faults.sort_by_key(|f| f.at);
        }
        Ok(scenario)
    }
}
