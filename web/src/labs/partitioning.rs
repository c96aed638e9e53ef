//! The partitioning lab's page: its explain panel, and its own picture: the ring (or, for
//! ranges, the key line) with each slice's owner, stored keys and requests as densities, the
//! keys and load per node, the moves under way, every rebalance against its optimum, and
//! the load spread against the number of virtual nodes.

use playground_core::sort;
use std::f64::consts::{FRAC_PI_2, TAU};
use std::rc::Rc;

use playground_core::labs::partitioning::{view::SLICES, PartitioningView, Reason, Scheme};
use playground_core::time::format_duration;
use yew::prelude::*;

use crate::lab::explain::panel;

/// Okabe & Ito's colour-blind-safe palette (its black as a grey, seen on light and dark cards
/// alike); nodes beyond eight reuse it (the table names them).
const PALETTE: [&str; 8] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"];

/// Rows of the load table at most.
const MAX_ROWS: usize = 16;

fn colour(node: Option<u16>) -> &'static str {
    node.map_or("#bbbbbb", |n| PALETTE[usize::from(n) % PALETTE.len()])
}

pub fn explain() -> Html {
    panel(
        &[
            "Keys are spread over storage nodes p1, p2, … by a scheme: hash mod N, consistent hashing \
             on a ring of virtual nodes, jump hash, rendezvous hashing, a fixed number of partitions, or \
             key ranges that split as they grow. A coordinator co keeps the map; when a node joins, is \
             decommissioned or crashes, it prepares a new map, the nodes copy the moving keys over the \
             network in batches, and only when every batch has arrived does the new map take effect.",
            "The picture shows who owns each slice of the ring or key line, how many keys sit there \
             (inside) and how many requests landed there (outside); the bars show each node's keys and \
             load. The moves table compares the keys each change moved with the fewest any scheme must \
             move (K/n). The guarantees check that one node answers for a key, that no key is lost or \
             left behind by a move, and that reads see the writes before them.",
        ],
        &[
            "Press mod N: a fifth node moves almost everything, then Consistent hashing: compare the \
             keys moved in the moves table.",
            "Press One virtual node each and read max/mean under the bars; raise Virtual nodes to 256.",
            "Press Timestamp keys on ranges and watch the heat stay on one range; then Dynamic \
             splitting follows the hot range.",
            "Press A celebrity key, then Salting the celebrity: the load bars even out.",
            "Press Fire-and-forget handoff loses keys: the guarantees name a lost key and a read that \
             found nothing.",
            "Crash a node during a move (A node crashes during a move): nothing is lost, the move waits.",
        ],
    )
}

#[derive(Properties, PartialEq)]
pub struct PartitioningPanelProps {
    pub view: Rc<PartitioningView>,
}

fn name(v: &PartitioningView, id: u16) -> String {
    v.nodes.iter().find(|n| n.node == id).map_or_else(|| format!("node {id}"), |n| n.name.clone())
}

fn per_mille(x: u32) -> String {
    format!("{:.2}", f64::from(x) / 1000.0)
}

#[function_component]
pub fn PartitioningPanel(props: &PartitioningPanelProps) -> Html {
    let v = &props.view;
    let picture = if v.scheme == Scheme::Ranges { key_line(v) } else { ring_picture(v) };
    let status = match v.next_epoch {
        Some(next) => format!("map {} in force, map {next} being prepared", v.epoch),
        None => format!("map {} in force", v.epoch),
    };
    html! {
        <section class="panel part-panel" aria-labelledby="part-h">
            <h2 id="part-h">{ format!("Partitions: {} · {status}", v.scheme.name()) }</h2>
            <div class="part-pictures">
                { picture }
                { load_bars(v) }
            </div>
            { transfers(v) }
            { moves(v) }
            { spread(v) }
        </section>
    }
}

/// Runs of consecutive slices with the same owner: (first slice, count, owner).
fn runs(owners: &[Option<u16>]) -> Vec<(usize, usize, Option<u16>)> {
    let mut out: Vec<(usize, usize, Option<u16>)> = Vec::new();
    for (i, &o) in owners.iter().enumerate() {
        match out.last_mut() {
            Some(last) if last.2 == o => last.1 += 1,
            _ => out.push((i, 1, o)),
        }
    }
    out
}

