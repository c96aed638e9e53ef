//! The failure handling lab's page: its explain panel, and its own picture for each part:
//! phi over time per process against the threshold, with heartbeats, suspicions and
//! crashes, and the detectors' trade-off curve; leases as granted and as believed, with
//! every write; the replicas and each epoch's leaders; the payment server's load.

use playground_core::sort;
use std::rc::Rc;

use playground_core::labs::failure::{CurvePoint, Detector, FailureView, ProcessTrace};
use playground_core::time::{format_duration, Micros};
use yew::prelude::*;

use crate::lab::explain::panel;

pub fn explain() -> Html {
    panel(
        &[
            "Failure detectors: the monitor m1 hears heartbeats from p1, p2, … across the ocean. A fixed \
             timeout suspects a process after T of silence; phi accrual (Hayashibara et al., as Akka has it) \
             says how unlikely the silence is, given the arrival times it has seen, and suspects once phi \
             passes the threshold. Both run on the same heartbeats, and each also at eight other settings, so \
             the curve shows what detection time costs in false suspicions.",
            "Leases: c1 and c2 take turns holding a lease from lock and write to store; a pause after the \
             check, or a slow clock, makes a write leave after the lease has gone to the other. Split brain: \
             replicas n1, n2, n3 elect a leader per epoch. Idempotency: clients retry charges the server \
             may already have made.",
        ],
        &[
            "Press Detectors: a GC pause phi tolerates: the fixed timeout's suspicions pile up, phi's do not.",
            "Press Detectors: crashes, and the trade-off curve, play a minute, and compare the two curves.",
            "Press Fencing: the same pause without tokens: the stale write is red-orange and the guarantee names it.",
            "Press Split brain without a quorum, then Split brain: a majority quorum prevents it.",
            "Press A retry storm without jitter and watch the load chart; set Retry jitter to full.",
        ],
    )
}

#[derive(Properties, PartialEq)]
pub struct FailurePanelProps {
    pub view: Rc<FailureView>,
}

#[function_component]
pub fn FailurePanel(props: &FailurePanelProps) -> Html {
    let v = &props.view;
    let (title, body) = match v.part {
        "fencing" => ("Leases and fencing tokens", leases(v)),
        "split-brain" => ("Split brain: replicas, epochs and leaders", replicas(v)),
        "idempotency" => ("Retries: the payment server's load", load(v)),
        _ => ("Failure detectors: phi accrual and a fixed timeout", html! { <>{ phi_plots(v) }{ curve(v) }</> }),
    };
    html! {
        <section class="panel fail-panel" aria-labelledby="fail-h">
            <h2 id="fail-h">{ title }</h2>
            { body }
        </section>
    }
}

const W: f64 = 560.0;
const LEFT: f64 = 40.0;

fn x_of(v: &FailureView, t: Micros) -> f64 {
    let start = v.now.saturating_sub(v.window);
    LEFT + t.saturating_sub(start) as f64 / v.window.max(1) as f64 * W
}

fn phi_plots(v: &FailureView) -> Html {
    let top = (v.threshold * 1.6).max(10.0);
    let h = 56.0;
    let rows = v.processes.iter().map(|p| phi_row(v, p, top, h));
    html! {
        <figure class="fail-phi">
            { for rows }
            <figcaption>{ format!(
                "Phi over the last {} per process (line), the threshold {} (dashed), heartbeats (ticks), suspicions by phi (orange band) and by the {} timeout (blue band), crashes (grey).",
                format_duration(v.window), v.threshold, format_duration(v.fixed_timeout)
            ) }</figcaption>
        </figure>
    }
}

