//! The store's nodes as one sans-I/O process: a client running the workload, or a replica
//! in one of four modes.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::client::Client;
use super::msg::{key_name, Cell, Key, Msg, Request, Value};
use super::replica::Replica;
use crate::process::{Ctx, Durable, ObsClass, Observation, Out, Process, TimerName};
use crate::time::Micros;
use crate::trace::NodeId;

/// What the store promises, and how it keeps the promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One leader orders writes; a write is acknowledged once a majority has it, and a read
    /// is answered once a majority confirms the leader is still the leader.
    Linearizable,
    /// Writes go through the leader as above; reads are answered by the client's own
    /// replica from what it knows is committed, once that is at least as new as what the
    /// client has already seen (as ZooKeeper does).
    Sequential,
    /// Every replica accepts writes from its clients and sends them on; a replica applies a
    /// write only after the writes it depends on (COPS).
    Causal,
    /// A write goes to any replica and spreads in the background; the last writer by
    /// timestamp wins.
    Eventual,
}

impl Mode {
    pub const NAMES: [&'static str; 4] = ["linearizable", "sequential", "causal", "eventual"];

    pub fn parse(name: &str) -> Mode {
        match name {
            "sequential" => Mode::Sequential,
            "causal" => Mode::Causal,
            "eventual" => Mode::Eventual,
            _ => Mode::Linearizable,
        }
    }

    pub fn has_leader(self) -> bool {
        matches!(self, Mode::Linearizable | Mode::Sequential)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Client { index: u8 },
    Replica { index: u8 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub kind: Kind,
    pub mode: Mode,
    pub replicas: Vec<NodeId>,
    pub clients: u8,
    pub keys: u8,
    /// Mean pause between a client's operations.
    pub think: Micros,
    /// How long a client waits for an answer before giving up (the outcome is unknown).
    pub timeout: Micros,
    pub reads_pct: u8,
    /// The teaching variant: the leader answers reads from its own state, unconfirmed.
    pub stale_reads: bool,
    /// Eventual mode: how many replicas (the coordinator included) must answer a read and
    /// acknowledge a write before the client gets its answer.
    pub read_quorum: u8,
    pub write_quorum: u8,
    /// When clients stop issuing operations, and when each reads every key a last time.
    pub stop: Micros,
    pub finals: Micros,
}

/// What a replica keeps on disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stable {
    pub term: u64,
    pub voted: Option<NodeId>,
    /// The term in which `tip` was last written, and how many writes it holds.
    pub epoch: u64,
    pub seq: u64,
    pub tip: Vec<Value>,
    pub commit: u64,
    pub committed: Vec<Value>,
    /// Causal and eventual modes: each key's newest value.
    pub cells: Vec<Cell>,
    pub lamport: u64,
}

impl Durable for Stable {
    type Change = Stable;
    fn apply(&mut self, change: Stable) {
        *self = change;
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    Election,
    Heartbeat,
    Gossip,
    Next,
    Retry,
    Timeout(u32),
    Finals,
}

impl TimerName for Timer {
    fn label(&self) -> &'static str {
        match self {
            Timer::Election => "election",
            Timer::Heartbeat => "heartbeat",
            Timer::Gossip => "anti-entropy",
            Timer::Next => "next operation",
            Timer::Retry => "retry",
            Timer::Timeout(_) => "give up",
            Timer::Finals => "final reads",
        }
    }
}

/// What the history and the canvas are built from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Obs {
    Invoke { process: u32, id: u32, request: Request, final_read: bool },
    Complete { id: u32, ok: bool, value: Value },
    Leader { term: u64 },
}

impl Observation for Obs {
    fn class(&self) -> ObsClass {
        match self {
            Obs::Invoke { .. } => ObsClass::ClientRequest,
            Obs::Complete { .. } => ObsClass::ClientResponse,
            Obs::Leader { .. } => ObsClass::StateChange,
        }
    }

