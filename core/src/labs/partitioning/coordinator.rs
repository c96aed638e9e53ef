//! The coordinator: the one keeper of the partition map, as ZooKeeper is for HBase and
//! Kafka, or a placement driver for TiKV.
//!
//! It watches service discovery (nodes joining and leaving) and the nodes' reports
//! (their sizes, a request to decommission, silence), and when the map should change it
//! runs one change at a time: *prepare* the next map at every node concerned, wait until
//! each has handed its moving keys over (`Ready`), make the new map durable and *commit* it
//! to every node and the routing tier, then wait until every node has applied it before
//! the next change. A crashed node holds the change up (its keys are on its disk and
//! nobody else has them) unless the lab's `reassign` knob takes silent nodes out of the map,
//! which, without replication, gives their keys to nodes that never had them.

use crate::sort;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::map::{Map, RangeLoad};
use super::msg::Msg;
use super::node::{Change, Config, Obs, Reason, Stable, State, Timer};
use super::store::initial_map;
use crate::process::{Ctx, Out};
use crate::time::{Micros, MICROS_PER_MS};
use crate::trace::NodeId;

const TICK: Micros = 100 * MICROS_PER_MS;
const RESEND: Micros = 500 * MICROS_PER_MS;

#[derive(Clone, Debug)]
struct Heard {
    at: Micros,
    epoch: u32,
    keys: u32,
    loads: Vec<RangeLoad>,
    leaving: bool,
}

#[derive(Clone, Debug)]
pub struct Coordinator {
    config: Config,
    stable: Stable,
    pub map: Map,
    pub next: Option<Map>,
    heard: BTreeMap<NodeId, Heard>,
    ready: BTreeMap<NodeId, u32>,
    settling: Option<u32>,
    acks: BTreeSet<NodeId>,
    last_resend: Micros,
    /// When it (re)started: a node not heard from since counts from then, and no change is
    /// planned before every node has had time to report (after a restart, who is leaving
    /// and who is silent are known again only from the reports).
    booted: Micros,
}

impl Coordinator {
    pub fn boot(config: &Config, stable: &Stable) -> Coordinator {
        // Only storage nodes' configurations carry keys to preload.
        let config = config.clone();
        let map = stable.map.clone().unwrap_or_else(|| initial_map(&config));
        // After a restart with no change under way, make sure every node applied the map.
        let settling = (map.epoch > 0 && stable.next.is_none()).then_some(map.epoch);
        Coordinator {
            map,
            next: stable.next.clone(),
            stable: stable.clone(),
            config,
            heard: BTreeMap::new(),
            ready: BTreeMap::new(),
            settling,
            acks: BTreeSet::new(),
            last_resend: 0,
            booted: 0,
        }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        self.booted = ctx.now;
        out.set_timer(Timer::Tick, TICK);
    }

    pub fn reconfigure(&mut self, config: &Config) {
        self.config.reassign_after = config.reassign_after;
        self.config.sizes = config.sizes;
    }

    /// Storage nodes registered in service discovery.
    fn members(&self, ctx: &Ctx) -> Vec<NodeId> {
        ctx.members.iter().map(|m| m.id).filter(|id| self.config.storage.contains(id)).collect()
    }

    /// Whether `node` counts as alive: always, unless silent nodes are reassigned.
    fn alive(&self, ctx: &Ctx, node: NodeId) -> bool {
        let Some(after) = self.config.reassign_after else { return true };
        let last = self.heard.get(&node).map_or(self.booted, |h| h.at);
        ctx.now < last + after
    }

    /// The nodes a change of map waits for: those in either map still registered (and
    /// alive, if silent nodes are reassigned).
    fn concerned(&self, ctx: &Ctx, next: &Map) -> Vec<NodeId> {
        let members = self.members(ctx);
        let mut nodes: Vec<NodeId> =
            self.map.nodes.iter().chain(next.nodes.iter()).copied().filter(|n| members.contains(n)).collect();
        sort::ascending(&mut nodes);
        nodes.dedup();
        nodes.retain(|&n| self.alive(ctx, n));
        nodes
    }

    pub fn on_timer(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        out.set_timer(Timer::Tick, TICK);
        let resend = ctx.now >= self.last_resend + RESEND;
        if let Some(next) = self.next.clone() {
            // A node of the next map left or fell silent: nobody can hand it keys, so the
            // change is abandoned for one without it.
            let members = self.members(ctx);
            if let Some(&gone) = next.nodes.iter().find(|&&n| !members.contains(&n) || !self.alive(ctx, n)) {
                let reason = if members.contains(&gone) { Reason::Silent(gone) } else { Reason::Left(gone) };
                let desired = self.desired(ctx);
                if !desired.is_empty() {
                    let mut replan = self.map.next(&desired, &self.loads(), &self.per_node());
                    replan.epoch = next.epoch + 1;
                    return self.begin(ctx, replan, reason, out);
                }
            }
            let waiting: Vec<NodeId> =
                self.concerned(ctx, &next).into_iter().filter(|n| !self.ready.contains_key(n)).collect();
            if waiting.is_empty() {
                return self.commit(ctx, out);
            }
            if resend {
                self.last_resend = ctx.now;
                for n in waiting {
                    out.send(n, Msg::Prepare { current: self.map.clone(), next: next.clone() });
                }
            }
            return;
        }
        if let Some(epoch) = self.settling {
            let waiting: Vec<NodeId> =
                self.members(ctx).into_iter().filter(|&n| self.alive(ctx, n) && !self.acks.contains(&n)).collect();
            if waiting.is_empty() {
                self.settling = None;
                out.observe(Obs::Settled { epoch });
            } else if resend {
                self.last_resend = ctx.now;
                for n in waiting {
                    out.send(n, Msg::Commit { map: self.map.clone() });
                }
            }
            return;
        }
        self.plan(ctx, out);
    }

