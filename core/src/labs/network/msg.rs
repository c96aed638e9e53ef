//! The wire protocol between clients and servers.

use alloc::format;
use alloc::string::String;
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

impl Message for Msg {
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

    fn summary(&self) -> String {
        match self {
            Msg::Request { v, client, req, account, amount, pad, .. } => {
                format!("v{v} req={client}:{req} account={account} amount={amount} pad={}B", pad.len())
            }
            Msg::Ack { v, req, balance } => format!("v{v} req={req} balance={balance}"),
            Msg::Reject { v, req, why } => format!("v{v} req={req} {why:?}"),
        }
    }

    fn wire_version(&self) -> u8 {
        match self {
            Msg::Request { v, .. } | Msg::Ack { v, .. } | Msg::Reject { v, .. } => *v,
        }
    }
}
