//! The browser end of `playground-bridge`: a WebSocket to real clock hardware.
//!
//! This module only moves frames: it opens the socket, turns its events into [`Event`]s for
//! a Yew callback and parses frames into the wire type that `playground_core::hardware_time`
//! defines. What a sample means (the live interval, commit-wait, falling back to the model)
//! is core's business.

use playground_core::hardware_time::{BridgeMessage, DEFAULT_PORT};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};
use yew::Callback;

use crate::dom;
use crate::route::query_value;

/// What the socket reports.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Opened,
    Frame(Result<BridgeMessage, String>),
    Closed { why: String },
}

/// The address to use: `&bridge=` from the URL when it is a WebSocket URL, else the default.
/// The second value is an error to show for a `bridge` parameter that is not one.
pub fn address_from_query(query: &str) -> (String, Option<String>) {
    let default = format!("ws://127.0.0.1:{DEFAULT_PORT}/");
    match query_value(query, "bridge") {
        None => (default, None),
        Some(given) if given.starts_with("ws://") || given.starts_with("wss://") => (given, None),
        Some(given) => {
            (default, Some(format!("The bridge address “{given}” is not a ws:// or wss:// URL; using the default.")))
        }
    }
}

/// Whether the page itself is served from this machine, where looking for a bridge is free
/// of surprises; a hosted page looks only when asked (`&bridge=` or the Connect button).
pub fn page_is_local() -> bool {
    let host = dom::window().and_then(|w| w.location().hostname().ok()).unwrap_or_default();
    matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]" | "::1")
}

/// Parses one text frame.
pub fn parse(text: &str) -> Result<BridgeMessage, String> {
    let value = js_sys::JSON::parse(text).map_err(|_| "a frame from the bridge is not JSON".to_string())?;
    // Look at `type` first and read just that struct: serde's internally tagged enums buffer
    // every field, which costs about 8 KB of bundle for no gain here.
    let kind = js_sys::Reflect::get(&value, &"type".into()).ok().and_then(|kind| kind.as_string());
    let read = |result: Result<BridgeMessage, serde_wasm_bindgen::Error>| {
        result.map_err(|error| format!("a frame from the bridge was not understood: {error}"))
    };
    match kind.as_deref() {
        Some("hello") => read(serde_wasm_bindgen::from_value(value).map(BridgeMessage::Hello)),
        Some("sample") => read(serde_wasm_bindgen::from_value(value).map(BridgeMessage::Sample)),
        Some("notice") => read(serde_wasm_bindgen::from_value(value).map(BridgeMessage::Notice)),
        Some("error") => read(serde_wasm_bindgen::from_value(value).map(BridgeMessage::Error)),
        Some(other) => Err(format!("the bridge sent a frame of unknown type “{other}”")),
        None => Err("a frame from the bridge has no type".into()),
    }
}

/// An open (or opening) socket and the handlers it calls.
pub struct Connection {
    socket: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Connection {
    pub fn open(address: &str, events: Callback<Event>) -> Result<Connection, String> {
        let socket = WebSocket::new(address).map_err(|_| format!("“{address}” is not a WebSocket address"))?;
        let opened = std::rc::Rc::new(std::cell::Cell::new(false));
        let (on_open_events, opened_in) = (events.clone(), opened.clone());
        let on_open = Closure::<dyn FnMut()>::new(move || {
            opened_in.set(true);
            on_open_events.emit(Event::Opened);
        });
        let on_message_events = events.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let frame = match event.data().as_string() {
                Some(text) => parse(&text),
                None => Err("the bridge sent a binary frame".into()),
            };
            on_message_events.emit(Event::Frame(frame));
        });
        let at = address.to_string();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let why = match (opened.get(), event.reason()) {
                (true, reason) if !reason.is_empty() => format!("the bridge closed the connection: {reason}"),
                (true, _) => "the connection to the bridge dropped".to_string(),
                (false, _) => format!("no bridge answered at {at}"),
            };
            events.emit(Event::Closed { why });
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Connection { socket, _on_open: on_open, _on_message: on_message, _on_close: on_close })
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

/// The browser's wall clock (the system clock) in Unix-epoch nanoseconds, at millisecond
/// resolution.
pub fn wall_ns() -> i64 {
    (js_sys::Date::now() * 1e6) as i64
}

/// The browser's monotonic clock in nanoseconds.
pub fn monotonic_ns() -> i64 {
    (dom::now_ms() * 1e6) as i64
}

/// The resolution of comparing [`wall_ns`] with the bridge's system clock.
pub const WALL_RESOLUTION_NS: i64 = 1_000_000;
