//! The failover monitor of the single-leader family, as Orchestrator, Sentinel or Patroni
//! act: it checks every server's health each heartbeat, and when the leader has been silent
//! for the failover timeout it promotes a follower that answered within the last few checks
//! (the most up to date by its last entry's epoch and its log's length, or, as the teaching
//! variant, any of them) in a new epoch, and tells the clients.
//!
//! With leases on, each health check grants the leader a lease until a time on the
//! monitor's clock (half the failover timeout ahead); once the leader has been silent for
//! that long, the monitor stops granting, and it promotes only after the last lease it
//! granted has run out. A manual failover waits for the same. The monitor keeps its epoch
//! on disk, and takes a higher one from any server that reports it.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::Msg;
use super::node::{Change, Config, Obs, Stable, State, Timer};
use crate::process::{Ctx, Out};
use crate::time::Micros;
use crate::trace::NodeId;

/// A follower is a candidate if it answered within this many health checks.
const ALIVE_CHECKS: u64 = 3;

#[derive(Clone, Debug)]
pub struct Monitor {
    pub config: Config,
    pub epoch: u64,
    pub leader: usize,
    last_pong: Vec<Micros>,
    /// Each server's (last entry's epoch, log length), from its last answer.
    position: Vec<(u64, u64)>,
    /// The latest time a lease granted to the leader runs until.
    granted: Micros,
    /// A failover asked for by an operator, waiting for the lease to run out.
    asked: bool,
}

impl Monitor {
    pub fn new(config: Config, stable: &Stable) -> Self {
        let n = config.servers.len();
        Monitor {
            epoch: stable.epoch.max(1),
            leader: usize::from(stable.leader),
            last_pong: alloc::vec![0; n],
            position: alloc::vec![(0, 0); n],
            granted: 0,
            asked: false,
            config,
        }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        // Servers get a grace period after a (re)start before any of them counts as silent.
        self.last_pong = alloc::vec![ctx.now; self.config.servers.len()];
        out.set_timer(Timer::Ping, self.config.heartbeat);
    }

    fn lease(&self) -> Micros {
        self.config.failover / 2
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, _out: &mut Out<State>) {
        if let Msg::Pong { epoch, leading, len, last_epoch } = msg {
            let Some(i) = self.config.servers.iter().position(|&s| s == from) else { return };
            self.last_pong[i] = ctx.now;
            self.position[i] = (last_epoch, len);
            if epoch > self.epoch && leading {
                // A monitor that lost track (restarted) learns who leads now.
                (self.epoch, self.leader) = (epoch, i);
            }
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        if timer != Timer::Ping {
            return;
        }
        let silent = ctx.now.saturating_sub(self.last_pong[self.leader]);
        let lease_over = !self.config.lease || ctx.now >= self.granted;
        if (silent > self.config.failover || self.asked) && lease_over {
            self.promote(ctx, out);
        }
        // The leader gets a lease only while it answers and no failover is asked for.
        let grant = self.config.lease && silent <= self.lease() && !self.asked;
        let leader = self.config.servers[self.leader];
        for &s in &self.config.servers {
            let lease = (grant && s == leader).then(|| ctx.now + self.lease());
            out.send(s, Msg::Ping { epoch: self.epoch, leader: Some(leader), lease });
        }
        if grant {
            self.granted = ctx.now + self.lease();
        }
        out.set_timer(Timer::Ping, self.config.heartbeat);
    }

    /// An operator's failover: at the next health check, or once the lease has run out.
    pub fn fail_over(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        self.asked = true;
        if !self.config.lease || ctx.now >= self.granted {
            self.promote(ctx, out);
        }
    }

    /// Promotes a follower that answered recently: the most up to date one, or (teaching
    /// variant) any of them.
    fn promote(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        let recent = self.config.heartbeat * ALIVE_CHECKS;
        let alive: Vec<usize> = (0..self.config.servers.len())
            .filter(|&i| i != self.leader && ctx.now.saturating_sub(self.last_pong[i]) <= recent)
            .collect();
        let chosen = if self.config.promote_any {
            alive.get((ctx.entropy % alive.len().max(1) as u64) as usize).copied()
        } else {
            alive.iter().copied().max_by_key(|&i| (self.position[i], core::cmp::Reverse(i)))
        };
        let Some(to) = chosen else { return };
        self.asked = false;
        let from = self.config.servers[self.leader];
        self.epoch += 1;
        self.leader = to;
        // The new leader gets a grace period before it can be found silent.
        self.last_pong[to] = ctx.now;
        out.persist(Change::Promoted { epoch: self.epoch, leader: to as u8 });
        let to = self.config.servers[to];
        out.observe(Obs::Failover { epoch: self.epoch, from, to });
        let lease = ctx.now + self.lease();
        if self.config.lease {
            self.granted = lease;
        }
        out.send(to, Msg::Promote { epoch: self.epoch, lease });
        for &c in &self.config.clients {
            out.send(c, Msg::NewLeader { epoch: self.epoch, leader: to });
        }
    }

    pub fn describe(&self) -> Vec<String> {
        alloc::vec![format!("monitor · epoch {}", self.epoch), format!("leader s{}", self.leader + 1)]
    }
}
