//! Small SVG charts: a latency histogram, a time series and labelled bars.

use playground_core::metrics::{Histogram, Series};
use playground_core::time::{format_duration, Micros};
use yew::prelude::*;

/// A histogram of latencies on log-spaced buckets, with p50/p99 marks.
pub fn histogram(title: &str, h: &Histogram) -> Html {
    let buckets: Vec<(Micros, u64)> = h.buckets().collect();
    if buckets.is_empty() {
        return html! { <p class="chart-empty">{ format!("{title}: no samples yet") }</p> };
    }
    let tallest = buckets.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64;
    let width = 260.0 / buckets.len() as f64;
    let bars = buckets.iter().enumerate().map(|(i, &(floor, n))| {
        let height = 70.0 * n as f64 / tallest;
        html! {
            <rect x={format!("{:.1}", i as f64 * width)} y={format!("{:.1}", 80.0 - height)} width={format!("{:.1}", (width - 1.0).max(1.0))} height={format!("{height:.1}")}>
                <title>{ format!("≥ {}: {n}", format_duration(floor)) }</title>
            </rect>
        }
    });
    let summary = h.summary();
    let caption = format!(
        "{title}: p50 {} · p90 {} · p99 {} · max {} (n={})",
        format_duration(summary.p50_us),
        format_duration(summary.p90_us),
        format_duration(summary.p99_us),
        format_duration(summary.max_us),
        summary.count
    );
    html! {
        <figure class="chart">
            <svg viewBox="0 0 260 96" role="img" aria-label={caption.clone()}>
                { for bars }
                <text x="0" y="94">{ format_duration(buckets[0].0) }</text>
                <text x="260" y="94" text-anchor="end">{ format_duration(buckets[buckets.len() - 1].0) }</text>
            </svg>
            <figcaption>{ caption }</figcaption>
        </figure>
    }
}

/// A per-second series as a sparkline over the last minute.
pub fn series(title: &str, unit: &str, s: &Series) -> Html {
    let points: Vec<(Micros, u64)> = s.points().collect();
    let recent = &points[points.len().saturating_sub(60)..];
    let tallest = recent.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f64;
    let last = recent.last().map_or(0, |p| p.1);
    let path: Vec<String> = recent
        .iter()
        .enumerate()
        .map(|(i, &(_, v))| {
            format!(
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { "L" },
                i as f64 * 260.0 / 59.0,
                50.0 - 46.0 * v as f64 / tallest
            )
        })
        .collect();
    let caption = format!("{title}: {last} {unit} in the last full second, peak {} ", tallest as u64);
    html! {
        <figure class="chart">
            <svg viewBox="0 0 260 54" role="img" aria-label={caption.clone()}>
                <path class="spark" d={path.join(" ")} />
            </svg>
            <figcaption>{ caption }</figcaption>
        </figure>
    }
}

/// Horizontal bars for labelled counts.
pub fn bars(title: &str, items: &[(&str, u64)]) -> Html {
    let largest = items.iter().map(|i| i.1).max().unwrap_or(0).max(1) as f64;
    let rows = items.iter().map(|&(label, n)| {
        let width = 150.0 * n as f64 / largest;
        html! {
            <div class="bar-row">
                <span class="bar-label">{ label }</span>
                <svg viewBox="0 0 150 10" class="bar" aria-hidden="true"><rect width={format!("{width:.1}")} height="10" /></svg>
                <span class="bar-value">{ n }</span>
            </div>
        }
    });
    html! {
        <figure class="chart bars" aria-label={title.to_string()}>
            <figcaption>{ title }</figcaption>
            { for rows }
        </figure>
    }
}

/// A time axis whose marks keep their coordinates while its window slides: marks are placed
/// from an origin that moves only once in a while, and the plot moves under them (see
/// [`sliding_plot`]). A mark that did not change then keeps its element from frame to frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeAxis {
    /// The time at x = 0 in the marks' coordinates.
    pub origin: Micros,
    /// Canvas units per unit of time.
    pub scale: f64,
}

impl TimeAxis {
    /// An axis for a window from `start`, its origin at the last multiple of `step` (1: the
    /// window's start itself).
    pub fn new(start: Micros, step: Micros, scale: f64) -> Self {
        let step = step.max(1);
        TimeAxis { origin: start / step * step, scale }
    }

    /// Where time `t` goes in the marks' coordinates. Subtracted exactly first: a history
    /// file's times can be large enough to lose their last digits as floats.
    pub fn x(&self, t: Micros) -> f64 {
        (i128::from(t) - i128::from(self.origin)) as f64 * self.scale
    }

    /// How far the marks move to put the window's `start` at x = `left`.
    pub fn shift(&self, start: Micros, left: f64) -> f64 {
        left - self.x(start)
    }
}

/// A plot clipped to `left`..`left + width` and `height` (clip id `clip`, unique in the page):
/// `moving`, in a [`TimeAxis`]'s coordinates, moved by `shift`, and `still` drawn in the
/// plot's own.
pub fn sliding_plot(clip: &str, (left, width, height): (f64, f64, f64), shift: f64, moving: Html, still: Html) -> Html {
    html! {
        <>
            <clipPath id={clip.to_string()}><rect x={format!("{left:.0}")} y="0" width={format!("{width:.0}")} height={format!("{height:.0}")} /></clipPath>
            <g clip-path={format!("url(#{clip})")}>
                <g transform={format!("translate({shift:.1} 0)")}>{ moving }</g>
                { still }
            </g>
        </>
    }
}
