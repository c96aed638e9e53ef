//! The replication lab's messages: clients' operations and answers, the single leader's log
//! shipping and failover, the multi-leader datacenters' state exchange, and the leaderless
//! store's quorum reads and writes, hinted handoff and Merkle anti-entropy.

use alloc::vec::Vec;
use core::fmt::{self, Write};
use serde::{Deserialize, Serialize};

use super::data::{Cell, DcState};
use crate::crdt::VersionVector;
use crate::process::{Message, MsgClass};
use crate::trace::NodeId;

/// A key, by index.
pub type Key = u8;

/// A value: 0 is nothing written yet; client `c`'s `n`-th write writes `10 n + c + 1`, so
/// every value is written once.
pub type Value = u32;

/// The key's name: x, y, z, w for the first four, then k5, k6, …
pub fn key_name(key: Key) -> KeyName {
    KeyName(key)
}

/// A key's name, written when shown.
#[derive(Clone, Copy)]
pub struct KeyName(pub Key);

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            k @ 0..=3 => write!(f, "{}", ['x', 'y', 'z', 'w'][usize::from(k)]),
            k => write!(f, "k{}", u32::from(k) + 1),
        }
    }
}

/// What a client asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    Read {
        key: Key,
    },
    Write {
        key: Key,
        value: Value,
    },
    /// Counters: add one (or take one away).
    Increment,
    Decrement,
    /// The set: add or remove an element.
    Add {
        element: u8,
    },
    Remove {
        element: u8,
    },
}

/// What a client is told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Written,
    /// A register's value (0: never written).
    Value(Value),
    /// A register's siblings: concurrent values kept for the application to merge, with the
    /// context to write back.
    Siblings(Vec<Value>, VersionVector),
    Count(i64),
    Members(Vec<u8>),
}

/// One write in the single leader's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub epoch: u64,
    pub key: Key,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// A client's operation; `context`: the version vector of the siblings it last read
    /// (multi-leader siblings), empty otherwise; `local`: a final read, answered by the
    /// replica itself rather than through a quorum.
    Op {
        id: u32,
        request: Request,
        context: VersionVector,
        local: bool,
    },
    Done {
        id: u32,
        reply: Reply,
    },
    /// Not the leader (or not taking writes): try `leader` if known.
    Redirect {
        id: u32,
        leader: Option<NodeId>,
    },

    /// Single leader: log shipping (also the heartbeat, with no entries). The follower
    /// keeps the entries after `prev` if its entry at `prev` is from `prev_epoch`; `len` is
    /// the leader's log length.
    Append {
        epoch: u64,
        prev: u64,
        prev_epoch: u64,
        entries: Vec<Entry>,
        len: u64,
    },
    /// The follower's log matches the leader's up to `len`; `ok` false: it did not match at
    /// `prev`, and has `len` entries.
    Appended {
        epoch: u64,
        len: u64,
        ok: bool,
    },
    /// The failover monitor's health check, saying who leads in which epoch.
    Ping {
        epoch: u64,
        leader: Option<NodeId>,
        /// A lease for the leader, until this time on the monitor's clock.
        lease: Option<u64>,
    },
    Pong {
        epoch: u64,
        leading: bool,
        len: u64,
        last_epoch: u64,
    },
    /// The monitor promotes a follower to lead `epoch`, with a first lease.
    Promote {
        epoch: u64,
        lease: u64,
    },
    /// The monitor tells clients where the leader is.
    NewLeader {
        epoch: u64,
        leader: NodeId,
    },

    /// Multi-leader: a datacenter's whole state (state-based replication).
    Sync {
        state: DcState,
    },

    /// Leaderless: store a cell (for `hint`, a stand-in keeps it for that node).
    Store {
        token: u32,
        key: Key,
        cell: Cell,
        hint: Option<NodeId>,
    },
    Stored {
        token: u32,
    },
    Fetch {
        token: u32,
        key: Key,
    },
    Fetched {
        token: u32,
        cell: Cell,
    },
    /// Anti-entropy: the hashes of the Merkle tree's nodes at `level` (the root first) …
    Tree {
        round: u32,
        level: u8,
        nodes: Vec<(u32, u64)>,
    },
    /// … and which of them differ; at the leaves, the keys of the differing ranges follow.
    TreeDiff {
        round: u32,
        level: u8,
        differing: Vec<u32>,
    },
    /// The cells of the differing leaves, each side's to the other.
    Cells {
        round: u32,
        leaves: Vec<u32>,
        cells: Vec<(Key, Cell)>,
        reply: bool,
    },
}

