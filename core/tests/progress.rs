//! Runs always make progress: the reproductions of runs that once hung, the no-progress
//! guard on a protocol that spins at one instant, and bounded slices that land exactly where
//! one long advance does.

mod common;

use common::{counter, run_to, secs};
use playground_core::fault::parse_script;
use playground_core::lab::{self, Driver, Lab, LabRun, Metrics, Params, STALL_EVENTS};
use playground_core::network::NetParams;
use playground_core::process::{Ctx, Durable, Message, MsgClass, ObsClass, Observation, Out, Process, TimerName};
use playground_core::runner::{Advanced, Runner};
use playground_core::scenario::Scenario;
use playground_core::sim::{NodeRole, NodeSetup, Sim};
use playground_core::time::MICROS_PER_MS;
use playground_core::trace::NodeId;
use serde::{Deserialize, Serialize};

fn scenario(lab: &str, seed: u64, params: &[(&str, &str)], faults: &str) -> Scenario {
    let mut s = Scenario::new(lab, seed);
    for (k, v) in params {
        s.set_param(k, v);
    }
    s.faults = parse_script(faults).expect("test fault script parses");
    s
}

#[test]
fn a_live_ntp_interval_of_zero_stops_syncing_and_a_later_one_starts_it_again() {
    let stopped = scenario("clocks", 1, &[], "1s set sync_ms=0");
    let at_one = counter(run_to(&stopped, secs(1)).as_ref(), "ntp syncs");
    let at_five = counter(run_to(&stopped, secs(5)).as_ref(), "ntp syncs");
    assert!(at_one > 0, "processes synced before the change");
    assert!(at_five <= at_one + 4, "at most the requests already in flight complete: {at_one} -> {at_five}");

    let resumed = scenario("clocks", 1, &[("sync_ms", "0")], "2s set sync_ms=500");
    assert_eq!(counter(run_to(&resumed, secs(2)).as_ref(), "ntp syncs"), 0, "0 at start means never");
    assert!(counter(run_to(&resumed, secs(5)).as_ref(), "ntp syncs") >= 8, "a non-zero interval starts syncing");

    let no_txns = scenario("clocks", 1, &[], "1s set txn_rate=0");
    let started = |t| counter(run_to(&no_txns, t).as_ref(), "transactions started");
    assert_eq!(started(secs(2)), started(secs(6)), "a live rate of 0 means no transactions, as at start");
}

#[test]
fn the_attacker_replays_what_it_saw_never_its_own_replays() {
    let s = scenario("network", 1, &[("attacker", "replay"), ("attack", "100")], "");
    let run = run_to(&s, secs(5));
    let (sent, replayed) = (counter(run.as_ref(), "sent"), counter(run.as_ref(), "replayed"));
    assert!(replayed > 0 && replayed <= sent, "each frame is replayed at most once: {replayed} of {sent}");

    // The second reproduction from the no-hang issue: reordering, a bandwidth cap and a
    // live change on top; it used to run for more than a minute.
    let storm = scenario(
        "network",
        10468381045792327721,
        &[("reorder", "95"), ("attacker", "replay"), ("bandwidth", "489087"), ("attack", "100")],
        "4525ms set bandwidth=7802",
    );
    let run = run_to(&storm, secs(10));
    assert!(run.stalled().is_none());
    assert!(counter(run.as_ref(), "replayed") <= counter(run.as_ref(), "sent"));
}

#[test]
fn a_busy_cpu_queues_arrivals_instead_of_rescheduling_them() {
    // Found by `playground fuzz`: 23 ms of CPU per message against 3,000 requests a second
    // rescheduled every waiting message on every delivery, so work grew with the backlog.
    let s = scenario(
        "network",
        1,
        &[("clients", "5"), ("rate", "639"), ("payload", "1545"), ("cpu_us", "23134"), ("auth", "on")],
        "",
    );
    let run = run_to(&s, secs(20));
    let delivered = counter(run.as_ref(), "delivered");
    assert!(delivered > 100);
    // Each message costs O(1) simulator events: its send, its arrival and its turn at the CPU,
    // plus the clients' timers; nothing proportional to the backlog.
    let per_message = run.processed() / counter(run.as_ref(), "sent").max(1);
    assert!(per_message <= 4, "{} events for {} messages", run.processed(), counter(run.as_ref(), "sent"));
}

