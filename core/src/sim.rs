//! The deterministic discrete-event simulator.
//!
//! The simulator owns virtual time and randomness. Pending events sit in a binary heap keyed
//! by `(time, sequence number)`: the sequence number is assigned when an event is scheduled,
//! so two events due at the same microsecond always run in the order they were scheduled,
//! on every platform. One xoshiro256** generator, seeded from the scenario, supplies every
//! random draw: network fates, attacker choices and the `entropy` each handler receives.
//!
//! Besides the network (see [`crate::network`]), the simulator models the node-side
//! fallacies: each node has its own configuration (many administrators), a protocol version
//! (heterogeneity: a frame newer than the receiver is dropped), and a CPU cost per message
//! handled (transport cost: a busy node queues arrivals). Nodes crash (volatile state lost),
//! restart (recover from what they persisted), pause like a GC stall (everything addressed to
//! them waits), and join or leave the service-discovery registry.

mod faults;
mod flights;
mod manual;
mod stats;
mod view;

pub use manual::HeldView;
pub use stats::NetStats;
pub use view::{FlightFate, FlightView, Glyph, LinkView, NodeView, SimView, Standing};

use alloc::collections::{BTreeMap, BinaryHeap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::digest::{encoded_len, keyed_tag};
use crate::network::{Attacker, NetParams, Network, Route, AUTH_TAG_BYTES};
use crate::process::{Ctx, Durable, Effect, Member, Message, MsgClass, ObsClass, Observation, Out, Process, TimerName};
use crate::rng::Rng;
use crate::time::Micros;
use crate::trace::{DropReason, EventKind, MsgId, NodeId, Trace, DEFAULT_WINDOW};
use flights::Flights;

/// How a node is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeStatus {
    Up,
    Crashed,
    /// Frozen (a GC stall) until the given time.
    Paused {
        until: Micros,
    },
    /// Not part of the system: never joined, or left.
    Absent,
}

/// What a node does in its lab, for renderers (layout, shape, legend). Roles are shared
/// words, not lab names: a new lab reuses them or adds one here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeRole {
    Client,
    Server,
    Process,
    TimeServer,
    Proposer,
    Acceptor,
    Learner,
    Replica,
    /// Watches others' health (a failover manager).
    Monitor,
    /// Keeps shared metadata and directs changes (a partition map's keeper).
    Coordinator,
    /// Forwards requests to the node that serves them (a routing tier).
    Router,
}

impl NodeRole {
    pub fn label(self) -> &'static str {
        match self {
            NodeRole::Client => "client",
            NodeRole::Server => "server",
            NodeRole::Process => "process",
            NodeRole::TimeServer => "time-server",
            NodeRole::Proposer => "proposer",
            NodeRole::Acceptor => "acceptor",
            NodeRole::Learner => "learner",
            NodeRole::Replica => "replica",
            NodeRole::Monitor => "monitor",
            NodeRole::Coordinator => "coordinator",
            NodeRole::Router => "router",
        }
    }
}

/// How to set up one node.
#[derive(Clone, Debug)]
pub struct NodeSetup<C> {
    pub name: String,
    /// What the node does in its lab, for renderers.
    pub role: NodeRole,
    pub config: C,
    pub region: u8,
    pub version: u8,
    /// CPU time to handle one message.
    pub cpu_cost: Micros,
    /// Whether the node is part of the system at time zero.
    pub present: bool,
}

#[derive(Clone)]
struct Slot<P: Process> {
    name: String,
    role: NodeRole,
    config: P::Config,
    version: u8,
    cpu_cost: Micros,
    status: NodeStatus,
    process: Option<P>,
    stable: P::Stable,
    cpu_busy_until: Micros,
    /// Messages that arrived while the CPU was busy, first come first served. One
    /// `CpuFree` event per node waits for the CPU, so a backlog costs O(1) per message.
    inbox: VecDeque<Waiting<P::Msg>>,
    cpu_wakeup: bool,
}

/// Messages a node's inbox holds while its CPU is busy; later arrivals are dropped
/// (`inbox-full`), so an overloaded node costs bounded memory.
pub const INBOX_CAPACITY: usize = 1_000;

