//! The sans-I/O process interface.
//!
//! A protocol is a deterministic state machine. The simulator hands it the current virtual
//! time, who it is, what service discovery currently lists, and a fresh random draw; the
//! protocol answers by writing effects into an [`Out`] buffer. It never reads a clock, owns an
//! RNG, or touches a socket, in the manner of etcd-io/raft, stateright's `Out` and quinn-proto.
//!
//! Crash semantics follow the usual fail-recover model: a crash throws the process value away
//! (volatile state is lost), and a restart calls [`Process::boot`] again with the last value
//! the process asked to [`Out::persist`].

use alloc::string::String;
use alloc::vec::Vec;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::time::Micros;
use crate::trace::NodeId;

/// An entry in the service-discovery registry: a node that has joined and not left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: NodeId,
    pub version: u8,
}

/// What a handler may look at besides its own state.
pub struct Ctx<'a> {
    pub now: Micros,
    pub me: NodeId,
    /// A fresh uniform draw from the simulator's seeded RNG for this handler call.
    pub entropy: u64,
    /// Service discovery: the nodes currently registered, in id order. Crashes are not
    /// visible here, just as a registry cannot tell a dead node from a slow one.
    pub members: &'a [Member],
}

/// What a message is for, in words every lab shares. Renderers colour and explain messages by
/// their class, never by their protocol's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MsgClass {
    /// Asks for work or carries data to apply (a client request, an append, an accept).
    Request,
    /// Answers a request (an ack, a vote granted, a promise).
    Reply,
    /// Elections and ballots (a vote request, a prepare).
    Ballot,
    /// Keeps a role alive (an empty append).
    Heartbeat,
    /// Refuses (a reject, a nack).
    Rejection,
    Other,
}

impl MsgClass {
    pub const ALL: [MsgClass; 6] = [
        MsgClass::Request,
        MsgClass::Reply,
        MsgClass::Ballot,
        MsgClass::Heartbeat,
        MsgClass::Rejection,
        MsgClass::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MsgClass::Request => "request",
            MsgClass::Reply => "reply",
            MsgClass::Ballot => "ballot",
            MsgClass::Heartbeat => "heartbeat",
            MsgClass::Rejection => "rejection",
            MsgClass::Other => "other",
        }
    }
}

/// A message a protocol sends. Its size on the wire is its real postcard encoding.
pub trait Message: Clone + Serialize + DeserializeOwned {
    /// What the trace keeps of a message: its fields in compact typed form (a count instead of
    /// a payload), hashed into the digest when sent and rendered as the one-line summary
    /// (`Display`) only when someone looks at it.
    type Brief: Clone + Serialize + core::fmt::Display;
    /// A short name for the kind of message, e.g. `"AppendEntries"`.
    fn kind(&self) -> &'static str;
    /// What the message is for, for renderers.
    fn class(&self) -> MsgClass;
    fn brief(&self) -> Self::Brief;
    /// The protocol version of the frame format; a receiver running an older version
    /// cannot decode it.
    fn wire_version(&self) -> u8 {
        1
    }
}

/// A timer name. Setting a timer that is already set re-arms it. Hashed: a node may have many
/// armed (a client's retry timer per open request), and the simulator finds one per event.
pub trait TimerName: Clone + Ord + core::hash::Hash {
    fn label(&self) -> &'static str;
}

/// State that survives a crash, written as a log of changes: persisting costs the size of
/// the change, not the size of the state, as with a write-ahead log.
pub trait Durable: Clone + Default {
    type Change: Clone;
    fn apply(&mut self, change: Self::Change);
}

/// One thing a handler asks the world to do.
#[derive(Clone, Debug)]
pub enum Effect<M, T, S, O> {
    Send {
        to: NodeId,
        msg: M,
    },
    SetTimer {
        timer: T,
        after: Micros,
    },
    CancelTimer(T),
    /// Durably records a change to the node's stable state.
    Persist(S),
    /// A lab-level observation for invariants and the trace (requests, responses, state).
    Observe(O),
    Note(String),
}

