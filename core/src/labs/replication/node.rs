//! The replication lab's nodes as one sans-I/O process: a client, a single-leader server or
//! its failover monitor, a multi-leader datacenter, or a leaderless replica.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::client::Client;
use super::data::{Conflicts, DcState};
use super::leader::Server;
use super::leaderless::Replica;
use super::monitor::Monitor;
use super::msg::{key_name, Entry, Key, Msg, Reply, Request, Value};
use super::multi::Datacenter;
use crate::process::{Ctx, Durable, ObsClass, Observation, Out, Process, TimerName};
use crate::time::Micros;
use crate::trace::NodeId;

/// The three families of replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    SingleLeader,
    MultiLeader,
    Leaderless,
}

impl Family {
    pub const NAMES: [&'static str; 3] = ["single-leader", "multi-leader", "leaderless"];

    pub fn parse(name: &str) -> Family {
        match name {
            "multi-leader" => Family::MultiLeader,
            "leaderless" => Family::Leaderless,
            _ => Family::SingleLeader,
        }
    }
}

/// When the single leader acknowledges a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMode {
    /// After every follower has it.
    Synchronous,
    /// After one follower has it.
    SemiSynchronous,
    /// After its own write.
    Asynchronous,
}

impl SyncMode {
    pub const NAMES: [&'static str; 3] = ["sync", "semi-sync", "async"];

    pub fn parse(name: &str) -> SyncMode {
        match name {
            "sync" => SyncMode::Synchronous,
            "async" => SyncMode::Asynchronous,
            _ => SyncMode::SemiSynchronous,
        }
    }
}

/// Where single-leader clients send reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFrom {
    Leader,
    /// Any follower, chosen per read.
    Followers,
    /// The client's own follower, always the same one.
    Sticky,
}

