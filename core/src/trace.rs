//! The trace: one event vocabulary for the simulator, replay, the CLI and the UI.
//!
//! Every event the simulator processes, every fault it applies and every verdict an invariant
//! reaches becomes one [`Event`]. The trace keeps a bounded window of recent events for display
//! and a running FNV-1a digest over *all* events, so a one-hour run stays small in memory yet
//! two runs can be compared bit for bit.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::Serialize;

use crate::digest::{hash_encoded, Fnv64};
use crate::time::{format_time, Micros};

pub type NodeId = u16;
pub type MsgId = u64;

/// Why a message never reached its destination's handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum DropReason {
    /// Random loss on the wire.
    Loss,
    /// Sender and receiver sit in different partition groups.
    Partition,
    /// The link was cut in this direction.
    LinkCut,
    /// The receiver was crashed or had left.
    NodeDown,
    /// Authentication caught a tampered message.
    AuthFailed,
    /// The bytes no longer decode (tampered, no authentication).
    Corrupt,
    /// The receiver speaks an older protocol version than the frame.
    VersionMismatch,
    /// The receiver's inbox was full: its CPU is so far behind that it sheds arrivals, as a
    /// real receive buffer does.
    InboxFull,
}

impl DropReason {
    pub const ALL: [DropReason; 8] = [
        DropReason::Loss,
        DropReason::Partition,
        DropReason::LinkCut,
        DropReason::NodeDown,
        DropReason::AuthFailed,
        DropReason::Corrupt,
        DropReason::VersionMismatch,
        DropReason::InboxFull,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::LinkCut => "link-cut",
            DropReason::NodeDown => "node-down",
            DropReason::AuthFailed => "auth-failed",
            DropReason::Corrupt => "corrupt",
            DropReason::VersionMismatch => "version-mismatch",
            DropReason::InboxFull => "inbox-full",
        }
    }

    /// The name of its counter in a run's report, e.g. `dropped: link cut`.
    pub fn counter_name(self) -> &'static str {
        match self {
            DropReason::Loss => "dropped: loss",
            DropReason::Partition => "dropped: partition",
            DropReason::LinkCut => "dropped: link cut",
            DropReason::NodeDown => "dropped: node down",
            DropReason::AuthFailed => "dropped: auth failed",
            DropReason::Corrupt => "dropped: corrupt",
            DropReason::VersionMismatch => "dropped: version mismatch",
            DropReason::InboxFull => "dropped: inbox full",
        }
    }
}

/// What happened. The names follow DESIGN.md's event vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum EventKind {
    /// The message's brief (its typed content) is hashed into the digest and kept by the
    /// simulator for display; see [`EventText::detail`].
    Send {
        msg: MsgId,
        from: NodeId,
        to: NodeId,
        kind: &'static str,
        bytes: u32,
    },
    Deliver {
        msg: MsgId,
        from: NodeId,
        to: NodeId,
        kind: &'static str,
    },
    Drop {
        msg: MsgId,
        from: NodeId,
        to: NodeId,
        reason: DropReason,
    },
    Duplicate {
        msg: MsgId,
        copy: MsgId,
    },
    Tamper {
        msg: MsgId,
    },
    Replay {
        msg: MsgId,
        copy: MsgId,
    },
    Timer {
        node: NodeId,
        timer: &'static str,
    },
    Crash {
        node: NodeId,
    },
    Restart {
        node: NodeId,
    },
    Pause {
        node: NodeId,
        until: Micros,
    },
    Resume {
        node: NodeId,
    },
    Join {
        node: NodeId,
    },
    Leave {
        node: NodeId,
    },
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    Cut {
        from: NodeId,
        to: NodeId,
    },
    Slow {
        a: NodeId,
        b: NodeId,
        factor: u32,
    },
    Heal,
    Set {
        key: String,
        value: String,
    },
    /// An observation; its typed content is hashed into the digest and rendered on demand.
    ClientRequest {
        node: NodeId,
    },
    ClientResponse {
        node: NodeId,
    },
    StateChange {
        node: NodeId,
    },
    Note {
        node: Option<NodeId>,
        text: String,
    },
    Verdict {
        invariant: &'static str,
        holds: bool,
        detail: String,
        culprit: Option<u64>,
    },
    // New kinds go last: the digest hashes each event's encoding, variant index included.
    Command {
        node: NodeId,
        text: String,
    },
}

