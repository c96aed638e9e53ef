//! `playground check` on Jepsen histories: the fixtures in `tests/histories/` were written
//! for these tests, in both of Jepsen's formats.
//!
//! judges rather than the stubs of the branch they were written on.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn playground(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_playground")).args(args).output().expect("the binary runs")
}

fn with_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_playground"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn fixture(name: &str) -> String {
    format!("{}/tests/histories/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A file in the temporary directory, removed when dropped.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str, contents: &[u8]) -> Temp {
        let path = std::env::temp_dir().join(format!("playground-check-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        Temp(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        std::fs::remove_file(&self.0).ok();
    }
}

const STALE: &str = "etcd-stale-read.log";
const LINEARIZABLE: &str = "etcd-linearizable.log";

#[test]
fn the_model_is_chosen_from_the_operations_unless_given() {
    for (name, model) in
        [(LINEARIZABLE, "cas-register"), (STALE, "register"), ("kv-append.edn", "kv"), ("set-add.edn", "set")]
    {
        let file = fixture(name);
        let out = playground(&["check", &file]);
        assert_ne!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.starts_with(&format!("{file}: {model}: linearizable ")), "{text}");
        assert_eq!(text.lines().count(), 1, "{text}");
    }
    let file = fixture(STALE);
    let out = playground(&["check", "--model", "cas-register", &file]);
    assert!(stdout(&out).starts_with(&format!("{file}: cas-register: linearizable ")), "{}", stdout(&out));
}

#[test]
fn a_bad_line_is_exit_2_naming_the_file_and_the_line() {
    let bad = Temp::new(
        "bad-line.edn",
        b"{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n\
          {:process 0, :type :ok, :f :read, :value 1}\n",
    );
    let out = playground(&["check", bad.path()]);
    assert_eq!(out.status.code(), Some(2));
    let expected =
        format!("playground: {}: line 3: process 0 completes a read (:ok) but has no open operation", bad.path());
    assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());

    let unparsable = Temp::new("unparsable.edn", b"{:process 0, :type :invoke, :f :cas, :value [1 2]}\n{:process 1,\n");
    let out = playground(&["check", unparsable.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("line 2: a `{` is never closed"), "{}", stderr(&out));
}

