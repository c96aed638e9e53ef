//! Fault scripts: timed actions written as text, e.g.
//!
//! ```text
//! 2s crash s1; 5s restart s1; 3s partition c1,s1 | s2,s3; 8s heal
//! 1s cut s1>s2; 1s cut s2-s3; 4s slow c1-s2 x10; 6s pause s2 800ms
//! 10s leave s3; 12s join s3; 15s set loss=20
//! ```
//!
//! Entries are separated by `;` or new lines. `cut a>b` cuts one direction, `cut a-b` both.
//! `set key=value` changes a lab parameter mid-run. Node names are checked by the lab.

use crate::sort;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

use crate::time::{format_duration, parse_duration, Micros};

/// One fault action. Nodes are named, so scripts stay readable and stable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultAction {
    Crash(String),
    Restart(String),
    Pause {
        node: String,
        span: Micros,
    },
    Join(String),
    Leave(String),
    Partition(Vec<Vec<String>>),
    Cut {
        from: String,
        to: String,
        both: bool,
    },
    Slow {
        a: String,
        b: String,
        factor: u32,
    },
    Heal,
    Set {
        key: String,
        value: String,
    },
    /// An operator's command to one node, e.g. `do p1 send p2` or `do c1 request`.
    Command {
        node: String,
        text: String,
    },
    /// The manual scheduler delivers message `#id` now.
    Deliver(u64),
    /// Switches the manual scheduler on (`scheduler manual`: every message waits to be
    /// delivered by hand) or off (`scheduler network`).
    Scheduler {
        manual: bool,
    },
}

/// An action at a point in virtual time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub at: Micros,
    pub action: FaultAction,
}

impl FaultAction {
    /// Every node name the action mentions.
    pub fn nodes(&self) -> Vec<&str> {
        match self {
            FaultAction::Crash(n) | FaultAction::Restart(n) | FaultAction::Join(n) | FaultAction::Leave(n) => {
                alloc::vec![n.as_str()]
            }
            FaultAction::Pause { node, .. } | FaultAction::Command { node, .. } => alloc::vec![node.as_str()],
            FaultAction::Partition(groups) => groups.iter().flatten().map(String::as_str).collect(),
            FaultAction::Cut { from, to, .. } => alloc::vec![from.as_str(), to.as_str()],
            FaultAction::Slow { a, b, .. } => alloc::vec![a.as_str(), b.as_str()],
            FaultAction::Heal | FaultAction::Set { .. } | FaultAction::Deliver(_) | FaultAction::Scheduler { .. } => {
                Vec::new()
            }
        }
    }
}

impl fmt::Display for FaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultAction::Crash(n) => write!(f, "crash {n}"),
            FaultAction::Restart(n) => write!(f, "restart {n}"),
            FaultAction::Pause { node, span } => write!(f, "pause {node} {}", format_duration(*span)),
            FaultAction::Join(n) => write!(f, "join {n}"),
            FaultAction::Leave(n) => write!(f, "leave {n}"),
            FaultAction::Partition(groups) => {
                let groups: Vec<String> = groups.iter().map(|g| g.join(",")).collect();
                write!(f, "partition {}", groups.join(" | "))
            }
            FaultAction::Cut { from, to, both } => write!(f, "cut {from}{}{to}", if *both { "-" } else { ">" }),
            FaultAction::Slow { a, b, factor } => write!(f, "slow {a}-{b} x{factor}"),
            FaultAction::Heal => write!(f, "heal"),
            FaultAction::Set { key, value } => write!(f, "set {key}={value}"),
            FaultAction::Command { node, text } => write!(f, "do {node} {text}"),
            FaultAction::Deliver(msg) => write!(f, "deliver #{msg}"),
            FaultAction::Scheduler { manual } => write!(f, "scheduler {}", if *manual { "manual" } else { "network" }),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", format_duration(self.at), self.action)
    }
}

fn node_name(word: Option<&str>, action: &str) -> Result<String, String> {
    let word = word.ok_or_else(|| format!("`{action}` needs a node name"))?;
    if word.is_empty() || word.len() > 16 || !word.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!("`{word}` is not a node name"));
    }
    Ok(word.to_string())
}

fn pair(word: Option<&str>, action: &str, separators: &[char]) -> Result<(String, String, char), String> {
    let word = word.ok_or_else(|| format!("`{action}` needs two nodes, like s1-s2"))?;
    let at = word.find(separators).ok_or_else(|| {
        format!(
            "`{word}` should be two nodes joined by {}",
            separators.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(" or ")
        )
    })?;
    let separator = word[at..].chars().next().unwrap_or('-');
    let (a, b) = (&word[..at], &word[at + separator.len_utf8()..]);
    Ok((node_name(Some(a), action)?, node_name(Some(b), action)?, separator))
}

