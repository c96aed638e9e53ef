//! The Clocks lab's page: the space-time diagram and the clocks side by side, with their
//! own UI state (the picked events, which clock labels the diagram) in their own reducer,
//! and the explain panel.

mod diagram;
mod hardware;

use std::rc::Rc;

use playground_core::labs::clocks::SpaceTime;
use playground_core::time::Micros;
use playground_core::trace::NodeId;
use yew::prelude::*;

use crate::lab::state::Action;
use diagram::{clock_bars, comparison_table, relation_panel, Diagram, LABELS};
use hardware::HardwarePanel;

/// The Clocks lab's own UI state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClocksUi {
    /// The last two events picked on the diagram, oldest first.
    pub picked: Vec<(NodeId, u32)>,
    /// Which clock labels the events (an index into the diagram's labels).
    pub label: usize,
}

pub enum ClocksAction {
    /// Picks an event (or unpicks it); the last two are compared.
    Pick(NodeId, u32),
    LabelWith(usize),
}

impl Reducible for ClocksUi {
    type Action = ClocksAction;

    fn reduce(self: Rc<Self>, action: ClocksAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ClocksAction::Pick(node, index) => {
                if let Some(at) = next.picked.iter().position(|&p| p == (node, index)) {
                    next.picked.remove(at);
                } else {
                    next.picked.push((node, index));
                    if next.picked.len() > 2 {
                        next.picked.remove(0);
                    }
                }
            }
            ClocksAction::LabelWith(which) => next.label = which.min(LABELS.len() - 1),
        }
        Rc::new(next)
    }
}

#[derive(Properties, PartialEq)]
pub struct ClocksStageProps {
    pub space: Rc<SpaceTime>,
    pub now: Micros,
    pub names: Rc<Vec<String>>,
    /// In an iframe only the diagram is shown, as every lab shows only its canvas there.
    pub embed: bool,
    /// The page's own actions (a node's menu, a knob).
    pub dispatch: Callback<Action>,
}

/// The diagram where the canvas would be, then the clocks side by side.
#[function_component]
pub fn ClocksStage(props: &ClocksStageProps) -> Html {
    let ui = use_reducer(ClocksUi::default);
    let space = &props.space;
    let on_pick = {
        let ui = ui.clone();
        Callback::from(move |(node, index): (NodeId, u32)| ui.dispatch(ClocksAction::Pick(node, index)))
    };
    let labels = LABELS.iter().enumerate().map(|(i, name)| {
        let pressed = ui.label == i;
        let ui = ui.clone();
        let onclick = Callback::from(move |_: MouseEvent| ui.dispatch(ClocksAction::LabelWith(i)));
        html! { <button aria-pressed={pressed.to_string()} onclick={onclick}>{ *name }</button> }
    });
    let model_epsilon_ns = space.readings.iter().map(|r| r.epsilon).max().unwrap_or(0) * 1_000;
    let on_use_epsilon = props
        .dispatch
        .reform(|micros: i64| Action::SetParam("epsilon_floor_us".into(), micros.clamp(0, 60_000_000).to_string()));
    html! {
        <>
            <div class="canvases">
                <Diagram space={space.clone()} now={props.now} names={props.names.clone()}
                    picked={ui.picked.clone()} label={ui.label} on_pick={on_pick} dispatch={props.dispatch.clone()} />
            </div>
            if !props.embed {
            <section class="panel clocks-panel stage-panel" aria-labelledby="clocks-h">
                <h2 id="clocks-h">{ "Clocks side by side" }</h2>
                <div class="label-picker" role="group" aria-label="Label events with">{ "Label events with: " }{ for labels }</div>
                { relation_panel(space, &ui.picked, &props.names) }
                { clock_bars(space, &props.names) }
                { comparison_table(space) }
                <HardwarePanel model_epsilon_ns={model_epsilon_ns} on_use_epsilon={on_use_epsilon} />
            </section>
            }
        </>
    }
}

pub fn explain() -> Html {
    html! {
        <section class="panel explain" aria-labelledby="explain-h">
            <h2 id="explain-h">{ "What is going on" }</h2>
            <p>{ "Every process has a quartz clock that starts off by some milliseconds and runs a \
                  little fast or slow. Every few seconds it asks a time server and steps its clock by \
                  NTP's estimate; the estimate can be off by half the difference between the two \
                  directions' delays, so skew shrinks but never reaches zero." }</p>
            <p>{ "Each event is stamped by four clocks at once. Lamport clocks respect causality but \
                  put concurrent events in some order anyway. Vector clocks capture causality exactly, \
                  at one counter per process in every message. Hybrid logical clocks keep Lamport's \
                  guarantee in a fixed-size stamp that stays near physical time. TrueTime admits its \
                  uncertainty as an interval, and commit-wait sits out that uncertainty so that a \
                  transaction that commits before another starts gets a smaller timestamp." }</p>
            <h3>{ "Try this" }</h3>
            <ol>
                <li>{ "Pick two events on different processes with no arrow path between them: vector \
                       clocks say concurrent, Lamport and HLC still order them." }</li>
                <li>{ "Turn Commit-wait off: within seconds, external consistency is violated. Inspect the \
                       event: a transaction started after another committed got a smaller timestamp." }</li>
                <li>{ "Set ε scale to 20 %: the clock bars show true time escaping the intervals, and the \
                       TrueTime guarantee fails." }</li>
                <li>{ "Set the NTP interval to 0 and drift to 800 ppm: the clocks wander apart; HLC's l − pt \
                       grows with the skew but stays bounded." }</li>
            </ol>
        </section>
    }
}
