//! Sagas (Garcia-Molina & Salem, "Sagas", SIGMOD 1987): a long business transaction as a
//! sequence of local transactions on separate services, each with a compensating
//! transaction that semantically undoes it. The order saga here creates the order, charges
//! the customer, reserves a unit of stock, ships (the pivot: after it the saga only goes
//! forward), confirms the reservation and approves the order. A step that fails by a
//! business rule (no credit, out of stock, an address shipping refuses) makes the saga run
//! the compensations of the steps before it, newest first: release, refund, reject.
//!
//! - **Orchestration**: an orchestrator keeps each saga's progress in its log, sends each
//!   step (resending it until the service answers) and on a failure runs the compensations
//!   in reverse order; after a crash it reads its log and carries on.
//! - **Choreography** (Richardson, *Microservices Patterns*, 2018, ch. 4): no one holds the
//!   saga; each service reacts to the previous one's event and emits its own, resending it
//!   until the next service acknowledges. Where a saga stands is spread over four services.
//!
//! Messages are delivered at least once, so every step and compensation is idempotent: a
//! service records what it did in the same local transaction and answers a repeat from
//! that record. A compensation that arrives for a step that never ran here records that it
//! happened (so the step, should it arrive late, is refused) and undoes nothing. The teaching
//! variants switch each of these off.
//!
//! Sagas give no isolation: another saga can see a reservation that is later released.
//! Inventory counts a refusal made while units were held by unfinished sagas, and reports
//! it when one of those units is released. The semantic lock countermeasure (Garcia-Molina
//! & Salem; Richardson) marks a reservation pending until its saga confirms it, and makes a
//! saga that finds only pending units wait for them to be decided instead of failing.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::{client_of, Msg, TxId, COMPENSABLE, STEPS};
use super::node::{Change, Config, Obs, Service, Stable, State, Timer};
use crate::process::{Ctx, Out};
use crate::time::Micros;
use crate::trace::NodeId;

/// The step number an orchestrator's "saga ended" record uses.
const END: u8 = u8::MAX;
const LAST: u8 = STEPS.len() as u8 - 1;

/// The compensation to run first after step `failed` failed: the newest step before it with
/// a compensation (or, blind, the failed step itself).
fn first_compensation(failed: u8, blind: bool) -> Option<u8> {
    let top = failed.min(COMPENSABLE) + u8::from(blind && failed < COMPENSABLE);
    top.checked_sub(1)
}

#[derive(Clone, Debug)]
pub struct Orchestrator {
    pub config: Config,
    stable: Stable,
    sent: Vec<(TxId, Micros)>,
    completed: u32,
    compensated: u32,
}

impl Orchestrator {
    pub fn boot(config: Config, stable: Stable) -> Orchestrator {
        Orchestrator { config, stable, sent: Vec::new(), completed: 0, compensated: 0 }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        for rec in self.stable.sagas.clone() {
            self.send(ctx, rec.saga, out);
        }
        out.set_timer(Timer::Resend, self.config.retry.max(1));
    }

    fn send(&mut self, ctx: &Ctx, saga: TxId, out: &mut Out<State>) {
        let Some(rec) = self.stable.sagas.iter().find(|s| s.saga == saga) else { return };
        let to = self.config.service(Service::of_step(rec.step));
        let msg = Msg::Step { saga, step: rec.step, compensate: rec.compensating, amount: rec.amount };
        out.send(to, msg);
        match self.sent.iter_mut().find(|s| s.0 == saga) {
            Some(s) => s.1 = ctx.now,
            None => self.sent.push((saga, ctx.now)),
        }
    }

    fn advance(&mut self, ctx: &Ctx, saga: TxId, step: u8, compensating: bool, out: &mut Out<State>) {
        let Some(mut rec) = self.stable.sagas.iter().find(|s| s.saga == saga).copied() else { return };
        (rec.step, rec.compensating) = (step, compensating);
        out.persist_applied(&mut self.stable, Change::Saga(rec));
        self.send(ctx, saga, out);
    }

