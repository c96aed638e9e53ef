//! One labelled control per lab parameter, with its one-line explanation. Knobs that can
//! change mid-run are recorded in the fault script as `set key=value`; the others restart the
//! run with the new value and replay to the same moment.

use playground_core::lab::{ParamKind, ParamSpec, Params};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::state::Action;

#[derive(Properties, PartialEq)]
pub struct KnobsProps {
    pub specs: &'static [ParamSpec],
    pub params: Vec<(String, String)>,
    pub dispatch: Callback<Action>,
}

fn knob(spec: &'static ParamSpec, value: &str, dispatch: &Callback<Action>) -> Html {
    let id = format!("knob-{}", spec.key);
    let key = spec.key.to_string();
    let control = match spec.kind {
        ParamKind::Int { min, max, unit } => {
            let key = key.clone();
            let onchange = dispatch.reform(move |e: Event| {
                let input: HtmlInputElement = e.target_unchecked_into();
                Action::SetParam(key.clone(), input.value())
            });
            html! {
                <span class="knob-input">
                    <input id={id.clone()} type="number" min={min.to_string()} max={max.to_string()} value={value.to_string()} onchange={onchange} />
                    <span class="unit">{ unit }</span>
                </span>
            }
        }
        ParamKind::Bool => {
            let on = value == "on";
            let onchange = dispatch.reform(move |e: Event| {
                let input: HtmlInputElement = e.target_unchecked_into();
                Action::SetParam(key.clone(), if input.checked() { "on" } else { "off" }.into())
            });
            html! { <input id={id.clone()} type="checkbox" checked={on} onchange={onchange} /> }
        }
        ParamKind::Choice(options) => {
            let onchange = dispatch.reform(move |e: Event| {
                let select: HtmlSelectElement = e.target_unchecked_into();
                Action::SetParam(key.clone(), select.value())
            });
            html! {
                <select id={id.clone()} onchange={onchange}>
                    { for options.iter().map(|o| html! { <option value={*o} selected={*o == value}>{ *o }</option> }) }
                </select>
            }
        }
    };
    html! {
        <div class={classes!("knob", (!spec.live).then_some("knob-restart"))}>
            <label for={id}>{ spec.label }</label>
            { control }
            <p class="help">{ spec.help }{ if spec.live { "" } else { " (restarts the run)" } }</p>
        </div>
    }
}

#[function_component]
pub fn Knobs(props: &KnobsProps) -> Html {
    let Ok(params) = Params::resolve(props.specs, &props.params) else {
        return html! { <p class="notice">{ "These parameters could not be read." }</p> };
    };
    html! {
        <section class="panel knobs" aria-labelledby="knobs-h">
            <h2 id="knobs-h">{ "Knobs" }</h2>
            <div class="knob-grid">
                { for props.specs.iter().filter(|spec| spec.applies(&params)).map(|spec| knob(spec, &current(&params, spec), &props.dispatch)) }
            </div>
            if props.specs.iter().any(|s| s.per_node) {
                <p class="help">{ "Per-node settings (many administrators): click a node and use “Only on …”, e.g. a 20 ms timeout on c2 alone." }</p>
            }
        </section>
    }
}

fn current(params: &Params, spec: &ParamSpec) -> String {
    match spec.kind {
        ParamKind::Int { .. } => params.int(spec.key).to_string(),
        ParamKind::Bool => if params.flag(spec.key) { "on" } else { "off" }.to_string(),
        ParamKind::Choice(_) => params.choice(spec.key).to_string(),
    }
}
