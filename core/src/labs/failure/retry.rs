//! Retries and idempotency keys (Stripe's `Idempotency-Key`; Brooker, "Exponential Backoff
//! And Jitter", AWS Architecture Blog, 2015).
//!
//! A client charges a customer through a payment server. When the answer does not come in
//! time it cannot tell a lost request from a lost reply, so it retries, after a backoff that
//! doubles with each try (from `backoff`, up to 32 times it) and is spread by jitter: none
//! (clients that failed together retry together: a retry storm), full (uniform in [0,
//! backoff]) or equal (half fixed, half random). A charge is not idempotent: applied twice,
//! the customer pays twice. With idempotency keys the server records each request's key in
//! the same local transaction as the charge and answers a repeat from the record.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::Msg;
use super::node::{Change, Config, Jitter, Obs, Stable, State, Timer};
use crate::process::{Ctx, Out};
use crate::trace::NodeId;

#[derive(Clone, Debug)]
pub struct PaymentServer {
    pub config: Config,
    stable: Stable,
    charged: u64,
}

impl PaymentServer {
    pub fn boot(config: Config, stable: Stable) -> PaymentServer {
        PaymentServer { config, stable, charged: 0 }
    }

    pub fn start(&mut self, _ctx: &Ctx, _out: &mut Out<State>) {}

    pub fn on_message(&mut self, _ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        let Msg::Charge { key, attempt, .. } = msg else { return };
        out.observe(Obs::Received { attempt });
        if self.config.keys && self.stable.keys.contains(&(from, key)) {
            out.observe(Obs::Deduplicated { client: from, key, attempt });
        } else {
            if self.config.keys {
                out.persist_applied(&mut self.stable, Change::Key(from, key));
            }
            self.charged += 1;
            out.observe(Obs::Charged { client: from, key, attempt });
        }
        out.send(from, Msg::Charged { key, ok: true });
    }

    pub fn on_timer(&mut self, _ctx: &Ctx, _timer: Timer, _out: &mut Out<State>) {}

    pub fn describe(&self) -> Vec<String> {
        alloc::vec![format!("{} charges applied", self.charged)]
    }
}

#[derive(Clone, Debug)]
pub struct Payer {
    pub config: Config,
    stable: Stable,
    /// The open request: (key, try).
    open: Option<(u32, u8)>,
    done: u32,
    gave_up: u32,
}

impl Payer {
    pub fn boot(index: u8, config: Config, stable: Stable) -> Payer {
        let _ = index;
        Payer { config, stable, open: None, done: 0, gave_up: 0 }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        out.set_timer(Timer::Next, ctx.entropy % self.config.think.max(1) + 1);
    }

    pub fn request(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if self.open.is_some() || ctx.now >= self.config.stop {
            return;
        }
        let key = self.stable.counter as u32 + 1;
        out.persist_applied(&mut self.stable, Change::Counter(u64::from(key)));
        out.observe(Obs::Submitted { id: key });
        self.send(key, 1, out);
    }

    fn send(&mut self, key: u32, attempt: u8, out: &mut Out<State>) {
        self.open = Some((key, attempt));
        let amount = 10 + (key % 7) as u16 * 5;
        out.send(self.config.hub, Msg::Charge { key, amount, attempt });
        out.observe(Obs::Tried { attempt });
        out.set_timer(Timer::Timeout(key, attempt), self.config.timeout.max(1));
    }

    /// The pause before try `attempt + 1`: exponential, capped, with the chosen jitter.
    fn backoff(&self, ctx: &Ctx, attempt: u8) -> u64 {
        let base = self.config.backoff.max(1) << u32::from(attempt.saturating_sub(1)).min(5);
        match self.config.jitter {
            Jitter::None => base,
            Jitter::Full => ctx.entropy % (base + 1),
            Jitter::Equal => base / 2 + ctx.entropy % (base / 2 + 1),
        }
    }

    fn finish(&mut self, ctx: &Ctx, key: u32, ok: Option<bool>, out: &mut Out<State>) {
        self.open = None;
        match ok {
            Some(_) => self.done += 1,
            None => self.gave_up += 1,
        }
        out.observe(Obs::Finished { id: key, ok });
        let think = self.config.think.max(2);
        out.set_timer(Timer::Next, think / 2 + ctx.entropy % think);
    }

    pub fn on_message(&mut self, ctx: &Ctx, _from: NodeId, msg: Msg, out: &mut Out<State>) {
        if let Msg::Charged { key, ok } = msg {
            if self.open.is_some_and(|o| o.0 == key) {
                self.finish(ctx, key, Some(ok), out);
            }
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Next => self.request(ctx, out),
            Timer::Timeout(key, attempt) if self.open == Some((key, attempt)) => {
                if attempt > self.config.retries {
                    return self.finish(ctx, key, None, out);
                }
                out.set_timer(Timer::Retry(key), self.backoff(ctx, attempt).max(1));
            }
            Timer::Retry(key) => {
                if let Some((open, attempt)) = self.open {
                    if open == key {
                        self.send(key, attempt + 1, out);
                    }
                }
            }
            _ => {}
        }
    }

    pub fn describe(&self) -> Vec<String> {
        alloc::vec![format!("{} charges done · {} given up", self.done, self.gave_up)]
    }
}
