//! The Network lab's page: its explain panel (the shared layout draws the rest).

use yew::prelude::*;

pub fn explain() -> Html {
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