/// How many kinds of event there are; [`EventKind::index`] is below it.
pub const KINDS: usize = 24;

impl EventKind {
    /// The kind's position in the encoding, stable across versions (new kinds go last).
    pub fn index(&self) -> usize {
        match self {
            Self::Send { .. } => 0,
            Self::Deliver { .. } => 1,
            Self::Drop { .. } => 2,
            Self::Duplicate { .. } => 3,
            Self::Tamper { .. } => 4,
            Self::Replay { .. } => 5,
            Self::Timer { .. } => 6,
            Self::Crash { .. } => 7,
            Self::Restart { .. } => 8,
            Self::Pause { .. } => 9,
            Self::Resume { .. } => 10,
            Self::Join { .. } => 11,
            Self::Leave { .. } => 12,
            Self::Partition { .. } => 13,
            Self::Cut { .. } => 14,
            Self::Slow { .. } => 15,
            Self::Heal => 16,
            Self::Set { .. } => 17,
            Self::ClientRequest { .. } => 18,
            Self::ClientResponse { .. } => 19,
            Self::StateChange { .. } => 20,
            Self::Note { .. } => 21,
            Self::Verdict { .. } => 22,
            Self::Command { .. } => 23,
        }
    }

    /// The name of each kind, by [`EventKind::index`].
    pub const NAMES: [&'static str; KINDS] = [
        "send",
        "deliver",
        "drop",
        "duplicate",
        "tamper",
        "replay",
        "timer",
        "crash",
        "restart",
        "pause",
        "resume",
        "join",
        "leave",
        "partition",
        "cut",
        "slow",
        "heal",
        "set",
        "client-request",
        "client-response",
        "state",
        "note",
        "verdict",
        "command",
    ];

    /// A short stable name for counting and filtering.
    pub fn name(&self) -> &'static str {
        Self::NAMES[self.index()]
    }
}

/// One entry in the trace: when, in which order, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    pub seq: u64,
    pub at: Micros,
    pub kind: EventKind,
}

impl Event {
    /// Folds the event into the digest, field by field as whole words: the same on every
    /// target, and much cheaper than serializing it.
    pub fn hash_into(&self, h: &mut Fnv64) {
        h.write_u64(self.seq);
        h.write_u64(self.at);
        let node = |h: &mut Fnv64, id: NodeId| h.write_u64(u64::from(id));
        let variant = self.kind.index() as u64;
        h.write_u64(variant);
        match &self.kind {
            EventKind::Send { msg, from, to, kind, bytes } => {
                h.write_u64(*msg);
                h.write_u64(u64::from(*from) << 16 | u64::from(*to));
                h.write_str(kind);
                h.write_u64(u64::from(*bytes));
            }
            EventKind::Deliver { msg, from, to, kind } => {
                h.write_u64(*msg);
                h.write_u64(u64::from(*from) << 16 | u64::from(*to));
                h.write_str(kind);
            }
            EventKind::Drop { msg, from, to, reason } => {
                h.write_u64(*msg);
                h.write_u64(u64::from(*from) << 16 | u64::from(*to));
                h.write_u64(*reason as u64);
            }
            EventKind::Duplicate { msg, copy } | EventKind::Replay { msg, copy } => {
                h.write_u64(*msg);
                h.write_u64(*copy);
            }
            EventKind::Tamper { msg } => h.write_u64(*msg),
            EventKind::Timer { node: n, timer } => {
                node(h, *n);
                h.write_str(timer);
            }
            EventKind::Crash { node: n }
            | EventKind::Restart { node: n }
            | EventKind::Resume { node: n }
            | EventKind::Join { node: n }
            | EventKind::Leave { node: n }
            | EventKind::ClientRequest { node: n }
            | EventKind::ClientResponse { node: n }
            | EventKind::StateChange { node: n } => node(h, *n),
            EventKind::Pause { node: n, until } => {
                node(h, *n);
                h.write_u64(*until);
            }
            EventKind::Partition { groups } => {
                h.write_u64(groups.len() as u64);
                for group in groups {
                    h.write_u64(group.len() as u64);
                    group.iter().for_each(|&n| node(h, n));
                }
            }
            EventKind::Cut { from, to } => h.write_u64(u64::from(*from) << 16 | u64::from(*to)),
            EventKind::Slow { a, b, factor } => {
                h.write_u64(u64::from(*a) << 16 | u64::from(*b));
                h.write_u64(u64::from(*factor));
            }
            EventKind::Heal => {}
            EventKind::Set { key, value } => {
                h.write_str(key);
                h.write_str(value);
            }
            EventKind::Note { node: n, text } => {
                h.write_u64(n.map_or(u64::MAX, u64::from));
                h.write_str(text);
            }
            EventKind::Verdict { invariant, holds, detail, culprit } => {
                h.write_str(invariant);
                h.write_u64(u64::from(*holds));
                h.write_str(detail);
                h.write_u64(culprit.map_or(u64::MAX, |c| c));
            }
            EventKind::Command { node: n, text } => {
                node(h, *n);
                h.write_str(text);
            }
        }
    }
}

