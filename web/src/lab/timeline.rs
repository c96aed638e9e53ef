//! The timeline under the canvas, always in view: play, step and speed, the scrubber with a
//! time axis, a marker at every injected fault and operator action, a red one at every
//! guarantee seen broken, and buttons that jump to the previous or next marker and to the
//! first violation. Clicking a violation's marker lands on the event that broke it.

use playground_core::time::{format_duration, format_time, Micros, MICROS_PER_MS};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::state::{Action, Pace, SPEEDS};

/// A moment worth finding on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub at: Micros,
    pub kind: MarkerKind,
    /// What happened, in words ("crash s1", "Linearizable").
    pub what: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    /// A fault or an operator action from the scenario's script.
    Fault,
    /// A guarantee broke here, at this trace event.
    Violation { event: u64 },
}

impl Marker {
    /// Where a click on the marker goes: its moment, and for a violation its event.
    fn action(&self) -> Action {
        match self.kind {
            MarkerKind::Fault => Action::Seek(self.at),
            MarkerKind::Violation { event } => Action::GoTo { at: self.at, event: Some(event) },
        }
    }

    fn words(&self) -> String {
        match self.kind {
            MarkerKind::Fault => format!("{} at {}", self.what, format_time(self.at)),
            MarkerKind::Violation { event } => {
                format!("{} violated at {} (event #{event})", self.what, format_time(self.at))
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub playing: bool,
    pub now: Micros,
    pub end: Micros,
    pub speed: usize,
    /// Sorted by time.
    pub markers: Vec<Marker>,
    pub pace: Pace,
    /// A seek or replay still on its way to this time.
    pub seeking: Option<Micros>,
    pub dispatch: Callback<Action>,
}

/// A round step for at most seven ticks (0 and six more) over `span`.
fn tick_step(span: Micros) -> Micros {
    const STEPS_MS: [Micros; 22] = [
        1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000,
        600_000, 1_200_000, 1_800_000, 3_600_000,
    ];
    STEPS_MS.iter().map(|ms| ms * MICROS_PER_MS).find(|&step| span / step <= 6).unwrap_or(3_600_000 * MICROS_PER_MS)
}

/// Markers closer than this share of the timeline share one button (a button is about 2 % of
/// a 700 px track wide).
const CLUSTER_PERCENT: f64 = 2.5;

/// Markers grouped so no two buttons overlap: each group spans less than
/// [`CLUSTER_PERCENT`] from its first marker.
fn clusters(markers: &[Marker], end: Micros) -> Vec<Vec<&Marker>> {
    let mut groups: Vec<Vec<&Marker>> = Vec::new();
    for marker in markers {
        match groups.last_mut() {
            Some(group) if percent(marker.at, end) - percent(group[0].at, end) < CLUSTER_PERCENT => group.push(marker),
            _ => groups.push(vec![marker]),
        }
    }
    groups
}

fn percent(at: Micros, end: Micros) -> f64 {
    (100.0 * at as f64 / end.max(1) as f64).clamp(0.0, 100.0)
}

#[function_component]
pub fn Timeline(props: &TimelineProps) -> Html {
    let d = &props.dispatch;
    let toggle = d.reform(|_: MouseEvent| Action::TogglePlay);
    let step = d.reform(|_: MouseEvent| Action::Step);
    let reset = d.reform(|_: MouseEvent| Action::Reset);
    let scrub = d.reform(|e: InputEvent| {
        let input: HtmlInputElement = e.target_unchecked_into();
        Action::Seek(input.value().parse::<f64>().map_or(0, |ms| (ms * 1000.0) as Micros))
    });
    let speed = d.reform(|e: InputEvent| {
        let input: HtmlInputElement = e.target_unchecked_into();
        Action::Speed(input.value().parse().unwrap_or(0))
    });
    let now = props.now;
    let previous = props.markers.iter().rev().find(|m| m.at < now).cloned();
    let next = props.markers.iter().find(|m| m.at > now).cloned();
    let first_violation = props.markers.iter().find(|m| matches!(m.kind, MarkerKind::Violation { .. })).cloned();
    let jump = |marker: &Option<Marker>| marker.clone().map(|m| d.reform(move |_: MouseEvent| m.action()));
    let end = props.end.max(1);
    let step_size = tick_step(end);
    let ticks = (0..=end / step_size).map(|i| {
        let at = i * step_size;
        let words = if at == 0 { "0".to_string() } else { format_duration(at) };
        html! { <span class="tick" style={format!("left: {:.2}%", percent(at, end))}>{ words }</span> }
    });
    let markers = clusters(&props.markers, end).into_iter().map(|cluster| {
        // A cluster goes to its first violation, or else to its first marker.
        let target = cluster
            .iter()
            .find(|m| matches!(m.kind, MarkerKind::Violation { .. }))
            .or(cluster.first())
            .copied()
            .cloned()
            .unwrap_or(Marker { at: 0, kind: MarkerKind::Fault, what: String::new() });
        let (class, symbol) = match target.kind {
            MarkerKind::Fault => ("marker-fault", "▲"),
            MarkerKind::Violation { .. } => ("marker-violation", "●"),
        };
        let onclick = {
            let action = target.action();
            d.reform(move |_: MouseEvent| action.clone())
        };
        let mut words = target.words();
        for other in cluster.iter().filter(|m| **m != &target) {
            words.push_str("; ");
            words.push_str(&other.words());
        }
        // Drawn where its cluster starts, so clusters stay apart.
        let anchor = cluster.first().map_or(target.at, |m| m.at);
        html! {
            <button class={classes!("marker", class)} style={format!("left: {:.2}%", percent(anchor, end))}
                data-at={target.at.to_string()} onclick={onclick} title={words.clone()} aria-label={words}>{ symbol }</button>
        }
    });
    html! {
        <section class="panel timebar" aria-label="Timeline and playback">
            <div class="transport">
                <button class="primary" id="play" onclick={toggle} aria-pressed={props.playing.to_string()} title="Play or pause (Space)">
                    { if props.playing { "❚❚ Pause" } else { "▶ Play" } }
                </button>
                <button id="step" onclick={step} title="Jump to the next event (→)">{ "Step ▸|" }</button>
                <button id="reset" onclick={reset} title="Back to time zero (R)">{ "Reset" }</button>
                <span class="marker-nav" role="group" aria-label="Jump between markers">
                    <button id="prev-marker" onclick={jump(&previous)} disabled={previous.is_none()} aria-label="Previous marker"
                        title={previous.as_ref().map_or("No marker before now".into(), |m| format!("Back to {}", m.words()))}>{ "◂ Marker" }</button>
                    <button id="next-marker" onclick={jump(&next)} disabled={next.is_none()} aria-label="Next marker"
                        title={next.as_ref().map_or("No marker after now".into(), |m| format!("On to {}", m.words()))}>{ "Marker ▸" }</button>
                    <button id="first-violation" class="danger" onclick={jump(&first_violation)} disabled={first_violation.is_none()}
                        title={first_violation.as_ref().map_or("No guarantee has broken yet".into(), Marker::words)}>{ "First violation" }</button>
                </span>
                <label class="speed">{ "Speed " }
                    <input type="range" min="0" max={(SPEEDS.len() - 1).to_string()} value={props.speed.to_string()} oninput={speed}
                        aria-valuetext={SPEEDS[props.speed].1} />
                    <span>{ SPEEDS[props.speed].1 }</span>
                </label>
                <output id="clock" aria-label="Virtual time">{ format_time(now) }</output>
                { pace_note(props) }
            </div>
            <div class="track">
                <div class="markers">{ for markers }</div>
                <label class="scrubber">
                    <span class="visually-hidden">{ "Timeline: seek to any moment" }</span>
                    <input id="scrubber" type="range" min="0" max={format!("{:.3}", end as f64 / 1000.0)} step="0.001"
                        value={format!("{:.3}", now as f64 / 1000.0)} oninput={scrub} aria-valuetext={format_time(now)} />
                </label>
                <div class="ticks" aria-hidden="true">{ for ticks }</div>
            </div>
        </section>
    }
}

/// Says when the simulation falls behind the chosen speed (a storm of events takes more than
/// a frame's budget), or is still replaying to a moment.
fn pace_note(props: &TimelineProps) -> Html {
    let text = match (props.seeking, props.pace.ratio) {
        (Some(to), _) => format!("replaying to {}…", format_time(to)),
        (None, Some(ratio)) if props.playing && ratio < 0.95 => format!(
            "running at {ratio:.2}× the chosen speed: {} events per simulated second",
            group_digits(props.pace.events_per_sim_second)
        ),
        _ => return html! {},
    };
    html! { <span id="pace" class="pace" role="status">{ text }</span> }
}

/// 40000 as "40,000".
fn group_digits(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
