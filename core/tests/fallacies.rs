//! Every fallacy knob visibly changes the outcome of the same seeded run.

mod common;

use common::*;
use playground_core::lab::LabRun;

const RUN: u64 = 10;

/// One datacenter, so latency is small unless a knob makes it large.
fn baseline() -> Box<dyn LabRun> {
    with(&[], "")
}

fn with(params: &[(&str, &str)], faults: &str) -> Box<dyn LabRun> {
    let mut all = vec![("regions", "1")];
    all.extend_from_slice(params);
    run_to(&scenario(17, &all, faults), secs(RUN))
}

fn p50(run: &dyn LabRun, histogram: &str) -> u64 {
    run.metrics().histogram(histogram).unwrap().quantile(500)
}

#[test]
fn the_network_is_reliable_until_it_is_not() {
    let base = baseline();
    assert_eq!(counter(base.as_ref(), "dropped"), 0);
    assert_eq!(counter(base.as_ref(), "retries"), 0);
    let lossy = with(&[("loss", "20")], "");
    assert!(counter(lossy.as_ref(), "dropped: loss") > 0);
    assert!(counter(lossy.as_ref(), "retries") > 0);
    let duplicating = with(&[("dup", "20")], "");
    assert!(counter(duplicating.as_ref(), "duplicated") > 0);
    assert!(counter(duplicating.as_ref(), "dedup hits") > 0);
    let reordering = with(&[("reorder", "30")], "");
    let tail = |run: &dyn LabRun| run.metrics().histogram("transit").unwrap().quantile(900);
    assert!(tail(reordering.as_ref()) > 2 * tail(base.as_ref()));
}

#[test]
fn latency_is_not_zero_and_regions_show_it() {
    let near = baseline();
    let far = with(&[("regions", "3")], "");
    let p90 = |run: &dyn LabRun| run.metrics().histogram("request latency").unwrap().quantile(900);
    assert!(p90(far.as_ref()) > 10 * p90(near.as_ref()));
    let jittery = with(&[("jitter", "200")], "");
    let spread = |run: &dyn LabRun| {
        let h = run.metrics().histogram("transit").unwrap().clone();
        h.quantile(990) - h.quantile(10)
    };
    assert!(spread(jittery.as_ref()) > spread(near.as_ref()));
    let slow = with(&[], "1s slow c1-s1 x100");
    assert!(slow.metrics().histogram("request latency").unwrap().max() > 50_000);
}

#[test]
fn bandwidth_is_finite() {
    let narrow = with(&[("bandwidth", "128"), ("payload", "1000")], "");
    assert!(narrow.metrics().histogram("queue wait").unwrap().max() > 0);
    assert!(p50(narrow.as_ref(), "request latency") > 10 * p50(baseline().as_ref(), "request latency"));
}

#[test]
fn the_network_is_not_secure() {
    let reading = with(&[("attacker", "read")], "");
    assert!(counter(reading.as_ref(), "read by attacker") > 0);
    let tampering = with(&[("attacker", "tamper")], "");
    assert!(counter(tampering.as_ref(), "tampered") > 0);
    assert!(!holds(tampering.as_ref(), "integrity"));
    let authenticated = with(&[("attacker", "tamper"), ("auth", "on")], "");
    assert!(counter(authenticated.as_ref(), "dropped: auth failed") > 0);
    assert!(holds(authenticated.as_ref(), "integrity"));
    let replaying = with(&[("attacker", "replay"), ("dedup", "off")], "");
    assert!(counter(replaying.as_ref(), "replayed") > 0);
    assert!(!holds(replaying.as_ref(), "exactly-once"));
    assert!(holds(with(&[("attacker", "replay")], "").as_ref(), "exactly-once"));
}

#[test]
fn topology_changes() {
    let partitioned = with(&[], "2s partition c1 | s1,s2,s3; 4s heal");
    assert!(counter(partitioned.as_ref(), "dropped: partition") > 0);
    let cut = with(&[], "2s cut s1>c1");
    assert!(counter(cut.as_ref(), "dropped: link cut") > 0);
    let crashed = with(&[], "2s crash s1");
    assert!(counter(crashed.as_ref(), "dropped: node down") > 0);
    // A server joining moves accounts to new homes that never saw their request ids.
    let joined = with(&[("spares", "1"), ("clients", "4"), ("loss", "30"), ("timeout_ms", "50")], "3s join s4");
    assert!(joined
        .view()
        .nodes
        .iter()
        .any(|n| n.name == "s4" && n.detail.iter().any(|d| !d.starts_with("0 accounts"))));
    let paused = with(&[], "2s pause s1 500ms");
    assert!(paused.metrics().histogram("request latency").unwrap().max() > 300_000);
}

#[test]
fn there_are_many_administrators() {
    let strict = with(&[("s1.max_request", "16")], "");
    assert!(counter(strict.as_ref(), "rejected") > 0);
    let impatient = with(&[("regions", "2"), ("c2.timeout_ms", "20")], "");
    assert!(counter(impatient.as_ref(), "retries") > 0);
    assert!(counter(impatient.as_ref(), "dedup hits") > 0);
}

#[test]
fn transport_cost_is_not_zero() {
    let base = baseline();
    let costly = with(&[("cpu_us", "20000")], "");
    assert!(counter(costly.as_ref(), "cpu busy") > 100 * counter(base.as_ref(), "cpu busy"));
    assert!(p50(costly.as_ref(), "request latency") > 10 * p50(base.as_ref(), "request latency"));
    let bigger = with(&[("payload", "4000")], "");
    assert!(counter(bigger.as_ref(), "bytes sent") > 20 * counter(base.as_ref(), "bytes sent"));
}

#[test]
fn the_network_is_not_homogeneous() {
    let stubborn = with(&[("s1.version", "1"), ("negotiate", "off")], "");
    assert!(counter(stubborn.as_ref(), "dropped: version mismatch") > 0);
    let negotiated = with(&[("s1.version", "1")], "");
    assert_eq!(counter(negotiated.as_ref(), "dropped: version mismatch"), 0);
}
