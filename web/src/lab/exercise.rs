//! The exercise panel: the task, its goal and limits, and the goal's status, checked by core on
//! the run as it goes. Reaching the goal shows the moment and event that met it and the run's
//! share link as proof; progress is kept in this browser (localStorage), with a reset.

use std::rc::Rc;

use playground_core::exercise::{Exercise, Status};
use playground_core::time::format_time;
use yew::prelude::*;

use super::state::Action;
use crate::dom;

#[derive(Properties, PartialEq)]
pub struct ExerciseProps {
    pub exercise: Rc<Exercise>,
    pub status: Status,
    /// Whether the run stays within the limits, and if not why.
    pub within: Result<(), String>,
    /// The run's share link: the proof a student hands in.
    pub proof: String,
    /// Embedded: the title, the goal, the limits and the status, in a few lines.
    pub compact: bool,
    pub dispatch: Callback<Action>,
}

/// The key this exercise's progress is kept under: its lab and title, so a reworded text or a
/// moved deadline keeps a student's progress.
fn progress_key(exercise: &Exercise) -> String {
    format!("playground.exercise.{}.{}", exercise.start.lab, exercise.title)
}

fn storage() -> Option<web_sys::Storage> {
    dom::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Whether this browser has seen the exercise solved.
pub fn solved_before(exercise: &Exercise) -> bool {
    storage().and_then(|s| s.get_item(&progress_key(exercise)).ok().flatten()).is_some()
}

#[function_component]
pub fn ExercisePanel(props: &ExerciseProps) -> Html {
    let exercise = &props.exercise;
    let solved = use_state(|| solved_before(exercise));
    let met = matches!(props.status, Status::Met { .. }) && props.within.is_ok();
    {
        let (exercise, solved) = (exercise.clone(), solved.clone());
        use_effect_with(met, move |met| {
            if *met {
                if let Some(storage) = storage() {
                    let _ = storage.set_item(&progress_key(&exercise), "met");
                }
                solved.set(true);
            }
        });
    }
    let forget = {
        let (exercise, solved) = (exercise.clone(), solved.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(storage) = storage() {
                let _ = storage.remove_item(&progress_key(&exercise));
            }
            solved.set(false);
        })
    };
    let start_over = {
        let start = exercise.start.clone();
        props.dispatch.reform(move |_: MouseEvent| Action::Load(start.clone()))
    };
    let go = |at, event| props.dispatch.reform(move |_: MouseEvent| Action::GoTo { at, event });
    let limits = &exercise.limits;
    let knobs = if limits.knobs.is_empty() { "none".to_string() } else { limits.knobs.join(", ") };
    let actions = if limits.actions.is_empty() {
        "none".to_string()
    } else {
        format!("{} (at most {})", limits.actions.join(", "), limits.max_actions)
    };
    let status = match (&props.within, &props.status) {
        (Err(why), _) => {
            html! { <p class="exercise-status outside">{ format!("Outside the exercise's limits: {why}.") }</p> }
        }
        (Ok(()), Status::Open) => {
            html! { <p class="exercise-status open">{ "Not yet: play, change what the limits allow, and watch." }</p> }
        }
        (Ok(()), Status::Met { at, event }) => html! {
            <div class="exercise-status met">
                <p><strong>{ "Goal met" }</strong>{ format!(" at {}", format_time(*at)) }
                    { for event.map(|e| format!(", by event {e}")) }{ "." }</p>
                <button id="exercise-moment" onclick={go(*at, *event)}>{ "Go to that moment" }</button>
                <label class="proof">{ "Your proof (the run's link): " }
                    <input id="exercise-proof" readonly=true value={props.proof.clone()} />
                </label>
            </div>
        },
        (Ok(()), Status::Missed { at, event, why }) => html! {
            <div class="exercise-status missed">
                <p><strong>{ "Missed" }</strong>{ format!(" at {}: {why}.", format_time(*at)) }</p>
                <button onclick={go(*at, *event)}>{ "Go to that moment" }</button>
                <button onclick={start_over}>{ "Start over" }</button>
            </div>
        },
    };
    if props.compact {
        return html! {
            <section class={classes!("exercise", "compact", met.then_some("is-met"))} aria-label={format!("Exercise: {}", exercise.title)}>
                <strong>{ exercise.title.clone() }</strong>{ " · " }{ exercise.goal.words(limits.deadline) }
                <span class="help">{ format!(" Knobs: {knobs}. Actions: {actions}.") }</span>
                <div role="status" aria-live="polite">{ status }</div>
            </section>
        };
    }
    html! {
        <section class="panel exercise" aria-labelledby="exercise-h">
            <h2 id="exercise-h">{ "Exercise: " }{ exercise.title.clone() }
                if *solved { <span class="solved">{ " · solved in this browser" }</span> }
            </h2>
            <p>{ exercise.text.clone() }</p>
            <p class="goal"><strong>{ "Goal: " }</strong>{ exercise.goal.words(limits.deadline) }</p>
            <p class="help">{ format!("Knobs you may change: {knobs}. Actions you may add: {actions}.") }</p>
            <div role="status" aria-live="polite">{ status }</div>
            if *solved {
                <button class="forget" onclick={forget}>{ "Reset my progress" }</button>
            }
        </section>
    }
}