/// A message waiting in a node's inbox for its CPU.
#[derive(Clone)]
struct Waiting<M> {
    msg: MsgId,
    from: NodeId,
    kind: &'static str,
    payload: Payload<M>,
}

#[derive(Clone)]
enum Payload<M> {
    Intact(M),
    /// Bytes an attacker changed, with the tag the sender computed over the original bytes.
    /// They must be checked and decoded on arrival.
    Tampered {
        bytes: Vec<u8>,
        tag: u64,
    },
}

#[derive(Clone)]
enum Pending<P: Process> {
    Deliver {
        msg: MsgId,
        from: NodeId,
        to: NodeId,
        kind: &'static str,
        payload: Payload<P::Msg>,
    },
    Vanish {
        msg: MsgId,
        from: NodeId,
        to: NodeId,
    },
    Timer {
        node: NodeId,
        timer: P::Timer,
        generation: u64,
    },
    Resume {
        node: NodeId,
    },
    /// The node's CPU is free: handle the next message in its inbox.
    CpuFree {
        node: NodeId,
    },
    Inject {
        original: MsgId,
        from: NodeId,
        to: NodeId,
        message: P::Msg,
    },
}

/// Who put a frame on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Node,
    Attacker,
}

/// A heap entry: small, so sifting moves little. The event itself waits in a slab.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Queued {
    at: Micros,
    seq: u64,
    slot: u32,
}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    // Reversed: the heap pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// A message on its way, for the UI and the inspector.
#[derive(Clone, Debug)]
struct Flight {
    from: NodeId,
    to: NodeId,
    kind: &'static str,
    class: MsgClass,
    bytes: u32,
    sent_at: Micros,
    departs: Micros,
    arrives: Micros,
    fate: FlightFate,
}

/// The typed content of a send or an observation, kept for display beside the trace window.
#[derive(Clone)]
enum Detail<P: Process> {
    Msg(<P::Msg as Message>::Brief),
    Obs(P::Obs),
}

/// An observation a handler made, with the trace event that recorded it.
#[derive(Clone)]
pub struct Observed<O> {
    pub seq: u64,
    pub at: Micros,
    pub node: NodeId,
    pub observation: O,
}

/// The simulator for one protocol `P`.
#[derive(Clone)]
pub struct Sim<P: Process> {
    now: Micros,
    next_seq: u64,
    next_msg: MsgId,
    next_generation: u64,
    queue: BinaryHeap<Queued>,
    /// Pending events by slot; freed slots are reused.
    slab: Vec<Option<Pending<P>>>,
    free_slots: Vec<u32>,
    rng: Rng,
    auth_key: u64,
    slots: Vec<Slot<P>>,
    members: Vec<Member>,
    /// Armed timers per node, with the generation that a due `Timer` event must match. A
    /// client may have one per open request, so a map: it is only looked up, never listed.
    timers: Vec<crate::idmap::IdMap<P::Timer, u64>>,
    /// Messages on their way, by id; the view sorts them.
    flights: Flights,
    network: Network,
    trace: Trace,
    /// Briefs of recent sends and observations by event sequence number, as many as the trace
    /// window holds events: rendered to text only when shown.
    details: VecDeque<(u64, Detail<P>)>,
    /// The effect buffer handlers write into, reused so a handler call allocates nothing.
    spare_effects: Vec<crate::process::EffectOf<P>>,
    stats: NetStats,
    observed: Vec<Observed<P::Obs>>,
    processed: u64,
    /// Manual scheduling: arriving messages wait here until someone delivers them.
    manual: bool,
    held: BTreeMap<MsgId, (Micros, Pending<P>)>,
}

