//! A storage node: it serves the keys its map gives it, redirects or forwards the rest, and
//! hands keys over when the coordinator prepares a new map.
//!
//! The handover follows what HBase's region moves and Riak's handoff do in outline: copy
//! the moving keys to their new owners in batches (over the real network: each batch
//! carries its values' bytes, so links' bandwidth and queues decide how long it takes),
//! resend a batch until it is acknowledged, send again a key written after it was copied,
//! and once everything has arrived pause writes to the moving keys and tell the
//! coordinator. The coordinator then commits the new map to everyone; a node deletes the
//! keys it gave away when it applies the commit. Until then the old owner serves, so a key
//! always has exactly one node answering for it. A node that restarts serves nothing until
//! the coordinator has told it the current map.
//!
//! The teaching variant, fire-and-forget, switches to the new map as soon as it hears of
//! it and sends each key once, deleting it at once: a lost batch or a crashed receiver
//! loses keys, and a read that reaches the new owner before its batch finds nothing.

use crate::sort;
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::map::{Key, KeySpace, Map, Placement, RangeLoad, Scheme, TERMS};
use super::msg::{Item, Msg, Op, Padding};
use super::node::{Change, Config, Handoff, Index, Obs, Routing, Stable, State, Timer};
use crate::process::{Ctx, Out};
use crate::time::{Micros, MICROS_PER_MS};
use crate::trace::NodeId;

/// Batches in flight at once, per node.
const WINDOW: usize = 4;
/// How often a node reports to the coordinator.
pub const REPORT_EVERY: Micros = 250 * MICROS_PER_MS;
/// A batch not acknowledged after this long is sent again.
const RESEND_AFTER: Micros = 500 * MICROS_PER_MS;
/// Forwarding stops after this many hops (maps disagreeing): the client is redirected.
const MAX_HOPS: u8 = 3;

#[derive(Clone, Debug)]
struct Batch {
    id: u32,
    to: NodeId,
    keys: Vec<Key>,
    sent_at: Micros,
    acked: bool,
    /// Times sent: each resend waits twice as long (a slow link's queue must drain, not
    /// fill up with copies).
    sends: u8,
}

#[derive(Clone, Debug)]
pub struct Store {
    me: NodeId,
    config: Config,
    pub stable: Stable,
    pub map: Placement,
    pub next: Option<Placement>,
    synced: bool,
    /// Keys leaving this node under `next`, and their new owners.
    pub moving: BTreeMap<Key, NodeId>,
    sent: BTreeSet<Key>,
    queue: VecDeque<(NodeId, Key)>,
    batches: Vec<Batch>,
    next_batch: u32,
    pub ready: bool,
    /// Fire-and-forget: keys sent in the last move (for a repeated Ready).
    handed: u32,
    pub served: u64,
    /// When each global index update was last sent (0: due now).
    update_sent: BTreeMap<u32, Micros>,
}

impl Store {
    pub fn boot(me: NodeId, config: &Config, stable: &Stable) -> Store {
        let mut config = config.clone();
        let preload = core::mem::take(&mut config.preload);
        let mut stable = stable.clone();
        let restarted = stable.loaded;
        if !restarted {
            // The first boot: the keys the first map gives this node (applied in `start`).
            stable.data.extend(preload.iter().map(|&(k, v)| (k, (0, v))));
        }
        let map = stable.map.clone().unwrap_or_else(|| initial_map(&config));
        Store {
            me,
            map: Placement::new(map),
            next: None,
            synced: !restarted,
            moving: BTreeMap::new(),
            sent: BTreeSet::new(),
            queue: VecDeque::new(),
            batches: Vec::new(),
            next_batch: 0,
            ready: false,
            handed: 0,
            served: 0,
            update_sent: BTreeMap::new(),
            config,
            stable,
        }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if !self.stable.loaded {
            let keys: Vec<(Key, u32)> = self.stable.data.iter().map(|(&k, &(_, v))| (k, v)).collect();
            self.stable.loaded = true;
            out.persist(Change::Load(keys));
        }
        self.report(ctx, out);
        out.set_timer(Timer::Resend, RESEND_AFTER);
    }

