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
