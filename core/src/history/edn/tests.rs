use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::*;

fn s(text: &str) -> Val {
    Val::Str(text.into())
}

fn error(text: &str) -> ParseError {
    parse(text).expect_err(text)
}

#[test]
fn reads_edn_lines_with_keys_and_no_time() {
    let text = r#"{:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}
{:process 1, :type :invoke, :f :get, :key "4", :value nil}
{:process 0, :type :ok, :f :append, :key "4", :value "x 0 1 y"}
{:process 1, :type :ok, :f :get, :key "4", :value "x 0 1 y"}

{:process 2, :type :invoke, :f :put, :key "5", :value "z"}
"#;
    let (h, lines) = parse_with_lines(text).unwrap();
    assert_eq!(lines, vec![1, 2, 6]);
    assert_eq!(h.ops.len(), 3);
    let append = &h.ops[0];
    assert_eq!((append.process, &append.key, &append.call), (0, &s("4"), &Call::Append(s("x 0 1 y"))));
    assert_eq!((append.outcome, append.invoke, append.complete), (Outcome::Ok, 1, Some(3)));
    let get = &h.ops[1];
    assert_eq!((&get.call, &get.value, get.outcome, get.complete), (&Call::Read, &s("x 0 1 y"), Outcome::Ok, Some(4)));
    let put = &h.ops[2];
    assert_eq!((&put.call, put.outcome, put.complete), (&Call::Write(s("z")), Outcome::Info, None));
}

#[test]
fn reads_values_of_every_kind_and_times() {
    let text = "{:index 0, :time 10, :type :invoke, :process 3, :f :cas, :value [1 -2]}\n\
                {:index 1, :time 15, :type :invoke, :process 4, :f :read, :value nil}\n\
                {:index 2, :time 20, :type :fail, :process 3, :f :cas, :value [1 -2]}\n\
                {:index 3, :time 25, :type :ok, :process 4, :f :read, :value #{1 :a \"b\" nil}}\n\
                {:time 30, :type :invoke, :process 5, :f :add, :value :kw}\n\
                {:time 31, :type :info, :process 5, :f :add, :value :kw, :error {:why \"timeout\"}}\n\
                {:time 40, :type :invoke, :process :nemesis, :f :start, :value nil}\n\
                {:time 41, :type :invoke, :process 6, :f :write, :value [1 [2]]} ; a comment\n";
    let h = parse(text).unwrap();
    assert_eq!(h.ops.len(), 4);
    assert_eq!(h.ops[0].call, Call::Cas(Val::Int(1), Val::Int(-2)));
    assert_eq!((h.ops[0].outcome, h.ops[0].counts()), (Outcome::Fail, true));
    assert_eq!(h.ops[1].value, Val::List(vec![Val::Int(1), s("a"), s("b"), Val::Nil]));
    assert_eq!((h.ops[1].invoke, h.ops[1].complete, h.ops[1].key.clone()), (15, Some(25), Val::Nil));
    assert_eq!((&h.ops[2].call, h.ops[2].outcome, h.ops[2].end()), (&Call::Add(s("kw")), Outcome::Info, u64::MAX));
    assert_eq!(h.ops[3].call, Call::Write(Val::List(vec![Val::Int(1), Val::List(vec![Val::Int(2)])])));
}

#[test]
fn reads_a_knossos_style_vector_and_sorts_by_time() {
    let text = "[{:process 1, :type :invoke, :f :write, :value 2, :time 50}\n\
                 {:process 0, :type :invoke, :f :write, :value 1, :time 5}\n\
                 {:process 0, :type :ok, :f :write, :value 1, :time 60}]\n";
    let (h, lines) = parse_with_lines(text).unwrap();
    assert_eq!(lines, vec![2, 1]);
    assert_eq!((h.ops[0].process, h.ops[0].complete, h.ops[1].process), (0, Some(60), 1));
}

const ETCD: &str = "\
INFO  jepsen.core - Running test
INFO  jepsen.util - 3\t:invoke\t:cas\t[1 2]
INFO  jepsen.util - 0\t:invoke\t:read\tnil
INFO  jepsen.util - :nemesis\t:info\t:start\tnil
INFO  jepsen.util - 3\t:fail\t:cas\t[1 2]
INFO  jepsen.util - 0\t:ok\t:read\tnil

INFO  jepsen.util - 7  :invoke  :write  3
INFO  jepsen.util - 7  :info  :write  3
INFO  jepsen.util - 1\t:invoke\t:read\tnil
INFO  jepsen.util - 1\t:fail\t:read\t:timed-out
INFO  jepsen.util - 2\t:invoke\t:read\tnil
INFO  jepsen.util - 2\t:ok\t:read\t3
INFO  jepsen.util - 4\t:invoke\t:write\t4
INFO  jepsen.util - 4\t:fail\t:write\t4
INFO  jepsen.util - 5\t:invoke\t:cas\t[3 4]
";

