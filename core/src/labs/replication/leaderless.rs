//! Leaderless replication as Dynamo does it (DeCandia et al., SOSP 2007): each key lives on
//! the N replicas that follow it round a ring; any replica coordinates a client's operation,
//! sending it to all N and answering once W have stored a write or R have answered a read
//! (the newest version wins: a timestamp and the coordinator's number). When R + W > N every
//! read quorum overlaps every write quorum.
//!
//! - **Read repair**: a coordinator that finds stale replicas among the answers writes the
//!   newest version back to them.
//! - **Sloppy quorum and hinted handoff**: when too few of the N answer a write in time, the
//!   next replicas round the ring store it for them, with a hint, and hand it back when the
//!   owner answers again. The write is acknowledged, but reads still ask the N owners: R + W
//!   > N no longer promises an overlap.
//! - **Anti-entropy with Merkle trees** (Merkle 1987, as Dynamo and Cassandra): each replica
//!   periodically compares a hash tree of the keys it shares with its ring successor, root
//!   first, descends only into the subtrees that differ, and exchanges the keys of the
//!   differing leaves.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::data::{Cell, Version};
use super::msg::{Key, Msg, Reply, Request, Value};
use super::node::{Change, Config, Hint, Obs, Recent, Stable, State, Timer};
use crate::crdt::VersionVector;
use crate::merkle::MerkleTree;
use crate::process::{Ctx, Out};
use crate::time::Micros;
use crate::trace::NodeId;

/// An operation this replica coordinates.
#[derive(Clone, Debug)]
pub struct Coordination {
    pub token: u32,
    client: NodeId,
    id: u32,
    pub key: Key,
    write: Option<Cell>,
    /// Who was asked, and who answered (with their cell, for reads).
    pub asked: Vec<NodeId>,
    pub answered: Vec<(NodeId, Cell)>,
    done: bool,
    pub started: Micros,
}

impl Coordination {
    pub fn is_write(&self) -> bool {
        self.write.is_some()
    }
}

#[derive(Clone, Debug)]
pub struct Replica {
    pub config: Config,
    me: NodeId,
    pub index: u8,
    /// Each key's versions (empty: never written here).
    pub cells: Vec<Cell>,
    /// Writes kept for another replica: (owner, key, cell).
    pub hints: Vec<Hint>,
    next_hint: u32,
    /// The counter this replica advances in the vector clocks of versions it coordinates.
    counter: u64,
    taken: Recent,
    pub coordinating: Vec<Coordination>,
    /// The last operation coordinated, kept for the view.
    pub last: Option<Coordination>,
    next_token: u32,
    round: u32,
    /// The anti-entropy round in progress: its peer and the levels descended so far.
    pub exchange: Option<(NodeId, u32, u8, Vec<u32>)>,
}

const HINT_TOKENS: u32 = 1 << 31;
/// How often a replica tries to hand its hints back to their owners.
const HANDOFF_EVERY: Micros = 1_000_000;

impl Replica {
    pub fn boot(me: NodeId, index: u8, config: Config, stable: &Stable) -> Self {
        let mut cells = stable.cells.clone();
        cells.resize(usize::from(config.keys), Cell::default());
        Replica {
            me,
            index,
            cells,
            hints: stable.hints.clone(),
            next_hint: stable.hints.iter().map(|h| h.id + 1).max().unwrap_or(0),
            counter: stable.counter,
            taken: Recent::default(),
            coordinating: Vec::new(),
            last: None,
            next_token: 1,
            round: 0,
            exchange: None,
            config,
        }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        out.set_timer(Timer::Handoff, HANDOFF_EVERY / 2 + ctx.entropy % HANDOFF_EVERY);
        if self.config.anti_entropy > 0 {
            out.set_timer(Timer::AntiEntropy, self.config.anti_entropy / 2 + ctx.entropy % self.config.anti_entropy);
        }
    }

    fn persist_cell(&self, key: Key, out: &mut Out<State>) {
        if let Some(cell) = self.cells.get(usize::from(key)) {
            out.persist(Change::Cell(key, cell.clone()));
        }
    }

    /// Merges `cell` into ours (the latest timestamp wins, or siblings are kept by vector
    /// clock), on disk too; true if ours changed.
    fn store(&mut self, key: Key, cell: &Cell, out: &mut Out<State>) -> bool {
        let vector = self.config.vector_clocks;
        let changed = self.cells.get_mut(usize::from(key)).is_some_and(|slot| slot.merge(cell, vector));
        if changed {
            self.persist_cell(key, out);
        }
        changed
    }

