//! Golden text traces for canonical network scenarios. They change only on purpose: run
//! with `UPDATE_GOLDEN=1` to rewrite them, then read the diff.
//!
//! `digests.txt` pins the trace digest of a few scenarios; the web crate's wasm test checks
//! the same file, which proves native and wasm32 runs are bit-identical.

mod common;

use common::*;
use playground_core::scenario::Scenario;
use playground_core::time::{parse_duration, MICROS_PER_MS};
use std::path::PathBuf;

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn check_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden file {}; run with UPDATE_GOLDEN=1", path.display()));
    if expected != actual {
        let first = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name} differs from its golden trace at line {}:\n  expected: {}\n  actual:   {}",
            first + 1,
            expected.lines().nth(first).unwrap_or("<end>"),
            actual.lines().nth(first).unwrap_or("<end>")
        );
    }
}

fn ms(n: u64) -> u64 {
    n * MICROS_PER_MS
}

#[test]
fn lossy_link_with_retries() {
    let s =
        scenario(1, &[("clients", "1"), ("servers", "1"), ("rate", "5"), ("loss", "40"), ("timeout_ms", "100")], "");
    let trace = text_trace(&s, ms(2_000));
    assert!(trace.contains(" loss") && trace.contains("retry req"));
    assert!(trace.contains("answered from table"), "a retry after a lost ack is deduplicated");
    check_golden("lossy-retry.txt", &trace);
}

#[test]
fn partition_then_heal() {
    let s =
        scenario(2, &[("clients", "1"), ("servers", "2"), ("rate", "5")], "500ms partition c1 | s1,s2; 1500ms heal");
    let trace = text_trace(&s, ms(2_500));
    assert!(trace.contains("partition c1 | s1,s2") && trace.contains(" heal"));
    assert!(trace.contains("drop") && trace.contains("partition\n"));
    check_golden("partition-heal.txt", &trace);
}

#[test]
fn crash_and_restart_keep_the_dedup_table() {
    let s = scenario(
        3,
        &[("clients", "1"), ("servers", "1"), ("rate", "10"), ("timeout_ms", "100"), ("retries", "8")],
        "300ms crash s1; 800ms restart s1",
    );
    let trace = text_trace(&s, ms(1_500));
    assert!(trace.contains("crash     s1") && trace.contains("restart   s1") && trace.contains("node-down"));
    check_golden("crash-restart.txt", &trace);
}

#[test]
fn tampering_is_caught_by_authentication() {
    let s = scenario(
        4,
        &[("clients", "1"), ("servers", "1"), ("rate", "5"), ("attacker", "tamper"), ("attack", "50"), ("auth", "on")],
        "",
    );
    let trace = text_trace(&s, ms(1_500));
    assert!(trace.contains("tamper ") && trace.contains("auth-failed"));
    assert!(!trace.contains("VIOLATED"));
    check_golden("tamper-auth.txt", &trace);
}

#[test]
fn bandwidth_makes_a_queue() {
    let s = scenario(
        5,
        &[("clients", "2"), ("servers", "1"), ("rate", "20"), ("bandwidth", "256"), ("payload", "2000")],
        "",
    );
    let run = run_to(&s, ms(1_000));
    let wait = run.metrics().histogram("queue wait").unwrap().max();
    assert!(wait > ms(10), "max queue wait {wait}us");
    check_golden("bandwidth-queue.txt", &text_trace(&s, ms(1_000)));
}

#[test]
fn clocks_with_a_crash() {
    let mut s = Scenario::new("clocks", 9);
    s.set_param("processes", "3");
    s.set_param("events", "4");
    s.faults = playground_core::fault::parse_script("700ms crash p2; 1200ms restart p2").unwrap();
    let trace = text_trace(&s, ms(1_500));
    assert!(trace.contains("NtpRequest") && trace.contains("restart   p2"));
    check_golden("clocks-crash.txt", &trace);
}

#[test]
fn replication_async_failover() {
    let s = scenario_for(
        "replication",
        5,
        &[("sync", "async"), ("think_ms", "40"), ("failover_ms", "300"), ("keys", "1"), ("clients", "2")],
        "0s slow s1-s2 x20; 0s slow s1-s3 x20; 500ms crash s1",
    );
    let trace = text_trace(&s, ms(1_000));
    assert!(trace.contains("crash     s1") && trace.contains("promoted s2"));
    assert!(trace.contains("acknowledged writes survive"), "the lost write is in the trace");
    check_golden("replication-async-failover.txt", &trace);
}

