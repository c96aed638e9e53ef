//! The transactions lab's messages: clients' transfers, orders and writes; two- and
//! three-phase commit between a coordinator and its participants, with the participants'
//! inquiries when they are in doubt; saga steps and compensations; and the outbox's
//! publications, deliveries and acknowledgements.

use core::fmt;
use serde::{Deserialize, Serialize};

use crate::process::{Message, MsgClass};

/// A transaction, saga or write: client index in the top 12 bits, the client's count below.
pub type TxId = u32;

/// The id of client `client`'s `n`-th transaction.
pub fn tx_id(client: u8, n: u32) -> TxId {
    (u32::from(client) << 20) | (n & 0xF_FFFF)
}

/// The client that started `id`.
pub fn client_of(id: TxId) -> u8 {
    (id >> 20) as u8
}

/// An id as shown: `t2.7` is client 2's seventh.
pub struct Shown(pub char, pub TxId);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}.{}", self.0, client_of(self.1) + 1, self.1 & 0xF_FFFF)
    }
}

/// A transaction as shown.
pub fn tx(id: TxId) -> Shown {
    Shown('t', id)
}

/// A saga as shown.
pub fn saga(id: TxId) -> Shown {
    Shown('s', id)
}

/// An outbox write as shown.
pub fn write(id: TxId) -> Shown {
    Shown('w', id)
}

/// An account, numbered across participants: `A1`, `A2`, …
pub struct Account(pub u8);

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "A{}", u32::from(self.0) + 1)
    }
}

/// Where a participant stands on a transaction, as it answers an inquiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxState {
    /// Still collecting votes or waiting for a lock: no decision yet (a coordinator's answer).
    Working,
    /// Voted yes and waits for the decision: uncertain.
    Prepared,
    /// Three-phase commit: told everyone voted yes.
    PreCommitted,
    Committed,
    Aborted,
    /// No record of it (a restarted three-phase coordinator, which cannot presume abort).
    Unknown,
}

impl TxState {
    pub fn label(self) -> &'static str {
        match self {
            TxState::Working => "working",
            TxState::Prepared => "prepared",
            TxState::PreCommitted => "pre-committed",
            TxState::Committed => "committed",
            TxState::Aborted => "aborted",
            TxState::Unknown => "no record",
        }
    }
}

/// The six steps of the order saga, in order; the first three have compensations.
pub const STEPS: [&str; 6] = ["create order", "charge", "reserve", "ship", "confirm", "approve"];
/// Each step's compensation (none for the last three: shipping is the pivot, after which
/// the saga only goes forward).
pub const COMPENSATIONS: [&str; 3] = ["reject order", "refund", "release"];
/// Steps below this one have compensations.
pub const COMPENSABLE: u8 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// A client asks the coordinator to move `amount` from one account to another.
    Begin {
        tx: TxId,
        from: u8,
        to: u8,
        amount: u16,
    },
    /// The coordinator tells the client how a transaction ended.
    Outcome {
        tx: TxId,
        committed: bool,
    },
    /// Phase one: lock `account`, check it can take `delta`, log it and vote. `peer` is the
    /// other participant, for cooperative termination.
    Prepare {
        tx: TxId,
        account: u8,
        delta: i32,
        peer: u16,
    },
    Vote {
        tx: TxId,
        yes: bool,
    },
    /// Three-phase commit: everyone voted yes.
    PreCommit {
        tx: TxId,
    },
    PreCommitAck {
        tx: TxId,
    },
    Decision {
        tx: TxId,
        commit: bool,
    },
    DecisionAck {
        tx: TxId,
    },
    /// A participant in doubt asks the coordinator or its peer.
    Inquire {
        tx: TxId,
    },
    Status {
        tx: TxId,
        state: TxState,
    },
    /// A client places an order (with the orchestrator, or with the order service).
    Order {
        saga: TxId,
        amount: u16,
    },
    OrderDone {
        saga: TxId,
        completed: bool,
    },
    /// Do (or compensate) one step of a saga: the orchestrator's command, or in
    /// choreography the previous service's event.
    Step {
        saga: TxId,
        step: u8,
        compensate: bool,
        amount: u16,
    },
    /// The step's result (an acknowledgement, in choreography).
    StepDone {
        saga: TxId,
        step: u8,
        compensate: bool,
        ok: bool,
    },
    /// A client asks the service to write.
    Write {
        id: TxId,
    },
    Written {
        id: TxId,
        ok: bool,
    },
    /// The service (or its relay) publishes a write's event to the broker.
    Publish {
        id: TxId,
    },
    Published {
        id: TxId,
    },
    /// The broker delivers its log's entry `offset` to the consumer.
    Deliver {
        offset: u32,
        id: TxId,
    },
    Consumed {
        offset: u32,
    },
}

impl Message for Msg {
    type Brief = Msg;

