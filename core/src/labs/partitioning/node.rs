//! The partitioning lab's nodes as one sans-I/O process: a storage node, the coordinator
//! that keeps the partition map, the routing tier, or a client.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

use super::client::Client;
use super::coordinator::Coordinator;
use super::map::{Key, KeySpace, Map, Scheme, Sizes};
use super::msg::{Item, Msg, Op, Value};
use super::router::Router;
use super::store::Store;
use super::workload::Distribution;
use crate::process::{Ctx, Durable, ObsClass, Observation, Out, Process, TimerName};
use crate::time::Micros;
use crate::trace::NodeId;

/// Where clients send requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing {
    /// Clients keep a copy of the map, refreshed when a node redirects them.
    Client,
    /// A routing tier keeps the map and forwards every request.
    Tier,
    /// Clients ask any node, which forwards to the owner by its own map.
    Any,
}

impl Routing {
    pub const NAMES: [&'static str; 3] = ["client", "tier", "any-node"];

    pub fn parse(name: &str) -> Routing {
        match name {
            "tier" => Routing::Tier,
            "any-node" => Routing::Any,
            _ => Routing::Client,
        }
    }
}

/// How keys change hands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handoff {
    /// Copy, wait for every batch to be acknowledged, pause writes to the moving keys, then
    /// switch everyone to the new map at once (the coordinator's commit).
    CopyThenCommit,
    /// Teaching variant: switch to the new map at once, send each moving key once and
    /// delete it, with no acknowledgement.
    FireAndForget,
}

impl Handoff {
    pub const NAMES: [&'static str; 2] = ["copy-then-commit", "fire-and-forget"];

    pub fn parse(name: &str) -> Handoff {
        if name == "fire-and-forget" {
            Handoff::FireAndForget
        } else {
            Handoff::CopyThenCommit
        }
    }
}

/// A secondary index by term (the value's "colour").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    None,
    /// Document-partitioned: each node indexes its own keys; a query asks every node.
    Local,
    /// Term-partitioned: a term's entries live together, on the partition of the term; a
    /// query asks that partition, and a write updates the entries of the old and the new
    /// term, wherever they live, after it is acknowledged (as DynamoDB's global indexes).
    Global,
}

impl Index {
    pub const NAMES: [&'static str; 3] = ["none", "local", "global"];

    pub fn parse(name: &str) -> Index {
        match name {
            "local" => Index::Local,
            "global" => Index::Global,
            _ => Index::None,
        }
    }
}

/// What a client's operation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum OpKind {
    /// A read or write of one key (fanned out over a salted hot key's copies).
    Single,
    /// A range scan.
    Scan,
    /// A secondary-index query for a term.
    Query,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Storage,
    Coordinator,
    Router,
    Client { index: u8 },
}

#[derive(Clone, Debug)]
pub struct Config {
    pub kind: Kind,
    pub scheme: Scheme,
    pub vnodes: u16,
    pub partitions: u16,
    pub space: KeySpace,
    /// Every storage node, spares included, and those in the first map.
    pub storage: Vec<NodeId>,
    pub initial: Vec<NodeId>,
    pub coordinator: NodeId,
    pub router: Option<NodeId>,
    pub routing: Routing,
    pub handoff: Handoff,
    pub distribution: Distribution,
    /// Share of operations on the hot key (key 0), in percent.
    pub hot_pct: u8,
    pub reads_pct: u8,
    pub scans_pct: u8,
    /// Keys a scan covers.
    pub scan_keys: u32,
    pub index: Index,
    pub queries_pct: u8,
    pub think: Micros,
    pub timeout: Micros,
    /// When the workload stops.
    pub stop: Micros,
    pub value_bytes: u32,
    /// Keys per transfer batch.
    pub batch: u32,
    /// Dynamic splitting of ranges, if on.
    pub sizes: Option<Sizes>,
    /// Take a silent node out of the map after this long (none: wait for it).
    pub reassign_after: Option<Micros>,
    /// The keys this node holds at the start (storage nodes in the first map), and their values.
    pub preload: Vec<(Key, Value)>,
}

/// What survives a crash: a storage node's keys and maps; the coordinator's maps.
#[derive(Clone, Debug, Default)]
pub struct Stable {
    pub loaded: bool,
    pub data: BTreeMap<Key, (u64, Value)>,
    pub map: Option<Map>,
    pub next: Option<Map>,
    pub leaving: bool,
    /// Global index updates not yet acknowledged by their partitions: id → (entry,
    /// present, the data write's stamp), logged with the write they follow.
    pub index_updates: BTreeMap<u32, (Key, bool, u64)>,
    pub next_update: u32,
}

#[derive(Clone, Debug)]
pub enum Change {
    Load(Vec<(Key, Value)>),
    Put(Item),
    Delete(Vec<Key>),
    Map(Map),
    Next(Option<Map>),
    Leaving,
    IndexQueued(u32, Key, bool, u64),
    IndexDone(u32),
}

