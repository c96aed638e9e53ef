//! Proposers, acceptors and learners of single-decree Paxos as sans-I/O processes
//! (Lamport, "Paxos Made Simple", 2001, §2.2 and §2.3).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::process::{Ctx, Durable, Message, MsgClass, ObsClass, Observation, Out, Process, TimerName};
use crate::time::Micros;
use crate::trace::NodeId;

/// A ballot: a round number and the proposer that owns it, ordered by round first, so two
/// proposers never use the same ballot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ballot {
    pub round: u32,
    pub proposer: NodeId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    Prepare {
        ballot: Ballot,
    },
    Promise {
        ballot: Ballot,
        accepted: Option<(Ballot, u32)>,
    },
    Accept {
        ballot: Ballot,
        value: u32,
    },
    Accepted {
        ballot: Ballot,
        value: u32,
    },
    /// The acceptor has promised a higher ballot.
    Nack {
        ballot: Ballot,
        promised: Ballot,
    },
}

impl Message for Msg {
    type Brief = Msg;

    fn class(&self) -> MsgClass {
        match self {
            Msg::Prepare { .. } => MsgClass::Ballot,
            Msg::Promise { .. } | Msg::Accepted { .. } => MsgClass::Reply,
            Msg::Accept { .. } => MsgClass::Request,
            Msg::Nack { .. } => MsgClass::Rejection,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Msg::Prepare { .. } => "Prepare",
            Msg::Promise { .. } => "Promise",
            Msg::Accept { .. } => "Accept",
            Msg::Accepted { .. } => "Accepted",
            Msg::Nack { .. } => "Nack",
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
            Msg::Prepare { ballot } => write!(f, "ballot {ballot}"),
            Msg::Promise { ballot, accepted } => write!(f, "ballot {ballot} accepted {accepted:?}"),
            Msg::Accept { ballot, value } | Msg::Accepted { ballot, value } => {
                write!(f, "ballot {ballot} value {value}")
            }
            Msg::Nack { ballot, promised } => write!(f, "ballot {ballot} promised {promised}"),
        }
    }
}

/// A ballot as the trace writes it: `(round, proposer)`.
impl core::fmt::Display for Ballot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "({}, {})", self.round, self.proposer)
    }
}

/// How proposers contend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contention {
    /// Every proposer retries at once with a higher ballot: dueling proposers can livelock.
    Duel,
    /// Retries wait a random backoff that doubles each time.
    Backoff,
    /// Only the distinguished proposer (the first) proposes (§2.4), with a timeout that
    /// doubles until its phases fit in it.
    Leader,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Proposer { index: usize, value: u32 },
    Acceptor,
    Learner,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub kind: Kind,
    pub acceptors: Vec<NodeId>,
    pub learners: Vec<NodeId>,
    pub contention: Contention,
    /// How long a proposer waits for a phase to finish before retrying.
    pub retry: Micros,
    /// When a proposer first proposes.
    pub start: Micros,
}

/// An acceptor's promise and accepted proposal survive crashes (§2.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stable {
    pub promised: Ballot,
    pub accepted: Option<(Ballot, u32)>,
    /// Proposers: the highest round used, so a restart never reuses a ballot.
    pub round: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Promise(Ballot),
    Accept(Ballot, u32),
    Round(u32),
}

