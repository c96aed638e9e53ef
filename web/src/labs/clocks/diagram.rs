//! The Clocks lab's views: the space-time (Lamport) diagram, each clock against true time,
//! the relation between two picked events, and the live comparison table. All the data and
//! every comparison come from `playground-core`; this file only draws them.

use std::rc::Rc;

use playground_core::labs::clocks::logical::Order;
use playground_core::labs::clocks::{relation, ClockEventKind, EventRecord, SpaceTime};
use playground_core::time::{format_duration, format_time, Micros, MICROS_PER_SEC};
use playground_core::trace::NodeId;
use yew::prelude::*;

use crate::lab::state::{Action, Menu};

const WIDTH: f64 = 800.0;
const LEFT: f64 = 70.0;
const ROW: f64 = 56.0;
/// How much true time the diagram shows.
pub const SPAN: Micros = 2 * MICROS_PER_SEC;

/// Which timestamp labels the events.
pub const LABELS: [&str; 4] = ["Lamport", "Vector", "HLC", "Physical"];

fn stamp_label(e: &EventRecord, which: usize) -> String {
    match which {
        0 => format!("{}", e.stamps.lamport),
        1 => format!("{:?}", e.stamps.vector),
        2 => format!("{:.1}ms,{}", e.stamps.hlc.l as f64 / 1000.0, e.stamps.hlc.c),
        _ => format!("{:.1}ms", e.stamps.pt as f64 / 1000.0),
    }
}

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub space: Rc<SpaceTime>,
    pub now: Micros,
    pub names: Rc<Vec<String>>,
    pub picked: Vec<(NodeId, u32)>,
    pub label: usize,
    /// An event was clicked.
    pub on_pick: Callback<(NodeId, u32)>,
    pub dispatch: Callback<Action>,
}