fn peak(values: &[u32]) -> f64 {
    f64::from(values.iter().copied().max().unwrap_or(0).max(1))
}

/// The ring: owners as coloured arcs, stored keys as bars inside, requests as bars outside.
fn ring_picture(v: &PartitioningView) -> Html {
    let (cx, cy, r) = (130.0, 130.0, 86.0);
    let polar = |slice: f64, radius: f64| {
        let a = TAU * slice / SLICES as f64 - FRAC_PI_2;
        (cx + radius * a.cos(), cy + radius * a.sin())
    };
    // One path per colour (a ring of 100 nodes x 256 points is hundreds of arcs), and one
    // path each for the keys' and the requests' bars: a handful of elements per frame.
    // Only a ring gives each node arcs of the hash space; under mod N, jump, rendezvous
    // and fixed partitions every key's owner comes from its own hash, interleaved.
    let arcs_of_owners = v.scheme == Scheme::Ring;
    let mut arcs: Vec<(&'static str, String)> = Vec::new();
    let owners: Vec<Option<u16>> = if arcs_of_owners { v.owners.clone() } else { vec![None; SLICES] };
    for (first, count, owner) in runs(&owners) {
        let (x0, y0) = polar(first as f64, r);
        let (x1, y1) = polar((first + count) as f64, r);
        let large = if count * 2 > SLICES { 1 } else { 0 };
        let d = if count == SLICES {
            format!("M{},{} a{r},{r} 0 1,1 0,{} a{r},{r} 0 1,1 0,-{}", cx, cy - r, 2.0 * r, 2.0 * r)
        } else {
            format!("M{x0:.1},{y0:.1} A{r},{r} 0 {large},1 {x1:.1},{y1:.1}")
        };
        match arcs.iter_mut().find(|(c, _)| *c == colour(owner)) {
            Some((_, path)) => path.push_str(&d),
            None => arcs.push((colour(owner), d)),
        }
    }
    let arcs = arcs.into_iter().map(|(c, d)| html! { <path d={d} fill="none" stroke={c} stroke-width="14" /> });
    let (dense, hot) = (peak(&v.density), peak(&v.heat));
    let (mut keys_d, mut heat_d) = (String::new(), String::new());
    for i in 0..SLICES {
        let keys = f64::from(v.density[i]) / dense * 40.0;
        let load = f64::from(v.heat.get(i).copied().unwrap_or(0)) / hot * 28.0;
        let mid = i as f64 + 0.5;
        if keys > 0.0 {
            let (a, b) = (polar(mid, r - 9.0), polar(mid, r - 9.0 - keys));
            keys_d.push_str(&format!("M{:.1},{:.1}L{:.1},{:.1}", a.0, a.1, b.0, b.1));
        }
        if load > 0.0 {
            let (c, d) = (polar(mid, r + 9.0), polar(mid, r + 9.0 + load));
            heat_d.push_str(&format!("M{:.1},{:.1}L{:.1},{:.1}", c.0, c.1, d.0, d.1));
        }
    }
    let label = format!(
        "The hash space under {}: {} keys over {} nodes; keys inside the circle, requests outside",
        v.scheme.name(),
        v.keys,
        v.nodes.iter().filter(|n| n.in_map).count()
    );
    let caption = if arcs_of_owners {
        "Arcs: the owner of each part of the hash space. Inside: keys stored there. Outside: requests answered there lately (halving every second).".to_string()
    } else {
        format!(
            "The hash space: under {} each key's owner comes from its own hash, so no node owns an arc (the load bars say who holds what). Inside: keys by hash. Outside: requests lately (halving every second).",
            v.scheme.name()
        )
    };
    html! {
        <figure class="part-ring">
            <svg viewBox="0 0 260 260" role="img" aria-label={label.clone()}>
                { for arcs }
                <path class="part-keys" d={keys_d} />
                <path class="part-heat" d={heat_d} />
                <text x={cx.to_string()} y={(cy - 4.0).to_string()} text-anchor="middle" class="part-centre">{ format!("map {}", v.epoch) }</text>
                <text x={cx.to_string()} y={(cy + 12.0).to_string()} text-anchor="middle" class="part-sub">{ format!("{} keys", v.keys) }</text>
            </svg>
            <figcaption>{ caption }</figcaption>
        </figure>
    }
}

/// The key line for ranges: owners along the key order, split points, keys above, requests below.
fn key_line(v: &PartitioningView) -> Html {
    let (x0, w, y) = (10.0, 500.0, 60.0);
    let step = w / SLICES as f64;
    let owners = runs(&v.owners).into_iter().map(|(first, count, owner)| {
        let who = owner.map_or_else(|| "nobody".to_string(), |o| name(v, o));
        html! { <rect x={format!("{:.1}", x0 + first as f64 * step)} y={y.to_string()} width={format!("{:.1}", count as f64 * step)} height="14" fill={colour(owner)}><title>{ who }</title></rect> }
    });
    let (dense, hot) = (peak(&v.density), peak(&v.heat));
    let (mut keys_d, mut heat_d) = (String::new(), String::new());
    for i in 0..SLICES {
        let keys = f64::from(v.density[i]) / dense * 45.0;
        let load = f64::from(v.heat.get(i).copied().unwrap_or(0)) / hot * 40.0;
        let x = x0 + i as f64 * step;
        if keys > 0.0 {
            keys_d.push_str(&format!("M{x:.1},{:.1}h{step:.2}v{keys:.1}h-{step:.2}z", y - 2.0 - keys));
        }
        if load > 0.0 {
            heat_d.push_str(&format!("M{x:.1},{:.1}h{step:.2}v{load:.1}h-{step:.2}z", y + 16.0));
        }
    }
    let splits = v.splits.iter().map(|&p| {
        let x = x0 + w * f64::from(p) / 1000.0;
        html! { <line class="part-split" x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1={(y - 6.0).to_string()} y2={(y + 20.0).to_string()} /> }
    });
    let label = format!("{} key ranges in key order; keys above the line, requests below", v.splits.len() + 1);
    html! {
        <figure class="part-line">
            <svg viewBox="0 0 520 122" role="img" aria-label={label}>
                <path class="part-keys-bar" d={keys_d} />
                <path class="part-heat-bar" d={heat_d} />
                { for owners }
                { for splits }
                <text x={x0.to_string()} y="120">{ "first key" }</text>
                <text x={(x0 + w).to_string()} y="120" text-anchor="end">{ "last key" }</text>
            </svg>
            <figcaption>{ format!("{} ranges. Above: keys stored. Below: requests answered lately (halving every second). Ticks: split points.", v.splits.len() + 1) }</figcaption>
        </figure>
    }
}

/// The width of the busiest node's bar.
const BAR_REM: f64 = 5.0;

/// Keys and requests per node.
fn load_bars(v: &PartitioningView) -> Html {
    let most_keys = v.nodes.iter().map(|n| n.keys).max().unwrap_or(0).max(1);
    let most_served = v.nodes.iter().map(|n| n.served).max().unwrap_or(0).max(1);
    // A hundred rows would bury the page: the busiest nodes, and a count of the rest.
    let mut shown: Vec<_> = v.nodes.iter().collect();
    if shown.len() > MAX_ROWS {
        sort::by_key(&mut shown, |n| std::cmp::Reverse((n.served, n.keys)));
        shown.truncate(MAX_ROWS);
        sort::by_key(&mut shown, |n| n.node);
    }
    let hidden = v.nodes.len() - shown.len();
    let rows = shown.into_iter().map(|n| {
        // Bars in rem, a full one 5 rem: a width in % would follow the column's width and
        // be cut at the bar's maximum, so a node with a sixth of the load looked as busy.
        let keys = BAR_REM * f64::from(n.keys) / f64::from(most_keys);
        let served = BAR_REM * n.served as f64 / most_served as f64;
        let state = match (n.up, n.in_map) {
            (false, _) => " (down)",
            (true, false) => " (not in the map)",
            _ => "",
        };
        html! {
            <tr class={classes!((!n.up).then_some("part-down"))}>
                <th><span class="swatch" style={format!("background:{}", colour(Some(n.node)))}></span>{ format!("{}{state}", n.name) }</th>
                <td><span class="bar" style={format!("width:{keys:.2}rem")}></span>{ n.keys }</td>
                <td><span class="bar heat" style={format!("width:{served:.2}rem")}></span>{ n.served }</td>
            </tr>
        }
    });
    html! {
        <div class="part-loads">
            <table>
                <caption>{ format!("Keys per node: max/mean {} · deviation/mean {}", per_mille(v.max_over_mean), per_mille(v.deviation)) }</caption>
                <thead><tr><th>{ "node" }</th><th>{ "keys" }</th><th>{ "requests answered" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            if hidden > 0 { <p class="help">{ format!("The {MAX_ROWS} busiest nodes; {hidden} more not shown.") }</p> }
        </div>
    }
}

/// Keys still to move, per pair of nodes.
fn transfers(v: &PartitioningView) -> Html {
    if v.transfers.is_empty() {
        return html! {};
    }
    let items = v.transfers.iter().map(|&(from, to, keys)| {
        html! { <li>{ format!("{} → {}: {keys} keys", name(v, from), name(v, to)) }</li> }
    });
    html! { <div class="part-moving" aria-live="polite"><strong>{ "Moving now: " }</strong><ul>{ for items }</ul></div> }
}

fn reason(v: &PartitioningView, r: Reason) -> String {
    match r {
        Reason::Joined(n) => format!("{} joined", name(v, n)),
        Reason::Left(n) => format!("{} left", name(v, n)),
        Reason::Decommissioned(n) => format!("{} decommissioned", name(v, n)),
        Reason::Silent(n) => format!("{} silent", name(v, n)),
        Reason::Split => "a range split".into(),
        Reason::Merge => "ranges merged".into(),
        Reason::Members => "membership".into(),
    }
}

/// Every change of map: keys moved against the optimum, and how long it took.
fn moves(v: &PartitioningView) -> Html {
    if v.moves.is_empty() {
        return html! { <p class="chart-empty">{ "No rebalance yet: join a spare node (its menu), or decommission one." }</p> };
    }
    let rows = v.moves.iter().map(|m| {
        let moved = m.moved.map_or_else(|| "moving…".to_string(), |k| k.to_string());
        let optimum = m.optimum.map_or_else(|| "–".to_string(), |k| k.to_string());
        let ratio = match (m.moved, m.optimum) {
            (Some(k), Some(o)) if o > 0 => format!("{:.1}×", f64::from(k) / f64::from(o)),
            _ => "–".into(),
        };
        let took = m.committed.map_or_else(|| "–".to_string(), |c| format_duration(c - m.started));
        html! {
            <tr>
                <td>{ m.epoch }</td>
                <td>{ reason(v, m.reason) }</td>
                <td>{ format!("{} → {}", m.before, m.after) }</td>
                <td>{ moved }</td>
                <td>{ optimum }</td>
                <td>{ ratio }</td>
                <td>{ took }</td>
            </tr>
        }
    });
    html! {
        <table class="part-moves">
            <caption>{ "Rebalances: keys moved against the fewest possible (K/n)" }</caption>
            <thead><tr><th>{ "map" }</th><th>{ "why" }</th><th>{ "nodes" }</th><th>{ "moved" }</th><th>{ "optimum" }</th><th>{ "ratio" }</th><th>{ "took" }</th></tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

/// Load spread against virtual nodes per node (ring only).
fn spread(v: &PartitioningView) -> Html {
    if v.spread.is_empty() {
        return html! {};
    }
    let cells = v.spread.iter().map(|p| html! { <td>{ per_mille(p.max_over_mean) }</td> });
    let devs = v.spread.iter().map(|p| html! { <td>{ per_mille(p.deviation) }</td> });
    let heads = v.spread.iter().map(|p| html! { <th scope="col">{ p.vnodes }</th> });
    html! {
        <table class="part-spread">
            <caption>{ "Keys per node on this ring's first nodes, by virtual nodes per node" }</caption>
            <thead><tr><th>{ "virtual nodes" }</th>{ for heads }</tr></thead>
            <tbody>
                <tr><th scope="row">{ "max / mean" }</th>{ for cells }</tr>
                <tr><th scope="row">{ "deviation / mean" }</th>{ for devs }</tr>
            </tbody>
        </table>
    }
}