#[test]
fn slices_within_a_budget_land_exactly_where_one_advance_does() {
    let s = scenario("raft", 3, &[("loss", "10")], "1s crash n1; 2s restart n1");
    let mut whole = Runner::start(Scenario { at: secs(6), ..s.clone() }).unwrap();
    // Budgets of 1 and 7 end slices in the middle of an instant; the next slice finishes it.
    for budget in [1, 7, 200] {
        let mut sliced = Runner::start_at_zero(s.clone()).unwrap();
        let mut slices = 0;
        loop {
            let before = sliced.run().processed();
            match sliced.advance_within(secs(6), budget) {
                Advanced::Reached => break,
                Advanced::Budget => assert!(sliced.run().processed() - before <= budget),
                Advanced::Stalled => panic!("raft never stalls"),
            }
            slices += 1;
        }
        assert!(slices >= 3, "the budget cut the advance into slices ({slices})");
        assert_eq!(sliced.now(), whole.now());
        assert_eq!(sliced.run().trace().digest(), whole.run().trace().digest(), "budget {budget}");
        whole.seek(secs(2));
        sliced.rewind(secs(2));
        while sliced.advance_within(secs(2), budget) == Advanced::Budget {}
        assert_eq!(sliced.run().trace().digest(), whole.run().trace().digest(), "rewinding then slicing matches seek");
        whole.seek(secs(6));
    }
}

#[test]
fn a_paused_or_crashed_node_holds_a_bounded_inbox() {
    // A long pause under heavy load used to queue every arrival for the end of the pause.
    let paused = scenario("network", 1, &[("clients", "8"), ("rate", "1000"), ("servers", "1")], "1s pause s1 30s");
    let run = run_to(&paused, secs(20));
    assert!(counter(run.as_ref(), "dropped: inbox full") > 10_000);
    assert!(run.pending() < 50_000, "{} queued", run.pending());
    assert!(run.stalled().is_none());
    // A restarted node starts with an empty inbox: what waited before the crash was dropped.
    let crashed = scenario("network", 1, &[("rate", "1000"), ("cpu_us", "5000")], "1s crash s1; 1500ms restart s1");
    let run = run_to(&crashed, secs(3));
    assert!(counter(run.as_ref(), "dropped: node down") > 0);
    assert!(run.verdicts().iter().all(|v| v.holds()));
}

// A protocol with a bug: its timer re-arms itself after 0 µs, so virtual time never moves.

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Never;
impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("never")
    }
}

impl Message for Never {
    type Brief = Never;

    fn kind(&self) -> &'static str {
        "Never"
    }
    fn class(&self) -> MsgClass {
        MsgClass::Other
    }
    fn brief(&self) -> Never {
        Never
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Spin;
impl TimerName for Spin {
    fn label(&self) -> &'static str {
        "Spin"
    }
}

#[derive(Clone, Default)]
struct Nothing;
impl Durable for Nothing {
    type Change = ();
    fn apply(&mut self, _: ()) {}
}

#[derive(Clone, Serialize)]
struct NoObs;
impl Observation for NoObs {
    fn class(&self) -> ObsClass {
        ObsClass::StateChange
    }
    fn text(&self, _: &dyn Fn(NodeId) -> String) -> String {
        String::new()
    }
}

#[derive(Clone)]
struct Spinner;
impl Process for Spinner {
    type Msg = Never;
    type Timer = Spin;
    type Stable = Nothing;
    type Obs = NoObs;
    type Config = ();
    type Command = ();
    fn parse_command(_: &(), _: &str, _: &dyn Fn(&str) -> Option<NodeId>) -> Result<(), String> {
        Err("no commands".into())
    }
    fn on_command(&mut self, _: &Ctx, _: (), _: &mut Out<Self>) {}
    fn boot(_: NodeId, _: &(), _: &Nothing) -> Self {
        Spinner
    }
    fn on_start(&mut self, _: &Ctx, out: &mut Out<Self>) {
        out.set_timer(Spin, 5 * MICROS_PER_MS);
    }
    fn on_message(&mut self, _: &Ctx, _: NodeId, _: Never, _: &mut Out<Self>) {}
    fn on_timer(&mut self, _: &Ctx, _: Spin, out: &mut Out<Self>) {
        out.set_timer(Spin, 0);
    }
    fn reconfigure(&mut self, _: &()) {}
    fn describe(&self) -> Vec<String> {
        Vec::new()
    }
}

#[derive(Clone)]
struct SpinLab {
    driver: Driver<Spinner>,
    params: Params,
}

