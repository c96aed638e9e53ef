//! A client: one operation at a time against the store, a pause between operations, and a
//! deadline after which the outcome is unknown (Jepsen's `info`): the client then continues
//! as a new process, as Jepsen's do. After the workload stops, it reads every key a last
//! time (from every replica, where replicas answer on their own) for the convergence check.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::{key_name, Key, Msg, Request, Value, Version};
use super::node::{Config, Mode, Obs, State, Timer};
use crate::process::{Ctx, Out};
use crate::trace::NodeId;

/// History process ids of final reads start here, one per (client, replica).
pub const FINAL_PROCESSES: u32 = 100_000;

#[derive(Clone, Debug)]
struct InFlight {
    id: u32,
    request: Request,
    to: NodeId,
}

#[derive(Clone, Debug)]
pub struct Client {
    index: u8,
    pub config: Config,
    process: u32,
    writes: u32,
    next_id: u32,
    current: Option<InFlight>,
    /// Where the client thinks the leader is (leader modes), by replica index.
    leader: usize,
    /// Sequential mode: the highest commit point seen.
    after: u64,
    /// Causal mode: the newest version seen per key.
    context: Vec<(Key, Version)>,
    /// Final reads still to do: (replica index or none for the usual path, key).
    finals: Vec<(Option<usize>, Key)>,
}

impl Client {
    pub fn new(index: u8, config: Config) -> Self {
        Client {
            index,
            process: u32::from(index),
            writes: 0,
            next_id: 1,
            current: None,
            leader: 0,
            after: 0,
            context: Vec::new(),
            finals: Vec::new(),
            config,
        }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        out.set_timer(Timer::Next, 1 + ctx.entropy % self.config.think.max(1));
        out.set_timer(Timer::Finals, self.config.finals.saturating_sub(ctx.now));
    }

    /// The value of this client's next write: unique in the whole history.
    pub fn next_value(&mut self) -> Value {
        self.writes += 1;
        self.writes * 10 + u32::from(self.index) + 1
    }

    fn own_replica(&self) -> usize {
        usize::from(self.index) % self.config.replicas.len().max(1)
    }

    fn target(&self, ctx: &Ctx, request: &Request) -> usize {
        match (self.config.mode, request) {
            (Mode::Linearizable, _) | (Mode::Sequential, Request::Write { .. }) => self.leader,
            (Mode::Sequential | Mode::Causal, _) => self.own_replica(),
            (Mode::Eventual, _) => (ctx.entropy % self.config.replicas.len().max(1) as u64) as usize,
        }
    }

    /// Starts an operation, unless one is in flight.
    pub fn issue(&mut self, ctx: &Ctx, request: Request, out: &mut Out<State>) {
        let replica = self.target(ctx, &request);
        self.send_new(ctx, request, replica, false, out);
    }

    fn send_new(&mut self, _ctx: &Ctx, request: Request, replica: usize, final_read: bool, out: &mut Out<State>) {
        if self.current.is_some() {
            return;
        }
        let Some(&to) = self.config.replicas.get(replica) else { return };
        let id = self.next_id;
        self.next_id += 1;
        out.observe(Obs::Invoke { process: self.process, id, request, final_read });
        self.current = Some(InFlight { id, request, to });
        self.send_current(out);
        out.set_timer(Timer::Timeout(id), self.config.timeout);
    }

    fn send_current(&self, out: &mut Out<State>) {
        if let Some(op) = &self.current {
            let deps = if self.config.mode == Mode::Causal { self.context.clone() } else { Vec::new() };
            out.send(op.to, Msg::Op { id: op.id, request: op.request, after: self.after, deps });
        }
    }