impl ReadFrom {
    pub const NAMES: [&'static str; 3] = ["leader", "followers", "sticky"];

    pub fn parse(name: &str) -> ReadFrom {
        match name {
            "followers" => ReadFrom::Followers,
            "sticky" => ReadFrom::Sticky,
            _ => ReadFrom::Leader,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Client { index: u8 },
    Server { index: u8 },
    Monitor,
    Datacenter { index: u8 },
    Replica { index: u8 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub family: Family,
    pub kind: Kind,
    /// The servers (single leader), datacenters (multi-leader) or replicas (leaderless).
    pub servers: Vec<NodeId>,
    pub monitor: Option<NodeId>,
    pub clients: Vec<NodeId>,
    pub keys: u8,
    pub think: Micros,
    pub timeout: Micros,
    pub reads_pct: u8,
    pub stop: Micros,
    pub finals: Micros,
    // Single leader.
    pub sync: SyncMode,
    pub promote_any: bool,
    pub lease: bool,
    pub failover: Micros,
    pub heartbeat: Micros,
    pub read_from: ReadFrom,
    /// Read from the leader for this long after one's own write (0: never).
    pub ryw_window: Micros,
    // Multi-leader.
    pub conflicts: Conflicts,
    /// This node's clock runs this far ahead of true time.
    pub skew: Micros,
    pub sync_every: Micros,
    // Leaderless.
    pub n: u8,
    pub r: u8,
    pub w: u8,
    pub read_repair: bool,
    /// Versions by vector clock (siblings kept) rather than by timestamp (latest wins).
    pub vector_clocks: bool,
    pub sloppy: bool,
    /// Anti-entropy period (0: off).
    pub anti_entropy: Micros,
}

impl Config {
    /// The leaderless ring: the replicas that hold `key`, home first.
    pub fn preference(&self, key: Key) -> Vec<usize> {
        let count = self.servers.len().max(1);
        (0..usize::from(self.n).min(count)).map(|i| (usize::from(key) + i) % count).collect()
    }

    /// The next replicas round the ring after the preference list: sloppy-quorum stand-ins.
    pub fn stand_ins(&self, key: Key) -> Vec<usize> {
        let count = self.servers.len().max(1);
        (usize::from(self.n).min(count)..count).map(|i| (usize::from(key) + i) % count).collect()
    }
}

/// The client operations a node has already taken, so that a duplicated message is not
/// applied twice (the most recent few hundred, by client and operation id).
#[derive(Clone, Debug, Default)]
pub struct Recent {
    ids: alloc::collections::VecDeque<(NodeId, u32)>,
}

impl Recent {
    const KEEP: usize = 512;

    /// Whether this is the first time the operation arrives (and remembers it).
    pub fn first(&mut self, client: NodeId, id: u32) -> bool {
        if self.ids.contains(&(client, id)) {
            return false;
        }
        if self.ids.len() == Self::KEEP {
            self.ids.pop_front();
        }
        self.ids.push_back((client, id));
        true
    }
}

/// What a node keeps on disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stable {
    /// Single leader: the epoch and the log; the monitor: its epoch and whom it promoted.
    pub epoch: u64,
    pub log: Vec<Entry>,
    pub leader: u8,
    /// Multi-leader: the datacenter's state.
    pub dc: Option<DcState>,
    /// Leaderless: the cells, hints held for other replicas, and the counter this replica
    /// advances in the vector clocks of the versions it coordinates.
    pub cells: Vec<super::data::Cell>,
    pub hints: Vec<Hint>,
    pub counter: u64,
}

/// A write a stand-in keeps for a replica that did not answer: handed back when it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// Changes whenever the cell does, so an acknowledgement of an older hand-off does not
    /// remove a hint that has since grown.
    pub id: u32,
    pub owner: NodeId,
    pub key: Key,
    pub cell: super::data::Cell,
}

/// One change to what a node keeps on disk, as a write-ahead log records it: persisting
/// costs the change, not the whole state.
#[derive(Clone, Debug)]
pub enum Change {
    Epoch(u64),
    Append(Entry),
    Truncate(u64),
    Promoted { epoch: u64, leader: u8 },
    Dc(DcState),
    Cell(Key, super::data::Cell),
    Hints(Vec<Hint>),
    Counter(u64),
}

impl Durable for Stable {
    type Change = Change;
    fn apply(&mut self, change: Change) {
        match change {
            Change::Epoch(epoch) => self.epoch = epoch,
            Change::Append(entry) => self.log.push(entry),
            Change::Truncate(len) => self.log.truncate(len as usize),
            Change::Promoted { epoch, leader } => (self.epoch, self.leader) = (epoch, leader),
            Change::Dc(state) => self.dc = Some(state),
            Change::Cell(key, cell) => {
                let key = usize::from(key);
                if self.cells.len() <= key {
                    self.cells.resize(key + 1, super::data::Cell::default());
                }
                self.cells[key] = cell;
            }
            Change::Hints(hints) => self.hints = hints,
            Change::Counter(counter) => self.counter = counter,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    Heartbeat,
    Ping,
    Sync,
    Next,
    Timeout(u32),
    /// Send operation `id` again (after a redirect).
    Retry(u32),
    Finals,
    /// Leaderless: a write's stand-ins are asked if its quorum has not answered by then.
    Sloppy(u32),
    Handoff,
    AntiEntropy,
}

impl TimerName for Timer {
    fn label(&self) -> &'static str {
        match self {
            Timer::Heartbeat => "heartbeat",
            Timer::Ping => "health check",
            Timer::Sync => "replicate",
            Timer::Next => "next operation",
            Timer::Retry(_) => "retry",
            Timer::Timeout(_) => "give up",
            Timer::Finals => "final reads",
            Timer::Sloppy(_) => "ask stand-ins",
            Timer::Handoff => "hinted handoff",
            Timer::AntiEntropy => "anti-entropy",
        }
    }
}

/// What the checkers, the history and the view are built from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Obs {
    Invoke {
        process: u32,
        id: u32,
        request: Request,
        final_read: bool,
    },
    Complete {
        id: u32,
        ok: bool,
        reply: Reply,
    },
    /// Single leader: the leader acknowledged the write at log position `index`.
    Acked {
        epoch: u64,
        index: u64,
        key: Key,
        value: Value,
        client: NodeId,
    },
    /// The monitor saw the leader silent and promoted `to`.
    Failover {
        epoch: u64,
        from: NodeId,
        to: NodeId,
    },
    Promoted {
        epoch: u64,
        len: u64,
    },
    SteppedDown {
        epoch: u64,
    },
    /// A server discarded the log entries from `from` on (they were not the leader's).
    Rollback {
        from: u64,
        count: u64,
    },
    /// Multi-leader: a write dropped by a merge without its replacement having seen it.
    Dropped {
        key: Key,
        lost: Value,
        kept: Value,
        later: bool,
        dc: u8,
        number: u64,
    },
    Conflict {
        key: Key,
        siblings: u32,
    },
    /// Multi-leader: a client's update applied here, as update `number` of this datacenter,
    /// changing a counter by `delta`.
    Updated {
        number: u64,
        delta: i8,
    },
    /// Another datacenter's state merged in, with `updates` updates new here.
    Merged {
        from: NodeId,
        updates: u64,
    },
    /// Leaderless: a read found stale replicas and wrote the newest value back.
    Repaired {
        key: Key,
        replicas: u32,
    },
    Hinted {
        key: Key,
        holder: NodeId,
        owner: NodeId,
    },
    HandedOff {
        key: Key,
        to: NodeId,
    },
    /// An anti-entropy round: hashes sent at a level, and the ranges found different.
    TreeLevel {
        peer: NodeId,
        level: u8,
        hashes: u32,
        differing: u32,
    },
    TreeKeys {
        peer: NodeId,
        keys: u32,
    },
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
            Obs::Invoke { process, id, request, .. } => format!("p{process} #{id} invokes {request}"),
            Obs::Complete { id, ok: true, reply } => format!("#{id} {reply}"),
            Obs::Complete { id, .. } => format!("#{id} timed out: its outcome is unknown"),
            Obs::Acked { epoch, index, key, value, client } => {
                format!("acknowledged {}={value} to {} (entry {index}, epoch {epoch})", key_name(*key), names(*client))
            }
            Obs::Failover { epoch, from, to } => {
                format!("{} silent: promoted {} to lead epoch {epoch}", names(*from), names(*to))
            }
            Obs::Promoted { epoch, len } => format!("leads epoch {epoch} with {len} entries"),
            Obs::SteppedDown { epoch } => format!("stepped down: epoch {epoch} has another leader"),
            Obs::Rollback { from, count } => format!("discarded {count} entries from {from} on"),
            Obs::Dropped { key, lost, kept, later, .. } => format!(
                "{}={lost} dropped for {}={kept}{}",
                key_name(*key),
                key_name(*key),
                if *later { ", though it was written later" } else { "" }
            ),
            Obs::Conflict { key, siblings } => format!("{} has {siblings} concurrent siblings", key_name(*key)),
            Obs::Updated { number, delta: 0 } => format!("update {number} applied"),
            Obs::Updated { number, delta } => format!("update {number} applied ({delta:+})"),
            Obs::Merged { from, updates } => format!("merged {}'s state: {updates} new updates", names(*from)),
            Obs::Repaired { key, replicas } => format!("read repair of {} on {replicas} replicas", key_name(*key)),
            Obs::Hinted { key, holder, owner } => {
                format!("{} keeps {} for {}", names(*holder), key_name(*key), names(*owner))
            }
            Obs::HandedOff { key, to } => format!("handed {} back to {}", key_name(*key), names(*to)),
            Obs::TreeLevel { peer, level, hashes, differing } => {
                format!("Merkle with {}: level {level}, {hashes} hashes, {differing} differ", names(*peer))
            }
            Obs::TreeKeys { peer, keys } => format!("Merkle with {}: {keys} keys exchanged", names(*peer)),
        }
    }
}