    /// Asks the coordinator to take this node out of the map.
    pub fn decommission(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if !self.stable.leaving {
            out.persist_applied(&mut self.stable, Change::Leaving);
        }
        self.report(ctx, out);
    }

    fn report(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        let loads = if self.map.map.scheme == Scheme::Ranges { self.loads() } else { Vec::new() };
        let msg = Msg::Report {
            epoch: self.map.epoch(),
            keys: self.stable.data.len() as u32,
            loads,
            leaving: self.stable.leaving,
            restarted: !self.synced,
        };
        out.send(self.config.coordinator, msg);
        let _ = ctx;
        out.set_timer(Timer::Tick, REPORT_EVERY);
    }

    /// Each range this node owns: how many keys it holds there, and the median key's point.
    fn loads(&self) -> Vec<RangeLoad> {
        let space = self.config.space;
        let mut points: Vec<u64> = self.stable.data.keys().map(|&k| space.point(Scheme::Ranges, k)).collect();
        sort::ascending(&mut points);
        let ranges = &self.map.map.ranges;
        let mut loads: Vec<RangeLoad> = Vec::new();
        for r in ranges.ranges().iter().filter(|r| r.owner == self.me) {
            let from = points.partition_point(|&p| p < r.start);
            let to = points.partition_point(|&p| p <= r.last);
            let keys = (to - from) as u32;
            let median = if keys > 1 { points[from + (to - from) / 2] } else { r.start };
            loads.push(RangeLoad { start: r.start, keys, median });
        }
        loads
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Tick => self.report(ctx, out),
            Timer::Resend => {
                out.set_timer(Timer::Resend, RESEND_AFTER);
                let due: Vec<u32> = self
                    .batches
                    .iter()
                    .filter(|b| !b.acked && ctx.now >= b.sent_at + (RESEND_AFTER << b.sends.min(5)))
                    .map(|b| b.id)
                    .collect();
                for id in due {
                    self.send_batch(ctx, id, out);
                }
                if self.ready {
                    let epoch = self.next.as_ref().map_or(0, |n| n.epoch());
                    out.send(self.config.coordinator, Msg::Ready { epoch, sent: self.moving.len() as u32 });
                }
                let due: Vec<u32> = self
                    .stable
                    .index_updates
                    .keys()
                    .copied()
                    .filter(|id| self.update_sent.get(id).is_none_or(|&at| ctx.now >= at + RESEND_AFTER))
                    .collect();
                for id in due {
                    self.send_update(ctx, id, None, out);
                }
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Op { id, part, key, op, client, hops } => {
                self.serve(ctx, (id, part, key, op, client, hops), from, out)
            }
            Msg::Scan { id, from: low, to: high } => {
                let keys = self
                    .stable
                    .data
                    .range(low..=high)
                    .filter(|(&k, _)| self.map.owner(&self.config.space, k) == Some(self.me))
                    .count() as u32;
                out.send(from, Msg::Scanned { id, keys });
            }
            Msg::Query { id, term } => {
                let space = self.config.space;
                let mine = |k: Key| self.map.owner(&space, k) == Some(self.me);
                let keys = match self.config.index {
                    // Its own keys of that term.
                    Index::Local => self
                        .stable
                        .data
                        .range(..space.keys)
                        .filter(|&(&k, &(_, v))| KeySpace::term(k, v) == term && mine(k))
                        .count(),
                    // The term's entries it holds.
                    _ => {
                        let (low, high) = (space.entry(term, 0), space.entry(term, space.keys - 1));
                        self.stable.data.range(low..=high).filter(|&(&k, &(_, v))| v == 1 && mine(k)).count()
                    }
                };
                out.send(from, Msg::Scanned { id, keys: keys as u32 });
            }
            // Answers to this node's global index updates.
            Msg::Done { id, .. } if self.stable.index_updates.contains_key(&id) => {
                out.persist_applied(&mut self.stable, Change::IndexDone(id));
                self.update_sent.remove(&id);
            }
            Msg::Redirect { id, owner, .. } => self.send_update(ctx, id, owner, out),
            Msg::Busy { id, .. } => {
                // Sent again at the next resend.
                self.update_sent.insert(id, 0);
            }
            Msg::Prepare { current, next } => self.prepare(ctx, current, next, out),
            Msg::Transfer { epoch, batch, items, .. } => {
                // A batch for a map older than the latest this node knows, of keys that map
                // does not give it, is stale (a later change moved them elsewhere).
                let latest = self.next.as_ref().unwrap_or(&self.map);
                let stale = epoch < latest.epoch();
                let space = self.config.space;
                for item in items {
                    if stale && latest.owner(&space, item.key) != Some(self.me) {
                        continue;
                    }
                    let newer = self.stable.data.get(&item.key).is_none_or(|&(stamp, _)| item.stamp > stamp);
                    if newer {
                        out.persist_applied(&mut self.stable, Change::Put(item));
                    }
                }
                out.send(from, Msg::Received { epoch, batch });
            }
            Msg::Received { epoch, batch } => {
                let current = self.next.as_ref().map(Placement::epoch);
                if let Some(b) =
                    self.batches.iter_mut().find(|b| b.id == batch && b.to == from && current == Some(epoch))
                {
                    b.acked = true;
                }
                self.pump(ctx, out);
            }
            Msg::Commit { map } => self.commit(map, from, out),
            _ => {}
        }
    }