#[test]
fn a_bad_or_missing_file_is_exit_2() {
    let missing = "/nonexistent/history.edn";
    let out = playground(&["check", missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read `/nonexistent/history.edn`"), "{}", stderr(&out));

    let empty = Temp::new("empty.log", b"INFO  jepsen.core - nothing happened\n");
    let out = playground(&["check", empty.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("{}: no operations", empty.path())), "{}", stderr(&out));

    let binary = Temp::new("binary.edn", &[0xff, 0xfe, 0x00, 0x7b]);
    let out = playground(&["check", binary.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read") && stderr(&out).contains("UTF-8"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn bad_arguments_get_a_sentence() {
    for (args, expected) in [
        (vec!["check"], "`check` needs at least one history file"),
        (vec!["check", "--model", "queue", "x"], "`--model` must be register, cas-register, kv or set"),
        (vec!["check", "--consistency", "strict", "x"], "`--consistency` must be linearizable, sequential"),
        (vec!["check", "--budget", "0", "x"], "`--budget` must be a whole number of steps above 0"),
    ] {
        let out = playground(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(expected), "{args:?}: {}", stderr(&out));
    }
    let help = stdout(&playground(&["check", "--help"]));
    assert!(help.contains("4  unknown") && help.contains("3  a model was violated"), "{help}");
}

#[test]
fn a_dash_reads_standard_input() {
    let text = std::fs::read_to_string(fixture("kv-append.edn")).unwrap();
    let out = with_stdin(&["check", "-"], &text);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("<stdin>: kv: linearizable "), "{}", stdout(&out));
    let out = with_stdin(&["check", "-"], "not a history\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("<stdin>: no operations"), "{}", stderr(&out));
}

#[test]
fn several_files_get_a_line_each_and_the_worst_exit_code() {
    let (good, stale) = (fixture(LINEARIZABLE), fixture(STALE));
    let out = playground(&["check", &good, "/nonexistent/history.edn", &stale]);
    assert_eq!(out.status.code(), Some(2), "bad input is the worst");
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains(&format!("{good}: cas-register: linearizable ")), "{text}");
    assert!(text.contains(&format!("{stale}: register: linearizable ")), "{text}");

    let out = playground(&["check", "--consistency", "all", &good, &stale]);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 10, "one line per model per file: {text}");
    for consistency in ["linearizable", "sequential", "causal", "eventual", "recency"] {
        assert!(text.contains(&format!("{stale}: register: {consistency} ")), "{text}");
    }
    assert!(text.contains(&format!("{stale}: register: recency violated")), "the stale read is stale: {text}");
}

#[test]
fn json_is_one_object_per_file() {
    let (good, stale) = (fixture(LINEARIZABLE), fixture(STALE));
    let out = playground(&["check", "--json", "--consistency", "all", &good, &stale, "/nonexistent/h.edn"]);
    assert_eq!(out.status.code(), Some(2));
    let objects: Vec<serde_json::Value> =
        stdout(&out).lines().map(|line| serde_json::from_str(line).expect("each line is JSON")).collect();
    assert_eq!(objects.len(), 3);
    assert_eq!(objects[0]["file"], good.as_str());
    assert_eq!(objects[0]["model"], "cas-register");
    assert_eq!(objects[0]["model_chosen_by_content"], true);
    assert_eq!(objects[1]["operations"], 6);
    for object in &objects[..2] {
        let consistency = object["consistency"].as_object().unwrap();
        assert_eq!(consistency.len(), 5);
        for answer in consistency.values() {
            assert!(["holds", "violated", "unknown"].contains(&answer["verdict"].as_str().unwrap()), "{answer}");
            assert!(answer["ops"].is_array() && answer.get("reason").is_some(), "{answer}");
        }
    }
    assert_eq!(objects[2]["file"], "/nonexistent/h.edn");
    assert!(objects[2]["error"].as_str().unwrap().contains("cannot read"));
}

#[test]
fn a_stale_read_by_one_process_is_violated_and_a_fresh_one_holds() {
    let stale = "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n\
                 {:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value 2}\n";
    let out = with_stdin(&["check", "-"], stale);
    assert_eq!(out.status.code(), Some(3), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("<stdin>: register: linearizable violated: "), "{text}");
    assert!(text.contains("; operations: ") && text.contains("p0 read → 2 (line 3)"), "{text}");

    let fresh = stale.replace(":value 2}", ":value 1}");
    let out = with_stdin(&["check", "-"], &fresh);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "<stdin>: register: linearizable holds\n");
}

#[test]
fn the_fixtures_get_their_verdicts() {
    for (name, model, code) in [
        (LINEARIZABLE, "cas-register", 0),
        (STALE, "register", 3),
        ("kv-append.edn", "kv", 0),
        ("set-add.edn", "set", 0),
    ] {
        let file = fixture(name);
        let out = playground(&["check", &file]);
        assert_eq!(out.status.code(), Some(code), "{name}: {}", stdout(&out));
        let word = if code == 0 { "holds" } else { "violated" };
        assert!(stdout(&out).starts_with(&format!("{file}: {model}: linearizable {word}")), "{}", stdout(&out));
    }
    // The stale read (line 10, after the write of 2 completed) is what breaks it.
    let out = playground(&["check", &fixture(STALE)]);
    assert!(stdout(&out).contains("p4 read → 1 (line 10)"), "{}", stdout(&out));
    // Without real time it is sequentially consistent, and causally: nothing orders the
    // write of 2 before process 4's read.
    for consistency in ["sequential", "causal"] {
        let out = playground(&["check", "--consistency", consistency, &fixture(STALE)]);
        assert_eq!(out.status.code(), Some(0), "{consistency}: {}", stdout(&out));
    }
}

#[test]
fn the_exit_code_is_the_worst_over_the_files() {
    let (good, stale) = (fixture(LINEARIZABLE), fixture(STALE));
    assert_eq!(playground(&["check", &good, &stale]).status.code(), Some(3));
    assert_eq!(playground(&["check", &good, &good]).status.code(), Some(0));
    // A budget of one step is not enough to search a history of twenty operations.
    assert_eq!(playground(&["check", "--budget", "1", &good]).status.code(), Some(4));
    // Nor to find the stale read: both are unknown.
    assert_eq!(playground(&["check", "--budget", "1", &good, &stale]).status.code(), Some(4));
    assert_eq!(playground(&["check", "--budget", "1", &good, "/nonexistent"]).status.code(), Some(2));
}

#[test]
fn json_names_the_operations_of_a_violation_with_their_lines() {
    let out = playground(&["check", "--json", &fixture(STALE)]);
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let answer = &json["consistency"]["linearizable"];
    assert_eq!(answer["verdict"], "violated");
    assert!(answer["reason"].as_str().is_some_and(|r| !r.is_empty()));
    let ops = answer["ops"].as_array().unwrap();
    let read = ops.iter().find(|op| op["process"] == 4).expect("process 4's stale read is named");
    assert_eq!(
        (&read["f"], &read["value"], &read["outcome"], &read["line"], &read["key"]),
        (&"read".into(), &1.into(), &"ok".into(), &10.into(), &serde_json::Value::Null)
    );
    assert!(ops.iter().all(|op| op["index"].is_u64() && op["line"].is_u64()));
}

/// Porcupine's 102 etcd histories and two of its key-value ones, with the verdicts its own
/// tests assert (`cli/tests/porcupine/EXPECTED.txt`): ours must agree on every one.
#[test]
fn porcupines_histories_get_porcupines_verdicts() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/porcupine");
    let expected = std::fs::read_to_string(format!("{dir}/EXPECTED.txt")).expect("EXPECTED.txt");
    let mut files = Vec::new();
    let mut wanted = Vec::new();
    for line in expected.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (file, verdict) = line.split_once(' ').expect("file verdict");
        files.push(format!("{dir}/{file}"));
        wanted.push((file, verdict.trim() == "linearizable"));
    }
    assert_eq!(wanted.len(), 104);
    let args: Vec<&str> = std::iter::once("check").chain(files.iter().map(String::as_str)).collect();
    let out = playground(&args);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), wanted.len(), "{text}");
    for ((file, linearizable), line) in wanted.iter().zip(text.lines()) {
        assert!(line.contains(file), "{line}");
        let verdict = if *linearizable { "linearizable holds" } else { "linearizable violated" };
        assert!(line.contains(verdict), "{file}: expected `{verdict}`, got: {line}");
    }
    assert_eq!(out.status.code(), Some(3));
}