#[test]
fn reads_jepsen_util_log_lines() {
    let (h, lines) = parse_with_lines(ETCD).unwrap();
    assert_eq!(lines, vec![2, 3, 8, 10, 12, 14, 16]);
    let summary: Vec<String> = h.ops.iter().map(|op| format!("{op}")).collect();
    assert_eq!(
        summary,
        [
            "p3 cas 1→2 (fail)",
            "p0 read → nil",
            "p7 write 3 (info)",
            "p1 read (info)",
            "p2 read → 3",
            "p4 write 4 (fail)",
            "p5 cas 3→4 (info)"
        ]
    );
    assert_eq!((h.ops[0].invoke, h.ops[0].complete), (2, Some(5)));
    assert!(!h.ops[5].counts() && h.ops[0].counts());
    assert_eq!(h.ops[6].complete, None);
}

#[test]
fn every_mistake_is_a_sentence_with_its_line() {
    let invoke = "{:process 0, :type :invoke, :f :write, :value 1}";
    for (text, line, expected) in [
        ("", 0, "no operations"),
        ("\n\n", 0, "no operations"),
        ("INFO  jepsen.core - nothing here\n", 0, "no operations"),
        ("{:process 0, :type :invoke, :f :read", 1, "a `{` is never closed"),
        ("{:process 0 :type}", 1, "a key without a value"),
        ("{:process 0, :type :invoke, :f :read, :value \"x}", 1, "a string is never closed"),
        ("{:process 0, :type :invoke, :f :read, :value nil} extra", 1, "more after the map: `extra`"),
        (&format!("{invoke}\nhello"), 2, "expected an EDN map"),
        ("{:type :invoke, :f :read}", 1, "the map has no :process"),
        ("{:process 0, :f :read}", 1, "the map has no :type"),
        ("{:process 0, :type :invoke}", 1, "the map has no :f"),
        ("{:process -1, :type :invoke, :f :read}", 1, "must be a whole number or :nemesis, not -1"),
        ("{:process 0, :type :begin, :f :read}", 1, "unknown :type :begin"),
        ("{:process 0, :type 5, :f :read}", 1, "the :type 5 is not a name"),
        ("{:process 0, :type :invoke, :f :frob}", 1, "unknown function :frob"),
        ("{:process 0, :type :invoke, :f :read, :time 1.5}", 1, ":time must be a whole number"),
        ("{:process 0, :type :invoke, :f :cas, :value 5}", 1, "a cas needs the value [from to], not 5"),
        ("{:process 0, :type :invoke, :f :cas, :value [1 2 3]}", 1, "not [1 2 3]"),
        ("{:process 0, :type :invoke, :f :write, :value {:a 1}}", 1, "a map like {:a 1} is not a value"),
        ("{:process 0, :type :invoke, :f :write, :value 99999999999999999999}", 1, "too large"),
        ("{:process 0, :type :ok, :f :write, :value 1}", 1, "process 0 completes a write (:ok) but has no open"),
        (&format!("{invoke}\n{invoke}"), 2, "process 0 invokes a write while its write from line 1 is still open"),
        (&format!("{invoke}\n{{:process 0, :type :ok, :f :read}}"), 2, "completes a read, but its open operation is"),
        (
            "{:process 0, :type :invoke, :f :read, :key 1}\n{:process 0, :type :ok, :f :read, :key 2}",
            2,
            ":key 2 is not the invocation's 1",
        ),
        (&format!("{invoke}\n{{:process 1, :type :invoke, :f :read, :time 5}}"), 2, "has a :time but the lines"),
        ("{:process 1, :type :invoke, :f :read, :time 5}\n{:process 1, :type :ok, :f :read}", 2, "has no :time"),
        (
            "{:process 1, :type :invoke, :f :read, :time 5}\n{:process 1, :type :ok, :f :read, :time 4}",
            2,
            ":time 4 is before its invocation's 5",
        ),
        ("{:process 0, :type :invoke, :f :write, :value \"\\q\"}", 1, "not an escape"),
        ("{:process 0, :type :invoke, :f :write, :value \\a}", 1, "character literals"),
        ("{:process 0, :type :invoke, :f :write, :value ]}", 1, "an unexpected `]`"),
        ("{:process 0, :type :invoke, :f :write, :value :}", 1, "a `:` with no keyword"),
        ("INFO  jepsen.util - 3\t:invoke\t:cas\t5", 1, "a cas needs the value [from to], not 5"),
        ("INFO  jepsen.util - 3\t:invoke\t:write\t[1", 1, "cannot read the value `[1`: a `[` is never closed"),
        ("x\nINFO  jepsen.util - 3\t:ok\t:read\t1", 2, "process 3 completes a read (:ok) but has no open"),
        ("INFO  jepsen.util - 3\t:begin\t:read\tnil", 1, "unknown :type :begin"),
        ("INFO  jepsen.util - 3\t:invoke\t:frob\tnil", 1, "unknown function :frob"),
    ] {
        let e = error(text);
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(e.message.contains(expected), "{text:?}: {e}");
        let shown = format!("{e}");
        assert_eq!(shown.starts_with(&format!("line {line}: ")), line > 0, "{shown}");
    }
    let deep = format!("{{:process 0, :type :invoke, :f :write, :value {}{}}}", "[".repeat(200), "]".repeat(200));
    assert!(error(&deep).message.contains("nested more than"));
}

