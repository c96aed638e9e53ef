//! The visual language for nodes, the same in every lab: a shape per role, an outline per
//! standing (leader, candidate, follower), a badge per state (crashed, paused, cut off), the
//! one number that matters in the lab drawn inside, and a timer as an arc that drains around
//! the node. [`Legend`] explains every mark the canvas is showing.

use playground_core::sort;
use std::collections::BTreeSet;

use playground_core::process::MsgClass;
use playground_core::sim::{NodeRole, NodeStatus, NodeView, Standing};
use playground_core::time::Micros;
use yew::prelude::*;

pub const NODE_RADIUS: f64 = 22.0;
const TIMER_RADIUS: f64 = 27.0;

/// The shapes roles are drawn with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Shape {
    Circle,
    Square,
    Hexagon,
    Diamond,
    Triangle,
    Pentagon,
    Octagon,
}

fn shape_of(role: NodeRole) -> Shape {
    match role {
        NodeRole::Client => Shape::Square,
        NodeRole::Coordinator => Shape::Hexagon,
        NodeRole::Router => Shape::Diamond,
        NodeRole::Monitor => Shape::Triangle,
        NodeRole::Proposer => Shape::Pentagon,
        NodeRole::TimeServer => Shape::Octagon,
        NodeRole::Server | NodeRole::Process | NodeRole::Acceptor | NodeRole::Learner | NodeRole::Replica => {
            Shape::Circle
        }
    }
}