impl Durable for Stable {
    type Change = Change;
    fn apply(&mut self, change: Change) {
        match change {
            Change::Load(keys) => {
                self.loaded = true;
                self.data.extend(keys.into_iter().map(|(k, v)| (k, (0, v))));
            }
            Change::Put(item) => {
                self.data.insert(item.key, (item.stamp, item.value));
            }
            Change::Delete(keys) => keys.iter().for_each(|k| {
                self.data.remove(k);
            }),
            Change::Map(map) => self.map = Some(map),
            Change::Next(next) => self.next = next,
            Change::Leaving => self.leaving = true,
            Change::IndexQueued(id, entry, present, stamp) => {
                self.index_updates.insert(id, (entry, present, stamp));
                self.next_update = self.next_update.max(id + 1);
            }
            Change::IndexDone(id) => {
                self.index_updates.remove(&id);
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// Client: the next operation; storage: the next report to the coordinator;
    /// coordinator: the next look at membership and progress.
    Tick,
    /// Client: the operation's deadline.
    Deadline,
    /// Client: retry parts that were told to wait.
    Retry,
    /// Storage: resend unacknowledged batches and index updates.
    Resend,
}

impl TimerName for Timer {
    fn label(&self) -> &'static str {
        match self {
            Timer::Tick => "tick",
            Timer::Deadline => "deadline",
            Timer::Retry => "retry",
            Timer::Resend => "resend",
        }
    }
}

/// Why the coordinator changed the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Reason {
    Joined(NodeId),
    Left(NodeId),
    Decommissioned(NodeId),
    Silent(NodeId),
    Split,
    Merge,
    Members,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Obs {
    /// A client starts an operation on `key` (`parts` requests: a salted hot key's read
    /// fans out), a scan from `key` or a query for term `key`, asking `parts` nodes.
    Invoke { id: u32, key: Key, op: Op, parts: u8, kind: OpKind },
    /// It ends: `ok` false when the deadline passed (its outcome unknown); the value read,
    /// or the keys a scan or query counted.
    Complete { id: u32, ok: bool, value: Option<Value>, redirects: u8 },
    /// A storage node sent a write's index updates to the partitions of its old and new terms.
    Indexed { key: Key, from: Option<u8>, to: u8 },
    /// A node answered for `key` as its owner under map `epoch`; `wrote`: the value it stored.
    Served { key: Key, epoch: u32, wrote: Option<Value> },
    /// A storage node starts handing over `keys` keys for map `epoch`.
    Moving { epoch: u32, keys: u32 },
    /// A storage node applied map `epoch`, deleting `dropped` keys it no longer owns.
    Applied { epoch: u32, dropped: u32 },
    /// The coordinator starts map `epoch`.
    Rebalance { epoch: u32, reason: Reason, before: u16, after: u16 },
    /// The coordinator commits map `epoch`; `moved` keys changed hands.
    Committed { epoch: u32, moved: u32 },
    /// Every node has applied map `epoch`.
    Settled { epoch: u32 },
}

impl Observation for Obs {
    fn class(&self) -> ObsClass {
        match self {
            Obs::Invoke { .. } => ObsClass::ClientRequest,
            Obs::Complete { .. } => ObsClass::ClientResponse,
            _ => ObsClass::StateChange,
        }
    }

    fn text(&self, names: &dyn Fn(NodeId) -> String) -> String {
        match self {
            Obs::Invoke { id, parts, kind: OpKind::Scan, .. } => format!("#{id} scans {parts} nodes"),
            Obs::Invoke { id, key, parts, kind: OpKind::Query, .. } => {
                format!("#{id} queries the index for term {key} on {parts} nodes")
            }
            Obs::Invoke { id, key, op, parts: 1, .. } => format!("#{id} invokes {op} k{key}"),
            Obs::Invoke { id, key, op, parts, .. } => format!("#{id} invokes {op} k{key} across {parts} salted keys"),
            Obs::Complete { id, ok: true, value: Some(v), .. } => format!("#{id} ok, value {v}"),
            Obs::Complete { id, ok: true, value: None, .. } => format!("#{id} ok, key not found"),
            Obs::Complete { id, .. } => format!("#{id} timed out: its outcome is unknown"),
            Obs::Indexed { key, from: Some(from), to } => {
                format!("k{key} moves from term {from} to term {to}: two index updates sent")
            }
            Obs::Indexed { key, from: None, to } => format!("k{key} gets term {to}: one index update sent"),
            Obs::Served { key, epoch, wrote } => {
                format!("{} k{key} as its owner under map {epoch}", if wrote.is_some() { "wrote" } else { "read" })
            }
            Obs::Moving { epoch, keys } => format!("hands over {keys} keys for map {epoch}"),
            Obs::Applied { epoch, dropped } => format!("applied map {epoch}, dropped {dropped} keys it gave away"),
            Obs::Rebalance { epoch, reason, before, after } => {
                let why = match reason {
                    Reason::Joined(n) => format!("{} joined", names(*n)),
                    Reason::Left(n) => format!("{} left", names(*n)),
                    Reason::Decommissioned(n) => format!("{} is decommissioned", names(*n)),
                    Reason::Silent(n) => format!("{} is silent", names(*n)),
                    Reason::Split => "a range grew too big".into(),
                    Reason::Merge => "two ranges shrank".into(),
                    Reason::Members => "membership changed".into(),
                };
                format!("map {epoch}: {why} ({before} → {after} nodes)")
            }
            Obs::Committed { epoch, moved } => format!("map {epoch} committed: {moved} keys moved"),
            Obs::Settled { epoch } => format!("every node applied map {epoch}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Client: read or write a key now.
    Do(Key, Op),
    /// Storage: ask to leave, handing every key over first.
    Decommission,
}

#[derive(Clone, Debug)]
pub enum Role {
    Storage(Store),
    Coordinator(Coordinator),
    Router(Router),
    Client(Client),
}

#[derive(Clone, Debug)]
pub struct State {
    pub role: Role,
}

fn parse_key(word: Option<&str>, space: &KeySpace) -> Result<Key, String> {
    let word = word.ok_or("name a key, e.g. k0")?;
    let key: Key = word
        .trim_start_matches('k')
        .parse()
        .map_err(|_| format!("`{word}` is not a key (keys are k0 … k{})", space.keys.saturating_sub(1)))?;
    if key >= space.keys {
        return Err(format!("there is no key {word}: keys are k0 … k{}", space.keys.saturating_sub(1)));
    }
    Ok(key)
}

impl Process for State {
    type Msg = Msg;
    type Timer = Timer;
    type Stable = Stable;
    type Obs = Obs;
    type Config = Config;
    type Command = Command;

    fn boot(me: NodeId, config: &Config, stable: &Stable) -> Self {
        let role = match config.kind {
            Kind::Storage => Role::Storage(Store::boot(me, config, stable)),
            Kind::Coordinator => Role::Coordinator(Coordinator::boot(config, stable)),
            Kind::Router => Role::Router(Router::new(config)),
            Kind::Client { index } => Role::Client(Client::new(index, config)),
        };
        State { role }
    }

    fn on_start(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        match &mut self.role {
            Role::Storage(s) => s.start(ctx, out),
            Role::Coordinator(c) => c.start(ctx, out),
            Role::Router(r) => r.start(out),
            Role::Client(c) => c.start(ctx, out),
        }
    }

    fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        match &mut self.role {
            Role::Storage(s) => s.on_message(ctx, from, msg, out),
            Role::Coordinator(c) => c.on_message(ctx, from, msg, out),
            Role::Router(r) => r.on_message(ctx, from, msg, out),
            Role::Client(c) => c.on_message(ctx, from, msg, out),
        }
    }

    fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<Self>) {
        match &mut self.role {
            Role::Storage(s) => s.on_timer(ctx, timer, out),
            Role::Coordinator(c) => c.on_timer(ctx, out),
            Role::Router(_) => {}
            Role::Client(c) => c.on_timer(ctx, timer, out),
        }
    }

    fn parse_command(
        config: &Config,
        text: &str,
        _resolve: &dyn Fn(&str) -> Option<NodeId>,
    ) -> Result<Command, String> {
        let mut words = text.split_whitespace();
        let verb = words.next().unwrap_or("");
        match (config.kind, verb) {
            (Kind::Client { .. }, "read") => Ok(Command::Do(parse_key(words.next(), &config.space)?, Op::Read)),
            (Kind::Client { .. }, "write") => Ok(Command::Do(parse_key(words.next(), &config.space)?, Op::Write(0, 0))),
            (Kind::Client { .. }, _) => {
                Err(format!("unknown command `{text}` (clients take: read <key>, write <key>, e.g. read k0)"))
            }
            (Kind::Storage, "decommission") => Ok(Command::Decommission),
            (Kind::Storage, _) => Err(format!("unknown command `{text}` (storage nodes take: decommission)")),
            _ => Err("this node takes no commands".into()),
        }
    }

    fn on_command(&mut self, ctx: &Ctx, command: Command, out: &mut Out<Self>) {
        match (&mut self.role, command) {
            (Role::Client(c), Command::Do(key, op)) => c.command(ctx, key, op, out),
            (Role::Storage(s), Command::Decommission) => s.decommission(ctx, out),
            _ => {}
        }
    }

    fn reconfigure(&mut self, config: &Config) {
        match &mut self.role {
            Role::Client(c) => c.reconfigure(config),
            Role::Coordinator(c) => c.reconfigure(config),
            _ => {}
        }
    }

    fn describe(&self) -> Vec<String> {
        match &self.role {
            Role::Storage(s) => s.describe(),
            Role::Coordinator(c) => c.describe(),
            Role::Router(r) => r.describe(),
            Role::Client(c) => c.describe(),
        }
    }
}