    fn end(&mut self, saga: TxId, completed: bool, out: &mut Out<State>) {
        out.persist_applied(&mut self.stable, Change::SagaEnd(saga));
        let ended = Change::Did { saga, step: END, compensate: false, ok: completed };
        out.persist_applied(&mut self.stable, ended);
        self.sent.retain(|s| s.0 != saga);
        out.observe(Obs::SagaEnded { saga, completed });
        if let Some(&client) = self.config.clients.get(usize::from(client_of(saga))) {
            out.send(client, Msg::OrderDone { saga, completed });
        }
        if completed {
            self.completed += 1;
        } else {
            self.compensated += 1;
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, _from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Order { saga, amount } => {
                let known = self.stable.sagas.iter().any(|s| s.saga == saga);
                if known || self.stable.did(saga, END, false).is_some() {
                    return;
                }
                let rec = super::node::SagaRec { saga, amount, step: 0, compensating: false };
                out.persist_applied(&mut self.stable, Change::Saga(rec));
                self.send(ctx, saga, out);
            }
            Msg::StepDone { saga, step, compensate, ok } => {
                let Some(rec) = self.stable.sagas.iter().find(|s| s.saga == saga).copied() else { return };
                if (rec.step, rec.compensating) != (step, compensate) {
                    return;
                }
                match (compensate, ok) {
                    (false, true) if step == LAST => self.end(saga, true, out),
                    (false, true) => self.advance(ctx, saga, step + 1, false, out),
                    (false, false) => match first_compensation(step, self.config.blind) {
                        Some(c) => self.advance(ctx, saga, c, true, out),
                        None => self.end(saga, false, out),
                    },
                    (true, _) if step == 0 => self.end(saga, false, out),
                    (true, _) => self.advance(ctx, saga, step - 1, true, out),
                }
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        if timer != Timer::Resend {
            return;
        }
        let retry = self.config.retry.max(1);
        let due: Vec<TxId> = self.sent.iter().filter(|s| ctx.now >= s.1 + retry).map(|s| s.0).collect();
        for saga in due {
            self.send(ctx, saga, out);
        }
        out.set_timer(Timer::Resend, retry);
    }

    /// Sagas under way: (saga, step, compensating).
    pub fn running(&self) -> Vec<(TxId, u8, bool)> {
        self.stable.sagas.iter().map(|s| (s.saga, s.step, s.compensating)).collect()
    }

    pub fn describe(&self) -> Vec<String> {
        alloc::vec![
            format!("{} completed · {} compensated", self.completed, self.compensated),
            format!("{} under way", self.stable.sagas.len()),
        ]
    }
}

/// Refusals remembered to see whether they read an intermediate state.
const REFUSALS_KEPT: usize = 64;

#[derive(Clone, Debug)]
pub struct SagaService {
    pub config: Config,
    service: Service,
    stable: Stable,
    /// When each event this service emitted (choreography) was last sent.
    sent: Vec<Micros>,
    /// Reservations waiting on pending units (semantic lock): (saga, asked by, amount).
    deferred: Vec<(TxId, NodeId, u16)>,
    refused: Vec<(TxId, Vec<TxId>)>,
}

impl SagaService {
    pub fn boot(service: Service, config: Config, stable: Stable) -> SagaService {
        let sent = alloc::vec![0; stable.events.len()];
        SagaService { config, service, stable, sent, deferred: Vec::new(), refused: Vec::new() }
    }

    pub fn start(&mut self, _ctx: &Ctx, out: &mut Out<State>) {
        if !self.stable.initialised {
            let balances = alloc::vec![self.config.credit; self.config.clients.len()];
            out.persist_applied(&mut self.stable, Change::Init { balances, stock: self.config.stock });
        }
        if self.config.choreography {
            out.set_timer(Timer::Resend, self.config.retry.max(1));
        }
        if self.service == Service::Inventory && self.config.restock > 0 {
            out.set_timer(Timer::Poll, self.config.restock);
        }
    }

    /// Runs a step's or compensation's local transaction: whether it succeeded and whether
    /// it changed anything; `None` if it must wait (semantic lock).
    fn execute(
        &mut self,
        ctx: &Ctx,
        saga: TxId,
        step: u8,
        compensate: bool,
        amount: u16,
        out: &mut Out<State>,
    ) -> Option<(bool, bool)> {
        let customer = client_of(saga);
        let balance = self.stable.balances.get(usize::from(customer)).copied().unwrap_or(0);
        let amount = i64::from(amount);
        let mut pending = self.stable.pending.clone();
        let stock = self.stable.stock;
        let change = match (step, compensate) {
            (1, false) if balance >= amount => Change::Balance { customer, value: balance - amount },
            (1, false) => return Some((false, false)),
            (2, false) if stock > 0 => {
                pending.push(saga);
                Change::Stock { stock: stock - 1, pending }
            }
            (2, false) if self.config.semantic_lock && !pending.is_empty() => return None,
            (2, false) => {
                out.observe(Obs::Refused { saga, pending: pending.len().min(255) as u8 });
                if !pending.is_empty() {
                    if self.refused.len() == REFUSALS_KEPT {
                        self.refused.remove(0);
                    }
                    self.refused.push((saga, pending));
                }
                return Some((false, false));
            }
            (3, false) => {
                let ok = ctx.entropy % 100 >= u64::from(self.config.ship_fail);
                return Some((ok, ok));
            }
            (4, false) => {
                pending.retain(|&s| s != saga);
                Change::Stock { stock, pending }
            }
            (1, true) => Change::Balance { customer, value: balance + amount },
            (2, true) => {
                pending.retain(|&s| s != saga);
                Change::Stock { stock: stock + 1, pending }
            }
            _ => return Some((true, true)),
        };
        out.persist_applied(&mut self.stable, change);
        Some((true, true))
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        ctx: &Ctx,
        from: NodeId,
        saga: TxId,
        step: u8,
        compensate: bool,
        amount: u16,
        out: &mut Out<State>,
    ) {
        if Service::of_step(step) != self.service || step > LAST || (compensate && step >= COMPENSABLE) {
            return;
        }
        let ran_here = self.stable.did(saga, step, false) == Some(true);
        if self.config.idempotent {
            if let Some(ok) = self.stable.did(saga, step, compensate) {
                let step_ran = !compensate || ran_here;
                out.observe(Obs::StepRan { saga, step, compensate, ok, effect: false, step_ran });
                out.send(from, Msg::StepDone { saga, step, compensate, ok });
                return;
            }
        }
        if self.deferred.iter().any(|d| d.0 == saga) {
            return;
        }
        // A step arriving after its compensation (the tombstone) is refused.
        if !compensate && !self.config.blind && self.stable.did(saga, step, true).is_some() {
            out.persist_applied(&mut self.stable, Change::Did { saga, step, compensate, ok: false });
            out.observe(Obs::StepRan { saga, step, compensate, ok: false, effect: false, step_ran: true });
            out.send(from, Msg::StepDone { saga, step, compensate, ok: false });
            return;
        }
        let step_ran = !compensate || ran_here;
        let (ok, effect) = if step_ran || self.config.blind {
            match self.execute(ctx, saga, step, compensate, amount, out) {
                Some(result) => result,
                None => {
                    self.deferred.push((saga, from, amount));
                    out.observe(Obs::Deferred { saga });
                    return;
                }
            }
        } else {
            (true, false)
        };
        out.persist_applied(&mut self.stable, Change::Did { saga, step, compensate, ok });
        out.observe(Obs::StepRan { saga, step, compensate, ok, effect, step_ran });
        if compensate && step == 2 && effect {
            let (dirty, kept): (Vec<_>, Vec<_>) = self.refused.drain(..).partition(|r| r.1.contains(&saga));
            self.refused = kept;
            for (refused, _) in dirty {
                out.observe(Obs::DirtyRefusal { saga: refused, by: saga });
            }
        }
        if from != NodeId::MAX {
            out.send(from, Msg::StepDone { saga, step, compensate, ok });
        }
        if self.config.choreography {
            self.follow(ctx, saga, step, compensate, ok, amount, out);
        }
        if step == 2 || step == 4 {
            self.serve_deferred(ctx, out);
        }
    }

    /// Semantic lock: reservations waiting on pending units go ahead once a unit is free,
    /// or fail once nothing is pending.
    fn serve_deferred(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        while !self.deferred.is_empty() && (self.stable.stock > 0 || self.stable.pending.is_empty()) {
            let (saga, from, amount) = self.deferred.remove(0);
            self.step(ctx, from, saga, 2, false, amount, out);
        }
    }

    /// Choreography: the event this step's outcome sends to the next service.
    #[allow(clippy::too_many_arguments)]
    fn follow(
        &mut self,
        ctx: &Ctx,
        saga: TxId,
        step: u8,
        compensate: bool,
        ok: bool,
        amount: u16,
        out: &mut Out<State>,
    ) {
        let blind = self.config.blind;
        match (compensate, ok) {
            (false, true) if step == LAST => self.end(saga, true, out),
            (false, true) => self.emit(ctx, saga, step + 1, false, amount, out),
            (false, false) if blind => {
                for c in 0..COMPENSABLE {
                    self.emit(ctx, saga, c, true, amount, out);
                }
            }
            (false, false) => match first_compensation(step, false) {
                Some(c) => self.emit(ctx, saga, c, true, amount, out),
                None => self.end(saga, false, out),
            },
            (true, _) if step == 0 => self.end(saga, false, out),
            (true, _) if !blind => self.emit(ctx, saga, step - 1, true, amount, out),
            (true, _) => {}
        }
    }

    fn end(&mut self, saga: TxId, completed: bool, out: &mut Out<State>) {
        out.observe(Obs::SagaEnded { saga, completed });
        if let Some(&client) = self.config.clients.get(usize::from(client_of(saga))) {
            out.send(client, Msg::OrderDone { saga, completed });
        }
    }

    /// Sends an event, kept in this service's log (in the step's local transaction) until
    /// the next service acknowledges it, so a crash does not lose it.
    fn emit(&mut self, ctx: &Ctx, saga: TxId, step: u8, compensate: bool, amount: u16, out: &mut Out<State>) {
        let to = self.config.service(Service::of_step(step));
        let msg = Msg::Step { saga, step, compensate, amount };
        out.persist_applied(&mut self.stable, Change::Emit(to, msg));
        self.sent.push(ctx.now);
        out.send(to, msg);
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Order { saga, amount }
                if self.service == Service::Orders && self.stable.did(saga, 0, false).is_none() =>
            {
                self.step(ctx, NodeId::MAX, saga, 0, false, amount, out);
            }
            Msg::Step { saga, step, compensate, amount } => self.step(ctx, from, saga, step, compensate, amount, out),
            Msg::StepDone { saga, step, compensate, .. } => {
                let acked = |e: &(NodeId, Msg)| {
                    e.0 == from
                        && matches!(e.1, Msg::Step { saga: s, step: t, compensate: c, .. } if (s, t, c) == (saga, step, compensate))
                };
                if let Some(i) = self.stable.events.iter().position(acked) {
                    out.persist_applied(&mut self.stable, Change::Delivered(i as u32));
                    self.sent.remove(i);
                }
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        if timer == Timer::Poll && self.config.restock > 0 {
            let change = Change::Stock { stock: self.stable.stock + 1, pending: self.stable.pending.clone() };
            out.persist_applied(&mut self.stable, change);
            self.serve_deferred(ctx, out);
            out.set_timer(Timer::Poll, self.config.restock);
            return;
        }
        if timer != Timer::Resend {
            return;
        }
        let retry = self.config.retry.max(1);
        for (i, &(to, msg)) in self.stable.events.iter().enumerate() {
            if ctx.now >= self.sent[i] + retry {
                out.send(to, msg);
                self.sent[i] = ctx.now;
            }
        }
        out.set_timer(Timer::Resend, retry);
    }

    pub fn is_inventory(&self) -> bool {
        self.service == Service::Inventory
    }

    /// The service's state for the view: stock and units pending, or the customers' credit.
    pub fn books(&self) -> (i64, usize, i64) {
        (self.stable.stock, self.stable.pending.len(), self.stable.balances.iter().sum())
    }

    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match self.service {
            Service::Payments => lines.push(format!("customers' credit {}", self.stable.balances.iter().sum::<i64>())),
            Service::Inventory => {
                lines.push(format!("stock {} · {} pending", self.stable.stock, self.stable.pending.len()));
                if !self.deferred.is_empty() {
                    lines.push(format!("{} waiting (semantic lock)", self.deferred.len()));
                }
            }
            _ => {}
        }
        if !self.stable.events.is_empty() {
            lines.push(format!("{} events unacknowledged", self.stable.events.len()));
        }
        lines
    }
}
