//! Processes of the Clocks lab: each keeps a physical clock, a Lamport clock, a vector clock
//! and a hybrid logical clock side by side, stamps every event with all of them, syncs its
//! physical clock with an NTP server, and runs TrueTime transactions with optional
//! commit-wait.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::logical::{Hlc, HlcStamp, Lamport, VectorClock};
use super::physical::{commit_wait_remaining, ntp_estimate, PhysicalClock, TtInterval};
use crate::process::{Ctx, Durable, Message, MsgClass, ObsClass, Observation, Out, Process, TimerName};
use crate::time::{format_duration, Micros, MICROS_PER_SEC};
use crate::trace::NodeId;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// An application message carrying every clock's timestamp, and the sender's event
    /// number (for the lab's oracle, not a clock).
    App {
        lamport: u64,
        vector: Vec<u32>,
        hlc: HlcStamp,
        event: u32,
    },
    NtpRequest {
        t0: i64,
    },
    NtpReply {
        t0: i64,
        t1: i64,
        t2: i64,
    },
}

impl Message for Msg {
    type Brief = Msg;

    fn class(&self) -> MsgClass {
        match self {
            Msg::App { .. } | Msg::NtpRequest { .. } => MsgClass::Request,
            Msg::NtpReply { .. } => MsgClass::Reply,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Msg::App { .. } => "App",
            Msg::NtpRequest { .. } => "NtpRequest",
            Msg::NtpReply { .. } => "NtpReply",
        }
    }

    fn brief(&self) -> Msg {
        self.clone()
    }
}

/// The one-line summary the trace shows for a message.
impl core::fmt::Display for Msg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Msg::App { lamport, vector, hlc, event } => {
                write!(f, "event {event} L={lamport} V={vector:?} HLC=({},{})", hlc.l, hlc.c)
            }
            Msg::NtpRequest { t0 } => write!(f, "t0={t0}"),
            Msg::NtpReply { t0, t1, t2 } => write!(f, "t0={t0} t1={t1} t2={t2}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Process number `index` of `count`.
    Process { index: usize, count: usize },
    /// The reference NTP server: its clock is exact.
    TimeServer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub role: Role,
    pub initial_offset: i64,
    pub drift_ppm: i64,
    /// Every process id, by index, and the time server.
    pub processes: Vec<NodeId>,
    pub time_server: NodeId,
    pub events_per_sec: u32,
    /// Share of events that send a message, in percent.
    pub send_percent: u32,
    pub sync_interval: Micros,
    pub txns_per_sec: u32,
    pub commit_wait: bool,
    /// The uncertainty the node believes before its first sync.
    pub initial_epsilon: i64,
    /// The worst drift the node assumes when widening ε.
    pub assumed_drift_ppm: i64,
    /// Scales ε; below 100 the node understates its uncertainty.
    pub epsilon_percent: i64,
    /// ε is never below this, in microseconds: a real clock's uncertainty, from the bridge.
    pub epsilon_floor: i64,
}

/// What survives a crash: the hardware clock keeps running, and the logical clocks are
/// written to disk at every event so that a restarted process never reuses a timestamp.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stable {
    pub saved: Option<Saved>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saved {
    pub clock: PhysicalClock,
    pub lamport: Lamport,
    pub vector: Vec<u32>,
    pub hlc: Hlc,
    pub events: u32,
    /// The last sync's local reading and δ/2: after a restart, ε grows from there.
    pub synced: Option<(i64, i64)>,
}

impl Durable for Stable {
    type Change = Saved;
    fn apply(&mut self, change: Saved) {
        self.saved = Some(change);
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    Event,
    Sync,
    Txn,
    CommitWait(u32),
}

impl TimerName for Timer {
    fn label(&self) -> &'static str {
        match self {
            Timer::Event => "event",
            Timer::Sync => "ntp-sync",
            Timer::Txn => "transaction",
            Timer::CommitWait(_) => "commit-wait",
        }
    }
}

/// What happened at an event: local, a send, or a receive of another event's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum EventKind {
    Local,
    Send { to: NodeId },
    Receive { from: NodeId, sender_event: u32 },
}

/// Every clock's reading at one event.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Stamps {
    pub pt: i64,
    pub epsilon: i64,
    pub lamport: u64,
    pub vector: Vec<u32>,
    pub hlc: HlcStamp,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Obs {
    Event { index: u32, kind: EventKind, stamps: Stamps, bytes: [u32; 3] },
    Synced { adjust: i64, round_trip: i64 },
    TxnStart { txn: u32, s: i64, pt: i64, epsilon: i64 },
    TxnCommit { txn: u32, s: i64, waited: Micros },
}

