//! Authoring mode for instructors: the run on screen becomes an exercise's start; pick a goal
//! from the lab's own guarantees and counters, set the limits, check that the start alone does
//! not already meet the goal (run to the deadline a slice per frame, with its progress), and copy the exercise's link or its iframe snippet.

use std::rc::Rc;

use playground_core::exercise::{Exercise, Goal, Grading, Limits, Status};
use playground_core::lab::ParamSpec;
use playground_core::scenario::Scenario;
use playground_core::time::{format_time, parse_duration};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::sliced::{self, Pending};
use crate::dom;

/// The kinds of action a student may be allowed to add.
const ACTIONS: &[&str] = &["crash", "restart", "pause", "partition", "heal", "cut", "slow", "join", "leave", "do"];

/// What checking the start found: a start that already meets the goal gives students nothing
/// to do, and a guarantee nothing judges by the deadline cannot be kept by anyone.
fn check_words(status: Status, unjudged: Option<String>) -> String {
    match (status, unjudged) {
        (_, Some(why)) => format!(
            "No student can meet this goal: the guarantee is not judged by the deadline ({why}). Move the deadline later."
        ),
        (Status::Met { at, .. }, None) => format!(
            "The start alone meets the goal at {}: students would have nothing to do. Change the start or the goal.",
            format_time(at)
        ),
        (Status::Missed { why, .. }, None) => format!("Good: the start alone misses the goal ({why})."),
        (Status::Open, None) => "The start leaves the goal open at the deadline.".to_string(),
    }
}

#[derive(Properties, PartialEq)]
pub struct AuthorProps {
    /// The run on screen: the exercise starts from it (at zero, with its faults as its own).
    pub scenario: Scenario,
    pub guarantees: Rc<Vec<&'static str>>,
    pub counters: Rc<Vec<&'static str>>,
    /// Message kinds sent so far, then every event kind.
    pub events: Rc<Vec<&'static str>>,
    pub specs: &'static [ParamSpec],
    pub title: &'static str,
}

#[derive(Clone, PartialEq)]
struct Draft {
    title: String,
    text: String,
    kind: String,
    target: String,
    value: String,
    deadline: String,
    knobs: Vec<String>,
    actions: Vec<String>,
    max_actions: String,
}

impl Draft {
    /// The exercise, or what is missing. `target` is what the goal is about, as the page
    /// lists it now.
    fn exercise(&self, start: &Scenario, target: &str) -> Result<Exercise, String> {
        let deadline = parse_duration(&self.deadline).map_err(|e| format!("the deadline: {e}"))?;
        if deadline == 0 {
            return Err("the deadline must be after the start".into());
        }
        let value = || self.value.trim().parse::<u64>().map_err(|_| format!("“{}” is not a whole number", self.value));
        let target = target.to_string();
        if target.is_empty() {
            return Err("pick what the goal is about".into());
        }
        let goal = match self.kind.as_str() {
            "break" => Goal::Break { guarantee: target },
            "hold" => Goal::Hold { guarantee: target },
            "reach" => Goal::Reach { counter: target, value: value()? },
            "happen" => Goal::Happen { event: target, value: value()? },
            _ => Goal::StayUnder { counter: target, value: value()? },
        };
        let max_actions =
            self.max_actions.trim().parse::<u32>().map_err(|_| "the most actions must be a whole number")?;
        let title =
            if self.title.trim().is_empty() { "An exercise".to_string() } else { self.title.trim().to_string() };
        let exercise = Exercise {
            title,
            text: self.text.trim().to_string(),
            start: Scenario { at: 0, ..start.clone() },
            goal,
            limits: Limits { deadline, knobs: self.knobs.clone(), actions: self.actions.clone(), max_actions },
        };
        // What a student will open must read back: the same checks as a link from outside.
        Exercise::decode(&exercise.encode()).map_err(|e| e.to_string())
    }
}

fn toggle(list: &[String], item: &str) -> Vec<String> {
    let mut list = list.to_vec();
    match list.iter().position(|x| x == item) {
        Some(i) => {
            list.remove(i);
        }
        None => list.push(item.to_string()),
    }
    list
}

