//! A guided tour's panel: the step's title and story, what to look at, Back and Next. Going to
//! a step loads its scenario at its moment; a student who plays on or changes something has
//! taken control, and one click brings the step back.

use playground_core::scenario::Scenario;
use playground_core::tour::{self, Focus, Tour};
use yew::prelude::*;

use crate::dom;

#[derive(Properties, PartialEq)]
pub struct TourPanelProps {
    pub tour: &'static str,
    pub step: usize,
    /// The run shows the step as the tour set it up.
    pub at_step: bool,
    /// The page's current run, for the "leave the tour" link.
    pub current: String,
    pub compact: bool,
    /// Go to step n (again, to return to it).
    pub on_go: Callback<usize>,
}

/// The step's scenario, if the tour and step exist.
pub fn step_scenario(tour: &'static str, step: usize) -> Option<Scenario> {
    let tour = tour::find(tour)?;
    tour.steps.get(step)?.scenario(tour.lab).ok()
}

/// Whether `run` (its scenario, at `now`, heading to `target`) is the step's scenario at its
/// moment.
pub fn shows_step(step: &Scenario, run: &Scenario, target: Option<u64>) -> bool {
    let same = step.lab == run.lab && step.seed == run.seed && step.params == run.params && step.faults == run.faults;
    same && (run.at == step.at || target == Some(step.at))
}

/// The address of step n, as the page's URL shows it.
pub fn step_query(tour: &Tour, step: usize, embed: bool) -> String {
    format!("?tour={}&step={}{}", tour.id, step + 1, if embed { "&embed=1" } else { "" })
}

/// N goes to the next step and B back, as the buttons do (not while typing in a field).
#[hook]
fn use_tour_keys(index: usize, count: usize, on_go: Callback<usize>) {
    use wasm_bindgen::JsCast;
    use_effect_with(index, move |&index| {
        super::keys::listen_for_keys(move |event: web_sys::KeyboardEvent| {
            let in_field = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
            if in_field || event.ctrl_key() || event.meta_key() || event.alt_key() {
                return;
            }
            match event.key().as_str() {
                "n" | "N" if index + 1 < count => on_go.emit(index + 1),
                "b" | "B" if index > 0 => on_go.emit(index - 1),
                _ => {}
            }
        })
    });
}

/// Where the page draws each part of the view a step can point at.
fn focus_selector(focus: Focus) -> &'static str {
    match focus {
        Focus::Canvas => "main.lab .canvases",
        Focus::Timeline => "main.lab .timebar",
        Focus::Guarantees => "main.lab .invariants",
        Focus::Knobs => "main.lab .knobs",
        Focus::Panel => "main.lab .lab-panels > *, main.lab .stage-panel",
        Focus::Metrics => "main.lab .metrics",
        Focus::Log => "main.lab .log",
    }
}

/// Once a step is shown, brings the part it points at on screen if it is not (the tour's own
/// panel stays in view: it is sticky).
#[hook]
fn use_scroll_to_focus(index: usize, at_step: bool, focus: Option<Focus>) {
    use_effect_with((index, at_step), move |&(_, at_step)| {
        // The timeline is sticky, always on screen.
        let target = focus.filter(|f| at_step && *f != Focus::Timeline).and_then(|focus| {
            let window = dom::window()?;
            let element = window.document()?.query_selector(focus_selector(focus)).ok()??;
            let rect = element.get_bounding_client_rect();
            let height = window.inner_height().ok()?.as_f64()?;
            // Left alone when its top is already in the upper three quarters of the window.
            (rect.top() < 0.0 || rect.top() > 0.75 * height).then_some(element)
        });
        if let Some(element) = target {
            element.scroll_into_view();
        }
    });
}

#[function_component]
pub fn TourPanel(props: &TourPanelProps) -> Html {
    let found = tour::find(props.tour);
    let (index, count) = found.map_or((0, 0), |t| (t.step(props.step).0, t.steps.len()));
    use_tour_keys(index, count, props.on_go.clone());
    use_scroll_to_focus(index, props.at_step, found.map(|t| t.step(props.step).1.focus));
    let Some(tour) = found else { return html! {} };
    let step = tour.step(props.step).1;
    let go = |to: usize| props.on_go.reform(move |_: MouseEvent| to);
    // Back, Next and the way back to the step stay in place, disabled when they do nothing,
    // so keyboard focus is never dropped on the floor.
    let back = html! {
        <button class="tour-back" onclick={go(index.saturating_sub(1))} disabled={index == 0}>{ "← Back" }</button>
    };
    let next = html! {
        <button class="tour-next" onclick={go(index + 1)} disabled={index + 1 >= count}>{ "Next →" }</button>
    };
    let back_to_step = format!("Back to step {}", index + 1);
    let leave = format!("{}?s={}", dom::base_url(), props.current);
    let dots = (0..count).map(|i| {
        let label = format!("Step {}: {}", i + 1, tour.steps[i].title);
        let current = (i == index).then_some("step");
        html! { <button class={classes!("tour-dot", (i == index).then_some("current"))} aria-label={label.clone()} title={label}
            aria-current={current} onclick={go(i)}></button> }
    });
    if props.compact {
        // Embedded: one line for where and the buttons, then the story.
        return html! {
            <section class="tour compact" aria-label={format!("Guided tour: {}", tour.title)} data-step={(index + 1).to_string()}>
                <div class="tour-head">
                    <span class="tour-count">{ format!("{}/{count}", index + 1) }</span>
                    <strong class="tour-title" role="status" aria-live="polite">{ step.title }</strong>
                    <span class="tour-buttons">
                        { back.clone() }
                        <button class="tour-return" onclick={go(index)} disabled={props.at_step}
                            aria-label={back_to_step.clone()} title={back_to_step.clone()}>{ "↺" }</button>
                        { next.clone() }
                    </span>
                </div>
                <p class="tour-text">{ step.text }</p>
            </section>
        };
    }
    html! {
        <section class={classes!("panel", "tour")} aria-labelledby="tour-h" data-step={(index + 1).to_string()}>
            <h2 id="tour-h">
                <span class="tour-name">{ tour.title }</span>
                <span class="tour-count">{ format!(" · step {} of {count}", index + 1) }</span>
            </h2>
            <div role="status" aria-live="polite">
                <h3 class="tour-title">{ step.title }</h3>
                <p class="tour-text">{ step.text }</p>
            </div>
            <div class="tour-nav">
                { back }
                <span class="tour-dots" role="group" aria-label="Tour steps">{ for dots }</span>
                { next }
                <button class="tour-return" onclick={go(index)} disabled={props.at_step}>{ format!("↺ {back_to_step}") }</button>
                if props.at_step {
                    <span class="help">{ format!("Look at {}. Play, change anything: the tour waits. Keys: N next, B back.", step.focus.words()) }</span>
                }
                <a class="tour-leave" href={leave}>{ "Leave the tour" }</a>
            </div>
        </section>
    }
}
