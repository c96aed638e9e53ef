//! The FLP lab's page: its explain panel (the shared ring canvas and the held-messages
//! panel draw the rest).

use yew::prelude::*;

use crate::lab::explain::panel;

pub fn explain() -> Html {
    panel(
        &[
            "Fischer, Lynch and Paterson proved that no deterministic protocol can always reach \
             consensus in an asynchronous system where one process may crash. Here every message \
             waits until the scheduler delivers it; the automatic adversary reads every process's \
             state and delivers whatever keeps each one looking at a balanced mix of values.",
            "The protocol is Ben-Or's. Without a coin it stays undecided round after round. With a \
             coin, processes eventually agree by chance. With timeouts, they decide once the network \
             becomes timely after the stabilization time: partial synchrony.",
        ],
        &[
            "Play with the deterministic protocol and stabilization time 0: the rounds climb, nobody decides.",
            "Set Protocol to randomized: a decision comes within a few rounds.",
            "Set Scheduler to manual and deliver the held messages yourself: can you keep it undecided?",
        ],
    )
}
