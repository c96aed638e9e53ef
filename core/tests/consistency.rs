//! The consistency lab: every mode keeps its promise over a seed sweep, the teaching variant
//! is caught at the stale read, and the presets show what they say.

use playground_core::lab::{self, LabRun};
use playground_core::labs::consistency::HistoryView;
use playground_core::scenario::Scenario;
use playground_core::time::MICROS_PER_SEC;

fn run(params: &[(&str, &str)], faults: &str, seed: u64, secs: u64) -> Box<dyn LabRun> {
    let mut scenario = Scenario::new("consistency", seed);
    for (k, v) in params {
        scenario.params.push((k.to_string(), v.to_string()));
    }
    scenario.faults = playground_core::fault::parse_script(faults).expect("script");
    let mut run = lab::start(&scenario).expect("starts");
    run.run_until(secs * MICROS_PER_SEC);
    run
}

fn view(run: &dyn LabRun) -> HistoryView {
    run.lab_view().into_history().expect("a history view")
}

const MODES: [&str; 4] = ["linearizable", "sequential", "causal", "eventual"];

#[test]
fn quorum_levels_keep_the_eventual_store_convergent() {
    for level in ["quorum", "all"] {
        for seed in 1..=3 {
            let r = run(&[("mode", "eventual"), ("read_level", level), ("write_level", level)], "", seed, 13);
            assert!(r.verdicts().iter().all(|v| v.holds()), "{level} seed {seed}");
            assert!(view(&*r).ops.len() > 100);
        }
    }
}

#[test]
fn every_mode_keeps_its_promise_over_a_seed_sweep() {
    for mode in MODES {
        for seed in 1..=5 {
            let r = run(&[("mode", mode)], "", seed, 13);
            let broken: Vec<_> = r.verdicts().iter().filter(|v| !v.holds()).map(|v| v.name).collect();
            assert!(broken.is_empty(), "{mode} seed {seed}: {broken:?}");
            let v = view(&*r);
            let convergent = v.models.iter().find(|m| m.name == "convergent").unwrap();
            assert_eq!(convergent.word, "holds", "{mode} seed {seed}: the final reads were judged");
            assert!(v.ops.len() > 100, "{mode} seed {seed}: the workload ran ({} ops)", v.ops.len());
        }
    }
}

#[test]
fn the_promise_holds_under_partitions_and_crashes() {
    let faults = "2s partition r1,c1 | r2,r3,c2,c3; 4s heal; 5s crash r2; 6s restart r2; 7s partition r3 | r1,r2,c1,c2,c3; 8s heal";
    for mode in MODES {
        for seed in 1..=3 {
            let r = run(&[("mode", mode)], faults, seed, 13);
            let broken: Vec<_> = r.verdicts().iter().filter(|v| !v.holds()).map(|v| v.name).collect();
            assert!(broken.is_empty(), "{mode} seed {seed}: {broken:?}");
        }
    }
}

#[test]
fn the_unconfirmed_leader_read_is_caught_at_the_stale_read() {
    let faults = "100ms do r1 elect; 2s partition r1,c1 | r2,r3,c2,c3; 7s heal";
    let mut caught = 0;
    for seed in 1..=5 {
        let r = run(&[("stale_reads", "on")], faults, seed, 13);
        let Some(verdict) = r.verdicts().iter().find(|v| v.name == "linearizable") else { panic!("promised") };
        if let playground_core::invariant::Status::Violated { event, at, .. } = &verdict.status {
            caught += 1;
            assert!(*at > 2_000_000, "seed {seed}: after the partition");
            if let Some(culprit) = r.trace().get(*event) {
                let text = r.event_text(culprit, &r.names());
                assert!(
                    text.contains("response") && text.contains("ok"),
                    "seed {seed}: points at a read's answer: {text}"
                );
            }
            let v = view(&*r);
            let lin = &v.models[0];
            let read = &v.ops[*lin.ops.last().unwrap()];
            assert!(read.op.call.is_read() && read.op.known(), "seed {seed}: the culprit is a read that returned");
        }
    }
    assert!(caught >= 4, "caught in {caught} of 5 seeds");
    // The same faults with confirmed reads stay linearizable.
    for seed in 1..=5 {
        let r = run(&[], faults, seed, 13);
        assert!(r.verdicts().iter().all(|v| v.holds()), "seed {seed}");
    }
}

