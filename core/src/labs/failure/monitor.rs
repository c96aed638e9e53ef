//! Watched processes and the monitor that judges them, with two failure detectors side by
//! side on the same heartbeat arrivals: a fixed timeout (suspect after T without a
//! heartbeat) and phi accrual (`phi.rs`). Every `check` the monitor asks each detector;
//! beside the two at the knobs' settings it runs one instance per threshold and per timeout
//! of a sweep, so the lab can draw detection time against false suspicions for both
//! detectors from one run under the same jitter, loss and pauses.
//!
//! A watched process heartbeats every `interval`; now and then (on average every
//! `gc_every`) it stalls for `gc`, as a garbage-collection pause does, and sends nothing.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::Msg;
use super::node::{Config, Detector, Obs, State, Timer, PHI_SWEEP, TIMEOUT_SWEEP};
use super::phi::PhiAccrual;
use crate::process::{Ctx, Out};
use crate::time::{Micros, MICROS_PER_MS};
use crate::trace::NodeId;

#[derive(Clone, Debug)]
pub struct Watched {
    pub config: Config,
    seq: u32,
    pauses: u32,
}

impl Watched {
    pub fn new(config: Config) -> Watched {
        Watched { config, seq: 0, pauses: 0 }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        out.set_timer(Timer::Beat, ctx.entropy % self.config.interval.max(1) + 1);
    }

    pub fn on_message(&mut self, _ctx: &Ctx, _from: NodeId, _msg: Msg, _out: &mut Out<State>) {}

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        if timer != Timer::Beat {
            return;
        }
        let interval = self.config.interval.max(1);
        let beats_per_pause = self.config.gc_every / interval;
        if self.config.gc > 0 && beats_per_pause > 0 && ctx.entropy.is_multiple_of(beats_per_pause) {
            self.pauses += 1;
            out.observe(Obs::GcPause { span: self.config.gc });
            out.set_timer(Timer::Beat, self.config.gc.max(1));
            return;
        }
        self.seq += 1;
        out.send(self.config.hub, Msg::Heartbeat { seq: self.seq });
        out.set_timer(Timer::Beat, interval);
    }

    pub fn describe(&self) -> Vec<String> {
        alloc::vec![format!("{} heartbeats · {} pauses", self.seq, self.pauses)]
    }
}

/// What the monitor knows of one process: a phi detector per threshold, the last arrival
/// for the fixed timeouts, and each instance's current verdict.
#[derive(Clone, Debug)]
struct Watch {
    node: NodeId,
    phi: Vec<PhiAccrual>,
    last: Option<Micros>,
    seq: u32,
    /// Suspicion per instance: index 0 is the knobs' setting, then the sweep.
    phi_suspects: Vec<bool>,
    fixed_suspects: Vec<bool>,
}

fn ms(t: Micros) -> f64 {
    t as f64 / MICROS_PER_MS as f64
}

#[derive(Clone, Debug)]
pub struct Monitor {
    pub config: Config,
    watches: Vec<Watch>,
    started: Micros,
}

impl Monitor {
    pub fn new(config: Config) -> Monitor {
        let detector = |threshold| {
            PhiAccrual::new(
                threshold,
                config.max_samples,
                config.min_std_dev_ms,
                config.acceptable_pause_ms,
                ms(config.interval),
            )
        };
        let instances = 1 + PHI_SWEEP.len();
        let watches = config
            .servers
            .iter()
            .map(|&node| Watch {
                node,
                phi: core::iter::once(config.threshold).chain(PHI_SWEEP).map(detector).collect(),
                last: None,
                seq: 0,
                phi_suspects: alloc::vec![false; instances],
                fixed_suspects: alloc::vec![false; 1 + TIMEOUT_SWEEP.len()],
            })
            .collect();
        Monitor { config, watches, started: 0 }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        self.started = ctx.now;
        out.set_timer(Timer::Check, self.config.check.max(1));
    }

    fn timeouts(&self) -> impl Iterator<Item = Micros> + '_ {
        let interval = self.config.interval;
        core::iter::once(self.config.fixed_timeout).chain(TIMEOUT_SWEEP.iter().map(move |t| t * interval / 10))
    }

    /// Asks every detector about every process, and reports each change of verdict.
    fn evaluate(&mut self, now: Micros, out: &mut Out<State>) {
        let timeouts: Vec<Micros> = self.timeouts().collect();
        let threshold = self.config.threshold;
        for w in &mut self.watches {
            w.phi[0].threshold = threshold;
            for (i, d) in w.phi.iter().enumerate() {
                // Before the first heartbeat nothing is suspected: phi is 0 and the clock
                // for the timeout has not started.
                let suspect = w.last.is_some() && !d.is_available(ms(now));
                if suspect != w.phi_suspects[i] {
                    w.phi_suspects[i] = suspect;
                    let (process, instance) = (w.node, i as u8);
                    out.observe(Obs::Verdict { process, detector: Detector::Phi, instance, suspect });
                }
            }
            let since = w.last.unwrap_or(now);
            for (i, &t) in timeouts.iter().enumerate() {
                let suspect = w.last.is_some() && now - since > t;
                if suspect != w.fixed_suspects[i] {
                    w.fixed_suspects[i] = suspect;
                    let (process, instance) = (w.node, i as u8);
                    out.observe(Obs::Verdict { process, detector: Detector::Fixed, instance, suspect });
                }
            }
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        if let Msg::Heartbeat { seq } = msg {
            let Some(w) = self.watches.iter_mut().find(|w| w.node == from) else { return };
            // A duplicated heartbeat is not a second arrival (it would add a zero interval).
            if w.seq == seq {
                return;
            }
            w.seq = seq;
            w.last = Some(ctx.now);
            for d in &mut w.phi {
                d.heartbeat(ms(ctx.now));
            }
            self.evaluate(ctx.now, out);
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        if timer == Timer::Check {
            self.evaluate(ctx.now, out);
            out.set_timer(Timer::Check, self.config.check.max(1));
        }
    }

    /// When the monitor last heard from `node`.
    pub fn last_heard(&self, node: NodeId) -> Option<Micros> {
        self.watches.iter().find(|w| w.node == node).and_then(|w| w.last)
    }

    /// Each process's phi at the knobs' threshold now, its last heartbeat, and whether
    /// each main detector suspects it.
    pub fn readings(&self, now: Micros) -> Vec<(NodeId, f64, Option<Micros>, bool, bool)> {
        self.watches
            .iter()
            .map(|w| (w.node, w.phi[0].phi(ms(now)), w.last, w.phi_suspects[0], w.fixed_suspects[0]))
            .collect()
    }

    pub fn describe(&self) -> Vec<String> {
        let phi = self.watches.iter().filter(|w| w.phi_suspects[0]).count();
        let fixed = self.watches.iter().filter(|w| w.fixed_suspects[0]).count();
        alloc::vec![format!("suspects: {phi} by phi, {fixed} by timeout")]
    }
}
