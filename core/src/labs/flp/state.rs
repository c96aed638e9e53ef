//! Ben-Or's binary consensus (Ben-Or 1983), as a sans-I/O process, in three variants: the
//! deterministic one FLP says an adversary can keep undecided, the randomized one that
//! terminates with probability 1, and one that waits out a timeout for stragglers, which
//! decides once the network is eventually timely (partial synchrony).
//!
//! Round r, phase 1: broadcast `Report(r, x)`; with n − f reports, propose v if more than
//! half of all processes reported v, else propose "?". Phase 2: broadcast `Propose(r, v|?)`;
//! with n − f proposals, decide v if at least f + 1 propose v; adopt v if any does;
//! otherwise keep x (deterministic) or flip a coin (randomized).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::process::{Ctx, Durable, Message, MsgClass, ObsClass, Observation, Out, Process, TimerName};
use crate::time::Micros;
use crate::trace::NodeId;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    Report { round: u32, value: u8 },
    Propose { round: u32, value: Option<u8> },
}

impl Message for Msg {
    type Brief = Msg;

    fn class(&self) -> MsgClass {
        match self {
            Msg::Report { .. } => MsgClass::Ballot,
            Msg::Propose { .. } => MsgClass::Request,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Msg::Report { .. } => "Report",
            Msg::Propose { .. } => "Propose",
        }
    }

    fn brief(&self) -> Msg {
        self.clone()
    }
}

