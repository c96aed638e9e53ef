//! The simulation canvas: nodes grouped by region, links, messages in flight at their
//! simulated positions, and marks where messages were dropped. It draws the core's
//! [`SimView`]; positions are interpolated from each frame's send and arrival times.

use std::collections::BTreeSet;
use std::rc::Rc;

use playground_core::network::REGIONS;
use playground_core::sim::{FlightFate, FlightView, LinkView, NodeRole, NodeView, SimView};
use playground_core::time::Micros;
use playground_core::trace::{DropReason, NodeId};
use yew::prelude::*;

use super::flight_layer::{FlightLayer, FlightMark};
use super::glyph::{node_classes, node_glyph, node_label, status_text, Legend, NODE_RADIUS};
use super::label_room::{FontSizes, LabelRoom};
use super::state::{Action, Menu};

pub const WIDTH: f64 = 800.0;
pub const HEIGHT: f64 = 420.0;

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
    /// In an embedded page (larger type), so labels keep clear of larger names.
    #[prop_or_default]
    pub embedded: bool,
    pub dispatch: Callback<Action>,
}

/// Beyond this many nodes the canvas stops drawing a line for every client-server pair.
const MANY_NODES: usize = 24;

/// Servers on a ring, clients in a column on the left.
fn ring_layout(nodes: &[NodeView], fonts: FontSizes) -> Vec<(f64, f64)> {
    let servers: Vec<&NodeView> = nodes.iter().filter(|n| n.role != NodeRole::Client).collect();
    let clients: Vec<&NodeView> = nodes.iter().filter(|n| n.role == NodeRole::Client).collect();
    let mut positions = vec![(0.0, 0.0); nodes.len()];
    let (cx, cy, radius) = (WIDTH / 2.0 + 60.0, HEIGHT / 2.0 + 5.0, HEIGHT / 2.0 - 60.0);
    for (i, node) in servers.iter().enumerate() {
        let angle = std::f64::consts::TAU * i as f64 / servers.len().max(1) as f64 - std::f64::consts::FRAC_PI_2;
        positions[usize::from(node.id)] = (cx + radius * angle.cos(), cy + radius * angle.sin());
    }
    for (node, (dx, y)) in clients.iter().zip(lane_spots(clients.len(), (60.0, HEIGHT - 100.0), 90.0, fonts)) {
        positions[usize::from(node.id)] = (90.0 + dx, y);
    }
    positions
}

/// How far apart down a lane nodes must be for a node's name to clear the shape above it: the
/// name's baseline is 28 above the node's centre and its letters rise 1.1 of their size above
/// that; the shape below the node above reaches a little past its radius. (68 on the page.)
/// It does not clear the status line under the node above (a crashed node's, or versions
/// when they differ): in a lane of five on the page the two can meet. A lane of more than nine
/// or ten nodes is crowded even staggered.
fn lane_step(fonts: FontSizes) -> f64 {
    NODE_RADIUS * 1.1 + 1.5 + 28.0 + 1.1 * fonts.name
}

/// Where `count` nodes of one lane go, from `top` over `span`: evenly down one column, or,
/// where that would put a node's name against the shape above it, alternately left and right
/// of the lane (within `room` of it) so that each node's neighbour above sits to one side.
fn lane_spots(count: usize, (top, span): (f64, f64), room: f64, fonts: FontSizes) -> impl Iterator<Item = (f64, f64)> {
    let step = span / count.max(1) as f64;
    let offset = if step < lane_step(fonts) { (room * 0.35).min(32.0) } else { 0.0 };
    (0..count).map(move |i| {
        let side = if i % 2 == 0 { -offset } else { offset };
        (side, top + step * (i as f64 + 0.5))
    })
}

