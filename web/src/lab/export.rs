//! Exports, written when clicked: the run's trace as JSON lines (replayed from the start by
//! core, so every event is there, a slice per frame with its progress shown), and the picture on screen as SVG (self-contained, every
//! style inlined) or PNG, at the size on screen or larger, for slides and papers.

use playground_core::export::TraceExport;
use playground_core::scenario::Scenario;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlCanvasElement, HtmlImageElement};
use yew::prelude::*;

use super::sliced::{self, Pending};
use super::state::Action;
use crate::dom;

/// A browser keeps a download this size in memory without trouble; a longer run is cut here
/// and the notice says so (`playground run --export-trace` writes any length).
const MAX_EVENTS: u64 = 200_000;

/// Styles that decide how an SVG element looks; each is copied from the page onto the
/// element, so the file looks the same without the page's stylesheet.
const STYLES: &[&str] = &[
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "paint-order",
    "opacity",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "dominant-baseline",
    "visibility",
    "display",
];

#[derive(Properties, PartialEq)]
pub struct ExportsProps {
    /// The run being shown, positioned at its moment.
    pub scenario: Scenario,
    pub dispatch: Callback<Action>,
}

/// The picture on screen: the lab's main SVG, the branch's when a fork is shown beside the
/// original (the trace and the file name are the branch's too).
fn picture() -> Option<Element> {
    // The canvases' pictures are groups; the legend's small glyphs are not.
    let all = dom::window()?.document()?.query_selector_all("main.lab .canvases svg[role=group]").ok()?;
    all.item(all.length().checked_sub(1)?)?.dyn_into().ok()
}

/// A copy of `svg` that needs no stylesheet: computed styles inlined, a background, the
/// SVG namespace, and a size of `scale` times the size on screen.
fn standalone_svg(svg: &Element, scale: f64) -> Option<(String, f64, f64)> {
    let window = dom::window()?;
    let copy: Element = svg.clone_node_with_deep(true).ok()?.dyn_into().ok()?;
    let originals = svg.query_selector_all("*").ok()?;
    let copies = copy.query_selector_all("*").ok()?;
    for i in 0..originals.length().min(copies.length()) {
        let (Some(original), Some(target)) = (originals.item(i), copies.item(i)) else { continue };
        let (Ok(original), Ok(target)) = (original.dyn_into::<Element>(), target.dyn_into::<Element>()) else {
            continue;
        };
        let Ok(Some(computed)) = window.get_computed_style(&original) else { continue };
        let style: String = STYLES
            .iter()
            .filter_map(|name| computed.get_property_value(name).ok().map(|v| format!("{name}:{v};")))
            .collect();
        let _ = target.set_attribute("style", &style);
        let _ = target.remove_attribute("class");
    }
    let rect = svg.get_bounding_client_rect();
    let (width, height) = (rect.width() * scale, rect.height() * scale);
    let _ = copy.set_attribute("xmlns", "http://www.w3.org/2000/svg");
    let _ = copy.set_attribute("width", &format!("{width:.0}"));
    let _ = copy.set_attribute("height", &format!("{height:.0}"));
    // The page's background, so a dark-mode picture stays legible on its own.
    let document = window.document()?;
    let painted = |element: Option<Element>| {
        element
            .and_then(|e| window.get_computed_style(&e).ok().flatten())
            .and_then(|s| s.get_property_value("background-color").ok())
            .filter(|c| !c.is_empty() && c != "rgba(0, 0, 0, 0)")
    };
    let background = painted(document.body().map(Element::from))
        .or_else(|| painted(document.document_element()))
        .unwrap_or_else(|| "#ffffff".into());
    let font = window
        .get_computed_style(svg)
        .ok()
        .flatten()
        .and_then(|s| s.get_property_value("font-family").ok())
        .unwrap_or_default();
    let _ = copy.set_attribute("style", &format!("background:{background};font-family:{font}"));
    if let Ok(back) = document.create_element_ns(Some("http://www.w3.org/2000/svg"), "rect") {
        for (k, v) in [("x", "-10000"), ("y", "-10000"), ("width", "20000"), ("height", "20000"), ("fill", &background)]
        {
            let _ = back.set_attribute(k, v);
        }
        let _ = copy.insert_before(&back, copy.first_child().as_ref());
    }
    let text = web_sys::XmlSerializer::new().ok()?.serialize_to_string(&copy).ok()?;
    Some((text, width, height))
}