    /// The nodes the map should hold: registered, alive, and not leaving.
    fn desired(&self, ctx: &Ctx) -> Vec<NodeId> {
        let mut desired: Vec<NodeId> = self
            .members(ctx)
            .into_iter()
            .filter(|&n| self.alive(ctx, n) && !self.heard.get(&n).is_some_and(|h| h.leaving))
            .collect();
        sort::ascending(&mut desired);
        desired
    }

    /// The ranges' sizes as their owners last reported them under the current map.
    fn loads(&self) -> Vec<RangeLoad> {
        self.heard.values().filter(|h| h.epoch == self.map.epoch).flat_map(|h| h.loads.iter().copied()).collect()
    }

    /// Each node's key count as last reported.
    fn per_node(&self) -> impl Fn(NodeId) -> u64 {
        let keys: BTreeMap<NodeId, u32> = self.heard.iter().map(|(&n, h)| (n, h.keys)).collect();
        move |n| keys.get(&n).map_or(0, |&k| u64::from(k))
    }

    /// Starts the next change of map, if one is due.
    fn plan(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if ctx.now < self.booted + 2 * super::store::REPORT_EVERY {
            return;
        }
        let members = self.members(ctx);
        let desired = self.desired(ctx);
        let mut current = self.map.nodes.clone();
        sort::ascending(&mut current);
        let loads = self.loads();
        let per_node = self.per_node();
        if desired != current && !desired.is_empty() {
            let added: Vec<NodeId> = desired.iter().copied().filter(|n| !current.contains(n)).collect();
            let removed: Vec<NodeId> = current.iter().copied().filter(|n| !desired.contains(n)).collect();
            let reason = match (added.as_slice(), removed.as_slice()) {
                ([n], []) => Reason::Joined(*n),
                ([], [n]) if self.heard.get(n).is_some_and(|h| h.leaving) => Reason::Decommissioned(*n),
                ([], [n]) if !members.contains(n) => Reason::Left(*n),
                ([], [n]) => Reason::Silent(*n),
                _ => Reason::Members,
            };
            let next = self.map.next(&desired, &loads, &per_node);
            return self.begin(ctx, next, reason, out);
        }
        if let Some(sizes) = self.config.sizes {
            if let Some(next) = self.map.resized(&loads, sizes, &per_node) {
                let reason = if next.ranges.len() > self.map.ranges.len() { Reason::Split } else { Reason::Merge };
                self.begin(ctx, next, reason, out);
            }
        }
    }

    fn begin(&mut self, ctx: &Ctx, next: Map, reason: Reason, out: &mut Out<State>) {
        let (before, after) = (self.map.nodes.len() as u16, next.nodes.len() as u16);
        out.observe(Obs::Rebalance { epoch: next.epoch, reason, before, after });
        out.persist_applied(&mut self.stable, Change::Next(Some(next.clone())));
        self.ready.clear();
        self.last_resend = ctx.now;
        for n in self.concerned(ctx, &next) {
            out.send(n, Msg::Prepare { current: self.map.clone(), next: next.clone() });
        }
        self.next = Some(next);
    }

    fn commit(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        let Some(next) = self.next.take() else { return };
        let moved = self.ready.values().sum();
        out.persist_applied(&mut self.stable, Change::Map(next.clone()));
        out.persist_applied(&mut self.stable, Change::Next(None));
        out.observe(Obs::Committed { epoch: next.epoch, moved });
        self.map = next;
        self.settling = Some(self.map.epoch);
        self.acks.clear();
        self.last_resend = ctx.now;
        for n in self.members(ctx) {
            out.send(n, Msg::Commit { map: self.map.clone() });
        }
        if let Some(router) = self.config.router {
            out.send(router, Msg::Commit { map: self.map.clone() });
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Report { epoch, keys, loads, leaving, restarted } => {
                self.heard.insert(from, Heard { at: ctx.now, epoch, keys, loads, leaving });
                if restarted || epoch < self.map.epoch {
                    out.send(from, Msg::Commit { map: self.map.clone() });
                }
                if let Some(next) = &self.next {
                    if restarted && !self.ready.contains_key(&from) {
                        out.send(from, Msg::Prepare { current: self.map.clone(), next: next.clone() });
                    }
                }
            }
            Msg::Ready { epoch, sent } if self.next.as_ref().is_some_and(|n| n.epoch == epoch) => {
                self.ready.insert(from, sent);
                let next = self.next.clone();
                let waiting = next.is_some_and(|n| self.concerned(ctx, &n).iter().any(|c| !self.ready.contains_key(c)));
                if !waiting {
                    self.commit(ctx, out);
                }
            }
            Msg::Committed { epoch } if self.settling == Some(epoch) => {
                self.acks.insert(from);
            }
            Msg::GetMap => out.send(from, Msg::MapIs { map: self.map.clone() }),
            _ => {}
        }
    }

    pub fn describe(&self) -> Vec<String> {
        let mut lines = alloc::vec![format!("map {} over {} nodes", self.map.epoch, self.map.nodes.len())];
        if let Some(next) = &self.next {
            lines.push(format!("preparing map {}: {} of the nodes ready", next.epoch, self.ready.len()));
        }
        if let Some(epoch) = self.settling {
            lines.push(format!("map {epoch} committed: {} nodes applied it", self.acks.len()));
        }
        lines
    }
}
