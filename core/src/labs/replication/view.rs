//! What the replication lab draws beside nodes and messages: each server's state and lag,
//! the lag over time, the last leaderless operation's quorum on the ring, the last Merkle
//! exchange, and the clients' history with the judge's verdicts.

use alloc::string::String;
use alloc::vec::Vec;

use super::msg::keyed;
use super::node::{Family, Role};
use super::ReplicationLab;
use crate::history::view::HistoryView;
use crate::lab::Lab;
use crate::sim::NodeStatus;
use crate::time::Micros;
use crate::trace::NodeId;

/// One server, datacenter or replica.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerView {
    pub id: NodeId,
    pub name: String,
    /// "leader", "follower", "datacenter" or "replica".
    pub role: &'static str,
    pub up: bool,
    /// Single leader: epoch and log length; multi-leader: updates applied; leaderless: keys.
    pub epoch: u64,
    pub entries: u64,
    /// Single leader: how far behind the leader, in entries and in time.
    pub behind: u64,
    pub behind_us: Micros,
    /// The values it holds, as text (x=31 y=12, siblings as 31|42, a count, a set).
    pub values: String,
    /// Leaderless: hints held for others.
    pub hints: u32,
}

/// A follower's lag over time: (time, entries behind, µs behind).
#[derive(Clone, Debug, PartialEq)]
pub struct LagSeries {
    pub node: NodeId,
    pub points: Vec<(Micros, u64, Micros)>,
}

/// The last leaderless operation a replica coordinated.
#[derive(Clone, Debug, PartialEq)]
pub struct QuorumView {
    pub coordinator: NodeId,
    pub key: String,
    pub write: bool,
    pub needed: u8,
    /// The key's N owners, then any stand-ins asked.
    pub owners: Vec<NodeId>,
    pub asked: Vec<NodeId>,
    pub answered: Vec<NodeId>,
}

/// The last anti-entropy exchange: who compared with whom, and the tree as one side sees it
/// (per level, each node's index and whether it differs).
#[derive(Clone, Debug, PartialEq)]
pub struct MerkleView {
    pub from: NodeId,
    pub to: NodeId,
    pub depth: u8,
    pub levels: Vec<Vec<bool>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReplicationView {
    pub family: Family,
    pub servers: Vec<ServerView>,
    pub lag: Vec<LagSeries>,
    pub quorum: Option<QuorumView>,
    pub merkle: Option<MerkleView>,
    /// (n, r, w) for the leaderless family, and whether quorums are sloppy.
    pub nrw: (u8, u8, u8),
    pub sloppy: bool,
    /// The clients' history as judged; none for counters and sets.
    pub history: Option<HistoryView>,
}

impl ReplicationLab {
    pub fn view(&self) -> ReplicationView {
        let sim = &self.driver().sim;
        let mut servers = Vec::new();
        for &id in &self.servers {
            let up = sim.status(id).is_some_and(|s| s == NodeStatus::Up);
            let name = self.name(id);
            let mut v = ServerView {
                id,
                name,
                role: "replica",
                up,
                epoch: 0,
                entries: 0,
                behind: 0,
                behind_us: 0,
                values: String::new(),
                hints: 0,
            };
            let Some(p) = sim.process(id) else {
                // Crashed: what it kept on disk.
                if let Some(stable) = sim.stable(id) {
                    v.role = "crashed";
                    v.epoch = stable.epoch;
                    v.entries = match (&stable.dc, self.family) {
                        (Some(dc), _) => dc.seen.total(),
                        (None, Family::Leaderless) => stable.cells.iter().filter(|c| !c.is_empty()).count() as u64,
                        _ => stable.log.len() as u64,
                    };
                    servers.push(v);
                }
                continue;
            };
            match &p.role {
                Role::Server(s) => {
                    v.role = if s.leading { "leader" } else { "follower" };
                    v.epoch = s.epoch;
                    v.entries = s.log.len() as u64;
                    v.values = keyed(s.values.iter().map(|&v| if v == 0 { Vec::new() } else { alloc::vec![v] }));
                    if let Some(points) = self.lag.iter().find(|l| l.node == id).and_then(|l| l.points.last()) {
                        (v.behind, v.behind_us) = (points.1, points.2);
                    }
                }
                Role::Datacenter(d) => {
                    v.role = "datacenter";
                    v.entries = d.state.seen.total();
                    v.values = d.describe().pop().unwrap_or_default();
                }
                Role::Replica(r) => {
                    v.entries = r.cells.iter().filter(|c| !c.is_empty()).count() as u64;
                    v.values = keyed(r.cells.iter().map(|c| c.values()));
                    v.hints = r.hints.len() as u32;
                }
                _ => continue,
            }
            servers.push(v);
        }
        let (quorum, merkle) =
            if self.family == Family::Leaderless { (self.quorum(), self.merkle()) } else { (None, None) };
        let config = sim.config(self.servers[0]);
        let nrw = config.map_or((0, 0, 0), |c| (c.n, c.r, c.w));
        let sloppy = config.is_some_and(|c| c.sloppy);
        let registers = self.family != Family::MultiLeader || self.conflicts.registers();
        let history = registers.then(|| {
            let names = self.clients.iter().map(|&c| self.name(c)).collect();
            self.judge.view(names, &[])
        });
        ReplicationView { family: self.family, servers, lag: self.lag.clone(), quorum, merkle, nrw, sloppy, history }
    }

    /// The most recent operation any replica coordinated.
    fn quorum(&self) -> Option<QuorumView> {
        let sim = &self.driver().sim;
        let mut best: Option<(NodeId, &super::leaderless::Coordination)> = None;
        for &id in &self.servers {
            if let Some(Role::Replica(r)) = sim.process(id).map(|p| &p.role) {
                if let Some(c) = &r.last {
                    if best.is_none_or(|(_, b)| c.started > b.started) {
                        best = Some((id, c));
                    }
                }
            }
        }
        let (coordinator, c) = best?;
        let config = sim.config(coordinator)?;
        let owners = config.preference(c.key).into_iter().map(|i| config.servers[i]).collect();
        Some(QuorumView {
            coordinator,
            key: alloc::format!("{}", super::msg::key_name(c.key)),
            write: c.is_write(),
            needed: if c.is_write() { config.w } else { config.r },
            owners,
            asked: c.asked.clone(),
            answered: c.answered.iter().map(|(n, _)| *n).collect(),
        })
    }

    /// The last anti-entropy exchange, as its initiator's tree compares with its peer's.
    fn merkle(&self) -> Option<MerkleView> {
        let (from, to, _, _) = self.last_merkle.clone()?;
        let sim = &self.driver().sim;
        let (Some(Role::Replica(a)), Some(Role::Replica(b))) =
            (sim.process(from).map(|p| &p.role), sim.process(to).map(|p| &p.role))
        else {
            return None;
        };
        let (ta, tb) = (a.tree(to), b.tree(from));
        let depth = ta.depth();
        let levels = (0..=depth)
            .map(|level| (0..1u32 << level).map(|i| ta.node(level, i) != tb.node(level, i)).collect())
            .collect();
        Some(MerkleView { from, to, depth, levels })
    }
}
