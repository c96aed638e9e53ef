//! For course pages, in real headless Chromium: a guided tour stepped through, and every
//! export downloaded and read back.

use std::path::{Path, PathBuf};

use playground_core::scenario::Scenario;
use playground_e2e::{dist, Browser, Site};

fn clock(b: &Browser) -> String {
    b.text(&b.find("#clock"))
}

fn focus(b: &Browser) -> Option<String> {
    b.attribute(&b.find("main.lab"), "data-focus")
}

#[test]
fn a_tour_is_stepped_through_left_and_returned_to() {
    let site = Site::serve(dist());
    let b = Browser::start();
    let tour = playground_core::tour::find("raft").expect("the Raft tour");
    // From the lab, as a student would find it.
    b.goto(&format!("{}?lab=raft", site.base));
    b.click(&b.find("a.tour-link"));
    b.find(".tour");
    assert!(b.text(&b.find(".tour")).contains(tour.steps[0].title));
    b.until("step 1 reaches its moment", || clock(&b) == "1.000000s");
    assert_eq!(focus(&b).as_deref(), Some("canvas"), "step 1 points at the canvas");
    assert!(b.exists(".invariants .holds") && !b.exists(".invariants .violated"), "step 1's guarantees hold");
    // Next: the leader crashes; the page shows the step's moment, and the URL follows.
    b.click(&b.find(".tour-next"));
    b.until("step 2 reaches its moment", || clock(&b) == "2.500000s");
    assert_eq!(b.attribute(&b.find(".tour"), "data-step").as_deref(), Some("2"));
    assert_eq!(focus(&b).as_deref(), Some("timeline"));
    assert!(b.url().contains("tour=raft&step=2"), "{}", b.url());
    assert!(b.text(&b.find(".tour")).contains(tour.steps[1].text.split(". ").next().unwrap()));
    // Taking control: play on, and the tour offers the way back.
    b.click(&b.find("#play"));
    b.until("the run moves on", || clock(&b) != "2.500000s");
    b.click(&b.find("#play"));
    b.find(".tour-nav .tour-return:not(:disabled)");
    assert_eq!(focus(&b), None, "no outline once the run is no longer the step's");
    b.click(&b.find(".tour-nav .tour-return"));
    b.until("back at step 2's moment", || clock(&b) == "2.500000s" && b.exists(".tour-nav .tour-return:disabled"));
    // The last step: the teaching variant, caught.
    let last = tour.steps.len();
    b.click(&b.find(&format!(".tour-dot:nth-child({last})")));
    b.until("the last step's moment", || clock(&b) == "3.000000s");
    b.until("the guarantee it shows broken", || b.exists(".invariants .violated"));
    assert_eq!(focus(&b).as_deref(), Some("guarantees"));
    assert!(b.exists(".tour-next:disabled"), "Next does nothing on the last step");
    b.click(&b.find(".tour-back"));
    let at_step = |n: usize| b.attribute(&b.find(".tour"), "data-step").as_deref() == Some(&*n.to_string());
    b.until("one step back", || at_step(last - 1));
    // The keyboard: B goes back a step, N forward again.
    b.send_keys(&b.find("body"), "b");
    b.until("B went back", || at_step(last - 2));
    b.send_keys(&b.find("body"), "n");
    b.until("N went forward", || at_step(last - 1));
    // A step about a panel far down the page brings it on screen, the story staying in view.
    b.goto(&format!("{}?tour=raft&step=3", site.base));
    b.until("step 3 reaches its moment", || clock(&b) == "3.000000s");
    let visible = |css: &str| {
        b.script(&format!(
            "const r = document.querySelector('{css}').getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight;"
        ))
    };
    b.until("the metrics are on screen", || visible(".metrics") == serde_json::json!(true));
    assert_eq!(visible(".tour"), serde_json::json!(true), "the tour's panel stays in view");
    // Shared and embedded: a step's link opens that step in an iframe-sized page.
    b.resize(700, 450);
    b.goto(&format!("{}?tour=raft&step=3&embed=1", site.base));
    b.find(".tour.compact");
    b.until("step 3 reaches its moment", || clock(&b) == "3.000000s");
    assert!(b.text(&b.find(".tour.compact")).contains(tour.steps[2].title));
    // A tour that does not exist goes home and says so.
    b.goto(&format!("{}?tour=nope", site.base));
    assert!(b.text(&b.find(".notice")).contains("no tour called"));
}

