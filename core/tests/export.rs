//! The trace as JSON lines: every line parses, the header describes the run, every event of
//! the run is there in order with the fields its kind documents, and the export of a link is
//! the same bytes every time.

use playground_core::export::{event_line, json_lines, push_str, TraceExport, SCHEMA};
use playground_core::lab;
use playground_core::scenario::Scenario;
use playground_core::time::MICROS_PER_SEC;
use playground_core::trace::{Event, EventKind};
use serde_json::Value;

fn parse(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

#[test]
fn every_lab_exports_every_event_as_a_parsable_line() {
    for info in lab::catalogue().iter().filter(|i| i.available() && i.parts.is_empty()) {
        let mut scenario = Scenario::new(info.name, 3);
        if let Some(preset) = info.presets.first() {
            scenario = preset.scenario(info.name).unwrap();
        }
        let until = 2 * MICROS_PER_SEC;
        let (text, truncated) = json_lines(&scenario, until, u64::MAX).unwrap();
        assert!(!truncated);
        let lines = parse(&text);
        let header = &lines[0];
        assert_eq!(header["type"], "run");
        assert_eq!(header["schema"], SCHEMA);
        assert_eq!(header["lab"], info.name);
        assert_eq!(Scenario::decode(header["scenario"].as_str().unwrap()).unwrap(), scenario);
        let nodes: Vec<&str> = header["nodes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
        // The same run, counted natively: one line per event, in order.
        let mut run = lab::start(&scenario).unwrap();
        run.run_until(until);
        let events = &lines[1..];
        assert_eq!(events.len() as u64, run.trace().total(), "{}", info.name);
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e["seq"], i as u64, "{}", info.name);
            assert!(e["at_us"].as_u64().unwrap() <= until);
            let kind = e["type"].as_str().unwrap();
            for key in ["from", "to", "node"] {
                if let Some(name) = e.get(key).and_then(Value::as_str) {
                    assert!(nodes.contains(&name), "{}: {kind} names {name}", info.name);
                }
            }
            match kind {
                "send" => {
                    assert!(e["msg"].is_u64() && e["bytes"].is_u64() && e["kind"].is_string());
                    assert!(e["detail"].is_string(), "a send's content is exported: {e}");
                }
                "verdict" => assert!(e["holds"].is_boolean() && e["invariant"].is_string()),
                "drop" => assert!(e["reason"].is_string()),
                _ => {}
            }
        }
        let (again, _) = json_lines(&scenario, until, u64::MAX).unwrap();
        assert_eq!(again, text, "{}: an export is the same bytes every time", info.name);
    }
}

#[test]
fn a_long_run_is_cut_at_the_limit_and_says_so() {
    let scenario = Scenario::new("network", 1);
    let (text, truncated) = json_lines(&scenario, 60 * MICROS_PER_SEC, 100).unwrap();
    assert!(truncated);
    assert_eq!(text.lines().count(), 101);
}

/// A page advances an export a slice at a time: the file is the same bytes as in one go, and
/// the progress climbs to 1 without going back.
#[test]
fn an_export_advanced_in_slices_is_the_same_file() {
    for (lab, until, max) in [("raft", 3 * MICROS_PER_SEC, u64::MAX), ("network", 60 * MICROS_PER_SEC, 5_000)] {
        let scenario = Scenario::new(lab, 2);
        let whole = json_lines(&scenario, until, max).unwrap();
        let mut export = TraceExport::start(&scenario, until, max).unwrap();
        let (mut slices, mut last) = (0, 0.0);
        while !export.advance(137) {
            slices += 1;
            assert!(export.progress() >= last && export.progress() <= 1.0);
            last = export.progress();
        }
        assert!(slices > 3, "{lab}: {slices} slices");
        assert_eq!(export.progress(), 1.0, "{lab}");
        assert_eq!(export.finish(), whole, "{lab}");
    }
}

#[test]
fn strings_are_escaped() {
    let mut out = String::new();
    push_str(&mut out, "a \"quote\", a \\ and a\nnew line\u{1}");
    assert_eq!(serde_json::from_str::<String>(&out).unwrap(), "a \"quote\", a \\ and a\nnew line\u{1}");
    let names = vec!["n\"1".to_string()];
    let note = Event { seq: 0, at: 5, kind: EventKind::Note { node: Some(0), text: "x\ty".into() } };
    let line: Value = serde_json::from_str(&event_line(&note, &names, None)).unwrap();
    assert_eq!(line["node"], "n\"1");
    assert_eq!(line["text"], "x\ty");
    let verdict = Event {
        seq: 1,
        at: 6,
        kind: EventKind::Verdict { invariant: "agreement", holds: false, detail: "two values".into(), culprit: None },
    };
    let line: Value = serde_json::from_str(&event_line(&verdict, &names, None)).unwrap();
    assert_eq!(line["culprit"], Value::Null);
    assert_eq!(line["holds"], false);
}
