//! What a run prints: a trace summary, metrics and verdicts, as text or as JSON.
//!
//! JSON objects keep a fixed key order (structs and `BTreeMap`s), so the same run prints the
//! same bytes.

use std::collections::BTreeMap;

use playground_core::invariant::{Status, Verdict};
use playground_core::lab::{LabInfo, ParamKind};
use playground_core::metrics::HistogramSummary;
use playground_core::time::{format_duration, format_time, Micros};
use serde::Serialize;

#[derive(Serialize)]
pub struct Report {
    pub lab: String,
    pub seed: u64,
    pub until_us: Micros,
    pub scenario: String,
    pub trace: TraceSummary,
    pub counters: BTreeMap<&'static str, u64>,
    pub latency: BTreeMap<&'static str, HistogramSummary>,
    pub verdicts: Vec<VerdictReport>,
    pub all_hold: bool,
}

#[derive(Serialize)]
pub struct TraceSummary {
    pub events: u64,
    pub digest: String,
    pub by_kind: BTreeMap<&'static str, u64>,
}

#[derive(Serialize)]
pub struct VerdictReport {
    pub name: &'static str,
    pub statement: &'static str,
    /// `true` or `false` once judged; `null` in JSON while the guarantee is not judged yet.
    pub holds: Option<bool>,
    /// Why a guarantee with no violation seen is not judged yet, if it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_judged: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation: Option<Violation>,
}

#[derive(Serialize)]
pub struct Violation {
    pub at_us: Micros,
    pub event: u64,
    pub event_text: Option<String>,
    pub detail: String,
    pub count: u64,
}

/// `culprits` holds the text of each event that broke a guarantee, captured while it was
/// still in the trace window.
pub fn verdict_report(verdict: &Verdict, culprits: &BTreeMap<u64, String>) -> VerdictReport {
    let violation = match &verdict.status {
        Status::Holds => None,
        Status::Violated { at, event, detail, count } => Some(Violation {
            at_us: *at,
            event: *event,
            event_text: culprits.get(event).cloned(),
            detail: detail.clone(),
            count: *count,
        }),
    };
    let not_judged = verdict.pending.clone().filter(|_| violation.is_none());
    let holds = if not_judged.is_some() { None } else { Some(violation.is_none()) };
    VerdictReport { name: verdict.name, statement: verdict.statement, holds, not_judged, violation }
}

pub fn print_text(report: &Report) {
    say!("lab {}  seed {}  ran {}  ({})", report.lab, report.seed, format_time(report.until_us), report.scenario);
    say!("\ntrace: {} events, digest {}", report.trace.events, report.trace.digest);
    let kinds: Vec<String> = report.trace.by_kind.iter().map(|(k, v)| format!("{k} {v}")).collect();
    say!("  {}", kinds.join(", "));
    say!("\nmetrics:");
    for (name, value) in &report.counters {
        say!("  {name:<28} {value}");
    }
    for (name, h) in &report.latency {
        say!(
            "  {name:<28} n={} mean {} p50 {} p90 {} p99 {} max {}",
            h.count,
            format_duration(h.mean_us),
            format_duration(h.p50_us),
            format_duration(h.p90_us),
            format_duration(h.p99_us),
            format_duration(h.max_us)
        );
    }
    say!("\nguarantees:");
    for v in &report.verdicts {
        match &v.violation {
            None => match &v.not_judged {
                Some(why) => say!("  not yet   {}: {} ({why})", v.name, v.statement),
                None => say!("  holds     {}: {}", v.name, v.statement),
            },
            Some(violation) => {
                say!("  VIOLATED  {}: {}", v.name, v.statement);
                say!(
                    "            first at {}: {} ({} in all)",
                    format_time(violation.at_us),
                    violation.detail,
                    violation.count
                );
                if let Some(text) = &violation.event_text {
                    say!("            event: {}", text.trim());
                }
            }
        }
    }
}

#[derive(Serialize)]
struct ParamJson {
    key: &'static str,
    kind: String,
    default: &'static str,
    per_node: bool,
    live: bool,
    help: &'static str,
}

#[derive(Serialize)]
struct LabJson {
    name: &'static str,
    title: &'static str,
    available: bool,
    summary: String,
    params: Vec<ParamJson>,
}

fn kind_text(kind: ParamKind) -> String {
    match kind {
        ParamKind::Int { min, max, unit } => format!("{min}..{max} {unit}").trim_end().to_string(),
        ParamKind::Bool => "on|off".into(),
        ParamKind::Choice(options) => options.join("|"),
    }
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn print_labs(labs: &[LabInfo], json: bool) {
    if json {
        let labs: Vec<LabJson> = labs
            .iter()
            .map(|lab| LabJson {
                name: lab.name,
                title: lab.title,
                available: lab.available(),
                summary: squash(lab.summary),
                params: lab
                    .params
                    .iter()
                    .map(|p| ParamJson {
                        key: p.key,
                        kind: kind_text(p.kind),
                        default: p.default,
                        per_node: p.per_node,
                        live: p.live,
                        help: p.help,
                    })
                    .collect(),
            })
            .collect();
        say!("{}", serde_json::to_string_pretty(&labs).unwrap_or_default());
        return;
    }
    for lab in labs {
        let state = if lab.available() { "" } else { "  (not built yet)" };
        say!("{:<13} {}{state}", lab.name, lab.title);
        say!("              {}", squash(lab.summary));
        for p in lab.params {
            let scope = if p.per_node { " [per node]" } else { "" };
            say!("    {:<13} {:<22} default {:<6} {}{scope}", p.key, kind_text(p.kind), p.default, p.help);
        }
        say!();
    }
}
