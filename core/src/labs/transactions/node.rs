//! The transactions lab's nodes as one sans-I/O process: a client; a commit coordinator or
//! participant (two- or three-phase commit); a saga orchestrator or service; or the outbox
//! pattern's service, broker and consumer.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::client::Client;
use super::coordinator::Coordinator;
use super::msg::{Msg, TxId};
use super::outbox::{Broker, Consumer, OutboxService};
use super::participant::Participant;
use super::saga::{Orchestrator, SagaService};
use crate::process::{Ctx, Durable, Out, Process, TimerName};
use crate::time::Micros;
use crate::trace::NodeId;

pub use super::observe::{By, Obs};

/// The four patterns the lab runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    TwoPhase,
    ThreePhase,
    Saga,
    Outbox,
}

impl Pattern {
    pub const NAMES: [&'static str; 4] = ["2pc", "3pc", "saga", "outbox"];

    pub fn parse(name: &str) -> Pattern {
        match name {
            "3pc" => Pattern::ThreePhase,
            "saga" => Pattern::Saga,
            "outbox" => Pattern::Outbox,
            _ => Pattern::TwoPhase,
        }
    }

    pub fn commits(self) -> bool {
        matches!(self, Pattern::TwoPhase | Pattern::ThreePhase)
    }
}

/// How the outbox lab's service gets its event to the broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    /// Commit the write, then publish (the dual-write bug: a crash or an outage between
    /// the two loses the event).
    DualWrite,
    /// Publish, then commit (a rollback or a crash leaves an event for no write).
    PublishFirst,
    /// Write the event to an outbox table in the same local transaction; a relay publishes.
    Outbox,
}

impl Publish {
    pub const NAMES: [&'static str; 3] = ["dual-write", "publish-first", "outbox"];

    pub fn parse(name: &str) -> Publish {
        match name {
            "dual-write" => Publish::DualWrite,
            "publish-first" => Publish::PublishFirst,
            _ => Publish::Outbox,
        }
    }
}

/// The saga's four services, in the order the saga visits them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Orders,
    Payments,
    Inventory,
    Shipping,
}

impl Service {
    /// The service that runs saga step `step`.
    pub fn of_step(step: u8) -> Service {
        match step {
            0 | 5 => Service::Orders,
            1 => Service::Payments,
            2 | 4 => Service::Inventory,
            _ => Service::Shipping,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Client { index: u8 },
    Coordinator,
    Participant { index: u8 },
    Orchestrator,
    Service(Service),
    OutboxService,
    Broker,
    Consumer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub pattern: Pattern,
    pub kind: Kind,
    /// The coordinator, the orchestrator (in choreography, the order service), or the
    /// outbox service: where clients send their requests.
    pub hub: NodeId,
    /// The participants; the saga's services (orders, payments, inventory, shipping); or
    /// the broker and the consumer.
    pub servers: Vec<NodeId>,
    pub clients: Vec<NodeId>,
    pub think: Micros,
    pub timeout: Micros,
    /// Clients start nothing after this.
    pub stop: Micros,
    /// When the lab checks that everything started has ended.
    pub settle: Micros,
    // Commit protocols.
    pub accounts: u8,
    pub balance: i64,
    /// How long forcing a record to the log takes.
    pub fsync: Micros,
    /// The coordinator logs its decision before sending it (off: the teaching variant).
    pub log_first: bool,
    pub vote_timeout: Micros,
    pub lock_timeout: Micros,
    /// How long a prepared participant waits for the decision before it asks.
    pub decision_timeout: Micros,
    /// In doubt, ask the other participant too (cooperative termination).
    pub cooperative: bool,
    // Sagas.
    pub choreography: bool,
    pub stock: i64,
    pub credit: i64,
    pub ship_fail: u8,
    pub idempotent: bool,
    /// Compensate without checking that the step ran (the teaching variant).
    pub blind: bool,
    pub semantic_lock: bool,
    /// Inventory gets a unit every this long (0: never).
    pub restock: Micros,
    pub retry: Micros,
    // Outbox.
    pub publish: Publish,
    /// The relay tails the commit log (change data capture) rather than polling the table.
    pub cdc: bool,
    pub dedup: bool,
    /// Chance (%) a local transaction rolls back.
    pub rollback: u8,
    pub db: Micros,
    pub poll: Micros,
}

impl Config {
    /// The participant holding global account `account`.
    pub fn owner(&self, account: u8) -> NodeId {
        let per = self.accounts.max(1);
        self.servers.get(usize::from(account / per)).copied().unwrap_or(NodeId::MAX)
    }

    /// The node running a saga service.
    pub fn service(&self, service: Service) -> NodeId {
        self.servers.get(service.index()).copied().unwrap_or(NodeId::MAX)
    }
}

/// A coordinator's logged commit decision, kept until both participants acknowledge it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub tx: TxId,
    pub participants: [NodeId; 2],
    pub acked: [bool; 2],
}

/// A participant's prepared record: what it promised, logged before it voted yes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prepared {
    pub tx: TxId,
    /// The participant's own account index.
    pub account: u8,
    pub delta: i32,
    pub coordinator: NodeId,
    pub peer: NodeId,
    pub precommitted: bool,
    pub at: Micros,
}