    fn kind(&self) -> &'static str {
        match self {
            Msg::Begin { .. } => "Begin",
            Msg::Outcome { .. } => "Outcome",
            Msg::Prepare { .. } => "Prepare",
            Msg::Vote { .. } => "Vote",
            Msg::PreCommit { .. } => "PreCommit",
            Msg::PreCommitAck { .. } => "PreCommitAck",
            Msg::Decision { .. } => "Decision",
            Msg::DecisionAck { .. } => "DecisionAck",
            Msg::Inquire { .. } => "Inquire",
            Msg::Status { .. } => "Status",
            Msg::Order { .. } => "Order",
            Msg::OrderDone { .. } => "OrderDone",
            Msg::Step { .. } => "Step",
            Msg::StepDone { .. } => "StepDone",
            Msg::Write { .. } => "Write",
            Msg::Written { .. } => "Written",
            Msg::Publish { .. } => "Publish",
            Msg::Published { .. } => "Published",
            Msg::Deliver { .. } => "Deliver",
            Msg::Consumed { .. } => "Consumed",
        }
    }

    fn class(&self) -> MsgClass {
        match self {
            Msg::Vote { yes: false, .. }
            | Msg::Decision { commit: false, .. }
            | Msg::StepDone { ok: false, .. }
            | Msg::Written { ok: false, .. }
            | Msg::Outcome { committed: false, .. }
            | Msg::OrderDone { completed: false, .. } => MsgClass::Rejection,
            Msg::Step { compensate: true, .. } => MsgClass::Rejection,
            Msg::Prepare { .. } | Msg::PreCommit { .. } | Msg::Decision { .. } => MsgClass::Ballot,
            Msg::Inquire { .. } => MsgClass::Heartbeat,
            Msg::Begin { .. } | Msg::Order { .. } | Msg::Step { .. } | Msg::Write { .. } | Msg::Publish { .. } => {
                MsgClass::Request
            }
            Msg::Deliver { .. } => MsgClass::Request,
            _ => MsgClass::Reply,
        }
    }

    fn brief(&self) -> Msg {
        *self
    }
}

fn yes_no(yes: bool) -> &'static str {
    if yes {
        "yes"
    } else {
        "no"
    }
}

fn commit_abort(commit: bool) -> &'static str {
    if commit {
        "commit"
    } else {
        "abort"
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Msg::Begin { tx: t, from, to, amount } => {
                write!(f, "Begin {}: move {amount} from {} to {}", tx(t), Account(from), Account(to))
            }
            Msg::Outcome { tx: t, committed } => {
                write!(f, "Outcome {}: {}", tx(t), if committed { "committed" } else { "aborted" })
            }
            Msg::Prepare { tx: t, account, delta, .. } => {
                write!(f, "Prepare {}: {} {delta:+}", tx(t), Account(account))
            }
            Msg::Vote { tx: t, yes } => write!(f, "Vote {} {}", tx(t), yes_no(yes)),
            Msg::PreCommit { tx: t } => write!(f, "PreCommit {}", tx(t)),
            Msg::PreCommitAck { tx: t } => write!(f, "PreCommitAck {}", tx(t)),
            Msg::Decision { tx: t, commit } => write!(f, "Decision {}: {}", tx(t), commit_abort(commit)),
            Msg::DecisionAck { tx: t } => write!(f, "DecisionAck {}", tx(t)),
            Msg::Inquire { tx: t } => write!(f, "Inquire {}: what was decided?", tx(t)),
            Msg::Status { tx: t, state } => write!(f, "Status {}: {}", tx(t), state.label()),
            Msg::Order { saga: s, amount } => write!(f, "Order {} for {amount}", saga(s)),
            Msg::OrderDone { saga: s, completed } => {
                write!(f, "OrderDone {}: {}", saga(s), if completed { "completed" } else { "compensated" })
            }
            Msg::Step { saga: s, step, compensate: false, .. } => {
                write!(f, "Step {}: {}", saga(s), STEPS.get(usize::from(step)).unwrap_or(&"?"))
            }
            Msg::Step { saga: s, step, .. } => {
                write!(f, "Step {}: {}", saga(s), COMPENSATIONS.get(usize::from(step)).unwrap_or(&"?"))
            }
            Msg::StepDone { saga: s, step, compensate, ok } => {
                let name = if compensate { COMPENSATIONS.get(usize::from(step)) } else { STEPS.get(usize::from(step)) };
                write!(f, "StepDone {}: {} {}", saga(s), name.unwrap_or(&"?"), if ok { "done" } else { "failed" })
            }
            Msg::Write { id } => write!(f, "Write {}", write(id)),
            Msg::Written { id, ok } => {
                write!(f, "Written {}: {}", write(id), if ok { "committed" } else { "rolled back" })
            }
            Msg::Publish { id } => write!(f, "Publish {}'s event", write(id)),
            Msg::Published { id } => write!(f, "Published {}", write(id)),
            Msg::Deliver { offset, id } => write!(f, "Deliver #{offset}: {}'s event", write(id)),
            Msg::Consumed { offset } => write!(f, "Consumed #{offset}"),
        }
    }
}