#[function_component]
pub fn Diagram(props: &DiagramProps) -> Html {
    let st = &props.space;
    let start = props.now.saturating_sub(SPAN);
    let height = 30.0 + ROW * st.processes as f64;
    let x = |at: Micros| LEFT + (WIDTH - LEFT - 20.0) * (at.saturating_sub(start)) as f64 / SPAN as f64;
    let y = |node: NodeId| 30.0 + ROW * (f64::from(node) + 0.5);
    let visible: Vec<&EventRecord> = st.events.iter().filter(|e| e.at >= start).collect();
    let find = |node: NodeId, index: u32| st.events.iter().find(|e| e.node == node && e.index == index);
    let selected = props.picked.last().and_then(|&(n, i)| find(n, i));

    let lines = (0..st.processes as NodeId).map(|p| {
        let name = props.names.get(usize::from(p)).cloned().unwrap_or_default();
        let reading = st.readings.iter().find(|r| r.node == p);
        let onclick = props.dispatch.reform(move |_: MouseEvent| Action::OpenMenu(Some(Menu::Node(p))));
        let note = reading.map_or(String::new(), |r| format!("{:+.1}ms", r.error as f64 / 1000.0));
        html! {
            <g class="process" data-node={name.clone()}>
                <line x1={LEFT.to_string()} x2={(WIDTH - 10.0).to_string()} y1={y(p).to_string()} y2={y(p).to_string()} />
                <text class="process-name" x="8" y={(y(p) - 2.0).to_string()} onclick={onclick} role="button" tabindex="0"
                    aria-label={format!("{name}: clock {note} from true time; activate for actions")}>{ name }</text>
                <text class="process-note" x="8" y={(y(p) + 13.0).to_string()}>{ note }</text>
            </g>
        }
    });
    let arrows = visible.iter().filter_map(|e| match e.kind {
        ClockEventKind::Receive { from, sender_event } => {
            let sender = find(from, sender_event)?;
            let from_x = x(sender.at).max(LEFT);
            Some(html! { <line class="arrow" marker-end="url(#head)" x1={format!("{from_x:.1}")} y1={y(from).to_string()} x2={format!("{:.1}", x(e.at))} y2={y(e.node).to_string()} /> })
        }
        _ => None,
    });
    let dots = visible.iter().map(|e| {
        let (node, index) = (e.node, e.index);
        let class = classes!(
            "event",
            match e.kind {
                ClockEventKind::Local => "ev-local",
                ClockEventKind::Send { .. } => "ev-send",
                ClockEventKind::Receive { .. } => "ev-receive",
            },
            props.picked.contains(&(node, index)).then_some("picked"),
            selected.map(|s| {
                if e.happened_before(s) {
                    "past"
                } else if s.happened_before(e) {
                    "future"
                } else {
                    "concurrent"
                }
            })
        );
        let onclick = props.on_pick.reform(move |_: MouseEvent| (node, index));
        let name = props.names.get(usize::from(node)).cloned().unwrap_or_default();
        let label = format!("{name}#{index} at {}: L={} V={:?} HLC=({},{}) pt={}", format_time(e.at), e.stamps.lamport, e.stamps.vector, e.stamps.hlc.l, e.stamps.hlc.c, e.stamps.pt);
        html! {
            <g class={class} onclick={onclick} data-event={format!("{name}#{index}")}>
                <circle cx={format!("{:.1}", x(e.at))} cy={y(node).to_string()} r="6"><title>{ label }</title></circle>
                <text x={format!("{:.1}", x(e.at))} y={(y(node) - 10.0).to_string()}>{ stamp_label(e, props.label) }</text>
            </g>
        }
    });
    html! {
        <figure class="canvas spacetime">
            <figcaption class="canvas-title">{ format!("Space-time diagram: the last {} of true time. Click two events to compare them.", format_duration(SPAN)) }</figcaption>
            <svg viewBox={format!("0 0 {WIDTH} {height}")} role="group" aria-label={format!("Space-time diagram with {} processes and {} events shown", st.processes, visible.len())}>
                <defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" /></marker></defs>
                { for lines }
                { for arrows }
                { for dots }
            </svg>
        </figure>
    }
}

fn order_word(order: Order) -> &'static str {
    match order {
        Order::Before => "before",
        Order::After => "after",
        Order::Equal => "equal",
        Order::Concurrent => "concurrent",
    }
}

/// What two picked events are to each other, and what each clock can tell.
pub fn relation_panel(space: &SpaceTime, picked: &[(NodeId, u32)], names: &[String]) -> Html {
    let find = |&(n, i): &(NodeId, u32)| space.events.iter().find(|e| e.node == n && e.index == i);
    let name = |e: &EventRecord| format!("{}#{}", names.get(usize::from(e.node)).cloned().unwrap_or_default(), e.index);
    let (Some(a), Some(b)) = (picked.first().and_then(find), picked.get(1).and_then(find)) else {
        return html! { <p class="help">{ "Pick two events on the diagram to compare them. The last one picked shows its causal past (filled) and future (ringed)." }</p> };
    };
    let r = relation(a, b);
    let truth = match r.truth {
        Order::Before => format!("{} happened before {}", name(a), name(b)),
        Order::After => format!("{} happened before {}", name(b), name(a)),
        Order::Equal => "the same event".into(),
        Order::Concurrent => format!("{} and {} are concurrent", name(a), name(b)),
    };
    let verdict = |says: Order, exact: bool| -> (&'static str, String) {
        if says == r.truth {
            ("ok", "right".into())
        } else if r.truth == Order::Concurrent && !exact {
            ("blind", format!("says {}: it cannot detect concurrency", order_word(says)))
        } else {
            ("wrong", format!("WRONG: says {}", order_word(says)))
        }
    };
    let rows = [
        ("Physical", verdict(r.physical, false)),
        ("Lamport", verdict(r.lamport, false)),
        ("Vector", verdict(r.vector, true)),
        ("HLC", verdict(r.hlc, false)),
    ];
    html! {
        <div class="relation" aria-live="polite">
            <p><strong>{ truth }</strong>{ " (from the true causal graph)." }</p>
            <table>
                <thead><tr><th>{ "clock" }</th><th>{ "what it says" }</th></tr></thead>
                <tbody>
                    { for rows.iter().map(|(clock, (class, text))| html! { <tr class={*class}><th>{ *clock }</th><td>{ text.clone() }</td></tr> }) }
                </tbody>
            </table>
        </div>
    }
}

