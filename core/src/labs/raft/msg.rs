//! Raft's RPCs (Figure 2), plus the client's request and reply.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::log::{Entry, Index, Term};
use crate::process::{Message, MsgClass};
use crate::trace::NodeId;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Committed at this log index.
    Committed(Index),
    /// Not the leader; try this one (if known).
    Redirect(Option<NodeId>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    RequestVote {
        term: Term,
        last_log_index: Index,
        last_log_term: Term,
    },
    Vote {
        term: Term,
        granted: bool,
    },
    Append {
        term: Term,
        prev_index: Index,
        prev_term: Term,
        entries: Vec<Entry>,
        commit: Index,
    },
    /// `index` is the follower's last matching index on success, or a hint of where to
    /// retry from on failure.
    AppendReply {
        term: Term,
        success: bool,
        index: Index,
    },
    Request {
        command: u32,
    },
    Reply {
        command: u32,
        outcome: Outcome,
    },
    /// Raft thesis §9.6: "would you vote for me in `term`?", asked without changing any
    /// server's term.
    PreVote {
        term: Term,
        last_log_index: Index,
        last_log_term: Term,
    },
    PreVoteReply {
        term: Term,
        granted: bool,
    },
}

/// What the trace keeps of a message: an append's entries as their count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Brief {
    /// Any message but an append, as it is (none of them holds a payload).
    Whole(Msg),
    Append {
        term: Term,
        prev_index: Index,
        prev_term: Term,
        entries: u32,
        commit: Index,
    },
}

impl core::fmt::Display for Brief {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Brief::Append { term, prev_index, prev_term, entries, commit } => {
                write!(f, "term {term} prev ({prev_index}, term {prev_term}) {entries} entries commit {commit}")
            }
            Brief::Whole(msg) => f.write_str(&summary(msg)),
        }
    }
}

impl Message for Msg {
    type Brief = Brief;

    fn brief(&self) -> Brief {
        match *self {
            Msg::Append { term, prev_index, prev_term, ref entries, commit } => {
                Brief::Append { term, prev_index, prev_term, entries: entries.len() as u32, commit }
            }
            ref other => Brief::Whole(other.clone()),
        }
    }

    fn class(&self) -> MsgClass {
        match self {
            Msg::RequestVote { .. } | Msg::PreVote { .. } => MsgClass::Ballot,
            Msg::Vote { .. } | Msg::AppendReply { .. } | Msg::Reply { .. } | Msg::PreVoteReply { .. } => {
                MsgClass::Reply
            }
            Msg::Append { entries, .. } if entries.is_empty() => MsgClass::Heartbeat,
            Msg::Append { .. } | Msg::Request { .. } => MsgClass::Request,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Msg::RequestVote { .. } => "RequestVote",
            Msg::Vote { .. } => "Vote",
            Msg::Append { entries, .. } if entries.is_empty() => "Heartbeat",
            Msg::Append { .. } => "AppendEntries",
            Msg::AppendReply { .. } => "AppendReply",
            Msg::Request { .. } => "ClientRequest",
            Msg::Reply { .. } => "ClientReply",
            Msg::PreVote { .. } => "PreVote",
            Msg::PreVoteReply { .. } => "PreVoteReply",
        }
    }
}

/// The one-line summary of a message other than an append.
fn summary(msg: &Msg) -> String {
    match msg {
        Msg::RequestVote { term, last_log_index, last_log_term } => {
            format!("term {term} last log ({last_log_index}, term {last_log_term})")
        }
        Msg::Vote { term, granted } => format!("term {term} {}", if *granted { "granted" } else { "refused" }),
        Msg::Append { term, prev_index, prev_term, entries, commit } => {
            format!("term {term} prev ({prev_index}, term {prev_term}) {} entries commit {commit}", entries.len())
        }
        Msg::AppendReply { term, success, index } => {
            format!("term {term} {} index {index}", if *success { "ok" } else { "mismatch" })
        }
        Msg::Request { command } => format!("command {command}"),
        Msg::Reply { command, outcome } => format!("command {command} {outcome:?}"),
        Msg::PreVote { term, last_log_index, last_log_term } => {
            format!("would vote in term {term}? last log ({last_log_index}, term {last_log_term})")
        }
        Msg::PreVoteReply { term, granted } => {
            format!("term {term} {}", if *granted { "would vote" } else { "would not" })
        }
    }
}
