//! Reading and writing Jepsen histories.
//!
//! [`parse`] reads the two formats Jepsen has written, told apart by the file's first line
//! that is not blank:
//! - one EDN map per line, as `jepsen.history` writes them (and as Porcupine's key-value test
//!   data comes): `{:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}`,
//!   perhaps with `:time` (nanoseconds) and `:index`; a Knossos-style vector of such maps,
//!   one per line, reads too;
//! - the older `jepsen.util` log lines (as in Porcupine's etcd test data):
//!   `INFO  jepsen.util - 3 :invoke :cas [1 2]` (tab-separated); other lines are skipped.
//!
//! Invocations and completions pair by process. Without `:time`, a line's number is its
//! time, so real-time order is the file's order. `:info` is unknown, and so is a read that
//! failed with `:timed-out`; an invocation never completed stays open. The `:nemesis`
//! process is skipped. [`write`] writes a history back as EDN lines with `:time`.

mod reader;
#[cfg(test)]
mod tests;

use crate::sort;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::{self, Write as _};

use super::{Call, History, Outcome, Val};
use reader::{Edn, Reader};

/// Why a history could not be read: the line (1-based; 0 for the file as a whole) and a
/// sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl core::error::Error for ParseError {}

/// Reads a history in either format.
pub fn parse(text: &str) -> Result<History, ParseError> {
    parse_with_lines(text).map(|(history, _)| history)
}

/// Reads a history, with the (1-based) line of each operation's invocation.
pub fn parse_with_lines(text: &str) -> Result<(History, Vec<usize>), ParseError> {
    let maps = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with('{') || l.starts_with("[{") || l == "[");
    let mut builder = Builder::default();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let event = if maps { map_line(line) } else { log_line(line) };
        let fail = |message| ParseError { line: number, message };
        if let Some(event) = event.map_err(fail)? {
            builder.apply(event, number).map_err(fail)?;
        }
    }
    builder.finish()
}

/// The functions a history may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Function {
    Read,
    Write,
    Cas,
    Append,
    Add,
}

