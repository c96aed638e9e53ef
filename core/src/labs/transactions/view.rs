//! The transactions lab's own picture: participants with their accounts, locks and
//! uncertain transactions, and locks as bars over time; sagas as rows of steps and
//! compensations beside the services' books; the outbox table, the relay, the broker's log
//! and the consumer.

use alloc::string::String;
use alloc::vec::Vec;

use super::msg::TxId;
use super::node::{Pattern, Role};
use super::{TransactionsLab, SAGA_ROWS};
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

/// How far back the lock chart looks: the lab keeps every lock bar that ended within it, and
/// every lock still held, however old.
pub const LOCK_WINDOW: Micros = 4 * crate::time::MICROS_PER_SEC;
/// Closed lock bars kept at most, besides every lock held: memory's (and drawing's) bound
/// when more than this ended within the window. The oldest started go first, and the view
/// says from when its bars are complete.
pub const LOCK_BARS_KEPT: usize = 600;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransactionsView {
    pub pattern: &'static str,
    pub now: Micros,
    pub banks: Vec<BankView>,
    pub locks: Vec<LockBar>,
    /// Within the chart's window, every lock held after this instant has its bar in `locks`.
    /// It rises only when more than [`LOCK_BARS_KEPT`] closed bars fall within the window
    /// and the oldest are forgotten (bars that ended before the window go regardless).
    pub locks_complete_from: Micros,
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

/// Builds the picture from the nodes and the lab's own records.
impl TransactionsLab {
    pub(super) fn view(&self) -> TransactionsView {
        let sim = &self.driver.sim;
        let mut view = TransactionsView {
            pattern: Pattern::NAMES[self.pattern as usize],
            now: sim.now(),
            money: self.commits.held(),
            in_flight: self.commits.in_flight(),
            initial: self.commits.initial,
            choreography: self.params.choice("style") == "choreography",
            ..TransactionsView::default()
        };
        for id in 0..sim.node_count() as NodeId {
            match sim.process(id).map(|p| &p.role) {
                Some(Role::Participant(p)) => view.banks.push(BankView {
                    node: id,
                    name: self.name(id),
                    up: true,
                    accounts: p
                        .accounts()
                        .into_iter()
                        .enumerate()
                        .map(|(i, (b, l))| (self.account(id, i), b, l))
                        .collect(),
                    uncertain: p.uncertain(),
                }),
                Some(Role::Coordinator(c)) => view.coordinator = Some(c.load()),
                Some(Role::Service(s)) if s.is_inventory() => view.books = Some(s.books()),
                Some(Role::Outbox(s)) => {
                    let (rows, unsent, publishing) = s.tables();
                    let o = view.outbox.get_or_insert_with(OutboxView::default);
                    (o.rows, o.unsent, o.publishing) = (rows, unsent, publishing);
                }
                Some(Role::Broker(b)) => {
                    let (logged, unconsumed) = b.backlog();
                    let o = view.outbox.get_or_insert_with(OutboxView::default);
                    (o.logged, o.unconsumed) = (logged, unconsumed);
                }
                None if self.pattern.commits() && self.servers.contains(&id) => view.banks.push(BankView {
                    node: id,
                    name: self.name(id),
                    up: false,
                    accounts: Vec::new(),
                    uncertain: Vec::new(),
                }),
                _ => {}
            }
        }
        if let Some(o) = view.outbox.as_mut() {
            (o.applied, o.waiting, o.lost) = (self.events.applied, self.events.pending.len(), self.events.lost);
            (o.phantoms, o.duplicates) = (self.events.phantoms, self.events.duplicates);
        }
        view.locks = self.bars.iter().map(|(_, b)| b.clone()).collect();
        view.locks_complete_from = self.bars_complete_from;
        let logged: Vec<(u32, u8, bool)> = match sim.process(self.hub).map(|p| &p.role) {
            Some(Role::Orchestrator(o)) => o.running(),
            _ => Vec::new(),
        };
        view.sagas = self
            .sagas
            .recent
            .iter()
            .rev()
            .take(SAGA_ROWS)
            .filter_map(|saga| self.sagas.tracks.get(saga).map(|t| (*saga, t)))
            .map(|(saga, t)| SagaRow {
                saga,
                steps: t.applied,
                undone: t.undone,
                failed: t.failed,
                ended: t.ended.map(|e| e.0),
                logged: logged.iter().find(|l| l.0 == saga).map(|l| (l.1, l.2)),
            })
            .collect();
        view
    }

    /// The global number of participant `node`'s `i`-th account.
    fn account(&self, node: NodeId, i: usize) -> u8 {
        let index = self.servers.iter().position(|&s| s == node).unwrap_or(0);
        (index * self.params.int("accounts") as usize + i) as u8
    }
}
