//! The simulation canvas: nodes grouped by region, links, messages in flight at their
//! simulated positions, and marks where messages were dropped. It draws the core's
//! [`SimView`]; positions are interpolated from each frame's send and arrival times.

use std::collections::BTreeSet;
use std::rc::Rc;

use playground_core::network::REGIONS;
use playground_core::process::MsgClass;
use playground_core::sim::{FlightFate, FlightView, LinkView, NodeRole, NodeStatus, NodeView, SimView};
use playground_core::time::Micros;
use playground_core::trace::{DropReason, NodeId};
use yew::prelude::*;

use super::state::{Action, Menu};

pub const WIDTH: f64 = 800.0;
pub const HEIGHT: f64 = 420.0;
const NODE_RADIUS: f64 = 22.0;

/// A message that was dropped recently: where and why.
#[derive(Clone, Debug, PartialEq)]
pub struct DropMark {
    pub at: Micros,
    pub from: NodeId,
    pub to: NodeId,
    pub reason: DropReason,
}

#[derive(Properties, PartialEq)]
pub struct CanvasProps {
    pub view: Rc<SimView>,
    pub drops: Rc<Vec<DropMark>>,
    /// How long a drop mark stays, in virtual time.
    pub mark_span: Micros,
    pub pick: Option<BTreeSet<NodeId>>,
    pub menu: Option<Menu>,
    pub title: AttrValue,
    pub interactive: bool,
    /// Servers talk to each other (consensus): place them on a ring and link every pair.
    #[prop_or_default]
    pub ring: bool,
    pub dispatch: Callback<Action>,
}

/// Beyond this many nodes the canvas stops drawing a line for every client-server pair.
const MANY_NODES: usize = 24;

/// Servers on a ring, clients in a column on the left.
fn ring_layout(nodes: &[NodeView]) -> Vec<(f64, f64)> {
    let servers: Vec<&NodeView> = nodes.iter().filter(|n| n.role != NodeRole::Client).collect();
    let clients: Vec<&NodeView> = nodes.iter().filter(|n| n.role == NodeRole::Client).collect();
    let mut positions = vec![(0.0, 0.0); nodes.len()];
    let (cx, cy, radius) = (WIDTH / 2.0 + 60.0, HEIGHT / 2.0 + 5.0, HEIGHT / 2.0 - 60.0);
    for (i, node) in servers.iter().enumerate() {
        let angle = std::f64::consts::TAU * i as f64 / servers.len().max(1) as f64 - std::f64::consts::FRAC_PI_2;
        positions[usize::from(node.id)] = (cx + radius * angle.cos(), cy + radius * angle.sin());
    }
    for (i, node) in clients.iter().enumerate() {
        positions[usize::from(node.id)] = (90.0, 60.0 + (HEIGHT - 100.0) * (i as f64 + 0.5) / clients.len() as f64);
    }
    positions
}

/// Where each node sits: regions side by side, clients left of servers within a region.
pub fn layout(nodes: &[NodeView]) -> Vec<(f64, f64)> {
    let regions = nodes.iter().map(|n| usize::from(n.region) + 1).max().unwrap_or(1);
    let column = WIDTH / regions as f64;
    let mut positions = vec![(0.0, 0.0); nodes.len()];
    for region in 0..regions {
        let here: Vec<&NodeView> = nodes.iter().filter(|n| usize::from(n.region) == region).collect();
        let roles: BTreeSet<NodeRole> = here.iter().map(|n| n.role).collect();
        for (lane, role) in roles.iter().enumerate() {
            let members: Vec<&&NodeView> = here.iter().filter(|n| n.role == *role).collect();
            let x = column * region as f64 + column * (lane as f64 + 1.0) / (roles.len() as f64 + 1.0);
            for (i, node) in members.iter().enumerate() {
                let y = 50.0 + (HEIGHT - 80.0) * (i as f64 + 0.5) / members.len() as f64;
                positions[usize::from(node.id)] = (x, y);
            }
        }
    }
    positions
}