impl Observation for Obs {
    fn class(&self) -> ObsClass {
        match self {
            Obs::TxnStart { .. } => ObsClass::ClientRequest,
            Obs::TxnCommit { .. } => ObsClass::ClientResponse,
            _ => ObsClass::StateChange,
        }
    }

    fn text(&self, name: &dyn Fn(NodeId) -> String) -> String {
        match self {
            Obs::Event { index, kind, stamps, .. } => {
                let what = match kind {
                    EventKind::Local => String::from("local"),
                    EventKind::Send { to } => format!("send to {}", name(*to)),
                    EventKind::Receive { from, sender_event } => format!("receive {}#{sender_event}", name(*from)),
                };
                format!(
                    "event {index} {what} pt={} L={} V={:?} HLC=({},{})",
                    stamps.pt, stamps.lamport, stamps.vector, stamps.hlc.l, stamps.hlc.c
                )
            }
            Obs::Synced { adjust, round_trip } => format!("ntp step {adjust}us (rtt {round_trip}us)"),
            Obs::TxnStart { txn, s, epsilon, .. } => format!("txn {txn} s={s} eps={epsilon}us"),
            Obs::TxnCommit { txn, s, waited } => {
                format!("txn {txn} committed s={s} after {}", format_duration(*waited))
            }
        }
    }
}

#[derive(Clone, Debug)]
struct Txn {
    s: i64,
    started: Micros,
}

#[derive(Clone, Debug)]
pub struct State {
    config: Config,
    clock: PhysicalClock,
    lamport: Lamport,
    vector: VectorClock,
    hlc: Hlc,
    /// Local reading and δ/2 at the last sync.
    synced: Option<(i64, i64)>,
    events: u32,
    txns: alloc::collections::BTreeMap<u32, Txn>,
    next_txn: u32,
    /// `t0` of NTP requests sent since the clock was last stepped. A reply to an older one
    /// spans a step, so its round trip is meaningless and it is discarded (as NTP does).
    ntp_pending: Vec<i64>,
    /// Whether the sync and transaction timers run. A rate or interval of 0 means "never",
    /// at start and when set mid-run; a later non-zero value starts the timer again.
    sync_armed: bool,
    txn_armed: bool,
}

fn interval(mean_per_sec: u32, entropy: u64) -> Micros {
    let mean = MICROS_PER_SEC / Micros::from(mean_per_sec.max(1));
    mean / 2 + entropy % (mean + 1)
}

impl State {
    /// Starts the sync and transaction timers that are off but whose interval or rate is now
    /// non-zero (at boot, or after a live change from 0).
    fn arm_rated_timers(&mut self, entropy: u64, out: &mut Out<Self>) {
        if !self.sync_armed && self.config.sync_interval > 0 {
            self.sync_armed = true;
            out.set_timer(Timer::Sync, (entropy >> 16) % self.config.sync_interval);
        }
        if !self.txn_armed && self.config.txns_per_sec > 0 {
            self.txn_armed = true;
            out.set_timer(Timer::Txn, interval(self.config.txns_per_sec, entropy >> 32));
        }
    }

    fn pt(&self, ctx: &Ctx) -> i64 {
        match self.config.role {
            Role::TimeServer => ctx.now as i64,
            Role::Process { .. } => self.clock.read(ctx.now),
        }
    }

    /// The node's belief about its uncertainty now.
    fn epsilon(&self, pt: i64) -> i64 {
        let raw = match self.synced {
            Some((at, half_rtt)) => half_rtt + (pt - at).max(0) * self.config.assumed_drift_ppm / 1_000_000,
            None => self.config.initial_epsilon + pt.max(0) * self.config.assumed_drift_ppm / 1_000_000,
        };
        (raw * self.config.epsilon_percent / 100).max(self.config.epsilon_floor)
    }

    /// The clock's reading and the node's ε at true time `now`, for the lab's displays.
    pub fn reading(&self, now: Micros) -> (i64, i64) {
        let pt = match self.config.role {
            Role::TimeServer => now as i64,
            Role::Process { .. } => self.clock.read(now),
        };
        (pt, if self.config.role == Role::TimeServer { 0 } else { self.epsilon(pt) })
    }

    pub fn tt_now(&self, ctx: &Ctx) -> TtInterval {
        let pt = self.pt(ctx);
        TtInterval::around(pt, self.epsilon(pt))
    }

    fn save(&self, out: &mut Out<Self>) {
        out.persist(Saved {
            clock: self.clock,
            lamport: self.lamport,
            vector: self.vector.entries.clone(),
            hlc: self.hlc,
            events: self.events,
            synced: self.synced,
        });
    }

