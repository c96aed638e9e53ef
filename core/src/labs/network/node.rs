//! Clients and servers of the Network lab, as sans-I/O processes.
//!
//! A client issues requests at its configured rate (open loop), each with a fresh request id
//! that doubles as an idempotency key. It routes a request to the home server of its account
//! among the servers that service discovery lists, and retries on timeout with the same id up
//! to `retries` times. A server applies each request to the account balance and acknowledges
//! it. With deduplication on, it remembers the ids it applied (persisted, so a crash does not
//! forget them) and answers a repeat with the stored result instead of applying it again.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::msg::{Msg, RejectReason};
use crate::digest::encoded_len;
use crate::process::{Ctx, Durable, ObsClass, Observation, Out, Process, TimerName};
use crate::time::{format_duration, Micros, MICROS_PER_SEC};
use crate::trace::NodeId;

/// Requests a client keeps open at most; past that it skips issuing (back-pressure).
pub const MAX_OUTSTANDING: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Client { account: u16 },
    Server,
}

/// One node's configuration. Nodes may disagree: each administrator sets their own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub role: Role,
    /// Every server id, in order: the shard map clients route with.
    pub servers: Vec<NodeId>,
    pub rate_per_sec: u32,
    pub timeout: Micros,
    pub retries: u32,
    pub payload: u32,
    pub dedup: bool,
    pub max_request: u32,
    pub version: u8,
    pub negotiate: bool,
}

/// What survives a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stable {
    /// Client: the next request id, so a restarted client never reuses one.
    pub next_req: u32,
    /// Server: balance per account.
    pub balances: BTreeMap<u16, i64>,
    /// Server: the deduplication table, (client, request) to the balance it produced. Looked
    /// up for every request, never listed: a hash map.
    pub applied: crate::idmap::IdMap<(NodeId, u32), i64>,
    /// Server: per client, ids below this were forgotten; a late copy of one is refused,
    /// never applied.
    pub floor: BTreeMap<NodeId, u32>,
}

/// A durable change, written before the node acts on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Client: request ids below this one are used.
    NextRequest(u32),
    /// Server: an account's new balance, and the request that produced it if deduplicating.
    Applied { account: u16, balance: i64, key: Option<(NodeId, u32)> },
    /// Server: the client finished every request below `below`; forget their keys.
    Forget { client: NodeId, below: u32 },
}

