//! The lab's knobs, grouped (cluster, workload, network, protocol, faults), each with its
//! one-line explanation. A number with a modest range gets a slider beside its box; a knob
//! changed from its default is marked and has a one-click reset. Knobs that can change mid-run
//! are recorded in the fault script as `set key=value`; the others (marked ⟳) restart the run
//! with the new value and replay to the same moment.

use playground_core::lab::{ParamGroup, ParamKind, ParamSpec, Params};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::state::Action;

/// A range this wide or narrower gets a slider.
const SLIDER_SPAN: i64 = 1_000;

#[derive(Properties, PartialEq)]
pub struct KnobsProps {
    pub specs: &'static [ParamSpec],
    pub params: Vec<(String, String)>,
    /// An exercise lets only these knobs change; the others are shown, disabled.
    #[prop_or_default]
    pub allowed: Option<Vec<String>>,
    pub dispatch: Callback<Action>,
}

fn knob(spec: &'static ParamSpec, value: &str, locked: bool, dispatch: &Callback<Action>) -> Html {
    let id = format!("knob-{}", spec.key);
    let key = spec.key.to_string();
    // Each control is put back to the value in force as it asks for the new one: if the run
    // takes the new value, the knobs are drawn again with it; if it refuses it (a notice says
    // why), they are not, and the control must not go on showing a value not in force.
    let set = |key: String| {
        let in_force = value.to_string();
        dispatch.reform(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let asked = input.value();
            input.set_value(&in_force);
            Action::SetParam(key.clone(), asked)
        })
    };
    let control = match spec.kind {
        ParamKind::Int { min, max, unit } => {
            let slider = (max - min <= SLIDER_SPAN).then(|| {
                html! {
                    <input class="knob-slider" type="range" min={min.to_string()} max={max.to_string()} value={value.to_string()} disabled={locked}
                        aria-label={format!("{} slider", spec.label)} aria-valuetext={format!("{value} {unit}")} onchange={set(key.clone())} />
                }
            });
            html! {
                <span class="knob-input">
                    { for slider }
                    <input id={id.clone()} type="number" min={min.to_string()} max={max.to_string()} value={value.to_string()} onchange={set(key.clone())} disabled={locked} />
                    <span class="unit">{ unit }</span>
                </span>
            }
        }
        ParamKind::Bool => {
            let on = value == "on";
            let key = key.clone();
            let onchange = dispatch.reform(move |e: Event| {
                let input: HtmlInputElement = e.target_unchecked_into();
                let asked = input.checked();
                input.set_checked(on);
                Action::SetParam(key.clone(), if asked { "on" } else { "off" }.into())
            });
            html! { <input id={id.clone()} type="checkbox" checked={on} onchange={onchange} disabled={locked} /> }
        }
        ParamKind::Choice(options) => {
            let key = key.clone();
            let in_force = value.to_string();
            let onchange = dispatch.reform(move |e: Event| {
                let select: HtmlSelectElement = e.target_unchecked_into();
                let asked = select.value();
                select.set_value(&in_force);
                Action::SetParam(key.clone(), asked)
            });
            html! {
                <select id={id.clone()} onchange={onchange} disabled={locked}>
                    { for options.iter().map(|o| html! { <option value={*o} selected={*o == value}>{ *o }</option> }) }
                </select>
            }
        }
    };
    let default = canonical_default(spec);
    let changed = value != default;
    let reset = (changed && !locked).then(|| {
        let onclick = dispatch.reform(move |_: MouseEvent| Action::SetParam(key.clone(), default.clone()));
        html! {
            <button class="knob-reset" onclick={onclick} title={format!("Back to the default, {}", spec.default)}
                aria-label={format!("Reset {} to {}", spec.label, spec.default)}>{ "↺" }</button>
        }
    });
    html! {
        <div class={classes!("knob", (!spec.live).then_some("knob-restart"), changed.then_some("knob-changed"), locked.then_some("knob-locked"))}
            title={locked.then_some("The exercise keeps this knob as it is")}>
            <div class="knob-head">
                <label for={id}>{ spec.label }</label>
                if !spec.live {
                    <span class="restart-icon" title="Changing this restarts the run and replays to this moment" role="img"
                        aria-label="restarts the run">{ "⟳" }</span>
                }
                { for reset }
            </div>
            { control }
            <p class="help">{ spec.help }</p>
        </div>
    }
}

#[function_component]
pub fn Knobs(props: &KnobsProps) -> Html {
    let Ok(params) = Params::resolve(props.specs, &props.params) else {
        return html! { <p class="notice">{ "These parameters could not be read." }</p> };
    };
    let groups = ParamGroup::ALL.iter().filter_map(|&group| {
        let knobs: Vec<Html> = props
            .specs
            .iter()
            .filter(|spec| spec.group == group && spec.applies(&params))
            .map(|spec| {
                let locked = props.allowed.as_ref().is_some_and(|allowed| !allowed.iter().any(|k| k == spec.key));
                knob(spec, &current(&params, spec), locked, &props.dispatch)
            })
            .collect();
        (!knobs.is_empty()).then(|| {
            html! {
                <fieldset class="knob-group">
                    <legend>{ group.label() }</legend>
                    <div class="knob-grid">{ for knobs }</div>
                </fieldset>
            }
        })
    });
    let changed =
        props.specs.iter().filter(|s| s.applies(&params) && current(&params, s) != canonical_default(s)).count();
    html! {
        <section class="panel knobs" aria-labelledby="knobs-h">
            <h2 id="knobs-h">{ "Knobs" }
                if changed > 0 { <span class="knobs-changed">{ format!(" · {changed} changed") }</span> }
            </h2>
            <p class="help">{ "⟳ restarts the run with the new value and replays to this moment; the others change it live." }</p>
            { for groups }
            if props.specs.iter().any(|s| s.per_node) {
                <p class="help">{ "Per-node settings (many administrators): click a node and use “Only on …”, e.g. a 20 ms timeout on c2 alone." }</p>
            }
        </section>
    }
}

/// The default as the knob shows its values (`yes` reads as `on`).
fn canonical_default(spec: &ParamSpec) -> String {
    spec.check(spec.default).unwrap_or_else(|_| spec.default.to_string())
}

fn current(params: &Params, spec: &ParamSpec) -> String {
    match spec.kind {
        ParamKind::Int { .. } => params.int(spec.key).to_string(),
        ParamKind::Bool => if params.flag(spec.key) { "on" } else { "off" }.to_string(),
        ParamKind::Choice(_) => params.choice(spec.key).to_string(),
    }
}