fn phi_row(v: &FailureView, p: &ProcessTrace, top: f64, h: f64) -> Html {
    let y = |phi: f64| 4.0 + (1.0 - (phi / top).min(1.0)) * (h - 12.0);
    let mut d = String::new();
    for (i, &(t, phi)) in p.phi.iter().enumerate() {
        d.push_str(&format!("{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, x_of(v, t), y(f64::from(phi))));
    }
    let band = |detector: Detector| {
        let (class, y0, hh) = if detector == Detector::Phi { ("phi", 2.0, 5.0) } else { ("fixed", 8.0, 5.0) };
        p.suspicions.iter().filter(move |s| s.0 == detector).map(move |s| {
            let (a, b) = (x_of(v, s.1), x_of(v, s.2.unwrap_or(v.now)));
            html! { <rect class={classes!("fail-band", class)} x={format!("{a:.1}")} y={format!("{y0}")} width={format!("{:.1}", (b - a).max(1.0))} height={format!("{hh}")} /> }
        })
    };
    let crashes = p.crashes.iter().map(|c| {
        let (a, b) = (x_of(v, c.0), x_of(v, c.1.unwrap_or(v.now)));
        html! { <rect class="fail-crash" x={format!("{a:.1}")} y="0" width={format!("{:.1}", (b - a).max(1.0))} height={format!("{h}")} /> }
    });
    let ticks = p.beats.iter().map(|&b| {
        let x = x_of(v, b);
        html! { <line class="fail-tick" x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1={format!("{}", h - 6.0)} y2={format!("{h}")} /> }
    });
    let ty = y(v.threshold);
    let last = p.phi.last().map_or(0.0, |x| x.1);
    let label = format!("{}: phi {last:.1}{}", p.name, if p.up { "" } else { " (crashed)" });
    html! {
        <svg class="fail-row" viewBox={format!("0 0 {} {h}", LEFT + W + 4.0)} role="img" aria-label={label.clone()}>
            { for crashes }
            { for band(Detector::Phi) }
            { for band(Detector::Fixed) }
            <line class="fail-threshold" x1={LEFT.to_string()} x2={(LEFT + W).to_string()} y1={format!("{ty:.1}")} y2={format!("{ty:.1}")} />
            <path class="fail-line" d={d} />
            { for ticks }
            <text x="2" y="14">{ p.name.clone() }</text>
            <text x="2" y="28" class="fail-small">{ format!("{last:.1}") }</text>
        </svg>
    }
}

fn curve(v: &FailureView) -> Html {
    let pts: Vec<&CurvePoint> = v.curve.iter().filter(|c| c.detection_ms.is_some()).collect();
    if pts.is_empty() {
        return html! { <p class="chart-empty">{ "The trade-off curve needs a crash to time: crash a process (its menu) and let it be detected." }</p> };
    }
    let max_fp = pts.iter().map(|c| c.false_per_hour).fold(1.0, f64::max);
    let max_det = pts.iter().filter_map(|c| c.detection_ms).fold(100.0, f64::max);
    let (w, h, l, b) = (420.0, 200.0, 50.0, 30.0);
    let x = |fp: f64| l + fp / max_fp * (w - l - 10.0);
    let y = |ms: f64| h - b - ms / max_det * (h - b - 10.0);
    let series = |detector: Detector, class: &'static str| {
        let mut sorted: Vec<&&CurvePoint> = pts.iter().filter(|c| c.detector == detector && !c.current).collect();
        sort::by(&mut sorted, |a, b| a.setting.total_cmp(&b.setting));
        let d: String = sorted
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "{}{:.1},{:.1}",
                    if i == 0 { "M" } else { "L" },
                    x(c.false_per_hour),
                    y(c.detection_ms.unwrap_or(0.0))
                )
            })
            .collect();
        let dots = pts.iter().filter(move |c| c.detector == detector).map(move |c| {
            let unit = if detector == Detector::Phi { "phi " } else { "" };
            let setting = if detector == Detector::Phi { format!("{}", c.setting) } else { format!("{:.0} ms", c.setting) };
            let title = format!(
                "{}{unit}{setting}: {:.0} false suspicions per process-hour, detects in {:.0} ms ({} crashes)",
                if detector == Detector::Phi { "" } else { "timeout " },
                c.false_per_hour,
                c.detection_ms.unwrap_or(0.0),
                c.detected
            );
            html! {
                <circle class={classes!("fail-dot", class, c.current.then_some("current"))} cx={format!("{:.1}", x(c.false_per_hour))} cy={format!("{:.1}", y(c.detection_ms.unwrap_or(0.0)))} r={if c.current { "5" } else { "3" }}>
                    <title>{ title }</title>
                </circle>
            }
        });
        html! { <><path class={classes!("fail-curve", class)} d={d} />{ for dots }</> }
    };
    html! {
        <figure class="fail-tradeoff">
            <svg viewBox={format!("0 0 {w} {h}")} role="img" aria-label="Detection time against false suspicions per process-hour, for each detector setting">
                <line class="fail-axis" x1={l.to_string()} x2={(w - 5.0).to_string()} y1={(h - b).to_string()} y2={(h - b).to_string()} />
                <line class="fail-axis" x1={l.to_string()} x2={l.to_string()} y1="5" y2={(h - b).to_string()} />
                { series(Detector::Phi, "phi") }
                { series(Detector::Fixed, "fixed") }
                <text x={l.to_string()} y={(h - 8.0).to_string()}>{ "0" }</text>
                <text x={(w - 5.0).to_string()} y={(h - 8.0).to_string()} text-anchor="end">{ format!("{max_fp:.0} false suspicions per process-hour") }</text>
                <text x="2" y="14">{ format!("{max_det:.0} ms") }</text>
                <text x="2" y={(h - b).to_string()}>{ "0 ms" }</text>
            </svg>
            <figcaption>{ "Detection time against false suspicions per process-hour (per process watched, per hour it was up), measured in this run for each threshold (phi, orange) and timeout (fixed, blue); the larger dots are the knobs' settings. Lower left is better." }</figcaption>
        </figure>
    }
}