    fn text(&self, _names: &dyn Fn(NodeId) -> String) -> String {
        match self {
            Obs::Invoke { process, id, request: Request::Read { key }, .. } => {
                format!("p{process} #{id} invokes read {}", key_name(*key))
            }
            Obs::Invoke { process, id, request: Request::Write { key, value }, .. } => {
                format!("p{process} #{id} invokes write {}={value}", key_name(*key))
            }
            Obs::Complete { id, ok: true, value } => format!("#{id} ok (value {value})"),
            Obs::Complete { id, .. } => format!("#{id} timed out: its outcome is unknown"),
            Obs::Leader { term } => format!("became leader in term {term}"),
        }
    }
}

#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
enum Role {
    Client(Client),
    Replica(Replica),
}

#[derive(Clone, Debug)]
pub struct State {
    role: Role,
}

impl State {
    /// The replica's values, for the view: tip and committed (leader modes) or cells.
    pub fn replica(&self) -> Option<&Replica> {
        match &self.role {
            Role::Replica(r) => Some(r),
            Role::Client(_) => None,
        }
    }
}

/// Commands an operator can give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A client reads or writes a key now.
    Read(Key),
    Write(Key),
    /// A replica starts an election now.
    Elect,
}

fn parse_key(word: Option<&str>, keys: u8) -> Result<Key, String> {
    let names: Vec<char> = (0..keys).map(key_name).collect();
    let word = word.ok_or_else(|| {
        format!("name a key ({})", names.iter().map(|c| format!("{c}")).collect::<Vec<_>>().join(", "))
    })?;
    (0..keys)
        .find(|&k| word.len() == 1 && word.starts_with(key_name(k)))
        .ok_or_else(|| format!("no key `{word}` (keys: {})", names.iter().collect::<String>()))
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
            Kind::Client { index } => Role::Client(Client::new(index, config.clone())),
            Kind::Replica { index } => Role::Replica(Replica::boot(me, index, config.clone(), stable)),
        };
        State { role }
    }

    fn on_start(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        match &mut self.role {
            Role::Client(c) => c.start(ctx, out),
            Role::Replica(r) => r.start(ctx, out),
        }
    }

    fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        match &mut self.role {
            Role::Client(c) => c.on_message(ctx, msg, out),
            Role::Replica(r) => r.on_message(ctx, from, msg, out),
        }
    }

    fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<Self>) {
        match &mut self.role {
            Role::Client(c) => c.on_timer(ctx, timer, out),
            Role::Replica(r) => r.on_timer(ctx, timer, out),
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
            (Kind::Client { .. }, "read") => Ok(Command::Read(parse_key(words.next(), config.keys)?)),
            (Kind::Client { .. }, "write") => Ok(Command::Write(parse_key(words.next(), config.keys)?)),
            (Kind::Client { .. }, _) => {
                Err(format!("unknown command `{text}` (clients take: read <key>, write <key>)"))
            }
            (Kind::Replica { .. }, "elect") if config.mode.has_leader() => Ok(Command::Elect),
            (Kind::Replica { .. }, _) if config.mode.has_leader() => {
                Err(format!("unknown command `{text}` (replicas take: elect)"))
            }
            (Kind::Replica { .. }, _) => Err("replicas in this mode take no commands".into()),
        }
    }

    fn on_command(&mut self, ctx: &Ctx, command: Command, out: &mut Out<Self>) {
        match (&mut self.role, command) {
            (Role::Client(c), Command::Read(key)) => c.issue(ctx, Request::Read { key }, out),
            (Role::Client(c), Command::Write(key)) => {
                let value = c.next_value();
                c.issue(ctx, Request::Write { key, value }, out)
            }
            (Role::Replica(r), Command::Elect) => r.campaign(ctx, out),
            _ => {}
        }
    }

    fn reconfigure(&mut self, config: &Config) {
        match &mut self.role {
            Role::Client(c) => c.config = config.clone(),
            Role::Replica(r) => r.config = config.clone(),
        }
    }

    fn describe(&self) -> Vec<String> {
        match &self.role {
            Role::Client(c) => c.describe(),
            Role::Replica(r) => r.describe(),
        }
    }
}

/// The values of `keys` keys, all unwritten.
pub fn empty(keys: u8) -> Vec<Value> {
    vec![0; usize::from(keys)]
}