impl Message for Msg {
    type Brief = Brief;

    fn kind(&self) -> &'static str {
        match self {
            Msg::Op { .. } => "Op",
            Msg::Done { .. } => "Done",
            Msg::Redirect { .. } => "Redirect",
            Msg::Append { .. } => "Append",
            Msg::Appended { .. } => "Appended",
            Msg::Ping { .. } => "Ping",
            Msg::Pong { .. } => "Pong",
            Msg::Promote { .. } => "Promote",
            Msg::NewLeader { .. } => "NewLeader",
            Msg::Sync { .. } => "Sync",
            Msg::Store { .. } => "Store",
            Msg::Stored { .. } => "Stored",
            Msg::Fetch { .. } => "Fetch",
            Msg::Fetched { .. } => "Fetched",
            Msg::Tree { .. } => "Tree",
            Msg::TreeDiff { .. } => "TreeDiff",
            Msg::Cells { .. } => "Cells",
        }
    }

    fn class(&self) -> MsgClass {
        match self {
            Msg::Op { .. } | Msg::Store { .. } | Msg::Fetch { .. } | Msg::Sync { .. } | Msg::Cells { .. } => {
                MsgClass::Request
            }
            Msg::Append { entries, .. } if !entries.is_empty() => MsgClass::Request,
            Msg::Append { .. } | Msg::Ping { .. } | Msg::Pong { .. } | Msg::Tree { .. } => MsgClass::Heartbeat,
            Msg::Appended { ok: false, .. } | Msg::Redirect { .. } => MsgClass::Rejection,
            Msg::Done { .. }
            | Msg::Appended { .. }
            | Msg::Stored { .. }
            | Msg::Fetched { .. }
            | Msg::TreeDiff { .. } => MsgClass::Reply,
            Msg::Promote { .. } | Msg::NewLeader { .. } => MsgClass::Ballot,
        }
    }

    fn brief(&self) -> Brief {
        match self {
            Msg::Op { id, request, .. } => Brief::Op { id: *id, request: *request },
            Msg::Done { id, reply } => Brief::Done { id: *id, reply: reply.clone() },
            Msg::Redirect { id, leader } => Brief::Redirect { id: *id, leader: *leader },
            Msg::Append { epoch, prev, entries, .. } => {
                Brief::Append { epoch: *epoch, prev: *prev, entries: entries.len() as u32 }
            }
            Msg::Appended { epoch, len, ok } => Brief::Appended { epoch: *epoch, len: *len, ok: *ok },
            Msg::Ping { epoch, leader, .. } => Brief::Ping { epoch: *epoch, leader: *leader },
            Msg::Pong { epoch, leading, len, .. } => Brief::Pong { epoch: *epoch, leading: *leading, len: *len },
            Msg::Promote { epoch, .. } => Brief::Promote { epoch: *epoch },
            Msg::NewLeader { epoch, leader } => Brief::NewLeader { epoch: *epoch, leader: *leader },
            Msg::Sync { state } => Brief::Sync { dc: state.dc, updates: state.seen.total() },
            Msg::Store { token, key, cell, hint } => {
                Brief::Store { token: *token, key: *key, value: cell.latest(), hinted: hint.is_some() }
            }
            Msg::Stored { token } => Brief::Stored { token: *token },
            Msg::Fetch { token, key } => Brief::Fetch { token: *token, key: *key },
            Msg::Fetched { token, cell } => Brief::Fetched { token: *token, value: cell.latest() },
            Msg::Tree { round, level, nodes } => {
                Brief::Tree { round: *round, level: *level, hashes: nodes.len() as u32 }
            }
            Msg::TreeDiff { round, level, differing } => {
                Brief::TreeDiff { round: *round, level: *level, differing: differing.len() as u32 }
            }
            Msg::Cells { round, cells, .. } => Brief::Cells { round: *round, cells: cells.len() as u32 },
        }
    }
}

