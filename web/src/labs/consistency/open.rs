//! "Open your own history": a Jepsen history file, picked or dropped, read and judged in
//! this page (nothing is uploaded), a slice of the search per animation frame with a
//! progress bar and a Cancel button, then drawn on the same timeline.

use std::borrow::Cow;
use std::rc::Rc;

use playground_core::history::view::{HistoryView, ModelView};
use playground_core::history::{causal, edn, linear, sequential, session, Answer, Budget, History, Model};
use playground_core::labs::consistency::MODELS;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, FileReader, HtmlInputElement};
use yew::prelude::*;

use super::Timeline;
use crate::lab::sliced::{self, Pending};

const STEPS_PER_LOOK: u64 = 2_000;
/// The same budget as `playground check`'s default for linearizability; the search for a
/// sequential order, which can take far longer on a history that has none, gets a tenth,
/// so the page answers within seconds ("unknown" if it ran out; the CLI searches longer).
const BUDGET: Budget = Budget { steps: 20_000_000 };
const SEQUENTIAL_BUDGET: Budget = Budget { steps: 2_000_000 };

struct Job {
    name: String,
    history: History,
    model: Model,
    linear: linear::Search<'static>,
    sequential: sequential::Search<'static>,
    answers: Vec<Answer>,
}

impl Job {
    fn new(name: String, history: History) -> Job {
        let model = Model::for_history(&history);
        Job {
            linear: linear::Search::new(Cow::Owned(history.clone()), model, BUDGET),
            sequential: sequential::Search::new(Cow::Owned(history.clone()), model, SEQUENTIAL_BUDGET),
            answers: Vec::new(),
            name,
            history,
            model,
        }
    }

    /// Searches a little further; true once every model is judged.
    fn work(&mut self) -> bool {
        match self.answers.len() {
            0 => {
                if let Some(answer) = self.linear.run(STEPS_PER_LOOK) {
                    if answer.holds() {
                        // A linearization keeps every process's order too.
                        self.answers.push(answer.clone());
                    }
                    self.answers.push(answer);
                }
            }
            1 => {
                if let Some(answer) = self.sequential.run(STEPS_PER_LOOK) {
                    self.answers.push(answer);
                }
            }
            _ => {
                self.answers.push(causal::check(&self.history, self.model));
                self.answers.push(session::convergence(&self.history, self.model));
                return true;
            }
        }
        false
    }

    /// How far along, and what is being judged.
    fn progress(&self) -> (f64, String) {
        match self.answers.len() {
            0 => {
                let (done, keys) = self.linear.progress();
                let steps = self.linear.stats.steps;
                (
                    0.5 * done as f64 / keys.max(1) as f64,
                    format!("linearizability: key {done} of {keys}, {steps} steps"),
                )
            }
            1 => {
                let (placed, total) = self.sequential.progress();
                let fraction = 0.5 + 0.45 * placed as f64 / total.max(1) as f64;
                (fraction, format!("sequential consistency: {placed} of {total} operations placed"))
            }
            _ => (0.95, "causal consistency and convergence".into()),
        }
    }

    fn view(&self) -> HistoryView {
        let h = &self.history;
        let models =
            MODELS.iter().zip(&self.answers).map(|(&name, answer)| ModelView::new(name, answer, false)).collect();
        let sessions = session::GUARANTEES
            .iter()
            .enumerate()
            .map(|(i, &name)| ModelView::new(name, &session::check(h, i), false))
            .collect();
        let witness = match self.answers.first() {
            Some(Answer::Holds { witness }) => Some(witness.as_slice()),
            _ => None,
        };
        HistoryView::of_file(h, models, sessions, witness)
    }
}

#[derive(Clone, PartialEq)]
enum Phase {
    Idle,
    Failed(String),
    Judging { name: String, fraction: f64, what: String },
    Done { title: String, view: Rc<HistoryView>, end: u64 },
}