#[test]
fn partitioning_join_with_a_crash_mid_move() {
    let s = scenario_for(
        "partitioning",
        3,
        &[("nodes", "2"), ("keys", "40"), ("clients", "1"), ("batch", "4"), ("bandwidth", "1"), ("think_ms", "60")],
        "300ms join p3; 330ms crash p3; 700ms restart p3",
    );
    let trace = text_trace(&s, ms(2_500));
    assert!(trace.contains("p3 joined") && trace.contains("Transfer") && trace.contains("crash     p3"));
    assert!(trace.contains("map 1 committed") && trace.contains("every node applied map 1"));
    check_golden("partitioning-join-crash.txt", &trace);
}

#[test]
fn transactions_coordinator_crash_in_doubt() {
    let s = scenario_for(
        "transactions",
        4,
        &[
            ("clients", "2"),
            ("think_ms", "120"),
            ("participants", "2"),
            ("fsync_ms", "40"),
            ("decision_timeout_ms", "150"),
        ],
        "540ms crash co; 900ms restart co",
    );
    let trace = text_trace(&s, ms(1_200));
    assert!(trace.contains("crash     co") && trace.contains("in doubt"), "the crash leaves a participant in doubt");
    assert!(
        trace.contains("Inquire") && trace.contains("presumed aborted"),
        "and the restarted coordinator presumes abort"
    );
    check_golden("transactions-2pc-crash.txt", &trace);
}

#[test]
fn failure_fencing_without_tokens() {
    let s = scenario_for(
        "failure",
        1,
        &[("part", "fencing"), ("fencing", "off"), ("lease_ms", "300"), ("think_ms", "60"), ("work_ms", "50")],
        "700ms pause c1 400ms",
    );
    let trace = text_trace(&s, ms(1_600));
    assert!(trace.contains("pause     c1") && trace.contains("grants c2"), "c1 pauses and c2 takes the lease");
    check_golden("failure-fencing-off.txt", &trace);
}

#[test]
fn pinned_digests() {
    let path = golden_path("digests.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut rewritten = String::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let (link, until, digest) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let scenario = Scenario::decode(link).unwrap();
        let actual = format!("{:016x}", run_to(&scenario, parse_duration(until).unwrap()).trace().digest());
        rewritten.push_str(&format!("{link} {until} {actual}\n"));
        if std::env::var_os("UPDATE_GOLDEN").is_none() {
            assert_eq!(actual, digest, "digest of {link} to {until}");
        }
    }
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let header: String = text.lines().filter(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, header + &rewritten).unwrap();
    }
}

