//! Leases and fencing tokens (Gray & Cheriton, "Leases", SOSP 1989; Burrows, "The Chubby
//! lock service", OSDI 2006, for sequencers; Kleppmann, "How to do distributed locking",
//! 2016, and *Designing Data-Intensive Applications* ch. 8, for the fencing story).
//!
//! A lock service grants a lease for `lease` at a time, with a token that grows with every
//! grant. A client that holds it checks, before each write, that its lease has not run out
//! by its own clock (less a safety `margin`), then prepares the write, which takes `work`;
//! a process pause (GC) between the check and the write, or a clock that runs slow (`drift`),
//! sends the write after the lease has ended and been granted to someone else. With fencing,
//! the lock service tells storage each new token (as Chubby's sequencers let a server check
//! one) and storage refuses any write with an older token; without it, the stale write
//! overwrites the new holder's.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::Msg;
use super::node::{Change, Config, Obs, Stable, State, Timer};
use crate::process::{Ctx, Out};
use crate::time::{Micros, MICROS_PER_MS};
use crate::trace::NodeId;

#[derive(Clone, Debug)]
pub struct LockService {
    pub config: Config,
    stable: Stable,
    /// The current holder: (client, token, until).
    holder: Option<(NodeId, u64, Micros)>,
    /// With fencing, a grant waits until storage knows its token: (client, token, request).
    fencing: Option<(NodeId, u64, u32)>,
    granted: u64,
}

impl LockService {
    pub fn boot(config: Config, stable: Stable) -> LockService {
        LockService { config, stable, holder: None, fencing: None, granted: 0 }
    }

    pub fn start(&mut self, ctx: &Ctx, _out: &mut Out<State>) {
        // A restarted service honours any lease it may have granted before the crash: it
        // grants nothing for one lease period.
        if self.stable.counter > 0 {
            self.holder = Some((NodeId::MAX, self.stable.counter, ctx.now + self.config.lease));
        }
    }

    fn store(&self) -> NodeId {
        self.config.servers.first().copied().unwrap_or(NodeId::MAX)
    }

    fn grant(&mut self, ctx: &Ctx, client: NodeId, token: u64, seq: u32, out: &mut Out<State>) {
        let until = ctx.now + self.config.lease;
        self.holder = Some((client, token, until));
        self.granted += 1;
        out.observe(Obs::Granted { client, token, until });
        out.send(client, Msg::Grant { token, lease: self.config.lease, seq });
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Acquire { seq } => {
                let free = match self.holder {
                    None => true,
                    Some((holder, _, until)) => holder == from || ctx.now >= until,
                };
                if !free || self.fencing.is_some_and(|f| f.0 != from) {
                    out.send(from, Msg::Busy);
                    return;
                }
                if self.fencing.is_some() {
                    return;
                }
                let token = self.stable.counter + 1;
                out.persist_applied(&mut self.stable, Change::Counter(token));
                if self.config.fencing {
                    // Storage learns the token before anyone can use it (Chubby's sequencer
                    // check, made a push): the grant waits for its acknowledgement.
                    self.holder = None;
                    self.fencing = Some((from, token, seq));
                    out.send(self.store(), Msg::Fence { token });
                    out.set_timer(Timer::Acquire, self.config.timeout.max(1) / 4 + 1);
                } else {
                    self.grant(ctx, from, token, seq, out);
                }
            }
            Msg::FenceAck { token } => {
                if let Some((client, t, seq)) = self.fencing.filter(|f| f.1 == token) {
                    self.fencing = None;
                    self.grant(ctx, client, t, seq, out);
                }
            }
            Msg::Release { token } if self.holder.is_some_and(|h| h.1 == token) => self.holder = None,
            _ => {}
        }
    }

    pub fn on_timer(&mut self, _ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        // Resend the fence until storage acknowledges it.
        if let (Timer::Acquire, Some((_, token, _))) = (timer, self.fencing) {
            out.send(self.store(), Msg::Fence { token });
            out.set_timer(Timer::Acquire, self.config.timeout.max(1) / 4 + 1);
        }
    }

    pub fn holder(&self, now: Micros) -> Option<(NodeId, u64, Micros)> {
        self.holder.filter(|h| now < h.2)
    }

    pub fn describe(&self) -> Vec<String> {
        alloc::vec![format!("{} grants · token {}", self.granted, self.stable.counter)]
    }
}

#[derive(Clone, Debug)]
pub struct LeaseClient {
    pub config: Config,
    index: u8,
    /// The lease this client believes it holds: (token, until, in true time).
    lease: Option<(u64, Micros)>,
    /// The pending Acquire: its number and when it left (true time).
    asked: (u32, Micros),
    writes: u32,
    refused: u32,
}

impl LeaseClient {
    pub fn new(index: u8, config: Config) -> LeaseClient {
        LeaseClient { config, index, lease: None, asked: (0, 0), writes: 0, refused: 0 }
    }

