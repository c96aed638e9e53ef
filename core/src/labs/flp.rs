//! # The FLP lab: an adversary that keeps consensus undecided
//!
//! Fischer, Lynch and Paterson (1985) proved that no deterministic protocol solves consensus
//! in an asynchronous system if even one process may crash: an adversary that controls the
//! order and timing of message delivery can always keep the system bivalent. Here the
//! simulator's manual scheduler holds every message in flight; the adversary (you, or an
//! automatic one that reads every process's state) picks which to deliver next.
//!
//! The protocol is Ben-Or's (1983) binary consensus. Its deterministic variant can be kept
//! undecided forever by delivering to each process a balanced mix of values. Randomization
//! (Ben-Or's coin) ends the game with probability 1, and so do timeouts once the network
//! becomes timely after a global stabilization time (partial synchrony, Dwork, Lynch and
//! Stockmeyer 1988): every process then hears everyone before it moves on.

mod state;

pub use state::{Msg, State, Variant};

use alloc::format;
use alloc::vec::Vec;

use crate::invariant::Verdict;
use crate::lab::{int_param as int, Counter, Driver, Lab, Metrics, ParamGroup, ParamKind, ParamSpec, Params};
use crate::network::NetParams;
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{NodeRole, NodeSetup, Sim};
use crate::time::{Micros, MICROS_PER_MS};
use crate::trace::{MsgId, NodeId};
use state::{Config, Obs};

pub static PARAMS: &[ParamSpec] = &[
    int(
        "processes",
        "Processes",
        (3, 7, "nodes"),
        "3",
        "How many processes; up to a minority may crash.",
        false,
        false,
    )
    .in_group(ParamGroup::Cluster),
    ParamSpec {
        key: "inputs",
        label: "Inputs",
        kind: ParamKind::Choice(&["mixed", "all-0", "all-1"]),
        default: "mixed",
        help: "Initial values: alternating 0 and 1, or all the same.",
        per_node: false,
        live: false,
        when: None,
        group: ParamGroup::Workload,
    },
    ParamSpec {
        key: "variant",
        label: "Protocol",
        kind: ParamKind::Choice(&["deterministic", "randomized", "timeouts"]),
        default: "deterministic",
        help: "Ben-Or without a coin, with a coin, or waiting out a timeout for stragglers.",
        per_node: false,
        live: false,
        when: None,
        group: ParamGroup::Protocol,
    },
    ParamSpec {
        key: "adversary",
        label: "Scheduler",
        kind: ParamKind::Choice(&["auto", "manual", "network"]),
        default: "auto",
        help: "auto: an adversary picks each delivery; manual: you do; network: delivery by latency.",
        per_node: false,
        live: true,
        when: None,
        group: ParamGroup::Faults,
    },
    int(
        "pace_ms",
        "Adversary pace",
        (1, 1_000, "ms"),
        "5",
        "The automatic adversary delivers one message this often.",
        false,
        true,
    )
    .in_group(ParamGroup::Network),
    int(
        "gst_ms",
        "Stabilization time",
        (0, 600_000, "ms"),
        "3000",
        "After this, every message arrives within half the patience (partial synchrony); 0 never.",
        false,
        true,
    )
    .in_group(ParamGroup::Network),
    int(
        "patience_ms",
        "Patience",
        (1, 10_000, "ms"),
        "20",
        "Timeouts variant: how long to wait for stragglers after n − f messages.",
        false,
        false,
    ),
];

/// The score of a delivery the adversary refuses to make.
const STALL: i64 = -1_000;

/// The knobs the adversary reads on every step, read once from the parameters (and again
/// when a live `set` changes them), not parsed per step.
#[derive(Clone, Copy)]
struct Knobs {
    pace: Micros,
    /// Global stabilization time, if any.
    gst: Option<Micros>,
    /// Half the patience: how long after stabilization a held message may wait.
    half_patience: Micros,
    /// The automatic adversary picks deliveries.
    auto: bool,
}

impl Knobs {
    fn read(params: &Params) -> Knobs {
        Knobs {
            pace: params.int("pace_ms") as Micros * MICROS_PER_MS,
            gst: match params.int("gst_ms") {
                0 => None,
                ms => Some(ms as Micros * MICROS_PER_MS),
            },
            half_patience: params.int("patience_ms") as Micros * MICROS_PER_MS / 2,
            auto: params.choice("adversary") == "auto",
        }
    }
}

