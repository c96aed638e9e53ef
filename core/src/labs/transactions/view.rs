//! The transactions lab's own picture: participants with their accounts, locks and
//! uncertain transactions, and locks as bars over time; sagas as rows of steps and
//! compensations beside the services' books; the outbox table, the relay, the broker's log
//! and the consumer.

use alloc::string::String;
use alloc::vec::Vec;

use super::msg::TxId;
use crate::time::Micros;
use crate::trace::NodeId;

/// One participant (a bank).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankView {
    pub node: NodeId,
    pub name: String,
    pub up: bool,
    /// (global account, balance, transaction holding its lock).
    pub accounts: Vec<(u8, i64, Option<TxId>)>,
    /// Prepared transactions: (transaction, since, in doubt).
    pub uncertain: Vec<(TxId, Micros, bool)>,
}

/// A lock held, from `from` to `to` (still held: `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockBar {
    pub account: u8,
    pub tx: TxId,
    pub from: Micros,
    pub to: Option<Micros>,
    /// Its participant was in doubt about the transaction while holding it.
    pub in_doubt: bool,
}

/// One saga, as its services report its steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SagaRow {
    pub saga: TxId,
    /// Times each step took effect.
    pub steps: [u8; 6],
    /// Times each compensation took effect.
    pub undone: [u8; 3],
    /// The step that failed, if one did.
    pub failed: Option<u8>,
    /// Ended: completed (true) or compensated.
    pub ended: Option<bool>,
    /// Where the orchestrator's log says it stands: (step, compensating).
    pub logged: Option<(u8, bool)>,
}

/// The outbox pattern's tables and queues.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutboxView {
    pub rows: u64,
    /// Outbox rows not yet published.
    pub unsent: Vec<TxId>,
    pub publishing: usize,
    pub logged: usize,
    pub unconsumed: usize,
    pub applied: u64,
    /// Committed writes whose event has not been applied yet.
    pub waiting: usize,
    pub lost: u64,
    pub phantoms: u64,
    pub duplicates: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransactionsView {
    pub pattern: &'static str,
    pub now: Micros,
    pub banks: Vec<BankView>,
    pub locks: Vec<LockBar>,
    /// The coordinator: transactions under way, logged decisions awaiting acknowledgement.
    pub coordinator: Option<(usize, usize)>,
    /// Money in committed state, and in transfers committed at one bank only so far.
    pub money: i64,
    pub in_flight: i64,
    pub initial: i64,
    pub sagas: Vec<SagaRow>,
    /// Inventory's stock and pending units, the customers' credit left.
    pub books: Option<(i64, usize, i64)>,
    pub choreography: bool,
    pub outbox: Option<OutboxView>,
}
