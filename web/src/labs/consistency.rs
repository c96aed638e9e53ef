//! The consistency lab's page: its explain panel, and the history timeline with the judge's
//! verdicts (any lab whose `LabView` is a history gets the timeline).

use std::rc::Rc;

use wasm_bindgen::JsCast;

mod open;
mod ops;

pub use open::OpenHistory;
use ops::{OpChunk, CHUNK};

use playground_core::history::view::{HistoryView, ModelView, OpView};
use playground_core::history::{edn, Call, Op, Val};
use playground_core::time::{format_duration, Micros, MICROS_PER_SEC};
use yew::prelude::*;

use crate::lab::charts::{self, TimeAxis};
use crate::lab::explain::panel;

pub fn explain() -> Html {
    panel(
        &[
            "Clients read and write a few registers on a replicated store. Every operation is recorded \
             as it was seen: invoked, then completed with a value, or timed out with an unknown \
             outcome. The judge reads that history and asks which consistency model explains it.",
            "Linearizable: one order of all operations, each taking effect at an instant between its \
             invocation and completion. Sequential: one order that keeps each client's own order, \
             ignoring real time. Causal: no client sees an effect before its cause. Convergent: once \
             writes stop, every replica answers the same.",
        ],
        &[
            "Press Stale read after a partition: the cut-off leader answers c1 with old values; the \
             timeline marks the read and the write it missed.",
            "Press The same partition, reads confirmed: c1's reads time out instead (grey bars), and \
             the history stays linearizable.",
            "Switch Store to sequential: reads from a lagging replica break linearizability at once, \
             but every client still sees its own writes.",
            "Press A reply seen before its question: the causal judge names the bad pattern.",
            "Export the history and check it with `playground check`, Knossos or Porcupine.",
        ],
    )
}

/// Colour-blind-safe: ok operations blue, unknown ones grey and dashed, the culprit vermilion
/// with a thick outline and a cross, the other operations of a counterexample orange.
const OK: &str = "#56B4E9";
const UNKNOWN: &str = "#BBBBBB";
const CULPRIT: &str = "#D55E00";
const WITNESS: &str = "#E69F00";

const WIDTH: f64 = 900.0;
const LANE: f64 = 30.0;
const LEFT: f64 = 40.0;
/// An operation label's character width (`.op-label`: 11 px monospace).
const LABEL_CHAR: f64 = 6.6;
/// The timeline's bars are placed from an origin that moves once in this much of a run's time.
const ORIGIN_STEP: Micros = 16 * MICROS_PER_SEC;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub view: Rc<HistoryView>,
    /// The moment shown (a lab's clock; for a file, its last instant).
    pub now: Micros,
    /// A title, when the timeline is not the lab's own history.
    #[prop_or_default]
    pub title: Option<String>,
    /// The page offers to open a history file beside the lab's own.
    #[prop_or_default]
    pub open: bool,
}

fn value(v: &Val) -> String {
    match v {
        // Over 12 characters, its last eight (a history file's text need not be ASCII).
        Val::Str(s) => match s.char_indices().rev().nth(7) {
            Some((at, _)) if s.chars().nth(12).is_some() => format!("…{}", &s[at..]),
            _ => s.clone(),
        },
        other => other.to_string(),
    }
}

/// A short label: `w x=12`, `r x→12`, `cas x 1→2`, `a x y`, `add 3`.
fn label(op: &Op) -> String {
    let key = match &op.key {
        Val::Nil => String::new(),
        k => format!(" {}", value(k)),
    };
    match &op.call {
        Call::Write(v) => format!("w{key}={}", value(v)),
        Call::Read if op.known() => format!("r{key}→{}", value(&op.value)),
        Call::Read => format!("r{key}?"),
        Call::Cas(a, b) => format!("cas{key} {}→{}", value(a), value(b)),
        Call::Append(v) => format!("a{key} {}", value(v)),
        Call::Add(v) => format!("add{key} {}", value(v)),
    }
}

fn time(micros: bool, t: u64) -> String {
    if micros {
        format_duration(t)
    } else {
        t.to_string()
    }
}

/// The time window shown: the last two seconds of a run (a file: all of it), or around the
/// selected counterexample.
fn window(view: &HistoryView, selected: Option<usize>, now: Micros) -> (Micros, Micros) {
    let span = 2 * MICROS_PER_SEC;
    let focus = selected.and_then(|m| view.models.iter().chain(&view.sessions).nth(m)).filter(|m| !m.ops.is_empty());
    match focus {
        Some(model) => {
            let ops = model.ops.iter().filter_map(|&i| view.ops.get(i));
            let start = ops.clone().map(|o| o.op.invoke).min().unwrap_or(0);
            let end = ops.map(|o| o.op.complete.unwrap_or(now)).max().unwrap_or(now);
            let pad = (end - start) / 5 + if view.micros { 50_000 } else { 1 };
            (start.saturating_sub(pad), end + pad)
        }
        None if view.micros => (now.saturating_sub(span), now.max(span)),
        None => (view.ops.iter().map(|o| o.op.invoke).min().unwrap_or(0), now.max(1)),
    }
}