impl Durable for Stable {
    type Change = Change;
    fn apply(&mut self, change: Change) {
        match change {
            Change::NextRequest(next) => self.next_req = next,
            Change::Applied { account, balance, key } => {
                self.balances.insert(account, balance);
                // A key below its client's floor is never looked up (such a request is
                // refused first), and Forget would never reach it: it is not kept. Only a
                // tampered frame (a `done_below` above its own id) gets here.
                if let Some(key) = key.filter(|&(client, req)| req >= self.floor.get(&client).copied().unwrap_or(0)) {
                    self.applied.insert(key, balance);
                }
            }
            Change::Forget { client, below } => {
                let floor = self.floor.entry(client).or_insert(0);
                let from = *floor;
                *floor = (*floor).max(below);
                // No key below the floor is kept (see `Applied`), so only ids from the old
                // floor up can be held: removed one by one, unless there are fewer keys in
                // all than ids in that range.
                if below.saturating_sub(from) as usize <= self.applied.len() {
                    for req in from..below {
                        self.applied.remove(&(client, req));
                    }
                } else {
                    self.applied.retain(|&(c, req), _| c != client || req >= below);
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    NextRequest,
    Retry(u32),
}

impl TimerName for Timer {
    fn label(&self) -> &'static str {
        match self {
            Timer::NextRequest => "next-request",
            Timer::Retry(_) => "retry",
        }
    }
}

/// What nodes report to the lab's checkers and the trace.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Obs {
    Issued { req: u32, amount: i32, server: NodeId },
    Retried { req: u32, attempt: u32, server: NodeId },
    Acked { req: u32, latency: Micros },
    GaveUp { req: u32 },
    Rejected { req: u32 },
    NoServer { req: u32 },
    Applied { client: NodeId, req: u32, amount: i32, balance: i64 },
    DedupHit { client: NodeId, req: u32 },
    Stale { client: NodeId, req: u32 },
}

impl Observation for Obs {
    fn class(&self) -> ObsClass {
        match self {
            Obs::Issued { .. } | Obs::Retried { .. } => ObsClass::ClientRequest,
            Obs::Acked { .. } | Obs::GaveUp { .. } | Obs::Rejected { .. } | Obs::NoServer { .. } => {
                ObsClass::ClientResponse
            }
            Obs::Applied { .. } | Obs::DedupHit { .. } | Obs::Stale { .. } => ObsClass::StateChange,
        }
    }

    fn text(&self, name: &dyn Fn(NodeId) -> String) -> String {
        match self {
            Obs::Issued { req, amount, server } => format!("issue req {req} amount {amount} to {}", name(*server)),
            Obs::Retried { req, attempt, server } => format!("retry req {req} attempt {attempt} to {}", name(*server)),
            Obs::Acked { req, latency } => format!("ack req {req} after {}", format_duration(*latency)),
            Obs::GaveUp { req } => format!("gave up on req {req}"),
            Obs::Rejected { req } => format!("req {req} rejected"),
            Obs::NoServer { req } => format!("req {req}: no server registered"),
            Obs::Applied { client, req, amount, balance } => {
                format!("applied {}:{req} amount {amount} balance {balance}", name(*client))
            }
            Obs::DedupHit { client, req } => format!("duplicate {}:{req} answered from table", name(*client)),
            Obs::Stale { client, req } => format!("refused late copy of finished {}:{req}", name(*client)),
        }
    }
}

#[derive(Clone, Debug)]
struct Outstanding {
    amount: i32,
    attempts: u32,
    first_sent: Micros,
}

#[derive(Clone, Debug)]
pub struct State {
    me: NodeId,
    config: Config,
    stable: Stable,
    outstanding: BTreeMap<u32, Outstanding>,
}

impl State {
    fn account(&self) -> u16 {
        match self.config.role {
            Role::Client { account } => account,
            Role::Server => 0,
        }
    }

    /// The account's home server among the servers discovery lists, with the frame version
    /// to speak to it.
    fn route(&self, ctx: &Ctx) -> Option<(NodeId, u8)> {
        let live = || ctx.members.iter().filter(|m| self.config.servers.contains(&m.id));
        let home = live().nth(usize::from(self.account()) % live().count().max(1))?;
        let version = if self.config.negotiate { self.config.version.min(home.version) } else { self.config.version };
        Some((home.id, version))
    }

    fn interval(&self, entropy: u64) -> Micros {
        let mean = MICROS_PER_SEC / Micros::from(self.config.rate_per_sec.max(1));
        mean / 2 + entropy % (mean + 1)
    }

    fn send_request(&self, ctx: &Ctx, req: u32, amount: i32, out: &mut Out<Self>) -> Option<NodeId> {
        let (server, v) = self.route(ctx)?;
        // Every id below this one has finished: the oldest request still open, this one included.
        let done_below = self.outstanding.keys().next().map_or(req, |&oldest| oldest.min(req));
        let pad = vec![0xAB; self.config.payload as usize];
        let account = self.account();
        out.send(server, Msg::Request { v, client: self.me, req, account, amount, done_below, pad });
        out.set_timer(Timer::Retry(req), self.config.timeout);
        Some(server)
    }

    fn issue(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        out.set_timer(Timer::NextRequest, self.interval(ctx.entropy >> 8));
        self.issue_now(ctx, out);
    }

    /// Issues one request right away.
    fn issue_now(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        if self.outstanding.len() >= MAX_OUTSTANDING {
            return;
        }
        let req = self.stable.next_req;
        out.persist_applied(&mut self.stable, Change::NextRequest(req + 1));
        let amount = 1 + (ctx.entropy % 100) as i32;
        match self.send_request(ctx, req, amount, out) {
            Some(server) => {
                self.outstanding.insert(req, Outstanding { amount, attempts: 0, first_sent: ctx.now });
                out.observe(Obs::Issued { req, amount, server });
            }
            None => out.observe(Obs::NoServer { req }),
        }
    }

    fn retry(&mut self, ctx: &Ctx, req: u32, out: &mut Out<Self>) {
        let Some(open) = self.outstanding.get_mut(&req) else { return };
        if open.attempts >= self.config.retries {
            self.outstanding.remove(&req);
            out.observe(Obs::GaveUp { req });
            return;
        }
        open.attempts += 1;
        let (attempt, amount) = (open.attempts, open.amount);
        match self.send_request(ctx, req, amount, out) {
            Some(server) => out.observe(Obs::Retried { req, attempt, server }),
            None => {
                self.outstanding.remove(&req);
                out.observe(Obs::NoServer { req });
            }
        }
    }

    fn on_request(&mut self, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        let size = encoded_len(&msg) as u32;
        let Msg::Request { v, client, req, account, amount, done_below, .. } = msg else { return };
        if size > self.config.max_request {
            out.send(from, Msg::Reject { v, req, why: RejectReason::TooLarge });
            return;
        }
        if self.config.dedup {
            if req < self.stable.floor.get(&client).copied().unwrap_or(0) {
                // A late copy of a request whose key was forgotten: it was finished, so it
                // must not be applied again.
                out.observe(Obs::Stale { client, req });
                out.send(from, Msg::Reject { v, req, why: RejectReason::Stale });
                return;
            }
            if done_below > self.stable.floor.get(&client).copied().unwrap_or(0) {
                out.persist_applied(&mut self.stable, Change::Forget { client, below: done_below });
            }
            if let Some(&balance) = self.stable.applied.get(&(client, req)) {
                out.observe(Obs::DedupHit { client, req });
                out.send(from, Msg::Ack { v, req, balance });
                return;
            }
        }
        let balance = self.stable.balances.get(&account).copied().unwrap_or(0) + i64::from(amount);
        let key = self.config.dedup.then_some((client, req));
        out.persist_applied(&mut self.stable, Change::Applied { account, balance, key });
        out.observe(Obs::Applied { client, req, amount, balance });
        out.send(from, Msg::Ack { v, req, balance });
    }
}

/// What an operator can tell a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// A client sends a request now, besides its steady rate.
    Request,
}

impl Process for State {
    type Command = Command;
    type Msg = Msg;
    type Timer = Timer;
    type Stable = Stable;
    type Obs = Obs;
    type Config = Config;

