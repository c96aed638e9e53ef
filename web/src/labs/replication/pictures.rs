//! The replication lab's SVG pictures: the followers' lag over time, the leaderless ring
//! with the last operation's quorum, and the last Merkle exchange.

use std::rc::Rc;

use playground_core::labs::replication::ReplicationView;
use playground_core::time::format_duration;
use yew::prelude::*;

/// Okabe & Ito's colour-blind-safe palette, one colour per follower.
const SERIES: [&str; 5] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9"];
const ASKED: &str = "#E69F00";
const ANSWERED: &str = "#0072B2";
const DIFFER: &str = "#D55E00";

#[derive(Properties, PartialEq)]
pub struct PictureProps {
    pub view: Rc<ReplicationView>,
}

fn name(view: &ReplicationView, id: u16) -> String {
    view.servers.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default()
}

/// How far behind the leader each follower was, over the run.
#[function_component]
pub fn LagChart(props: &PictureProps) -> Html {
    let v = &props.view;
    let series: Vec<_> = v.lag.iter().filter(|l| l.points.iter().any(|p| p.2 > 0)).collect();
    let Some(end) = v.lag.iter().filter_map(|l| l.points.last()).map(|p| p.0).max() else {
        return html! {};
    };
    let start = v.lag.iter().filter_map(|l| l.points.first()).map(|p| p.0).min().unwrap_or(0);
    let tallest = series.iter().flat_map(|l| l.points.iter()).map(|p| p.2).max().unwrap_or(0).max(1);
    let (w, h) = (560.0, 90.0);
    let x = |t: u64| 30.0 + (w - 40.0) * (t - start) as f64 / (end - start).max(1) as f64;
    let y = |us: u64| h - 12.0 - (h - 20.0) * us as f64 / tallest as f64;
    let lines = series.iter().enumerate().map(|(i, l)| {
        let d: Vec<String> = l
            .points
            .iter()
            .enumerate()
            .map(|(j, p)| format!("{}{:.1},{:.1}", if j == 0 { "M" } else { "L" }, x(p.0), y(p.2)))
            .collect();
        let colour = SERIES[i % SERIES.len()];
        html! { <path d={d.join(" ")} fill="none" stroke={colour} stroke-width="1.5"><title>{ name(v, l.node) }</title></path> }
    });
    let legend = series.iter().enumerate().map(|(i, l)| {
        let worst = l.points.iter().map(|p| p.2).max().unwrap_or(0);
        html! { <li><span class="swatch" style={format!("background:{}", SERIES[i % SERIES.len()])}></span>{ format!("{} (worst {})", name(v, l.node), format_duration(worst)) }</li> }
    });
    if series.is_empty() {
        return html! { <p class="chart-empty">{ "Replication lag: every follower has kept up so far." }</p> };
    }
    let caption = format!("Replication lag over time, peak {}", format_duration(tallest));
    html! {
        <figure class="chart repl-lag">
            <svg viewBox={format!("0 0 {w} {h}")} role="img" aria-label={caption.clone()}>
                <line x1="30" y1={format!("{}", h - 12.0)} x2={format!("{}", w - 10.0)} y2={format!("{}", h - 12.0)} class="axis" />
                <text x="0" y="12">{ format_duration(tallest) }</text>
                <text x="30" y={format!("{h}")}>{ format_duration(start) }</text>
                <text x={format!("{}", w - 10.0)} y={format!("{h}")} text-anchor="end">{ format_duration(end) }</text>
                { for lines }
            </svg>
            <figcaption>{ caption }<ul class="legend">{ for legend }</ul></figcaption>
        </figure>
    }
}