    /// How long `local` of this client's clock takes in true time: a clock that runs slow
    /// by `drift_ppm` needs longer.
    fn true_span(&self, local: Micros) -> Micros {
        let ppm = self.config.drift_ppm.min(900_000);
        local.saturating_mul(1_000_000) / (1_000_000 - ppm)
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        let think = self.config.think.max(1);
        out.set_timer(Timer::Acquire, ctx.entropy % think + 1 + u64::from(self.index) * 7 * MICROS_PER_MS);
    }

    /// Starts the next write now (a button): acquiring the lease first if needed.
    pub fn request(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        self.on_timer(ctx, Timer::Work, out);
    }

    fn acquire(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if ctx.now >= self.config.stop {
            return;
        }
        self.asked = (self.asked.0.wrapping_add(1), ctx.now);
        out.send(self.config.hub, Msg::Acquire { seq: self.asked.0 });
        out.set_timer(Timer::Acquire, self.config.timeout.max(1));
    }

    pub fn on_message(&mut self, ctx: &Ctx, _from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Grant { token, lease, seq } => {
                // The lease is counted from when its request left, by this client's clock,
                // less the margin: what the client believes, in true time. A grant for an
                // older request is too old to time: the client asks again.
                if seq != self.asked.0 {
                    return;
                }
                let local = lease.saturating_sub(self.config.margin);
                let until = self.asked.1 + self.true_span(local);
                self.lease = Some((token, until));
                out.observe(Obs::Holds { token, until });
                out.cancel_timer(Timer::Acquire);
                out.set_timer(Timer::Work, 1);
            }
            Msg::Busy => {
                let think = self.config.think.max(2);
                out.set_timer(Timer::Acquire, think / 2 + ctx.entropy % think);
            }
            Msg::WriteAck { ok, .. } => {
                if !ok {
                    // Fenced off: the token is stale, so the lease is gone.
                    self.refused += 1;
                    self.lease = None;
                }
                let think = self.config.think.max(2);
                out.set_timer(Timer::Work, think / 2 + ctx.entropy % think);
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Acquire => self.acquire(ctx, out),
            Timer::Work => match self.lease {
                // The check: by this client's clock, the lease outlasts the write about to be
                // prepared (a pause after this check is what it cannot foresee).
                Some((_, until)) if ctx.now + self.config.work < until && ctx.now < self.config.stop => {
                    out.set_timer(Timer::Send, self.config.work.max(1));
                }
                Some((token, _)) => {
                    self.lease = None;
                    out.send(self.config.hub, Msg::Release { token });
                    let think = self.config.think.max(2);
                    out.set_timer(Timer::Acquire, think / 2 + ctx.entropy % think);
                }
                None => self.acquire(ctx, out),
            },
            Timer::Send => {
                // The write leaves on the strength of the check made `work` ago.
                let Some((token, _)) = self.lease else { return };
                self.writes += 1;
                let value = u32::from(self.index + 1) * 1000 + self.writes;
                if let Some(&store) = self.config.servers.first() {
                    out.send(store, Msg::Write { token, value, sent: ctx.now });
                }
                // If no answer comes, carry on after the timeout.
                out.set_timer(Timer::Work, self.config.timeout.max(1));
            }
            _ => {}
        }
    }

    /// The lease this client believes it holds: (token, until).
    pub fn belief(&self) -> Option<(u64, Micros)> {
        self.lease
    }

    pub fn describe(&self) -> Vec<String> {
        let holds = match self.lease {
            Some((token, _)) => format!("holds token {token}"),
            None => "no lease".into(),
        };
        alloc::vec![holds, format!("{} writes · {} refused", self.writes, self.refused)]
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    pub config: Config,
    stable: Stable,
    /// The last few writes accepted: (client, token, value).
    pub recent: Vec<(NodeId, u64, u32)>,
}

impl Store {
    pub fn boot(config: Config, stable: Stable) -> Store {
        Store { config, stable, recent: Vec::new() }
    }

    pub fn start(&mut self, _ctx: &Ctx, _out: &mut Out<State>) {}

    pub fn on_message(&mut self, _ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Fence { token } => {
                if token > self.stable.counter {
                    out.persist_applied(&mut self.stable, Change::Counter(token));
                }
                out.send(from, Msg::FenceAck { token });
            }
            Msg::Write { token, value, sent } => {
                if self.config.fencing && token < self.stable.counter {
                    out.observe(Obs::Refused { client: from, token, value });
                    out.send(from, Msg::WriteAck { value, ok: false });
                    return;
                }
                if token > self.stable.counter {
                    out.persist_applied(&mut self.stable, Change::Counter(token));
                }
                out.persist_applied(&mut self.stable, Change::Value(value));
                out.observe(Obs::Accepted { client: from, token, value, sent });
                if self.recent.len() == 6 {
                    self.recent.remove(0);
                }
                self.recent.push((from, token, value));
                out.send(from, Msg::WriteAck { value, ok: true });
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, _ctx: &Ctx, _timer: Timer, _out: &mut Out<State>) {}

    /// The value stored and the highest token seen.
    pub fn value(&self) -> (u32, u64) {
        (self.stable.value, self.stable.counter)
    }

    pub fn describe(&self) -> Vec<String> {
        alloc::vec![format!("holds v{} · token {}", self.stable.value, self.stable.counter)]
    }
}
