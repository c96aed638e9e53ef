//! The trace as JSON lines: one typed event per line, for notebooks, `jq` and other tools.
//!
//! The first line describes the run (`"type":"run"`: the schema version, lab, seed, the
//! scenario's share-link form and the node names); every other line is one event, with the
//! fields of its kind. The schema is documented in `docs/TRACE.md`; a field is never renamed
//! within a schema version. Nodes are written by name, times in microseconds (`at_us`).
//!
//! The exporter replays the scenario from the start, so the file holds every event, not only
//! the window a running page keeps, and two exports of one link are the same bytes.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::lab::LabRun;
use crate::scenario::Scenario;
use crate::time::Micros;
use crate::trace::{Event, EventKind, NodeId};

/// The schema version written in the first line.
pub const SCHEMA: u32 = 1;

/// Appends `text` as a JSON string, quotes included.
pub fn push_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A node's name, or `?` for an id the run does not know.
fn name(names: &[String], id: NodeId) -> &str {
    names.get(usize::from(id)).map_or("?", String::as_str)
}

/// A JSON object written field by field.
struct Object<'a> {
    out: &'a mut String,
    names: &'a [String],
}

impl Object<'_> {
    fn key(&mut self, key: &str) {
        self.out.push(',');
        push_str(self.out, key);
        self.out.push(':');
    }
    fn num(&mut self, key: &str, value: u64) {
        self.key(key);
        let _ = write!(self.out, "{value}");
    }
    fn text(&mut self, key: &str, value: &str) {
        self.key(key);
        push_str(self.out, value);
    }
    fn node(&mut self, key: &str, id: NodeId) {
        self.text(key, name(self.names, id));
    }
    fn maybe_text(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(value) => self.text(key, value),
            None => {
                self.key(key);
                self.out.push_str("null");
            }
        }
    }
}

/// The first line: what run the events belong to.
pub fn header_line(scenario: &Scenario, names: &[String]) -> String {
    let mut out = String::new();
    let _ = write!(out, "{{\"type\":\"run\",\"schema\":{SCHEMA}");
    let mut o = Object { out: &mut out, names };
    o.text("lab", &scenario.lab);
    o.num("seed", scenario.seed);
    o.text("scenario", &scenario.encode());
    o.key("nodes");
    o.out.push('[');
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            o.out.push(',');
        }
        push_str(o.out, name);
    }
    o.out.push_str("]}");
    out
}

/// One event as one line. `detail` is the content of a send or an observation, when known.
pub fn event_line(event: &Event, names: &[String], detail: Option<&str>) -> String {
    let mut out = String::with_capacity(96);
    let _ = write!(out, "{{\"seq\":{},\"at_us\":{}", event.seq, event.at);
    let mut o = Object { out: &mut out, names };
    o.text("type", event.kind.name());
    match &event.kind {
        EventKind::Send { msg, from, to, kind, bytes } => {
            o.num("msg", *msg);
            o.node("from", *from);
            o.node("to", *to);
            o.text("kind", kind);
            o.num("bytes", u64::from(*bytes));
            o.maybe_text("detail", detail);
        }
        EventKind::Deliver { msg, from, to, kind } => {
            o.num("msg", *msg);
            o.node("from", *from);
            o.node("to", *to);
            o.text("kind", kind);
        }
        EventKind::Drop { msg, from, to, reason } => {
            o.num("msg", *msg);
            o.node("from", *from);
            o.node("to", *to);
            o.text("reason", reason.label());
        }
        EventKind::Duplicate { msg, copy } | EventKind::Replay { msg, copy } => {
            o.num("msg", *msg);
            o.num("copy", *copy);
        }
        EventKind::Tamper { msg } => o.num("msg", *msg),
        EventKind::Timer { node, timer } => {
            o.node("node", *node);
            o.text("timer", timer);
        }
        EventKind::Crash { node }
        | EventKind::Restart { node }
        | EventKind::Resume { node }
        | EventKind::Join { node }
        | EventKind::Leave { node } => o.node("node", *node),
        EventKind::Pause { node, until } => {
            o.node("node", *node);
            o.num("until_us", *until);
        }
        EventKind::Partition { groups } => {
            o.key("groups");
            o.out.push('[');
            for (i, group) in groups.iter().enumerate() {
                o.out.push_str(if i == 0 { "[" } else { ",[" });
                for (j, id) in group.iter().enumerate() {
                    if j > 0 {
                        o.out.push(',');
                    }
                    push_str(o.out, name(o.names, *id));
                }
                o.out.push(']');
            }
            o.out.push(']');
        }
        EventKind::Cut { from, to } => {
            o.node("from", *from);
            o.node("to", *to);
        }
        EventKind::Slow { a, b, factor } => {
            o.node("a", *a);
            o.node("b", *b);
            o.num("factor", u64::from(*factor));
        }
        EventKind::Heal => {}
        EventKind::Set { key, value } => {
            o.text("key", key);
            o.text("value", value);
        }
        EventKind::Command { node, text } => {
            o.node("node", *node);
            o.text("text", text);
        }
        EventKind::ClientRequest { node } | EventKind::ClientResponse { node } | EventKind::StateChange { node } => {
            o.node("node", *node);
            o.maybe_text("detail", detail);
        }
        EventKind::Note { node, text } => {
            match node {
                Some(node) => o.node("node", *node),
                None => o.maybe_text("node", None),
            }
            o.text("text", text);
        }
        EventKind::Verdict { invariant, holds, detail: why, culprit } => {
            o.text("invariant", invariant);
            o.key("holds");
            o.out.push_str(if *holds { "true" } else { "false" });
            o.text("detail", why);
            o.key("culprit");
            match culprit {
                Some(seq) => {
                    let _ = write!(o.out, "{seq}");
                }
                None => o.out.push_str("null"),
            }
        }
    }
    out.push('}');
    out
}

