//! Keyboard control for the whole lab page.
//!
//! Space plays and pauses, → steps to the next event, ← goes back 100 ms, + and − change the
//! speed, R resets, F forks or closes the branch, P starts the partition tool, S shares and
//! Escape closes menus. Keys typed into a form field are left alone.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

use super::state::Action;

pub const HELP: &str =
    "Space play/pause · → step · ← back 100 ms · +/− speed · R reset · F fork · P partition · S share · Esc close";

fn typing_in_a_field(event: &KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"))
}

fn action_for(key: &str) -> Option<Action> {
    Some(match key {
        " " => Action::TogglePlay,
        "ArrowRight" => Action::Step,
        "ArrowLeft" => Action::Nudge(-100_000),
        "+" | "=" => Action::SpeedBy(1),
        "-" | "_" => Action::SpeedBy(-1),
        "r" | "R" => Action::Reset,
        "f" | "F" => Action::ToggleFork,
        "p" | "P" => Action::PartitionTool(true),
        "Escape" => Action::OpenMenu(None),
        _ => return None,
    })
}

#[hook]
pub fn use_lab_keys(dispatch: Callback<Action>, on_share: Callback<()>) {
    // The page's share callback copies the link of the render that made it: the listener,
    // made once, calls the latest one.
    let latest_share = use_mut_ref(|| on_share.clone());
    *latest_share.borrow_mut() = on_share;
    use_effect_with((), move |_| {
        let listener = move |event: KeyboardEvent| {
            if event.ctrl_key() || event.meta_key() || event.alt_key() {
                return;
            }
            let key = event.key();
            if key == " " && typing_in_a_field(&event) {
                return;
            }
            if typing_in_a_field(&event) && key != "Escape" && key != " " && !key.starts_with("Arrow") {
                return;
            }
            if key == "s" || key == "S" {
                let share = latest_share.borrow().clone();
                share.emit(());
                return;
            }
            if let Some(action) = action_for(&key) {
                event.prevent_default();
                if key == "Escape" {
                    dispatch.emit(Action::PartitionTool(false));
                }
                dispatch.emit(action);
            }
        };
        listen_for_keys(listener)
    });
}

/// Listens to key presses on the whole page until the returned function is called (an
/// effect's cleanup).
pub fn listen_for_keys(handler: impl Fn(KeyboardEvent) + 'static) -> impl FnOnce() {
    let listener = Closure::<dyn Fn(KeyboardEvent)>::new(handler);
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(document) = &document {
        let _ = document.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
    }
    move || {
        if let Some(document) = document {
            let _ = document.remove_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
        }
    }
}
