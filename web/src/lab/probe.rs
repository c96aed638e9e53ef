//! The animation loop, and the frame-time probe that the end-to-end harness reads.
//!
//! The loop dispatches one `Frame` per `requestAnimationFrame` while the lab plays, and is
//! cancelled when the page goes away. With `?probe=1` in the URL it also records the
//! interval between frames (the frame time a person sees, rendering included) and the time
//! the simulation update took inside each frame, and publishes their percentiles on a hidden
//! `#frame-probe` element.

use playground_core::sort;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::state::Action;
use crate::dom;

/// The animation callback, shared so that it can schedule itself again.
type FrameSlot = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

#[derive(Default)]
struct Samples {
    intervals: Vec<f64>,
    work: Vec<f64>,
    last: Option<f64>,
}

fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sort::by(&mut sorted, f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn publish(samples: &Samples) {
    let Some(element) = dom::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("frame-probe"))
    else {
        return;
    };
    let set = |name: &str, value: String| {
        let _ = element.set_attribute(name, &value);
    };
    set("data-frames", samples.intervals.len().to_string());
    set("data-interval-p50", format!("{:.2}", percentile(&samples.intervals, 0.5)));
    set("data-interval-p95", format!("{:.2}", percentile(&samples.intervals, 0.95)));
    set("data-work-p50", format!("{:.2}", percentile(&samples.work, 0.5)));
    set("data-work-p95", format!("{:.2}", percentile(&samples.work, 0.95)));
    set("data-work-max", format!("{:.2}", samples.work.iter().copied().fold(0.0, f64::max)));
}

/// Runs the throughput workload (the one `cargo bench` runs natively) for 10 s of virtual
/// time in wasm32, five times, and returns (events processed, milliseconds of the fastest
/// run): as the native bench, best of five, which also leaves out the first runs on the
/// browser's baseline compiler before it has optimized the module. Only `?probe=throughput`
/// asks for it, once.
pub fn throughput() -> (u64, f64) {
    let scenario = playground_core::labs::network::throughput_workload();
    let (mut events, mut best) = (0, f64::MAX);
    for _ in 0..5 {
        let Ok(mut run) = playground_core::lab::start(&scenario) else { return (0, 0.0) };
        let started = dom::now_ms();
        run.run_until(10 * playground_core::time::MICROS_PER_SEC);
        best = best.min(dom::now_ms() - started);
        events = run.processed();
    }
    (events, best)
}

/// Runs the animation loop while the component lives. `busy` (playing, or still reaching a
/// seek target) is read every frame; the probe samples only frames while `playing`.
#[hook]
pub fn use_animation(dispatch: Callback<Action>, busy: Rc<Cell<bool>>, playing: Rc<Cell<bool>>, probe: bool) {
    use_effect_with((), move |_| {
        let handle = Rc::new(Cell::new(0));
        let alive = Rc::new(Cell::new(true));
        let samples = Rc::new(RefCell::new(Samples::default()));
        let frame: FrameSlot = Rc::new(RefCell::new(None));
        let again = frame.clone();
        let (handle_in, alive_in) = (handle.clone(), alive.clone());
        *frame.borrow_mut() = Some(Closure::new(move |timestamp: f64| {
            if !alive_in.get() {
                return;
            }
            if busy.get() {
                let started = dom::now_ms();
                dispatch.emit(Action::Frame(timestamp));
                if probe && playing.get() {
                    let mut s = samples.borrow_mut();
                    if let Some(last) = s.last {
                        s.intervals.push(timestamp - last);
                    }
                    s.last = Some(timestamp);
                    s.work.push(dom::now_ms() - started);
                    if s.work.len().is_multiple_of(30) {
                        publish(&s);
                    }
                }
            }
            if let (Some(window), Some(callback)) = (dom::window(), again.borrow().as_ref()) {
                handle_in.set(window.request_animation_frame(callback.as_ref().unchecked_ref()).unwrap_or(0));
            }
        }));
        if let (Some(window), Some(callback)) = (dom::window(), frame.borrow().as_ref()) {
            handle.set(window.request_animation_frame(callback.as_ref().unchecked_ref()).unwrap_or(0));
        }
        move || {
            alive.set(false);
            if let Some(window) = dom::window() {
                let _ = window.cancel_animation_frame(handle.get());
            }
            // Break the closure's reference to itself so it can be freed.
            frame.borrow_mut().take();
        }
    });
}
