//! The wire protocol between clients and servers.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::process::{Message, MsgClass};
use crate::trace::NodeId;

/// Why a server refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RejectReason {
    /// Larger than the server's configured `max_request`.
    TooLarge,
    /// A late copy of a request the client already finished.
    Stale,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// Add `amount` to `account`. `req` is the client's idempotency key; every request below
    /// `done_below` has finished, so the server may forget those keys.
    Request {
        v: u8,
        client: NodeId,
        req: u32,
        account: u16,
        amount: i32,
        done_below: u32,
        pad: Vec<u8>,
    },
    Ack {
        v: u8,
        req: u32,
        balance: i64,
    },
    Reject {
        v: u8,
        req: u32,
        why: RejectReason,
    },
}

/// What the trace keeps of a message: its fields, with the padding as its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Brief {
    Request { v: u8, client: NodeId, req: u32, account: u16, amount: i32, done_below: u32, pad: u32 },
    Ack { v: u8, req: u32, balance: i64 },
    Reject { v: u8, req: u32, why: RejectReason },
}

impl core::fmt::Display for Brief {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Brief::Request { v, client, req, account, amount, pad, .. } => {
                write!(f, "v{v} req={client}:{req} account={account} amount={amount} pad={pad}B")
            }
            Brief::Ack { v, req, balance } => write!(f, "v{v} req={req} balance={balance}"),
            Brief::Reject { v, req, why } => write!(f, "v{v} req={req} {why:?}"),
        }
    }
}

impl Message for Msg {
    type Brief = Brief;

    fn class(&self) -> MsgClass {
        match self {
            Msg::Request { .. } => MsgClass::Request,
            Msg::Ack { .. } => MsgClass::Reply,
            Msg::Reject { .. } => MsgClass::Rejection,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Msg::Request { .. } => "Request",
            Msg::Ack { .. } => "Ack",
            Msg::Reject { .. } => "Reject",
        }
    }

    fn brief(&self) -> Brief {
        match *self {
            Msg::Request { v, client, req, account, amount, done_below, ref pad } => {
                Brief::Request { v, client, req, account, amount, done_below, pad: pad.len() as u32 }
            }
            Msg::Ack { v, req, balance } => Brief::Ack { v, req, balance },
            Msg::Reject { v, req, why } => Brief::Reject { v, req, why },
        }
    }

    fn wire_version(&self) -> u8 {
        match self {
            Msg::Request { v, .. } | Msg::Ack { v, .. } | Msg::Reject { v, .. } => *v,
        }
    }
}