/// Held messages the automatic adversary weighs per pick, oldest first.
const LOOKAHEAD: usize = 512;

#[derive(Clone)]
pub struct FlpLab {
    driver: Driver<State>,
    params: Params,
    knobs: Knobs,
    verdicts: Vec<Verdict>,
    inputs: Vec<u8>,
    decided: Vec<Option<u8>>,
    next_pick: Micros,
}

impl FlpLab {
    pub fn start(scenario: &Scenario) -> Result<FlpLab, ScenarioError> {
        scenario.check_limits()?;
        let params = Params::resolve(PARAMS, &scenario.params).map_err(ScenarioError::Param)?;
        let n = params.int("processes") as NodeId;
        let patience = params.int("patience_ms") as Micros * MICROS_PER_MS;
        let variant = match params.choice("variant") {
            "randomized" => Variant::Randomized,
            "timeouts" => Variant::Timeouts { patience },
            _ => Variant::Deterministic,
        };
        let inputs: Vec<u8> = (0..n)
            .map(|i| match params.choice("inputs") {
                "all-0" => 0,
                "all-1" => 1,
                _ => (i % 2) as u8,
            })
            .collect();
        let setups = (0..n)
            .map(|i| NodeSetup {
                name: format!("p{}", i + 1),
                role: NodeRole::Process,
                config: Config {
                    peers: (0..n).filter(|&p| p != i).collect(),
                    input: inputs[usize::from(i)],
                    faults_tolerated: (usize::from(n) - 1) / 2,
                    variant,
                },
                region: 0,
                version: 1,
                cpu_cost: 0,
                present: true,
            })
            .collect();
        let mut sim = Sim::new(scenario.seed, NetParams::default(), setups);
        sim.set_manual(params.choice("adversary") != "network");
        let mut driver = Driver::with_script(sim, &scenario.faults, &params)?;
        driver.sim.take_observed();
        let verdicts = alloc::vec![
            Verdict::new("agreement", "No two processes decide differently."),
            Verdict::new("validity", "A decided value is some process's input."),
        ];
        let knobs = Knobs::read(&params);
        let decided = alloc::vec![None; usize::from(n)];
        Ok(FlpLab { driver, params, knobs, verdicts, decided, inputs, next_pick: knobs.pace })
    }

    /// After stabilization, when the oldest held message must be delivered.
    fn forced(&self) -> Option<(Micros, MsgId)> {
        let gst = self.knobs.gst?;
        // The oldest held message is the first by id: FLP's processes send as they handle
        // (no CPU cost), so ids follow send times. One look, not a scan of every held message.
        let (msg, _, sent_at) = self.driver.sim.held_brief().next()?;
        Some(((sent_at + self.knobs.half_patience).max(gst), msg))
    }

    fn auto_pick_time(&self) -> Option<Micros> {
        (self.knobs.auto && self.driver.sim.held_count() > 0).then(|| self.next_pick.max(self.driver.sim.now()))
    }

    /// The automatic adversary: deliver whatever keeps every receiver's view balanced, so
    /// that no process sees a majority and no one can decide.
    fn pick(&self) -> Option<MsgId> {
        let sim = &self.driver.sim;
        let n = self.decided.len();
        let score = |id: MsgId, to: NodeId| -> i64 {
            let (Some(p), Some(msg)) = (sim.process(to), sim.held_message(id)) else { return 0 };
            let (round, phase) = match *msg {
                Msg::Report { round, .. } => (round, 1),
                Msg::Propose { round, .. } => (round, 2),
            };
            let heard = p.received.get(&(round, phase)).map_or(0, Vec::len);
            if (round, phase) == (p.round, p.phase) && heard + 1 == n {
                // It would complete the receiver's view: stall it as long as we may.
                return STALL;
            }
            match *msg {
                Msg::Report { round, value } if (round, 1) == (p.round, p.phase) => {
                    let (zeros, ones) = p.counts(round, 1);
                    if value == 0 {
                        ones as i64 - zeros as i64
                    } else {
                        zeros as i64 - ones as i64
                    }
                }
                Msg::Propose { round, value: Some(_) } if round >= p.round => -10,
                Msg::Report { round, .. } | Msg::Propose { round, .. } if round < p.round => 100,
                Msg::Propose { value: None, .. } => 50,
                _ => -1,
            }
        };
        // The adversary weighs the oldest held messages, at most `LOOKAHEAD` of them, so its
        // work per pick stays bounded however many messages pile up.
        let best = sim.held_brief().take(LOOKAHEAD).map(|(id, to, _)| (score(id, to), core::cmp::Reverse(id))).max()?;
        // Delivering nothing is allowed: asynchrony bounds no delay, as long as every
        // message arrives eventually (it does, once it is stale or the network stabilizes).
        (best.0 > STALL).then_some(best.1 .0)
    }

