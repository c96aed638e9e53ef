//! Component tests in headless Chromium (wasm-bindgen-test), plus the native/wasm32
//! determinism check: the digests pinned by the native golden test must come out the same
//! when the core runs as WebAssembly.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use playground_core::lab;
use playground_core::scenario::Scenario;
use playground_core::time::parse_duration;
use playground_web::lab::LabPage;
use playground_web::lab::LabPageProps;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, MouseEvent, MouseEventInit};

wasm_bindgen_test_configure!(run_in_browser);

const PINNED: &str = include_str!("../../core/tests/golden/digests.txt");
/// 200 seeds of every lab, generated natively by `UPDATE_GOLDEN=1 cargo test -p
/// playground-core --test golden`.
const SEEDS: &str = include_str!("../../core/tests/golden/seeds.txt");

#[wasm_bindgen_test]
async fn digests_in_wasm_equal_the_native_ones() {
    assert!(check_pinned(PINNED).await >= 3);
}

#[wasm_bindgen_test]
async fn two_hundred_seeds_of_every_lab_replay_bit_for_bit_in_wasm() {
    assert!(check_pinned(SEEDS).await >= 1_400);
}

/// Runs every `link until digest` line in wasm32 and compares; returns how many it checked.
/// It yields to the browser after every run, so the test runner's page stays responsive.
async fn check_pinned(pinned: &str) -> usize {
    let mut checked = 0;
    for line in pinned.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        yew::platform::time::sleep(Duration::from_millis(0)).await;
        let mut parts = line.split_whitespace();
        let (link, until, digest) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let scenario = Scenario::decode(link).unwrap();
        let mut run = lab::start(&scenario).unwrap();
        run.run_until(parse_duration(until).unwrap());
        assert_eq!(format!("{:016x}", run.trace().digest()), digest, "wasm32 digest of {link} to {until}");
        checked += 1;
    }
    checked
}

fn mount(scenario: Scenario) -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let props = LabPageProps { scenario, embed: false, error: None, exercise: None, tour: None };
    yew::Renderer::<LabPage>::with_root_and_props(root.clone(), props).render();
    root
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(50)).await;
}

fn find(root: &Element, css: &str) -> Element {
    root.query_selector(css).unwrap().unwrap_or_else(|| panic!("no `{css}`"))
}