#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Role {
    Client(Client),
    Server(Server),
    Monitor(Monitor),
    Datacenter(Datacenter),
    Replica(Replica),
}

#[derive(Clone, Debug)]
pub struct State {
    pub role: Role,
}

/// Commands an operator can give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A client starts an operation now.
    Do(Request),
    /// The monitor fails the leader over now.
    Failover,
    /// A leaderless replica starts an anti-entropy round now.
    Repair,
}

fn parse_key(word: Option<&str>, keys: u8) -> Result<Key, String> {
    let word = word.ok_or_else(|| "name a key (x, y, z, w, then k5, k6, …)".to_string())?;
    (0..keys)
        .find(|&k| format!("{}", key_name(k)) == word)
        .ok_or_else(|| format!("no key `{word}` (this run has {keys} keys, from x)"))
}

fn parse_element(word: Option<&str>) -> Result<u8, String> {
    match word.map(str::as_bytes) {
        Some([c @ b'a'..=b'h']) => Ok(c - b'a'),
        _ => Err("name an element from a to h".into()),
    }
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
            Kind::Server { index } => Role::Server(Server::boot(me, index, config.clone(), stable)),
            Kind::Monitor => Role::Monitor(Monitor::new(config.clone(), stable)),
            Kind::Datacenter { index } => Role::Datacenter(Datacenter::boot(index, config.clone(), stable)),
            Kind::Replica { index } => Role::Replica(Replica::boot(me, index, config.clone(), stable)),
        };
        State { role }
    }

    fn on_start(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        match &mut self.role {
            Role::Client(c) => c.start(ctx, out),
            Role::Server(s) => s.start(ctx, out),
            Role::Monitor(m) => m.start(ctx, out),
            Role::Datacenter(d) => d.start(ctx, out),
            Role::Replica(r) => r.start(ctx, out),
        }
    }

    fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        match &mut self.role {
            Role::Client(c) => c.on_message(ctx, msg, out),
            Role::Server(s) => s.on_message(ctx, from, msg, out),
            Role::Monitor(m) => m.on_message(ctx, from, msg, out),
            Role::Datacenter(d) => d.on_message(ctx, from, msg, out),
            Role::Replica(r) => r.on_message(ctx, from, msg, out),
        }
    }

    fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<Self>) {
        match &mut self.role {
            Role::Client(c) => c.on_timer(ctx, timer, out),
            Role::Server(s) => s.on_timer(ctx, timer, out),
            Role::Monitor(m) => m.on_timer(ctx, timer, out),
            Role::Datacenter(d) => d.on_timer(ctx, timer, out),
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
            (Kind::Client { .. }, "read") => Ok(Command::Do(Request::Read { key: parse_key(words.next(), config.keys)? })),
            (Kind::Client { .. }, "write") => {
                Ok(Command::Do(Request::Write { key: parse_key(words.next(), config.keys)?, value: 0 }))
            }
            (Kind::Client { .. }, "increment") => Ok(Command::Do(Request::Increment)),
            (Kind::Client { .. }, "decrement") if config.conflicts == Conflicts::PNCounter => {
                Ok(Command::Do(Request::Decrement))
            }
            (Kind::Client { .. }, "decrement") => Err("only a PN-Counter can be decremented".into()),
            (Kind::Client { .. }, "add") => Ok(Command::Do(Request::Add { element: parse_element(words.next())? })),
            (Kind::Client { .. }, "remove") => {
                Ok(Command::Do(Request::Remove { element: parse_element(words.next())? }))
            }
            (Kind::Client { .. }, _) => Err(format!(
                "unknown command `{text}` (clients take: read <key>, write <key>, increment, decrement, add <e>, remove <e>)"
            )),
            (Kind::Monitor, "failover") => Ok(Command::Failover),
            (Kind::Monitor, _) => Err(format!("unknown command `{text}` (the monitor takes: failover)")),
            (Kind::Replica { .. }, "repair") => Ok(Command::Repair),
            (Kind::Replica { .. }, _) => Err(format!("unknown command `{text}` (replicas take: repair)")),
            _ => Err("this node takes no commands".into()),
        }
    }

    fn on_command(&mut self, ctx: &Ctx, command: Command, out: &mut Out<Self>) {
        match (&mut self.role, command) {
            (Role::Client(c), Command::Do(request)) => c.command(ctx, request, out),
            (Role::Monitor(m), Command::Failover) => m.fail_over(ctx, out),
            (Role::Replica(r), Command::Repair) => r.start_round(out),
            _ => {}
        }
    }

    fn reconfigure(&mut self, config: &Config) {
        match &mut self.role {
            Role::Client(c) => c.config = config.clone(),
            Role::Server(s) => s.config = config.clone(),
            Role::Monitor(m) => m.config = config.clone(),
            Role::Datacenter(d) => d.config = config.clone(),
            Role::Replica(r) => r.config = config.clone(),
        }
    }

    fn describe(&self) -> Vec<String> {
        match &self.role {
            Role::Client(c) => c.describe(),
            Role::Server(s) => s.describe(),
            Role::Monitor(m) => m.describe(),
            Role::Datacenter(d) => d.describe(),
            Role::Replica(r) => r.describe(),
        }
    }

    fn glyph(&self) -> crate::sim::Glyph {
        use crate::sim::{Glyph, Standing};
        match &self.role {
            Role::Server(s) => Glyph {
                standing: if s.leading { Standing::Leader } else { Standing::Follower },
                mark: Some(("epoch", s.epoch)),
                timer: None,
            },
            _ => Glyph::default(),
        }
    }
}
