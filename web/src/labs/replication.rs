//! The replication lab's page: its explain panel and its own picture: servers with their lag
//! (and the lag over time), datacenters' values, the last leaderless operation's quorum on
//! the ring, and the last Merkle exchange; the clients' history is drawn by the consistency
//! lab's timeline.

mod pictures;

use std::rc::Rc;

use playground_core::labs::replication::{Family, ReplicationView};
use playground_core::time::format_duration;
use yew::prelude::*;

use crate::lab::explain::panel;

pub fn explain() -> Html {
    panel(
        &[
            "Three ways to keep copies of data, with the same clients and the same faults. Single \
             leader: one server orders every write and ships its log to followers; it acknowledges \
             a write after all of them, one of them, or none have it, and a monitor promotes a \
             follower when the leader falls silent. Multi-leader: each datacenter takes its own \
             clients' writes and replicates to the others, so two can change the same thing at once. \
             Leaderless: every key lives on N replicas; a write waits for W of them, a read for R.",
            "Each family risks a different loss, and the guarantees panel checks it live: an \
             acknowledged write gone after a failover, an update dropped by last writer wins, a \
             replica that applied the same updates as another but holds something else, a read that \
             misses a write acknowledged before it began. The clients' history goes to the \
             consistency judge, and its verdicts are on the timeline.",
        ],
        &[
            "Press Async failover loses a write: the leader crashes with a batch it had acknowledged \
             but not shipped; the guarantee names the write and the failover. Then Sync failover \
             loses nothing, with slower writes (compare the write latency).",
            "Press Split brain, then turn Leader lease on: the cut-off leader stops taking writes \
             before another is promoted.",
            "Press Reading from followers and watch the lag chart; then set Read from to sticky, or \
             Leader after own write to 2000 ms.",
            "Press LWW under clock skew, then set Conflicts to siblings: concurrent writes are kept, \
             none dropped.",
            "Press R = W = 1, then raise R and W until R + W > N: the stale reads stop.",
            "Press Merkle repair and compare the hashes sent with the keys there are.",
        ],
    )
}

#[derive(Properties, PartialEq)]
pub struct ReplicationPanelProps {
    pub view: Rc<ReplicationView>,
}

/// The servers' table, and the family's picture.
#[function_component]
pub fn ReplicationPanel(props: &ReplicationPanelProps) -> Html {
    let v = &props.view;
    let single = v.family == Family::SingleLeader;
    let rows = v.servers.iter().map(|s| {
        let state = if s.up { s.role } else { "crashed" };
        html! {
            <tr class={classes!(format!("repl-{}", s.role), (!s.up).then_some("repl-down"))}>
                <th>{ s.name.clone() }</th>
                <td>{ state }</td>
                if single {
                    <td>{ s.epoch }</td>
                    <td>{ s.entries }</td>
                    <td>{ if s.role == "leader" { "-".to_string() } else { format!("{} · {}", s.behind, format_duration(s.behind_us)) } }</td>
                } else {
                    <td>{ s.entries }</td>
                }
                if v.family == Family::Leaderless { <td>{ s.hints }</td> }
                <td class="repl-values">{ s.values.clone() }</td>
            </tr>
        }
    });
    let head = match v.family {
        Family::SingleLeader => {
            html! { <tr><th>{ "server" }</th><th>{ "role" }</th><th>{ "epoch" }</th><th>{ "log" }</th><th>{ "behind (entries · time)" }</th><th>{ "values" }</th></tr> }
        }
        Family::MultiLeader => {
            html! { <tr><th>{ "datacenter" }</th><th>{ "role" }</th><th>{ "updates applied" }</th><th>{ "state" }</th></tr> }
        }
        Family::Leaderless => {
            html! { <tr><th>{ "replica" }</th><th>{ "role" }</th><th>{ "keys" }</th><th>{ "hints" }</th><th>{ "values" }</th></tr> }
        }
    };
    let title = match v.family {
        Family::SingleLeader => "Leader and followers",
        Family::MultiLeader => "Datacenters",
        Family::Leaderless => "Replicas, quorums and anti-entropy",
    };
    html! {
        <section class="panel repl-panel" aria-labelledby="repl-h">
            <h2 id="repl-h">{ title }</h2>
            <table>
                <thead>{ head }</thead>
                <tbody>{ for rows }</tbody>
            </table>
            if single { <pictures::LagChart view={v.clone()} /> }
            if v.family == Family::Leaderless {
                <div class="repl-pictures">
                    <pictures::Ring view={v.clone()} />
                    <pictures::Merkle view={v.clone()} />
                </div>
            }
        </section>
    }
}
