//! The catalogue of labs: the one list. Each built lab's entry lives in its own module
//! (`network::INFO`, …) with its parameters, presets and how it starts; adding a lab is one
//! line here.

pub mod clocks;
pub mod consistency;
pub mod failure;
pub mod flp;
pub mod network;
pub mod partitioning;
pub mod paxos;
pub mod raft;
pub mod replication;
pub mod transactions;

use crate::lab::LabInfo;

/// Each lab's own picture, beside the simulator's shared view: one variant per lab that
/// draws more than nodes and messages. The web matches on this, never on lab names.
#[derive(Clone, Debug)]
pub enum LabView {
    /// Nodes and messages are the whole picture.
    Plain,
    /// Servers with roles, terms, timers and logs.
    Raft(raft::RaftView),
    /// A space-time diagram with every clock's stamps, and the clocks compared.
    SpaceTime(clocks::SpaceTime),
    /// Clients' operations on a timeline, judged against consistency models.
    History(consistency::HistoryView),
    /// Servers, lag, quorums and Merkle trees, with the clients' history.
    Replication(alloc::boxed::Box<replication::ReplicationView>),
    /// The ring or key line with owners, keys and load, moves and their optimum.
    Partitioning(alloc::boxed::Box<partitioning::PartitioningView>),
    /// Participants with accounts and locks over time, sagas' steps, the outbox and relay.
    Transactions(alloc::boxed::Box<transactions::TransactionsView>),
    /// Phi over time and the detectors' trade-off curve; leases and writes; leaders; load.
    Failure(alloc::boxed::Box<failure::FailureView>),
}

impl LabView {
    pub fn into_raft(self) -> Option<raft::RaftView> {
        match self {
            LabView::Raft(view) => Some(view),
            _ => None,
        }
    }

    pub fn into_history(self) -> Option<consistency::HistoryView> {
        match self {
            LabView::History(view) => Some(view),
            LabView::Replication(view) => view.history,
            _ => None,
        }
    }

    pub fn into_space_time(self) -> Option<clocks::SpaceTime> {
        match self {
            LabView::SpaceTime(view) => Some(view),
            _ => None,
        }
    }
}

pub(crate) static CATALOGUE: [LabInfo; 11] = [
    network::INFO,
    clocks::INFO,
    LabInfo {
        name: "consensus",
        title: "Consensus",
        summary: "Raft with its paper's scenarios (Figure 8, log repair, split votes), single-decree \
                  Paxos with dueling proposers, and an FLP adversary that keeps consensus undecided \
                  until a coin or timeouts end it. Safety is checked at every event.",
        listed: true,
        params: &[],
        presets: &[],
        parts: &["raft", "paxos", "flp"],
        variants: &[],
        start: None,
    },
    raft::INFO,
    paxos::INFO,
    flp::INFO,
    consistency::INFO,
    replication::INFO,
    partitioning::INFO,
    transactions::INFO,
    failure::INFO,
];