/// Follows a run, turning each new event into a line as it happens (the content of sends and
/// observations is only kept for a while, so lines are written as the run goes).
pub struct Exporter {
    names: Vec<String>,
    seen: u64,
}

impl Exporter {
    /// Starts following `run`; the returned line is the header.
    pub fn new(run: &dyn LabRun, scenario: &Scenario) -> (Exporter, String) {
        let names = run.names();
        let header = header_line(scenario, &names);
        (Exporter { names, seen: 0 }, header)
    }

    /// Hands every event since the last call to `line`.
    pub fn drain(&mut self, run: &dyn LabRun, mut line: impl FnMut(String)) {
        for event in run.trace().since(self.seen) {
            let detail = match event.kind {
                EventKind::Send { .. }
                | EventKind::ClientRequest { .. }
                | EventKind::ClientResponse { .. }
                | EventKind::StateChange { .. } => run.detail(event.seq),
                _ => None,
            };
            line(event_line(event, &self.names, detail.as_deref()));
        }
        self.seen = run.trace().total();
    }
}

/// A trace export in progress: the scenario replayed from the start to `until`, as JSON lines,
/// header first, at most `max_events` events. A page advances it a slice at a time, so a
/// long run never holds up a frame; [`json_lines`] runs it in one go.
pub struct TraceExport {
    run: alloc::boxed::Box<dyn LabRun>,
    exporter: Exporter,
    out: String,
    count: u64,
    until: Micros,
    max_events: u64,
    /// The run had nothing more to do though its next event was due (it stopped itself).
    stopped: bool,
}

impl TraceExport {
    pub fn start(scenario: &Scenario, until: Micros, max_events: u64) -> Result<TraceExport, String> {
        let run = crate::lab::start(scenario).map_err(|e| alloc::string::ToString::to_string(&e))?;
        let (exporter, header) = Exporter::new(run.as_ref(), scenario);
        let mut export = TraceExport { run, exporter, out: header, count: 0, until, max_events, stopped: false };
        export.out.push('\n');
        export.take_lines();
        Ok(export)
    }

    fn take_lines(&mut self) {
        let (out, count, max) = (&mut self.out, &mut self.count, self.max_events);
        self.exporter.drain(self.run.as_ref(), |line| {
            if *count < max {
                out.push_str(&line);
                out.push('\n');
            }
            *count += 1;
        });
    }

    fn done(&self) -> bool {
        self.stopped || self.count >= self.max_events || self.run.next_time().is_none_or(|t| t > self.until)
    }

    /// Processes up to `events` more events; true once the export is complete.
    pub fn advance(&mut self, events: u64) -> bool {
        for _ in 0..events {
            if self.done() {
                break;
            }
            if !self.run.step() {
                self.stopped = true;
                break;
            }
            self.take_lines();
        }
        self.done()
    }

    /// How far the replay has come, from 0 to 1.
    pub fn progress(&self) -> f64 {
        if self.done() {
            return 1.0;
        }
        let by_time = self.run.now() as f64 / self.until.max(1) as f64;
        let by_count = self.count as f64 / self.max_events.max(1) as f64;
        by_time.max(by_count).min(1.0)
    }

    /// The JSON lines, and whether the run had more events than were written.
    pub fn finish(self) -> (String, bool) {
        let more = self.count > self.max_events || self.run.next_time().is_some_and(|t| t <= self.until);
        (self.out, more)
    }
}

/// Replays `scenario` from the start to `until` and returns its trace as JSON lines, header
/// first, at most `max_events` events; the second value says whether the run had more.
pub fn json_lines(scenario: &Scenario, until: Micros, max_events: u64) -> Result<(String, bool), String> {
    let mut export = TraceExport::start(scenario, until, max_events)?;
    while !export.advance(u64::MAX) {}
    Ok(export.finish())
}