/// An orchestrator's record of one saga: where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SagaRec {
    pub saga: TxId,
    pub amount: u16,
    /// The step running (or, compensating, the compensation running).
    pub step: u8,
    pub compensating: bool,
}

/// Outcomes a participant remembers, to answer late messages and inquiries.
const OUTCOMES_KEPT: usize = 4096;
/// Saga steps a service remembers having done, for idempotency.
const DONE_KEPT: usize = 4096;

/// What a node keeps on disk (each role uses its own part).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stable {
    pub initialised: bool,
    pub decisions: Vec<Logged>,
    pub balances: Vec<i64>,
    pub prepared: Vec<Prepared>,
    pub outcomes: VecDeque<(TxId, bool)>,
    /// Per client, the highest request number whose outcome was forgotten: a participant
    /// cannot promise never to vote yes for those (it may have).
    pub forgotten: Vec<u32>,
    pub sagas: Vec<SagaRec>,
    /// Saga steps done: (saga, step, compensation, succeeded).
    pub done: VecDeque<(TxId, u8, bool, bool)>,
    pub stock: i64,
    /// Sagas holding a reserved unit not yet confirmed.
    pub pending: Vec<TxId>,
    /// The outbox service: per client, its latest write that finished (number, committed),
    /// to answer a repeated request; and the outbox table's rows not yet published.
    pub finished: Vec<(u32, bool)>,
    pub rows: u64,
    pub outbox: Vec<TxId>,
    /// The broker's log and which entries the consumer acknowledged.
    pub log: Vec<TxId>,
    pub consumed: Vec<bool>,
    /// The consumer's processed event ids (with deduplication on).
    pub processed: alloc::collections::BTreeSet<TxId>,
    /// A client's next request number.
    pub next: u32,
    /// A choreographed saga service's events not yet acknowledged: (to, event).
    pub events: Vec<(NodeId, Msg)>,
}

impl Stable {
    pub fn outcome(&self, tx: TxId) -> Option<bool> {
        self.outcomes.iter().rev().find(|(t, _)| *t == tx).map(|&(_, c)| c)
    }

    /// Whether `tx`'s outcome may have been forgotten (it is older than one that was).
    pub fn may_have_forgotten(&self, tx: TxId) -> bool {
        let client = usize::from(super::msg::client_of(tx));
        self.forgotten.get(client).is_some_and(|&n| tx & 0xF_FFFF <= n)
    }

    /// How the outbox service's write `id` ended, if it did (an older one than the latest
    /// is answered as committed: its client has long moved on).
    pub fn write_finished(&self, id: TxId) -> Option<bool> {
        let client = usize::from(super::msg::client_of(id));
        let (n, ok) = self.finished.get(client).copied()?;
        (id & 0xF_FFFF <= n).then_some(ok || id & 0xF_FFFF < n)
    }

    pub fn did(&self, saga: TxId, step: u8, compensate: bool) -> Option<bool> {
        self.done.iter().rev().find(|d| (d.0, d.1, d.2) == (saga, step, compensate)).map(|d| d.3)
    }
}