impl<P: Process> Sim<P> {
    /// Builds the system and boots every node that is present at time zero.
    pub fn new(seed: u64, params: NetParams, nodes: Vec<NodeSetup<P::Config>>) -> Self {
        let mut rng = Rng::seeded(seed);
        let auth_key = rng.next_u64();
        let region_of = nodes.iter().map(|n| n.region).collect();
        let slots = nodes
            .into_iter()
            .map(|n| Slot {
                name: n.name,
                role: n.role,
                config: n.config,
                version: n.version,
                cpu_cost: n.cpu_cost,
                status: if n.present { NodeStatus::Up } else { NodeStatus::Absent },
                process: None,
                stable: P::Stable::default(),
                cpu_busy_until: 0,
                inbox: VecDeque::new(),
                cpu_wakeup: false,
            })
            .collect::<Vec<_>>();
        let count = slots.len();
        let mut sim = Sim {
            now: 0,
            next_seq: 0,
            next_msg: 1,
            next_generation: 0,
            queue: BinaryHeap::new(),
            slab: Vec::new(),
            free_slots: Vec::new(),
            rng,
            auth_key,
            slots,
            members: Vec::new(),
            timers: (0..count).map(|_| crate::idmap::new()).collect(),
            flights: Flights::default(),
            network: Network::new(params, region_of),
            trace: Trace::with_window(DEFAULT_WINDOW),
            details: VecDeque::new(),
            spare_effects: Vec::new(),
            stats: NetStats::new(count),
            observed: Vec::new(),
            processed: 0,
            manual: false,
            held: BTreeMap::new(),
        };
        sim.refresh_members();
        for id in 0..count as NodeId {
            if sim.slots[usize::from(id)].status == NodeStatus::Up {
                sim.boot(id);
            }
        }
        sim
    }

    pub fn now(&self) -> Micros {
        self.now
    }

    /// The trace: a bounded window of events and a digest over all of them.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Where a lab's checkers record their verdict events.
    pub fn trace_mut(&mut self) -> &mut Trace {
        &mut self.trace
    }

    /// Records a note from the operator's side (not from a node) at the current instant.
    pub fn note(&mut self, text: String) {
        self.record(EventKind::Note { node: None, text });
    }

    /// What the network carried, dropped and delayed so far.
    pub fn stats(&self) -> &NetStats {
        &self.stats
    }

    pub fn net_params(&self) -> &NetParams {
        &self.network.params
    }

    /// Changes the network's knobs (loss, duplication, latency, the attacker…) from now on.
    pub fn set_net_params(&mut self, params: NetParams) {
        self.network.params = params;
    }

    /// Events waiting in the queue.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Events processed so far (deliveries, drops, timers, resumes, injections).
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// When the next queued event is due.
    pub fn next_event_time(&self) -> Option<Micros> {
        self.queue.peek().map(|q| q.at)
    }

    /// Moves the clock forward without processing anything (never backwards).
    pub fn advance_clock(&mut self, to: Micros) {
        self.now = self.now.max(to);
    }

    pub fn node_count(&self) -> usize {
        self.slots.len()
    }

