//! `playground`: the headless runner. Instructors grade with it and CI runs it; it prints the
//! same bytes for the same scenario, every time, on every machine.

/// Prints a line to stdout. A closed pipe (`playground ... | head`) ends the program quietly
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

mod args;
mod check;
mod exercise;
mod fuzz;
mod report;
mod tour;
mod trace_file;

use std::collections::BTreeMap;
use std::process::ExitCode;

use args::{Command, RunArgs};
use playground_core::lab::{self, LabRun};
use playground_core::trace::EventKind;
use report::{print_labs, print_text, verdict_report, Report, TraceSummary};
use trace_file::TraceFile;

const EXIT_BAD_INPUT: u8 = 2;
const EXIT_VIOLATED: u8 = 3;
/// `check`: a judge ran out of its budget, or its model does not apply.
const EXIT_UNKNOWN: u8 = 4;

fn main() -> ExitCode {
    match args::parse() {
        Ok(Command::Labs { json }) => {
            print_labs(lab::catalogue(), json);
            ExitCode::SUCCESS
        }
        Ok(Command::Run(run)) => execute(run),
        Ok(Command::Fuzz(fuzz)) => fuzz::fuzz(&fuzz),
        Ok(Command::Check(check)) => check::check(&check),
        Ok(Command::Exercise(exercise)) => exercise::exercise(&exercise),
        Ok(Command::Tour(tour)) => tour::tour(&tour),
        Err(message) => bad_input(&message),
    }
}

fn bad_input(message: &str) -> ExitCode {
    eprintln!("playground: {message}\n(run `playground --help` for usage)");
    ExitCode::from(EXIT_BAD_INPUT)
}

fn execute(args: RunArgs) -> ExitCode {
    let scenario = match args.scenario() {
        Ok(scenario) => scenario,
        Err(message) => return bad_input(&message),
    };
    let mut run = match lab::start(&scenario) {
        Ok(run) => run,
        Err(error) => {
            eprintln!("playground: {error}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let names = run.names();
    let mut export = match &args.export_trace {
        Some(path) => match TraceFile::create(path, run.as_ref(), &scenario) {
            Ok(file) => Some(file),
            Err(message) => return bad_input(&message),
        },
        None => None,
    };
    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut culprits: BTreeMap<u64, String> = BTreeMap::new();
    let mut seen = 0;
    let mut drain = |run: &dyn LabRun, seen: &mut u64| {
        for event in run.trace().since(*seen) {
            *by_kind.entry(event.kind.name()).or_insert(0) += 1;
            if let EventKind::Verdict { culprit: Some(culprit), .. } = event.kind {
                if let Some(guilty) = run.trace().get(culprit) {
                    culprits.insert(culprit, run.event_text(guilty, &names));
                }
            }
            if args.trace {
                say!("{}", run.event_text(event, &names));
            }
        }
        *seen = run.trace().total();
        if let Some(file) = export.as_mut() {
            file.drain(run);
        }
    };
    drain(run.as_ref(), &mut seen);
    while run.next_time().is_some_and(|t| t <= args.until) {
        run.step();
        drain(run.as_ref(), &mut seen);
    }
    if let Some(stall) = run.stalled() {
        eprintln!("playground: {stall}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    run.advance_clock(args.until);
    drain(run.as_ref(), &mut seen);
    if let Some(Err(message)) = export.map(TraceFile::finish) {
        eprintln!("playground: {message}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    if let Some(path) = &args.history {
        let Some(view) = run.lab_view().into_history() else {
            return bad_input(&format!("the {} lab records no client history", scenario.lab));
        };
        let text = playground_core::history::edn::write(&view.to_history());
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("playground: cannot write the history to {}: {e}", path.display());
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    }

    let metrics = run.metrics();
    let verdicts: Vec<_> = run.verdicts().iter().map(|v| verdict_report(v, &culprits)).collect();
    // Exit 0 means no guarantee was violated: one not judged yet does not fail the run.
    let all_hold = verdicts.iter().all(|v| v.violation.is_none());
    let mut scenario = scenario;
    scenario.at = args.until;
    let report = Report {
        lab: scenario.lab.clone(),
        seed: scenario.seed,
        until_us: args.until,
        scenario: scenario.encode(),
        trace: TraceSummary { events: run.trace().total(), digest: format!("{:016x}", run.trace().digest()), by_kind },
        counters: metrics
            .counters
            .iter()
            .map(|c| (c.name, c.value))
            .chain(metrics.drops.iter().map(|(reason, n)| (reason.counter_name(), *n)))
            .collect(),
        latency: metrics.histograms.iter().map(|(name, h)| (*name, h.summary())).collect(),
        verdicts,
        all_hold,
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => say!("{text}"),
            Err(e) => {
                eprintln!("playground: could not write JSON: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print_text(&report);
    }
    if all_hold {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_VIOLATED)
    }
}
