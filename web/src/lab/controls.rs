//! The run's tools below the timeline: seed, fork, the manual scheduler, share and embed,
//! and the run's figures (events, queue, digest).

use playground_core::fault::FaultAction;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::state::Action;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub seed: u64,
    pub forked: bool,
    pub events: u64,
    pub pending: usize,
    pub digest: u64,
    /// The manual scheduler holds messages.
    pub manual: bool,
    pub dispatch: Callback<Action>,
    pub on_share: Callback<()>,
    pub on_embed: Callback<()>,
}

#[function_component]
pub fn Controls(props: &ControlsProps) -> Html {
    let d = &props.dispatch;
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
        <section class="panel controls" aria-label="Run tools">
                <div class="run-tools">
                    <label>{ "Seed " }<input id="seed" type="number" min="0" value={props.seed.to_string()} onchange={seed} /></label>
                    <button id="fork" onclick={fork} title="Branch from here and compare (F)">
                        { if props.forked { "Close branch" } else { "Fork from here" } }
                    </button>
                    <button id="scheduler" aria-pressed={props.manual.to_string()} onclick={toggle_scheduler}
                        title="Hold every message until you deliver it (the power of an adversary that schedules the network)">
                        { if props.manual { "Release: network delivers" } else { "Hold messages (manual scheduler)" } }
                    </button>
                    <button id="share" onclick={share} title="Copy a link to this exact moment (S)">{ "Share link" }</button>
                    <button id="embed" onclick={embed}>{ "Embed" }</button>
                    <span class="run-stats" title="Events so far, events queued, trace digest">
                        { format!("{} events · {} queued · digest {:016x}", props.events, props.pending, props.digest) }
                    </span>
                </div>
        </section>
    }
}