/// Clicks like a mouse would: a bubbling click event, which works on SVG elements too.
fn click(root: &Element, css: &str) {
    let init = MouseEventInit::new();
    init.set_bubbles(true);
    let event = MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap();
    find(root, css).dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn the_lab_page_renders_every_panel() {
    let root = mount(Scenario::new("network", 1));
    settle().await;
    assert_eq!(root.query_selector_all("svg g[data-node]").unwrap().length(), 5);
    assert_eq!(root.query_selector_all(".verdict.holds").unwrap().length(), 2);
    let knobs = root.query_selector_all(".knob").unwrap().length() as usize;
    assert_eq!(knobs, lab::find("network").unwrap().params.len());
    for panel in [".controls", ".invariants", ".knobs", ".metrics", ".log", ".explain"] {
        find(&root, panel);
    }
    assert_eq!(find(&root, "#clock").text_content().unwrap(), "0.000000s");
}

#[wasm_bindgen_test]
async fn controls_change_the_state() {
    let root = mount(Scenario::new("network", 2));
    settle().await;
    let stats = || find(&root, ".run-stats").text_content().unwrap();
    let before = stats();
    click(&root, "#step");
    settle().await;
    assert_ne!(stats(), before, "a step processed an event");
    assert_ne!(find(&root, "#clock").text_content().unwrap(), "0.000000s");

    click(&root, "#play");
    settle().await;
    assert_eq!(find(&root, "#play").get_attribute("aria-pressed").as_deref(), Some("true"));
    click(&root, "#play");
    settle().await;
    assert_eq!(find(&root, "#play").get_attribute("aria-pressed").as_deref(), Some("false"));

    click(&root, "g[data-node=s3]");
    settle().await;
    click(&root, "button[data-action=crash]");
    settle().await;
    click(&root, "#step");
    settle().await;
    let class = find(&root, "g[data-node=s3]").get_attribute("class").unwrap_or_default();
    assert!(class.contains("node-crashed"), "{class}");

    click(&root, "#fork");
    settle().await;
    assert_eq!(root.query_selector_all("figure.canvas").unwrap().length(), 2, "a fork shows both runs side by side");
    find(&root, "table.comparison");
}

/// Messages waiting at one sender sit at one point: their names are not printed over each
/// other. The FLP lab at 3 s holds seven messages, several at each process.
#[wasm_bindgen_test]
async fn message_labels_never_overlap() {
    let mut scenario = Scenario::new("flp", 1);
    scenario.at = 3_000_000;
    let root = mount(scenario);
    for _ in 0..100 {
        settle().await;
        if find(&root, "#clock").text_content().unwrap() == "3.000000s" {
            break;
        }
    }
    settle().await;
    let flights = root.query_selector_all("g.flight").unwrap().length();
    let labels = root.query_selector_all(".flight-label").unwrap();
    let boxes: Vec<web_sys::DomRect> = (0..labels.length())
        .map(|i| labels.item(i).unwrap().dyn_into::<Element>().unwrap().get_bounding_client_rect())
        .collect();
    assert!(flights >= 4 && boxes.len() >= 2, "{flights} messages, {} labels", boxes.len());
    assert!((boxes.len() as u32) < flights, "labels at a shared point were left out");
    let apart = |a: &web_sys::DomRect, b: &web_sys::DomRect| {
        a.right() <= b.left() || b.right() <= a.left() || a.bottom() <= b.top() || b.bottom() <= a.top()
    };
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            assert!(apart(a, b), "labels overlap: {:?} and {:?}", (a.x(), a.y(), a.width()), (b.x(), b.y(), b.width()));
        }
    }
    // Nor do they cover a node: its shape, its name or its status line.
    // (In the canvas itself: the legend draws shapes too.)
    let parts = root.query_selector_all(".canvas > svg :is(.node .shape, .node-name, .node-status)").unwrap();
    let nodes = root.query_selector_all(".canvas > svg g.node").unwrap().length();
    assert!(nodes >= 3 && parts.length() >= 2 * nodes, "{nodes} nodes, {} parts", parts.length());
    for i in 0..parts.length() {
        let part = parts.item(i).unwrap().dyn_into::<Element>().unwrap().get_bounding_client_rect();
        for b in &boxes {
            assert!(apart(&part, b), "a label covers a node: {:?} and {:?}", (part.x(), part.y()), (b.x(), b.y()));
        }
    }
}

/// A frame exactly as the bridge writes it parses in the browser, nanoseconds intact (they
/// exceed what a JavaScript number holds exactly), and garbage is an error, not a panic.
#[wasm_bindgen_test]
fn bridge_frames_parse_exactly_in_the_browser() {
    use playground_core::hardware_time::{BridgeMessage, SourceKind};
    use playground_web::bridge::parse;
    let frame = r#"{"type":"sample","seq":7,"source":"gpsd","device":"127.0.0.1:2947 (serial time)","synchronized":true,
        "earliest_ns":"1795651199995000001","latest_ns":"1795651200505000003","read_system_ns":"1795651100000000007",
        "bound":[{"what":"receiver time error (ept)","below_ns":5000000,"above_ns":5000000}]}"#;
    let Ok(BridgeMessage::Sample(sample)) = parse(frame) else { panic!("a sample: {:?}", parse(frame)) };
    assert_eq!(sample.source, SourceKind::Gpsd);
    assert_eq!(sample.earliest_ns.0, 1_795_651_199_995_000_001);
    assert_eq!(sample.latest_ns.0, 1_795_651_200_505_000_003);
    assert_eq!(sample.read_system_ns.0, 1_795_651_100_000_000_007);
    assert!(matches!(
        parse(r#"{"type":"hello","version":1,"bridge":"b","source":"system","rate_hz":10}"#),
        Ok(BridgeMessage::Hello(h)) if h.rate_hz == 10
    ));
    for bad in
        ["", "{", "[1]", r#"{"type":"sample"}"#, r#"{"type":"nonsense"}"#, r#"{"type":"sample","earliest_ns":"x"}"#]
    {
        assert!(parse(bad).is_err(), "{bad}");
    }
}
