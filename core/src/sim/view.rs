//! A read-only snapshot of the simulation for renderers: nodes, links and frames in flight.

use alloc::string::String;
use alloc::vec::Vec;

use super::{NodeStatus, Sim};
use crate::process::Process;
use crate::time::Micros;
use crate::trace::{MsgId, NodeId};

/// What will become of a frame in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlightFate {
    Arrives,
    /// Lost on the wire; it vanishes at its `arrives` time, midway.
    Lost,
    /// A network duplicate of another frame.
    Duplicate,
    /// Changed by the attacker.
    Tampered,
    /// Injected again by the attacker.
    Replayed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlightView {
    pub msg: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    pub kind: &'static str,
    pub class: crate::process::MsgClass,
    pub bytes: u32,
    pub sent_at: Micros,
    /// When its last bit leaves the sender (after any queueing on the link).
    pub departs: Micros,
    pub arrives: Micros,
    pub fate: FlightFate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub id: NodeId,
    pub name: String,
    pub role: super::NodeRole,
    pub region: u8,
    pub version: u8,
    pub status: NodeStatus,
    pub cpu_busy: Micros,
    pub detail: Vec<String>,
    pub glyph: Glyph,
}

/// What the canvas draws on a node besides its role and status: its standing in the protocol,
/// the one number that matters there, and a timer running down (RaftScope's idea).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Glyph {
    pub standing: Standing,
    /// The number drawn on the node and what it counts ("term", "ballot", "epoch").
    pub mark: Option<(&'static str, u64)>,
    /// A timer running: when it was set and when it fires.
    pub timer: Option<(Micros, Micros)>,
}

/// A node's standing among its peers, drawn as its outline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Standing {
    /// No standing to show.
    #[default]
    Plain,
    Leader,
    /// Asking for votes or promises.
    Candidate,
    Follower,
}

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::Plain => "",
            Standing::Leader => "leader",
            Standing::Candidate => "candidate",
            Standing::Follower => "follower",
        }
    }

    /// What the standing means in words every lab shares (a Paxos proposer is no
    /// "candidate", but it does ask for promises).
    pub fn words(self) -> &'static str {
        match self {
            Standing::Plain => "",
            Standing::Leader => "leading",
            Standing::Candidate => "asking for votes or promises",
            Standing::Follower => "following",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkView {
    pub from: NodeId,
    pub to: NodeId,
    pub cut: bool,
    pub partitioned: bool,
    pub slow_factor: u32,
    /// Frames waiting for the transmitter.
    pub queued: u32,
    /// How long the transmitter stays busy from now.
    pub backlog: Micros,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimView {
    pub now: Micros,
    pub nodes: Vec<NodeView>,
    /// Directed links that are not in their default state.
    pub links: Vec<LinkView>,
    pub flights: Vec<FlightView>,
}

impl<P: Process> Sim<P> {
    pub fn view(&self) -> SimView {
        let now = self.now;
        let nodes = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, slot)| NodeView {
                id: i as NodeId,
                name: slot.name.clone(),
                role: slot.role,
                region: self.network.region_of.get(i).copied().unwrap_or(0),
                version: slot.version,
                status: slot.status,
                cpu_busy: self.stats.cpu_busy.get(i).copied().unwrap_or(0),
                detail: slot.process.as_ref().map(P::describe).unwrap_or_default(),
                glyph: slot.process.as_ref().map(P::glyph).unwrap_or_default(),
            })
            .collect();
        let mut flights: Vec<FlightView> = self
            .flights
            .iter()
            .map(|(&msg, f)| FlightView {
                msg,
                from: f.from,
                to: f.to,
                kind: f.kind,
                class: f.class,
                bytes: f.bytes,
                sent_at: f.sent_at,
                departs: f.departs,
                arrives: f.arrives,
                fate: f.fate,
            })
            .collect();
        in_order_sent(&mut flights);
        let mut waiting = alloc::collections::BTreeMap::new();
        for f in flights.iter().filter(|f| f.departs > now) {
            *waiting.entry((f.from, f.to)).or_insert(0u32) += 1;
        }
        let count = self.slots.len() as NodeId;
        let mut links = Vec::new();
        for from in 0..count {
            for to in 0..count {
                if from == to {
                    continue;
                }
                let queued = waiting.get(&(from, to)).copied().unwrap_or(0);
                let link = LinkView {
                    from,
                    to,
                    cut: self.network.links.is_cut(from, to),
                    partitioned: self.network.partitioned(from, to),
                    slow_factor: self.network.links.slow_factor(from, to),
                    queued,
                    backlog: self.network.links.busy_until(from, to).saturating_sub(now),
                };
                if link.cut || link.partitioned || link.slow_factor > 1 || link.queued > 0 {
                    links.push(link);
                }
            }
        }
        SimView { now, nodes, links, flights }
    }

    /// Whether the node is currently up (not crashed, paused or absent).
    pub fn is_up(&self, node: NodeId) -> bool {
        self.status(node) == Some(NodeStatus::Up)
    }
}

/// Flights in the order they were sent (the map keeps them in no order). Not generic, so it
/// is compiled once, not once per protocol.
fn in_order_sent(flights: &mut [FlightView]) {
    crate::sort::by_key(flights, |f| f.msg);
}