    fn serve(&mut self, ctx: &Ctx, op: (u32, u8, Key, Op, NodeId, u8), from: NodeId, out: &mut Out<State>) {
        let (id, part, key, what, client, hops) = op;
        if !self.synced {
            return out.send(client, Msg::Busy { id, part });
        }
        let epoch = self.map.epoch();
        let owner = self.map.owner(&self.config.space, key);
        if owner != Some(self.me) {
            let direct = self.config.routing == Routing::Client && from == client;
            return match owner {
                Some(o) if !direct && hops < MAX_HOPS => {
                    out.send(o, Msg::Op { id, part, key, op: what, client, hops: hops + 1 })
                }
                _ => out.send(client, Msg::Redirect { id, part, owner, epoch }),
            };
        }
        let leaving = self.leaving(key);
        if self.ready && leaving.is_some() {
            // Handed over, waiting for the commit: the new owner will answer.
            return out.send(client, Msg::Busy { id, part });
        }
        let old = self.stable.data.get(&key).copied();
        let mut applied = None;
        let item = match what {
            Op::Read => old.map(|(stamp, value)| Item { key, stamp, value }),
            Op::Write(value, stamp) => {
                // A later write is there already (this is a late or repeated copy, or a
                // concurrent write that began earlier): acknowledged, and ordered before it.
                let item = Item { key, stamp, value };
                if old.is_none_or(|(last, _)| stamp > last) {
                    self.store(item, leaving, out);
                    self.index(ctx, key, old.map(|(_, v)| v), value, stamp, out);
                    applied = Some(value);
                }
                Some(item)
            }
            Op::Index { present, stamp } => {
                // Updates may arrive out of order: the later data write wins.
                let item = Item { key, stamp, value: u32::from(present) };
                if old.is_none_or(|(last, _)| stamp > last) {
                    self.store(item, leaving, out);
                    applied = Some(item.value);
                }
                Some(item)
            }
        };
        self.served += 1;
        out.observe(Obs::Served { key, epoch, wrote: applied });
        out.send(client, Msg::Done { id, part, item, epoch });
        self.pump(ctx, out);
    }

    /// Stores `item`; if its key is moving away (`leaving`), the new owner needs it too: a
    /// key new since the move began, or one copied already, goes back on the queue.
    fn store(&mut self, item: Item, leaving: Option<NodeId>, out: &mut Out<State>) {
        out.persist_applied(&mut self.stable, Change::Put(item));
        if let Some(to) = leaving {
            let key = item.key;
            if self.moving.insert(key, to).is_none() || self.sent.remove(&key) {
                self.queue.push_back((to, key));
            }
        }
    }