#[function_component]
pub fn Author(props: &AuthorProps) -> Html {
    let draft = use_state(|| Draft {
        title: String::new(),
        text: String::new(),
        kind: "break".into(),
        target: props.guarantees.first().map_or_else(String::new, |g| g.to_string()),
        value: "1".into(),
        deadline: "10s".into(),
        knobs: Vec::new(),
        actions: Vec::new(),
        max_actions: "0".into(),
    });
    // The result of checking the start against the goal: (the draft checked, what it said).
    let checked = use_state(|| None::<(Draft, String)>);
    // While the start is being checked, how far it has run; the next slice waits in `pending`.
    let checking = use_state(|| None::<f64>);
    let pending: Pending = use_mut_ref(|| None);
    {
        // A check belongs to one draft and one start: a change to either stops it and
        // forgets what it said.
        let (checked, checking, pending) = (checked.clone(), checking.clone(), pending.clone());
        use_effect_with(((*draft).clone(), props.scenario.clone()), move |_| {
            sliced::cancel(&pending);
            checking.set(None);
            checked.set(None);
        });
    }
    let edit = |change: fn(&mut Draft, String)| {
        let draft = draft.clone();
        Callback::from(move |value: String| {
            let mut next = (*draft).clone();
            change(&mut next, value);
            draft.set(next);
        })
    };
    let input = |change: fn(&mut Draft, String)| {
        let edit = edit(change);
        Callback::from(move |e: InputEvent| edit.emit(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let select = |change: fn(&mut Draft, String)| {
        let edit = edit(change);
        Callback::from(move |e: Event| edit.emit(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_text = {
        let edit = edit(|d, v| d.text = v);
        Callback::from(move |e: InputEvent| edit.emit(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let on_kind = {
        let (draft, guarantees, counters, events) =
            (draft.clone(), props.guarantees.clone(), props.counters.clone(), props.events.clone());
        Callback::from(move |e: Event| {
            let mut next = (*draft).clone();
            next.kind = e.target_unchecked_into::<HtmlSelectElement>().value();
            let list = match next.kind.as_str() {
                "break" | "hold" => &guarantees,
                "happen" => &events,
                _ => &counters,
            };
            next.target = list.first().map_or_else(String::new, |t| t.to_string());
            draft.set(next);
        })
    };
    let about_guarantee = matches!(draft.kind.as_str(), "break" | "hold");
    let about_event = draft.kind == "happen";
    let targets = match (about_guarantee, about_event) {
        (true, _) => &props.guarantees,
        (_, true) => &props.events,
        _ => &props.counters,
    };
    // The choice in the list, or its first entry when the list changed under it (a preset, a
    // knob, a new kind of message): what the select shows is what the link holds.
    let target = targets.iter().find(|t| **t == draft.target).or(targets.first()).copied().unwrap_or_default();
    let target_options = targets.iter().map(|t| html! { <option value={*t} selected={target == *t}>{ *t }</option> });
    // A checkbox per knob and per kind of action, each toggling its name in the draft's list.
    let checkbox = |id: String, name: &'static str, checked: bool, list: fn(&mut Draft) -> &mut Vec<String>| {
        let onchange = {
            let draft = draft.clone();
            Callback::from(move |_: Event| {
                let mut next = (*draft).clone();
                let toggled = toggle(list(&mut next), name);
                *list(&mut next) = toggled;
                draft.set(next);
            })
        };
        html! { <label class="check"><input type="checkbox" id={id} checked={checked} onchange={onchange} />{ name }</label> }
    };
    let knob_boxes: Vec<Html> = props
        .specs
        .iter()
        .map(|spec| {
            let on = draft.knobs.iter().any(|k| k == spec.key);
            checkbox(format!("author-knob-{}", spec.key), spec.key, on, |d| &mut d.knobs)
        })
        .collect();
    let action_boxes: Vec<Html> = ACTIONS
        .iter()
        .map(|&kind| {
            let on = draft.actions.iter().any(|a| a == kind);
            checkbox(format!("author-action-{kind}"), kind, on, |d| &mut d.actions)
        })
        .collect();
    let result = draft.exercise(&props.scenario, target);
    let output = match &result {
        Err(why) => html! { <p class="author-error" role="status">{ format!("Not ready: {why}.") }</p> },
        Ok(exercise) => {
            let link = format!("{}?x={}", dom::base_url(), exercise.encode());
            let snippet = format!(
                "<iframe src=\"{link}&embed=1\" width=\"720\" height=\"460\" title=\"{}: {}\" loading=\"lazy\"></iframe>",
                props.title,
                exercise.title.replace('"', "&quot;")
            );
            let copy = |text: String| {
                Callback::from(move |_: MouseEvent| {
                    dom::copy(&text);
                })
            };
            // Grading runs a slice at a time; `checking` is its progress while it runs.
            let check = {
                let (checked, checking, pending) = (checked.clone(), checking.clone(), pending.clone());
                let (draft, exercise) = ((*draft).clone(), exercise.clone());
                Callback::from(move |_: MouseEvent| {
                    let grading = match exercise.start_grading(&exercise.start) {
                        Ok(grading) => grading,
                        Err(e) => {
                            return checked.set(Some((draft.clone(), format!("The start cannot be graded: {e}."))))
                        }
                    };
                    checking.set(Some(0.0));
                    let (shown, done, checked, draft) =
                        (checking.clone(), checking.clone(), checked.clone(), draft.clone());
                    // The job: the grading, and its status once decided.
                    let advance = |(grading, status): &mut (Grading, Option<Status>)| {
                        *status = grading.advance(20);
                        status.is_some()
                    };
                    let finished = move |(grading, status): (Grading, Option<Status>)| {
                        done.set(None);
                        checked.set(status.map(|s| (draft, check_words(s, grading.unjudged()))));
                    };
                    let show = move |(grading, _): &(Grading, Option<Status>)| shown.set(Some(grading.progress()));
                    sliced::run(&pending, (grading, None), advance, show, finished);
                })
            };
            let stop = {
                let (checking, pending) = (checking.clone(), pending.clone());
                Callback::from(move |_: MouseEvent| {
                    sliced::cancel(&pending);
                    checking.set(None);
                })
            };
            let verdict = checked.as_ref().filter(|(d, _)| d == &*draft).map(|(_, said)| said.clone());
            html! {
                <div class="author-output">
                    <p class="goal"><strong>{ "Goal: " }</strong>{ exercise.goal.words(exercise.limits.deadline) }</p>
                    <label>{ "Exercise link " }<input id="author-link" readonly=true value={link.clone()} /></label>
                    <label>{ "Iframe " }<textarea id="author-snippet" readonly=true rows="2" value={snippet.clone()} /></label>
                    <div class="author-buttons">
                        <button onclick={copy(link.clone())}>{ "Copy link" }</button>
                        <button onclick={copy(snippet)}>{ "Copy iframe" }</button>
                        <button id="author-check" onclick={check} disabled={checking.is_some()}>{ "Check the start against the goal" }</button>
                        <a href={link} target="_blank" rel="noopener">{ "Try it ↗" }</a>
                    </div>
                    if let Some(fraction) = *checking {
                        <p><sliced::Progress label="Checking the start" text={format!("Running the start to the deadline: {:.0} %", fraction * 100.0)}
                            {fraction} cancel_id="author-check-cancel" on_cancel={stop} /></p>
                    } else if let Some(said) = verdict { <p id="author-verdict" role="status">{ said }</p> }
                </div>
            }
        }
    };
    html! {
        <details class="panel author">
            <summary>{ "Make an exercise from this run (for instructors)" }</summary>
            <p class="help">{ format!("The exercise starts from this run at 0 s: seed {}, its knobs and its {} scripted actions, which students must keep.",
                props.scenario.seed, props.scenario.faults.len()) }</p>
            <div class="author-grid">
                <label>{ "Title " }<input id="author-title" value={draft.title.clone()} oninput={input(|d, v| d.title = v)} maxlength="200" /></label>
                <label>{ "Task, in two or three sentences " }<textarea id="author-text" rows="2" value={draft.text.clone()} oninput={on_text} maxlength="2000" /></label>
                <label>{ "Goal " }
                    <select id="author-kind" onchange={on_kind}>
                        <option value="break" selected={draft.kind == "break"}>{ "break a guarantee" }</option>
                        <option value="hold" selected={draft.kind == "hold"}>{ "keep a guarantee holding" }</option>
                        <option value="reach" selected={draft.kind == "reach"}>{ "make a counter reach" }</option>
                        <option value="under" selected={draft.kind == "under"}>{ "keep a counter at or under" }</option>
                        <option value="happen" selected={draft.kind == "happen"}>{ "make a message or event happen" }</option>
                    </select>
                </label>
                <label>{ match (about_guarantee, about_event) { (true, _) => "Guarantee ", (_, true) => "Message or event ", _ => "Counter " } }
                    <select id="author-target" onchange={select(|d, v| d.target = v)}>{ for target_options }</select>
                </label>
                if !about_guarantee {
                    <label>{ if about_event { "At least this many times " } else { "Value " } }<input id="author-value" inputmode="numeric" value={draft.value.clone()} oninput={input(|d, v| d.value = v)} /></label>
                }
                <label>{ "Deadline " }<input id="author-deadline" value={draft.deadline.clone()} oninput={input(|d, v| d.deadline = v)} placeholder="10s" /></label>
                <label>{ "Most actions a student may add " }<input id="author-max" inputmode="numeric" value={draft.max_actions.clone()} oninput={input(|d, v| d.max_actions = v)} /></label>
            </div>
            <fieldset class="author-boxes"><legend>{ "Knobs students may change" }</legend>{ for knob_boxes }</fieldset>
            <fieldset class="author-boxes"><legend>{ "Actions students may add" }</legend>{ for action_boxes }</fieldset>
            { output }
        </details>
    }
}
