//! The `playground` binary as an instructor or CI would call it.

use std::process::{Command, Output};

fn playground(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_playground")).args(args).output().expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn same_bytes_twice_and_different_for_another_seed() {
    let args = ["run", "network", "--seed", "7", "--until", "60s", "--json"];
    let (a, b) = (playground(&args), playground(&args));
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert!(!a.stdout.is_empty());
    assert_eq!(a.stdout, b.stdout);
    let other = playground(&["run", "network", "--seed", "8", "--until", "60s", "--json"]);
    assert_ne!(a.stdout, other.stdout);
    let json: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(json["all_hold"], true);
    assert!(json["trace"]["events"].as_u64().unwrap() > 10_000);
}

#[test]
fn bad_arguments_get_a_clear_error_and_code_2() {
    for (args, expected) in [
        (vec!["run", "network", "--seed", "notanumber"], "`--seed` must be a whole number"),
        (vec!["run", "nosuchlab"], "there is no lab called `nosuchlab`"),
        (vec!["run", "failure", "--set", "part=quorum"], "`part` must be one of"),
        (vec!["run", "transactions", "--set", "pattern=4pc"], "`pattern` must be one of"),
        (vec!["run", "transactions", "--faults", "1s do c1 explode"], "clients take: request"),
        (vec!["run", "partitioning", "--set", "scheme=modulo"], "`scheme` must be one of"),
        (vec!["run", "partitioning", "--faults", "1s do c1 read k99999"], "there is no key k99999"),
        (vec!["run", "partitioning", "--faults", "1s do p1 explode"], "storage nodes take: decommission"),
        (vec!["run", "replication", "--set", "family=ring"], "`family` must be one of"),
        (vec!["run", "consensus"], "run one of: raft, paxos, flp"),
        (vec!["run", "network", "--until", "10"], "no unit"),
        (vec!["run", "network", "--set", "loss=200"], "between 0 and 100"),
        (vec!["run", "network", "--set", "s9.rate=5"], "there is no node `s9`"),
        (vec!["run", "network", "--faults", "2s explode s1"], "unknown action `explode`"),
        (vec!["run", "network", "--faults", "2s crash s7"], "there is no node `s7`"),
        (vec!["run", "network", "--scenario", "%%%"], "not URL-safe base64"),
        (vec!["run", "network", "--bogus"], "unknown option `--bogus`"),
        (vec!["fly"], "unknown command `fly`"),
        (vec!["run", "raft", "--faults", "1s do n1 fly"], "`do n1 fly`: unknown command (servers take: timeout)"),
        (vec!["run", "raft", "--faults", "1s do c1 submit n9"], "no server called `n9`"),
        (vec!["run", "clocks", "--faults", "1s do ntp local"], "the time server takes no commands"),
        (vec!["run", "flp", "--faults", "1s do p1 local"], "FLP's processes take no commands"),
        (vec!["run"], "needs a lab name"),
    ] {
        let out = playground(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(expected), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
    }
}

#[test]
fn heavy_loss_retries_and_exactly_once_holds_then_breaks_without_dedup() {
    let with = playground(&["run", "network", "--seed", "7", "--set", "loss=40", "--json"]);
    assert_eq!(with.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&with.stdout).unwrap();
    assert!(json["counters"]["retries"].as_u64().unwrap() > 100);
    assert!(json["counters"]["dropped: loss"].as_u64().unwrap() > 100);

    let without = playground(&["run", "network", "--seed", "7", "--set", "loss=40", "--set", "dedup=off"]);
    assert_eq!(without.status.code(), Some(3));
    let text = stdout(&without);
    assert!(text.contains("VIOLATED  exactly-once"), "{text}");
    assert!(text.contains("a second time"), "{text}");
    assert!(text.contains("event:") && text.contains("applied c"), "the culprit event is shown: {text}");
}

#[test]
fn a_share_link_replays_the_same_run() {
    let first = playground(&[
        "run",
        "network",
        "--seed",
        "5",
        "--until",
        "5s",
        "--set",
        "dup=20",
        "--faults",
        "1s crash s2; 2s restart s2",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let link = json["scenario"].as_str().unwrap();
    let again = playground(&["run", "--scenario", link, "--until", "5s", "--json"]);
    assert_eq!(first.stdout, again.stdout);
    let file = std::env::temp_dir().join(format!("playground-cli-test-{}.txt", std::process::id()));
    std::fs::write(&file, link).unwrap();
    let from_file = playground(&["run", "network", "--scenario", file.to_str().unwrap(), "--until", "5s", "--json"]);
    std::fs::remove_file(&file).ok();
    assert_eq!(first.stdout, from_file.stdout);
}

#[test]
fn clocks_replay_and_commit_wait_off_is_reported() {
    let args = ["run", "clocks", "--seed", "3", "--until", "20s", "--json"];
    let (a, b) = (playground(&args), playground(&args));
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
    let off = playground(&["run", "clocks", "--seed", "3", "--until", "20s", "--set", "commit_wait=off"]);
    assert_eq!(off.status.code(), Some(3));
    assert!(stdout(&off).contains("VIOLATED  external-consistency"), "{}", stdout(&off));
}

#[test]
fn raft_and_paxos_replay_byte_for_byte() {
    for lab in ["raft", "paxos", "flp"] {
        let args = ["run", lab, "--seed", "4", "--until", "10s", "--set", "loss=5", "--json"];
        let args: Vec<&str> =
            args.iter().copied().filter(|a| lab != "flp" || (*a != "--set" && *a != "loss=5")).collect();
        let (a, b) = (playground(&args), playground(&args));
        assert_eq!(a.status.code(), Some(0), "{lab}: {}", stderr(&a));
        assert_eq!(a.stdout, b.stdout, "{lab}");
    }
    let bug = playground(&["run", "raft", "--scenario", &figure_8_link(), "--until", "3s"]);
    assert_eq!(bug.status.code(), Some(3), "the Figure 8 teaching variant is reported");
}

fn figure_8_link() -> String {
    let info = playground_core::lab::find("raft").unwrap();
    let preset = info.presets.iter().find(|p| p.name.contains("committing old entries")).unwrap();
    preset.scenario("raft").unwrap().encode()
}

#[test]
fn labs_lists_all_eight_with_parameters() {
    let out = playground(&["labs", "--json"]);
    let labs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let labs = labs.as_array().unwrap();
    assert!(labs.len() >= 8, "all eight labs of DESIGN.md, plus any previews");
    assert!(labs.iter().any(|l| l["name"] == "raft" && l["available"] == true));
    assert_eq!(labs[0]["name"], "network");
    assert!(labs[0]["params"].as_array().unwrap().iter().any(|p| p["key"] == "loss"));
    assert!(stdout(&playground(&["labs"])).contains("failure"));
}

#[test]
fn fuzz_runs_random_scenarios_and_reports_rates_and_findings() {
    let out = playground(&["fuzz", "--minutes", "0.03", "--seed", "11", "--lab", "paxos"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("fuzzing 1 lab(s)") && text.contains("runs per minute") && text.contains("0 finding(s)"),
        "{text}"
    );
    for (args, expected) in [
        (vec!["fuzz", "--minutes", "0"], "`--minutes` must be a number of minutes above 0"),
        (vec!["fuzz", "--lab", "nosuchlab"], "no runnable lab called `nosuchlab`"),
    ] {
        let out = playground(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(expected), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn the_consistency_lab_exits_3_on_the_stale_read_and_its_history_checks_the_same() {
    let ok = playground(&["run", "consistency", "--seed", "2", "--until", "13s"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let file = std::env::temp_dir().join(format!("playground-history-{}.edn", std::process::id()));
    let path = file.to_str().expect("a UTF-8 temp path");
    let faults = "100ms do r1 elect; 2s partition r1,c1 | r2,r3,c2,c3; 7s heal";
    let stale = playground(&[
        "run",
        "consistency",
        "--set",
        "stale_reads=on",
        "--faults",
        faults,
        "--until",
        "13s",
        "--history",
        path,
    ]);
    assert_eq!(stale.status.code(), Some(3), "{}", stdout(&stale));
    assert!(stdout(&stale).contains("VIOLATED  linearizable"), "{}", stdout(&stale));
    // The exported history, judged by `playground check`, breaks the same model at the same read.
    let checked = playground(&["check", path]);
    assert_eq!(checked.status.code(), Some(3), "{}", stdout(&checked));
    let live = stdout(&stale);
    let culprit = live.split("explains ").nth(1).and_then(|s| s.split(':').next()).expect("a culprit");
    assert!(stdout(&checked).contains(culprit), "live: {culprit}; check: {}", stdout(&checked));
    let _ = std::fs::remove_file(&file);
    // A lab without a history says so.
    let none = playground(&["run", "network", "--until", "1s", "--history", path]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("records no client history"), "{}", stderr(&none));
}

#[test]
fn the_replication_lab_replays_byte_for_byte_and_exits_3_when_a_failover_loses_a_write() {
    let ok = playground(&["run", "replication", "--seed", "3", "--until", "14s"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let faults = "0s slow s1-s2 x20; 0s slow s1-s3 x20; 3s crash s1";
    let args = [
        "run",
        "replication",
        "--seed",
        "2",
        "--set",
        "sync=async",
        "--set",
        "think_ms=20",
        "--faults",
        faults,
        "--until",
        "6s",
    ];
    let lost = playground(&args);
    assert_eq!(lost.status.code(), Some(3), "{}", stdout(&lost));
    assert!(stdout(&lost).contains("VIOLATED  acknowledged writes survive"), "{}", stdout(&lost));
    assert!(stdout(&lost).contains("the failover at"), "{}", stdout(&lost));
    assert_eq!(playground(&args).stdout, lost.stdout, "the same run, byte for byte");
    // The same faults with synchronous replication lose nothing.
    let mut sync = args.to_vec();
    sync[5] = "sync=sync";
    assert_eq!(playground(&sync).status.code(), Some(0));
    // The clients' history goes to the same checker as the consistency lab's.
    let file = std::env::temp_dir().join(format!("playground-replication-{}.edn", std::process::id()));
    let path = file.to_str().expect("a UTF-8 temp path");
    let exported =
        playground(&["run", "replication", "--set", "family=leaderless", "--until", "14s", "--history", path]);
    assert_eq!(exported.status.code(), Some(0), "{}", stderr(&exported));
    let checked = playground(&["check", "--consistency", "all", path]);
    assert!(matches!(checked.status.code(), Some(0) | Some(3)), "{}", stderr(&checked));
    assert!(stdout(&checked).contains("recency holds"), "{}", stdout(&checked));
    let _ = std::fs::remove_file(&file);
}

#[test]
fn the_partitioning_lab_replays_byte_for_byte_and_exits_3_when_a_handoff_loses_keys() {
    let join = [
        "run",
        "partitioning",
        "--seed",
        "4",
        "--set",
        "loss=5",
        "--set",
        "batch=10",
        "--faults",
        "3s join p5",
        "--until",
        "6s",
    ];
    let ok = playground(&join);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("rebalances                   1"), "{}", stdout(&ok));
    let mut unsafe_args = join.to_vec();
    unsafe_args.extend(["--set", "handoff=fire-and-forget"]);
    let lost = playground(&unsafe_args);
    assert_eq!(lost.status.code(), Some(3), "{}", stdout(&lost));
    assert!(stdout(&lost).contains("VIOLATED  no key lost or duplicated"), "{}", stdout(&lost));
    assert!(stdout(&lost).contains("which never received it"), "{}", stdout(&lost));
    assert_eq!(playground(&unsafe_args).stdout, lost.stdout, "the same run, byte for byte");
    let json = playground(&[&unsafe_args[..], &["--json"]].concat());
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let replay = playground(&["run", "--scenario", json["scenario"].as_str().unwrap(), "--until", "6s"]);
    assert_eq!(replay.stdout, lost.stdout, "the share link replays the same run");
}

#[test]
fn the_transactions_lab_replays_byte_for_byte_and_exits_3_when_a_transfer_splits() {
    let crash = [
        "run",
        "transactions",
        "--seed",
        "2",
        "--set",
        "fsync_ms=50",
        "--faults",
        "0s slow co-p2 x60; 3s crash co; 3s crash p2; 3.5s restart p2; 4s restart co",
        "--until",
        "8s",
    ];
    let ok = playground(&crash);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("holds     atomic"), "{}", stdout(&ok));
    let mut unsafe_args = crash.to_vec();
    unsafe_args.extend(["--set", "log_decision=after-send"]);
    let split = playground(&unsafe_args);
    assert_eq!(split.status.code(), Some(3), "{}", stdout(&split));
    assert!(stdout(&split).contains("but aborted at p2"), "{}", stdout(&split));
    assert_eq!(playground(&unsafe_args).stdout, split.stdout, "the same run, byte for byte");
    let json = playground(&[&unsafe_args[..], &["--json"]].concat());
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let replay = playground(&["run", "--scenario", json["scenario"].as_str().unwrap(), "--until", "8s"]);
    assert_eq!(replay.stdout, split.stdout, "the share link replays the same run");
    for pattern in ["3pc", "saga", "outbox"] {
        let set = format!("pattern={pattern}");
        let run = playground(&["run", "transactions", "--set", &set, "--until", "16s"]);
        assert_eq!(run.status.code(), Some(0), "{pattern}: {}", stdout(&run));
    }
}

#[test]
fn the_failure_lab_replays_byte_for_byte_and_exits_3_without_fencing() {
    let pause = ["run", "failure", "--set", "part=fencing", "--faults", "2.05s pause c1 1500ms", "--until", "12s"];
    let ok = playground(&pause);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("stale writes refused"), "{}", stdout(&ok));
    let mut unsafe_args = pause.to_vec();
    unsafe_args.extend(["--set", "fencing=off"]);
    let stale = playground(&unsafe_args);
    assert_eq!(stale.status.code(), Some(3), "{}", stdout(&stale));
    assert!(stdout(&stale).contains("storage accepted c1's write"), "{}", stdout(&stale));
    assert_eq!(playground(&unsafe_args).stdout, stale.stdout, "the same run, byte for byte");
    let json = playground(&[&unsafe_args[..], &["--json"]].concat());
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let replay = playground(&["run", "--scenario", json["scenario"].as_str().unwrap(), "--until", "12s"]);
    assert_eq!(replay.stdout, stale.stdout, "the share link replays the same run");
    for part in ["detectors", "split-brain", "idempotency"] {
        let set = format!("part={part}");
        let run = playground(&["run", "failure", "--set", &set, "--until", "15s"]);
        assert_eq!(run.status.code(), Some(0), "{part}: {}", stdout(&run));
    }
}

/// An instructor grades submitted share links against an exercise: 0 met, 3 not met or
/// outside the limits, 2 for a link that cannot be read.
#[test]
fn exercise_grades_a_students_link() {
    use playground_core::exercise::catalogue;
    let exercise = catalogue::find("raft-figure-8-fix").expect("a shipped exercise");
    let link = format!("https://example.org/playground/?x={}&embed=1", exercise.encode());

    let described = playground(&["exercise", &link]);
    assert_eq!(described.status.code(), Some(0), "{}", stderr(&described));
    assert!(stdout(&described).contains("knobs you may change: commit_rule"), "{}", stdout(&described));

    let mut fixed = exercise.start.clone();
    fixed.set_param("commit_rule", "current-term");
    let student = format!("https://example.org/playground/?s={}", fixed.encode());
    let met = playground(&["exercise", &link, "--scenario", &student]);
    assert_eq!(met.status.code(), Some(0), "{}{}", stdout(&met), stderr(&met));
    assert!(stdout(&met).starts_with("met: "), "{}", stdout(&met));

    // The start alone: the teaching rule loses a committed entry, and the report says where.
    let unfixed = playground(&["exercise", "raft-figure-8-fix", "--scenario", &exercise.start.encode()]);
    assert_eq!(unfixed.status.code(), Some(3), "{}", stdout(&unfixed));
    assert!(stdout(&unfixed).contains("state-machine-safety") && stdout(&unfixed).contains("event"));

    // Fixed by changing what the exercise keeps: outside the limits.
    let mut cheat = fixed.clone();
    cheat.faults.clear();
    let outside = playground(&["exercise", &link, "--scenario", &cheat.encode()]);
    assert_eq!(outside.status.code(), Some(3));
    assert!(stdout(&outside).contains("outside the exercise's limits"), "{}", stdout(&outside));

    for (args, expected) in [
        (vec!["exercise", "?x=garbage"], "this exercise link cannot be read"),
        (vec!["exercise", "no-such-exercise"], "there is no exercise called `no-such-exercise`"),
        (vec!["exercise", "raft-figure-8-fix", "--scenario", "?s=AAAA"], "the student's link"),
        (vec!["exercise"], "needs an exercise link or id"),
    ] {
        let out = playground(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(expected), "{args:?}: {}", stderr(&out));
    }
    let listed = playground(&["exercise", "--list"]);
    assert!(stdout(&listed).lines().count() >= 20 && stdout(&listed).contains("failure-fencing"));
}

#[test]
fn export_trace_writes_every_event_as_json_lines() {
    let dir = std::env::temp_dir().join(format!("playground-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("trace.jsonl");
    let path = file.to_str().unwrap();
    let out = playground(&["run", "raft", "--seed", "4", "--until", "3s", "--json", "--export-trace", path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["type"], "run");
    assert_eq!(lines[0]["lab"], "raft");
    assert_eq!(lines.len() as u64 - 1, report["trace"]["events"].as_u64().unwrap(), "one line per event");
    let sends = lines.iter().filter(|l| l["type"] == "send").count() as u64;
    assert_eq!(sends, report["trace"]["by_kind"]["send"].as_u64().unwrap());
    // The same run exported again is the same bytes.
    let again = dir.join("again.jsonl");
    playground(&["run", "raft", "--seed", "4", "--until", "3s", "--export-trace", again.to_str().unwrap()]);
    assert_eq!(std::fs::read(&again).unwrap(), text.as_bytes());
    let out = playground(&["run", "raft", "--export-trace", "/no/such/dir/trace.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot write the trace to /no/such/dir/trace.jsonl"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tours_replay_their_stories_and_name_a_missing_one() {
    let out = playground(&["tour", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).lines().count() >= 10, "{}", stdout(&out));
    let out = playground(&["tour", "raft"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("1. A leader and its followers"));
    assert!(!stdout(&out).contains("STORY BROKEN"));
    let out = playground(&["tour", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("there is no tour “nope”"), "{}", stderr(&out));
}

#[test]
fn a_guarantee_not_judged_yet_is_neither_true_nor_false_in_json() {
    // Convergence is judged after the final reads: at 2 s it is not judged yet.
    let early = playground(&["run", "consistency", "--until", "2s", "--json"]);
    assert_eq!(early.status.code(), Some(0), "nothing was violated: {}", stdout(&early));
    let report: serde_json::Value = serde_json::from_str(&stdout(&early)).expect("JSON");
    let verdicts = report["verdicts"].as_array().expect("verdicts");
    let convergent = verdicts.iter().find(|v| v["name"] == "convergent").expect("convergent");
    assert!(convergent["holds"].is_null(), "{convergent}");
    assert!(convergent["not_judged"].as_str().is_some_and(|why| !why.is_empty()), "{convergent}");
    assert!(verdicts.iter().any(|v| v["holds"] == true), "the others are judged: {report}");
    assert!(stdout(&playground(&["run", "consistency", "--until", "2s"])).contains("not yet   convergent"));
    // Once the final reads are in, it is judged.
    let late = playground(&["run", "consistency", "--until", "13s", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&late)).expect("JSON");
    let convergent = report["verdicts"].as_array().expect("verdicts").iter().find(|v| v["name"] == "convergent");
    assert_eq!(convergent.expect("convergent")["holds"], true, "{report}");
}