impl Function {
    fn named(name: &str) -> Result<Function, String> {
        Ok(match name {
            "read" | "get" => Function::Read,
            "write" | "put" => Function::Write,
            "cas" => Function::Cas,
            "append" => Function::Append,
            "add" => Function::Add,
            _ => return Err(format!("unknown function :{name} (expected read, get, write, put, cas, append or add)")),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Function::Read => "read",
            Function::Write => "write",
            Function::Cas => "cas",
            Function::Append => "append",
            Function::Add => "add",
        }
    }
}

/// An invocation (`None`) or a completion.
fn kind_named(name: &str) -> Result<Option<Outcome>, String> {
    match name {
        "invoke" => Ok(None),
        "ok" => Ok(Some(Outcome::Ok)),
        "fail" => Ok(Some(Outcome::Fail)),
        "info" => Ok(Some(Outcome::Info)),
        _ => Err(format!("unknown :type :{name} (expected :invoke, :ok, :fail or :info)")),
    }
}

/// One line's event.
struct Event {
    process: u64,
    completes: Option<Outcome>,
    function: Function,
    key: Option<Val>,
    /// The value, or why it could not be read (an error only where the value matters).
    value: Result<Edn, String>,
    time: Option<u64>,
}

/// A line of the EDN format: an event, nothing (blank, or the nemesis), or an error.
fn map_line(line: &str) -> Result<Option<Event>, String> {
    let mut line = line.trim();
    if line.starts_with("[{") || line == "[" {
        line = &line[1..];
    }
    if line.ends_with("}]") || line == "]" {
        line = &line[..line.len() - 1];
    }
    if line.is_empty() {
        return Ok(None);
    }
    if !line.starts_with('{') {
        return Err("expected an EDN map, like {:process 0, :type :invoke, :f :read, :value nil}".into());
    }
    let mut reader = Reader::new(line);
    let map = reader.value()?;
    if !reader.at_end() {
        let rest: String = reader.rest().chars().take(30).collect();
        return Err(format!("there is more after the map: `{rest}`"));
    }
    let field = |name: &str| map.get(name).ok_or_else(|| format!("the map has no :{name}"));
    let process = match field("process")? {
        Edn::Keyword(k) if k == "nemesis" => return Ok(None),
        Edn::Int(n) if *n >= 0 => *n as u64,
        other => return Err(format!("the :process must be a whole number or :nemesis, not {other}")),
    };
    let name = |name: &str| {
        field(name).and_then(|v| v.name().map(str::to_string).ok_or_else(|| format!("the :{name} {v} is not a name")))
    };
    let completes = kind_named(&name("type")?)?;
    let function = Function::named(&name("f")?)?;
    let key = map.get("key").map(val).transpose()?;
    let value = Ok(map.get("value").cloned().unwrap_or(Edn::Nil));
    let time = match map.get("time") {
        None => None,
        Some(Edn::Int(t)) if *t >= 0 => Some(*t as u64),
        Some(other) => return Err(format!("the :time must be a whole number of nanoseconds, not {other}")),
    };
    Ok(Some(Event { process, completes, function, key, value, time }))
}

/// Splits off the first whitespace-separated word.
fn word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

/// A line of the `jepsen.util` log format: an event, or nothing when the line is not one.
fn log_line(line: &str) -> Result<Option<Event>, String> {
    let Some((_, rest)) = line.split_once("jepsen.util -") else {
        return Ok(None);
    };
    let (process, rest) = word(rest);
    let (kind, rest) = word(rest);
    let (function, rest) = word(rest);
    let (Some(kind), Some(function)) = (kind.strip_prefix(':'), function.strip_prefix(':')) else {
        return Ok(None);
    };
    let Ok(process) = process.parse::<u64>() else {
        return Ok(None); // the nemesis, or not an operation
    };
    let rest = rest.trim();
    let value = if rest.is_empty() {
        Ok(Edn::Nil)
    } else {
        Reader::new(rest).value().map_err(|e| format!("cannot read the value `{rest}`: {e}"))
    };
    Ok(Some(Event {
        process,
        completes: kind_named(kind)?,
        function: Function::named(function)?,
        key: None,
        value,
        time: None,
    }))
}

/// A history value from an EDN value.
fn val(edn: &Edn) -> Result<Val, String> {
    Ok(match edn {
        Edn::Nil => Val::Nil,
        Edn::Int(n) => Val::Int(*n),
        Edn::Bool(b) => Val::Str(b.to_string()),
        Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => Val::Str(s.clone()),
        Edn::List(items) => Val::List(items.iter().map(val).collect::<Result<_, _>>()?),
        Edn::Map(_) => return Err(format!("a map like {edn} is not a value a history can hold")),
    })
}

#[derive(Default)]
struct Builder {
    history: History,
    lines: Vec<usize>,
    /// Each process's open operation.
    open: BTreeMap<u64, usize>,
    /// Whether the lines give `:time` (decided by the first operation).
    timed: Option<bool>,
}

impl Builder {
    fn apply(&mut self, event: Event, line: usize) -> Result<(), String> {
        let at = match (event.time, self.timed) {
            (Some(_), Some(false)) => return Err("this line has a :time but the lines before it do not".into()),
            (None, Some(true)) => return Err("this line has no :time but the lines before it do".into()),
            (Some(t), _) => t,
            (None, _) => line as u64,
        };
        self.timed = Some(event.time.is_some());
        let (p, f) = (event.process, event.function.name());
        let Some(outcome) = event.completes else {
            if let Some(&open) = self.open.get(&p) {
                let (was, from) = (self.history.ops[open].call.name(), self.lines[open]);
                return Err(format!("process {p} invokes a {f} while its {was} from line {from} is still open"));
            }
            let value = event.value?;
            let call = match event.function {
                Function::Read => Call::Read,
                Function::Write => Call::Write(val(&value)?),
                Function::Append => Call::Append(val(&value)?),
                Function::Add => Call::Add(val(&value)?),
                Function::Cas => match &value {
                    Edn::List(pair) if pair.len() == 2 => Call::Cas(val(&pair[0])?, val(&pair[1])?),
                    _ => return Err(format!("a cas needs the value [from to], not {value}")),
                },
            };
            let index = self.history.invoke(p, event.key.unwrap_or(Val::Nil), call, at);
            self.lines.push(line);
            self.open.insert(p, index);
            return Ok(());
        };
        let Some(&index) = self.open.get(&p) else {
            return Err(format!("process {p} completes a {f} (:{}) but has no open operation", outcome.name()));
        };
        let op = &self.history.ops[index];
        if op.call.name() != f {
            let (was, from) = (op.call.name(), self.lines[index]);
            return Err(format!("process {p} completes a {f}, but its open operation is the {was} from line {from}"));
        }
        if let Some(key) = event.key.as_ref().filter(|&k| k != &op.key) {
            return Err(format!("the completion's :key {key} is not the invocation's {}", op.key));
        }
        if at < op.invoke {
            return Err(format!("the completion's :time {at} is before its invocation's {}", op.invoke));
        }
        let timed_out = matches!(&event.value, Ok(Edn::Keyword(k)) if k == "timed-out");
        let (outcome, value) = match (event.function, outcome) {
            (Function::Read, Outcome::Ok) => (Outcome::Ok, val(&event.value?)?),
            (Function::Read, Outcome::Fail) if timed_out => (Outcome::Info, Val::Nil),
            (_, outcome) => (outcome, Val::Nil),
        };
        self.open.remove(&p);
        self.history.complete(index, outcome, value, at);
        Ok(())
    }

