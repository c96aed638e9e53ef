//! The lab page: the same layout for every lab. Canvas, controls, knobs, guarantees,
//! metrics, the event log with its inspector, and the explain panel. In embed mode only the
//! canvas, the transport and the guarantees remain, with a link to the full playground.

use playground_core::sort;
use std::cell::Cell;
use std::rc::Rc;

use playground_core::fault::FaultAction;
use playground_core::lab::{self, Metrics};
use playground_core::runner::Runner;
use playground_core::scenario::Scenario;
use playground_core::sim::SimView;
use playground_core::time::{format_duration, Micros};
use playground_core::trace::{EventKind, NodeId};
use yew::prelude::*;

use super::canvas::{Canvas, DropMark};
use super::controls::Controls;
use super::keys::{use_lab_keys, HELP};
use super::knobs::Knobs;
use super::log::{EventLog, LOG_ROWS};
use super::panels::{MetricsPanel, Verdicts};
use super::probe::use_animation;
use super::state::{scrub_end, Action, LabState, SPEEDS};
use super::timeline::{Marker, MarkerKind, Timeline};
use super::tools::{ActionMenu, PartitionBar, ShareDialog};
use super::tour as tour_panel;
use crate::dom;

/// A lab page for one scenario.
#[derive(Properties, PartialEq)]
pub struct LabPageProps {
    pub scenario: Scenario,
    pub embed: bool,
    pub error: Option<String>,
    /// The exercise this page is for, checked live.
    #[prop_or_default]
    pub exercise: Option<Rc<playground_core::exercise::Exercise>>,
    /// The guided tour this page shows, and the step it opens at (from 0).
    #[prop_or_default]
    pub tour: Option<(&'static str, usize)>,
}

/// What one run looks like right now, ready to render.
struct Picture {
    view: Rc<SimView>,
    drops: Rc<Vec<DropMark>>,
    metrics: Rc<Metrics>,
    verdicts: Rc<Vec<playground_core::invariant::Verdict>>,
}

fn picture(runner: &Runner, mark_span: Micros) -> Picture {
    let run = runner.run();
    let now = run.now();
    let drops = run
        .trace()
        .window()
        .rev()
        .take_while(|e| e.at + mark_span >= now)
        .filter_map(|e| match e.kind {
            EventKind::Drop { from, to, reason, .. } => Some(DropMark { at: e.at, from, to, reason }),
            _ => None,
        })
        .collect();
    Picture {
        view: Rc::new(run.view()),
        drops: Rc::new(drops),
        metrics: Rc::new(run.metrics()),
        verdicts: Rc::new(run.verdicts().to_vec()),
    }
}

fn comparison(original: &Picture, branch: &Picture) -> Html {
    let count = |p: &Picture, name: &str| p.metrics.counter(name).unwrap_or(0).to_string();
    let p50 =
        |p: &Picture| p.metrics.histogram("request latency").map_or("-".into(), |h| format_duration(h.quantile(500)));
    let mut rows: Vec<(String, String, String)> = original
        .verdicts
        .iter()
        .zip(branch.verdicts.iter())
        .map(|(a, b)| {
            let word = |v: &playground_core::invariant::Verdict| {
                match (v.holds(), &v.pending) {
                    (false, _) => "VIOLATED",
                    (true, Some(_)) => "not judged yet",
                    (true, None) => "holds",
                }
                .to_string()
            };
            (a.name.to_string(), word(a), word(b))
        })
        .collect();
    for counter in original.metrics.counters.iter().take(6) {
        rows.push((counter.name.into(), count(original, counter.name), count(branch, counter.name)));
    }
    if original.metrics.histogram("request latency").is_some() {
        rows.push(("latency p50".into(), p50(original), p50(branch)));
    }
    html! {
        <table class="comparison" aria-label="Original run against the branch">
            <thead><tr><th>{ "" }</th><th>{ "original" }</th><th>{ "branch" }</th></tr></thead>
            <tbody>
                { for rows.into_iter().map(|(k, a, b)| {
                    let differs = a != b;
                    html! { <tr class={classes!(differs.then_some("differs"))}><th>{ k }</th><td>{ a }</td><td>{ b }</td></tr> }
                }) }
            </tbody>
        </table>
    }
}

/// Embedded, these parts of the view are behind Details.
fn needs_details(focus: playground_core::tour::Focus) -> bool {
    use playground_core::tour::Focus;
    matches!(focus, Focus::Panel | Focus::Metrics)
}

#[function_component]
pub fn LabPage(props: &LabPageProps) -> Html {
    let start_error = use_state(|| None::<String>);
    let state = {
        let scenario = props.scenario.clone();
        let start_error = start_error.clone();
        let limit = props.exercise.as_ref().map(|x| x.limits.deadline);
        use_reducer(move || match LabState::new(scenario.clone()) {
            Ok(state) => state.with_limit(limit),
            Err(e) => {
                start_error.set(Some(e));
                let fallback = Scenario::new(&scenario.lab, 1);
                // Else the first lab that starts, with its defaults.
                let first = lab::catalogue().iter().find(|i| i.start.is_some()).map_or("", |i| i.name);
                LabState::new(fallback)
                    .or_else(|_| LabState::new(Scenario::new(first, 1)))
                    .expect("the first lab's defaults always start")
            }
        })
    };
    // The same callback every frame, so a panel whose other props did not change is not
    // drawn again.
    let dispatch = state.dispatcher().to_callback();
    let share = use_state(|| None::<bool>);
    let busy = use_mut_ref(|| Rc::new(Cell::new(false)));
    let busy = (*busy.borrow()).clone();
    busy.set(state.busy());
    let playing = use_mut_ref(|| Rc::new(Cell::new(false)));
    let playing = (*playing.borrow()).clone();
    playing.set(state.playing);
    let probe_mode = crate::route::query_value(&dom::query(), "probe");
    let probe = probe_mode.is_some();
    let throughput = use_state(|| (probe_mode.as_deref() == Some("throughput")).then(super::probe::throughput));
    use_animation(dispatch.clone(), busy, playing, probe);

    // This lab's shipped exercises (title, link), built once per lab rather than every frame.
    let lab_name = state.runner.borrow().scenario().lab;
    let lab_exercises = use_memo(lab_name, |lab| {
        playground_core::exercise::catalogue::all()
            .into_iter()
            .filter(|(entry, _)| entry.lab == lab)
            .map(|(_, x)| (x.title.clone(), x.encode()))
            .collect::<Vec<_>>()
    });
    let runner = state.runner.borrow();
    let scenario = runner.scenario();
    let link = format!("{}?s={}", dom::base_url(), scenario.encode());
    let on_share = {
        let (share, link) = (share.clone(), link.clone());
        Callback::from(move |()| {
            dom::copy(&link);
            share.set(Some(false));
        })
    };
    let on_embed = {
        let share = share.clone();
        Callback::from(move |()| share.set(Some(true)))
    };
    use_lab_keys(dispatch.clone(), on_share.clone());

    // A guided tour: the step shown, its scenario, and going to a step.
    let tour_step = use_state(|| props.tour.map_or(0, |(_, step)| step));
    let tour_id = props.tour.map(|(id, _)| id);
    let step_scenario =
        use_memo((tour_id, *tour_step), |&(id, step)| id.and_then(|id| tour_panel::step_scenario(id, step)));
    let step_focus = tour_id.and_then(playground_core::tour::find).map(|t| t.step(*tour_step).1.focus);
    let on_go = {
        let (tour_step, dispatch, embed) = (tour_step.clone(), dispatch.clone(), props.embed);
        Callback::from(move |step: usize| {
            let Some(tour) = tour_id.and_then(playground_core::tour::find) else { return };
            let (step, at) = tour.step(step);
            if let Some(scenario) = tour_panel::step_scenario(tour.id, step) {
                dispatch.emit(Action::Load(scenario));
            }
            if embed {
                dispatch.emit(Action::ShowDetails(needs_details(at.focus)));
            }
            tour_step.set(step);
            dom::replace_query(&tour_panel::step_query(tour, step, embed));
        })
    };
    {
        // Embedded, a first step that points at a panel behind Details opens them.
        let (dispatch, embed) = (dispatch.clone(), props.embed);
        use_effect_with((), move |_| {
            if embed && step_focus.is_some_and(needs_details) {
                dispatch.emit(Action::ShowDetails(true));
            }
        });
    }

    let mark_span = SPEEDS[state.speed].0 * 1_200;
    let original = picture(&runner, mark_span);
    let branch = state.branch.as_ref().map(|b| picture(&b.borrow(), mark_span));
    let edited = state.edited().borrow();
    let edited_run = edited.run();
    let names = Rc::new(edited_run.names());
    let info = lab::find(&scenario.lab);
    // What an exercise's goal can be about: this run's guarantees and counters (the same from
    // frame to frame, so the authoring panel is not redrawn for nothing).
    let authoring = !props.embed && props.exercise.is_none() && tour_id.is_none();
    let names_now: (Vec<&'static str>, Vec<&'static str>, Vec<&'static str>) = if authoring {
        let metrics = &original.metrics;
        let counters = metrics.counters.iter().map(|c| c.name);
        let kinds = runner.run().trace().sent_kinds().iter().map(|(k, _)| *k);
        (
            original.verdicts.iter().map(|v| v.name).collect(),
            counters.chain(metrics.drops.iter().map(|(r, _)| r.counter_name())).collect(),
            kinds.chain(playground_core::trace::EventKind::NAMES).collect(),
        )
    } else {
        Default::default()
    };
    let goal_names = use_memo(names_now, |(g, c, e)| (Rc::new(g.clone()), Rc::new(c.clone()), Rc::new(e.clone())));
    let title = info.map_or("Lab", |i| i.title);
    let trace = edited_run.trace();
    let events = Rc::new(
        trace.window().rev().take(LOG_ROWS).map(|e| (e.clone(), edited_run.event_text(e, &names))).collect::<Vec<_>>(),
    );
    let selected =
        state.selected_event.and_then(|seq| trace.get(seq)).map(|e| Rc::new((e.clone(), edited_run.detail(e.seq))));
    let edited_view = branch.as_ref().map_or(&original.view, |b| &b.view);
    let statuses: Vec<_> = edited_view.nodes.iter().map(|n| n.status).collect();
    let picked: Vec<String> =
        state.partition_pick.iter().flatten().filter_map(|&id: &NodeId| names.get(usize::from(id)).cloned()).collect();

    let notices = [props.error.clone(), (*start_error).clone(), state.notice.clone(), state.stalled.clone()];
    let notices = notices.into_iter().flatten().map(|text| {
        let close = dispatch.reform(|_: MouseEvent| Action::Notice(None));
        html! { <div class="notice" role="alert"><span>{ text }</span><button onclick={close} aria-label="Dismiss">{ "✕" }</button></div> }
    });

    let ui = crate::labs::find(&scenario.lab);
    let ring = ui.is_some_and(|ui| ui.ring);
    // The lab's own parts, from its typed view: the registry knows which lab draws what.
    let parts = crate::labs::parts(
        edited_run.lab_view(),
        &crate::labs::PartsContext {
            names: names.clone(),
            now: edited_run.now(),
            embed: props.embed,
            generation: state.generation,
            dispatch: dispatch.clone(),
        },
    );
    let crate::labs::LabParts { stage, panel: lab_panel, history: timeline } = parts;
    let held = edited_run.held(40);
    let held_count = edited_run.held_count();
    let held_panel = (!held.is_empty()).then(|| {
        let rows = held.iter().map(|h| {
            let msg = h.msg;
            let onclick = dispatch.reform(move |_: MouseEvent| Action::Inject(FaultAction::Deliver(msg)));
            let from = names.get(usize::from(h.from)).cloned().unwrap_or_default();
            let to = names.get(usize::from(h.to)).cloned().unwrap_or_default();
            html! {
                <li>
                    <button data-deliver={msg.to_string()} onclick={onclick}>{ "Deliver" }</button>
                    { format!(" #{msg} {from} → {to} {} {}", h.kind, h.summary) }
                </li>
            }
        });
        html! {
            <section class="panel held-panel" aria-labelledby="held-h">
                <h2 id="held-h">{ format!("Held by the scheduler ({held_count})") }</h2>
                <p class="help">{ "Every message waits here until it is delivered: pick the one to deliver next." }</p>
                <ul>{ for rows }</ul>
            </section>
        }
    });
    let presets = info.filter(|i| !i.presets.is_empty()).map(|i| {
        let buttons = i.presets.iter().map(|p| {
            // Read when chosen, not every frame.
            let lab = i.name;
            let onclick = dispatch.reform(move |_: MouseEvent| match p.scenario(lab) {
                Ok(s) => Action::Load(s),
                Err(_) => Action::Notice(Some("This preset could not be read.".into())),
            });
            html! { <button class="preset" title={p.about} onclick={onclick}>{ p.name }</button> }
        });
        html! {
            <div class="presets" role="group" aria-label="Preset scenarios">
                <span>{ "Scenarios: " }</span>{ for buttons }
            </div>
        }
    });
    let canvases = if let Some(stage) = stage {
        stage
    } else {
        html! {
        <div class={classes!("canvases", branch.is_some().then_some("split"))}>
            <Canvas view={original.view.clone()} drops={original.drops.clone()} mark_span={mark_span}
                pick={if branch.is_none() { state.partition_pick.clone() } else { None }}
                menu={if branch.is_none() { state.menu } else { None }}
                title={if branch.is_some() { "Original run" } else { "Simulation: click a node or a link to break it" }} interactive={branch.is_none()} ring={ring} embedded={props.embed} dispatch={dispatch.clone()} />
            if let Some(b) = &branch {
                <Canvas view={b.view.clone()} drops={b.drops.clone()} mark_span={mark_span} pick={state.partition_pick.clone()}
                    menu={state.menu} title="Branch (your edits go here)" interactive=true ring={ring} embedded={props.embed} dispatch={dispatch.clone()} />
            }
        </div>
        }
    };
    let controls = html! {
        <Controls seed={scenario.seed} forked={branch.is_some()} events={trace.total()} pending={edited_run.pending()}
            digest={trace.digest()} manual={edited_run.manual()}
            dispatch={dispatch.clone()} on_share={on_share.clone()} on_embed={on_embed} />
    };
    // The edited run's scenario, read once for the markers, the exercise's limits and its proof.
    let edited_scenario = edited.scenario();
    let mut markers: Vec<Marker> = edited_scenario
        .faults
        .iter()
        .map(|f| Marker { at: f.at, kind: MarkerKind::Fault, what: f.action.to_string() })
        .chain(state.violations.iter().map(|&(at, event, name)| Marker {
            at,
            kind: MarkerKind::Violation { event },
            what: name.to_string(),
        }))
        .collect();
    sort::by_key(&mut markers, |m| m.at);
    // An exercise's timeline is its judged span.
    let end = state.limit.unwrap_or_else(|| scrub_end(&state, markers.last().map_or(0, |m| m.at)));
    let timebar = html! {
        <Timeline playing={state.playing} now={runner.now()} end={end} speed={state.speed} markers={markers}
            pace={state.pace} seeking={state.target} dispatch={dispatch.clone()} />
    };
    let exercise_panel = props.exercise.as_ref().map(|exercise| {
        let status = exercise.status(edited_run);
        let within = exercise.check(&edited_scenario);
        let proof = format!("{}?x={}&s={}", dom::base_url(), exercise.encode(), edited_scenario.encode());
        html! {
            <super::exercise::ExercisePanel exercise={exercise.clone()} status={status} within={within} proof={proof}
                compact={props.embed} dispatch={dispatch.clone()} />
        }
    });
    let at_step = step_scenario
        .as_ref()
        .as_ref()
        .is_some_and(|step| tour_panel::shows_step(step, &edited_scenario, state.target));
    let focus = step_focus.filter(|_| at_step).map(|f| f.name());
    let tour_panel = tour_id.map(|id| {
        html! {
            <tour_panel::TourPanel tour={id} step={*tour_step} at_step={at_step} current={edited_scenario.encode()}
                compact={props.embed} on_go={on_go.clone()} />
        }
    });
    let exports = html! { <super::export::Exports scenario={edited_scenario.clone()} dispatch={dispatch.clone()} /> };
    let author = authoring.then(|| {
        let start = Scenario { at: 0, ..edited_scenario.clone() };
        html! { <super::author::Author scenario={start} guarantees={goal_names.0.clone()} counters={goal_names.1.clone()} events={goal_names.2.clone()}
            specs={info.map_or(&[][..], |i| i.params)} title={title} /> }
    });
    let exercise_links = (!props.embed && props.exercise.is_none() && tour_id.is_none()).then(|| {
        let tour = playground_core::tour::for_lab(&scenario.lab).map(|t| {
            html! { <a class="tour-link" href={format!("?tour={}", t.id)}>{ format!("Guided tour: {}", t.title) }</a> }
        });
        let links: Vec<Html> = lab_exercises
            .iter()
            .map(|(title, x)| html! { <a class="exercise-link" href={format!("?x={x}")}>{ title.clone() }</a> })
            .collect();
        html! {
            <div class="exercise-links" role="group" aria-label="Tour and exercises for this lab">
                { for tour }
                if !links.is_empty() { <span>{ "Exercises: " }</span>{ for links } }
            </div>
        }
    });
    let specs = info.map_or(&[][..], |i| i.params);
    let menu = state.menu.map(|m| {
        let commands = match m {
            super::state::Menu::Node(id) => edited_run.commands(id),
            super::state::Menu::Link(..) => Vec::new(),
        };
        html! { <ActionMenu menu={m} specs={specs} names={(*names).clone()} statuses={statuses.clone()} commands={commands} dispatch={dispatch.clone()} /> }
    });
    let share_dialog = share.map(|embed| {
        let snippet = embed.then(|| {
            format!("<iframe src=\"{link}&embed=1\" width=\"720\" height=\"460\" title=\"{title}\" loading=\"lazy\"></iframe>")
        });
        let close = {
            let share = share.clone();
            Callback::from(move |()| share.set(None))
        };
        html! { <ShareDialog link={link.clone()} embed_snippet={snippet} on_close={close} /> }
    });
    let probe_element = probe.then(|| {
        let (events, ms) = (*throughput).unwrap_or_default();
        html! {
            <div id="frame-probe" hidden=true data-inflight={original.view.flights.len().to_string()}
                data-throughput-events={events.to_string()} data-throughput-ms={format!("{ms:.1}")}></div>
        }
    });

    if props.embed {
        return html! {
            <main class={classes!("lab", "embed", state.details_open.then_some("details-open"), tour_id.is_some().then_some("touring"))} aria-label={title} data-focus={focus}>
                { for notices }
                { for tour_panel }
                { for exercise_panel.clone() }
                { canvases }
                { timebar }
                <div class="embed-bar">
                    <Verdicts verdicts={original.verdicts.clone()} dispatch={dispatch.clone()} />
                    <button id="details" aria-expanded={state.details_open.to_string()} aria-controls="embed-details"
                        onclick={dispatch.reform(|_: MouseEvent| Action::ToggleDetails)}>
                        { if state.details_open { "Hide details" } else { "Details" } }
                    </button>
                    <a class="open-full" href={link.clone()} target="_blank" rel="noopener">{ "Full playground ↗" }</a>
                </div>
                <div id="embed-details" class="embed-details" hidden={!state.details_open} tabindex="0" role="region" aria-label="Details">
                    if state.details_open {
                        <div class="lab-panels">
                            { for lab_panel.clone() }
                            { for timeline }
                            { for held_panel }
                        </div>
                        <MetricsPanel metrics={original.metrics.clone()} />
                    }
                </div>
                { for probe_element }
            </main>
        };
    }

    let explain = ui.map(|ui| (ui.explain)());
    html! {
        <main class="lab" aria-label={title} data-focus={focus}>
            <header class="lab-header">
                <a href={dom::base_url()} class="home-link">{ "← All labs" }</a>
                <h1>{ title }</h1>
                <p class="keys" aria-label="Keyboard shortcuts">{ HELP }</p>
            </header>
            { for notices }
            { for tour_panel }
            <div class="lab-grid">
                <div class="stage">
                    { for exercise_panel }
                    { for presets }
                    { for exercise_links }
                    { canvases }
                    { timebar }
                    <PartitionBar picking={state.partition_pick.is_some()} picked={picked} dispatch={dispatch.clone()} />
                    { for menu }
                    { for share_dialog }
                    { controls }
                    { exports }
                    { for author }
                    if let Some(b) = &branch { { comparison(&original, b) } }
                    <div class="lab-panels">
                        { for lab_panel.clone() }
                        { for timeline }
                        { for held_panel }
                    </div>
                </div>
                <aside class="side">
                    <Verdicts verdicts={branch.as_ref().map_or(original.verdicts.clone(), |b| b.verdicts.clone())} dispatch={dispatch.clone()} />
                    if let Some(info) = info {
                        <Knobs specs={info.params} params={edited.params_in_force()} dispatch={dispatch.clone()}
                            allowed={props.exercise.as_ref().map(|x| x.limits.knobs.clone())} />
                    }
                </aside>
                <MetricsPanel metrics={branch.as_ref().map_or(original.metrics.clone(), |b| b.metrics.clone())} />
                <EventLog events={events} selected={selected} selected_seq={state.selected_event} names={names.clone()} dispatch={dispatch.clone()} />
                { for explain }
            </div>
            { for probe_element }
        </main>
    }
}