    /// Keeps `cell` for `owner`, merged with what is already kept for it under a new id.
    fn keep_hint(&mut self, owner: NodeId, key: Key, cell: Cell, out: &mut Out<State>) {
        let vector = self.config.vector_clocks;
        let id = self.next_hint;
        self.next_hint = self.next_hint.wrapping_add(1) % HINT_TOKENS;
        match self.hints.iter_mut().find(|h| h.owner == owner && h.key == key) {
            Some(hint) => {
                hint.cell.merge(&cell, vector);
                hint.id = id;
            }
            None => self.hints.push(Hint { id, owner, key, cell }),
        }
        out.persist(Change::Hints(self.hints.clone()));
    }

    /// What a client is told of a cell: its latest value, or its siblings and their context.
    fn reply(&self, cell: &Cell) -> Reply {
        if self.config.vector_clocks {
            Reply::Siblings(cell.values(), cell.context())
        } else {
            Reply::Value(cell.latest())
        }
    }

    fn node(&self, replica: usize) -> NodeId {
        self.config.servers[replica]
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Op { id, request: Request::Read { key }, local: true, .. } => {
                let reply = self.reply(&self.cells.get(usize::from(key)).cloned().unwrap_or_default());
                out.send(from, Msg::Done { id, reply });
            }
            // A duplicated operation is coordinated once.
            Msg::Op { id, request, context, .. } if self.taken.first(from, id) => {
                self.coordinate(ctx, from, id, request, context, out)
            }
            Msg::Store { token, key, cell, hint } => {
                match hint {
                    Some(owner) => {
                        self.keep_hint(owner, key, cell, out);
                        out.observe(Obs::Hinted { key, holder: self.me, owner });
                    }
                    None => {
                        self.store(key, &cell, out);
                    }
                }
                out.send(from, Msg::Stored { token });
            }
            Msg::Stored { token } if token >= HINT_TOKENS => {
                let id = token - HINT_TOKENS;
                if let Some(i) = self.hints.iter().position(|h| h.id == id && h.owner == from) {
                    let hint = self.hints.remove(i);
                    out.persist(Change::Hints(self.hints.clone()));
                    out.observe(Obs::HandedOff { key: hint.key, to: hint.owner });
                }
            }
            Msg::Stored { token } => self.answered(ctx, token, from, None, out),
            Msg::Fetch { token, key } => {
                let cell = self.cells.get(usize::from(key)).cloned().unwrap_or_default();
                out.send(from, Msg::Fetched { token, cell });
            }
            Msg::Fetched { token, cell } => self.answered(ctx, token, from, Some(cell), out),
            Msg::Tree { round, level, nodes } => {
                let tree = self.tree(from);
                let differing = tree.differing(level, &nodes);
                out.send(from, Msg::TreeDiff { round, level, differing });
            }
            Msg::TreeDiff { round, level, differing } => self.descend(from, round, level, differing, out),
            Msg::Cells { round, leaves, cells, reply } => {
                let mine = if reply { self.cells_in(from, &leaves) } else { Vec::new() };
                for (key, cell) in cells {
                    self.store(key, &cell, out);
                }
                if reply {
                    out.send(from, Msg::Cells { round, leaves, cells: mine, reply: false });
                }
            }
            _ => {}
        }
    }

    /// Our cells of the keys we share with `peer` in the given leaves of the tree.
    fn cells_in(&self, peer: NodeId, leaves: &[u32]) -> Vec<(Key, Cell)> {
        let tree = self.tree(peer);
        let Some(p) = self.config.servers.iter().position(|&s| s == peer) else { return Vec::new() };
        let me = usize::from(self.index);
        leaves
            .iter()
            .flat_map(|&leaf| tree.leaf_range(leaf))
            .filter_map(|k| {
                let key = Key::try_from(k).ok()?;
                let owners = self.config.preference(key);
                if !owners.contains(&p) || !owners.contains(&me) {
                    return None;
                }
                self.cells.get(usize::from(key)).filter(|c| !c.is_empty()).map(|c| (key, c.clone()))
            })
            .collect()
    }

    fn coordinate(
        &mut self,
        ctx: &Ctx,
        client: NodeId,
        id: u32,
        request: Request,
        context: VersionVector,
        out: &mut Out<State>,
    ) {
        let (key, write) = match request {
            Request::Read { key } => (key, None),
            Request::Write { key, value } => (key, Some(self.version(ctx, key, value, context, out))),
            _ => return,
        };
        let token = self.next_token;
        self.next_token += 1;
        let owners: Vec<NodeId> = self.config.preference(key).into_iter().map(|r| self.node(r)).collect();
        for &owner in &owners {
            let msg = match &write {
                Some(cell) => Msg::Store { token, key, cell: cell.clone(), hint: None },
                None => Msg::Fetch { token, key },
            };
            out.send(owner, msg);
        }
        let writing = write.is_some();
        self.coordinating.push(Coordination {
            token,
            client,
            id,
            key,
            write,
            asked: owners,
            answered: Vec::new(),
            done: false,
            started: ctx.now,
        });
        if writing && self.config.sloppy {
            out.set_timer(Timer::Sloppy(token), (self.config.timeout / 4).max(1));
        }
        self.forget_old(ctx);
    }

    /// A new version of `key` coordinated here: stamped with this replica's clock and, with
    /// vector clocks, descending from the client's context with this replica's counter
    /// advanced past every version it has seen (Dynamo's coordinator does the same).
    fn version(&mut self, ctx: &Ctx, key: Key, value: Value, context: VersionVector, out: &mut Out<State>) -> Cell {
        let mut clock = VersionVector::new();
        if self.config.vector_clocks {
            clock = context;
            let seen = self.cells.get(usize::from(key)).map_or(0, |c| c.context().get(self.index));
            let next = clock.get(self.index).max(seen).max(self.counter) + 1;
            while clock.get(self.index) < next {
                clock.increment(self.index);
            }
            self.counter = next;
            out.persist(Change::Counter(next));
        }
        Cell::single(Version { value, stamp: ctx.now + self.config.skew, origin: self.index, clock })
    }

    fn forget_old(&mut self, ctx: &Ctx) {
        let horizon = self.config.timeout * 2;
        self.coordinating.retain(|c| ctx.now.saturating_sub(c.started) < horizon);
    }

    fn answered(&mut self, _ctx: &Ctx, token: u32, from: NodeId, cell: Option<Cell>, out: &mut Out<State>) {
        let (read_repair, vector) = (self.config.read_repair, self.config.vector_clocks);
        let (r, w) = (usize::from(self.config.r), usize::from(self.config.w));
        let Some(i) = self.coordinating.iter().position(|c| c.token == token) else { return };
        if self.coordinating[i].answered.iter().any(|(n, _)| *n == from) {
            return;
        }
        let c = &mut self.coordinating[i];
        c.answered.push((from, cell.unwrap_or_default()));
        // Every answer merged: the newest version, or every sibling.
        let mut newest = Cell::default();
        for (_, cell) in &c.answered {
            newest.merge(cell, vector);
        }
        let needed = if c.write.is_some() { w } else { r };
        let (done, client, id, key, write) = (c.done, c.client, c.id, c.key, c.write.is_some());
        if !done && c.answered.len() >= needed {
            c.done = true;
            let reply = if write { Reply::Written } else { self.reply(&newest) };
            out.send(client, Msg::Done { id, reply });
        }
        // Read repair: once answered, every owner that replied with less gets the newest.
        let c = &mut self.coordinating[i];
        if c.done && !write && read_repair && !newest.is_empty() {
            let mut stale = Vec::new();
            for (n, cell) in c.answered.iter_mut() {
                if cell.merge(&newest, vector) {
                    stale.push(*n);
                }
            }
            if !stale.is_empty() {
                out.observe(Obs::Repaired { key, replicas: stale.len() as u32 });
                for n in stale {
                    out.send(n, Msg::Store { token: 0, key, cell: newest.clone(), hint: None });
                }
            }
        }
        self.last = Some(self.coordinating[i].clone());
    }

    /// A write's quorum has not answered: ask the next replicas round the ring to keep it
    /// for the owners that are silent.
    fn ask_stand_ins(&mut self, token: u32, out: &mut Out<State>) {
        let Some(c) = self.coordinating.iter_mut().find(|c| c.token == token) else { return };
        let Some(cell) = c.write.clone() else { return };
        let silent: Vec<NodeId> = c.asked.iter().copied().filter(|n| !c.answered.iter().any(|(a, _)| a == n)).collect();
        let stand_ins: Vec<NodeId> = self.config.stand_ins(c.key).into_iter().map(|r| self.config.servers[r]).collect();
        for (owner, stand_in) in silent.into_iter().zip(stand_ins) {
            c.asked.push(stand_in);
            out.send(stand_in, Msg::Store { token, key: c.key, cell: cell.clone(), hint: Some(owner) });
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Sloppy(token) => self.ask_stand_ins(token, out),
            Timer::Handoff => {
                for h in &self.hints {
                    let store = Msg::Store { token: HINT_TOKENS + h.id, key: h.key, cell: h.cell.clone(), hint: None };
                    out.send(h.owner, store);
                }
                out.set_timer(Timer::Handoff, HANDOFF_EVERY);
                self.forget_old(ctx);
            }
            Timer::AntiEntropy => {
                self.start_round(out);
                if self.config.anti_entropy > 0 {
                    out.set_timer(Timer::AntiEntropy, self.config.anti_entropy);
                }
            }
            _ => {}
        }
    }

    /// The Merkle tree of the keys this replica shares with `peer`, over the key space.
    pub fn tree(&self, peer: NodeId) -> MerkleTree {
        let Some(p) = self.config.servers.iter().position(|&s| s == peer) else {
            return MerkleTree::build(u32::from(self.config.keys), tree_depth(self.config.keys), core::iter::empty());
        };
        let me = usize::from(self.index);
        let shared = (0..self.config.keys).filter(|&k| {
            let owners = self.config.preference(k);
            owners.contains(&p) && owners.contains(&me)
        });
        let items: Vec<(u32, u64)> = shared
            .filter(|&k| !self.cells[usize::from(k)].is_empty())
            .map(|k| (u32::from(k), self.cells[usize::from(k)].hash()))
            .collect();
        MerkleTree::build(u32::from(self.config.keys), tree_depth(self.config.keys), items)
    }

    /// Starts an anti-entropy round with the ring successor: its root first.
    pub fn start_round(&mut self, out: &mut Out<State>) {
        let count = self.config.servers.len();
        if count < 2 {
            return;
        }
        let peer = self.node((usize::from(self.index) + 1) % count);
        self.round += 1;
        let tree = self.tree(peer);
        self.exchange = Some((peer, self.round, 0, alloc::vec![0]));
        out.observe(Obs::TreeLevel { peer, level: 0, hashes: 1, differing: 0 });
        out.send(peer, Msg::Tree { round: self.round, level: 0, nodes: alloc::vec![(0, tree.root())] });
    }

    fn descend(&mut self, from: NodeId, round: u32, level: u8, differing: Vec<u32>, out: &mut Out<State>) {
        if self.exchange.as_ref().is_none_or(|(p, r, _, _)| *p != from || *r != round) {
            return;
        }
        let tree = self.tree(from);
        if differing.is_empty() {
            self.exchange = None;
            return;
        }
        if level >= tree.depth() {
            // The differing leaves: send our keys in them; the peer answers with its own.
            let cells = self.cells_in(from, &differing);
            out.observe(Obs::TreeKeys { peer: from, keys: cells.len() as u32 });
            out.send(from, Msg::Cells { round, leaves: differing.clone(), cells, reply: true });
            self.exchange = Some((from, round, level, differing));
            return;
        }
        let children = crate::merkle::children(level, &differing);
        let nodes: Vec<(u32, u64)> = children.iter().map(|&i| (i, tree.node(level + 1, i))).collect();
        out.observe(Obs::TreeLevel {
            peer: from,
            level: level + 1,
            hashes: nodes.len() as u32,
            differing: differing.len() as u32,
        });
        self.exchange = Some((from, round, level + 1, differing));
        out.send(from, Msg::Tree { round, level: level + 1, nodes });
    }

    pub fn describe(&self) -> Vec<String> {
        let held = self.cells.iter().filter(|c| !c.is_empty()).count();
        let mut lines = alloc::vec![format!("replica · {held} keys")];
        if !self.hints.is_empty() {
            lines.push(format!("{} hints for others", self.hints.len()));
        }
        lines
    }
}

/// The Merkle tree's depth for a key space: about two keys a leaf, at most 2^6 leaves.
pub fn tree_depth(keys: u8) -> u8 {
    let mut depth = 1;
    while depth < 6 && (1u32 << (depth + 1)) <= u32::from(keys) {
        depth += 1;
    }
    depth
}