/// Waits for a finished download in `folder` whose name ends with `suffix`.
fn downloaded(folder: &Path, suffix: &str) -> PathBuf {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let found = std::fs::read_dir(folder)
            .ok()
            .and_then(|entries| entries.flatten().map(|e| e.path()).find(|p| p.to_string_lossy().ends_with(suffix)));
        if let Some(path) = found {
            return path;
        }
        assert!(std::time::Instant::now() < deadline, "no {suffix} was downloaded into {}", folder.display());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn the_trace_and_the_picture_are_downloaded_and_read_back() {
    let folder = std::env::temp_dir().join(format!("playground-downloads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    let site = Site::serve(dist());
    let b = Browser::start_downloading_to(&folder);
    let mut scenario = Scenario::new("raft", 3);
    scenario.at = 2_000_000;
    b.goto(&format!("{}?s={}", site.base, scenario.encode()));
    b.until("the link's moment", || clock(&b) == "2.000000s");
    // The trace: JSON lines, the header naming this run, one line per event the page counted.
    b.click(&b.find("#export-trace"));
    let trace = std::fs::read_to_string(downloaded(&folder, ".jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = trace.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["type"], "run");
    assert_eq!(Scenario::decode(lines[0]["scenario"].as_str().unwrap()).unwrap(), scenario);
    let events: u64 =
        b.text(&b.find(".run-stats")).split_whitespace().find_map(|w| w.replace(',', "").parse().ok()).unwrap();
    assert_eq!(lines.len() as u64 - 1, events, "every event up to now: {}", b.text(&b.find(".run-stats")));
    assert!(lines.iter().any(|l| l["type"] == "send" && l["kind"].is_string()));
    // The same run headlessly gives the same bytes.
    let (headless, _) = playground_core::export::json_lines(&scenario, scenario.at, u64::MAX).unwrap();
    assert_eq!(trace, headless);
    // The picture as SVG: self-contained, its nodes drawn with their styles inlined.
    b.click(&b.find("#export-svg"));
    let svg = std::fs::read_to_string(downloaded(&folder, ".svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("xmlns=\"http://www.w3.org/2000/svg\""), "{}", &svg[..200]);
    assert!(svg.contains("data-node=\"n1\"") && svg.contains("stroke:"), "nodes with inlined styles");
    assert!(!svg.contains("class=\""), "no class left to look up in a stylesheet");
    // The picture as PNG, at twice the size on screen.
    b.click(&b.find("#export-png"));
    let png = std::fs::read(downloaded(&folder, ".png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let on_screen =
        b.script("return document.querySelector('main.lab .canvases svg[role=group]').getBoundingClientRect().width");
    let on_screen = on_screen.as_f64().unwrap();
    assert!((f64::from(width) - 2.0 * on_screen).abs() <= 2.0, "PNG {width} px wide, canvas {on_screen} px on screen");
    // A long trace (the network lab's throughput workload at 30 s: over 200,000 events, the
    // most a page writes) is replayed a slice at a time: the click returns at once with the
    // progress shown, and Cancel stops it, so no file comes.
    let mut long = playground_core::labs::network::throughput_workload();
    long.at = 30_000_000;
    b.goto(&format!("{}?s={}", site.base, long.encode()));
    b.until("the link's moment", || clock(&b) == "30.000000s");
    b.click(&b.find("#export-trace"));
    // Looked at and cancelled in one script, so no slice of the export runs in between.
    let shown = b.script(
        "const bar = document.querySelector('progress[aria-label=\"Exporting the trace\"]'); \
         const busy = document.querySelector('#export-trace').disabled; \
         const cancel = document.querySelector('#export-cancel'); \
         if (!bar || !cancel) return 'no progress shown'; \
         if (!busy) return 'a second export could start'; \
         cancel.click(); return 'cancelled';",
    );
    assert_eq!(shown, serde_json::json!("cancelled"), "the export's progress is shown while it runs, one at a time");
    b.until("the cancelled export's progress goes", || !b.exists("#export-cancel"));
    std::thread::sleep(std::time::Duration::from_secs(2));
    let network_files = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("network"))
        .count();
    assert_eq!(network_files, 0, "a cancelled export downloads nothing");
    // Exported to the end, the file says where it was cut.
    let started = std::time::Instant::now();
    b.click(&b.find("#export-trace"));
    let cut = std::fs::read_to_string(downloaded(&folder, "seed2024-30000ms.jsonl")).unwrap();
    // A figure, not a limit: how long the page took to write 200,000 events a slice at a time.
    eprintln!("BUDGET export: 200000 events in {:.1} s, a slice at a time", started.elapsed().as_secs_f64());
    assert_eq!(cut.lines().count(), 200_001);
    assert!(b.text(&b.find(".notice")).contains("cut at 200000 events"));
    if std::env::var_os("KEEP_DOWNLOADS").is_none() {
        let _ = std::fs::remove_dir_all(&folder);
    }
}

/// Sets a form field's value as typing or choosing would, firing the event Yew listens to.
fn set_field(b: &Browser, css: &str, value: &str, event: &str) {
    b.script(&format!(
        "const e = document.querySelector('{css}'); e.value = {value:?}; e.dispatchEvent(new Event('{event}', {{bubbles: true}}));"
    ));
}

#[test]
fn an_instructor_makes_an_exercise_from_a_run_and_a_student_meets_it() {
    let site = Site::serve(dist());
    let b = Browser::start();
    // Duelling proposers choose nothing: the exercise is to make a learner learn.
    b.goto(&format!("{}?lab=paxos", site.base));
    b.click(&b.find(".author summary"));
    set_field(&b, "#author-title", "Get a value chosen", "input");
    set_field(&b, "#author-kind", "reach", "change");
    set_field(&b, "#author-target", "learners that learned", "change");
    set_field(&b, "#author-value", "1", "input");
    set_field(&b, "#author-deadline", "2s", "input");
    b.click(&b.find("#author-knob-contention"));
    b.until("the goal in words", || b.text(&b.find(".author-output .goal")).contains("reach 1 by 2.000000s"));
    b.click(&b.find("#author-check"));
    b.until("the start is checked", || b.exists("#author-verdict"));
    assert!(b.text(&b.find("#author-verdict")).contains("Good: the start alone misses the goal"));
    let link = b.property(&b.find("#author-link"), "value").as_str().unwrap().to_string();
    let snippet = b.property(&b.find("#author-snippet"), "value").as_str().unwrap().to_string();
    assert!(snippet.starts_with("<iframe src=\"") && snippet.contains(&format!("{link}&embed=1")), "{snippet}");
    // The student opens it: only the allowed knob can be turned, and turning it meets the goal.
    b.goto(&link);
    b.find(".exercise");
    assert!(b.text(&b.find(".exercise")).contains("Get a value chosen"));
    assert_eq!(b.property(&b.find("#knob-retry_ms"), "disabled"), serde_json::json!(true));
    set_field(&b, "#knob-contention", "backoff", "change");
    b.click(&b.find("#play"));
    b.until("the goal is met", || b.exists(".exercise-status.met"));
}
