//! Command-line parsing, by hand: a handful of flags does not need a framework, and every
//! mistake gets a sentence that says what to type instead.

use playground_core::fault::parse_script;
use playground_core::scenario::Scenario;
use playground_core::time::{parse_duration, Micros, MICROS_PER_SEC};

pub const USAGE: &str = "\
playground: run distributed-systems labs headlessly

usage:
  playground labs [--json]
      list the labs and their parameters
  playground run <lab> [--seed N] [--until DURATION] [--set key=value ...]
                       [--faults \"SCRIPT\"] [--scenario ENCODED|FILE] [--json] [--trace]
      run a scenario and print the trace summary, metrics and verdicts

  --seed N          the seed (default 1)
  --until DURATION  virtual time to run, like 500ms, 60s, 10m, 1h (default 60s)
  --set key=value   a lab parameter; node.key=value sets it for one node
  --faults SCRIPT   timed faults, like \"2s crash s1; 5s restart s1; 3s partition c1,s1 | s2,s3\"
  --scenario X      a share-link scenario string, or a file holding one (or its JSON form)
  --json            print JSON instead of text
  --trace           print every event as a text line before the summary

exit codes: 0 every guarantee held, 2 bad arguments or scenario, 3 a guarantee was violated";

pub enum Command {
    Help,
    Labs { json: bool },
    Run(RunArgs),
}

pub struct RunArgs {
    pub scenario: Scenario,
    pub until: Micros,
    pub json: bool,
    pub trace: bool,
}

fn value<'a>(flag: &str, rest: &mut impl Iterator<Item = &'a String>) -> Result<&'a String, String> {
    rest.next().ok_or_else(|| format!("`{flag}` needs a value"))
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

pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut rest = args.iter();
    let command = match rest.next().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => return Ok(Command::Help),
        Some(command) => command,
    };
    match command {
        "labs" => match rest.next().map(String::as_str) {
            None => Ok(Command::Labs { json: false }),
            Some("--json") => Ok(Command::Labs { json: true }),
            Some(other) => Err(format!("`labs` takes only --json, not `{other}`")),
        },
        "run" => parse_run(rest).map(Command::Run),
        other => Err(format!("unknown command `{other}` (expected `labs` or `run`)")),
    }
}

fn parse_run<'a>(mut rest: impl Iterator<Item = &'a String>) -> Result<RunArgs, String> {
    let mut lab: Option<String> = None;
    let mut seed: Option<u64> = None;
    let mut until = 60 * MICROS_PER_SEC;
    let mut sets = Vec::new();
    let mut faults = None;
    let mut from_file = None;
    let (mut json, mut trace) = (false, false);
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--seed" => {
                let text = value(arg, &mut rest)?;
                seed =
                    Some(text.parse().map_err(|_| {
                        format!("`--seed` must be a whole number from 0 to {}, not `{text}`", u64::MAX)
                    })?);
            }
            "--until" => until = parse_duration(value(arg, &mut rest)?).map_err(|e| format!("`--until`: {e}"))?,
            "--set" => {
                let pair = value(arg, &mut rest)?;
                let (key, v) = pair.split_once('=').ok_or_else(|| format!("`--set` takes key=value, not `{pair}`"))?;
                sets.push((key.to_string(), v.to_string()));
            }
            "--faults" => faults = Some(parse_script(value(arg, &mut rest)?).map_err(|e| format!("`--faults`: {e}"))?),
            "--scenario" => from_file = Some(load_scenario(value(arg, &mut rest)?)?),
            "--json" => json = true,
            "--trace" => trace = true,
            flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}`")),
            name if lab.is_none() => lab = Some(name.to_string()),
            extra => return Err(format!("unexpected argument `{extra}`")),
        }
    }
    let mut scenario = match (from_file, lab) {
        (Some(s), Some(lab)) if s.lab != lab => {
            return Err(format!("the scenario is for the `{}` lab, not `{lab}`", s.lab))
        }
        (Some(s), _) => s,
        (None, Some(lab)) => Scenario::new(&lab, 1),
        (None, None) => return Err("`run` needs a lab name, like `playground run network`".into()),
    };
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    for (key, v) in sets {
        scenario.set_param(&key, &v);
    }
    if let Some(mut faults) = faults {
        scenario.faults.append(&mut faults);
        scenario.faults.sort_by_key(|f| f.at);
    }
    Ok(RunArgs { scenario, until, json, trace })
}