/// One change to what a node keeps on disk, as a write-ahead log records it.
#[derive(Clone, Debug)]
pub enum Change {
    Init {
        balances: Vec<i64>,
        stock: i64,
    },
    Logged(Logged),
    Acked {
        tx: TxId,
        which: usize,
    },
    Forget(TxId),
    Prepared(Prepared),
    PreCommitted(TxId),
    /// The participant's outcome: a commit applies the prepared change.
    Decided {
        tx: TxId,
        commit: bool,
    },
    Saga(SagaRec),
    SagaEnd(TxId),
    Did {
        saga: TxId,
        step: u8,
        compensate: bool,
        ok: bool,
    },
    Balance {
        customer: u8,
        value: i64,
    },
    Stock {
        stock: i64,
        pending: Vec<TxId>,
    },
    /// The outbox service's write finished: committed (with its outbox row) or rolled back.
    Finished {
        id: TxId,
        committed: bool,
        outbox: bool,
    },
    Sent(TxId),
    Append(TxId),
    Consumed(u32),
    Processed(TxId),
    Next(u32),
    Emit(NodeId, Msg),
    /// Event `i` (an index into the unacknowledged ones) was acknowledged.
    Delivered(u32),
}

impl Durable for Stable {
    type Change = Change;
    fn apply(&mut self, change: Change) {
        match change {
            Change::Init { balances, stock } => {
                (self.initialised, self.balances, self.stock) = (true, balances, stock);
            }
            Change::Logged(logged) => self.decisions.push(logged),
            Change::Acked { tx, which } => {
                if let Some(d) = self.decisions.iter_mut().find(|d| d.tx == tx) {
                    d.acked[which.min(1)] = true;
                }
            }
            Change::Forget(tx) => self.decisions.retain(|d| d.tx != tx),
            Change::Prepared(p) => self.prepared.push(p),
            Change::PreCommitted(tx) => {
                if let Some(p) = self.prepared.iter_mut().find(|p| p.tx == tx) {
                    p.precommitted = true;
                }
            }
            Change::Decided { tx, commit } => {
                if let Some(i) = self.prepared.iter().position(|p| p.tx == tx) {
                    let p = self.prepared.remove(i);
                    if let (true, Some(b)) = (commit, self.balances.get_mut(usize::from(p.account))) {
                        *b += i64::from(p.delta);
                    }
                }
                if self.outcomes.len() == OUTCOMES_KEPT {
                    if let Some((old, _)) = self.outcomes.pop_front() {
                        let client = usize::from(super::msg::client_of(old));
                        if self.forgotten.len() <= client {
                            self.forgotten.resize(client + 1, 0);
                        }
                        self.forgotten[client] = self.forgotten[client].max(old & 0xF_FFFF);
                    }
                }
                self.outcomes.push_back((tx, commit));
            }
            Change::Saga(rec) => match self.sagas.iter_mut().find(|s| s.saga == rec.saga) {
                Some(s) => *s = rec,
                None => self.sagas.push(rec),
            },
            Change::SagaEnd(saga) => self.sagas.retain(|s| s.saga != saga),
            Change::Did { saga, step, compensate, ok } => {
                if self.done.len() == DONE_KEPT {
                    self.done.pop_front();
                }
                self.done.push_back((saga, step, compensate, ok));
            }
            Change::Balance { customer, value } => {
                if let Some(b) = self.balances.get_mut(usize::from(customer)) {
                    *b = value;
                }
            }
            Change::Stock { stock, pending } => (self.stock, self.pending) = (stock, pending),
            Change::Finished { id, committed, outbox } => {
                let client = usize::from(super::msg::client_of(id));
                if self.finished.len() <= client {
                    self.finished.resize(client + 1, (0, false));
                }
                self.finished[client] = (id & 0xF_FFFF, committed);
                if committed {
                    self.rows += 1;
                }
                if committed && outbox {
                    self.outbox.push(id);
                }
            }
            Change::Sent(id) => self.outbox.retain(|&o| o != id),
            Change::Append(id) => {
                self.log.push(id);
                self.consumed.push(false);
            }
            Change::Consumed(offset) => {
                if let Some(c) = self.consumed.get_mut(offset as usize) {
                    *c = true;
                }
            }
            Change::Processed(id) => {
                self.processed.insert(id);
            }
            Change::Next(n) => self.next = n,
            Change::Emit(to, msg) => self.events.push((to, msg)),
            Change::Delivered(i) => {
                if (i as usize) < self.events.len() {
                    self.events.remove(i as usize);
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    Next,
    Timeout(TxId),
    Settle,
    VoteTimeout(TxId),
    /// A log write under way finishes.
    Flush(TxId),
    Resend,
    LockWait(TxId),
    DecisionWait(TxId),
    /// A local transaction's commit finishes.
    Commit(TxId),
    Poll,
}

impl TimerName for Timer {
    fn label(&self) -> &'static str {
        match self {
            Timer::Next => "next request",
            Timer::Timeout(_) => "give up",
            Timer::Settle => "settle",
            Timer::VoteTimeout(_) => "vote timeout",
            Timer::Flush(_) => "log write",
            Timer::Resend => "resend",
            Timer::LockWait(_) => "lock wait",
            Timer::DecisionWait(_) => "decision timeout",
            Timer::Commit(_) => "local commit",
            Timer::Poll => "relay poll",
        }
    }
}

#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Role {
    Client(Client),
    Coordinator(Coordinator),
    Participant(Participant),
    Orchestrator(Orchestrator),
    Service(SagaService),
    Outbox(OutboxService),
    Broker(Broker),
    Consumer(Consumer),
}

#[derive(Clone, Debug)]
pub struct State {
    pub role: Role,
}

/// Commands an operator can give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// A client starts a request now.
    Request,
    /// A relay polls its outbox now.
    Poll,
}

/// Calls `$method` on whichever role the node has.
macro_rules! each_role {
    ($role:expr, $r:ident => $body:expr) => {
        match $role {
            Role::Client($r) => $body,
            Role::Coordinator($r) => $body,
            Role::Participant($r) => $body,
            Role::Orchestrator($r) => $body,
            Role::Service($r) => $body,
            Role::Outbox($r) => $body,
            Role::Broker($r) => $body,
            Role::Consumer($r) => $body,
        }
    };
}

impl Process for State {
    type Msg = Msg;
    type Timer = Timer;
    type Stable = Stable;
    type Obs = Obs;
    type Config = Config;
    type Command = Command;