impl Lab for SpinLab {
    type Proc = Spinner;
    const NAME: &'static str = "spin";
    fn driver(&self) -> &Driver<Spinner> {
        &self.driver
    }
    fn driver_mut(&mut self) -> &mut Driver<Spinner> {
        &mut self.driver
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn apply_set(&mut self, _: &str, _: &str) {}
    fn absorb(&mut self) {}
    fn verdicts(&self) -> &[playground_core::invariant::Verdict] {
        &[]
    }
    fn metrics(&self) -> Metrics {
        Metrics::default()
    }
}

#[test]
fn the_guard_stops_a_run_stuck_at_one_instant_and_says_where_and_what_repeats() {
    let setup = NodeSetup {
        name: "s1".into(),
        role: NodeRole::Server,
        config: (),
        region: 0,
        version: 1,
        cpu_cost: 0,
        present: true,
    };
    let sim = Sim::new(1, NetParams::default(), vec![setup]);
    let params = Params::resolve(&[], &[]).unwrap();
    let mut run: Box<dyn LabRun> = Box::new(SpinLab { driver: Driver::new(sim, Vec::new()), params });
    let mut steps = 0u64;
    while run.step() {
        steps += 1;
        assert!(steps <= u64::from(STALL_EVENTS) + 10, "the guard trips");
    }
    let stall = run.stalled().expect("the guard stopped the run").clone();
    assert_eq!(stall.at, 5 * MICROS_PER_MS);
    assert_eq!(stall.lab, "spin");
    assert_eq!(stall.repeating.first().map(|(kind, _)| kind.as_str()), Some("timer Spin"));
    let sentence = stall.to_string();
    assert!(sentence.contains("the spin run made no progress") && sentence.contains("0.005000s"), "{sentence}");
    assert!(sentence.contains("timer Spin"), "{sentence}");
    assert_eq!(run.next_time(), None, "a stopped run offers nothing more to do");
    run.advance_clock(secs(1));
    assert_eq!(run.now(), 5 * MICROS_PER_MS, "its clock stays where it stuck");
    assert!(lab::find("spin").is_none(), "the toy lab is not in the catalogue");
}

#[test]
fn an_overloaded_node_sheds_arrivals_instead_of_holding_them_all() {
    // Found by `playground fuzz --seed 2026`: 48 KB requests, 94 % duplication and 42 ms of
    // CPU per message grew a server's inbox (and memory) without bound; the run took minutes.
    let link = "AQduZXR3b3Jrwr4aCQdjbGllbnRzATUGc3BhcmVzATEEcmF0ZQM0ODcHcGF5bG9hZAU0ODU1MQVkZWR1cAJvbgttYXhfcmVxdWVzdAYyMzcxOTAGY3B1X3VzBTQxOTI5A2R1cAI5NAZhdHRhY2sBMAGLkPUCCgJjMQdyZXF1ZXN0AA";
    let s = Scenario::decode(link).unwrap();
    let run = run_to(&s, secs(10));
    assert!(counter(run.as_ref(), "dropped: inbox full") > 1_000);
    assert!(run.pending() < 100_000, "the backlog stays bounded ({} queued)", run.pending());
}

#[test]
fn raft_leaders_ignore_stale_and_duplicate_append_replies() {
    // Found by a ten-minute `playground fuzz`: with 82 % duplication and a follower paused
    // behind, every copy of a reply made the leader send another append, and every append was
    // copied again: the run grew without bound (4 GB in a minute). Six findings had this cause.
    let link = "AQRyYWZ0owMHB2NsaWVudHMBMg9lbGVjdGlvbl9taW5fbXMFNTI4NTAMaGVhcnRiZWF0X21zAzU1NwtjbGllbnRfcmF0ZQI5OAtjb21taXRfcnVsZQhhbnktdGVybQdwcmV2b3RlAm9uA2R1cAI4MgPfhxkJBGxvc3MBMOvrTAoCbjQHdGltZW91dKXsdAICbjXoglUA";
    let run = run_to(&Scenario::decode(link).unwrap(), secs(5));
    assert!(counter(run.as_ref(), "sent") < 20_000, "sent {}", counter(run.as_ref(), "sent"));
    assert!(run.verdicts().iter().all(|v| v.holds()));
}

#[test]
fn the_flp_adversary_weighs_a_bounded_number_of_held_messages() {
    // Found by the same fuzz: with a process crashed and a 1 ms pace, held messages pile up and
    // the adversary scored every one of them on every pick (8.8 s for 20 s of virtual time).
    let link = "AQNmbHD0qZXR4eL5DwIHcGFjZV9tcwExBmdzdF9tcwYyNjYyMzcC4fRbBgJwMgJwMgC6pGEAAnAzAA";
    let run = run_to(&Scenario::decode(link).unwrap(), secs(20));
    assert!(run.held_count() > 512, "messages pile up ({})", run.held_count());
    assert_eq!(run.held(40).len(), 40, "a page asks for a few of them");
    assert!(run.stalled().is_none());
}

#[test]
fn releasing_a_large_held_backlog_is_progress_not_a_stall() {
    // Found by the second ten-minute fuzz: ten seconds of messages held by the manual scheduler
    // (100 % duplication, dueling proposers) were all released at one instant, and the guard
    // took the 200,000 events there for a stuck run. The backlog now drains a microsecond apart.
    let link = "AQVwYXhvc4et2vHjn-g_Awlwcm9wb3NlcnMBMwlhY2NlcHRvcnMBNwRsb3NzAjIwB6_raQcCYTMCYTNN8Yb9AgwB_c-uAwkDZHVwAzEwMM_OswYKAnAyB3Byb3Bvc2X364YHAwJhM4v95QcIqou4CAwAAA";
    let run = run_to(&Scenario::decode(link).unwrap(), secs(20));
    assert!(run.stalled().is_none(), "{:?}", run.stalled());
    assert!(counter(run.as_ref(), "sent") > 200_000);
}