/// Draws the SVG text onto a canvas and downloads it as PNG, once the image has loaded; a
/// failure on the way is told through `failed`.
fn download_png(svg: String, width: f64, height: f64, name: String, failed: Callback<String>) -> Result<(), JsValue> {
    let image = HtmlImageElement::new()?;
    let loaded = image.clone();
    let on_error = failed.clone();
    let onerror = Closure::once_into_js(move || on_error.emit("the browser could not draw the picture".into()));
    let onload = Closure::once_into_js(move || {
        let draw = || -> Result<(), JsValue> {
            let document = dom::window().and_then(|w| w.document()).ok_or("no document")?;
            let canvas: HtmlCanvasElement = document.create_element("canvas")?.dyn_into()?;
            canvas.set_width(width.round() as u32);
            canvas.set_height(height.round() as u32);
            let context: web_sys::CanvasRenderingContext2d =
                canvas.get_context("2d")?.ok_or("no 2d context")?.dyn_into()?;
            context.draw_image_with_html_image_element_and_dw_and_dh(&loaded, 0.0, 0.0, width, height)?;
            dom::download_url(&name, &canvas.to_data_url_with_type("image/png")?);
            Ok(())
        };
        if draw().is_err() {
            failed.emit("the picture is too large for a PNG in this browser; try a smaller size".into());
        }
    });
    image.set_onload(Some(onload.unchecked_ref()));
    image.set_onerror(Some(onerror.unchecked_ref()));
    let encoded: String = js_sys::encode_uri_component(&svg).into();
    image.set_src(&format!("data:image/svg+xml;charset=utf-8,{encoded}"));
    Ok(())
}

#[function_component]
pub fn Exports(props: &ExportsProps) -> Html {
    let scale = use_state(|| 2u32);
    let base = format!("{}-seed{}-{}ms", props.scenario.lab, props.scenario.seed, props.scenario.at / 1_000);
    // The replay runs a slice at a time; `exporting` is its progress while it runs.
    let exporting = use_state(|| None::<f64>);
    let pending: Pending = use_mut_ref(|| None);
    let trace = {
        let (scenario, dispatch, name) = (props.scenario.clone(), props.dispatch.clone(), format!("{base}.jsonl"));
        let (exporting, pending) = (exporting.clone(), pending.clone());
        Callback::from(move |_: MouseEvent| {
            let job = match TraceExport::start(&scenario, scenario.at, MAX_EVENTS) {
                Ok(job) => job,
                Err(e) => return dispatch.emit(Action::Notice(Some(format!("The trace could not be exported: {e}")))),
            };
            exporting.set(Some(0.0));
            let (shown, done, name, dispatch) = (exporting.clone(), exporting.clone(), name.clone(), dispatch.clone());
            let finished = move |job: TraceExport| {
                done.set(None);
                let (text, truncated) = job.finish();
                dom::download(&name, "application/x-ndjson", &text);
                if truncated {
                    dispatch.emit(Action::Notice(Some(format!(
                        "The trace was cut at {MAX_EVENTS} events; `playground run --export-trace` writes any length."
                    ))));
                }
            };
            sliced::run(&pending, job, |job| job.advance(500), move |job| shown.set(Some(job.progress())), finished);
        })
    };
    let stop = {
        let (exporting, pending) = (exporting.clone(), pending.clone());
        Callback::from(move |_: MouseEvent| {
            sliced::cancel(&pending);
            exporting.set(None);
        })
    };
    let failed = {
        let dispatch = props.dispatch.clone();
        move || dispatch.emit(Action::Notice(Some("There is no picture to export on this page.".into())))
    };
    let svg = {
        let (name, failed) = (format!("{base}.svg"), failed.clone());
        Callback::from(move |_: MouseEvent| match picture().and_then(|svg| standalone_svg(&svg, 1.0)) {
            Some((text, _, _)) => {
                dom::download(&name, "image/svg+xml", &text);
            }
            None => failed(),
        })
    };
    let png = {
        let (name, scale) = (format!("{base}.png"), *scale);
        let told =
            props.dispatch.reform(|why: String| Action::Notice(Some(format!("The PNG could not be made: {why}."))));
        Callback::from(move |_: MouseEvent| match picture().and_then(|svg| standalone_svg(&svg, f64::from(scale))) {
            Some((text, w, h)) => {
                if download_png(text, w, h, name.clone(), told.clone()).is_err() {
                    failed();
                }
            }
            None => failed(),
        })
    };
    let on_scale = {
        let scale = scale.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) {
                scale.set(select.value().parse().unwrap_or(2));
            }
        })
    };
    html! {
        <div class="exports" role="group" aria-label="Export">
            <span>{ "Export: " }</span>
            <button id="export-trace" onclick={trace} disabled={exporting.is_some()} title="Every event of this run up to now, one JSON object per line (schema in docs/TRACE.md)">{ "Trace (JSON lines)" }</button>
            if let Some(fraction) = *exporting {
                <sliced::Progress label="Exporting the trace" text={format!("{:.0} %", fraction * 100.0)} {fraction}
                    cancel_id="export-cancel" on_cancel={stop} />
            }
            <button id="export-svg" onclick={svg} title="The picture as on screen, self-contained">{ "Picture (SVG)" }</button>
            <button id="export-png" onclick={png}>{ "Picture (PNG)" }</button>
            <label>{ "at " }
                <select id="export-scale" onchange={on_scale} aria-label="PNG size">
                    <option value="1" selected={*scale == 1}>{ "screen size" }</option>
                    <option value="2" selected={*scale == 2}>{ "2×" }</option>
                    <option value="4" selected={*scale == 4}>{ "4×" }</option>
                </select>
            </label>
        </div>
    }
}