/// Each lab, 200 seeds, with a knob that varies with the seed: the scenarios whose digests
/// `seeds.txt` pins (the wasm test replays every one of them).
fn seed_sweep() -> Vec<(Scenario, &'static str)> {
    let mut out = Vec::new();
    for lab in [
        "network",
        "clocks",
        "raft",
        "paxos",
        "flp",
        "consistency",
        "replication",
        "partitioning",
        "transactions",
        "failure",
    ] {
        for seed in 1..=200u64 {
            let mut s = Scenario::new(lab, seed);
            let until = match lab {
                "consistency" | "partitioning" => "3s",
                "transactions" => "7s",
                "failure" => "5s",
                "replication" => "5s",
                _ => "2s",
            };
            match lab {
                "partitioning" => {
                    // Every scheme and routing, a join and a crash while keys move.
                    let schemes = ["mod-n", "ring", "jump", "rendezvous", "fixed", "ranges"];
                    s.set_param("scheme", schemes[seed as usize % 6]);
                    s.set_param("routing", ["client", "tier", "any-node"][(seed / 6) as usize % 3]);
                    s.set_param("distribution", ["uniform", "zipf", "sequential"][(seed / 18) as usize % 3]);
                    s.set_param("keys", "500");
                    s.set_param("index", ["none", "local", "global"][(seed / 54) as usize % 3]);
                    s.set_param("loss", &(seed % 5).to_string());
                    s.faults =
                        playground_core::fault::parse_script("1s join p5; 1.05s crash p2; 2s restart p2").unwrap();
                }
                "failure" => {
                    // Every part and its teaching variants, with the fault each is about.
                    let part = ["detectors", "fencing", "split-brain", "idempotency"][seed as usize % 4];
                    s.set_param("part", part);
                    s.set_param("loss", &(seed % 4).to_string());
                    let flip = (seed / 4) % 2 == 1;
                    let script = match part {
                        "detectors" => {
                            s.set_param("gc_ms", if flip { "300" } else { "0" });
                            s.set_param("jitter", &(seed % 150).to_string());
                            "2s crash p1; 3.5s restart p1"
                        }
                        "fencing" => {
                            s.set_param("fencing", if flip { "off" } else { "on" });
                            s.set_param("drift_ppm", &((seed % 5) * 50_000).to_string());
                            "2s pause c1 1s"
                        }
                        "split-brain" => {
                            s.set_param("quorum", if flip { "none" } else { "majority" });
                            "2s partition n1,c1 | n2,n3,c2; 4s heal"
                        }
                        _ => {
                            s.set_param("keys", if flip { "off" } else { "on" });
                            s.set_param("jitter_retry", ["none", "full", "equal"][(seed / 8) as usize % 3]);
                            "2s pause srv 1s"
                        }
                    };
                    s.faults = playground_core::fault::parse_script(script).unwrap();
                }
                "transactions" => {
                    // Every pattern and its variants, a one-second workload, the check at 6 s,
                    // and the hub crashing and coming back.
                    let pattern = ["2pc", "3pc", "saga", "outbox"][seed as usize % 4];
                    s.set_param("pattern", pattern);
                    s.set_param("workload_s", "1");
                    s.set_param("loss", &(seed % 5).to_string());
                    s.set_param("dup", &(seed % 3).to_string());
                    let pick = |names: &[&'static str]| names[(seed / 4) as usize % names.len()];
                    match pattern {
                        "2pc" => s.set_param("termination", pick(&["coordinator", "cooperative"])),
                        "saga" => {
                            s.set_param("style", pick(&["orchestration", "choreography"]));
                            s.set_param("semantic_lock", ["off", "on"][(seed / 8) as usize % 2]);
                            s.set_param("stock", "40");
                        }
                        "outbox" => {
                            s.set_param("publish", pick(&["outbox", "dual-write", "publish-first"]));
                            s.set_param("relay", ["poller", "cdc"][(seed / 12) as usize % 2]);
                        }
                        _ => {}
                    }
                    let hub = match pattern {
                        "saga" if (seed / 4) % 2 == 1 => "ord",
                        "saga" => "orch",
                        "outbox" => "svc",
                        _ => "co",
                    };
                    let script = format!("500ms crash {hub}; 800ms restart {hub}");
                    s.faults = playground_core::fault::parse_script(&script).unwrap();
                }
                "replication" => {
                    // Every family and conflict handling, a one-second workload and its final reads.
                    let family = ["single-leader", "multi-leader", "leaderless"][seed as usize % 3];
                    s.set_param("family", family);
                    s.set_param("workload_s", "1");
                    s.set_param("loss", &(seed % 10).to_string());
                    match family {
                        "single-leader" => s.set_param("sync", ["sync", "semi-sync", "async"][(seed / 3) as usize % 3]),
                        "multi-leader" => {
                            let conflicts = ["lww", "siblings", "g-counter", "pn-counter", "or-set", "naive-counter"];
                            s.set_param("conflicts", conflicts[(seed / 3) as usize % 6]);
                        }
                        _ => {
                            s.set_param("r", ["1", "2", "3"][(seed / 3) as usize % 3]);
                            s.set_param("versions", ["timestamp", "vector-clock"][(seed / 9) as usize % 2]);
                        }
                    }
                }
                "consistency" => {
                    // A one-second workload, so the final reads and every judge run.
                    s.set_param("mode", ["linearizable", "sequential", "causal", "eventual"][seed as usize % 4]);
                    s.set_param("workload_s", "1");
                    s.set_param("loss", &(seed % 20).to_string());
                }
                "network" | "raft" | "paxos" => s.set_param("loss", &(seed % 25).to_string()),
                "clocks" => s.set_param("max_drift_ppm", &(seed * 7 % 1000).to_string()),
                _ => s.set_param("variant", ["deterministic", "randomized", "timeouts"][seed as usize % 3]),
            }
            out.push((s, until));
        }
    }
    out
}

#[test]
fn seed_sweep_digests() {
    let path = golden_path("seeds.txt");
    let mut rewritten = String::from(
        "# 200 seeds per lab (core/tests/golden.rs seed_sweep): share link, run time, trace digest.\n\
         # Checked natively here and in wasm32 (web/tests); rewrite with UPDATE_GOLDEN=1.\n",
    );
    for (scenario, until) in seed_sweep() {
        let digest = run_to(&scenario, parse_duration(until).unwrap()).trace().digest();
        rewritten.push_str(&format!("{} {until} {digest:016x}\n", scenario.encode()));
    }
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, rewritten).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path).expect("seeds.txt exists; run with UPDATE_GOLDEN=1");
    for (expected, actual) in pinned.lines().zip(rewritten.lines()) {
        assert_eq!(expected, actual, "the pinned seed sweep changed");
    }
    assert_eq!(pinned.lines().count(), rewritten.lines().count());
    assert!(pinned.lines().filter(|l| !l.starts_with('#')).count() >= 1600);
}