/// The ring of replicas with the last operation's owners, the replicas asked and those that
/// answered, and the coordinator.
#[function_component]
pub fn Ring(props: &PictureProps) -> Html {
    let v = &props.view;
    let count = v.servers.len().max(1);
    let (cx, cy, r) = (110.0, 100.0, 70.0);
    let at = |i: usize| {
        let a = std::f64::consts::TAU * i as f64 / count as f64 - std::f64::consts::FRAC_PI_2;
        (cx + r * a.cos(), cy + r * a.sin())
    };
    let q = v.quorum.as_ref();
    let nodes = v.servers.iter().enumerate().map(|(i, s)| {
        let (x, y) = at(i);
        let owner = q.is_some_and(|q| q.owners.contains(&s.id));
        let asked = q.is_some_and(|q| q.asked.contains(&s.id));
        let answered = q.is_some_and(|q| q.answered.contains(&s.id));
        let coordinator = q.is_some_and(|q| q.coordinator == s.id);
        let fill = if answered { ANSWERED } else if asked { ASKED } else { "var(--card)" };
        let what = format!(
            "{}{}{}{}{}",
            s.name,
            if owner { ", owner" } else { "" },
            if asked && !owner { ", stand-in" } else { "" },
            if answered { ", answered" } else if asked { ", asked" } else { "" },
            if coordinator { ", coordinator" } else { "" },
        );
        html! {
            <g>
                <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="14" fill={fill}
                    stroke={if owner { "currentColor" } else { "#999" }} stroke-width={if owner { "3" } else { "1" }}
                    stroke-dasharray={if s.up { "" } else { "3 2" }}><title>{ what }</title></circle>
                <text x={format!("{x:.1}")} y={format!("{:.1}", y + 4.0)} text-anchor="middle" class={classes!(if answered { "on-dark" } else if asked { "on-light" } else { "" })}>{ s.name.clone() }</text>
                if coordinator { <text x={format!("{x:.1}")} y={format!("{:.1}", y - 18.0)} text-anchor="middle">{ "coord." }</text> }
            </g>
        }
    });
    let (n, r_, w) = v.nrw;
    let overlap = match (r_ + w > n, v.sloppy) {
        (true, false) => format!("R + W = {} > N = {n}: every read quorum meets every write quorum", r_ + w),
        (true, true) => format!(
            "R + W = {} > N = {n}, but quorums are sloppy: a write kept by stand-ins can be missed by a read of the owners",
            r_ + w
        ),
        (false, _) => format!("R + W = {} ≤ N = {n}: a read can miss the last write", r_ + w),
    };
    let caption = match q {
        Some(q) => format!(
            "Last {} of {}: {} of {} needed answered ({} asked). {overlap}.",
            if q.write { "write" } else { "read" },
            q.key,
            q.answered.len(),
            q.needed,
            q.asked.len(),
        ),
        None => format!("No operation yet. {overlap}."),
    };
    html! {
        <figure class="chart repl-ring">
            <svg viewBox="0 0 220 200" role="img" aria-label={caption.clone()}>
                <circle cx={format!("{cx}")} cy={format!("{cy}")} r={format!("{r}")} fill="none" stroke="#ccc" />
                { for nodes }
            </svg>
            <figcaption>{ caption }<ul class="legend">
                <li><span class="swatch ring-owner"></span>{ "owner (thick outline)" }</li>
                <li><span class="swatch" style={format!("background:{ASKED}")}></span>{ "asked" }</li>
                <li><span class="swatch" style={format!("background:{ANSWERED}")}></span>{ "answered" }</li>
            </ul></figcaption>
        </figure>
    }
}

/// The Merkle tree of the last exchange, root on top; subtrees that differ in vermilion.
#[function_component]
pub fn Merkle(props: &PictureProps) -> Html {
    let Some(m) = &props.view.merkle else {
        return html! { <p class="chart-empty">{ "No anti-entropy exchange yet." }</p> };
    };
    let v = &props.view;
    let (w, row) = (300.0, 22.0);
    let rows = m.levels.iter().enumerate().map(|(level, nodes)| {
        let width = w / nodes.len().max(1) as f64;
        let cells = nodes.iter().enumerate().map(move |(i, &differs)| {
            html! {
                <rect x={format!("{:.1}", i as f64 * width + 1.0)} y={format!("{:.1}", level as f64 * row)} width={format!("{:.1}", (width - 2.0).max(1.0))} height={format!("{}", row - 6.0)}
                    style={format!("fill: {}", if differs { DIFFER } else { "#ddd" })}>
                    <title>{ format!("level {level}, node {i}: {}", if differs { "differs" } else { "equal" }) }</title>
                </rect>
            }
        });
        html! { <g>{ for cells }</g> }
    });
    let leaves = m.levels.last().map_or(0, |l| l.iter().filter(|&&d| d).count());
    let caption = format!(
        "Merkle trees of {} and {}: {} of {} leaf ranges differ; only those are exchanged",
        name(v, m.from),
        name(v, m.to),
        leaves,
        m.levels.last().map_or(0, |l| l.len())
    );
    html! {
        <figure class="chart repl-merkle">
            <svg viewBox={format!("0 0 {w} {}", row * m.levels.len() as f64)} role="img" aria-label={caption.clone()}>{ for rows }</svg>
            <figcaption>{ caption }</figcaption>
        </figure>
    }
}
