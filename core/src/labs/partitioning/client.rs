//! A client: one operation at a time, keys drawn from the workload's distribution, a share
//! of operations on the hot key, and a deadline after which the outcome is unknown.
//!
//! Where a request goes is the routing knob's: the key's owner by the client's own copy of
//! the map (refreshed from the coordinator when a node redirects it), the routing tier, or
//! any node. A salted hot key (Kleppmann, DDIA ch. 6, "skewed workloads") is written to one
//! of its copies at random and read from all of them, keeping the newest. A scan asks every
//! node that may hold keys of its interval: a few for ranges, all of them for hashes.

use crate::sort;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::map::{Key, Placement, Scheme, TERMS};
use super::msg::{Item, Msg, Op};
use super::node::{Config, Index, Obs, OpKind, Routing, State, Timer};
use super::schemes::key_hash;
use super::store::initial_map;
use crate::process::{Ctx, Out};
use crate::time::{Micros, MICROS_PER_MS};
use crate::trace::NodeId;

/// The hot key.
pub const HOT: Key = 0;
/// A part told to wait is sent again after this long.
const RETRY: Micros = 25 * MICROS_PER_MS;
/// A part with no answer at all (a lost message, a crashed node) is sent again after this
/// long, and a client routing by its own map asks for the current one.
const RESEND: Micros = 400 * MICROS_PER_MS;

#[derive(Clone, Debug)]
struct Part {
    key: Key,
    done: Option<Option<Item>>,
    waiting: bool,
}

#[derive(Clone, Debug)]
struct Current {
    id: u32,
    op: Op,
    parts: Vec<Part>,
    /// A scan or query: nodes yet to answer, keys counted so far.
    scan: Option<(u16, u32)>,
    redirects: u8,
}

#[derive(Clone, Debug)]
pub struct Client {
    index: u8,
    config: Config,
    pub map: Placement,
    next_id: u32,
    writes: u32,
    current: Option<Current>,
}

