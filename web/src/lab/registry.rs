//! The web side of the lab registry: what each lab's page adds to the shared layout. Core's
//! `CATALOGUE` lists the labs; this table gives each its explain panel and canvas layout, and
//! its own panels come from its typed [`LabView`], never from its name.

use yew::prelude::*;

use super::explain;

/// What one lab's page adds.
pub struct LabUi {
    pub name: &'static str,
    /// The "how it works / try this" panel.
    pub explain: fn() -> Html,
    /// Servers talk to each other (consensus): place them on a ring and link every pair.
    pub ring: bool,
}

/// One line per lab.
pub static LABS: &[LabUi] = &[
    LabUi { name: "network", explain: explain::network, ring: false },
    LabUi { name: "clocks", explain: explain::clocks, ring: false },
    LabUi { name: "raft", explain: explain::raft, ring: true },
    LabUi { name: "paxos", explain: explain::paxos, ring: true },
    LabUi { name: "flp", explain: explain::flp, ring: true },
];

/// The lab's page additions; a lab without an entry gets the shared layout alone.
pub fn find(name: &str) -> Option<&'static LabUi> {
    LABS.iter().find(|lab| lab.name == name)
}