    fn boot(me: NodeId, config: &Config, stable: &Stable) -> Self {
        let (c, s) = (config.clone(), stable.clone());
        let role = match config.kind {
            Kind::Client { index } => Role::Client(Client::new(index, c, stable)),
            Kind::Coordinator => Role::Coordinator(Coordinator::boot(c, s)),
            Kind::Participant { index } => Role::Participant(Participant::boot(me, index, c, s)),
            Kind::Orchestrator => Role::Orchestrator(Orchestrator::boot(c, s)),
            Kind::Service(service) => Role::Service(SagaService::boot(service, c, s)),
            Kind::OutboxService => Role::Outbox(OutboxService::boot(c, s)),
            Kind::Broker => Role::Broker(Broker::boot(c, s)),
            Kind::Consumer => Role::Consumer(Consumer::boot(c, s)),
        };
        State { role }
    }

    fn on_start(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        each_role!(&mut self.role, r => r.start(ctx, out))
    }

    fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        each_role!(&mut self.role, r => r.on_message(ctx, from, msg, out))
    }

    fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<Self>) {
        each_role!(&mut self.role, r => r.on_timer(ctx, timer, out))
    }

    fn parse_command(
        config: &Config,
        text: &str,
        _resolve: &dyn Fn(&str) -> Option<NodeId>,
    ) -> Result<Command, String> {
        match (config.kind, text.trim()) {
            (Kind::Client { .. }, "request") => Ok(Command::Request),
            (Kind::Client { .. }, _) => Err(format!("unknown command `{text}` (clients take: request)")),
            (Kind::OutboxService, "poll") if config.publish == Publish::Outbox => Ok(Command::Poll),
            (Kind::OutboxService, _) => Err(format!("unknown command `{text}` (an outbox relay takes: poll)")),
            _ => Err("this node takes no commands".into()),
        }
    }

    fn on_command(&mut self, ctx: &Ctx, command: Command, out: &mut Out<Self>) {
        match (&mut self.role, command) {
            (Role::Client(c), Command::Request) => c.request(ctx, out),
            (Role::Outbox(s), Command::Poll) => s.poll(out),
            _ => {}
        }
    }

    fn reconfigure(&mut self, config: &Config) {
        each_role!(&mut self.role, r => r.config = config.clone())
    }

    fn describe(&self) -> Vec<String> {
        each_role!(&self.role, r => r.describe())
    }
}