/// Independent draws from one handler's entropy.
fn draw(entropy: u64, n: u64) -> u64 {
    key_hash(entropy ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

impl Client {
    pub fn new(index: u8, config: &Config) -> Client {
        // Only storage nodes' configurations carry keys to preload.
        let config = config.clone();
        Client { index, map: Placement::new(initial_map(&config)), config, next_id: 1, writes: 0, current: None }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if ctx.now > 0 {
            // Restarted: its counters start past anything it could have used before (at
            // most one operation per millisecond), so ids and values stay unique.
            let past = (ctx.now / MICROS_PER_MS) as u32 + 1;
            (self.next_id, self.writes) = (past, past);
        }
        out.set_timer(Timer::Tick, 1 + ctx.entropy % self.config.think.max(1));
    }

    pub fn reconfigure(&mut self, config: &Config) {
        self.config.think = config.think;
        self.config.timeout = config.timeout;
        self.config.reads_pct = config.reads_pct;
        self.config.hot_pct = config.hot_pct;
        self.config.scans_pct = config.scans_pct;
        self.config.queries_pct = config.queries_pct;
    }

    /// The next write: a value no one wrote before, versioned by when it begins.
    fn write(&mut self, ctx: &Ctx) -> Op {
        self.writes += 1;
        let value = self.writes * 16 + u32::from(self.index) + 1;
        Op::Write(value, (ctx.now + 1) * 16 + u64::from(self.index))
    }

    /// An operator's read or write, now.
    pub fn command(&mut self, ctx: &Ctx, key: Key, op: Op, out: &mut Out<State>) {
        if self.current.is_none() {
            let op = if matches!(op, Op::Write(..)) { self.write(ctx) } else { op };
            self.issue(ctx, key, op, out);
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Tick => {
                if ctx.now >= self.config.stop || self.current.is_some() {
                    return;
                }
                let space = self.config.space;
                let d = |n| draw(ctx.entropy, n);
                if (d(1) % 100) < u64::from(self.config.scans_pct) {
                    return self.scan(ctx, out);
                }
                if self.config.index != Index::None && (d(8) % 100) < u64::from(self.config.queries_pct) {
                    return self.query((d(9) % u64::from(TERMS)) as u8, out);
                }
                let key = if (d(2) % 100) < u64::from(self.config.hot_pct) {
                    HOT
                } else {
                    self.config.distribution.pick(space.keys, d(3), ctx.now, self.config.stop)
                };
                let op = if (d(4) % 100) < u64::from(self.config.reads_pct) { Op::Read } else { self.write(ctx) };
                self.issue(ctx, key, op, out);
            }
            Timer::Deadline => self.complete(ctx, false, out),
            Timer::Retry => {
                let waiting: Vec<u8> = self.current.as_ref().map_or(Vec::new(), |c| {
                    c.parts.iter().enumerate().filter(|(_, p)| p.waiting).map(|(i, _)| i as u8).collect::<Vec<u8>>()
                });
                for part in waiting {
                    self.send_part(ctx, part, None, out);
                }
            }
            Timer::Resend => {
                let silent: Vec<u8> = self.current.as_ref().map_or(Vec::new(), |c| {
                    c.parts.iter().enumerate().filter(|(_, p)| p.done.is_none()).map(|(i, _)| i as u8).collect()
                });
                if silent.is_empty() {
                    return;
                }
                if self.config.routing == Routing::Client {
                    out.send(self.config.coordinator, Msg::GetMap);
                }
                for part in silent {
                    self.send_part(ctx, part, None, out);
                }
                out.set_timer(Timer::Resend, RESEND);
            }
        }
    }

    fn issue(&mut self, ctx: &Ctx, key: Key, op: Op, out: &mut Out<State>) {
        let id = self.next_id;
        self.next_id += 1;
        let space = self.config.space;
        let salted = key == HOT && space.salts > 1;
        let parts: Vec<Part> = match (salted, op) {
            (false, _) => alloc::vec![Part { key, done: None, waiting: false }],
            // A write goes to one salted copy; a read to all of them.
            (true, Op::Write(..) | Op::Index { .. }) => {
                let salt = (draw(ctx.entropy, 5) % u64::from(space.salts)) as u32;
                alloc::vec![Part { key: space.keys + salt, done: None, waiting: false }]
            }
            (true, Op::Read) => {
                (0..u32::from(space.salts)).map(|s| Part { key: space.keys + s, done: None, waiting: false }).collect()
            }
        };
        out.observe(Obs::Invoke { id, key, op, parts: parts.len() as u8, kind: OpKind::Single });
        let count = parts.len() as u8;
        self.current = Some(Current { id, op, parts, scan: None, redirects: 0 });
        for part in 0..count {
            self.send_part(ctx, part, None, out);
        }
        out.set_timer(Timer::Deadline, self.config.timeout);
        out.set_timer(Timer::Resend, RESEND);
    }

    /// A scan of `scan_keys` keys from a key drawn from the distribution.
    fn scan(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        let space = self.config.space;
        let from = self.config.distribution.pick(space.keys, draw(ctx.entropy, 6), ctx.now, self.config.stop);
        let to = from.saturating_add(self.config.scan_keys.max(1) - 1).min(space.keys - 1);
        let map = &self.map.map;
        let targets: Vec<NodeId> = if map.scheme == Scheme::Ranges {
            let (low, high) = (space.point(Scheme::Ranges, from), space.point(Scheme::Ranges, to));
            map.ranges.ranges().iter().filter(|r| r.last >= low && r.start <= high).map(|r| r.owner).collect()
        } else {
            map.nodes.clone()
        };
        self.gather(from, OpKind::Scan, targets, |id| Msg::Scan { id, from, to }, out);
    }

    /// A secondary-index query for `term`: every node under a local index; the term's
    /// partition (or the ranges its entries span) under a global one.
    fn query(&mut self, term: u8, out: &mut Out<State>) {
        let space = self.config.space;
        let map = &self.map.map;
        let targets: Vec<NodeId> = match (self.config.index, map.scheme) {
            (Index::Global, Scheme::Ranges) => {
                let (low, high) = (space.entry(term, 0), space.entry(term, space.keys - 1));
                let (low, high) = (space.point(Scheme::Ranges, low), space.point(Scheme::Ranges, high));
                map.ranges.ranges().iter().filter(|r| r.last >= low && r.start <= high).map(|r| r.owner).collect()
            }
            (Index::Global, _) => self.map.owner(&space, space.entry(term, 0)).into_iter().collect(),
            _ => map.nodes.clone(),
        };
        self.gather(Key::from(term), OpKind::Query, targets, |id| Msg::Query { id, term }, out);
    }

    /// Starts a scan or query that sends `ask(id)` to each of `targets` and adds up their
    /// counts.
    fn gather(
        &mut self,
        key: Key,
        kind: OpKind,
        mut targets: Vec<NodeId>,
        ask: impl Fn(u32) -> Msg,
        out: &mut Out<State>,
    ) {
        sort::ascending(&mut targets);
        targets.dedup();
        let id = self.next_id;
        self.next_id += 1;
        out.observe(Obs::Invoke { id, key, op: Op::Read, parts: targets.len() as u8, kind });
        let scan = Some((targets.len() as u16, 0));
        self.current = Some(Current { id, op: Op::Read, parts: Vec::new(), scan, redirects: 0 });
        out.set_timer(Timer::Deadline, self.config.timeout);
        for t in targets {
            out.send(t, ask(id));
        }
    }

    /// Sends part `part` of the current operation: to `hint` if a node named the owner, else
    /// by the routing knob.
    fn send_part(&mut self, ctx: &Ctx, part: u8, hint: Option<NodeId>, out: &mut Out<State>) {
        let me = ctx.me;
        let target = {
            let Some(current) = &self.current else { return };
            let Some(p) = current.parts.get(usize::from(part)) else { return };
            match (hint, self.config.routing) {
                (Some(owner), _) => Some(owner),
                (None, Routing::Client) => self.map.owner(&self.config.space, p.key),
                (None, Routing::Tier) => self.config.router,
                (None, Routing::Any) => {
                    let nodes: Vec<NodeId> =
                        ctx.members.iter().map(|m| m.id).filter(|id| self.config.storage.contains(id)).collect();
                    (!nodes.is_empty())
                        .then(|| nodes[(draw(ctx.entropy, 7 + u64::from(part)) % nodes.len() as u64) as usize])
                }
            }
        };
        let Some(current) = &mut self.current else { return };
        let (id, op) = (current.id, current.op);
        let Some(p) = current.parts.get_mut(usize::from(part)) else { return };
        match target {
            Some(to) => {
                p.waiting = false;
                out.send(to, Msg::Op { id, part, key: p.key, op, client: me, hops: 0 });
            }
            None => {
                p.waiting = true;
                out.set_timer(Timer::Retry, RETRY);
            }
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        let current_id = self.current.as_ref().map(|c| c.id);
        match msg {
            Msg::Done { id, part, item, .. } if Some(id) == current_id => {
                let Some(current) = &mut self.current else { return };
                if let Some(p) = current.parts.get_mut(usize::from(part)) {
                    p.done = Some(item);
                }
                if current.parts.iter().all(|p| p.done.is_some()) {
                    self.complete(ctx, true, out);
                }
            }
            Msg::Redirect { id, part, owner, epoch } if Some(id) == current_id => {
                if let Some(current) = &mut self.current {
                    current.redirects = current.redirects.saturating_add(1);
                }
                if self.config.routing == Routing::Client && epoch >= self.map.epoch() {
                    out.send(self.config.coordinator, Msg::GetMap);
                }
                match owner.filter(|&o| o != from) {
                    Some(o) => self.send_part(ctx, part, Some(o), out),
                    None => self.wait(part, out),
                }
            }
            Msg::Busy { id, part } if Some(id) == current_id => self.wait(part, out),
            Msg::Scanned { id, keys } if Some(id) == current_id => {
                let Some((left, total)) = self.current.as_mut().and_then(|c| c.scan.as_mut()) else { return };
                *left = left.saturating_sub(1);
                *total += keys;
                if *left == 0 {
                    self.complete(ctx, true, out);
                }
            }
            Msg::MapIs { map } if map.epoch > self.map.epoch() => self.map = Placement::new(map),
            _ => {}
        }
    }

    fn wait(&mut self, part: u8, out: &mut Out<State>) {
        if let Some(p) = self.current.as_mut().and_then(|c| c.parts.get_mut(usize::from(part))) {
            p.waiting = true;
            out.set_timer(Timer::Retry, RETRY);
        }
    }

    fn complete(&mut self, ctx: &Ctx, ok: bool, out: &mut Out<State>) {
        let Some(current) = self.current.take() else { return };
        let newest = current.parts.iter().filter_map(|p| p.done.flatten()).max_by_key(|i| (i.stamp, i.value));
        let value = match (current.op, current.scan) {
            (_, Some((_, counted))) => Some(counted),
            (Op::Write(v, _), _) => Some(v),
            _ => newest.map(|i| i.value),
        };
        out.observe(Obs::Complete { id: current.id, ok, value, redirects: current.redirects });
        out.cancel_timer(Timer::Deadline);
        out.cancel_timer(Timer::Retry);
        out.cancel_timer(Timer::Resend);
        let think = self.config.think.max(1);
        out.set_timer(Timer::Tick, think / 2 + ctx.entropy % think);
    }

    pub fn describe(&self) -> Vec<String> {
        let mut lines = alloc::vec![format!("map {}", self.map.epoch())];
        if let Some(c) = &self.current {
            lines.push(format!("#{} {} ({} parts)", c.id, c.op, c.parts.len().max(1)));
        }
        lines
    }
}
