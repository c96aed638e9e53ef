//! `playground check`: judge Jepsen histories (EDN lines or `jepsen.util` logs) against
//! consistency models, one verdict line (or JSON object) per file.
//!
//! The exit code is the worst over the files: 2 bad input, then 3 violated, then 4 unknown
//! (a budget ran out, or the model does not apply), then 0.

use std::collections::BTreeMap;
use std::io::Read;
use std::process::ExitCode;

use playground_core::history::edn::parse_with_lines;
use playground_core::history::{causal, linear, recency, sequential, session};
use playground_core::history::{Answer, Budget, Call, History, Model, Op, Val};
use serde::Serialize;

use crate::args::CheckArgs;
use crate::{EXIT_BAD_INPUT, EXIT_UNKNOWN, EXIT_VIOLATED};

/// A consistency model a history may satisfy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consistency {
    Linearizable,
    Sequential,
    Causal,
    Eventual,
    /// Every read sees a value not overwritten before it began (what R + W > N promises).
    Recency,
}

impl Consistency {
    pub const ALL: [Consistency; 5] = [
        Consistency::Linearizable,
        Consistency::Sequential,
        Consistency::Causal,
        Consistency::Eventual,
        Consistency::Recency,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Consistency::Linearizable => "linearizable",
            Consistency::Sequential => "sequential",
            Consistency::Causal => "causal",
            Consistency::Eventual => "eventual",
            Consistency::Recency => "recency",
        }
    }

    /// One model's name, or `all`.
    pub fn parse(text: &str) -> Option<Vec<Consistency>> {
        if text == "all" {
            return Some(Consistency::ALL.to_vec());
        }
        Consistency::ALL.into_iter().find(|c| c.name() == text).map(|c| vec![c])
    }
}

/// Asks each judge in `which` about `history`.
pub fn judge_all(history: &History, model: Model, which: &[Consistency], budget: Budget) -> Vec<(Consistency, Answer)> {
    which
        .iter()
        .map(|&c| {
            let answer = match c {
                Consistency::Linearizable => linear::check(history, model, budget),
                Consistency::Sequential => sequential::check(history, model, budget),
                Consistency::Causal => causal::check(history, model),
                Consistency::Eventual => session::convergence(history, model),
                Consistency::Recency if matches!(model, Model::Register | Model::CasRegister) => {
                    recency::check(history)
                }
                Consistency::Recency => Answer::Unknown { reason: "recency is judged on registers".into() },
            };
            (c, answer)
        })
        .collect()
}

/// The model a history's operations call for: key-value with appends, a set with adds, a
/// compare-and-set register with compare-and-sets, else a register.
pub fn model_for(history: &History) -> Model {
    Model::for_history(history)
}

/// Exit codes from best to worst.
fn severity(code: u8) -> u8 {
    match code {
        EXIT_BAD_INPUT => 3,
        EXIT_VIOLATED => 2,
        EXIT_UNKNOWN => 1,
        _ => 0,
    }
}

fn exit_code(answer: &Answer) -> u8 {
    match answer {
        Answer::Holds { .. } => 0,
        Answer::Violated { .. } => EXIT_VIOLATED,
        Answer::Unknown { .. } => EXIT_UNKNOWN,
    }
}

pub fn check(args: &CheckArgs) -> ExitCode {
    let budget = args.budget.map_or_else(Budget::default, |steps| Budget { steps });
    let mut worst = 0;
    for file in &args.files {
        let code = check_file(file, args, budget);
        if severity(code) > severity(worst) {
            worst = code;
        }
    }
    ExitCode::from(worst)
}

/// Reads a file, or standard input for `-`.
fn read(file: &str) -> Result<String, String> {
    let mut text = String::new();
    let result = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_string(&mut text)).map(|_| ())
    };
    result.map(|()| text).map_err(|e| format!("cannot read `{file}`: {e}"))
}

fn label(file: &str) -> &str {
    if file == "-" {
        "<stdin>"
    } else {
        file
    }
}

