//! A client: one operation at a time, a pause between operations, and a deadline after which
//! the outcome is unknown (Jepsen's `info`; the client goes on as a new process). Where it
//! sends each operation is the family's: the leader for writes and, by the read knob, the
//! leader, any follower or its own follower for reads (single leader); its own datacenter
//! (multi-leader); any replica as coordinator (leaderless). After the workload it reads every
//! key from every replica that holds it, for the convergence check.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::{Key, Msg, Reply, Request, Value};
use super::node::{Config, Family, Obs, ReadFrom, State, Timer};
use crate::crdt::VersionVector;
use crate::process::{Ctx, Out};
use crate::time::Micros;
use crate::trace::NodeId;

/// History process ids of final reads start here, one per (client, replica).
pub const FINAL_PROCESSES: u32 = 100_000;

#[derive(Clone, Debug)]
struct InFlight {
    id: u32,
    request: Request,
    to: NodeId,
    local: bool,
}

#[derive(Clone, Debug)]
pub struct Client {
    index: u8,
    pub config: Config,
    process: u32,
    writes: u32,
    next_id: u32,
    current: Option<InFlight>,
    /// Single leader: the leader as last told, and in which epoch.
    leader: NodeId,
    epoch: u64,
    last_write: Option<Micros>,
    /// Multi-leader siblings: the context of the last read, per key.
    contexts: Vec<VersionVector>,
    finals: Vec<(usize, Key)>,
}

impl Client {
    pub fn new(index: u8, config: Config) -> Self {
        Client {
            index,
            process: u32::from(index),
            writes: 0,
            next_id: 1,
            current: None,
            leader: config.servers.first().copied().unwrap_or(0),
            epoch: 1,
            last_write: None,
            contexts: alloc::vec![VersionVector::new(); usize::from(config.keys)],
            finals: Vec::new(),
            config,
        }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        out.set_timer(Timer::Next, 1 + ctx.entropy % self.config.think.max(1));
        out.set_timer(Timer::Finals, self.config.finals.saturating_sub(ctx.now));
    }

    fn next_value(&mut self) -> Value {
        self.writes += 1;
        self.writes * 10 + u32::from(self.index) + 1
    }

    /// The datacenter (multi-leader) or follower (sticky reads) this client belongs to.
    pub fn home(&self) -> usize {
        Client::home_of(self.config.family, self.index, self.config.servers.len())
    }

    /// Client `index`'s datacenter or sticky follower among `servers` servers.
    pub fn home_of(family: Family, index: u8, servers: usize) -> usize {
        let n = servers.max(1);
        match family {
            Family::SingleLeader if n > 1 => 1 + usize::from(index) % (n - 1),
            _ => usize::from(index) % n,
        }
    }

    fn target(&self, ctx: &Ctx, request: &Request) -> NodeId {
        let servers = &self.config.servers;
        let n = servers.len().max(1);
        match self.config.family {
            Family::SingleLeader => {
                let read = matches!(request, Request::Read { .. });
                let recent = self.last_write.is_some_and(|t| ctx.now < t + self.config.ryw_window);
                if !read || recent || n == 1 {
                    return self.leader;
                }
                match self.config.read_from {
                    ReadFrom::Leader => self.leader,
                    ReadFrom::Sticky => {
                        // Its own follower, unless a failover made it the leader: then the next.
                        let home = self.home();
                        let own = servers[home];
                        if own == self.leader {
                            servers[1 + home % (n - 1)]
                        } else {
                            own
                        }
                    }
                    ReadFrom::Followers => {
                        let others: Vec<NodeId> = servers.iter().copied().filter(|&s| s != self.leader).collect();
                        others[(ctx.entropy % others.len() as u64) as usize]
                    }
                }
            }
            Family::MultiLeader => servers[self.home()],
            Family::Leaderless => servers[(ctx.entropy % n as u64) as usize],
        }
    }

    /// An operator's command: a write gets this client's next unique value.
    pub fn command(&mut self, ctx: &Ctx, mut request: Request, out: &mut Out<State>) {
        if let Request::Write { value, .. } = &mut request {
            *value = self.next_value();
        }
        let to = self.target(ctx, &request);
        self.send_new(ctx, request, to, false, out);
    }