fn leases(v: &FailureView) -> Html {
    let clients: Vec<u16> = {
        let mut c: Vec<u16> = v.leases.iter().map(|l| l.client).chain(v.writes.iter().map(|w| w.client)).collect();
        sort::ascending(&mut c);
        c.dedup();
        c
    };
    let row = 26.0;
    let y = |c: u16| clients.iter().position(|&x| x == c).unwrap_or(0) as f64 * row + 4.0;
    let name = |c: u16| v.names.get(usize::from(c)).cloned().unwrap_or_default();
    let bars = v.leases.iter().filter(|l| l.until + v.window >= v.now).map(|l| {
        let (a, b) = (x_of(v, l.from), x_of(v, l.until));
        let belief = l.believed_until.map(|u| {
            let e = x_of(v, u);
            html! { <rect class="fail-belief" x={format!("{a:.1}")} y={format!("{:.1}", y(l.client) + 12.0)} width={format!("{:.1}", (e - a).max(1.0))} height="4"><title>{ format!("{} believed it held token {} until {}", name(l.client), l.token, format_duration(u)) }</title></rect> }
        });
        html! {
            <>
                <rect class="fail-lease" x={format!("{a:.1}")} y={format!("{:.1}", y(l.client))} width={format!("{:.1}", (b - a).max(1.0))} height="10">
                    <title>{ format!("token {} granted to {} from {} to {}", l.token, name(l.client), format_duration(l.from), format_duration(l.until)) }</title>
                </rect>
                <text x={format!("{:.1}", a + 2.0)} y={format!("{:.1}", y(l.client) + 8.0)} class="fail-small">{ l.token }</text>
                { for belief }
            </>
        }
    });
    let dots = v.writes.iter().filter(|w| w.at + v.window >= v.now).map(|w| {
        let (cx, cy) = (x_of(v, w.at), y(w.client) + 20.0);
        let class = if !w.accepted { "refused" } else if w.stale { "stale" } else { "ok" };
        let what = if !w.accepted { "refused" } else if w.stale { "accepted although stale" } else { "accepted" };
        html! { <circle class={classes!("fail-write", class)} cx={format!("{cx:.1}")} cy={format!("{cy:.1}")} r="3.5"><title>{ format!("{}'s v{} with token {}: {what}", name(w.client), w.value, w.token) }</title></circle> }
    });
    let labels = clients.iter().map(|&c| html! { <text x="2" y={format!("{:.1}", y(c) + 12.0)}>{ name(c) }</text> });
    let height = clients.len() as f64 * row + 10.0;
    let store = v
        .store
        .map(|(value, token)| format!("store holds v{value}; the highest token it has seen is {token}"))
        .unwrap_or_default();
    html! {
        <figure class="fail-leases">
            <svg viewBox={format!("0 0 {} {height:.0}", LEFT + W + 4.0)} role="img" aria-label="Leases granted and believed, and writes, per client">
                { for labels }
                { for bars }
                { for dots }
            </svg>
            <figcaption>{ format!("Per client over the last {}: each lease as the lock service granted it (bar, with its token) and as the client believed it (thin bar); writes as dots: accepted (green), accepted from a stale holder (red-orange), refused by fencing (grey). {store}.", format_duration(v.window)) }</figcaption>
        </figure>
    }
}