/// The effects a process of type `P` can produce.
pub type EffectOf<P> = Effect<<P as Process>::Msg, <P as Process>::Timer, StableChange<P>, <P as Process>::Obs>;

/// The effect buffer a handler writes into.
pub struct Out<P: Process> {
    pub(crate) effects: Vec<EffectOf<P>>,
}

impl<P: Process> Default for Out<P> {
    fn default() -> Self {
        Out { effects: Vec::new() }
    }
}

impl<P: Process> Out<P> {
    pub fn send(&mut self, to: NodeId, msg: P::Msg) {
        self.effects.push(Effect::Send { to, msg });
    }
    pub fn set_timer(&mut self, timer: P::Timer, after: Micros) {
        self.effects.push(Effect::SetTimer { timer, after });
    }
    pub fn cancel_timer(&mut self, timer: P::Timer) {
        self.effects.push(Effect::CancelTimer(timer));
    }
    /// Durably records a change; on restart the node boots from every change applied so far.
    pub fn persist(&mut self, change: StableChange<P>) {
        self.effects.push(Effect::Persist(change));
    }
    /// Applies a change to the node's own copy of its stable state, then records it durably,
    /// so the copy in memory and the one on disk never disagree.
    pub fn persist_applied(&mut self, stable: &mut P::Stable, change: StableChange<P>) {
        stable.apply(change.clone());
        self.persist(change);
    }
    pub fn observe(&mut self, observation: P::Obs) {
        self.effects.push(Effect::Observe(observation));
    }
    pub fn note(&mut self, text: String) {
        self.effects.push(Effect::Note(text));
    }
    /// The effects written so far (handy in protocol unit tests).
    pub fn effects(&self) -> &[EffectOf<P>] {
        &self.effects
    }
}

/// The change type of a process's stable state.
pub type StableChange<P> = <<P as Process>::Stable as Durable>::Change;

/// How an observation shows up in the trace.
pub enum ObsClass {
    ClientRequest,
    ClientResponse,
    StateChange,
}

/// A lab-level observation: classified, hashed into the digest, and rendered for the trace
/// only when shown.
pub trait Observation: Clone + Serialize {
    fn class(&self) -> ObsClass;
    /// Renders the observation; `names` resolves node ids.
    fn text(&self, names: &dyn Fn(NodeId) -> String) -> String;
}

/// A protocol node.
pub trait Process: Clone + Sized {
    type Msg: Message;
    type Timer: TimerName;
    /// What survives a crash.
    type Stable: Durable;
    type Obs: Observation;
    /// Per-node configuration; nodes may disagree (many administrators).
    type Config: Clone;
    /// What an operator can tell a node to do.
    type Command: Clone;

    /// Starts the node, fresh (`stable` is the default) or recovering after a crash.
    fn boot(me: NodeId, config: &Self::Config, stable: &Self::Stable) -> Self;
    /// Called once right after boot.
    fn on_start(&mut self, ctx: &Ctx, out: &mut Out<Self>);
    fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Self::Msg, out: &mut Out<Self>);
    fn on_timer(&mut self, ctx: &Ctx, timer: Self::Timer, out: &mut Out<Self>);
    /// Reads an operator's command (`do <node> <text>` in a fault script, or a button in the
    /// UI) for a node with this configuration: the text is only the edge, the protocol gets a
    /// typed [`Process::Command`]. `resolve` turns node names into ids. A bad command gets a
    /// sentence, and the scenario or the action is refused before it runs.
    fn parse_command(
        config: &Self::Config,
        text: &str,
        resolve: &dyn Fn(&str) -> Option<NodeId>,
    ) -> Result<Self::Command, String>;
    /// Carries out an operator's command.
    fn on_command(&mut self, ctx: &Ctx, command: Self::Command, out: &mut Out<Self>);
    /// An operator changed this node's configuration while it runs.
    fn reconfigure(&mut self, config: &Self::Config);
    /// A few short lines describing the node's current state, for the UI.
    fn describe(&self) -> Vec<String>;
    /// Its standing, the one number that matters and a running timer, drawn on the node.
    fn glyph(&self) -> crate::sim::Glyph {
        crate::sim::Glyph::default()
    }
}
