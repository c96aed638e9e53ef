//! The Paxos lab's page: its explain panel (the shared ring canvas draws the rest).

use yew::prelude::*;

use crate::lab::explain::panel;

pub fn explain() -> Html {
    panel(
        &[
            "Single-decree Paxos chooses one value. A proposer first asks a majority of acceptors to \
             promise to ignore lower ballots; their promises report what they already accepted, and \
             the proposer must propose the value of the highest-numbered of those. Any two \
             majorities overlap, so once a value is chosen every later ballot proposes it again.",
            "Safety never depends on timing, but progress does: two proposers that keep preempting \
             each other with higher ballots can go on forever.",
        ],
        &[
            "Play with Contention set to duel: ballots climb and nothing is chosen.",
            "Switch Contention to backoff or leader: a value is chosen within a few ballots.",
            "Crash an acceptor, or add loss: agreement still holds.",
        ],
    )
}
