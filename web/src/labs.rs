//! One web module per lab, registered in one table. Core's `CATALOGUE` lists the labs; this
//! table gives each its explain panel and canvas layout. A lab's own panels come from its
//! typed `LabView` (matched in the shared page), never from its name.

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

use yew::prelude::*;

/// What one lab's page adds to the shared layout.
pub struct LabUi {
    pub name: &'static str,
    /// The "what is going on / try this" panel.
    pub explain: fn() -> Html,
    /// Servers talk to each other (consensus): place them on a ring and link every pair.
    pub ring: bool,
}

/// One line per lab.
pub static LABS: &[LabUi] = &[
    LabUi { name: "network", explain: network::explain, ring: false },
    LabUi { name: "clocks", explain: clocks::explain, ring: false },
    LabUi { name: "raft", explain: raft::explain, ring: true },
    LabUi { name: "paxos", explain: paxos::explain, ring: true },
    LabUi { name: "flp", explain: flp::explain, ring: true },
    LabUi { name: "consistency", explain: consistency::explain, ring: false },
    LabUi { name: "replication", explain: replication::explain, ring: false },
    LabUi { name: "partitioning", explain: partitioning::explain, ring: false },
    LabUi { name: "transactions", explain: transactions::explain, ring: false },
    LabUi { name: "failure", explain: failure::explain, ring: false },
];

/// The lab's page additions; a lab without an entry gets the shared layout alone.
pub fn find(name: &str) -> Option<&'static LabUi> {
    LABS.iter().find(|lab| lab.name == name)
}
