//! The network model: the eight fallacies of distributed computing as parameters.
//!
//! Peter Deutsch's list (with James Gosling's eighth) names what programmers wrongly assume:
//! the network is reliable, latency is zero, bandwidth is infinite, the network is secure,
//! topology doesn't change, there is one administrator, transport cost is zero, and the
//! network is homogeneous. Each has a knob here:
//!
//! * reliability: loss, duplication and reordering per message ([`NetParams`]);
//! * latency: a one-way base per region pair (about 0.5 ms inside a datacenter, 35–75 ms
//!   between them, i.e. 70–150 ms round trips) plus uniform jitter, scaled per link by `slow`;
//! * bandwidth: each directed link is a FIFO with a capacity; a message waits for the ones
//!   ahead of it, then takes `size ÷ bandwidth` to serialize onto the wire, where `size` is its
//!   real encoded size;
//! * security: an on-path attacker that reads, tampers with or replays frames; with
//!   authentication on, a tampered frame fails its tag check and is dropped;
//! * topology: partitions into any groups, one-way cuts, heals, and nodes joining and leaving;
//! * administrators, transport cost and heterogeneity live with the nodes (per-node
//!   configuration, a CPU cost per message, and protocol versions), see [`crate::sim`].
//!
//! Everything is integer arithmetic on microseconds and parts per million.

mod link;

pub use link::{Links, Route};

use alloc::vec::Vec;

use crate::time::Micros;
use crate::trace::NodeId;

/// Regions a node can be placed in.
pub const REGIONS: [&str; 3] = ["us-east", "eu-west", "ap-south"];

/// One-way propagation delay between regions, in microseconds.
const REGION_LATENCY: [[Micros; 3]; 3] = [[500, 38_000, 75_000], [38_000, 500, 60_000], [75_000, 60_000, 500]];

/// One-way base latency between two regions.
pub fn region_latency(a: u8, b: u8) -> Micros {
    let a = usize::from(a).min(REGIONS.len() - 1);
    let b = usize::from(b).min(REGIONS.len() - 1);
    REGION_LATENCY[a][b]
}

/// What the on-path attacker does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attacker {
    Off,
    /// Reads every frame (counted), changes nothing.
    Read,
    /// Flips a byte in some frames.
    Tamper,
    /// Records frames and injects copies of some of them later.
    Replay,
}

impl Attacker {
    pub const NAMES: [&'static str; 4] = ["off", "read", "tamper", "replay"];

    pub fn parse(text: &str) -> Option<Attacker> {
        match text {
            "off" => Some(Attacker::Off),
            "read" => Some(Attacker::Read),
            "tamper" => Some(Attacker::Tamper),
            "replay" => Some(Attacker::Replay),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Attacker::Off => "off",
            Attacker::Read => "read",
            Attacker::Tamper => "tamper",
            Attacker::Replay => "replay",
        }
    }
}

/// Network-wide knobs. Probabilities are parts per million.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetParams {
    pub loss_ppm: u32,
    pub duplicate_ppm: u32,
    /// Chance that a message is held back long enough for later ones to overtake it.
    pub reorder_ppm: u32,
    /// Jitter as a percentage of the base latency, drawn uniformly from `0..=jitter`.
    pub jitter_percent: u32,
    /// Link capacity in kilobits per second; 0 means unlimited.
    pub bandwidth_kbps: u64,
    pub attacker: Attacker,
    /// Chance that the attacker acts on a frame it sees (tamper or replay).
    pub attack_ppm: u32,
    /// Frames carry a keyed tag that the receiver checks.
    pub authenticate: bool,
}

impl Default for NetParams {
    fn default() -> Self {
        NetParams {
            loss_ppm: 0,
            duplicate_ppm: 0,
            reorder_ppm: 0,
            jitter_percent: 10,
            bandwidth_kbps: 0,
            attacker: Attacker::Off,
            attack_ppm: 100_000,
            authenticate: false,
        }
    }
}

/// Size of the authentication tag a frame carries when authentication is on
/// (as with HMAC-SHA-256 truncated to 128 bits).
pub const AUTH_TAG_BYTES: u32 = 16;

/// The whole network: parameters, node placement, link state and partitions.
#[derive(Clone, Debug)]
pub struct Network {
    pub params: NetParams,
    pub region_of: Vec<u8>,
    pub links: Links,
    /// Partition group per node; `None` when the network is whole.
    partition: Option<Vec<u16>>,
}

impl Network {
    pub fn new(params: NetParams, region_of: Vec<u8>) -> Self {
        let nodes = region_of.len();
        Network { params, region_of, links: Links::new(nodes), partition: None }
    }

    /// Splits the nodes into groups; nodes not named form one more group together.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        let rest = groups.len() as u16;
        let mut group_of = alloc::vec![rest; self.region_of.len()];
        for (index, group) in groups.iter().enumerate() {
            for &node in group {
                if let Some(slot) = group_of.get_mut(usize::from(node)) {
                    *slot = index as u16;
                }
            }
        }
        self.partition = Some(group_of);
    }

    /// Removes partitions, cuts and slow links.
    pub fn heal(&mut self) {
        self.partition = None;
        self.links.heal_all();
    }

    pub fn partitioned(&self, a: NodeId, b: NodeId) -> bool {
        match &self.partition {
            Some(group_of) => group_of.get(usize::from(a)) != group_of.get(usize::from(b)),
            None => false,
        }
    }

    pub fn is_partitioned(&self) -> bool {
        self.partition.is_some()
    }

    /// Base one-way latency on the link, before jitter, including any slow-down.
    pub fn base_latency(&self, from: NodeId, to: NodeId) -> Micros {
        let region = |n: NodeId| self.region_of.get(usize::from(n)).copied().unwrap_or(0);
        region_latency(region(from), region(to)) * Micros::from(self.links.slow_factor(from, to))
    }
}