    fn finish(self) -> Result<(History, Vec<usize>), ParseError> {
        let Builder { mut history, mut lines, .. } = self;
        if history.ops.is_empty() {
            return Err(ParseError { line: 0, message: "no operations".into() });
        }
        if !history.ops.is_sorted_by_key(|op| op.invoke) {
            let mut order: Vec<usize> = (0..history.ops.len()).collect();
            sort::by_key(&mut order, |&i| history.ops[i].invoke);
            history.ops = order.iter().map(|&i| history.ops[i].clone()).collect();
            lines = order.iter().map(|&i| lines[i]).collect();
        }
        Ok((history, lines))
    }
}

/// Writes `value` as EDN.
fn edn(out: &mut String, value: &Val) {
    match value {
        Val::Nil => out.push_str("nil"),
        Val::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Val::Str(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Val::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                edn(out, item);
            }
            out.push(']');
        }
    }
}

/// Writes a history as EDN lines, invocations and completions in time order, each with its
/// `:time`; [`parse`] reads it back as the same history.
pub fn write(h: &History) -> String {
    // (time, is a completion, operation): at the same time completions come first, then
    // invocations in the history's order.
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(h.ops.len() * 2);
    for (i, op) in h.ops.iter().enumerate() {
        events.push((op.invoke, false, i));
        if let Some(t) = op.complete {
            events.push((t, true, i));
        }
    }
    sort::by_key(&mut events, |&(t, done, i)| (t, !done, i));
    // An operation that completes at the instant it was invoked: its completion waits for
    // its invocation.
    let mut invoked = alloc::vec![false; h.ops.len()];
    let mut ordered = Vec::with_capacity(events.len());
    let mut start = 0;
    while start < events.len() {
        let end = start + events[start..].iter().take_while(|e| e.0 == events[start].0).count();
        let mut group: Vec<(u64, bool, usize)> = events[start..end].to_vec();
        while !group.is_empty() {
            let next = group.iter().position(|&(_, done, i)| !done || invoked[i]).unwrap_or(0);
            let event = group.remove(next);
            invoked[event.2] = true;
            ordered.push(event);
        }
        start = end;
    }
    let mut out = String::new();
    for (index, (time, done, i)) in ordered.into_iter().enumerate() {
        let op = &h.ops[i];
        let kind = if done { op.outcome.name() } else { "invoke" };
        let _ = write!(
            out,
            "{{:index {index}, :time {time}, :type :{kind}, :process {}, :f :{}",
            op.process,
            op.call.name()
        );
        if op.key != Val::Nil {
            out.push_str(", :key ");
            edn(&mut out, &op.key);
        }
        out.push_str(", :value ");
        match (&op.call, done) {
            (Call::Read, true) => edn(&mut out, &op.value),
            (Call::Read, false) => out.push_str("nil"),
            (Call::Cas(from, to), _) => edn(&mut out, &Val::List(alloc::vec![from.clone(), to.clone()])),
            (Call::Write(v) | Call::Append(v) | Call::Add(v), _) => edn(&mut out, v),
        }
        out.push_str("}\n");
    }
    out
}