#[test]
fn writes_and_reads_back_every_call_and_outcome() {
    let mut h = History::new();
    let calls = [
        (Val::Nil, Call::Read),
        (s("k"), Call::Write(s("quote \" slash \\ line\n tab\t é"))),
        (Val::Int(-3), Call::Cas(Val::Nil, Val::Int(i64::MIN))),
        (Val::List(vec![Val::Int(1), s("a")]), Call::Append(s("x 0 1 y"))),
        (s("set"), Call::Add(Val::List(vec![]))),
    ];
    let mut t = 0;
    for (p, (key, call)) in calls.iter().enumerate() {
        for (q, outcome) in [Outcome::Ok, Outcome::Fail, Outcome::Info].into_iter().enumerate() {
            let process = (p * 10 + q) as u64;
            t += 3;
            let i = h.invoke(process, key.clone(), call.clone(), t);
            let value = if call.is_read() && outcome == Outcome::Ok { Val::List(vec![Val::Int(7)]) } else { Val::Nil };
            h.complete(i, outcome, value, t + 4);
        }
        // One left open, and one that completes the instant it was invoked.
        h.invoke(100 + p as u64, key.clone(), call.clone(), t + 1);
        let i = h.invoke(200 + p as u64, key.clone(), call.clone(), t + 2);
        h.complete(i, Outcome::Ok, if call.is_read() { Val::Int(1) } else { Val::Nil }, t + 2);
    }
    let text = write(&h);
    assert_eq!(parse(&text), Ok(h.clone()), "{text}");
    assert!(text.starts_with("{:index 0, :time 3, :type :invoke, :process 0, :f :read, :value nil}\n"), "{text}");

    // A process whose next operation starts the instant its last one ended.
    let mut h = History::new();
    let a = h.invoke(0, Val::Nil, Call::Write(Val::Int(1)), 5);
    let b = h.invoke(1, Val::Nil, Call::Read, 5);
    h.complete(a, Outcome::Ok, Val::Nil, 9);
    h.invoke(0, Val::Nil, Call::Read, 9);
    h.complete(b, Outcome::Ok, Val::Int(1), 9);
    assert_eq!(parse(&write(&h)), Ok(h));
}

/// A tiny xorshift, so the mutations are the same on every run.
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

#[test]
fn mutated_histories_never_panic() {
    let mut h = History::new();
    let i = h.invoke(0, s("k"), Call::Cas(Val::Int(1), s("two")), 1);
    h.complete(i, Outcome::Fail, Val::Nil, 2);
    let i = h.invoke(1, Val::Nil, Call::Read, 3);
    h.complete(i, Outcome::Ok, Val::List(vec![Val::Int(1), s("é")]), 4);
    h.invoke(2, s("k"), Call::Append(s("x")), 5);
    let seeds = [write(&h), String::from(ETCD)];
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for round in 0..4000 {
        let mut chars: Vec<char> = seeds[round % 2].chars().collect();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(chars.len());
            match rng.below(3) {
                0 if !chars.is_empty() => {
                    chars.remove(at);
                }
                1 if !chars.is_empty() => chars.insert(at, chars[at]),
                _ => chars.insert(at, ['{', '[', '"', '\\', ':', '#', '\n', '-', '9'][rng.below(9)]),
            }
        }
        let text: String = chars.into_iter().collect();
        if let Ok(h) = parse(&text) {
            parsed += 1;
            assert!(!h.ops.is_empty());
        }
    }
    assert!(parsed > 100, "some mutations still parse ({parsed})");
}