    /// A global index: the write of `value` over `old` changes the key's term, so the entry
    /// under the old term goes and one under the new term comes, each on its term's
    /// partition. Logged with the write, sent after it, resent until acknowledged.
    fn index(&mut self, ctx: &Ctx, key: Key, old: Option<u32>, value: u32, stamp: u64, out: &mut Out<State>) {
        let space = self.config.space;
        if self.config.index != Index::Global || key >= space.keys {
            return;
        }
        let to = KeySpace::term(key, value);
        let from = old.map(|v| KeySpace::term(key, v));
        if from == Some(to) {
            return;
        }
        let mut updates = alloc::vec![(space.entry(to, key), true)];
        if let Some(from) = from {
            updates.push((space.entry(from, key), false));
        }
        for (entry, present) in updates {
            let id = self.stable.next_update;
            out.persist_applied(&mut self.stable, Change::IndexQueued(id, entry, present, stamp));
            self.send_update(ctx, id, None, out);
        }
        out.observe(Obs::Indexed { key, from, to });
        debug_assert!(to < TERMS);
    }

    /// Sends index update `id` to the entry's owner: `hint` if a node named it, else by map.
    fn send_update(&mut self, ctx: &Ctx, id: u32, hint: Option<NodeId>, out: &mut Out<State>) {
        let Some(&(entry, present, stamp)) = self.stable.index_updates.get(&id) else { return };
        let Some(to) = hint.or_else(|| self.map.owner(&self.config.space, entry)) else { return };
        self.update_sent.insert(id, ctx.now);
        let op = Op::Index { present, stamp };
        out.send(to, Msg::Op { id, part: 0, key: entry, op, client: self.me, hops: 0 });
    }

    /// The node `key` moves to under the map being prepared, if it leaves this one.
    fn leaving(&self, key: Key) -> Option<NodeId> {
        self.next.as_ref()?.owner(&self.config.space, key).filter(|&o| o != self.me)
    }

    fn prepare(&mut self, ctx: &Ctx, current: Map, next: Map, out: &mut Out<State>) {
        if next.epoch <= self.map.epoch() {
            // Fire-and-forget installed it already: the coordinator missed the Ready.
            if next.epoch == self.map.epoch() && self.config.handoff == Handoff::FireAndForget {
                out.send(self.config.coordinator, Msg::Ready { epoch: next.epoch, sent: self.handed });
            }
            return;
        }
        if current.epoch > self.map.epoch() {
            self.install(current, out);
        }
        self.synced = true;
        if self.next.as_ref().is_some_and(|n| n.epoch() == next.epoch) {
            return self.pump(ctx, out);
        }
        let epoch = next.epoch;
        let placement = Placement::new(next.clone());
        let space = self.config.space;
        self.moving = self
            .stable
            .data
            .keys()
            .filter_map(|&k| placement.owner(&space, k).filter(|&o| o != self.me).map(|o| (k, o)))
            .collect();
        let mut queue: Vec<(NodeId, Key)> = self.moving.iter().map(|(&k, &o)| (o, k)).collect();
        sort::ascending(&mut queue);
        self.queue = queue.into();
        self.sent.clear();
        self.batches.clear();
        self.ready = false;
        self.handed = 0;
        // Batch numbers new to this incarnation: an acknowledgement sent before a crash must
        // not acknowledge a batch sent after it.
        self.next_batch = ctx.entropy as u32;
        out.observe(Obs::Moving { epoch, keys: self.moving.len() as u32 });
        if self.config.handoff == Handoff::FireAndForget {
            // Switch now, send everything once, keep nothing.
            while !self.queue.is_empty() {
                let id = self.form_batch(ctx);
                self.send_batch(ctx, id, out);
            }
            self.handed = self.moving.len() as u32;
            // Installing the new map deletes the keys it gave away.
            self.install(next, out);
            self.moving.clear();
            self.batches.clear();
            out.send(self.config.coordinator, Msg::Ready { epoch, sent: self.handed });
            return;
        }
        out.persist_applied(&mut self.stable, Change::Next(Some(next)));
        self.next = Some(placement);
        self.pump(ctx, out);
    }

    /// Sends batches while the window allows; says `Ready` once every key has arrived.
    fn pump(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        let Some(epoch) = self.next.as_ref().map(Placement::epoch) else { return };
        while self.batches.iter().filter(|b| !b.acked).count() < WINDOW && !self.queue.is_empty() {
            let id = self.form_batch(ctx);
            self.send_batch(ctx, id, out);
        }
        if !self.ready && self.queue.is_empty() && self.batches.iter().all(|b| b.acked) {
            self.ready = true;
            out.send(self.config.coordinator, Msg::Ready { epoch, sent: self.moving.len() as u32 });
        }
    }

