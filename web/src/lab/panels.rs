//! The invariants panel and the metrics panel.

use std::rc::Rc;

use playground_core::invariant::{Status, Verdict};
use playground_core::lab::Metrics;
use playground_core::time::format_time;
use yew::prelude::*;

use super::charts;
use super::state::Action;

#[derive(Properties, PartialEq)]
pub struct VerdictsProps {
    pub verdicts: Rc<Vec<Verdict>>,
    pub dispatch: Callback<Action>,
}

#[function_component]
pub fn Verdicts(props: &VerdictsProps) -> Html {
    let rows = props.verdicts.iter().map(|v| match &v.status {
        Status::Holds if v.pending.is_some() => html! {
            <li class="verdict pending" data-verdict={v.name}>
                <span class="badge" aria-hidden="true">{"?"}</span>
                <div><strong>{ v.name }</strong>{" not judged yet"}<p>{ v.statement }</p>
                    <p class="detail">{ v.pending.clone() }</p></div>
            </li>
        },
        Status::Holds => html! {
            <li class="verdict holds" data-verdict={v.name}>
                <span class="badge" aria-hidden="true">{"✓"}</span>
                <div><strong>{ v.name }</strong>{" holds"}<p>{ v.statement }</p></div>
            </li>
        },
        Status::Violated { at, event, detail, count } => {
            let (event, at) = (*event, *at);
            let show = props.dispatch.reform(move |_: MouseEvent| Action::SelectEvent(Some(event)));
            let go = props.dispatch.reform(move |_: MouseEvent| Action::GoTo { at, event: Some(event) });
            html! {
                <li class="verdict violated" data-verdict={v.name}>
                    <span class="badge" aria-hidden="true">{"✗"}</span>
                    <div>
                        <strong>{ v.name }</strong>{" violated"}
                        <p>{ v.statement }</p>
                        <p class="detail">{ format!("First at {}: {detail}.", format_time(at)) }
                            if *count > 1 { { format!(" {count} violations in all.") } }
                        </p>
                        <button onclick={show}>{ format!("Inspect event {event}") }</button>
                        <button onclick={go}>{ "Go to that moment" }</button>
                    </div>
                </li>
            }
        }
    });
    html! {
        <section class="panel invariants" aria-labelledby="invariants-h" aria-live="polite">
            <h2 id="invariants-h">{ "Guarantees" }</h2>
            <ul>{ for rows }</ul>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct MetricsProps {
    pub metrics: Rc<Metrics>,
}

#[function_component]
pub fn MetricsPanel(props: &MetricsProps) -> Html {
    let m = &props.metrics;
    let headline: Vec<(&str, String)> = m
        .counters
        .iter()
        .map(|c| (c.name, if c.unit.is_empty() { c.value.to_string() } else { format!("{} {}", c.value, c.unit) }))
        .collect();
    let drops: Vec<(&str, u64)> =
        m.drops.iter().map(|(reason, n)| (reason.counter_name().trim_start_matches("dropped: "), *n)).collect();
    let series = |name: &str| m.series.iter().find(|s| s.name == name);
    html! {
        <section class="panel metrics" aria-labelledby="metrics-h">
            <h2 id="metrics-h">{ "Metrics" }</h2>
            <dl class="counters">
                { for headline.iter().map(|(k, v)| html! { <div><dt>{ *k }</dt><dd data-metric={*k}>{ v.clone() }</dd></div> }) }
            </dl>
            if let Some(h) = m.histogram("request latency") { { charts::histogram("Request latency", h) } }
            if let Some(h) = m.histogram("write latency") { { charts::histogram("Write latency", h) } }
            if let Some(h) = m.histogram("read latency") { { charts::histogram("Read latency", h) } }
            if let Some(h) = m.histogram("read staleness") { { charts::histogram("Read staleness (how long the value read had been overwritten)", h) } }
            if let Some(s) = series("acked") { { charts::series("Throughput", "acks/s", s) } }
            if !drops.is_empty() { { charts::bars("Drops by reason", &drops) } }
            if let Some(h) = m.histogram("transit") { { charts::histogram("Message transit time", h) } }
            if let Some(s) = series("bytes") { { charts::series("Bytes on the wire", "B/s", s) } }
            if let Some(h) = m.histogram("queue wait") { { charts::histogram("Link queue wait", h) } }
        </section>
    }
}