fn model_row(index: usize, m: &ModelView, selected: &UseStateHandle<Option<usize>>) -> Html {
    let mark = match m.word {
        "holds" => "✓",
        "violated" => "✗",
        _ => "?",
    };
    let show = (!m.ops.is_empty()).then(|| {
        let selected = selected.clone();
        let on = *selected == Some(index);
        let onclick = Callback::from(move |_: MouseEvent| selected.set(if on { None } else { Some(index) }));
        let text = if on { "Back to now" } else { "Show on the timeline" };
        html! { <button class="show-ops" onclick={onclick} aria-pressed={on.to_string()}>{ text }</button> }
    });
    html! {
        <li class={classes!("model", m.word)} data-model={m.name}>
            <span class="mark" aria-hidden="true">{ mark }</span>
            <strong>{ m.name }</strong>{ " " }<span class="word">{ m.word }</span>
            if m.promised { <span class="promised" title="The store's mode promises this">{ " promised" }</span> }
            if !m.reason.is_empty() { <p class="reason">{ &m.reason }</p> }
            { for show }
        </li>
    }
}

/// The timeline in the style of Jepsen's and Porcupine's: one lane per client, each
/// operation a bar from invocation to completion, linearization points as ticks.
#[function_component]
pub fn Timeline(props: &TimelineProps) -> Html {
    let selected = use_state(|| None::<usize>);
    let hovered = use_state(|| None::<usize>);
    let view = &props.view;
    let (t0, t1) = window(view, *selected, props.now);
    let scale = (WIDTH - LEFT - 10.0) / (t1 - t0).max(1) as f64;
    let highlighted: Vec<usize> =
        (*selected).and_then(|m| view.models.iter().chain(&view.sessions).nth(m)).map_or(Vec::new(), |m| m.ops.clone());
    let culprit = highlighted.last().copied();
    // A hovered read: the write it read from.
    let read_from: Option<(usize, usize)> = (*hovered).and_then(|r| {
        let read = &view.ops.get(r)?.op;
        if !read.call.is_read() || !read.known() || read.value == Val::Nil {
            return None;
        }
        let w = view
            .ops
            .iter()
            .position(|w| !w.op.call.is_read() && w.op.key == read.key && w.op.written() == Some(&read.value))?;
        Some((w, r))
    });
    // The causal verdict's counterexample is a chain in causal order: draw it as arrows.
    let causal_chain = (*selected)
        .and_then(|m| view.models.get(m))
        .filter(|m| m.name == "causal")
        .map_or(Vec::new(), |m| m.ops.clone());
    let mut arrows: Vec<(usize, usize)> = causal_chain.windows(2).map(|w| (w[0], w[1])).collect();
    arrows.extend(read_from);
    let height = LANE * view.lanes.len() as f64 + 24.0;
    let lanes = view.lanes.iter().enumerate().map(|(i, name)| {
        let y = LANE * i as f64 + LANE / 2.0;
        html! { <text class="lane-name" x="4" y={format!("{:.0}", y + 4.0)}>{ name }</text> }
    });
    // Bars keep coordinates from an origin that moves only every `ORIGIN_STEP` of a run's
    // time; the plot slides under them, clipped to the window. (A file's times are in its own
    // unit: its origin is the window's start.) A bar that began before the window shows only
    // its part inside, and its label, written at its start, is cut off with the rest.
    let time_axis = TimeAxis::new(t0, if view.micros { ORIGIN_STEP } else { 1 }, scale);
    let shift = time_axis.shift(t0, LEFT);
    let fixed = |t: Micros| time_axis.x(t);
    let highlights =
        ops::Highlights { culprit, witnesses: Rc::new(highlighted.clone()), read_from: read_from.map(|(w, _)| w) };
    let lanes_shown = Rc::new(view.lanes.clone());
    let seen = |o: &OpView| o.op.complete.unwrap_or(props.now) >= t0 && o.op.invoke <= t1;
    let chunks = view.ops.chunks(CHUNK).enumerate().filter(|(_, chunk)| chunk.iter().any(seen)).map(|(k, chunk)| {
        let open = chunk.iter().any(|o| o.op.complete.is_none());
        html! {
            <OpChunk key={k} first={k * CHUNK} ops={chunk.to_vec()} now={if open { props.now } else { 0 }} time_axis={time_axis}
                lanes={lanes_shown.clone()} micros={view.micros} highlights={highlights.clone()} hover={hovered.setter()} />
        }
    });
    // A bar that began before the window has its label at its start, slid out of view: once
    // that label is wholly out, the bar's label is written again at the window's edge.
    let edge_labels = view.ops.iter().filter(|o| seen(o)).filter_map(|shown| {
        let o = &shown.op;
        let start = fixed(o.invoke) + shift;
        let end = fixed(o.complete.unwrap_or(props.now)) + shift;
        if start >= LEFT || end - LEFT <= 44.0 {
            return None;
        }
        let text = label(o);
        // With a letter to spare: an arrow or an ellipsis may come from a wider font.
        let gone = start + 3.0 + (text.chars().count() + 1) as f64 * LABEL_CHAR < LEFT;
        let y = LANE * f64::from(shown.lane) + 19.0;
        gone.then(
            || html! { <text class="op-label" x={format!("{:.1}", LEFT + 3.0)} y={format!("{y:.1}")}>{ text }</text> },
        )
    });
    let axis = format!("{} – {}", time(view.micros, t0), time(view.micros, t1));
    let strongest = view
        .models
        .iter()
        .take(3)
        .find(|m| m.word == "holds")
        .map_or("none of linearizable, sequential, causal", |m| m.name);
    let ops = view.ops.len();
    // The export is written when clicked, not on every frame: the handler sets the link's
    // address before the browser follows it.
    let export = {
        let view = props.view.clone();
        Callback::from(move |e: MouseEvent| {
            let text = edn::write(&view.to_history());
            let href = format!("data:text/plain;charset=utf-8,{}", String::from(js_sys::encode_uri_component(&text)));
            if let Some(link) = e.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                let _ = link.set_attribute("href", &href);
            }
        })
    };
    let heading = props.title.clone().unwrap_or_else(|| "History".into());
    let id = if props.title.is_some() { "file-timeline-h" } else { "timeline-h" };
    let clip = format!("{id}-plot");
    html! {
        <section class={classes!("panel", "timeline", props.title.is_some().then_some("file"))} aria-labelledby={id}>
            <h2 id={id}>{ heading }</h2>
            <p class="help">{ format!("{ops} operations. Strongest model the history satisfies so far: {strongest}.") }</p>
            <svg class="timeline-svg" viewBox={format!("0 0 {WIDTH} {height:.0}")} role="img"
                aria-label={format!("Timeline of {ops} operations from {axis}")}>
                { for lanes }
                <defs>
                    <marker id="timeline-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path class="arrow-head" d="M 0 0 L 10 5 L 0 10 z" />
                    </marker>
                </defs>
                { charts::sliding_plot(&clip, (LEFT, WIDTH - LEFT, height), shift, html! {
                    <>
                        { for chunks }
                        { for arrows.iter().filter_map(|&(a, b)| {
                            let (from, to) = (view.ops.get(a)?, view.ops.get(b)?);
                            let x1 = fixed(from.op.complete.unwrap_or(props.now).min(from.point.unwrap_or(u64::MAX)));
                            let x2 = fixed(to.op.invoke.max(to.point.unwrap_or(0)));
                            let (y1, y2) = (LANE * f64::from(from.lane) + LANE / 2.0, LANE * f64::from(to.lane) + LANE / 2.0);
                            Some(html! { <line class="causal-arrow" x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{x2:.1}")} y2={format!("{y2:.1}")} marker-end="url(#timeline-arrow)" /> })
                        }) }
                    </>
                }, html! { <>{ for edge_labels }</> }) }
                <text class="axis" x={LEFT.to_string()} y={format!("{:.0}", height - 6.0)}>{ axis }</text>
            </svg>
            <ul class="models">
                { for view.models.iter().enumerate().map(|(i, m)| model_row(i, m, &selected)) }
            </ul>
            <h3>{ "Session guarantees (Terry et al. 1994)" }</h3>
            <ul class="models sessions">
                { for view.sessions.iter().enumerate().map(|(i, m)| model_row(view.models.len() + i, m, &selected)) }
            </ul>
            <a class="download" href="#" download="history.edn" onclick={export}>{ "Export the history (Jepsen EDN)" }</a>
            if props.open { <OpenHistory /> }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_is_cut_to_its_last_letters_whatever_their_width() {
        assert_eq!(value(&Val::Str("abcdefghijklmnop".into())), "…ijklmnop");
        assert_eq!(value(&Val::Str("ééééééééééé→xyzwvu".into())), "…é→xyzwvu");
        assert_eq!(value(&Val::Str("short".into())), "short");
    }
}