    /// Takes up to a batch of keys for one new owner off the queue.
    fn form_batch(&mut self, ctx: &Ctx) -> u32 {
        let mut keys = Vec::new();
        let to = self.queue.front().map_or(0, |&(to, _)| to);
        while keys.len() < self.config.batch.max(1) as usize {
            match self.queue.front() {
                Some(&(o, key)) if o == to => {
                    self.queue.pop_front();
                    keys.push(key);
                }
                _ => break,
            }
        }
        let id = self.next_batch;
        self.next_batch = self.next_batch.wrapping_add(1);
        self.batches.push(Batch { id, to, keys, sent_at: ctx.now, acked: false, sends: 0 });
        id
    }

    /// Sends batch `id` with the keys' current values.
    fn send_batch(&mut self, ctx: &Ctx, id: u32, out: &mut Out<State>) {
        let epoch = self.next.as_ref().map_or(self.map.epoch() + 1, Placement::epoch);
        let Some(batch) = self.batches.iter_mut().find(|b| b.id == id) else { return };
        batch.sent_at = ctx.now;
        batch.sends = batch.sends.saturating_add(1);
        let items: Vec<Item> = batch
            .keys
            .iter()
            .filter_map(|&key| self.stable.data.get(&key).map(|&(stamp, value)| Item { key, stamp, value }))
            .collect();
        self.sent.extend(items.iter().map(|i| i.key));
        let bytes = Padding(items.len() as u32 * self.config.value_bytes);
        out.send(batch.to, Msg::Transfer { epoch, batch: id, items, bytes });
    }

    /// Makes `map` this node's map, deleting the keys it no longer owns.
    fn install(&mut self, map: Map, out: &mut Out<State>) -> u32 {
        let placement = Placement::new(map.clone());
        let space = self.config.space;
        let gone: Vec<Key> =
            self.stable.data.keys().copied().filter(|&k| placement.owner(&space, k) != Some(self.me)).collect();
        let dropped = gone.len() as u32;
        if !gone.is_empty() {
            out.persist_applied(&mut self.stable, Change::Delete(gone));
        }
        out.persist_applied(&mut self.stable, Change::Map(map));
        self.map = placement;
        dropped
    }

    fn commit(&mut self, map: Map, from: NodeId, out: &mut Out<State>) {
        let epoch = map.epoch;
        if epoch > self.map.epoch() {
            let dropped = self.install(map, out);
            if self.next.as_ref().is_some_and(|n| n.epoch() <= epoch) || self.stable.next.is_some() {
                self.next = None;
                out.persist_applied(&mut self.stable, Change::Next(None));
            }
            self.moving.clear();
            self.sent.clear();
            self.queue.clear();
            self.batches.clear();
            self.ready = false;
            out.observe(Obs::Applied { epoch, dropped });
        }
        self.synced = true;
        out.send(from, Msg::Committed { epoch });
    }

    /// Keys still to hand over in the move under way, per new owner.
    pub fn to_send(&self) -> Vec<(NodeId, u32)> {
        let mut left: Vec<(NodeId, u32)> = Vec::new();
        let unacked = self.batches.iter().filter(|b| !b.acked).flat_map(|b| b.keys.iter().map(move |_| b.to));
        for to in self.queue.iter().map(|&(to, _)| to).chain(unacked) {
            match left.iter_mut().find(|(t, _)| *t == to) {
                Some(entry) => entry.1 += 1,
                None => left.push((to, 1)),
            }
        }
        left
    }

    pub fn describe(&self) -> Vec<String> {
        let mut lines = alloc::vec![format!("{} keys · map {}", self.stable.data.len(), self.map.epoch())];
        if let Some(next) = &self.next {
            let left: u32 = self.to_send().iter().map(|&(_, n)| n).sum();
            lines.push(format!("moving to map {}: {left} keys to go", next.epoch()));
        }
        if !self.synced {
            lines.push("restarted: waiting for the map".into());
        }
        if self.stable.leaving {
            lines.push("decommissioning".into());
        }
        lines
    }
}

/// The first map, as every node computes it from its configuration.
pub fn initial_map(config: &Config) -> Map {
    Map::initial(config.scheme, config.vnodes, &config.initial, config.partitions, config.sizes.is_none())
}