    pub fn names(&self) -> Vec<String> {
        self.slots.iter().map(|s| s.name.clone()).collect()
    }

    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.slots.iter().position(|s| s.name == name).map(|i| i as NodeId)
    }

    pub fn status(&self, node: NodeId) -> Option<NodeStatus> {
        self.slots.get(usize::from(node)).map(|s| s.status)
    }

    pub fn process(&self, node: NodeId) -> Option<&P> {
        self.slots.get(usize::from(node))?.process.as_ref()
    }

    pub fn stable(&self, node: NodeId) -> Option<&P::Stable> {
        self.slots.get(usize::from(node)).map(|s| &s.stable)
    }

    pub fn config(&self, node: NodeId) -> Option<&P::Config> {
        self.slots.get(usize::from(node)).map(|s| &s.config)
    }

    /// Changes a node's configuration, live if it is running.
    pub fn reconfigure(&mut self, node: NodeId, change: impl FnOnce(&mut P::Config)) {
        if let Some(slot) = self.slots.get_mut(usize::from(node)) {
            change(&mut slot.config);
            if let Some(process) = slot.process.as_mut() {
                process.reconfigure(&slot.config);
            }
        }
    }

    pub fn set_cpu_cost(&mut self, node: NodeId, cost: Micros) {
        if let Some(slot) = self.slots.get_mut(usize::from(node)) {
            slot.cpu_cost = cost;
        }
    }

    /// Observations made since the last call, oldest first. Hand the emptied vector back
    /// with [`Sim::recycle_observed`] so the next step allocates nothing.
    pub fn take_observed(&mut self) -> Vec<Observed<P::Obs>> {
        core::mem::take(&mut self.observed)
    }

    /// Gives back a vector from [`Sim::take_observed`], emptied, for reuse.
    pub fn recycle_observed(&mut self, mut used: Vec<Observed<P::Obs>>) {
        used.clear();
        if self.observed.capacity() == 0 {
            self.observed = used;
        }
    }

    fn schedule(&mut self, at: Micros, pending: Pending<P>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slab[slot as usize] = Some(pending);
                slot
            }
            None => {
                self.slab.push(Some(pending));
                (self.slab.len() - 1) as u32
            }
        };
        self.queue.push(Queued { at, seq, slot });
    }

    fn record(&mut self, kind: EventKind) -> u64 {
        self.trace.record(self.now, kind)
    }

    /// Records an event with typed content: the content goes into the digest and is kept
    /// beside the trace window for display.
    fn record_with(&mut self, kind: EventKind, detail: Detail<P>) -> u64 {
        let seq = self.trace.record(self.now, kind);
        match &detail {
            Detail::Msg(brief) => self.trace.mix(brief),
            Detail::Obs(observation) => self.trace.mix(observation),
        }
        if self.details.len() == DEFAULT_WINDOW {
            self.details.pop_front();
        }
        self.details.push_back((seq, detail));
        seq
    }

    /// The content of event `seq` (a send's summary, an observation's text), rendered now, if
    /// it is a send or an observation still kept.
    pub fn detail(&self, seq: u64) -> Option<String> {
        let index = self.details.binary_search_by_key(&seq, |(s, _)| *s).ok()?;
        Some(match &self.details[index].1 {
            Detail::Msg(brief) => alloc::format!("{brief}"),
            Detail::Obs(observation) => {
                let name = |id: NodeId| {
                    self.slots.get(usize::from(id)).map_or_else(|| alloc::format!("node#{id}"), |s| s.name.clone())
                };
                observation.text(&name)
            }
        })
    }

    /// Processes the next event. Returns false when nothing is left.
    pub fn step(&mut self) -> bool {
        let Some(Queued { at, slot, .. }) = self.queue.pop() else {
            return false;
        };
        self.free_slots.push(slot);
        let Some(pending) = self.slab.get_mut(slot as usize).and_then(Option::take) else {
            return true;
        };
        self.now = self.now.max(at);
        self.processed += 1;
        match pending {
            Pending::Deliver { msg, from, to, kind, payload } => self.deliver(msg, from, to, kind, payload),
            Pending::Vanish { msg, from, to } => self.drop_message(msg, from, to, DropReason::Loss),
            Pending::Timer { node, timer, generation } => self.fire_timer(node, timer, generation),
            Pending::Resume { node } => self.resume(node),
            Pending::CpuFree { node } => self.cpu_free(node),
            Pending::Inject { original, from, to, message } => {
                let copy = self.send_frame(from, to, message, self.now, Origin::Attacker);
                self.stats.replayed += 1;
                self.record(EventKind::Replay { msg: original, copy });
                if let Some(flight) = self.flights.get_mut(&copy) {
                    flight.fate = FlightFate::Replayed;
                }
            }
        }
        true
    }

    fn drop_message(&mut self, msg: MsgId, from: NodeId, to: NodeId, reason: DropReason) {
        self.flights.remove(&msg);
        self.stats.count_drop(self.now, reason);
        self.record(EventKind::Drop { msg, from, to, reason });
    }

    fn deliver(&mut self, msg: MsgId, from: NodeId, to: NodeId, kind: &'static str, payload: Payload<P::Msg>) {
        let Some(slot) = self.slots.get_mut(usize::from(to)) else {
            return self.drop_message(msg, from, to, DropReason::NodeDown);
        };
        let waits = match slot.status {
            NodeStatus::Crashed | NodeStatus::Absent => return self.drop_message(msg, from, to, DropReason::NodeDown),
            // A paused node's arrivals wait in its inbox too, for the end of the pause.
            NodeStatus::Paused { .. } => true,
            NodeStatus::Up => slot.cpu_busy_until > self.now || !slot.inbox.is_empty(),
        };
        if !waits {
            return self.handle_arrival(msg, from, to, kind, payload);
        }
        if slot.inbox.len() >= INBOX_CAPACITY {
            return self.drop_message(msg, from, to, DropReason::InboxFull);
        }
        slot.inbox.push_back(Waiting { msg, from, kind, payload });
        self.wake_cpu_later(to);
    }

    /// A crashed or departed node loses what waited in its inbox: those messages are dropped
    /// now, and a restarted node starts with an empty inbox and a free CPU.
    pub(crate) fn empty_inbox(&mut self, node: NodeId) {
        let Some(slot) = self.slots.get_mut(usize::from(node)) else { return };
        slot.cpu_wakeup = false;
        for waiting in core::mem::take(&mut slot.inbox) {
            self.drop_message(waiting.msg, waiting.from, node, DropReason::NodeDown);
        }
    }

    /// Makes sure one `CpuFree` event waits for the node's CPU while its inbox holds messages.
    fn wake_cpu_later(&mut self, node: NodeId) {
        let slot = &mut self.slots[usize::from(node)];
        if slot.cpu_wakeup || slot.inbox.is_empty() {
            return;
        }
        slot.cpu_wakeup = true;
        let at = match slot.status {
            NodeStatus::Paused { until } => until,
            _ => slot.cpu_busy_until,
        };
        self.schedule(at.max(self.now), Pending::CpuFree { node });
    }

    fn cpu_free(&mut self, node: NodeId) {
        let slot = &mut self.slots[usize::from(node)];
        slot.cpu_wakeup = false;
        match slot.status {
            NodeStatus::Crashed | NodeStatus::Absent => {
                for waiting in core::mem::take(&mut slot.inbox) {
                    self.drop_message(waiting.msg, waiting.from, node, DropReason::NodeDown);
                }
            }
            NodeStatus::Up if slot.cpu_busy_until <= self.now => {
                if let Some(w) = slot.inbox.pop_front() {
                    self.handle_arrival(w.msg, w.from, node, w.kind, w.payload);
                }
                self.wake_cpu_later(node);
            }
            NodeStatus::Up | NodeStatus::Paused { .. } => self.wake_cpu_later(node),
        }
    }

    /// A message reaches a running node whose CPU is free: check, decode and handle it.
    fn handle_arrival(&mut self, msg: MsgId, from: NodeId, to: NodeId, kind: &'static str, payload: Payload<P::Msg>) {
        let slot = &self.slots[usize::from(to)];
        let (version, cost) = (slot.version, slot.cpu_cost);
        let message = match payload {
            Payload::Intact(message) => message,
            Payload::Tampered { bytes, tag }
                if self.network.params.authenticate && keyed_tag(self.auth_key, &bytes) != tag =>
            {
                return self.drop_message(msg, from, to, DropReason::AuthFailed)
            }
            Payload::Tampered { bytes, .. } => match postcard::from_bytes::<P::Msg>(&bytes) {
                Ok(message) => message,
                Err(_) => return self.drop_message(msg, from, to, DropReason::Corrupt),
            },
        };
        if message.wire_version() > version {
            return self.drop_message(msg, from, to, DropReason::VersionMismatch);
        }
        let bytes = self.flights.remove(&msg).map_or(0, |f| {
            self.stats.transit.record(self.now - f.sent_at);
            f.bytes
        });
        self.stats.delivered += 1;
        self.stats.bytes_delivered += u64::from(bytes);
        self.stats.delivered_per_second.add(self.now, 1);
        self.stats.bytes_per_second.add(self.now, u64::from(bytes));
        self.record(EventKind::Deliver { msg, from, to, kind });
        let done = self.now + cost;
        self.slots[usize::from(to)].cpu_busy_until = done;
        self.stats.cpu_busy[usize::from(to)] += cost;
        self.run_handler(to, done, |process, ctx, out| process.on_message(ctx, from, message, out));
    }

    /// The generation of `timer` at `node`, if it is armed.
    fn armed(&self, node: NodeId, timer: &P::Timer) -> Option<u64> {
        self.timers.get(usize::from(node))?.get(timer).copied()
    }

    fn disarm(&mut self, node: NodeId, timer: &P::Timer) {
        if let Some(armed) = self.timers.get_mut(usize::from(node)) {
            armed.remove(timer);
        }
    }

    fn fire_timer(&mut self, node: NodeId, timer: P::Timer, generation: u64) {
        if self.armed(node, &timer) != Some(generation) {
            return; // cancelled or re-armed
        }
        match self.slots[usize::from(node)].status {
            NodeStatus::Paused { until } => return self.schedule(until, Pending::Timer { node, timer, generation }),
            NodeStatus::Up => {}
            NodeStatus::Crashed | NodeStatus::Absent => return,
        }
        self.disarm(node, &timer);
        self.stats.timers_fired += 1;
        self.record(EventKind::Timer { node, timer: timer.label() });
        let now = self.now;
        self.run_handler(node, now, |process, ctx, out| process.on_timer(ctx, timer, out));
    }

    /// Runs one handler of `node` and applies its effects; sends leave at `send_at`.
    fn run_handler(&mut self, node: NodeId, send_at: Micros, handler: impl FnOnce(&mut P, &Ctx, &mut Out<P>)) {
        let entropy = self.rng.next_u64();
        let mut out = Out { effects: core::mem::take(&mut self.spare_effects) };
        let Some(process) = self.slots[usize::from(node)].process.as_mut() else {
            return;
        };
        let ctx = Ctx { now: self.now, me: node, entropy, members: &self.members };
        handler(process, &ctx, &mut out);
        self.apply_effects(node, send_at, out);
    }

    fn apply_effects(&mut self, node: NodeId, send_at: Micros, out: Out<P>) {
        let mut effects = out.effects;
        for effect in effects.drain(..) {
            match effect {
                Effect::Send { to, msg } => {
                    self.send(node, to, msg, send_at);
                }
                Effect::SetTimer { timer, after } => {
                    let generation = self.next_generation;
                    self.next_generation += 1;
                    self.timers[usize::from(node)].insert(timer.clone(), generation);
                    self.schedule(self.now + after, Pending::Timer { node, timer, generation });
                }
                Effect::CancelTimer(timer) => {
                    self.disarm(node, &timer);
                }
                Effect::Persist(change) => self.slots[usize::from(node)].stable.apply(change),
                Effect::Observe(observation) => {
                    let kind = match observation.class() {
                        ObsClass::ClientRequest => EventKind::ClientRequest { node },
                        ObsClass::ClientResponse => EventKind::ClientResponse { node },
                        ObsClass::StateChange => EventKind::StateChange { node },
                    };
                    let seq = self.record_with(kind, Detail::Obs(observation.clone()));
                    self.observed.push(Observed { seq, at: self.now, node, observation });
                }
                Effect::Note(text) => {
                    self.record(EventKind::Note { node: Some(node), text });
                }
            }
        }
        self.spare_effects = effects;
    }

    /// Puts a node's message on the wire at `at`; returns its id.
    fn send(&mut self, from: NodeId, to: NodeId, message: P::Msg, at: Micros) -> MsgId {
        self.send_frame(from, to, message, at, Origin::Node)
    }

    /// Puts a frame on the wire. The attacker acts only on frames that nodes send: it replays
    /// what it saw, never its own replays, so one frame yields at most one replay, as with a
    /// real on-path attacker that records traffic.
    fn send_frame(&mut self, from: NodeId, to: NodeId, message: P::Msg, at: Micros, origin: Origin) -> MsgId {
        let msg = self.next_msg;
        self.next_msg += 1;
        let auth = if self.network.params.authenticate { AUTH_TAG_BYTES } else { 0 };
        let bytes = encoded_len(&message) as u32 + auth;
        let (kind, class) = (message.kind(), message.class());
        self.stats.sent += 1;
        self.stats.bytes_sent += u64::from(bytes);
        self.record_with(EventKind::Send { msg, from, to, kind, bytes }, Detail::Msg(message.brief()));
        if usize::from(to) >= self.slots.len() {
            self.drop_message(msg, from, to, DropReason::NodeDown);
            return msg;
        }
        let attacker = match origin {
            Origin::Node => self.network.params.attacker,
            Origin::Attacker => Attacker::Off,
        };
        if attacker != Attacker::Off {
            self.stats.eavesdropped += 1;
            self.stats.eavesdropped_bytes += u64::from(bytes);
        }
        let mut flight =
            Flight { from, to, kind, class, bytes, sent_at: at, departs: at, arrives: at, fate: FlightFate::Arrives };
        match self.network.route(&mut self.rng, at, from, to, bytes) {
            Route::Blocked(reason) => self.drop_message(msg, from, to, reason),
            Route::Lost { at: vanish } => {
                flight.arrives = vanish;
                flight.fate = FlightFate::Lost;
                self.flights.insert(msg, flight);
                self.schedule(vanish, Pending::Vanish { msg, from, to });
            }
            Route::Arrives { at: arrives, departs, queued } => {
                self.stats.queue_wait.record(queued);
                flight.departs = departs;
                flight.arrives = arrives;
                let attack = attacker != Attacker::Off && self.rng.chance_ppm(self.network.params.attack_ppm);
                // The message is moved into its payload; it is copied only for a replay.
                let (payload, recorded) = if attack && attacker == Attacker::Tamper {
                    flight.fate = FlightFate::Tampered;
                    self.stats.tampered += 1;
                    self.record(EventKind::Tamper { msg });
                    (self.tamper(&message), None)
                } else if attack && attacker == Attacker::Replay {
                    (Payload::Intact(message.clone()), Some(message))
                } else {
                    (Payload::Intact(message), None)
                };
                if let Some(message) = recorded {
                    let base = self.network.base_latency(from, to).max(1_000);
                    let later = arrives + self.rng.between(base, base * 4);
                    self.schedule(later, Pending::Inject { original: msg, from, to, message });
                }
                if self.rng.chance_ppm(self.network.params.duplicate_ppm) {
                    let copy = self.next_msg;
                    self.next_msg += 1;
                    let copy_arrives = self.network.copy_arrival(&mut self.rng, departs, from, to);
                    self.stats.duplicated += 1;
                    self.record(EventKind::Duplicate { msg, copy });
                    let copy_flight = Flight { arrives: copy_arrives, fate: FlightFate::Duplicate, ..flight.clone() };
                    self.flights.insert(copy, copy_flight);
                    self.arrive(
                        copy_arrives,
                        at,
                        Pending::Deliver { msg: copy, from, to, kind, payload: payload.clone() },
                    );
                }
                self.flights.insert(msg, flight);
                self.arrive(arrives, at, Pending::Deliver { msg, from, to, kind, payload });
            }
        }
        msg
    }

    /// The attacker flips one byte of the frame on the wire, after the sender tagged it.
    fn tamper(&mut self, message: &P::Msg) -> Payload<P::Msg> {
        let mut bytes = postcard::to_allocvec(message).unwrap_or_default();
        let tag = keyed_tag(self.auth_key, &bytes);
        if !bytes.is_empty() {
            let index = self.rng.below(bytes.len() as u64) as usize;
            bytes[index] ^= 1 + self.rng.below(255) as u8;
        }
        Payload::Tampered { bytes, tag }
    }

    fn boot(&mut self, node: NodeId) {
        let slot = &mut self.slots[usize::from(node)];
        slot.process = Some(P::boot(node, &slot.config, &slot.stable));
        slot.cpu_busy_until = self.now;
        let now = self.now;
        self.run_handler(node, now, |process, ctx, out| process.on_start(ctx, out));
    }

    fn refresh_members(&mut self) {
        self.members = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.status != NodeStatus::Absent)
            .map(|(i, s)| Member { id: i as NodeId, version: s.version })
            .collect();
    }
}