/// Where each node sits: regions side by side, clients left of servers within a region.
pub fn layout(nodes: &[NodeView], fonts: FontSizes) -> Vec<(f64, f64)> {
    let regions = nodes.iter().map(|n| usize::from(n.region) + 1).max().unwrap_or(1);
    let column = WIDTH / regions as f64;
    let mut positions = vec![(0.0, 0.0); nodes.len()];
    for region in 0..regions {
        let here: Vec<&NodeView> = nodes.iter().filter(|n| usize::from(n.region) == region).collect();
        let roles: BTreeSet<NodeRole> = here.iter().map(|n| n.role).collect();
        for (lane, role) in roles.iter().enumerate() {
            let members: Vec<&&NodeView> = here.iter().filter(|n| n.role == *role).collect();
            let gap = column / (roles.len() as f64 + 1.0);
            let x = column * region as f64 + gap * (lane as f64 + 1.0);
            for (node, (dx, y)) in members.iter().zip(lane_spots(members.len(), (50.0, HEIGHT - 80.0), gap, fonts)) {
                positions[usize::from(node.id)] = (x + dx, y);
            }
        }
    }
    positions
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
    let fonts = if props.embedded { FontSizes::EMBEDDED } else { FontSizes::PAGE };
    let positions = if props.ring { ring_layout(&view.nodes, fonts) } else { layout(&view.nodes, fonts) };
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
    // Show protocol versions only when nodes run different ones (heterogeneity).
    let mixed_versions = view.nodes.windows(2).any(|w| w[0].version != w[1].version);
    // Words on the canvas go where they cover no node and no other words: a link's note
    // somewhere along its link, a message's name beside it or not at all (messages waiting at
    // one sender sit at one point; their names would print over each other).
    let status_lines: Vec<String> = view.nodes.iter().map(|n| status_line(n, mixed_versions)).collect();
    let room = std::cell::RefCell::new(LabelRoom::around(
        view.nodes.iter().zip(&status_lines).map(|(n, status)| (at(n.id), n.name.as_str(), status.as_str())),
        fonts,
    ));
    // Links first: their notes claim their room before messages' names do.
    let links: Vec<Html> = pairs.iter().map(|&(a, b)| {
        let (forward, backward) = (link_state(&view.links, a, b), link_state(&view.links, b, a));
        let cut = forward.is_some_and(|l| l.cut) || backward.is_some_and(|l| l.cut);
        let partitioned = forward.is_some_and(|l| l.partitioned);
        let slow = forward.map_or(1, |l| l.slow_factor).max(backward.map_or(1, |l| l.slow_factor));
        let queued: u32 = forward.map_or(0, |l| l.queued) + backward.map_or(0, |l| l.queued);
        let class = classes!("link", cut.then_some("link-cut"), partitioned.then_some("link-partitioned"), (slow > 1).then_some("link-slow"), (queued > 0).then_some("link-queued"));
        let ((x1, y1), (x2, y2)) = rim(at(a), at(b));
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
        // Beside a steep link, above a flat one: at its middle if that is clear, else nearer
        // one end, else at the middle anyway (a cut or a partition must be said).
        let steep = (y2 - y1).abs() > (x2 - x1).abs();
        let note = notes.join(" · ");
        let spot = |t: f64| {
            let (mx, my) = lerp((x1, y1), (x2, y2), t);
            if steep { (mx + 8.0, my + 4.0) } else { (mx, my - 6.0) }
        };
        let note_at = (!notes.is_empty()).then(|| {
            let mut room = room.borrow_mut();
            [0.5, 0.35, 0.65, 0.2, 0.8]
                .into_iter()
                .map(spot)
                .find(|&at| room.take_note(&note, at, !steep))
                .unwrap_or_else(|| spot(0.5))
        });
        html! {
            <g class={class}>
                <line class="link-line" x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{x2:.1}")} y2={format!("{y2:.1}")} />
                <line class="link-hit" x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{x2:.1}")} y2={format!("{y2:.1}")} onclick={onclick}>
                    <title>{ label.clone() }</title>
                </line>
                if let Some((nx, ny)) = note_at {
                    <text class={classes!("link-note", steep.then_some("link-note-side"))} x={format!("{nx:.1}")} y={format!("{ny:.1}")}>{ note.clone() }</text>
                }
            </g>
        }
    }).collect();

    let now = view.now;
    // Labels only when there is room for them; direction tails while the canvas is not a storm
    // (hundreds of tails cost a frame its budget, and say little there).
    let labelled = view.flights.len() <= 16;
    let tailed = view.flights.len() <= 48;
    let flights: Vec<FlightMark> = view
        .flights
        .iter()
        .enumerate()
        .map(|(index, f)| {
            let ((x1, y1), (x2, y2)) = rim(at(f.from), at(f.to));
            let queued = now < f.departs;
            // Waiting in the sender's transmit queue, it sits at the sender's rim.
            let (x, y) = if queued { (x1, y1) } else { lerp((x1, y1), (x2, y2), progress(f, now)) };
            // A short tail behind the message shows which way it travels.
            let length = ((x2 - x1).powi(2) + (y2 - y1).powi(2)).sqrt().max(1.0);
            let tail = (!queued && tailed).then(|| (-(x2 - x1) / length * 14.0, -(y2 - y1) / length * 14.0));
            let label = (labelled || props.ring)
                .then(|| room.borrow_mut().place((x, y), f.kind))
                .flatten()
                .map(|(lx, ly)| (lx - x, ly - y));
            FlightMark { index, at: (x, y), queued, tail, label }
        })
        .collect();

    let marks = props.drops.iter().filter(|d| d.at + props.mark_span >= now && d.at <= now).map(|d| {
        let where_on_link = match d.reason {
            DropReason::Loss => 0.5,
            DropReason::Partition | DropReason::LinkCut => 0.15,
            _ => 0.85,
        };
        let ((x1, y1), (x2, y2)) = rim(at(d.from), at(d.to));
        let (x, y) = lerp((x1, y1), (x2, y2), where_on_link);
        let age = (now - d.at) as f64 / props.mark_span.max(1) as f64;
        // A node that is down already says so under its name; its drops' reasons would pile
        // up over that line, so they keep only the cross (the reason is in its tooltip).
        let said_by_node = d.reason == DropReason::NodeDown;
        html! {
            <g class="drop-mark" style={format!("--age: {age:.2}")}>
                <title>{ format!("dropped: {}", d.reason.label()) }</title>
                <text x={format!("{x:.1}")} y={format!("{:.1}", y + 5.0)}>{"✕"}</text>
                if !said_by_node {
                    <text class="drop-reason" x={format!("{x:.1}")} y={format!("{:.1}", y + 18.0)}>{ d.reason.label() }</text>
                }
            </g>
        }
    });

    let cut_off = |id: NodeId| {
        let mine: Vec<&LinkView> = view.links.iter().filter(|l| l.from == id || l.to == id).collect();
        !mine.is_empty() && mine.iter().all(|l| l.partitioned)
    };
    let partitioned = view.nodes.iter().any(|n| cut_off(n.id));
    let nodes = view.nodes.iter().map(|n| {
        let (x, y) = at(n.id);
        let id = n.id;
        let picked = props.pick.as_ref().is_some_and(|p| p.contains(&id));
        let selected = props.menu == Some(Menu::Node(id));
        let cut = cut_off(id);
        let mut class = node_classes(n);
        class.push(classes!(picked.then_some("node-picked"), selected.then_some("node-selected")));
        let action =
            if props.pick.is_some() { Action::PartitionToggle(id) } else { Action::OpenMenu(Some(Menu::Node(id))) };
        let status_line = &status_lines[usize::from(n.id)];
        let label = node_label(n, status_line, cut);
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
                { node_glyph(n, now, cut, status_line) }
                { node_card(n, (x, y)) }
            </g>
        }
    });

    html! {
        <figure class="canvas">
            <figcaption class="canvas-title">{ props.title.clone() }</figcaption>
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="group" aria-label={format!("{}: {} nodes, {} messages in flight", props.title, view.nodes.len(), view.flights.len())}>
                { for region_boxes }
                { for links }
                <FlightLayer view={props.view.clone()} marks={Rc::new(flights)} />
                { for marks }
                { for nodes }
            </svg>
            <Legend view={props.view.clone()} partitioned={partitioned} />
        </figure>
    }
}

