//! The store's messages: clients' operations and their answers, the leader modes'
//! replication and elections, and the causal and eventual modes' propagation.

use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

use crate::history::{Call, Val};
use crate::process::{Message, MsgClass};
use crate::trace::NodeId;

/// A key, by index (`x`, `y`, `z`, `w`).
pub type Key = u8;

/// The key's name.
pub fn key_name(key: Key) -> char {
    ['x', 'y', 'z', 'w'][usize::from(key) % 4]
}

/// A value: 0 is nothing written yet; client `c`'s `n`-th write writes `10 n + c`, so every
/// value is written once.
pub type Value = u32;

/// A request as the history records it: the key's name and the call.
pub fn call(request: Request) -> (Val, Call) {
    match request {
        Request::Read { key } => (key_val(key), Call::Read),
        Request::Write { key, value } => (key_val(key), Call::Write(val(value))),
    }
}

/// A key's name as a history value.
pub fn key_val(key: Key) -> Val {
    Val::Str(alloc::string::ToString::to_string(&key_name(key)))
}

/// A value as the history records it: 0 (nothing written) is nil.
pub fn val(value: Value) -> Val {
    if value == 0 {
        Val::Nil
    } else {
        Val::Int(i64::from(value))
    }
}

/// The version that orders writes to one key: a Lamport clock (causal mode) or the
/// replica's clock in µs (eventual mode), ties broken by replica. Later wins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Version {
    pub stamp: u64,
    pub replica: u8,
}

/// One key's value in the causal and eventual modes, with the versions of other keys it
/// depends on (causal mode).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    pub value: Value,
    pub version: Version,
    pub deps: Vec<(Key, Version)>,
}

/// What a client asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    Read { key: Key },
    Write { key: Key, value: Value },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// A client's operation. `after`: the sequential mode's session token (the highest
    /// commit the client has seen); `deps`: the causal mode's context.
    Op {
        id: u32,
        request: Request,
        after: u64,
        deps: Vec<(Key, Version)>,
    },
    /// The answer: the value read (0 for a write), the commit point it reflects, the version.
    Done {
        id: u32,
        value: Value,
        seq: u64,
        version: Version,
    },
    /// Not the leader; try `leader` if known.
    Redirect {
        id: u32,
        leader: Option<NodeId>,
    },
    /// The leader's state, sent on every write, read and heartbeat: its newest values
    /// (`tip`, at `seq`, written in term `epoch`) and its committed ones (at `commit`).
    Sync {
        term: u64,
        epoch: u64,
        seq: u64,
        tip: Vec<Value>,
        commit: u64,
        committed: Vec<Value>,
        probe: u64,
    },
    SyncAck {
        term: u64,
        epoch: u64,
        seq: u64,
        probe: u64,
    },
    Vote {
        term: u64,
        epoch: u64,
        seq: u64,
    },
    VoteReply {
        term: u64,
        granted: bool,
    },
    /// Eventual mode with a consistency level above one: the coordinator asks the other
    /// replicas to store a write, or for their value of a key, and answers the client once
    /// enough have replied.
    Store {
        token: u32,
        key: Key,
        cell: Cell,
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
    /// Causal and eventual modes: a write pushed to the other replicas, or (`whole`) the
    /// sender's whole state for anti-entropy.
    Replicate {
        cells: Vec<(Key, Cell)>,
        whole: bool,
    },
}

impl Message for Msg {
    type Brief = Brief;