fn status_text(status: NodeStatus) -> &'static str {
    match status {
        NodeStatus::Up => "up",
        NodeStatus::Crashed => "crashed",
        NodeStatus::Paused { .. } => "paused",
        NodeStatus::Absent => "not a member",
    }
}

/// Message colours by role, the same across labs (Okabe-Ito, so they stay apart for
/// colour-blind readers; the label and the legend say it in words too).
fn class_css(class: MsgClass) -> &'static str {
    match class {
        MsgClass::Request => "msg-request",
        MsgClass::Reply => "msg-ack",
        MsgClass::Rejection => "msg-reject",
        MsgClass::Ballot => "msg-vote",
        MsgClass::Heartbeat => "msg-heartbeat",
        MsgClass::Other => "msg-other",
    }
}

const LEGEND: [(&str, &str); 5] = [
    ("msg-request", "requests and appends"),
    ("msg-ack", "replies and acks"),
    ("msg-vote", "elections and ballots"),
    ("msg-heartbeat", "heartbeats"),
    ("msg-reject", "rejections"),
];

fn fate_class(fate: FlightFate) -> &'static str {
    match fate {
        FlightFate::Arrives => "fate-arrives",
        FlightFate::Lost => "fate-lost",
        FlightFate::Duplicate => "fate-duplicate",
        FlightFate::Tampered => "fate-tampered",
        FlightFate::Replayed => "fate-replayed",
    }
}

/// Where a frame is now, as a fraction of the link from its sender.
fn progress(flight: &FlightView, now: Micros) -> f64 {
    if now <= flight.departs || flight.arrives <= flight.departs {
        return 0.0;
    }
    let p = ((now - flight.departs) as f64 / (flight.arrives - flight.departs) as f64).min(1.0);
    // A lost frame vanishes halfway along the link.
    if flight.fate == FlightFate::Lost {
        p * 0.5
    } else {
        p
    }
}

fn lerp(a: (f64, f64), b: (f64, f64), t: f64) -> (f64, f64) {
    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
}

/// Shortens a segment so it starts and ends at the node rims.
fn rim(a: (f64, f64), b: (f64, f64)) -> ((f64, f64), (f64, f64)) {
    let length = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt().max(1.0);
    let t = NODE_RADIUS / length;
    (lerp(a, b, t), lerp(a, b, 1.0 - t))
}

fn link_state(links: &[LinkView], from: NodeId, to: NodeId) -> Option<&LinkView> {
    links.iter().find(|l| l.from == from && l.to == to)
}

