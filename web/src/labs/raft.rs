//! The Raft lab's page: its explain panel and the servers-and-logs panel.

mod panel;

pub use panel::RaftPanel;

use yew::prelude::*;

use crate::lab::explain::panel;

pub fn explain() -> Html {
    panel(
        &[
            "Raft keeps a replicated log consistent with one leader at a time. A follower that hears \
             nothing from a leader for a randomized timeout stands for election in a new term; it \
             wins with votes from a majority, and a server votes at most once per term and only for \
             a candidate whose log is at least as up to date as its own.",
            "The leader appends client commands and replicates them; a follower accepts entries only \
             if its log matches the leader's at the previous index, so logs are repaired from the \
             point they diverge. An entry is committed once a majority stores it, but the leader \
             counts replicas only for entries of its own term: the Figure 8 scenario shows why.",
        ],
        &[
            "Press Leader crash: watch a follower's timer ring run out and a new leader take over.",
            "Press Split vote: identical timeouts split the vote forever. Set the timeout range to \
             150–300 ms and it ends.",
            "Press Figure 8, committing old entries: the checker flags leader completeness and \
             state-machine safety. Compare with Figure 8, which stays safe.",
            "Click Measure election time: wider timeout ranges make elections slower but rarer to split.",
            "Press Returning follower: n5, cut off alone, raises its term again and again and unseats \
             the leader when it returns. Then press Returning follower, with PreVote: it asks first, \
             is told no, and rejoins quietly.",
        ],
    )
}
