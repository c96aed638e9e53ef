//! The explain panel: the concept in our own words, and things to try.

use yew::prelude::*;

pub fn network() -> Html {
    html! {
        <section class="panel explain" aria-labelledby="explain-h">
            <h2 id="explain-h">{ "What is going on" }</h2>
            <p>{ "Two clients move money through a service whose accounts are split across servers. \
                  A client that hears nothing back within its timeout cannot tell a lost request from \
                  a lost acknowledgement, so it sends the same request again, with the same id. That \
                  makes delivery at-least-once. Only the server can make the effect exactly-once: it \
                  remembers which ids it applied (on disk, so a crash does not forget) and answers a \
                  repeat from that table." }</p>
            <p>{ "Every assumption on the list of the eight fallacies of distributed computing is a \
                  knob here. The guarantees panel checks, at every event, whether each request was \
                  applied exactly once and whether servers applied only what clients sent." }</p>
            <h3>{ "Try this" }</h3>
            <ol>
                <li>{ "Set Loss to 30 %. Retries appear, and the guarantees still hold." }</li>
                <li>{ "Turn Deduplicate off. Within a second, exactly-once is violated: inspect the event, \
                       a retry applied a second time." }</li>
                <li>{ "Turn it back on, set Attacker to tamper: servers apply amounts nobody sent. \
                       Turn Authenticate on and the tampering becomes dropped messages instead." }</li>
                <li>{ "Click s2 and crash it, or draw a partition; then fork from here, heal in the \
                       branch, and compare the two runs side by side." }</li>
                <li>{ "Set Bandwidth to 64 kbit/s and Payload to 2000 bytes: watch the link queues grow \
                       and latency climb, though nothing is lost." }</li>
            </ol>
        </section>
    }
}

pub fn clocks() -> Html {
    html! {
        <section class="panel explain" aria-labelledby="explain-h">
            <h2 id="explain-h">{ "What is going on" }</h2>
            <p>{ "Every process has a quartz clock that starts off by some milliseconds and runs a \
                  little fast or slow. Every few seconds it asks a time server and steps its clock by \
                  NTP's estimate; the estimate can be off by half the difference between the two \
                  directions' delays, so skew shrinks but never reaches zero." }</p>
            <p>{ "Each event is stamped by four clocks at once. Lamport clocks respect causality but \
                  put concurrent events in some order anyway. Vector clocks capture causality exactly, \
                  at one counter per process in every message. Hybrid logical clocks keep Lamport's \
                  guarantee in a fixed-size stamp that stays near physical time. TrueTime admits its \
                  uncertainty as an interval, and commit-wait sits out that uncertainty so that a \
                  transaction that commits before another starts gets a smaller timestamp." }</p>
            <h3>{ "Try this" }</h3>
            <ol>
                <li>{ "Pick two events on different processes with no arrow path between them: vector \
                       clocks say concurrent, Lamport and HLC still order them." }</li>
                <li>{ "Turn Commit-wait off: within seconds, external consistency is violated. Inspect the \
                       event: a transaction started after another committed got a smaller timestamp." }</li>
                <li>{ "Set ε scale to 20 %: the clock bars show true time escaping the intervals, and the \
                       TrueTime guarantee fails." }</li>
                <li>{ "Set the NTP interval to 0 and drift to 800 ppm: the clocks wander apart; HLC's l − pt \
                       grows with the skew but stays bounded." }</li>
            </ol>
        </section>
    }
}

fn panel(paragraphs: &[&str], steps: &[&str]) -> Html {
    html! {
        <section class="panel explain" aria-labelledby="explain-h">
            <h2 id="explain-h">{ "What is going on" }</h2>
            { for paragraphs.iter().map(|p| html! { <p>{ *p }</p> }) }
            <h3>{ "Try this" }</h3>
            <ol>{ for steps.iter().map(|s| html! { <li>{ *s }</li> }) }</ol>
        </section>
    }
}

pub fn raft() -> Html {
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

pub fn paxos() -> Html {
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

pub fn flp() -> Html {
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