#[function_component]
pub fn Canvas(props: &CanvasProps) -> Html {
    let view = &props.view;
    let positions = if props.ring { ring_layout(&view.nodes) } else { layout(&view.nodes) };
    let at = |id: NodeId| positions.get(usize::from(id)).copied().unwrap_or((0.0, 0.0));
    let regions = if props.ring { 0 } else { view.nodes.iter().map(|n| usize::from(n.region) + 1).max().unwrap_or(1) };
    let column = WIDTH / regions.max(1) as f64;

    let region_boxes = (0..regions).map(|r| {
        let x = column * r as f64 + 6.0;
        html! {
            <g class="region">
                <rect x={format!("{x:.1}")} y="8" width={format!("{:.1}", column - 12.0)} height={format!("{:.1}", HEIGHT - 16.0)} rx="10" />
                <text x={format!("{:.1}", x + 10.0)} y="26">{ REGIONS.get(r).copied().unwrap_or("region") }</text>
            </g>
        }
    });

    // Links: every client-server pair talks; draw them, and mark the ones in trouble. With
    // many nodes (a partitioned store of 100) every pair would be a thicket of lines: then
    // only the links the network reports on are drawn.
    let mut pairs: Vec<(NodeId, NodeId)> = Vec::new();
    let crowded = view.nodes.len() > MANY_NODES;
    for a in view.nodes.iter().filter(|n| n.role == NodeRole::Client && !crowded) {
        for b in view.nodes.iter().filter(|n| n.role != NodeRole::Client) {
            pairs.push((a.id, b.id));
        }
    }
    if props.ring && !crowded {
        let servers: Vec<NodeId> = view.nodes.iter().filter(|n| n.role != NodeRole::Client).map(|n| n.id).collect();
        for (i, &a) in servers.iter().enumerate() {
            for &b in &servers[i + 1..] {
                pairs.push((a, b));
            }
        }
    }
    let mut seen: std::collections::BTreeSet<(NodeId, NodeId)> =
        pairs.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
    for link in &view.links {
        let key = (link.from.min(link.to), link.from.max(link.to));
        if seen.insert(key) {
            pairs.push(key);
        }
    }
    let links = pairs.iter().map(|&(a, b)| {
        let (forward, backward) = (link_state(&view.links, a, b), link_state(&view.links, b, a));
        let cut = forward.is_some_and(|l| l.cut) || backward.is_some_and(|l| l.cut);
        let partitioned = forward.is_some_and(|l| l.partitioned);
        let slow = forward.map_or(1, |l| l.slow_factor).max(backward.map_or(1, |l| l.slow_factor));
        let queued: u32 = forward.map_or(0, |l| l.queued) + backward.map_or(0, |l| l.queued);
        let class = classes!("link", cut.then_some("link-cut"), partitioned.then_some("link-partitioned"), (slow > 1).then_some("link-slow"), (queued > 0).then_some("link-queued"));
        let ((x1, y1), (x2, y2)) = rim(at(a), at(b));
        let (mx, my) = lerp((x1, y1), (x2, y2), 0.5);
        let mut notes = Vec::new();
        if cut {
            let one_way = match (forward.is_some_and(|l| l.cut), backward.is_some_and(|l| l.cut)) {
                (true, true) => "cut",
                _ => "cut one way",
            };
            notes.push(one_way.to_string());
        }
        if partitioned {
            notes.push("partitioned".into());
        }
        if slow > 1 {
            notes.push(format!("slow ×{slow}"));
        }
        if queued > 0 {
            notes.push(format!("queue {queued}"));
        }
        let names = (view.nodes[usize::from(a)].name.clone(), view.nodes[usize::from(b)].name.clone());
        let label = format!("link {}–{}{}", names.0, names.1, if notes.is_empty() { String::new() } else { format!(": {}", notes.join(", ")) });
        let onclick = props.interactive.then(|| props.dispatch.reform(move |_: MouseEvent| Action::OpenMenu(Some(Menu::Link(a, b)))));
        html! {
            <g class={class}>
                <line class="link-line" x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{x2:.1}")} y2={format!("{y2:.1}")} />
                <line class="link-hit" x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{x2:.1}")} y2={format!("{y2:.1}")} onclick={onclick}>
                    <title>{ label.clone() }</title>
                </line>
                if !notes.is_empty() {
                    <text class="link-note" x={format!("{mx:.1}")} y={format!("{:.1}", my - 6.0)}>{ notes.join(" · ") }</text>
                }
            </g>
        }
    });

    let now = view.now;
    let flights = view.flights.iter().map(|f| {
        let (x, y) = if now < f.departs {
            // Waiting in the sender's transmit queue: stack it just off the sender.
            lerp(at(f.from), at(f.to), 0.0)
        } else {
            let ((x1, y1), (x2, y2)) = rim(at(f.from), at(f.to));
            lerp((x1, y1), (x2, y2), progress(f, now))
        };
        let queued = now < f.departs;
        html! {
            <g>
                <circle class={classes!("msg", class_css(f.class), fate_class(f.fate), queued.then_some("msg-queued"))}
                    cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="6">
                    <title>{ format!("#{} {} {} B", f.msg, f.kind, f.bytes) }</title>
                </circle>
                if props.ring {
                    <text class="flight-label" x={format!("{:.1}", x + 8.0)} y={format!("{:.1}", y - 6.0)}>{ f.kind }</text>
                }
            </g>
        }
    });

    let marks = props.drops.iter().filter(|d| d.at + props.mark_span >= now && d.at <= now).map(|d| {
        let where_on_link = match d.reason {
            DropReason::Loss => 0.5,
            DropReason::Partition | DropReason::LinkCut => 0.15,
            _ => 0.85,
        };
        let ((x1, y1), (x2, y2)) = rim(at(d.from), at(d.to));
        let (x, y) = lerp((x1, y1), (x2, y2), where_on_link);
        let age = (now - d.at) as f64 / props.mark_span.max(1) as f64;
        html! {
            <g class="drop-mark" style={format!("--age: {age:.2}")}>
                <text x={format!("{x:.1}")} y={format!("{:.1}", y + 5.0)}>{"✕"}</text>
                <text class="drop-reason" x={format!("{x:.1}")} y={format!("{:.1}", y + 18.0)}>{ d.reason.label() }</text>
            </g>
        }
    });

    // Show protocol versions only when nodes run different ones (heterogeneity).
    let mixed_versions = view.nodes.windows(2).any(|w| w[0].version != w[1].version);
    let nodes = view.nodes.iter().map(|n| {
        let (x, y) = at(n.id);
        let id = n.id;
        let picked = props.pick.as_ref().is_some_and(|p| p.contains(&id));
        let selected = props.menu == Some(Menu::Node(id));
        let status = status_text(n.status);
        let class = classes!("node", format!("node-{}", status.replace(' ', "-")), format!("role-{}", n.role.label()), picked.then_some("node-picked"), selected.then_some("node-selected"));
        let action = if props.pick.is_some() { Action::PartitionToggle(id) } else { Action::OpenMenu(Some(Menu::Node(id))) };
        // The accessible name starts with the text the node shows, in order (name, status,
        // detail lines on a ring), so what a person sees is what a screen reader says.
        let status_line = if mixed_versions { format!("{status} · v{}", n.version) } else { status.to_string() };
        let shown_detail = if props.ring { format!(" {}", n.detail.join(" ")) } else { String::new() };
        let label = format!(
            "{} {status_line}{shown_detail}, a {}, protocol v{}. {}",
            n.name,
            n.role.label(),
            n.version,
            n.detail.join("; ")
        );
        let onkeydown = props.interactive.then(|| {
            let (dispatch, action) = (props.dispatch.clone(), action.clone());
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    e.stop_propagation();
                    dispatch.emit(action.clone());
                }
            })
        });
        let onclick = props.interactive.then(|| props.dispatch.reform(move |_: MouseEvent| action.clone()));
        html! {
            <g class={class} transform={format!("translate({x:.1} {y:.1})")} tabindex={props.interactive.then_some("0")}
                role="button" aria-label={label} data-node={n.name.clone()} onclick={onclick} onkeydown={onkeydown}>
                <circle r={NODE_RADIUS.to_string()} />
                if n.status == NodeStatus::Crashed {
                    <path class="node-x" d="M-11,-11 L11,11 M11,-11 L-11,11" />
                }
                if matches!(n.status, NodeStatus::Paused { .. }) {
                    <path class="node-pause" d="M-6,-9 L-6,9 M6,-9 L6,9" />
                }
                // One text element, one line per tspan, so its visible text reads "s1 up …"
                // exactly as the accessible name begins.
                <text class="node-label">
                    <tspan class="node-name" x="0" y="-27">{ n.name.clone() }</tspan>
                    <tspan class="node-status" x="0" y="38">{ format!(" {status_line}") }</tspan>
                    if props.ring {
                        { for n.detail.iter().enumerate().map(|(i, line)| html! { <tspan class="node-detail" x="0" y={(51 + 12 * i).to_string()}>{ format!(" {line}") }</tspan> }) }
                    }
                </text>
            </g>
        }
    });

    html! {
        <figure class="canvas">
            <figcaption class="canvas-title">{ props.title.clone() }</figcaption>
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="group" aria-label={format!("{}: {} nodes, {} messages in flight", props.title, view.nodes.len(), view.flights.len())}>
                { for region_boxes }
                { for links }
                { for flights }
                { for marks }
                { for nodes }
            </svg>
            <p class="msg-legend" aria-hidden="true">
                { for LEGEND.iter().map(|(class, words)| html! { <span><svg viewBox="0 0 10 10"><circle class={classes!("msg", *class)} cx="5" cy="5" r="4" /></svg>{ *words }</span> }) }
            </p>
        </figure>
    }
}
