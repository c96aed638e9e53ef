//! The failure handling lab's messages: heartbeats to a monitor; leases from a lock service
//! and the writes their holders make to storage; a replicated service's elections and
//! appends; and a client's charges, retried with an idempotency key or without.

use core::fmt;
use serde::{Deserialize, Serialize};

use crate::process::{Message, MsgClass};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// A watched process is alive (its `seq`-th heartbeat).
    Heartbeat {
        seq: u32,
    },
    /// A client asks for the lease (its `seq`-th request).
    Acquire {
        seq: u32,
    },
    /// The lease is the client's for `lease` µs from when the service granted it; `token`
    /// grows with every grant; `seq` names the request it answers.
    Grant {
        token: u64,
        lease: u64,
        seq: u32,
    },
    /// Someone else holds the lease.
    Busy,
    Release {
        token: u64,
    },
    /// The lock service tells storage of a new grant (fencing: older tokens are refused).
    Fence {
        token: u64,
    },
    FenceAck {
        token: u64,
    },
    /// A lease holder writes to storage (with its token, when fencing is on), sent at
    /// `sent`.
    Write {
        token: u64,
        value: u32,
        sent: u64,
    },
    WriteAck {
        value: u32,
        ok: bool,
    },
    /// Split brain: a candidate asks for votes, a leader replicates and keeps its followers.
    VoteRequest {
        epoch: u64,
    },
    VoteReply {
        epoch: u64,
        granted: bool,
    },
    Append {
        epoch: u64,
        id: u32,
    },
    Appended {
        epoch: u64,
        id: u32,
        ok: bool,
    },
    /// A leader's heartbeat, with its send time, which the answer echoes (the leader's
    /// lease counts from it).
    Beat {
        epoch: u64,
        sent: u64,
    },
    BeatAck {
        epoch: u64,
        sent: u64,
    },
    /// A client's write to the replicated service, and the answer (a redirect names the
    /// leader it knows of).
    Put {
        id: u32,
    },
    PutReply {
        id: u32,
        ok: bool,
        leader: u16,
    },
    /// A client charges `amount` (its request `key`, try `attempt`).
    Charge {
        key: u32,
        amount: u16,
        attempt: u8,
    },
    Charged {
        key: u32,
        ok: bool,
    },
}

impl Message for Msg {
    type Brief = Msg;

    fn kind(&self) -> &'static str {
        match self {
            Msg::Heartbeat { .. } => "Heartbeat",
            Msg::Acquire { .. } => "Acquire",
            Msg::Grant { .. } => "Grant",
            Msg::Busy => "Busy",
            Msg::Release { .. } => "Release",
            Msg::Fence { .. } => "Fence",
            Msg::FenceAck { .. } => "FenceAck",
            Msg::Write { .. } => "Write",
            Msg::WriteAck { .. } => "WriteAck",
            Msg::VoteRequest { .. } => "VoteRequest",
            Msg::VoteReply { .. } => "VoteReply",
            Msg::Append { .. } => "Append",
            Msg::Appended { .. } => "Appended",
            Msg::Beat { .. } => "Beat",
            Msg::BeatAck { .. } => "BeatAck",
            Msg::Put { .. } => "Put",
            Msg::PutReply { .. } => "PutReply",
            Msg::Charge { .. } => "Charge",
            Msg::Charged { .. } => "Charged",
        }
    }

    fn class(&self) -> MsgClass {
        match self {
            Msg::Heartbeat { .. } | Msg::Beat { .. } | Msg::BeatAck { .. } => MsgClass::Heartbeat,
            Msg::VoteRequest { .. } | Msg::VoteReply { granted: true, .. } => MsgClass::Ballot,
            Msg::Busy
            | Msg::VoteReply { .. }
            | Msg::WriteAck { ok: false, .. }
            | Msg::Appended { ok: false, .. }
            | Msg::PutReply { ok: false, .. }
            | Msg::Charged { ok: false, .. } => MsgClass::Rejection,
            Msg::Acquire { .. }
            | Msg::Write { .. }
            | Msg::Append { .. }
            | Msg::Put { .. }
            | Msg::Charge { .. }
            | Msg::Fence { .. }
            | Msg::Release { .. } => MsgClass::Request,
            _ => MsgClass::Reply,
        }
    }

    fn brief(&self) -> Msg {
        *self
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Msg::Heartbeat { seq } => write!(f, "Heartbeat #{seq}"),
            Msg::Acquire { .. } => write!(f, "Acquire the lease"),
            Msg::Grant { token, lease, .. } => {
                write!(f, "Grant token {token} for {}", crate::time::format_duration(lease))
            }
            Msg::Busy => write!(f, "Busy: someone holds the lease"),
            Msg::Release { token } => write!(f, "Release token {token}"),
            Msg::Fence { token } => write!(f, "Fence: token {token} granted"),
            Msg::FenceAck { token } => write!(f, "FenceAck: token {token} known"),
            Msg::Write { token, value, .. } => write!(f, "Write v{value} with token {token}"),
            Msg::WriteAck { value, ok: true } => write!(f, "WriteAck v{value}: stored"),
            Msg::WriteAck { value, .. } => write!(f, "WriteAck v{value}: refused, stale token"),
            Msg::VoteRequest { epoch } => write!(f, "VoteRequest epoch {epoch}"),
            Msg::VoteReply { epoch, granted } => {
                write!(f, "VoteReply epoch {epoch}: {}", if granted { "granted" } else { "refused" })
            }
            Msg::Append { epoch, id } => write!(f, "Append w{id} (epoch {epoch})"),
            Msg::Appended { epoch, id, ok } => {
                write!(f, "Appended w{id} (epoch {epoch}): {}", if ok { "stored" } else { "refused" })
            }
            Msg::Beat { epoch, .. } => write!(f, "Beat epoch {epoch}"),
            Msg::BeatAck { epoch, .. } => write!(f, "BeatAck epoch {epoch}"),
            Msg::Put { id } => write!(f, "Put w{id}"),
            Msg::PutReply { id, ok: true, .. } => write!(f, "PutReply w{id}: acknowledged"),
            Msg::PutReply { id, .. } => write!(f, "PutReply w{id}: not the leader"),
            Msg::Charge { key, amount, attempt } => write!(f, "Charge #{key} {amount} (try {attempt})"),
            Msg::Charged { key, ok } => write!(f, "Charged #{key}: {}", if ok { "done" } else { "refused" }),
        }
    }
}
