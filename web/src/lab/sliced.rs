//! Long work off the click: a job (a trace export, grading an exercise, judging a history
//! file) is advanced a slice of about 8 ms at a time, and the browser gets the frame back
//! between slices. The page keeps drawing, shows the job's progress and can cancel it; a click
//! only sets the job up (starting a run, reading a file) and runs its first slice.
//!
//! The next slice is a message the job posts to itself over a `MessageChannel`: a task the
//! browser runs as soon as it has drawn what is due, neither held to 4 ms as nested 0 ms
//! timeouts are nor throttled to one a second in a hidden tab. A 0 ms timeout is the fallback.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageChannel;
use yew::prelude::*;

use crate::dom;

/// How long one slice may run before the page gets the frame back.
pub const SLICE_MS: f64 = 8.0;

/// Where a component keeps its job's next slice (`use_mut_ref(|| None)`). Emptying it cancels
/// the job; so does unmounting the component, which drops it.
pub type Pending = Rc<RefCell<Option<Next>>>;

/// A job's next slice, waiting for its turn. Dropping it cancels the slice.
pub enum Next {
    Message {
        channel: MessageChannel,
        _slice: Closure<dyn FnMut()>,
    },
    /// The fallback: dropping the timeout clears it.
    Timer {
        _timeout: Timeout,
    },
}

impl Next {
    fn after_drawing(slice: impl FnOnce() + 'static) -> Self {
        // The message is delivered in a later task, so the handler set just after posting it
        // is in place by then (setting it also starts the port).
        let channel = MessageChannel::new().ok().filter(|c| c.port2().post_message(&JsValue::NULL).is_ok());
        let Some(channel) = channel else { return Next::Timer { _timeout: Timeout::new(0, slice) } };
        let slice = Closure::once(slice);
        channel.port1().set_onmessage(Some(slice.as_ref().unchecked_ref()));
        Next::Message { channel, _slice: slice }
    }
}

impl Drop for Next {
    fn drop(&mut self) {
        if let Next::Message { channel, .. } = self {
            // A message already posted finds no handler, so a cancelled slice never runs.
            channel.port1().set_onmessage(None);
            channel.port1().close();
        }
    }
}

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

fn slice<J: 'static>(pending: Weak<RefCell<Option<Next>>>, mut job: Job<J>) {
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
    *cell.borrow_mut() = Some(Next::after_drawing(move || slice(next, job)));
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