/// Parses one action, without its time.
pub fn parse_action(text: &str) -> Result<FaultAction, String> {
    let mut words = text.split_whitespace();
    let verb = words.next().ok_or("empty action")?;
    let action = match verb {
        "crash" => FaultAction::Crash(node_name(words.next(), verb)?),
        "restart" => FaultAction::Restart(node_name(words.next(), verb)?),
        "join" => FaultAction::Join(node_name(words.next(), verb)?),
        "leave" => FaultAction::Leave(node_name(words.next(), verb)?),
        "pause" => {
            let node = node_name(words.next(), verb)?;
            let span = parse_duration(words.next().ok_or("`pause` needs a duration, like `pause s1 500ms`")?)?;
            FaultAction::Pause { node, span }
        }
        "heal" => FaultAction::Heal,
        "cut" => {
            let (from, to, separator) = pair(words.next(), verb, &['>', '-'])?;
            FaultAction::Cut { from, to, both: separator == '-' }
        }
        "slow" => {
            let (a, b, _) = pair(words.next(), verb, &['-'])?;
            let factor_text = words.next().unwrap_or("x10");
            let factor = factor_text
                .trim_start_matches('x')
                .parse::<u32>()
                .ok()
                .filter(|f| (1..=1000).contains(f))
                .ok_or_else(|| format!("`{factor_text}` is not a slow-down factor from x1 to x1000"))?;
            FaultAction::Slow { a, b, factor }
        }
        "partition" => {
            let rest = text.trim_start().strip_prefix("partition").unwrap_or("");
            let groups = rest
                .split('|')
                .map(|group| group.split(',').map(|n| node_name(Some(n.trim()), verb)).collect::<Result<Vec<_>, _>>())
                .collect::<Result<Vec<_>, _>>()?;
            if groups.len() < 2 && groups.iter().flatten().count() == 0 {
                return Err("`partition` needs groups, like `partition s1,s2 | s3`".into());
            }
            return Ok(FaultAction::Partition(groups));
        }
        "scheduler" => match words.next() {
            Some("manual") => FaultAction::Scheduler { manual: true },
            Some("network") => FaultAction::Scheduler { manual: false },
            _ => return Err("`scheduler` takes manual or network".into()),
        },
        "deliver" => {
            let id = words.next().ok_or("`deliver` needs a message id, like `deliver #12`")?;
            let msg = id.trim_start_matches('#').parse().map_err(|_| format!("`{id}` is not a message id like #12"))?;
            FaultAction::Deliver(msg)
        }
        "do" => {
            let node = node_name(words.next(), verb)?;
            let text: Vec<&str> = words.collect();
            let text = text.join(" ");
            if text.is_empty() || text.len() > 64 {
                return Err(format!("`do {node}` needs a command of 1 to 64 characters, like `do p1 send p2`"));
            }
            return Ok(FaultAction::Command { node, text });
        }
        "set" => {
            let assignment = words.next().ok_or("`set` needs key=value")?;
            let (key, value) =
                assignment.split_once('=').ok_or_else(|| format!("`{assignment}` should be key=value"))?;
            FaultAction::Set { key: key.to_string(), value: value.to_string() }
        }
        other => {
            return Err(format!(
            "unknown action `{other}` (expected crash, restart, pause, join, leave, partition, cut, slow, heal, set, do, deliver or scheduler)"
        ))
        }
    };
    match words.next() {
        Some(extra) => Err(format!("unexpected `{extra}` after `{verb}`")),
        None => Ok(action),
    }
}

/// Parses a whole script. Entries are sorted by time, keeping their written order on ties.
pub fn parse_script(text: &str) -> Result<Vec<Fault>, String> {
    let mut faults = Vec::new();
    for (index, entry) in text.split([';', '\n']).enumerate() {
        let entry = entry.trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        let (time, action) = entry
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("fault {}: `{entry}` should be `<time> <action>`, like `2s crash s1`", index + 1))?;
        let at = parse_duration(time).map_err(|e| format!("fault {}: {e}", index + 1))?;
        let action = parse_action(action).map_err(|e| format!("fault {} (`{entry}`): {e}", index + 1))?;
        faults.push(Fault { at, action });
    }
    sort::by_key(&mut faults, |f| f.at);
    Ok(faults)
}

/// Writes a script back as text that [`parse_script`] reads.
pub fn format_script(faults: &[Fault]) -> String {
    faults.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_action_and_round_trips() {
        let text = "2s crash s1; 5s restart s1; 3s partition c1,s1 | s2,s3\n1s cut s1>s2; 1s cut s2-s3; \
                    4s slow c1-s2 x10; 6s pause s2 800ms; 10s leave s3; 12s join s3; 15s set loss=20; 8s heal; \
                    9s do c1 request";
        let faults = parse_script(text).unwrap();
        assert_eq!(faults.len(), 12);
        assert_eq!(
            faults[0],
            Fault { at: 1_000_000, action: FaultAction::Cut { from: "s1".into(), to: "s2".into(), both: false } }
        );
        assert_eq!(parse_script(&format_script(&faults)).unwrap(), faults);
    }

    #[test]
    fn errors_point_at_the_entry() {
        assert!(parse_script("2s explode s1").unwrap_err().contains("fault 1"));
        assert!(parse_script("1s heal; crash").unwrap_err().contains("fault 2"));
        assert!(parse_script("2 crash s1").unwrap_err().contains("no unit"));
        assert!(parse_script("2s pause s1").unwrap_err().contains("duration"));
        assert!(parse_script("2s cut s1s2").unwrap_err().contains("two nodes"));
        assert!(parse_script("2s slow s1-s2 x0").unwrap_err().contains("factor"));
        assert!(parse_script("2s crash s1 now").unwrap_err().contains("unexpected"));
        assert!(parse_script("2s crash s$").unwrap_err().contains("not a node name"));
    }

    #[test]
    fn keeps_written_order_on_ties() {
        let faults = parse_script("1s crash a; 1s restart a").unwrap();
        assert_eq!(faults[0].action, FaultAction::Crash("a".into()));
    }
}
