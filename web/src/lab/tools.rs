//! Direct manipulation: the node and link menus, the partition tool, and the share and
//! embed dialog. Every action becomes a fault in the scenario's script.

use playground_core::fault::FaultAction;
use playground_core::lab::ParamSpec;
use playground_core::sim::NodeStatus;
use playground_core::time::MICROS_PER_MS;
use playground_core::trace::NodeId;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::state::{Action, Menu};

#[derive(Properties, PartialEq)]
pub struct MenuProps {
    pub menu: Menu,
    /// The lab's knobs; the per-node ones can be set for the node in the menu.
    pub specs: &'static [ParamSpec],
    pub names: Vec<String>,
    pub statuses: Vec<NodeStatus>,
    /// Commands the lab offers for this node: (label, command text).
    pub commands: Vec<(String, String)>,
    pub dispatch: Callback<Action>,
}

fn button(label: &str, id: &str, action: Action, dispatch: &Callback<Action>) -> Html {
    let onclick = dispatch.reform(move |_: MouseEvent| action.clone());
    html! { <button data-action={id.to_string()} onclick={onclick}>{ label }</button> }
}

#[function_component]
pub fn ActionMenu(props: &MenuProps) -> Html {
    let d = &props.dispatch;
    let name = |id: NodeId| props.names.get(usize::from(id)).cloned().unwrap_or_default();
    let close = d.reform(|_: MouseEvent| Action::OpenMenu(None));
    let (title, buttons) = match props.menu {
        Menu::Node(id) => {
            let n = name(id);
            let status = props.statuses.get(usize::from(id)).copied().unwrap_or(NodeStatus::Up);
            let mut items = Vec::new();
            match status {
                NodeStatus::Up => {
                    items.push(button("Crash", "crash", Action::Inject(FaultAction::Crash(n.clone())), d));
                    items.push(button(
                        "Pause 500 ms (GC)",
                        "pause",
                        Action::Inject(FaultAction::Pause { node: n.clone(), span: 500 * MICROS_PER_MS }),
                        d,
                    ));
                    items.push(button(
                        "Pause 3 s",
                        "pause-long",
                        Action::Inject(FaultAction::Pause { node: n.clone(), span: 3_000 * MICROS_PER_MS }),
                        d,
                    ));
                    items.push(button("Leave", "leave", Action::Inject(FaultAction::Leave(n.clone())), d));
                }
                NodeStatus::Crashed => {
                    items.push(button("Restart", "restart", Action::Inject(FaultAction::Restart(n.clone())), d))
                }
                NodeStatus::Paused { .. } => {
                    items.push(button("Crash", "crash", Action::Inject(FaultAction::Crash(n.clone())), d))
                }
                NodeStatus::Absent => {
                    items.push(button("Join", "join", Action::Inject(FaultAction::Join(n.clone())), d))
                }
            }
            if status == NodeStatus::Up {
                for (label, text) in &props.commands {
                    let action = Action::Inject(FaultAction::Command { node: n.clone(), text: text.clone() });
                    items.push(button(label, &format!("do-{}", text.replace(' ', "-")), action, d));
                }
            }
            (
                format!(
                    "{n} ({})",
                    match status {
                        NodeStatus::Up => "up",
                        NodeStatus::Crashed => "crashed",
                        NodeStatus::Paused { .. } => "paused",
                        NodeStatus::Absent => "not a member",
                    }
                ),
                items,
            )
        }
        Menu::Link(a, b) => {
            let (na, nb) = (name(a), name(b));
            let cut = |from: &str, to: &str, both| {
                Action::Inject(FaultAction::Cut { from: from.into(), to: to.into(), both })
            };
            let items = vec![
                button("Cut both ways", "cut-both", cut(&na, &nb, true), d),
                button(&format!("Cut {na} → {nb} only"), "cut-forward", cut(&na, &nb, false), d),
                button(&format!("Cut {nb} → {na} only"), "cut-backward", cut(&nb, &na, false), d),
                button(
                    "Slow ×10",
                    "slow",
                    Action::Inject(FaultAction::Slow { a: na.clone(), b: nb.clone(), factor: 10 }),
                    d,
                ),
                button("Heal the network", "heal", Action::Inject(FaultAction::Heal), d),
            ];
            (format!("link {na} – {nb}"), items)
        }
    };
    let per_node = match props.menu {
        Menu::Node(id) => html! { <NodeSetting node={name(id)} specs={props.specs} dispatch={d.clone()} /> },
        Menu::Link(..) => html! {},
    };
    html! {
        <div class="action-menu" role="dialog" aria-label={format!("Actions for {title}")}>
            <strong>{ title }</strong>
            { for buttons }
            <button class="close" onclick={close} aria-label="Close menu">{ "✕" }</button>
            { per_node }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct NodeSettingProps {
    node: String,
    specs: &'static [ParamSpec],
    dispatch: Callback<Action>,
}

/// Many administrators: set one knob for this node only (`node.key=value`).
#[function_component]
fn NodeSetting(props: &NodeSettingProps) -> Html {
    let specs: Vec<&ParamSpec> = props.specs.iter().filter(|s| s.per_node).collect();
    let key = use_state(|| specs.first().map_or("", |s| s.key));
    let value = use_state(String::new);
    if specs.is_empty() {
        return html! {};
    }
    let on_key = {
        let key = key.clone();
        let specs = specs.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(spec) = specs.iter().find(|s| s.key == select.value()) {
                key.set(spec.key);
            }
        })
    };
    let on_value = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            value.set(input.value());
        })
    };
    let apply = {
        let (node, key, value, dispatch) = (props.node.clone(), key.clone(), value.clone(), props.dispatch.clone());
        Callback::from(move |_: MouseEvent| {
            dispatch.emit(Action::SetParam(format!("{node}.{}", *key), (*value).clone()))
        })
    };
    let help = specs.iter().find(|s| s.key == *key).map_or("", |s| s.help);
    html! {
        <div class="node-setting">
            <label>{ format!("Only on {}: ", props.node) }
                <select onchange={on_key} aria-label="Setting">
                    { for specs.iter().map(|s| html! { <option value={s.key} selected={s.key == *key}>{ s.label }</option> }) }
                </select>
            </label>
            <input aria-label="Value" placeholder="value" value={(*value).clone()} oninput={on_value} size="8" />
            <button data-action="set-node" onclick={apply}>{ "Set" }</button>
            <span class="help">{ help }</span>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct PartitionBarProps {
    pub picking: bool,
    pub picked: Vec<String>,
    pub dispatch: Callback<Action>,
}

#[function_component]
pub fn PartitionBar(props: &PartitionBarProps) -> Html {
    let d = &props.dispatch;
    if !props.picking {
        return html! {
            <div class="partition-bar">
                <button id="partition-tool" onclick={d.reform(|_: MouseEvent| Action::PartitionTool(true))}>{ "✂ Draw a partition" }</button>
                <button id="heal" onclick={d.reform(|_: MouseEvent| Action::Inject(FaultAction::Heal))}>{ "Heal all" }</button>
            </div>
        };
    }
    html! {
        <div class="partition-bar picking" role="status">
            <span>{ if props.picked.is_empty() { "Click nodes to put them on one side of the partition.".to_string() } else { format!("One side: {}. The rest form the other side.", props.picked.join(", ")) } }</span>
            <button id="partition-apply" disabled={props.picked.is_empty()} onclick={d.reform(|_: MouseEvent| Action::PartitionApply)}>{ "Split" }</button>
            <button onclick={d.reform(|_: MouseEvent| Action::PartitionTool(false))}>{ "Cancel" }</button>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    pub link: String,
    pub embed_snippet: Option<String>,
    pub on_close: Callback<()>,
}

#[function_component]
pub fn ShareDialog(props: &ShareProps) -> Html {
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <div class="share-dialog" role="dialog" aria-label="Share this run">
            if let Some(snippet) = &props.embed_snippet {
                <label>{ "Paste this into a course page:" }<textarea id="embed-snippet" readonly=true rows="3" value={snippet.clone()} /></label>
            } else {
                <label>{ "Link to this exact moment (copied):" }<input id="share-link" readonly=true value={props.link.clone()} /></label>
            }
            <button onclick={close}>{ "Done" }</button>
        </div>
    }
}