/// Judges one file and prints its verdicts; returns its exit code.
fn check_file(file: &str, args: &CheckArgs, budget: Budget) -> u8 {
    let parsed = read(file).and_then(|text| parse_with_lines(&text).map_err(|e| format!("{}: {e}", label(file))));
    let (history, lines) = match parsed {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("playground: {message}");
            if args.json {
                say!("{}", serde_json::json!({ "file": label(file), "error": message }));
            }
            return EXIT_BAD_INPUT;
        }
    };
    let (model, chosen) = match args.model {
        Some(model) => (model, false),
        None => (model_for(&history), true),
    };
    let answers = judge_all(&history, model, &args.consistency.0, budget);
    if args.json {
        let report = FileReport {
            file: label(file),
            model: model.name(),
            model_chosen_by_content: chosen,
            operations: history.ops.len(),
            consistency: answers.iter().map(|(c, a)| (c.name(), answer_report(a, &history, &lines))).collect(),
        };
        match serde_json::to_string(&report) {
            Ok(text) => say!("{text}"),
            Err(e) => {
                eprintln!("playground: could not write JSON: {e}");
                return EXIT_BAD_INPUT;
            }
        }
    } else {
        for (consistency, answer) in &answers {
            say!("{}: {}: {} {}", label(file), model.name(), consistency.name(), describe(answer, &history, &lines));
        }
    }
    answers.iter().map(|(_, a)| exit_code(a)).max_by_key(|&c| severity(c)).unwrap_or(0)
}

/// An operation as text, with the line of its invocation.
fn op_text(history: &History, lines: &[usize], index: usize) -> String {
    match (history.ops.get(index), lines.get(index)) {
        (Some(op), Some(line)) => format!("{op} (line {line})"),
        (Some(op), None) => op.to_string(),
        (None, _) => format!("operation {index}"),
    }
}

/// "holds", "violated: <reason>; operations: ..." or "unknown: <reason>".
fn describe(answer: &Answer, history: &History, lines: &[usize]) -> String {
    match answer {
        Answer::Holds { .. } => "holds".into(),
        Answer::Violated { ops, reason, .. } => {
            let ops: Vec<String> = ops.iter().map(|&i| op_text(history, lines, i)).collect();
            format!("violated: {reason}; operations: {}", ops.join(", "))
        }
        Answer::Unknown { reason } => format!("unknown: {reason}"),
    }
}

#[derive(Serialize)]
struct FileReport<'a> {
    file: &'a str,
    model: &'static str,
    model_chosen_by_content: bool,
    operations: usize,
    consistency: BTreeMap<&'static str, AnswerReport>,
}

#[derive(Serialize)]
struct AnswerReport {
    verdict: &'static str,
    reason: Option<String>,
    culprit: Option<usize>,
    ops: Vec<OpReport>,
}

#[derive(Serialize)]
struct OpReport {
    index: usize,
    process: u64,
    f: &'static str,
    key: serde_json::Value,
    value: serde_json::Value,
    outcome: &'static str,
    line: Option<usize>,
}

fn answer_report(answer: &Answer, history: &History, lines: &[usize]) -> AnswerReport {
    let (reason, culprit, ops) = match answer {
        Answer::Holds { .. } => (None, None, &[][..]),
        Answer::Violated { ops, culprit, reason } => (Some(reason.clone()), Some(*culprit), &ops[..]),
        Answer::Unknown { reason } => (Some(reason.clone()), None, &[][..]),
    };
    let ops = ops
        .iter()
        .filter_map(|&index| history.ops.get(index).map(|op| op_report(op, index, lines.get(index).copied())))
        .collect();
    AnswerReport { verdict: answer.word(), reason, culprit, ops }
}

fn op_report(op: &Op, index: usize, line: Option<usize>) -> OpReport {
    let value = match &op.call {
        Call::Read => json(&op.value),
        Call::Cas(from, to) => serde_json::Value::Array(vec![json(from), json(to)]),
        Call::Write(v) | Call::Append(v) | Call::Add(v) => json(v),
    };
    OpReport {
        index,
        process: op.process,
        f: op.call.name(),
        key: json(&op.key),
        value,
        outcome: op.outcome.name(),
        line,
    }
}

fn json(value: &Val) -> serde_json::Value {
    match value {
        Val::Nil => serde_json::Value::Null,
        Val::Int(n) => (*n).into(),
        Val::Str(s) => s.clone().into(),
        Val::List(items) => items.iter().map(json).collect(),
    }
}