    fn kind(&self) -> &'static str {
        match self {
            Msg::Op { .. } => "Op",
            Msg::Done { .. } => "Done",
            Msg::Redirect { .. } => "Redirect",
            Msg::Sync { .. } => "Sync",
            Msg::SyncAck { .. } => "SyncAck",
            Msg::Vote { .. } => "Vote",
            Msg::VoteReply { .. } => "VoteReply",
            Msg::Replicate { .. } => "Replicate",
            Msg::Store { .. } => "Store",
            Msg::Stored { .. } => "Stored",
            Msg::Fetch { .. } => "Fetch",
            Msg::Fetched { .. } => "Fetched",
        }
    }

    fn class(&self) -> MsgClass {
        match self {
            Msg::Op { .. } | Msg::Replicate { .. } | Msg::Store { .. } | Msg::Fetch { .. } => MsgClass::Request,
            Msg::Stored { .. } | Msg::Fetched { .. } => MsgClass::Reply,
            Msg::Done { .. } | Msg::SyncAck { .. } => MsgClass::Reply,
            Msg::Redirect { .. } => MsgClass::Rejection,
            Msg::Sync { .. } => MsgClass::Heartbeat,
            Msg::Vote { .. } => MsgClass::Ballot,
            Msg::VoteReply { granted: true, .. } => MsgClass::Reply,
            Msg::VoteReply { .. } => MsgClass::Rejection,
        }
    }

    fn brief(&self) -> Brief {
        match self {
            Msg::Op { id, request, after, .. } => Brief::Op { id: *id, request: *request, after: *after },
            Msg::Done { id, value, seq, .. } => Brief::Done { id: *id, value: *value, seq: *seq },
            Msg::Redirect { id, leader } => Brief::Redirect { id: *id, leader: *leader },
            Msg::Sync { term, seq, commit, .. } => Brief::Sync { term: *term, seq: *seq, commit: *commit },
            Msg::SyncAck { term, seq, .. } => Brief::SyncAck { term: *term, seq: *seq },
            Msg::Vote { term, seq, .. } => Brief::Vote { term: *term, seq: *seq },
            Msg::VoteReply { term, granted } => Brief::VoteReply { term: *term, granted: *granted },
            Msg::Store { token, key, cell } => Brief::Store { token: *token, key: *key, value: cell.value },
            Msg::Stored { token } => Brief::Stored { token: *token },
            Msg::Fetch { token, key } => Brief::Fetch { token: *token, key: *key },
            Msg::Fetched { token, cell } => Brief::Fetched { token: *token, value: cell.value },
            Msg::Replicate { cells, .. } => {
                Brief::Replicate { cells: cells.iter().map(|(k, c)| (*k, c.value)).collect() }
            }
        }
    }
}

/// What the trace keeps of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Brief {
    Op { id: u32, request: Request, after: u64 },
    Done { id: u32, value: Value, seq: u64 },
    Redirect { id: u32, leader: Option<NodeId> },
    Sync { term: u64, seq: u64, commit: u64 },
    SyncAck { term: u64, seq: u64 },
    Vote { term: u64, seq: u64 },
    VoteReply { term: u64, granted: bool },
    Replicate { cells: Vec<(Key, Value)> },
    Store { token: u32, key: Key, value: Value },
    Stored { token: u32 },
    Fetch { token: u32, key: Key },
    Fetched { token: u32, value: Value },
}

impl fmt::Display for Brief {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Brief::Op { id, request: Request::Read { key }, .. } => write!(f, "#{id} read {}", key_name(*key)),
            Brief::Op { id, request: Request::Write { key, value }, .. } => {
                write!(f, "#{id} write {}={value}", key_name(*key))
            }
            Brief::Done { id, value, seq } => write!(f, "#{id} done value {value} at {seq}"),
            Brief::Redirect { id, leader: Some(l) } => write!(f, "#{id} ask node {l}"),
            Brief::Redirect { id, leader: None } => write!(f, "#{id} no leader known"),
            Brief::Sync { term, seq, commit } => write!(f, "term {term} seq {seq} commit {commit}"),
            Brief::SyncAck { term, seq } => write!(f, "term {term} seq {seq}"),
            Brief::Vote { term, seq } => write!(f, "term {term} seq {seq}"),
            Brief::VoteReply { term, granted } => write!(f, "term {term} {}", if *granted { "yes" } else { "no" }),
            Brief::Store { token, key, value } => write!(f, "@{token} store {}={value}", key_name(*key)),
            Brief::Stored { token } => write!(f, "@{token} stored"),
            Brief::Fetch { token, key } => write!(f, "@{token} fetch {}", key_name(*key)),
            Brief::Fetched { token, value } => write!(f, "@{token} value {value}"),
            Brief::Replicate { cells } => {
                for (i, (k, v)) in cells.iter().enumerate() {
                    write!(f, "{}{}={v}", if i > 0 { " " } else { "" }, key_name(*k))?;
                }
                Ok(())
            }
        }
    }
}