    fn send_new(&mut self, ctx: &Ctx, request: Request, to: NodeId, local: bool, out: &mut Out<State>) {
        if self.current.is_some() {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        out.observe(Obs::Invoke { process: self.process, id, request, final_read: local });
        if matches!(request, Request::Write { .. }) {
            self.last_write = Some(ctx.now);
        }
        self.current = Some(InFlight { id, request, to, local });
        self.send_current(out);
        out.set_timer(Timer::Timeout(id), self.config.timeout);
    }

    fn send_current(&self, out: &mut Out<State>) {
        if let Some(op) = &self.current {
            let context = match op.request {
                Request::Write { key, .. } => self.contexts.get(usize::from(key)).cloned().unwrap_or_default(),
                _ => VersionVector::new(),
            };
            out.send(op.to, Msg::Op { id: op.id, request: op.request, context, local: op.local });
        }
    }

    fn idle(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if ctx.now >= self.config.finals {
            if let Some((replica, key)) = self.finals.pop() {
                self.process = FINAL_PROCESSES + u32::from(self.index) * 16 + replica as u32;
                let to = self.config.servers[replica];
                self.send_new(ctx, Request::Read { key }, to, true, out);
            }
            return;
        }
        let think = self.config.think.max(1);
        out.set_timer(Timer::Next, think / 2 + ctx.entropy % think);
    }

    pub fn on_message(&mut self, ctx: &Ctx, msg: Msg, out: &mut Out<State>) {
        if let Msg::NewLeader { epoch, leader } = msg {
            if epoch >= self.epoch {
                (self.epoch, self.leader) = (epoch, leader);
            }
            return;
        }
        let Some(op) = &self.current else { return };
        match msg {
            Msg::Done { id, reply } if id == op.id => {
                if let (Request::Read { key }, Reply::Siblings(_, context)) = (op.request, &reply) {
                    if let Some(slot) = self.contexts.get_mut(usize::from(key)) {
                        *slot = context.clone();
                    }
                }
                out.observe(Obs::Complete { id, ok: true, reply });
                out.cancel_timer(Timer::Timeout(id));
                self.current = None;
                self.idle(ctx, out);
            }
            Msg::Redirect { id, leader } if id == op.id => {
                if let Some(l) = leader.filter(|&l| l != op.to) {
                    self.leader = l;
                    if let Some(op) = &mut self.current {
                        op.to = l;
                    }
                    self.send_current(out);
                } else {
                    out.set_timer(Timer::Retry(id), (self.config.heartbeat * 2).clamp(1, 30_000));
                }
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Next if self.current.is_none() && ctx.now < self.config.stop => {
                let request = self.pick(ctx.entropy);
                let to = self.target(ctx, &request);
                self.send_new(ctx, request, to, false, out);
            }
            Timer::Retry(id) if self.current.as_ref().is_some_and(|op| op.id == id) => {
                if let Some(op) = &mut self.current {
                    if !op.local && self.config.family == Family::SingleLeader {
                        op.to = self.leader;
                    }
                }
                self.send_current(out);
            }
            Timer::Timeout(id) if self.current.as_ref().is_some_and(|op| op.id == id) => {
                out.observe(Obs::Complete { id, ok: false, reply: Reply::Written });
                self.current = None;
                if self.process < FINAL_PROCESSES {
                    self.process += self.config.clients.len().max(1) as u32;
                }
                self.idle(ctx, out);
            }
            Timer::Finals => {
                self.finals = match self.config.family {
                    Family::Leaderless => (0..self.config.keys)
                        .flat_map(|k| self.config.preference(k).into_iter().map(move |r| (r, k)))
                        .collect(),
                    _ if self.config.conflicts.registers() || self.config.family == Family::SingleLeader => {
                        (0..self.config.servers.len())
                            .flat_map(|r| (0..self.config.keys).map(move |k| (r, k)))
                            .collect()
                    }
                    _ => (0..self.config.servers.len()).map(|r| (r, 0)).collect(),
                };
                // Each client reads a share, so the final reads do not take long.
                let clients = self.config.clients.len().max(1);
                let mine = usize::from(self.index);
                self.finals = self
                    .finals
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|(i, _)| i % clients == mine)
                    .map(|(_, f)| f)
                    .collect();
                self.finals.reverse();
                if self.current.is_none() {
                    self.idle(ctx, out);
                }
            }
            _ => {}
        }
    }

    /// The next operation of the workload.
    fn pick(&mut self, entropy: u64) -> Request {
        let read = (entropy % 100) < u64::from(self.config.reads_pct);
        let key = ((entropy >> 8) % u64::from(self.config.keys.max(1))) as Key;
        let conflicts = self.config.conflicts;
        match self.config.family {
            Family::MultiLeader if conflicts.counter() => {
                if read {
                    Request::Read { key: 0 }
                } else if conflicts == super::data::Conflicts::PNCounter && (entropy >> 20).is_multiple_of(3) {
                    Request::Decrement
                } else {
                    Request::Increment
                }
            }
            Family::MultiLeader if conflicts == super::data::Conflicts::OrSet => {
                let element = ((entropy >> 20) % 4) as u8;
                match (read, (entropy >> 30) % 2) {
                    (true, _) => Request::Read { key: 0 },
                    (false, 0) => Request::Add { element },
                    (false, _) => Request::Remove { element },
                }
            }
            _ if read => Request::Read { key },
            _ => Request::Write { key, value: self.next_value() },
        }
    }

    pub fn describe(&self) -> Vec<String> {
        let mut lines = alloc::vec![format!("process p{}", self.process)];
        match &self.current {
            Some(op) => lines.push(format!("#{} {}", op.id, op.request)),
            None => lines.push("idle".into()),
        }
        lines
    }
}