/// Judges `job` a slice at a time, showing the progress, then the verdicts on the timeline.
fn judge(job: Job, pending: &Pending, phase: UseStateHandle<Phase>) {
    let shown = phase.clone();
    let show = move |job: &Job| {
        let (fraction, what) = job.progress();
        shown.set(Phase::Judging { name: job.name.clone(), fraction, what });
    };
    let finished = move |job: Job| {
        let end = job.history.ops.iter().filter_map(|o| o.complete.or(Some(o.invoke))).max().unwrap_or(0);
        let title =
            format!("Your history: {} ({} operations, {} model)", job.name, job.history.ops.len(), job.model.name());
        phase.set(Phase::Done { title, view: Rc::new(job.view()), end });
    };
    show(&job);
    sliced::run(pending, job, Job::work, show, finished);
}

/// Reads a file as text, then calls `done` with its name and text (or why not).
fn read(file: File, done: Callback<(String, Result<String, String>)>) {
    let name = file.name();
    let Ok(reader) = FileReader::new() else {
        done.emit((name, Err("this browser cannot read files".into())));
        return;
    };
    let source = reader.clone();
    let (on_name, on_done) = (name.clone(), done.clone());
    let onload = Closure::once_into_js(move || {
        let text = source.result().ok().and_then(|v| v.as_string());
        on_done.emit((on_name, text.ok_or_else(|| "the file could not be read as text".to_string())));
    });
    reader.set_onload(Some(onload.unchecked_ref()));
    if reader.read_as_text(&file).is_err() {
        done.emit((name, Err("the file could not be read".into())));
    }
}

#[function_component]
pub fn OpenHistory() -> Html {
    let phase = use_state(|| Phase::Idle);
    let pending: Pending = use_mut_ref(|| None);

    let loaded = {
        let (phase, pending) = (phase.clone(), pending.clone());
        Callback::from(move |(name, text): (String, Result<String, String>)| {
            let parsed = text.and_then(|t| edn::parse(&t).map_err(|e| e.to_string()));
            match parsed {
                Err(why) => phase.set(Phase::Failed(format!("{name}: {why}"))),
                Ok(history) => {
                    judge(Job::new(name, history), &pending, phase.clone());
                }
            }
        })
    };
    let on_pick = {
        let loaded = loaded.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                read(file, loaded.clone());
            }
            input.set_value("");
        })
    };
    let on_drop = {
        let loaded = loaded.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(file) = e.data_transfer().and_then(|d| d.files()).and_then(|files| files.get(0)) {
                read(file, loaded.clone());
            }
        })
    };
    let on_drag_over = Callback::from(|e: DragEvent| e.prevent_default());
    let stop = {
        let (phase, pending) = (phase.clone(), pending.clone());
        Callback::from(move |_: MouseEvent| {
            sliced::cancel(&pending);
            phase.set(Phase::Idle);
        })
    };

    let picker = html! {
        <div class="open-history" ondrop={on_drop} ondragover={on_drag_over}>
            <label class="button">
                { "Open a Jepsen history…" }
                <input type="file" accept=".edn,.log,.txt,.clj" onchange={on_pick} class="visually-hidden" />
            </label>
            <span class="help">{ " or drop one here: EDN operation maps or jepsen.util log lines. It is judged in this page; nothing is uploaded." }</span>
        </div>
    };
    match &*phase {
        Phase::Idle => picker,
        Phase::Failed(why) => html! { <>{ picker }<p class="open-error" role="alert">{ why }</p></> },
        Phase::Judging { name, fraction, what } => html! {
            <div class="open-history judging">
                <sliced::Progress label={format!("Judging {name}")} text={format!("Judging {name}: {what}…")}
                    fraction={*fraction} cancel_id="open-cancel" on_cancel={stop} />
            </div>
        },
        Phase::Done { title, view, end } => html! {
            <>
                { picker }
                <button class="close-file" onclick={stop}>{ "Close your history" }</button>
                <Timeline view={view.clone()} now={*end} title={Some(title.clone())} />
            </>
        },
    }
}