impl Durable for Stable {
    type Change = Change;
    fn apply(&mut self, change: Change) {
        match change {
            Change::Promise(b) => self.promised = b,
            Change::Accept(b, v) => {
                self.promised = b;
                self.accepted = Some((b, v));
            }
            Change::Round(r) => self.round = r,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    Propose,
}

impl TimerName for Timer {
    fn label(&self) -> &'static str {
        "propose"
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Obs {
    Proposing { ballot: Ballot },
    Promised { ballot: Ballot },
    AcceptedValue { ballot: Ballot, value: u32 },
    Learned { value: u32, ballot: Ballot },
}

impl Observation for Obs {
    fn class(&self) -> ObsClass {
        match self {
            Obs::Proposing { .. } => ObsClass::ClientRequest,
            Obs::Learned { .. } => ObsClass::ClientResponse,
            _ => ObsClass::StateChange,
        }
    }

    fn text(&self, _name: &dyn Fn(NodeId) -> String) -> String {
        match self {
            Obs::Proposing { ballot } => format!("prepare ballot ({}, {})", ballot.round, ballot.proposer),
            Obs::Promised { ballot } => format!("promised ballot ({}, {})", ballot.round, ballot.proposer),
            Obs::AcceptedValue { ballot, value } => {
                format!("accepted value {value} at ballot ({}, {})", ballot.round, ballot.proposer)
            }
            Obs::Learned { value, ballot } => {
                format!("learned value {value} (chosen at ballot ({}, {}))", ballot.round, ballot.proposer)
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Preparing { promises: BTreeMap<NodeId, Option<(Ballot, u32)>> },
    Accepting { value: u32, accepted: BTreeSet<NodeId> },
    Done,
}

#[derive(Clone, Debug)]
pub struct State {
    me: NodeId,
    config: Config,
    pub stable: Stable,
    phase: Phase,
    ballot: Ballot,
    attempts: u32,
    /// Learner: acceptors' votes per ballot.
    votes: BTreeMap<Ballot, (u32, BTreeSet<NodeId>)>,
    pub learned: Option<u32>,
}

impl State {
    fn majority(&self) -> usize {
        self.config.acceptors.len() / 2 + 1
    }

    /// Phase 1a: a new, higher ballot.
    fn prepare(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        let round = self.stable.round + 1;
        out.persist_applied(&mut self.stable, Change::Round(round));
        self.ballot = Ballot { round, proposer: self.me };
        self.attempts += 1;
        self.phase = Phase::Preparing { promises: BTreeMap::new() };
        out.observe(Obs::Proposing { ballot: self.ballot });
        for &a in &self.config.acceptors {
            out.send(a, Msg::Prepare { ballot: self.ballot });
        }
        self.arm_retry(ctx, out);
    }

    fn arm_retry(&self, ctx: &Ctx, out: &mut Out<Self>) {
        let wait = match self.config.contention {
            Contention::Duel => self.config.retry,
            // Nobody competes with the distinguished proposer, so it only has to outwait the
            // network: its timeout doubles until a round trip fits.
            Contention::Leader => self.config.retry << self.attempts.min(10),
            Contention::Backoff => {
                let cap = self.config.retry << self.attempts.min(6);
                self.config.retry + ctx.entropy % cap.max(1)
            }
        };
        out.set_timer(Timer::Propose, wait);
    }

    fn on_proposer_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        let Kind::Proposer { value: own, .. } = self.config.kind else { return };
        match msg {
            Msg::Promise { ballot, accepted } if ballot == self.ballot => {
                let majority = self.majority();
                let Phase::Preparing { promises } = &mut self.phase else { return };
                promises.insert(from, accepted);
                if promises.len() < majority {
                    return;
                }
                // Phase 2a: the value of the highest-numbered proposal among the promises, or
                // our own if there is none (§2.2).
                let value = promises.values().flatten().max_by_key(|(b, _)| *b).map_or(own, |&(_, v)| v);
                self.phase = Phase::Accepting { value, accepted: BTreeSet::new() };
                for &a in &self.config.acceptors {
                    out.send(a, Msg::Accept { ballot: self.ballot, value });
                }
                // A fresh timeout for phase 2.
                self.arm_retry(ctx, out);
            }
            Msg::Accepted { ballot, .. } if ballot == self.ballot => {
                let majority = self.majority();
                if let Phase::Accepting { accepted, .. } = &mut self.phase {
                    accepted.insert(from);
                    if accepted.len() >= majority {
                        self.phase = Phase::Done;
                        out.cancel_timer(Timer::Propose);
                    }
                }
            }
            Msg::Nack { ballot, promised } if ballot == self.ballot && promised > self.ballot => {
                // Preempted: remember the round and retry (at once when dueling).
                if promised.round > self.stable.round {
                    out.persist_applied(&mut self.stable, Change::Round(promised.round));
                }
                if self.config.contention == Contention::Duel {
                    self.prepare(ctx, out);
                }
            }
            _ => {}
        }
    }

    fn on_acceptor_message(&mut self, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        match msg {
            // Phase 1b: promise never to accept a lower ballot.
            Msg::Prepare { ballot } if ballot > self.stable.promised => {
                out.persist_applied(&mut self.stable, Change::Promise(ballot));
                out.observe(Obs::Promised { ballot });
                out.send(from, Msg::Promise { ballot, accepted: self.stable.accepted });
            }
            // Phase 2b: accept unless a higher ballot was promised.
            Msg::Accept { ballot, value } if ballot >= self.stable.promised => {
                out.persist_applied(&mut self.stable, Change::Accept(ballot, value));
                out.observe(Obs::AcceptedValue { ballot, value });
                out.send(from, Msg::Accepted { ballot, value });
                for &l in &self.config.learners {
                    out.send(l, Msg::Accepted { ballot, value });
                }
            }
            Msg::Prepare { ballot } | Msg::Accept { ballot, .. } => {
                out.send(from, Msg::Nack { ballot, promised: self.stable.promised });
            }
            _ => {}
        }
    }

    fn on_learner_message(&mut self, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        let Msg::Accepted { ballot, value } = msg else { return };
        let majority = self.majority();
        let (v, voters) = self.votes.entry(ballot).or_insert((value, BTreeSet::new()));
        voters.insert(from);
        if voters.len() >= majority && self.learned.is_none() {
            self.learned = Some(*v);
            out.observe(Obs::Learned { value: *v, ballot });
        }
    }
}

/// What an operator can tell a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// A proposer starts a new round with a higher ballot now.
    Propose,
}

impl Process for State {
    type Command = Command;
    type Msg = Msg;
    type Timer = Timer;
    type Stable = Stable;
    type Obs = Obs;
    type Config = Config;

    fn boot(me: NodeId, config: &Config, stable: &Stable) -> Self {
        State {
            me,
            config: config.clone(),
            stable: stable.clone(),
            phase: Phase::Idle,
            ballot: Ballot::default(),
            attempts: 0,
            votes: BTreeMap::new(),
            learned: None,
        }
    }

    fn on_start(&mut self, _ctx: &Ctx, out: &mut Out<Self>) {
        if let Kind::Proposer { index, .. } = self.config.kind {
            if self.config.contention != Contention::Leader || index == 0 {
                out.set_timer(Timer::Propose, self.config.start);
            }
        }
    }

    fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        match self.config.kind {
            Kind::Proposer { .. } => self.on_proposer_message(ctx, from, msg, out),
            Kind::Acceptor => self.on_acceptor_message(from, msg, out),
            Kind::Learner => self.on_learner_message(from, msg, out),
        }
    }

    fn on_timer(&mut self, ctx: &Ctx, _timer: Timer, out: &mut Out<Self>) {
        if self.phase != Phase::Done {
            self.prepare(ctx, out);
        }
    }

    fn parse_command(config: &Config, text: &str, _: &dyn Fn(&str) -> Option<NodeId>) -> Result<Command, String> {
        match (text.trim(), &config.kind) {
            ("propose", Kind::Proposer { .. }) => Ok(Command::Propose),
            (_, Kind::Proposer { .. }) => Err("unknown command (proposers take: propose)".into()),
            _ => Err("only proposers take commands".into()),
        }
    }

    fn on_command(&mut self, ctx: &Ctx, command: Command, out: &mut Out<Self>) {
        match command {
            Command::Propose => self.prepare(ctx, out),
        }
    }

    fn reconfigure(&mut self, config: &Config) {
        self.config = config.clone();
    }

    fn describe(&self) -> Vec<String> {
        match self.config.kind {
            Kind::Proposer { value, .. } => vec![
                format!("proposes {value}"),
                format!("ballot ({}, {}) · {}", self.ballot.round, self.ballot.proposer, self.phase_name()),
            ],
            Kind::Acceptor => vec![
                format!("promised ({}, {})", self.stable.promised.round, self.stable.promised.proposer),
                match self.stable.accepted {
                    Some((b, v)) => format!("accepted {v} at ({}, {})", b.round, b.proposer),
                    None => "accepted nothing".into(),
                },
            ],
            Kind::Learner => vec![match self.learned {
                Some(v) => format!("learned {v}"),
                None => "learned nothing yet".into(),
            }],
        }
    }

    fn glyph(&self) -> crate::sim::Glyph {
        use crate::sim::{Glyph, Standing};
        match self.config.kind {
            Kind::Proposer { .. } => Glyph {
                standing: match self.phase {
                    Phase::Preparing { .. } => Standing::Candidate,
                    // Proposing in phase 2; until a Nack or its timer says otherwise.
                    Phase::Accepting { .. } => Standing::Leader,
                    Phase::Idle | Phase::Done => Standing::Plain,
                },
                mark: Some(("ballot", u64::from(self.ballot.round))),
                timer: None,
            },
            Kind::Acceptor => {
                Glyph { mark: Some(("promised", u64::from(self.stable.promised.round))), ..Glyph::default() }
            }
            Kind::Learner => Glyph { mark: self.learned.map(|v| ("learned", u64::from(v))), ..Glyph::default() },
        }
    }
}

impl State {
    fn phase_name(&self) -> &'static str {
        match self.phase {
            Phase::Idle => "idle",
            Phase::Preparing { .. } => "preparing",
            Phase::Accepting { .. } => "accepting",
            Phase::Done => "done",
        }
    }
}
