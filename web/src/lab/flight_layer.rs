//! Messages in flight, drawn straight into the canvas's DOM rather than through the virtual
//! DOM. With two hundred messages moving, building and comparing their virtual nodes every
//! frame cost more than the simulation: here each message keeps its elements from sending to
//! arrival, its tooltip is written once, and a frame changes only what moved (one
//! `transform` per message) or what it now shows (a tail once it leaves its sender's queue,
//! a name beside it).
//!
//! The canvas still decides everything drawn (positions, tails, where a name goes); this
//! layer only keeps the DOM in step with its list of [`FlightMark`]s.

use std::rc::Rc;

use playground_core::sim::{FlightFate, FlightView, SimView};
use web_sys::{Document, Element};
use yew::prelude::*;

use super::glyph::class_css;

const SVG: &str = "http://www.w3.org/2000/svg";

/// One message as the canvas places it this frame.
#[derive(Clone, Debug, PartialEq)]
pub struct FlightMark {
    /// Its index in the view's flights.
    pub index: usize,
    /// Where it is on the canvas.
    pub at: (f64, f64),
    /// Still in its sender's transmit queue (drawn faded, at the sender's rim).
    pub queued: bool,
    /// The far end of its direction tail, relative to it, when a tail is drawn.
    pub tail: Option<(f64, f64)>,
    /// Where its name goes, relative to it, when there is room for it.
    pub label: Option<(f64, f64)>,
}

#[derive(Properties)]
pub struct FlightLayerProps {
    pub view: Rc<SimView>,
    pub marks: Rc<Vec<FlightMark>>,
}

/// By pointer: the canvas makes new marks every frame, so the layer is drawn (and its DOM
/// brought in step) every frame, without comparing two hundred marks first.
impl PartialEq for FlightLayerProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.view, &other.view) && Rc::ptr_eq(&self.marks, &other.marks)
    }
}

fn fate_class(fate: FlightFate) -> &'static str {
    match fate {
        FlightFate::Arrives => "fate-arrives",
        FlightFate::Lost => "fate-lost",
        FlightFate::Duplicate => "fate-duplicate",
        FlightFate::Tampered => "fate-tampered",
        FlightFate::Replayed => "fate-replayed",
    }
}

/// What a message's tooltip says: fixed for its whole flight.
fn flight_title(f: &FlightView, view: &SimView) -> String {
    let name = |id: u16| view.nodes.get(usize::from(id)).map_or("?", |n| n.name.as_str());
    let fate = match f.fate {
        FlightFate::Lost => "will be lost".to_string(),
        _ => format!("arrives at {}", playground_core::time::format_time(f.arrives)),
    };
    format!("#{} {}: {} → {}, {} B, {fate}", f.msg, f.kind, name(f.from), name(f.to), f.bytes)
}

/// The elements of one message on the canvas, and what they show now.
struct Drawn {
    /// The message drawn. Another run (a preset or a changed knob) numbers its messages from
    /// the same ids, so an element is reused only for the very same message.
    flight: FlightView,
    group: Element,
    circle: Element,
    tail: Option<Element>,
    tail_at: Option<(f64, f64)>,
    label: Option<Element>,
    transform: String,
    queued: bool,
    label_at: Option<(f64, f64)>,
}

fn svg(document: &Document, tag: &str) -> Option<Element> {
    document.create_element_ns(Some(SVG), tag).ok()
}

fn set(element: &Element, name: &str, value: &str) {
    let _ = element.set_attribute(name, value);
}

fn circle_class(f: &FlightView, queued: bool) -> String {
    let queued = if queued { " msg-queued" } else { "" };
    format!("msg {} {}{queued}", class_css(f.class), fate_class(f.fate))
}

/// Draws a message, placed before `next` (the next message by id already drawn) or last.
fn create(
    document: &Document,
    (parent, next): (&Element, Option<&Element>),
    f: &FlightView,
    mark: &FlightMark,
    view: &SimView,
) -> Option<Drawn> {
    let group = svg(document, "g")?;
    set(&group, "class", "flight");
    let circle = svg(document, "circle")?;
    set(&circle, "r", "6");
    set(&circle, "class", &circle_class(f, mark.queued));
    let title = svg(document, "title")?;
    title.set_text_content(Some(&flight_title(f, view)));
    circle.append_child(&title).ok()?;
    group.append_child(&circle).ok()?;
    parent.insert_before(&group, next.map(|n| n.as_ref())).ok()?;
    Some(Drawn {
        flight: f.clone(),
        group,
        circle,
        tail: None,
        tail_at: None,
        label: None,
        transform: String::new(),
        queued: mark.queued,
        label_at: None,
    })
}