/// Each process's clock against true time: the TrueTime interval around it.
pub fn clock_bars(space: &SpaceTime, names: &[String]) -> Html {
    let scale = space.readings.iter().map(|r| r.error.abs() + r.epsilon.abs()).max().unwrap_or(1).max(1) as f64;
    let px = |v: i64| 150.0 + 140.0 * v as f64 / scale;
    let rows = space.readings.iter().map(|r| {
        let inside = r.error.abs() <= r.epsilon;
        let name = names.get(usize::from(r.node)).cloned().unwrap_or_default();
        let text = format!("{name}: clock {:+.2}ms from true time, ε {:.2}ms", r.error as f64 / 1000.0, r.epsilon as f64 / 1000.0);
        html! {
            <div class={classes!("clock-row", (!inside).then_some("outside"))}>
                <span class="clock-name">{ name }</span>
                <svg viewBox="0 0 300 16" role="img" aria-label={text.clone()}>
                    <line class="truth" x1="150" x2="150" y1="0" y2="16" />
                    <rect class="interval" x={format!("{:.1}", px(-r.epsilon + r.error))} width={format!("{:.1}", (px(r.epsilon) - px(-r.epsilon)).max(1.0))} y="4" height="8" />
                    <circle class="reading" cx={format!("{:.1}", px(r.error))} cy="8" r="4" />
                </svg>
                <span class="clock-text">{ format!("{:+.2} ms · ε {:.2} ms", r.error as f64 / 1000.0, r.epsilon as f64 / 1000.0) }</span>
            </div>
        }
    });
    html! {
        <div class="clock-bars">
            <p class="help truetime-source">{ "The simulated processes' clocks. For TrueTime on this machine's real clock, see “TrueTime on this machine's clock” below." }</p>
            <p class="help">{ "Each clock's reading (dot) and TrueTime interval (bar) against true time (the line). The line must stay inside every bar." }</p>
            { for rows }
        </div>
    }
}

/// The live comparison: guarantee, metadata bytes, hardware, skew and ε.
pub fn comparison_table(space: &SpaceTime) -> Html {
    let max_error = space.readings.iter().map(|r| r.error.unsigned_abs()).max().unwrap_or(0);
    let max_epsilon = space.readings.iter().map(|r| r.epsilon.max(0)).max().unwrap_or(0);
    html! {
        <table class="clock-table">
            <thead><tr><th>{ "clock" }</th><th>{ "ordering guarantee" }</th><th>{ "bytes / message (this run)" }</th><th>{ "bytes at N = 4 / 16 / 64" }</th><th>{ "needs" }</th></tr></thead>
            <tbody>
                { for space.kinds.iter().map(|k| html! {
                    <tr>
                        <th>{ k.name }</th>
                        <td>{ k.guarantee }</td>
                        <td>{ format!("{:.1}", k.milli_bytes_per_message as f64 / 1000.0) }</td>
                        <td>{ format!("{} / {} / {}", k.bytes_at_n[0].1, k.bytes_at_n[1].1, k.bytes_at_n[2].1) }</td>
                        <td>{ k.hardware }</td>
                    </tr>
                }) }
            </tbody>
            <caption>{ format!("Now: largest clock error {}, largest ε {}.", format_duration(max_error), format_duration(max_epsilon as u64)) }</caption>
        </table>
    }
}
