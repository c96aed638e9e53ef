//! The timeline's operation bars, drawn in chunks. Bars keep fixed coordinates from an
//! origin, and the plot slides under them as the clock moves; a chunk whose operations and
//! highlights are as they were last frame is not drawn again. While a run plays, the chunks
//! that change are those holding an open operation (whose bar grows with the clock), and now
//! and then one entering or leaving the window; every bar used to be moved and its tooltip
//! written again every frame.

use std::rc::Rc;

use playground_core::history::view::OpView;
use playground_core::history::Outcome;
use playground_core::time::Micros;
use yew::prelude::*;

use crate::lab::charts::TimeAxis;

use super::{label, time, CULPRIT, LANE, OK, UNKNOWN, WITNESS};

/// Operations per chunk, by index.
pub const CHUNK: usize = 32;

/// What is highlighted: the counterexample shown, and the write a hovered read read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Highlights {
    pub culprit: Option<usize>,
    pub witnesses: Rc<Vec<usize>>,
    pub read_from: Option<usize>,
}

#[derive(Properties, PartialEq)]
pub struct OpChunkProps {
    /// The index of the chunk's first operation.
    pub first: usize,
    pub ops: Vec<OpView>,
    /// Where open operations' bars end: the clock (0 when every operation in the chunk is
    /// complete, so that the chunk stays as it is while the clock moves).
    pub now: Micros,
    /// Where the chunk's times go (the timeline moves the chunks as its window slides).
    pub time_axis: TimeAxis,
    pub lanes: Rc<Vec<String>>,
    /// Times are the simulator's microseconds (else a file's own unit).
    pub micros: bool,
    pub highlights: Highlights,
    pub hover: UseStateSetter<Option<usize>>,
}

#[function_component]
pub fn OpChunk(props: &OpChunkProps) -> Html {
    let x = |t: Micros| props.time_axis.x(t);
    let marks = &props.highlights;
    let bars = props.ops.iter().enumerate().map(|(k, shown)| {
        let i = props.first + k;
        let o = &shown.op;
        let end = o.complete.unwrap_or(props.now);
        let (a, b) = (x(o.invoke), x(end).max(x(o.invoke) + 2.0));
        let y = LANE * f64::from(shown.lane) + 6.0;
        let witness = marks.witnesses.contains(&i);
        let fill = if Some(i) == marks.culprit {
            CULPRIT
        } else if witness {
            WITNESS
        } else if o.known() {
            OK
        } else {
            UNKNOWN
        };
        let stroke_width = if witness { "3" } else { "1" };
        let dash = (!o.known()).then_some("4 2");
        let text = label(o);
        let title = format!(
            "{} {text} · p{} · {} → {}{}",
            props.lanes.get(usize::from(shown.lane)).map_or("", String::as_str),
            o.process,
            time(props.micros, o.invoke),
            o.complete.map_or("open".to_string(), |t| time(props.micros, t)),
            match o.outcome {
                Outcome::Ok => "",
                Outcome::Fail => " · failed",
                Outcome::Info => " · outcome unknown",
            }
        );
        let point = shown.point.map(|p| {
            let px = x(p);
            html! { <line class="lin-point" x1={format!("{px:.1}")} x2={format!("{px:.1}")} y1={format!("{:.1}", y - 3.0)} y2={format!("{:.1}", y + LANE - 9.0)} /> }
        });
        let (enter, leave) = (props.hover.clone(), props.hover.clone());
        html! {
            <g class={classes!("op", (marks.read_from == Some(i)).then_some("read-from"))} data-op={i.to_string()} data-culprit={(Some(i) == marks.culprit).then_some("true")}
                onmouseenter={move |_: MouseEvent| enter.set(Some(i))}
                onmouseleave={move |_: MouseEvent| leave.set(None)}>
                <title>{ title }</title>
                <rect x={format!("{a:.1}")} y={format!("{y:.1}")} width={format!("{:.1}", b - a)} height={format!("{:.0}", LANE - 12.0)}
                    rx="3" fill={fill} stroke="#222" stroke-width={stroke_width} stroke-dasharray={dash} />
                if b - a > 44.0 {
                    <text class="op-label" x={format!("{:.1}", a + 3.0)} y={format!("{:.1}", y + 13.0)}>{ text }</text>
                }
                if Some(i) == marks.culprit {
                    <text class="op-cross" x={format!("{:.1}", b + 3.0)} y={format!("{:.1}", y + 13.0)}>{ "✗" }</text>
                }
                { for point }
            </g>
        }
    });
    html! { <g>{ for bars }</g> }
}