/// An optional part of a message (its tail, its name), where its mark wants it.
struct Part<'a> {
    element: &'a mut Option<Element>,
    /// Where it was put last.
    shown_at: &'a mut Option<(f64, f64)>,
    /// The attributes that place it.
    x: &'static str,
    y: &'static str,
}

impl Part<'_> {
    /// Puts the part at `at` (made by `make` the first time), or removes it when `at` is `None`.
    fn place(self, at: Option<(f64, f64)>, make: impl FnOnce() -> Option<Element>) {
        if at == *self.shown_at {
            return;
        }
        match at {
            Some((x, y)) => {
                if self.element.is_none() {
                    *self.element = make();
                }
                if let Some(element) = self.element.as_ref() {
                    set(element, self.x, &format!("{x:.1}"));
                    set(element, self.y, &format!("{y:.1}"));
                }
            }
            None => {
                if let Some(element) = self.element.take() {
                    element.remove();
                }
            }
        }
        *self.shown_at = at;
    }
}

/// Brings one message's elements in step with its mark.
fn update(document: &Document, drawn: &mut Drawn, f: &FlightView, mark: &FlightMark) {
    let transform = format!("translate({:.1} {:.1})", mark.at.0, mark.at.1);
    if transform != drawn.transform {
        set(&drawn.group, "transform", &transform);
        drawn.transform = transform;
    }
    if mark.queued != drawn.queued {
        set(&drawn.circle, "class", &circle_class(f, mark.queued));
        drawn.queued = mark.queued;
    }
    let (group, circle) = (&drawn.group, &drawn.circle);
    let tail = Part { element: &mut drawn.tail, shown_at: &mut drawn.tail_at, x: "x1", y: "y1" };
    tail.place(mark.tail, || {
        let line = svg(document, "line")?;
        set(&line, "class", &format!("msg-tail {}", class_css(f.class)));
        set(&line, "x2", "0");
        set(&line, "y2", "0");
        // Under the message's circle.
        group.insert_before(&line, Some(circle)).ok()?;
        Some(line)
    });
    let label = Part { element: &mut drawn.label, shown_at: &mut drawn.label_at, x: "x", y: "y" };
    label.place(mark.label, || {
        let text = svg(document, "text")?;
        set(&text, "class", "flight-label");
        set(&text, "aria-hidden", "true");
        text.set_text_content(Some(f.kind));
        group.append_child(&text).ok()?;
        Some(text)
    });
}

/// Keeps the group's children in step with the marks: new messages drawn, moved ones moved,
/// arrived and lost ones removed. The view lists flights by id, and `drawn` and the group's
/// children are kept in the same order (later messages lie on top, as they were sent), so one
/// walk down both finds each message's elements.
fn sync(parent: &Element, drawn: &mut Vec<Drawn>, view: &SimView, marks: &[FlightMark]) {
    let Some(document) = parent.owner_document() else { return };
    let mut old = std::mem::take(drawn).into_iter().peekable();
    for mark in marks {
        let Some(f) = view.flights.get(mark.index) else { continue };
        while let Some(gone) = old.next_if(|d| d.flight.msg < f.msg) {
            gone.group.remove();
        }
        let kept = match old.next_if(|d| d.flight.msg == f.msg) {
            Some(same) if same.flight == *f => Some(same),
            Some(reused) => {
                reused.group.remove();
                None
            }
            None => None,
        };
        let next = old.peek().map(|d| &d.group);
        let Some(mut d) = kept.or_else(|| create(&document, (parent, next), f, mark, view)) else { continue };
        update(&document, &mut d, f, mark);
        drawn.push(d);
    }
    for gone in old {
        gone.group.remove();
    }
}

/// The messages in flight: a `<g>` whose children this component keeps itself, after each
/// render.
pub struct FlightLayer {
    group: NodeRef,
    drawn: Vec<Drawn>,
}

impl Component for FlightLayer {
    type Message = ();
    type Properties = FlightLayerProps;

    fn create(_: &Context<Self>) -> Self {
        FlightLayer { group: NodeRef::default(), drawn: Vec::new() }
    }

    fn view(&self, _: &Context<Self>) -> Html {
        html! { <g class="flights" ref={self.group.clone()} /> }
    }

    fn rendered(&mut self, ctx: &Context<Self>, _first: bool) {
        if let Some(parent) = self.group.cast::<Element>() {
            let props = ctx.props();
            sync(&parent, &mut self.drawn, &props.view, &props.marks);
        }
    }
}