    fn record(&mut self, ctx: &Ctx, kind: EventKind, hlc: HlcStamp, vector: Vec<u32>, out: &mut Out<Self>) -> u32 {
        let pt = self.pt(ctx);
        let index = self.events;
        self.events += 1;
        self.save(out);
        let bytes = [
            crate::digest::encoded_len(&self.lamport.0) as u32,
            crate::digest::encoded_len(&vector) as u32,
            crate::digest::encoded_len(&hlc) as u32,
        ];
        let stamps = Stamps { pt, epsilon: self.epsilon(pt), lamport: self.lamport.0, vector, hlc };
        out.observe(Obs::Event { index, kind, stamps, bytes });
        index
    }

    fn local_or_send(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        let Role::Process { index, count } = self.config.role else { return };
        let pt = self.pt(ctx);
        let lamport = self.lamport.tick();
        let vector = self.vector.tick();
        let hlc = self.hlc.tick(pt);
        let sends = count > 1 && ctx.entropy % 100 < u64::from(self.config.send_percent);
        if sends {
            // Reduce in u64 first: `usize` is 32 bits on wasm32, and a seed must replay there too.
            let pick = ((ctx.entropy >> 8) % (count as u64 - 1)) as usize;
            let to = self.config.processes[if pick >= index { pick + 1 } else { pick }];
            let event = self.record(ctx, EventKind::Send { to }, hlc, vector.clone(), out);
            out.send(to, Msg::App { lamport, vector, hlc, event });
        } else {
            self.record(ctx, EventKind::Local, hlc, vector, out);
        }
    }

    /// A scripted event: local, or a send to `to`.
    fn scripted(&mut self, ctx: &Ctx, to: Option<NodeId>, out: &mut Out<Self>) {
        let pt = self.pt(ctx);
        let lamport = self.lamport.tick();
        let vector = self.vector.tick();
        let hlc = self.hlc.tick(pt);
        match to {
            Some(to) => {
                let event = self.record(ctx, EventKind::Send { to }, hlc, vector.clone(), out);
                out.send(to, Msg::App { lamport, vector, hlc, event });
            }
            None => {
                self.record(ctx, EventKind::Local, hlc, vector, out);
            }
        }
    }

    fn start_txn(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        let tt = self.tt_now(ctx);
        let txn = self.next_txn;
        self.next_txn += 1;
        let s = tt.latest;
        out.observe(Obs::TxnStart { txn, s, pt: self.pt(ctx), epsilon: tt.epsilon() });
        self.txns.insert(txn, Txn { s, started: ctx.now });
        self.try_commit(ctx, txn, out);
    }

    /// Commits once `TT.after(s)` holds (or at once without commit-wait).
    fn try_commit(&mut self, ctx: &Ctx, txn: u32, out: &mut Out<Self>) {
        let Some(t) = self.txns.get(&txn) else { return };
        let tt = self.tt_now(ctx);
        if let Some(wait) = commit_wait_remaining(tt, t.s).filter(|_| self.config.commit_wait) {
            // Wait by the local clock; re-check when it fires, as drift may make it early.
            out.set_timer(Timer::CommitWait(txn), wait.max(1) as Micros);
            return;
        }
        let waited = ctx.now - t.started;
        out.observe(Obs::TxnCommit { txn, s: t.s, waited });
        self.txns.remove(&txn);
    }

    /// Applies an NTP reply; returns false if it was discarded.
    fn on_ntp_reply(&mut self, ctx: &Ctx, t0: i64, t1: i64, t2: i64) -> bool {
        if !self.ntp_pending.contains(&t0) {
            return false;
        }
        self.ntp_pending.clear();
        let t3 = self.pt(ctx);
        let (offset, round_trip) = ntp_estimate(t0, t1, t2, t3);
        self.clock.step(ctx.now, offset);
        // One microsecond more covers the rounding of the halving.
        self.synced = Some((self.clock.read(ctx.now), round_trip.max(0) / 2 + 1));
        true
    }
}

/// What an operator can tell a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// A local event now.
    Local,
    /// A message to another process now.
    Send { to: NodeId },
    /// A TrueTime transaction now.
    Txn,
}

impl Process for State {
    type Command = Command;
    type Msg = Msg;
    type Timer = Timer;
    type Stable = Stable;
    type Obs = Obs;
    type Config = Config;

