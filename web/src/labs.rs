//! One web module per lab, registered here. Core's `CATALOGUE` lists the labs; this table
//! gives each its explain panel and canvas layout, and [`parts`] turns a lab's typed
//! `LabView` into its own panels, so the shared page names no lab.

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

use std::rc::Rc;

use playground_core::labs::LabView;
use playground_core::time::Micros;
use yew::prelude::*;

use crate::lab::state::Action;

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

/// What the shared page lends a lab's panels.
pub struct PartsContext {
    pub names: Rc<Vec<String>>,
    pub now: Micros,
    pub embed: bool,
    /// Bumped when the run is replaced, so a panel with its own state starts afresh.
    pub generation: u64,
    pub dispatch: Callback<Action>,
}

/// What a lab's typed view adds to the shared page.
#[derive(Default)]
pub struct LabParts {
    /// Drawn instead of the shared canvas (the clocks' space-time diagram).
    pub stage: Option<Html>,
    /// The lab's own panel, under the run tools (embedded, behind Details).
    pub panel: Option<Html>,
    /// The clients' history, judged, where the lab records one.
    pub history: Option<Html>,
}

/// The lab's own parts of the page, from its view: one arm per kind of view.
pub fn parts(view: LabView, cx: &PartsContext) -> LabParts {
    let key = cx.generation.to_string();
    let history = |view: playground_core::labs::consistency::HistoryView| {
        html! { <consistency::Timeline key={key.clone()} view={Rc::new(view)} now={cx.now} open={!cx.embed} /> }
    };
    match view {
        LabView::Plain => LabParts::default(),
        LabView::SpaceTime(space) => LabParts {
            stage: Some(html! {
                <clocks::ClocksStage key={key.clone()} space={Rc::new(space)} now={cx.now} names={cx.names.clone()}
                    embed={cx.embed} dispatch={cx.dispatch.clone()} />
            }),
            ..LabParts::default()
        },
        LabView::Raft(view) => LabParts {
            panel: Some(
                html! { <raft::RaftPanel view={Rc::new(view)} names={cx.names.clone()} dispatch={cx.dispatch.clone()} /> },
            ),
            ..LabParts::default()
        },
        LabView::History(view) => LabParts { history: Some(history(view)), ..LabParts::default() },
        LabView::Replication(mut view) => {
            let judged = view.history.take().map(history);
            let panel = html! { <replication::ReplicationPanel view={Rc::new(*view)} /> };
            LabParts { panel: Some(panel), history: judged, ..LabParts::default() }
        }
        LabView::Partitioning(view) => LabParts {
            panel: Some(html! { <partitioning::PartitioningPanel view={Rc::new(*view)} /> }),
            ..LabParts::default()
        },
        LabView::Transactions(view) => LabParts {
            panel: Some(html! { <transactions::TransactionsPanel view={Rc::new(*view)} /> }),
            ..LabParts::default()
        },
        LabView::Failure(view) => {
            LabParts { panel: Some(html! { <failure::FailurePanel view={Rc::new(*view)} /> }), ..LabParts::default() }
        }
    }
}
