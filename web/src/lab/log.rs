//! The event log (newest first) and the message inspector for the selected event.

use std::rc::Rc;

use playground_core::time::format_time;
use playground_core::trace::{Event, EventKind, EventText};
use yew::prelude::*;

use super::state::Action;

/// Rows shown in the log.
pub const LOG_ROWS: usize = 120;

#[derive(Properties, PartialEq)]
pub struct LogProps {
    /// Recent events, newest first, with their text (rendered for these rows only).
    pub events: Rc<Vec<(Event, String)>>,
    /// The selected event, looked up in the trace window, with its content (a message's
    /// summary, an observation's text) when it has one.
    pub selected: Option<Rc<(Event, Option<String>)>>,
    pub selected_seq: Option<u64>,
    pub names: Rc<Vec<String>>,
    pub dispatch: Callback<Action>,
}

fn inspector(event: &Event, detail: &Option<String>, names: &[String]) -> Html {
    let name = |id: &u16| names.get(usize::from(*id)).cloned().unwrap_or_else(|| format!("node#{id}"));
    let rows: Vec<(&str, String)> = match &event.kind {
        EventKind::Send { msg, from, to, kind, bytes } => vec![
            ("message", format!("#{msg} {kind}")),
            ("route", format!("{} → {}", name(from), name(to))),
            ("encoded size", format!("{bytes} bytes (real postcard encoding)")),
            ("content", detail.clone().unwrap_or_else(|| "(older than the kept window)".into())),
        ],
        EventKind::Deliver { msg, from, to, kind } => {
            vec![("message", format!("#{msg} {kind}")), ("route", format!("{} → {}", name(from), name(to)))]
        }
        EventKind::Drop { msg, from, to, reason } => vec![
            ("message", format!("#{msg}")),
            ("route", format!("{} → {}", name(from), name(to))),
            ("why", reason.label().to_string()),
        ],
        EventKind::Verdict { invariant, detail, culprit, .. } => vec![
            ("guarantee", invariant.to_string()),
            ("detail", detail.clone()),
            ("caused by", culprit.map_or("-".into(), |c| format!("event {c}"))),
        ],
        _ => vec![("event", EventText { event, names, detail: detail.clone() }.to_string())],
    };
    html! {
        <div class="inspector" aria-live="polite">
            <h3>{ format!("Event {} at {}", event.seq, format_time(event.at)) }</h3>
            <dl>{ for rows.into_iter().map(|(k, v)| html! { <><dt>{ k }</dt><dd>{ v }</dd></> }) }</dl>
        </div>
    }
}

#[function_component]
pub fn EventLog(props: &LogProps) -> Html {
    let rows = props.events.iter().map(|(event, text)| {
        let seq = event.seq;
        let selected = props.selected_seq == Some(seq);
        let onclick = props.dispatch.reform(move |_: MouseEvent| Action::SelectEvent(Some(seq)));
        html! {
            <li key={seq} class={classes!("log-row", format!("ev-{}", event.kind.name()), selected.then_some("selected"))}>
                <button onclick={onclick} aria-pressed={selected.to_string()}>{ text.clone() }</button>
            </li>
        }
    });
    html! {
        <section class="panel log" aria-labelledby="log-h">
            <h2 id="log-h">{ "Events" }</h2>
            <div class="log-columns">
                <ol class="log-list" reversed=true>{ for rows }</ol>
                {
                    match (&props.selected, props.selected_seq) {
                        (Some(selected), _) => inspector(&selected.0, &selected.1, &props.names),
                        (None, Some(seq)) => html! { <div class="inspector"><p>{ format!("Event {seq} is older than the kept window; seek back to see it.") }</p></div> },
                        (None, None) => html! { <div class="inspector"><p>{ "Select an event to inspect it." }</p></div> },
                    }
                }
            </div>
        </section>
    }
}
