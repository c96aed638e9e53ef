//! Long work off the click: a job (a trace export, grading an exercise, judging a history
//! file) is advanced a slice of about 8 ms at a time, and the browser gets the frame back
//! between slices through a 0 ms timeout. The page keeps drawing, shows the job's progress and
//! can cancel it; a click only sets the job up (starting a run, reading a file) and runs its
//! first slice. Browsers hold nested 0 ms timeouts to at least 4 ms, so a job gets about two
//! thirds of the time while its tab is in front, and much less while it is hidden.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::dom;

/// How long one slice may run before the page gets the frame back.
pub const SLICE_MS: f64 = 8.0;

/// Where a component keeps its job's next slice (`use_mut_ref(|| None)`). Emptying it cancels
/// the job; so does unmounting the component, which drops it.
pub type Pending = Rc<RefCell<Option<Timeout>>>;

/// Cancels the job, if one is running.
pub fn cancel(pending: &Pending) {
    pending.borrow_mut().take();
}

struct Job<J> {
    job: J,
    advance: Box<dyn FnMut(&mut J) -> bool>,
    shown: Box<dyn Fn(&J)>,
    finished: Box<dyn FnOnce(J)>,
}

/// Runs `job` a slice at a time: `advance` does a little of it and says whether it is done;
/// after each slice but the last, `shown` shows its progress; `finished` receives it at the
/// end. The first slice runs at once.
pub fn run<J: 'static>(
    pending: &Pending,
    job: J,
    advance: impl FnMut(&mut J) -> bool + 'static,
    shown: impl Fn(&J) + 'static,
    finished: impl FnOnce(J) + 'static,
) {
    cancel(pending);
    let job = Job { job, advance: Box::new(advance), shown: Box::new(shown), finished: Box::new(finished) };
    slice(Rc::downgrade(pending), job);
}

fn slice<J: 'static>(pending: Weak<RefCell<Option<Timeout>>>, mut job: Job<J>) {
    let Some(cell) = pending.upgrade() else { return };
    let start = dom::now_ms();
    loop {
        if (job.advance)(&mut job.job) {
            cell.borrow_mut().take();
            (job.finished)(job.job);
            return;
        }
        if dom::now_ms() - start >= SLICE_MS {
            break;
        }
    }
    (job.shown)(&job.job);
    let next = pending.clone();
    *cell.borrow_mut() = Some(Timeout::new(0, move || slice(next, job)));
}

#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    /// What the job is, for screen readers ("Exporting the trace").
    pub label: AttrValue,
    /// The words beside the bar.
    pub text: AttrValue,
    pub fraction: f64,
    pub cancel_id: AttrValue,
    pub on_cancel: Callback<MouseEvent>,
}

/// A job's progress while it runs: a bar, a few words and Cancel.
#[function_component]
pub fn Progress(props: &ProgressProps) -> Html {
    html! {
        <span class="job-progress" role="status">
            <progress max="1" value={format!("{:.3}", props.fraction)} aria-label={props.label.clone()}></progress>
            { format!(" {} ", props.text) }
            <button id={props.cancel_id.clone()} onclick={props.on_cancel.clone()}>{ "Cancel" }</button>
        </span>
    }
}