    /// What to do once idle: the next final read, or a pause before the next operation.
    fn idle(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if ctx.now >= self.config.finals {
            if let Some((replica, key)) = self.finals.pop() {
                self.process = FINAL_PROCESSES + u32::from(self.index) * 16 + replica.map_or(15, |r| r as u32);
                let target = replica.unwrap_or(if self.config.mode == Mode::Linearizable {
                    self.leader
                } else {
                    self.own_replica()
                });
                self.send_new(ctx, Request::Read { key }, target, true, out);
            }
            return;
        }
        let think = self.config.think.max(1);
        out.set_timer(Timer::Next, think / 2 + ctx.entropy % think);
    }

    pub fn on_message(&mut self, ctx: &Ctx, msg: Msg, out: &mut Out<State>) {
        let Some(op) = &self.current else { return };
        match msg {
            Msg::Done { id, value, seq, version } if id == op.id => {
                let (Request::Read { key } | Request::Write { key, .. }) = op.request;
                match self.context.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, v)) => *v = (*v).max(version),
                    None => self.context.push((key, version)),
                }
                self.after = self.after.max(seq);
                out.observe(Obs::Complete { id, ok: true, value });
                out.cancel_timer(Timer::Timeout(id));
                self.current = None;
                self.idle(ctx, out);
            }
            Msg::Redirect { id, leader } if id == op.id => {
                let known = leader.and_then(|l| self.config.replicas.iter().position(|&r| r == l));
                match known {
                    Some(at) if self.config.replicas[at] != op.to => {
                        self.leader = at;
                        self.retarget();
                        self.send_current(out);
                    }
                    _ => {
                        self.leader = (self.leader + 1) % self.config.replicas.len().max(1);
                        out.set_timer(Timer::Retry, self.config.think.clamp(1, 30_000));
                    }
                }
            }
            _ => {}
        }
    }

    fn retarget(&mut self) {
        let to = self.config.replicas[self.leader];
        if let Some(op) = &mut self.current {
            op.to = to;
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Next if self.current.is_none() && ctx.now < self.config.stop => {
                let request = if (ctx.entropy % 100) < u64::from(self.config.reads_pct) {
                    Request::Read { key: ((ctx.entropy >> 8) % u64::from(self.config.keys.max(1))) as Key }
                } else {
                    let key = ((ctx.entropy >> 8) % u64::from(self.config.keys.max(1))) as Key;
                    Request::Write { key, value: self.next_value() }
                };
                self.issue(ctx, request, out);
            }
            Timer::Retry => {
                self.retarget();
                self.send_current(out);
            }
            Timer::Timeout(id) if self.current.as_ref().is_some_and(|op| op.id == id) => {
                out.observe(Obs::Complete { id, ok: false, value: 0 });
                self.current = None;
                // An unknown outcome ends the process; the client goes on as a new one.
                if self.process < FINAL_PROCESSES {
                    self.process += u32::from(self.config.clients.max(1));
                }
                if self.config.mode.has_leader() {
                    self.leader = (self.leader + 1) % self.config.replicas.len().max(1);
                }
                self.idle(ctx, out);
            }
            Timer::Finals => {
                let keys = 0..self.config.keys;
                self.finals = match self.config.mode {
                    Mode::Causal | Mode::Eventual => {
                        (0..self.config.replicas.len()).flat_map(|r| keys.clone().map(move |k| (Some(r), k))).collect()
                    }
                    _ => keys.map(|k| (None, k)).collect(),
                };
                self.finals.reverse();
                if self.current.is_none() {
                    self.idle(ctx, out);
                }
            }
            _ => {}
        }
    }

    pub fn describe(&self) -> Vec<String> {
        let mut lines = alloc::vec![format!("process p{}", self.process)];
        match &self.current {
            Some(InFlight { id, request: Request::Read { key }, .. }) => {
                lines.push(format!("#{id} reading {}", key_name(*key)))
            }
            Some(InFlight { id, request: Request::Write { key, value }, .. }) => {
                lines.push(format!("#{id} writing {}={value}", key_name(*key)))
            }
            None => lines.push("idle".into()),
        }
        lines
    }
}