#[test]
fn the_presets_show_what_they_say() {
    let info = lab::find("consistency").unwrap();
    let word = |v: &HistoryView, name: &str| v.models.iter().find(|m| m.name == name).unwrap().word;
    let expect: [&[(&str, &str)]; 7] = [
        &[("linearizable", "violated")],
        &[("linearizable", "holds")],
        &[("linearizable", "violated"), ("convergent", "holds")],
        &[("linearizable", "holds"), ("convergent", "holds")],
        &[("linearizable", "violated"), ("sequential", "holds")],
        &[("causal", "violated"), ("convergent", "holds")],
        &[("linearizable", "violated"), ("causal", "holds"), ("convergent", "holds")],
    ];
    assert_eq!(info.presets.len(), expect.len());
    for (preset, wanted) in info.presets.iter().zip(expect) {
        let mut r = lab::start(&preset.scenario("consistency").unwrap()).unwrap();
        r.run_until(13 * MICROS_PER_SEC);
        let v = view(&*r);
        for (model, w) in wanted {
            assert_eq!(word(&v, model), *w, "{}: {model}", preset.name);
        }
    }
}

#[test]
fn a_run_replays_bit_for_bit_and_its_history_round_trips_through_edn() {
    for mode in MODES {
        let a = run(&[("mode", mode)], "1s partition r1 | r2,r3,c1,c2,c3; 3s heal", 7, 12);
        let b = run(&[("mode", mode)], "1s partition r1 | r2,r3,c1,c2,c3; 3s heal", 7, 12);
        assert_eq!(a.trace().digest(), b.trace().digest(), "{mode}");
        let h = view(&*a).to_history();
        let text = playground_core::history::edn::write(&h);
        assert_eq!(playground_core::history::edn::parse(&text).expect("parses"), h, "{mode}");
    }
}

#[test]
fn bad_commands_get_a_sentence() {
    let mut scenario = Scenario::new("consistency", 1);
    scenario.faults = playground_core::fault::parse_script("1s do c1 read q").unwrap();
    let error = lab::start(&scenario).err().expect("refused").to_string();
    assert!(error.contains("no key `q`"), "{error}");
    scenario.faults = playground_core::fault::parse_script("1s do r1 read x").unwrap();
    assert!(lab::start(&scenario).is_err());
}

/// Found by `playground fuzz`: unknown outcomes by the dozen (56 % loss) and a 1 ms pause
/// (10,000 operations) made the live judge re-run exhausting searches at every completion.
#[test]
fn the_live_judge_stays_bounded_on_what_the_fuzzer_found() {
    for (link, secs) in [
        ("AQtjb25zaXN0ZW5jedrL29v1jJDDFQQIcmVwbGljYXMBNQtzdGFsZV9yZWFkcwJvbgRsb3NzAjU2A2R1cAEwAZrp2wMAAmMxAA", 10),
        ("AQtjb25zaXN0ZW5jeeStkazlPgIEbW9kZQpzZXF1ZW50aWFsCHRoaW5rX21zATEE5oBPAwJjM-bFeAkLc3RhbGVfcmVhZHMDb2ZmwMGZAgECYzPr3aIGAQJjMgA", 20),
        // A later two-minute fuzz: 46 processes (timeouts under quorum writes) and a sequential
        // search of 3.5 µs a step, re-run until its live budget was spent: 13 s, now 0.6 s.
        ("AQtjb25zaXN0ZW5jeYj8pwYEBG1vZGUKc2VxdWVudGlhbAdjbGllbnRzATULd3JpdGVfbGV2ZWwGcXVvcnVtBmppdHRlcgMxNzYH6Y4jC_YBwseBAQkGaml0dGVyAjM1_ZOOAgUCAgJjMgJyMgECcjHuh6cCC2SJ4pIDAwJyMYH2vgMAAnIy0671AwACYzEA", 10),
    ] {
        let mut r = lab::start(&Scenario::decode(link).unwrap()).unwrap();
        r.run_until(secs * MICROS_PER_SEC);
        let v = view(&*r);
        if v.ops.len() > 3_000 {
            let lin = &v.models[0];
            assert!(lin.word != "holds", "past 3,000 operations the judge says it stopped: {}", lin.reason);
        }
    }
}

/// Convergence is a property of a finished history: while clients still write, the guarantee
/// says it is not judged yet (the page and the CLI show so) rather than "holds"; once every
/// key is read a last time it is judged, and the models judged all along are never pending.
#[test]
fn convergence_is_not_judged_before_the_workload_ends() {
    let early = run(&[], "", 1, 2);
    let convergent = early.verdict("convergent").expect("the linearizable store promises convergence");
    assert!(convergent.holds());
    assert!(convergent.pending.as_deref().is_some_and(|why| why.contains("workload")), "{:?}", convergent.pending);
    assert!(early.verdict("linearizable").unwrap().pending.is_none(), "judged as operations complete");
    let late = run(&[], "", 1, 13);
    assert_eq!(late.verdict("convergent").unwrap().pending, None, "judged after the final reads");
}