/// Renders events as stable text lines, with node names resolved. Golden traces use this.
pub struct EventText<'a> {
    pub event: &'a Event,
    pub names: &'a [String],
    /// The rendered content of a send or an observation (a running lab's `detail`), when it
    /// is still kept.
    pub detail: Option<String>,
}

impl fmt::Display for EventText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |id: &NodeId| self.names.get(usize::from(*id)).map_or("?", String::as_str);
        let e = self.event;
        let detail = self.detail.as_deref().unwrap_or("…");
        write!(f, "{:>6} {} ", e.seq, format_time(e.at))?;
        match &e.kind {
            EventKind::Send { msg, from, to, kind, bytes } => {
                write!(f, "send      #{msg} {}->{} {kind} {bytes}B {detail}", n(from), n(to))
            }
            EventKind::Deliver { msg, from, to, kind } => {
                write!(f, "deliver   #{msg} {}->{} {kind}", n(from), n(to))
            }
            EventKind::Drop { msg, from, to, reason } => {
                write!(f, "drop      #{msg} {}->{} {}", n(from), n(to), reason.label())
            }
            EventKind::Duplicate { msg, copy } => write!(f, "duplicate #{msg} as #{copy}"),
            EventKind::Tamper { msg } => write!(f, "tamper    #{msg}"),
            EventKind::Replay { msg, copy } => write!(f, "replay    #{msg} as #{copy}"),
            EventKind::Timer { node, timer } => write!(f, "timer     {} {timer}", n(node)),
            EventKind::Crash { node } => write!(f, "crash     {}", n(node)),
            EventKind::Restart { node } => write!(f, "restart   {}", n(node)),
            EventKind::Pause { node, until } => {
                write!(f, "pause     {} until {}", n(node), format_time(*until))
            }
            EventKind::Resume { node } => write!(f, "resume    {}", n(node)),
            EventKind::Join { node } => write!(f, "join      {}", n(node)),
            EventKind::Leave { node } => write!(f, "leave     {}", n(node)),
            EventKind::Partition { groups } => {
                write!(f, "partition")?;
                for (i, group) in groups.iter().enumerate() {
                    write!(f, "{}", if i == 0 { " " } else { " | " })?;
                    for (j, id) in group.iter().enumerate() {
                        write!(f, "{}{}", if j == 0 { "" } else { "," }, n(id))?;
                    }
                }
                Ok(())
            }
            EventKind::Cut { from, to } => write!(f, "cut       {}->{}", n(from), n(to)),
            EventKind::Slow { a, b, factor } => write!(f, "slow      {}-{} x{factor}", n(a), n(b)),
            EventKind::Heal => write!(f, "heal"),
            EventKind::Set { key, value } => write!(f, "set       {key}={value}"),
            EventKind::Command { node, text } => write!(f, "command   {} {text}", n(node)),
            EventKind::ClientRequest { node } => write!(f, "request   {} {detail}", n(node)),
            EventKind::ClientResponse { node } => write!(f, "response  {} {detail}", n(node)),
            EventKind::StateChange { node } => write!(f, "state     {} {detail}", n(node)),
            EventKind::Note { node, text } => match node {
                Some(node) => write!(f, "note      {} {text}", n(node)),
                None => write!(f, "note      {text}"),
            },
            EventKind::Verdict { invariant, holds, detail, culprit } => {
                let verdict = if *holds { "holds" } else { "VIOLATED" };
                write!(f, "verdict   {invariant} {verdict}: {detail}")?;
                match culprit {
                    Some(seq) => write!(f, " (event {seq})"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A bounded window of recent events plus a digest and counts over the whole run.
#[derive(Clone, Debug)]
pub struct Trace {
    window: VecDeque<Event>,
    capacity: usize,
    total: u64,
    digest: Fnv64,
    /// Events of each kind over the whole run, by [`EventKind::index`].
    by_kind: [u64; KINDS],
    /// Messages sent of each message kind over the whole run (a lab has a handful).
    sent: Vec<(&'static str, u64)>,
}

/// Events kept for display by default; older ones live on only in the digest and counts.
pub const DEFAULT_WINDOW: usize = 4_000;

impl Trace {
    pub fn with_window(capacity: usize) -> Self {
        Trace {
            window: VecDeque::new(),
            capacity: capacity.max(1),
            total: 0,
            digest: Fnv64::default(),
            by_kind: [0; KINDS],
            sent: Vec::new(),
        }
    }

    /// Appends an event and returns its sequence number.
    pub fn record(&mut self, at: Micros, kind: EventKind) -> u64 {
        let seq = self.total;
        let event = Event { seq, at, kind };
        event.hash_into(&mut self.digest);
        self.by_kind[event.kind.index()] += 1;
        if let EventKind::Send { kind, .. } = event.kind {
            match self.sent.iter_mut().find(|(k, _)| core::ptr::eq(*k, kind) || *k == kind) {
                Some((_, n)) => *n += 1,
                None => self.sent.push((kind, 1)),
            }
        }
        if self.window.len() == self.capacity {
            self.window.pop_front();
        }
        self.window.push_back(event);
        self.total += 1;
        seq
    }

    /// Hashes more typed content of the last event into the digest (a message's brief, an
    /// observation): the digest covers what happened, while the window keeps it small.
    pub fn mix<T: Serialize + ?Sized>(&mut self, content: &T) {
        hash_encoded(content, &mut self.digest);
    }

    /// How many events the run has produced so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// How many times `what` happened in the whole run: an event kind (`crash`, `drop`, …,
    /// see [`EventKind::NAMES`]) or a message kind sent (`Nack`, `AppendEntries`, …). `None`
    /// when it is neither an event kind nor a message kind sent so far.
    pub fn happened(&self, what: &str) -> Option<u64> {
        match EventKind::NAMES.iter().position(|n| *n == what) {
            Some(i) => Some(self.by_kind[i]),
            None => self.sent.iter().find(|(k, _)| *k == what).map(|(_, n)| *n),
        }
    }

    /// The message kinds sent so far, with how many of each.
    pub fn sent_kinds(&self) -> &[(&'static str, u64)] {
        &self.sent
    }

    /// The digest over every event so far.
    pub fn digest(&self) -> u64 {
        self.digest.finish()
    }

    /// Events still in the window, oldest first.
    pub fn window(&self) -> impl DoubleEndedIterator<Item = &Event> + ExactSizeIterator {
        self.window.iter()
    }

    /// Events with `seq >= from` that are still in the window.
    pub fn since(&self, from: u64) -> impl Iterator<Item = &Event> {
        let first = self.window.front().map_or(self.total, |e| e.seq);
        let skip = from.saturating_sub(first).min(self.window.len() as u64) as usize;
        self.window.iter().skip(skip)
    }

    /// The event with this sequence number, if it is still in the window.
    pub fn get(&self, seq: u64) -> Option<&Event> {
        let first = self.window.front()?.seq;
        self.window.get(usize::try_from(seq.checked_sub(first)?).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_bounded_but_digest_covers_everything() {
        let mut small = Trace::with_window(3);
        let mut large = Trace::with_window(100);
        for i in 0..10 {
            small.record(i, EventKind::Heal);
            large.record(i, EventKind::Heal);
        }
        assert_eq!(small.window().len(), 3);
        assert_eq!(small.total(), 10);
        assert_eq!(small.digest(), large.digest());
        assert_eq!(small.since(8).count(), 2);
        assert_eq!(small.get(9).map(|e| e.at), Some(9));
        assert!(small.get(2).is_none());
    }

    #[test]
    fn kinds_are_counted_over_the_whole_run() {
        let mut t = Trace::with_window(2);
        for i in 0..5 {
            t.record(i, EventKind::Send { msg: i, from: 0, to: 1, kind: "Nack", bytes: 1 });
        }
        t.record(6, EventKind::Crash { node: 0 });
        assert_eq!(t.happened("send"), Some(5));
        assert_eq!(t.happened("Nack"), Some(5));
        assert_eq!(t.happened("crash"), Some(1));
        assert_eq!(t.happened("heal"), Some(0));
        assert_eq!(t.happened("Promise"), None);
    }

    #[test]
    fn every_kind_has_its_own_name_and_index() {
        let every = [
            (EventKind::Send { msg: 0, from: 0, to: 0, kind: "", bytes: 0 }, "send"),
            (EventKind::Deliver { msg: 0, from: 0, to: 0, kind: "" }, "deliver"),
            (EventKind::Drop { msg: 0, from: 0, to: 0, reason: DropReason::Loss }, "drop"),
            (EventKind::Duplicate { msg: 0, copy: 1 }, "duplicate"),
            (EventKind::Tamper { msg: 0 }, "tamper"),
            (EventKind::Replay { msg: 0, copy: 1 }, "replay"),
            (EventKind::Timer { node: 0, timer: "" }, "timer"),
            (EventKind::Crash { node: 0 }, "crash"),
            (EventKind::Restart { node: 0 }, "restart"),
            (EventKind::Pause { node: 0, until: 0 }, "pause"),
            (EventKind::Resume { node: 0 }, "resume"),
            (EventKind::Join { node: 0 }, "join"),
            (EventKind::Leave { node: 0 }, "leave"),
            (EventKind::Partition { groups: Vec::new() }, "partition"),
            (EventKind::Cut { from: 0, to: 1 }, "cut"),
            (EventKind::Slow { a: 0, b: 1, factor: 2 }, "slow"),
            (EventKind::Heal, "heal"),
            (EventKind::Set { key: String::new(), value: String::new() }, "set"),
            (EventKind::ClientRequest { node: 0 }, "client-request"),
            (EventKind::ClientResponse { node: 0 }, "client-response"),
            (EventKind::StateChange { node: 0 }, "state"),
            (EventKind::Note { node: None, text: String::new() }, "note"),
            (EventKind::Verdict { invariant: "", holds: true, detail: String::new(), culprit: None }, "verdict"),
            (EventKind::Command { node: 0, text: String::new() }, "command"),
        ];
        assert_eq!(every.len(), KINDS);
        for (i, (kind, name)) in every.iter().enumerate() {
            assert_eq!(kind.index(), i, "{name}: the index is its place in the encoding");
            assert_eq!(kind.name(), *name);
        }
    }

    #[test]
    fn digest_depends_on_content_and_order() {
        let mut a = Trace::with_window(8);
        let mut b = Trace::with_window(8);
        a.record(1, EventKind::Crash { node: 0 });
        a.record(2, EventKind::Restart { node: 0 });
        b.record(1, EventKind::Restart { node: 0 });
        b.record(2, EventKind::Crash { node: 0 });
        assert_ne!(a.digest(), b.digest());
    }
}