/// A regular polygon's points, the first one straight up.
fn polygon(sides: usize, radius: f64, turn: f64) -> String {
    (0..sides)
        .map(|i| {
            let angle = std::f64::consts::TAU * (i as f64 + turn) / sides as f64 - std::f64::consts::FRAC_PI_2;
            format!("{:.1},{:.1}", radius * angle.cos(), radius * angle.sin())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The outline of a node of this shape, `scale` times the canvas size.
fn outline(shape: Shape, scale: f64) -> Html {
    let r = NODE_RADIUS * scale;
    match shape {
        Shape::Circle => html! { <circle class="shape" r={format!("{r:.1}")} /> },
        Shape::Square => {
            let half = r * 0.86;
            html! { <rect class="shape" x={format!("{:.1}", -half)} y={format!("{:.1}", -half)} width={format!("{:.1}", 2.0 * half)} height={format!("{:.1}", 2.0 * half)} rx={format!("{:.1}", r * 0.25)} /> }
        }
        Shape::Hexagon => html! { <polygon class="shape" points={polygon(6, r * 1.08, 0.5)} /> },
        Shape::Diamond => html! { <polygon class="shape" points={polygon(4, r * 1.15, 0.0)} /> },
        Shape::Triangle => html! { <polygon class="shape" points={polygon(3, r * 1.3, 0.0)} /> },
        Shape::Pentagon => html! { <polygon class="shape" points={polygon(5, r * 1.1, 0.0)} /> },
        Shape::Octagon => html! { <polygon class="shape" points={polygon(8, r * 1.06, 0.5)} /> },
    }
}

/// A small mark on a node's shoulder: drawn, not text, so it adds nothing to what a screen
/// reader or a label check reads.
#[derive(Clone, Copy)]
enum Badge {
    Paused,
    /// Every link it has is partitioned.
    Cut,
}

impl Badge {
    fn draw(self, scale: f64) -> Html {
        let r = 8.0 * scale;
        let (near, far) = (4.0 * scale, 2.5 * scale);
        let (class, mark) = match self {
            Badge::Paused => (
                "badge-paused",
                format!("M{:.1},{:.1} L{:.1},{near:.1} M{far:.1},{:.1} L{far:.1},{near:.1}", -far, -near, -far, -near),
            ),
            Badge::Cut => ("badge-cut", format!("M{:.1},{near:.1} L{near:.1},{:.1}", -near, -near)),
        };
        html! {
            <g class={classes!("node-badge", class)}>
                <circle r={format!("{r:.1}")} /><path d={mark} />
            </g>
        }
    }
}

/// The leader's star, drawn.
fn star(scale: f64) -> Html {
    let points = (0..10)
        .map(|i| {
            let radius = if i % 2 == 0 { 7.0 } else { 3.0 } * scale;
            let angle = std::f64::consts::TAU * i as f64 / 10.0 - std::f64::consts::FRAC_PI_2;
            format!("{:.1},{:.1}", radius * angle.cos(), radius * angle.sin())
        })
        .collect::<Vec<_>>()
        .join(" ");
    html! { <polygon class="leader-star" points={points} /> }
}

pub fn status_text(status: NodeStatus) -> &'static str {
    match status {
        NodeStatus::Up => "up",
        NodeStatus::Crashed => "crashed",
        NodeStatus::Paused { .. } => "paused",
        NodeStatus::Absent => "not a member",
    }
}

/// What is drawn inside a node's group (the caller places it and makes it clickable): shape,
/// timer arc, mark, badges and the name. `cut_off`: every link it has is partitioned.
pub fn node_glyph(node: &NodeView, now: Micros, cut_off: bool, status_line: &str) -> Html {
    let glyph = &node.glyph;
    let up = node.status == NodeStatus::Up;
    let timer = glyph.timer.filter(|&(set, fires)| up && fires > now && fires > set).map(|(set, fires)| {
        let left = 100.0 * (fires - now) as f64 / (fires - set) as f64;
        html! {
            <circle class="timer-arc" r={TIMER_RADIUS.to_string()} pathLength="100" transform="rotate(-90)"
                stroke-dasharray={format!("{:.1} 100", left.clamp(0.0, 100.0))} />
        }
    });
    let badge = match node.status {
        NodeStatus::Paused { .. } => Some(Badge::Paused),
        _ if cut_off => Some(Badge::Cut),
        _ => None,
    };
    html! {
        <>
            { timer }
            { outline(shape_of(node.role), 1.0) }
            if node.status == NodeStatus::Crashed {
                <path class="node-x" d="M-11,-11 L11,11 M11,-11 L-11,11" />
            }
            // The name and any status line come first, then the number inside, so the visible
            // text reads "s1 crashed" or "n2 4" exactly as the accessible name begins.
            <text class="node-label">
                <tspan class="node-name" x="0" y="-28">{ node.name.clone() }</tspan>
                if !status_line.is_empty() {
                    <tspan class="node-status" x="0" y="40">{ format!(" {status_line}") }</tspan>
                }
                if let (true, Some((_, value))) = (up, glyph.mark) {
                    <tspan class={classes!("node-mark", (value >= 100).then_some("node-mark-long"))} x="0" y="5">{ format!(" {value}") }</tspan>
                }
            </text>
            if let Some(badge) = badge {
                <g transform="translate(18 -18)">{ badge.draw(1.0) }</g>
            }
            if glyph.standing == Standing::Leader {
                <g transform="translate(-21 -21)">{ star(1.0) }</g>
            }
        </>
    }
}

/// The CSS classes of a node's group: its status, role, standing.
pub fn node_classes(node: &NodeView) -> Classes {
    let status = status_text(node.status).replace(' ', "-");
    let standing = node.glyph.standing;
    classes!(
        "node",
        format!("node-{status}"),
        format!("role-{}", node.role.label()),
        (standing != Standing::Plain).then(|| format!("standing-{}", standing.label())),
    )
}

/// The accessible name of a node: what it shows, in order (name, any status line, the number
/// inside and what it counts), then the rest in words.
pub fn node_label(node: &NodeView, status_line: &str, cut_off: bool) -> String {
    let mut words = vec![node.name.clone()];
    if !status_line.is_empty() {
        words.push(status_line.to_string());
    }
    let mut parts = Vec::new();
    match node.glyph.mark {
        Some((what, value)) if node.status == NodeStatus::Up => {
            words.push(value.to_string());
            parts.push(format!("its {what}"));
        }
        _ => {}
    }
    parts.push(format!("a {}", node.role.label()));
    if node.glyph.standing != Standing::Plain {
        parts.push(node.glyph.standing.words().to_string());
    }
    if cut_off {
        parts.push("cut off by a partition".into());
    }
    parts.push(format!("protocol v{}", node.version));
    format!("{}, {}. {}", words.join(" "), parts.join(", "), node.detail.join("; "))
}

/// Message colours by class, the same across labs (Okabe-Ito, so they stay apart for
/// colour-blind readers; the legend says it in words too).
pub fn class_css(class: MsgClass) -> &'static str {
    match class {
        MsgClass::Request => "msg-request",
        MsgClass::Reply => "msg-ack",
        MsgClass::Rejection => "msg-reject",
        MsgClass::Ballot => "msg-vote",
        MsgClass::Heartbeat => "msg-heartbeat",
        MsgClass::Other => "msg-other",
    }
}

const MESSAGES: [(&str, &str); 6] = [
    ("msg-request", "requests and appends"),
    ("msg-ack", "replies and acks"),
    ("msg-vote", "elections and ballots"),
    ("msg-heartbeat", "heartbeats"),
    ("msg-reject", "rejections"),
    ("msg-other", "other messages"),
];

#[derive(Properties, PartialEq)]
pub struct LegendProps {
    /// The canvas's view (shared, not copied each frame).
    pub view: std::rc::Rc<playground_core::sim::SimView>,
    /// Some node is cut off by a partition and wears the badge.
    pub partitioned: bool,
}

fn swatch(content: Html) -> Html {
    html! { <svg viewBox="-30 -30 60 60" aria-hidden="true">{ content }</svg> }
}

/// In words: every node mark the canvas is drawing now, and every message colour.
#[function_component]
pub fn Legend(props: &LegendProps) -> Html {
    // Roles that share a shape share an entry: "acceptor or learner".
    let nodes = &props.view.nodes;
    let mut roles: Vec<(Shape, Vec<&'static str>)> = Vec::new();
    for node in nodes {
        let (shape, role) = (shape_of(node.role), node.role.label());
        match roles.iter_mut().find(|(s, _)| *s == shape) {
            Some((_, names)) if !names.contains(&role) => names.push(role),
            Some(_) => {}
            None => roles.push((shape, vec![role])),
        }
    }
    sort::ascending(&mut roles);
    let mut standings: Vec<Standing> =
        nodes.iter().map(|n| n.glyph.standing).filter(|s| *s != Standing::Plain).collect();
    sort::by_key(&mut standings, |s| s.label());
    standings.dedup();
    let marks: BTreeSet<&'static str> = nodes.iter().filter_map(|n| n.glyph.mark.map(|(what, _)| what)).collect();
    let timers = nodes.iter().any(|n| n.glyph.timer.is_some());
    let mut items: Vec<Html> = roles
        .iter()
        .map(|(shape, names)| html! { <li>{ swatch(html! { <g class="node">{ outline(*shape, 1.0) }</g> }) }{ names.join(" or ") }</li> })
        .collect();
    for standing in standings {
        let class = format!("node standing-{}", standing.label());
        let outline = match standing {
            Standing::Leader => "thick outline and a star",
            Standing::Candidate => "dashed outline",
            _ => "thin outline",
        };
        let star = (standing == Standing::Leader).then(|| star(2.0));
        items.push(html! { <li>{ swatch(html! { <g class={class}><circle class="shape" r="22" />{ for star }</g> }) }{ format!("{outline}: {}", standing.words()) }</li> });
    }
    if !marks.is_empty() {
        let what = marks.into_iter().collect::<Vec<_>>().join(" or ");
        items.push(html! { <li><span class="legend-number" aria-hidden="true">{ "3" }</span>{ format!("number inside: its {what}") }</li> });
    }
    if timers {
        items.push(html! { <li>{ swatch(html! { <circle class="timer-arc" r="24" pathLength="100" stroke-dasharray="60 100" transform="rotate(-90)" /> }) }{ "arc: its timer running down" }</li> });
    }
    if nodes.iter().any(|n| n.status == NodeStatus::Crashed) {
        let crashed = html! { <g class="node node-crashed"><circle class="shape" r="22" /><path class="node-x" d="M-11,-11 L11,11 M11,-11 L-11,11" /></g> };
        items.push(html! { <li>{ swatch(crashed) }{ "crashed" }</li> });
    }
    let badges = [
        (nodes.iter().any(|n| matches!(n.status, NodeStatus::Paused { .. })), Badge::Paused, "paused"),
        (props.partitioned, Badge::Cut, "cut off by a partition"),
    ];
    for (shown, badge, words) in badges {
        if shown {
            items.push(html! { <li>{ swatch(badge.draw(3.0)) }{ words }</li> });
        }
    }
    for (class, words) in MESSAGES {
        items.push(html! { <li>{ swatch(html! { <circle class={classes!("msg", class)} r="16" /> }) }{ words }</li> });
    }
    html! { <ul class="canvas-legend" aria-label="Legend">{ for items }</ul> }
}