fn replicas(v: &FailureView) -> Html {
    let name = |c: u16| v.names.get(usize::from(c)).cloned().unwrap_or_default();
    let rows = v.replicas.iter().map(|r| {
        let state = if !r.up { "down".to_string() } else if r.leading { format!("leader of epoch {}", r.epoch) } else { format!("follower, epoch {}", r.epoch) };
        html! { <tr class={classes!(r.leading.then_some("fail-leading"))}><th>{ &r.name }</th><td>{ state }</td><td>{ r.stored }</td><td>{ r.acknowledged }</td></tr> }
    });
    let epochs = v.leaders.iter().map(|(e, l)| {
        let names: Vec<String> = l.iter().map(|&n| name(n)).collect();
        html! { <li class={classes!((l.len() > 1).then_some("fail-split"))}>{ format!("epoch {e}: {}", names.join(" and ")) }</li> }
    });
    html! {
        <div class="fail-replicas">
            <table>
                <thead><tr><th>{ "replica" }</th><th>{ "role" }</th><th>{ "writes stored" }</th><th>{ "acknowledged" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <p><strong>{ "Leaders by epoch: " }</strong></p>
            <ul class="fail-epochs">{ for epochs }</ul>
        </div>
    }
}

fn load(v: &FailureView) -> Html {
    let Some((first, retries)) = &v.load else { return html! {} };
    let start = v.now.saturating_sub(v.window);
    let bucket = first.bucket.max(1);
    let mut buckets: std::collections::BTreeMap<Micros, (u64, u64)> = std::collections::BTreeMap::new();
    for (t, n) in first.points().filter(|p| p.0 >= start) {
        buckets.entry(t).or_default().0 = n;
    }
    for (t, n) in retries.points().filter(|p| p.0 >= start) {
        buckets.entry(t).or_default().1 = n;
    }
    let max = buckets.values().map(|b| b.0 + b.1).max().unwrap_or(1).max(1);
    let h = 120.0;
    let scale = |n: u64| n as f64 / max as f64 * (h - 20.0);
    let bw = W / (v.window / bucket).max(1) as f64;
    let bars = buckets.iter().map(|(&t, &(f, r))| {
        let (fh, rh) = (scale(f), scale(r));
        let x = format!("{:.1}", x_of(v, t));
        let w = format!("{:.1}", (bw - 1.0).max(1.0));
        html! {
            <g>
                <title>{ format!("{} from {}: {f} first tries, {r} retries", format_duration(bucket), format_duration(t)) }</title>
                <rect class="fail-load" x={x.clone()} y={format!("{:.1}", h - 14.0 - fh)} width={w.clone()} height={format!("{fh:.1}")} />
                <rect class="fail-retry" x={x} y={format!("{:.1}", h - 14.0 - fh - rh)} width={w} height={format!("{rh:.1}")} />
            </g>
        }
    });
    html! {
        <figure class="fail-loadchart">
            <svg viewBox={format!("0 0 {} {h}", LEFT + W + 4.0)} role="img" aria-label="Charges the clients sent per 100 ms: first tries and retries">
                { for bars }
                <text x="2" y="12">{ format!("{max}") }</text>
                <text x="2" y={format!("{}", h - 14.0)}>{ "0" }</text>
            </svg>
            <figcaption>{ format!("Charges the clients sent per 100 ms over the last {}: first tries (blue) and retries (orange).", format_duration(v.window)) }</figcaption>
        </figure>
    }
}
