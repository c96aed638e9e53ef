//! Transport controls: play, step, speed, reset, seed, the timeline scrubber, fork, and the
//! share and embed buttons.

use playground_core::fault::FaultAction;
use playground_core::time::{format_time, Micros};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::state::{Action, Pace, SPEEDS};

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub playing: bool,
    pub now: Micros,
    pub end: Micros,
    pub speed: usize,
    pub seed: u64,
    pub forked: bool,
    pub embed: bool,
    pub events: u64,
    pub pending: usize,
    pub digest: u64,
    /// The manual scheduler holds messages.
    pub manual: bool,
    /// How the simulation keeps up with the chosen speed.
    pub pace: Pace,
    /// A seek or replay still on its way to this time.
    pub seeking: Option<Micros>,
    pub dispatch: Callback<Action>,
    pub on_share: Callback<()>,
    pub on_embed: Callback<()>,
}

#[function_component]
pub fn Controls(props: &ControlsProps) -> Html {
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
    let seed = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            match input.value().trim().parse::<u64>() {
                Ok(seed) => d.emit(Action::Seed(seed)),
                Err(_) => {
                    d.emit(Action::Notice(Some(format!("The seed must be a whole number, not “{}”.", input.value()))))
                }
            }
        })
    };
    let fork =
        if props.forked { d.reform(|_: MouseEvent| Action::DropFork) } else { d.reform(|_: MouseEvent| Action::Fork) };
    let share = props.on_share.reform(|_: MouseEvent| ());
    let manual = props.manual;
    let toggle_scheduler = d.reform(move |_: MouseEvent| Action::Inject(FaultAction::Scheduler { manual: !manual }));
    let embed = props.on_embed.reform(|_: MouseEvent| ());
    html! {
        <section class="panel controls" aria-label="Playback controls">
            <div class="transport">
                <button class="primary" id="play" onclick={toggle} aria-pressed={props.playing.to_string()} title="Play or pause (Space)">
                    { if props.playing { "❚❚ Pause" } else { "▶ Play" } }
                </button>
                <button id="step" onclick={step} title="Jump to the next event (→)">{ "Step ▸|" }</button>
                <button id="reset" onclick={reset} title="Back to time zero (R)">{ "Reset" }</button>
                <label class="speed">{ "Speed " }
                    <input type="range" min="0" max={(SPEEDS.len() - 1).to_string()} value={props.speed.to_string()} oninput={speed}
                        aria-valuetext={SPEEDS[props.speed].1} />
                    <span>{ SPEEDS[props.speed].1 }</span>
                </label>
                <output id="clock" aria-label="Virtual time">{ format_time(props.now) }</output>
                { pace_note(props) }
            </div>
            <label class="scrubber">
                <span class="visually-hidden">{ "Timeline: seek to any moment" }</span>
                <input id="scrubber" type="range" min="0" max={format!("{:.3}", props.end as f64 / 1000.0)} step="0.001"
                    value={format!("{:.3}", props.now as f64 / 1000.0)} oninput={scrub} aria-valuetext={format_time(props.now)} />
            </label>
            if !props.embed {
                <div class="run-tools">
                    <label>{ "Seed " }<input id="seed" type="number" min="0" value={props.seed.to_string()} onchange={seed} /></label>
                    <button id="fork" onclick={fork} title="Branch from here and compare (F)">
                        { if props.forked { "Close branch" } else { "Fork from here" } }
                    </button>
                    <button id="scheduler" aria-pressed={props.manual.to_string()} onclick={toggle_scheduler}
                        title="Hold every message until you deliver it (the FLP adversary's power)">
                        { if props.manual { "Release: network delivers" } else { "Hold messages (manual scheduler)" } }
                    </button>
                    <button id="share" onclick={share} title="Copy a link to this exact moment (S)">{ "Share link" }</button>
                    <button id="embed" onclick={embed}>{ "Embed" }</button>
                    <span class="run-stats" title="Events so far, events queued, trace digest">
                        { format!("{} events · {} queued · digest {:016x}", props.events, props.pending, props.digest) }
                    </span>
                </div>
            }
        </section>
    }
}

/// Says when the simulation falls behind the chosen speed (a storm of events takes more than
/// a frame's budget), or is still replaying to a moment.
fn pace_note(props: &ControlsProps) -> Html {
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