/// The one-line summary the trace shows for a message.
impl core::fmt::Display for Msg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Msg::Report { round, value } => write!(f, "round {round} value {value}"),
            Msg::Propose { round, value: Some(v) } => write!(f, "round {round} propose {v}"),
            Msg::Propose { round, value: None } => write!(f, "round {round} propose ?"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Deterministic,
    Randomized,
    /// After n − f messages, wait `patience` for the rest before moving on.
    Timeouts {
        patience: Micros,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub peers: Vec<NodeId>,
    pub input: u8,
    pub faults_tolerated: usize,
    pub variant: Variant,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stable;

impl Durable for Stable {
    type Change = ();
    fn apply(&mut self, _change: ()) {}
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    Patience,
}

impl TimerName for Timer {
    fn label(&self) -> &'static str {
        "patience"
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Obs {
    Round { round: u32, x: u8 },
    Decided { value: u8, round: u32 },
}

impl Observation for Obs {
    fn class(&self) -> ObsClass {
        match self {
            Obs::Round { .. } => ObsClass::StateChange,
            Obs::Decided { .. } => ObsClass::ClientResponse,
        }
    }

    fn text(&self, _name: &dyn Fn(NodeId) -> String) -> String {
        match self {
            Obs::Round { round, x } => format!("round {round} with x = {x}"),
            Obs::Decided { value, round } => format!("decided {value} in round {round}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct State {
    config: Config,
    pub x: u8,
    pub round: u32,
    pub phase: u8,
    pub decided: Option<(u8, u32)>,
    /// Values received per (round, phase); `None` is "?".
    pub received: BTreeMap<(u32, u8), Vec<Option<u8>>>,
    /// Timeouts variant: the patience timer is running, or has run out, in this phase.
    armed: bool,
    waited: bool,
}

impl State {
    fn n(&self) -> usize {
        self.config.peers.len() + 1
    }

    fn needed(&self) -> usize {
        self.n() - self.config.faults_tolerated
    }

    fn broadcast(&mut self, msg: Msg, own: Option<u8>, out: &mut Out<Self>) {
        self.received.entry((self.round, self.phase)).or_default().push(own);
        for &peer in &self.config.peers {
            out.send(peer, msg.clone());
        }
    }

    fn start_round(&mut self, out: &mut Out<Self>) {
        // A process that decided helps one more round, then stops.
        if self.decided.is_some_and(|(_, r)| self.round > r + 1) {
            return;
        }
        self.phase = 1;
        self.armed = false;
        self.waited = false;
        out.observe(Obs::Round { round: self.round, x: self.x });
        let (round, x) = (self.round, self.x);
        self.broadcast(Msg::Report { round, value: x }, Some(x), out);
    }

    /// (zeros, ones) received in the current round and phase.
    pub fn counts(&self, round: u32, phase: u8) -> (usize, usize) {
        let values = self.received.get(&(round, phase)).map_or(&[][..], Vec::as_slice);
        (values.iter().filter(|v| **v == Some(0)).count(), values.iter().filter(|v| **v == Some(1)).count())
    }

    fn advance(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        loop {
            let got = self.received.get(&(self.round, self.phase)).map_or(0, Vec::len);
            if got < self.needed() || self.decided.is_some_and(|(_, r)| self.round > r + 1) {
                return;
            }
            if let Variant::Timeouts { patience } = self.config.variant {
                if got < self.n() && !self.waited {
                    if !self.armed {
                        self.armed = true;
                        out.set_timer(Timer::Patience, patience);
                    }
                    return;
                }
            }
            out.cancel_timer(Timer::Patience);
            self.armed = false;
            self.waited = false;
            let (zeros, ones) = self.counts(self.round, self.phase);
            if self.phase == 1 {
                let half = self.n() / 2;
                let proposal = if zeros > half {
                    Some(0)
                } else if ones > half {
                    Some(1)
                } else {
                    None
                };
                self.phase = 2;
                let round = self.round;
                self.broadcast(Msg::Propose { round, value: proposal }, proposal, out);
            } else {
                let f = self.config.faults_tolerated;
                let decide = if zeros > f {
                    Some(0)
                } else if ones > f {
                    Some(1)
                } else {
                    None
                };
                if let (Some(v), None) = (decide, self.decided) {
                    self.decided = Some((v, self.round));
                    out.observe(Obs::Decided { value: v, round: self.round });
                }
                self.x = match (zeros, ones) {
                    (z, o) if z > 0 && z >= o => 0,
                    (_, o) if o > 0 => 1,
                    _ => match self.config.variant {
                        Variant::Randomized => (ctx.entropy & 1) as u8,
                        _ => self.x,
                    },
                };
                self.round += 1;
                self.start_round(out);
            }
        }
    }
}

/// FLP's processes take no commands: the adversary acts through the scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {}

impl Process for State {
    type Command = Command;
    type Msg = Msg;
    type Timer = Timer;
    type Stable = Stable;
    type Obs = Obs;
    type Config = Config;

    fn boot(_me: NodeId, config: &Config, _stable: &Stable) -> Self {
        State {
            config: config.clone(),
            x: config.input,
            round: 1,
            phase: 1,
            decided: None,
            received: BTreeMap::new(),
            armed: false,
            waited: false,
        }
    }

    fn on_start(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        self.start_round(out);
        self.advance(ctx, out);
    }

    fn on_message(&mut self, ctx: &Ctx, _from: NodeId, msg: Msg, out: &mut Out<Self>) {
        let (key, value) = match msg {
            Msg::Report { round, value } => ((round, 1), Some(value)),
            Msg::Propose { round, value } => ((round, 2), value),
        };
        if key >= (self.round, self.phase) {
            self.received.entry(key).or_default().push(value);
        }
        self.advance(ctx, out);
    }

    fn on_timer(&mut self, ctx: &Ctx, _timer: Timer, out: &mut Out<Self>) {
        self.waited = true;
        self.advance(ctx, out);
    }

    fn parse_command(_: &Config, _: &str, _: &dyn Fn(&str) -> Option<NodeId>) -> Result<Command, String> {
        Err("FLP's processes take no commands; deliver messages instead (`deliver #id`)".into())
    }

    fn on_command(&mut self, _: &Ctx, command: Command, _: &mut Out<Self>) {
        match command {}
    }

    fn reconfigure(&mut self, config: &Config) {
        self.config = config.clone();
    }

    fn describe(&self) -> Vec<String> {
        vec![
            format!("x = {} · round {} phase {}", self.x, self.round, self.phase),
            match self.decided {
                Some((v, r)) => format!("decided {v} in round {r}"),
                None => "undecided".into(),
            },
        ]
    }

    /// The round, climbing while the adversary keeps the processes undecided; once decided,
    /// the value decided.
    fn glyph(&self) -> crate::sim::Glyph {
        let mark = match self.decided {
            Some((value, _)) => ("decided value", u64::from(value)),
            None => ("round", u64::from(self.round)),
        };
        crate::sim::Glyph { mark: Some(mark), ..crate::sim::Glyph::default() }
    }
}