/// What the trace keeps of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Brief {
    Op { id: u32, request: Request },
    Done { id: u32, reply: Reply },
    Redirect { id: u32, leader: Option<NodeId> },
    Append { epoch: u64, prev: u64, entries: u32 },
    Appended { epoch: u64, len: u64, ok: bool },
    Ping { epoch: u64, leader: Option<NodeId> },
    Pong { epoch: u64, leading: bool, len: u64 },
    Promote { epoch: u64 },
    NewLeader { epoch: u64, leader: NodeId },
    Sync { dc: u8, updates: u64 },
    Store { token: u32, key: Key, value: Value, hinted: bool },
    Stored { token: u32 },
    Fetch { token: u32, key: Key },
    Fetched { token: u32, value: Value },
    Tree { round: u32, level: u8, hashes: u32 },
    TreeDiff { round: u32, level: u8, differing: u32 },
    Cells { round: u32, cells: u32 },
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Read { key } => write!(f, "read {}", key_name(*key)),
            Request::Write { key, value } => write!(f, "write {}={value}", key_name(*key)),
            Request::Increment => f.write_str("increment"),
            Request::Decrement => f.write_str("decrement"),
            Request::Add { element } => write!(f, "add {}", element_name(*element)),
            Request::Remove { element } => write!(f, "remove {}", element_name(*element)),
        }
    }
}

/// A set element's name: a, b, c, …
pub fn element_name(element: u8) -> char {
    char::from(b'a' + element % 26)
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Written => f.write_str("ok"),
            Reply::Value(v) => write!(f, "value {v}"),
            Reply::Siblings(values, _) => {
                f.write_str("siblings")?;
                values.iter().try_for_each(|v| write!(f, " {v}"))
            }
            Reply::Count(n) => write!(f, "count {n}"),
            Reply::Members(m) => {
                f.write_str("{")?;
                m.iter().try_for_each(|&e| write!(f, "{}", element_name(e)))?;
                f.write_str("}")
            }
        }
    }
}

impl fmt::Display for Brief {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Brief::Op { id, request } => write!(f, "#{id} {request}"),
            Brief::Done { id, reply } => write!(f, "#{id} {reply}"),
            Brief::Redirect { id, leader: Some(l) } => write!(f, "#{id} ask node {l}"),
            Brief::Redirect { id, leader: None } => write!(f, "#{id} no leader known"),
            Brief::Append { epoch, prev, entries } => write!(f, "epoch {epoch} after {prev}: {entries} entries"),
            Brief::Appended { epoch, len, ok } => {
                write!(f, "epoch {epoch} has {len}{}", if *ok { "" } else { " (did not match)" })
            }
            Brief::Ping { epoch, leader: Some(l) } => write!(f, "epoch {epoch}, leader node {l}"),
            Brief::Ping { epoch, leader: None } => write!(f, "epoch {epoch}, no leader"),
            Brief::Pong { epoch, leading, len } => {
                write!(f, "epoch {epoch}{} with {len} entries", if *leading { " leading" } else { "" })
            }
            Brief::Promote { epoch } => write!(f, "lead epoch {epoch}"),
            Brief::NewLeader { epoch, leader } => write!(f, "epoch {epoch}: node {leader} leads"),
            Brief::Sync { dc, updates } => write!(f, "dc{} state ({updates} updates)", dc + 1),
            Brief::Store { token, key, value, hinted } => {
                write!(f, "@{token} store {}={value}{}", key_name(*key), if *hinted { " (hinted)" } else { "" })
            }
            Brief::Stored { token } => write!(f, "@{token} stored"),
            Brief::Fetch { token, key } => write!(f, "@{token} fetch {}", key_name(*key)),
            Brief::Fetched { token, value } => write!(f, "@{token} value {value}"),
            Brief::Tree { round, level, hashes } => write!(f, "round {round} level {level}: {hashes} hashes"),
            Brief::TreeDiff { round, level, differing } => {
                write!(f, "round {round} level {level}: {differing} differ")
            }
            Brief::Cells { round, cells } => write!(f, "round {round}: {cells} keys"),
        }
    }
}

/// Each key's values as text, `x=31 y=12|14 z=-`: siblings joined with `|`, `-` for none.
pub fn keyed(values: impl Iterator<Item = Vec<Value>>) -> alloc::string::String {
    let mut text = alloc::string::String::new();
    for (key, values) in values.enumerate() {
        let sep = if key == 0 { "" } else { " " };
        let _ = write!(text, "{sep}{}=", key_name(key as Key));
        if values.is_empty() {
            text.push('-');
        }
        for (i, v) in values.iter().enumerate() {
            let _ = write!(text, "{}{v}", if i == 0 { "" } else { "|" });
        }
    }
    text
}