    fn boot(me: NodeId, config: &Config, stable: &Stable) -> Self {
        State { me, config: config.clone(), stable: stable.clone(), outstanding: BTreeMap::new() }
    }

    fn on_start(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        if let Role::Client { .. } = self.config.role {
            out.set_timer(Timer::NextRequest, self.interval(ctx.entropy));
        }
    }

    fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        match (&self.config.role, msg) {
            (Role::Server, msg @ Msg::Request { .. }) => self.on_request(from, msg, out),
            (Role::Client { .. }, Msg::Ack { req, .. }) => {
                if let Some(open) = self.outstanding.remove(&req) {
                    out.cancel_timer(Timer::Retry(req));
                    out.observe(Obs::Acked { req, latency: ctx.now - open.first_sent });
                }
            }
            (Role::Client { .. }, Msg::Reject { req, .. }) => {
                if self.outstanding.remove(&req).is_some() {
                    out.cancel_timer(Timer::Retry(req));
                    out.observe(Obs::Rejected { req });
                }
            }
            (_, other) => out.note(format!("ignored unexpected {other:?}")),
        }
    }

    fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<Self>) {
        match timer {
            Timer::NextRequest => self.issue(ctx, out),
            Timer::Retry(req) => self.retry(ctx, req, out),
        }
    }

    fn parse_command(config: &Config, text: &str, _: &dyn Fn(&str) -> Option<NodeId>) -> Result<Command, String> {
        match (&config.role, text.trim()) {
            (Role::Client { .. }, "request") => Ok(Command::Request),
            (Role::Client { .. }, _) => Err("unknown command (clients take: request)".into()),
            (Role::Server, _) => Err("servers take no commands".into()),
        }
    }

    fn on_command(&mut self, ctx: &Ctx, command: Command, out: &mut Out<Self>) {
        match command {
            Command::Request => self.issue_now(ctx, out),
        }
    }

    fn reconfigure(&mut self, config: &Config) {
        self.config = config.clone();
    }

    fn describe(&self) -> Vec<String> {
        match self.config.role {
            Role::Client { account } => vec![
                format!("account {account}"),
                format!("next req {}", self.stable.next_req),
                format!("{} open", self.outstanding.len()),
            ],
            Role::Server => {
                let total: i64 = self.stable.balances.values().sum();
                vec![
                    format!("{} accounts, total {total}", self.stable.balances.len()),
                    format!(
                        "dedup {} ({} keys)",
                        if self.config.dedup { "on" } else { "off" },
                        self.stable.applied.len()
                    ),
                ]
            }
        }
    }
}