    fn boot(_me: NodeId, config: &Config, stable: &Stable) -> Self {
        let (index, count) = match config.role {
            Role::Process { index, count } => (index, count),
            Role::TimeServer => (0, 1),
        };
        if let Some(saved) = &stable.saved {
            let mut vector = VectorClock::new(index, count);
            vector.entries.clone_from(&saved.vector);
            return State {
                config: config.clone(),
                clock: saved.clock,
                lamport: saved.lamport,
                vector,
                hlc: saved.hlc,
                synced: saved.synced,
                events: saved.events,
                txns: Default::default(),
                next_txn: 0,
                ntp_pending: Vec::new(),
                sync_armed: false,
                txn_armed: false,
            };
        }
        State {
            config: config.clone(),
            clock: PhysicalClock::new(config.initial_offset, config.drift_ppm),
            lamport: Lamport::default(),
            vector: VectorClock::new(index, count),
            // Nothing heard of yet: the first tick takes the physical time, even a negative one.
            hlc: Hlc(HlcStamp { l: i64::MIN, c: 0 }),
            synced: None,
            events: 0,
            txns: Default::default(),
            next_txn: 0,
            ntp_pending: Vec::new(),
            sync_armed: false,
            txn_armed: false,
        }
    }

    fn on_start(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        if let Role::Process { .. } = self.config.role {
            out.set_timer(Timer::Event, interval(self.config.events_per_sec, ctx.entropy));
            self.arm_rated_timers(ctx.entropy, out);
        }
    }

    fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        match msg {
            Msg::App { lamport, vector, hlc, event } => {
                let pt = self.pt(ctx);
                self.lamport.receive(lamport);
                let stamped = self.vector.receive(&vector);
                let hlc = self.hlc.receive(hlc, pt);
                self.record(ctx, EventKind::Receive { from, sender_event: event }, hlc, stamped, out);
            }
            Msg::NtpRequest { t0 } => {
                let t = self.pt(ctx);
                out.send(from, Msg::NtpReply { t0, t1: t, t2: t });
            }
            Msg::NtpReply { t0, t1, t2 } => {
                let before = self.pt(ctx);
                if !self.on_ntp_reply(ctx, t0, t1, t2) {
                    return out.note(format!("discarded an NTP reply that spans a clock step (t0={t0})"));
                }
                let round_trip = self.synced.map_or(0, |s| s.1 * 2);
                out.observe(Obs::Synced { adjust: self.pt(ctx) - before, round_trip });
            }
        }
    }

    fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<Self>) {
        match timer {
            Timer::Event => {
                self.local_or_send(ctx, out);
                out.set_timer(Timer::Event, interval(self.config.events_per_sec, ctx.entropy >> 24));
                self.arm_rated_timers(ctx.entropy, out);
            }
            Timer::Sync if self.config.sync_interval == 0 => self.sync_armed = false,
            Timer::Txn if self.config.txns_per_sec == 0 => self.txn_armed = false,
            Timer::Sync => {
                let t0 = self.pt(ctx);
                if self.ntp_pending.len() >= 16 {
                    self.ntp_pending.remove(0);
                }
                self.ntp_pending.push(t0);
                out.send(self.config.time_server, Msg::NtpRequest { t0 });
                out.set_timer(Timer::Sync, self.config.sync_interval);
            }
            Timer::Txn => {
                self.start_txn(ctx, out);
                out.set_timer(Timer::Txn, interval(self.config.txns_per_sec, ctx.entropy >> 24));
            }
            Timer::CommitWait(txn) => self.try_commit(ctx, txn, out),
        }
    }

    fn parse_command(config: &Config, text: &str, resolve: &dyn Fn(&str) -> Option<NodeId>) -> Result<Command, String> {
        let Role::Process { .. } = config.role else {
            return Err("the time server takes no commands".into());
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["local"] => Ok(Command::Local),
            ["send", name] => match resolve(name).filter(|id| config.processes.contains(id)) {
                Some(to) => Ok(Command::Send { to }),
                None => Err(format!("no process called `{name}`")),
            },
            ["txn"] => Ok(Command::Txn),
            _ => Err("unknown command (try: local, send <process>, txn)".into()),
        }
    }

    fn on_command(&mut self, ctx: &Ctx, command: Command, out: &mut Out<Self>) {
        match command {
            Command::Local => self.scripted(ctx, None, out),
            Command::Send { to } => self.scripted(ctx, Some(to), out),
            Command::Txn => self.start_txn(ctx, out),
        }
    }

    fn reconfigure(&mut self, config: &Config) {
        self.config = config.clone();
    }

    fn describe(&self) -> Vec<String> {
        match self.config.role {
            Role::TimeServer => vec!["reference clock".into()],
            Role::Process { .. } => vec![
                format!("L={}", self.lamport.0),
                format!("V={:?}", self.vector.entries),
                format!("HLC=({},{})", self.hlc.0.l, self.hlc.0.c),
            ],
        }
    }
}