    fn collect(&mut self) {
        let mut observations = self.driver.sim.take_observed();
        for o in observations.drain(..) {
            let Obs::Decided { value, .. } = o.observation else { continue };
            let index = usize::from(o.node);
            if let Some(slot) = self.decided.get_mut(index) {
                *slot = Some(value);
            }
            let names = &self.driver.names;
            let mut violation = None;
            if let Some((other, v)) =
                self.decided.iter().enumerate().find_map(|(i, d)| d.filter(|&v| v != value).map(|v| (i, v)))
            {
                violation = Some((0, format!("{} decided {value} but {} decided {v}", names[index], names[other])));
            } else if !self.inputs.contains(&value) {
                violation = Some((1, format!("{} decided {value}, which was nobody's input", names[index])));
            }
            if let Some((which, detail)) = violation {
                if let Some(event) = self.verdicts[which].violation_event(o.at, o.seq, detail) {
                    self.driver.sim.trace_mut().record(o.at, event);
                }
            }
        }
        self.driver.sim.recycle_observed(observations);
    }

    /// Reapplies the live knobs in `self.params` to the running nodes and network.
    fn set_live(&mut self) {
        let manual = self.params.choice("adversary") != "network";
        self.driver.sim.set_manual(manual);
        self.knobs = Knobs::read(&self.params);
    }
}

impl Lab for FlpLab {
    crate::lab::lab_plumbing!(State, "flp");

    fn verdicts(&self) -> &[Verdict] {
        &self.verdicts
    }

    fn metrics(&self) -> Metrics {
        let sim = &self.driver.sim;
        let rounds = (0..self.decided.len() as NodeId)
            .filter_map(|id| sim.process(id))
            .map(|p| u64::from(p.round))
            .max()
            .unwrap_or(0);
        let count = |name, value| Counter { name, value, unit: "" };
        Metrics {
            counters: alloc::vec![
                count("decided processes", self.decided.iter().flatten().count() as u64),
                count("highest round", rounds),
                count("messages held", sim.held_count() as u64),
                count("sent", sim.stats().sent),
                count("delivered", sim.stats().delivered),
            ],
            histograms: Vec::new(),
            series: alloc::vec![sim.stats().delivered_per_second.clone()],
            drops: Vec::new(),
        }
    }
    fn own_next_time(&self) -> Option<Micros> {
        [self.forced().map(|f| f.0), self.auto_pick_time()].into_iter().flatten().min()
    }

    fn own_step(&mut self, next: Option<Micros>) -> bool {
        // Whichever comes first: a simulator event, a forced delivery after stabilization, or
        // the adversary's next pick (on a tie, in that order).
        let forced = self.forced();
        let pick = self.auto_pick_time();
        let before = |t: Micros, other: Option<Micros>| other.is_none_or(|o| t < o);
        if let Some((at, msg)) =
            forced.filter(|&(at, _)| before(at, next.map(|n| n + 1)) && before(at, pick.map(|p| p + 1)))
        {
            self.driver.sim.advance_clock(at);
            self.driver.sim.release(msg);
            return true;
        }
        if let Some(at) = pick.filter(|&at| before(at, next.map(|n| n + 1))) {
            self.driver.sim.advance_clock(at);
            if let Some(msg) = self.pick() {
                self.driver.sim.release(msg);
            }
            self.next_pick = at + self.knobs.pace;
            return true;
        }
        false
    }
}

/// The lab's catalogue entry.
pub const INFO: crate::lab::LabInfo = crate::lab::LabInfo {
    name: "flp",
    title: "Consensus: the FLP adversary",
    summary: "Ben-Or's binary consensus with every message held by the scheduler: an \
              automatic adversary, or you, picks each delivery and keeps the deterministic \
              protocol undecided; a coin or timeouts after stabilization end the game.",
    listed: false,
    params: PARAMS,
    presets: &[],
    parts: &[],
    variants: &[],
    start: Some(|scenario| Ok(alloc::boxed::Box::new(FlpLab::start(scenario)?))),
};
