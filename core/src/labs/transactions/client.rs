//! A client: one request at a time (a bank transfer between accounts on two participants,
//! an order, or a write), a pause, the next, until the workload ends. A request not answered
//! in time is given up on: its outcome is unknown to the client.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::{tx_id, Msg, TxId};
use super::node::{Change, Config, Obs, Pattern, Stable, State, Timer};
use crate::process::{Ctx, Out};
use crate::time::Micros;
use crate::trace::NodeId;

#[derive(Clone, Debug)]
pub struct Client {
    pub config: Config,
    index: u8,
    next: u32,
    open: Option<(TxId, Micros)>,
    succeeded: u32,
    failed: u32,
}

impl Client {
    /// A client numbers its requests from where it left off before a crash, so that an id
    /// never means two requests.
    pub fn new(index: u8, config: Config, stable: &Stable) -> Client {
        Client { config, index, next: stable.next.max(1), open: None, succeeded: 0, failed: 0 }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        let think = self.config.think.max(1);
        out.set_timer(Timer::Next, ctx.entropy % think + 1);
        if self.index == 0 && ctx.now < self.config.settle {
            out.set_timer(Timer::Settle, self.config.settle - ctx.now);
        }
    }

    /// Starts a request now, if none is open.
    pub fn request(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if self.open.is_some() {
            return;
        }
        let id = tx_id(self.index, self.next);
        self.next += 1;
        out.persist(Change::Next(self.next));
        let e = ctx.entropy;
        let msg = match self.config.pattern {
            Pattern::TwoPhase | Pattern::ThreePhase => {
                let per = u64::from(self.config.accounts.max(1));
                let parts = self.config.servers.len().max(2) as u64;
                let total = per * parts;
                let from = e % total;
                let shift = 1 + (e >> 16) % (parts - 1);
                let to_part = (from / per + shift) % parts;
                let to = to_part * per + (e >> 32) % per;
                Msg::Begin { tx: id, from: from as u8, to: to as u8, amount: 1 + ((e >> 48) % 20) as u16 }
            }
            Pattern::Saga => Msg::Order { saga: id, amount: 10 + ((e >> 8) % 31) as u16 },
            Pattern::Outbox => Msg::Write { id },
        };
        out.send(self.config.hub, msg);
        out.observe(Obs::Submitted { id });
        out.set_timer(Timer::Timeout(id), self.config.timeout);
        self.open = Some((id, ctx.now));
    }

    fn finish(&mut self, ctx: &Ctx, id: TxId, ok: Option<bool>, out: &mut Out<State>) {
        if self.open.map(|o| o.0) != Some(id) {
            return;
        }
        self.open = None;
        match ok {
            Some(true) => self.succeeded += 1,
            Some(false) => self.failed += 1,
            None => {}
        }
        out.observe(Obs::Finished { id, ok });
        out.cancel_timer(Timer::Timeout(id));
        let think = self.config.think.max(2);
        out.set_timer(Timer::Next, think / 2 + ctx.entropy % think);
    }

    pub fn on_message(&mut self, ctx: &Ctx, _from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Outcome { tx, committed } => self.finish(ctx, tx, Some(committed), out),
            Msg::OrderDone { saga, completed } => self.finish(ctx, saga, Some(completed), out),
            Msg::Written { id, ok } => self.finish(ctx, id, Some(ok), out),
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Next if ctx.now < self.config.stop => self.request(ctx, out),
            Timer::Timeout(id) => self.finish(ctx, id, None, out),
            Timer::Settle => out.observe(Obs::Settled),
            _ => {}
        }
    }

    pub fn describe(&self) -> Vec<String> {
        let mut lines = alloc::vec![format!("{} succeeded · {} failed", self.succeeded, self.failed)];
        if let Some((id, _)) = self.open {
            lines.push(format!("waiting for #{}", id & 0xF_FFFF));
        }
        lines
    }
}