/// What is written under a node: only what differs, a status other than up, a version when
/// nodes run different ones.
fn status_line(node: &NodeView, mixed_versions: bool) -> String {
    let status = status_text(node.status);
    match (node.status == playground_core::sim::NodeStatus::Up, mixed_versions) {
        (true, false) => String::new(),
        (true, true) => format!("v{}", node.version),
        (false, false) => status.to_string(),
        (false, true) => format!("{status} · v{}", node.version),
    }
}

/// A node's details beside it, shown (by CSS) while the pointer is on the node or the keyboard's
/// focus is. The same words are in the node's accessible name, so the card is hidden from
/// screen readers; it lives inside the node's group and is placed relative to it.
fn node_card(node: &NodeView, (x, y): (f64, f64)) -> Html {
    let mut lines = vec![format!("{} · {}", node.name, node.role.label())];
    lines.extend(node.detail.iter().cloned());
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64 * 6.6 + 16.0;
    let height = lines.len() as f64 * 15.0 + 10.0;
    let left = if x + 30.0 + width > WIDTH { -30.0 - width } else { 30.0 };
    let top = (y - height / 2.0).clamp(2.0, (HEIGHT - height - 2.0).max(2.0)) - y;
    html! {
        <g class="node-card" aria-hidden="true" transform={format!("translate({left:.1} {top:.1})")}>
            <rect width={format!("{width:.1}")} height={format!("{height:.1}")} rx="6" />
            { for lines.iter().enumerate().map(|(i, line)| html! {
                <text x="8" y={format!("{:.1}", 17.0 + 15.0 * i as f64)} class={classes!((i == 0).then_some("node-card-head"))}>{ line.clone() }</text>
            }) }
        </g>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use playground_core::sim::{Glyph, NodeStatus};

    fn node(id: NodeId, role: NodeRole, region: u8) -> NodeView {
        let prefix = if role == NodeRole::Client { "c" } else { "s" };
        NodeView {
            id,
            name: format!("{prefix}{id}"),
            role,
            region,
            version: 0,
            status: NodeStatus::Up,
            cpu_busy: 0,
            detail: Vec::new(),
            glyph: Glyph::default(),
        }
    }

    /// A node's shape (a little larger than its circle or square) and its name above it, measured
    /// as `label_room` measures a name (0.75 of its size wide per letter, 1.1 up, 0.3 down).
    fn boxes(n: &NodeView, (x, y): (f64, f64), size: f64) -> [(f64, f64, f64, f64); 2] {
        let shape = NODE_RADIUS * 1.1;
        let half_name = 0.75 * size * n.name.len() as f64 / 2.0;
        [
            (x - shape, y - shape, x + shape, y + shape),
            (x - half_name, y - 28.0 - 1.1 * size, x + half_name, y - 28.0 + 0.3 * size),
        ]
    }

    fn clear(nodes: &[NodeView], positions: &[(f64, f64)], size: f64) -> Result<(), String> {
        let overlaps =
            |a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)| a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3;
        for (i, a) in nodes.iter().enumerate() {
            for (j, b) in nodes.iter().enumerate().filter(|&(j, _)| j != i) {
                let [a_shape, a_name] = boxes(a, positions[i], size);
                let [b_shape, _] = boxes(b, positions[j], size);
                if overlaps(a_shape, b_shape) || overlaps(a_name, b_shape) {
                    return Err(format!("{} at {:?} against {} at {:?}", a.name, positions[i], b.name, positions[j]));
                }
            }
        }
        Ok(())
    }

    #[test]
    fn a_crowded_lane_keeps_every_name_off_the_shapes_around_it() {
        for clients in 1..=8u16 {
            for (servers, regions, extra) in [(5, 1, Some(NodeRole::Coordinator)), (9, 1, None), (6, 3, None)] {
                let mut nodes: Vec<NodeView> = (0..clients).map(|id| node(id, NodeRole::Client, 0)).collect();
                for s in 0..servers {
                    nodes.push(node(clients + s, NodeRole::Server, (s % regions) as u8));
                }
                if let Some(role) = extra {
                    nodes.push(node(clients + servers, role, 0));
                }
                for fonts in [FontSizes::PAGE, FontSizes::EMBEDDED] {
                    let positions = layout(&nodes, fonts);
                    clear(&nodes, &positions, fonts.name)
                        .unwrap_or_else(|e| panic!("{clients} clients, {servers} servers, {fonts:?}: {e}"));
                }
            }
            let mut ring: Vec<NodeView> = (0..5).map(|id| node(id, NodeRole::Server, 0)).collect();
            ring.extend((0..clients).map(|c| node(5 + c, NodeRole::Client, 0)));
            for fonts in [FontSizes::PAGE, FontSizes::EMBEDDED] {
                clear(&ring, &ring_layout(&ring, fonts), fonts.name)
                    .unwrap_or_else(|e| panic!("ring with {clients} clients, {fonts:?}: {e}"));
            }
        }
    }
}
