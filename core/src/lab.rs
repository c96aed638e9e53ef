//! Labs: what every lab offers to the web app and the CLI, and the registry of all eight.
//!
//! A lab is a protocol plus its workload, parameters and guarantees, running on the shared
//! simulator. [`LabRun`] is the object-safe face the UI and the CLI drive; they never see the
//! protocol types behind it.

mod driver;
mod guard;
mod params;
mod schedule;

pub(crate) use driver::lab_plumbing;
pub use driver::{check_live_set, Driver, Lab, Stepped};
pub use guard::{Stall, STALL_EVENTS};
pub use params::{
    choice_param, int_param, lossy_network, ParamGroup, ParamKind, ParamSpec, Params, DUPLICATION, JITTER, LOSS,
};
pub use schedule::FaultSchedule;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

use crate::fault::FaultAction;
use crate::invariant::Verdict;
use crate::labs;
use crate::metrics::{Histogram, Series};
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::SimView;
use crate::time::Micros;
use crate::trace::Trace;

/// A number worth showing, with its unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counter {
    pub name: &'static str,
    pub value: u64,
    pub unit: &'static str,
}

/// Everything a lab measures, at this moment of the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub counters: Vec<Counter>,
    /// Messages dropped, by reason (labs that count them by reason).
    pub drops: Vec<(crate::trace::DropReason, u64)>,
    pub histograms: Vec<(&'static str, Histogram)>,
    pub series: Vec<Series>,
}

impl Metrics {
    /// A counter by name; drops by reason answer to their counter names (`dropped: loss`).
    pub fn counter(&self, name: &str) -> Option<u64> {
        let counter = self.counters.iter().find(|c| c.name == name).map(|c| c.value);
        counter.or_else(|| self.drops.iter().find(|(r, _)| r.counter_name() == name).map(|(_, n)| *n))
    }

    pub fn histogram(&self, name: &str) -> Option<&Histogram> {
        self.histograms.iter().find(|(n, _)| *n == name).map(|(_, h)| h)
    }
}

/// A running lab, as the UI and the CLI see it.
pub trait LabRun {
    fn lab(&self) -> &'static str;
    fn now(&self) -> Micros;
    /// Processes the next event or fault. Returns false when nothing is left to do.
    fn step(&mut self) -> bool;
    /// Processes everything due at or before `t`, then sets the clock to `t`.
    fn run_until(&mut self, t: Micros) {
        while self.next_time().is_some_and(|next| next <= t) {
            if !self.step() {
                break;
            }
        }
        self.advance_clock(t);
    }
    fn advance_clock(&mut self, t: Micros);
    /// When the next event or fault is due.
    fn next_time(&self) -> Option<Micros>;
    /// Events waiting in the simulator's queue.
    fn pending(&self) -> usize;
    /// Events taken off the simulator's queue so far.
    fn processed(&self) -> u64;
    fn trace(&self) -> &Trace;
    /// The content of event `seq` (a send's summary, an observation's text), rendered now;
    /// `None` for other events and for ones older than the window.
    fn detail(&self, seq: u64) -> Option<String>;
    /// Event `event` as one text line, with its content.
    fn event_text(&self, event: &crate::trace::Event, names: &[String]) -> String {
        alloc::string::ToString::to_string(&crate::trace::EventText { event, names, detail: self.detail(event.seq) })
    }
    /// Node names, indexed by node id.
    fn names(&self) -> Vec<String>;
    fn verdicts(&self) -> &[Verdict];
    /// The guarantee called `name`, if the lab checks one.
    fn verdict(&self, name: &str) -> Option<&Verdict> {
        self.verdicts().iter().find(|v| v.name == name)
    }
    fn metrics(&self) -> Metrics;
    fn view(&self) -> SimView;
    /// Applies an operator's action right after the current instant (at `now + 1us`), so
    /// that replaying the recorded script reproduces the run exactly.
    fn inject(&mut self, action: FaultAction) -> Result<Micros, String>;
    /// Commands a person can give this node now, as (label, command text) pairs.
    fn commands(&self, node: crate::trace::NodeId) -> Vec<(String, String)> {
        let _ = node;
        Vec::new()
    }
    /// Messages held by the manual scheduler, if it is on.
    /// The first `limit` messages held by the manual scheduler, oldest first (a page shows a
    /// few; the count is `held_count`).
    fn held(&self, limit: usize) -> Vec<crate::sim::HeldView>;
    /// How many messages the manual scheduler holds.
    fn held_count(&self) -> usize;
    /// Whether the manual scheduler holds arriving messages.
    fn manual(&self) -> bool {
        false
    }
    /// The lab's own typed picture, beside the shared [`SimView`].
    fn lab_view(&self) -> labs::LabView;
    /// Why the run was stopped, if the no-progress guard stopped it (see [`Stall`]). A
    /// stopped run steps no further and its clock stays where it stuck.
    fn stalled(&self) -> Option<&Stall>;
    fn clone_box(&self) -> Box<dyn LabRun>;
}

/// A ready-made scenario, e.g. one of a paper's figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub about: &'static str,
    pub seed: u64,
    pub params: &'static [(&'static str, &'static str)],
    /// A fault script (see [`crate::fault`]).
    pub faults: &'static str,
}

impl Preset {
    /// The preset as a scenario of `lab`.
    pub fn scenario(&self, lab: &str) -> Result<Scenario, String> {
        let mut scenario = Scenario::new(lab, self.seed);
        for (key, value) in self.params {
            scenario.set_param(key, value);
        }
        scenario.faults = crate::fault::parse_script(self.faults)?;
        Ok(scenario)
    }
}

/// Every lab is a [`LabRun`]: the shared parts come from the [`Driver`], the rest from the
/// lab's [`Lab`] implementation.
impl<L: Lab> LabRun for L {
    fn lab(&self) -> &'static str {
        L::NAME
    }

    fn now(&self) -> Micros {
        self.driver().sim.now()
    }

    fn step(&mut self) -> bool {
        if self.driver().guard.stall().is_some() {
            return false;
        }
        let next = self.driver().next_time();
        let stepped = self.own_step(next)
            || match self.driver_mut().step() {
                Stepped::Idle => false,
                Stepped::Ran => {
                    self.absorb();
                    true
                }
                Stepped::Set(key, value) => {
                    self.apply_set(&key, &value);
                    self.absorb();
                    true
                }
            };
        if stepped {
            let driver = self.driver_mut();
            driver.guard.observe(L::NAME, driver.sim.now(), driver.sim.trace());
        }
        stepped
    }

    fn advance_clock(&mut self, t: Micros) {
        if self.driver().guard.stall().is_none() {
            self.driver_mut().sim.advance_clock(t);
        }
    }

    fn next_time(&self) -> Option<Micros> {
        if self.driver().guard.stall().is_some() {
            return None;
        }
        [self.driver().next_time(), self.own_next_time()].into_iter().flatten().min()
    }

    fn pending(&self) -> usize {
        self.driver().sim.pending() + self.driver().sim.held_count()
    }

    fn processed(&self) -> u64 {
        self.driver().sim.processed()
    }

    fn trace(&self) -> &Trace {
        self.driver().sim.trace()
    }

    fn detail(&self, seq: u64) -> Option<String> {
        self.driver().sim.detail(seq)
    }

    fn names(&self) -> Vec<String> {
        self.driver().names.clone()
    }

    fn verdicts(&self) -> &[Verdict] {
        Lab::verdicts(self)
    }

    fn metrics(&self) -> Metrics {
        Lab::metrics(self)
    }

    fn view(&self) -> SimView {
        self.driver().sim.view()
    }

    fn inject(&mut self, action: FaultAction) -> Result<Micros, String> {
        self.driver().check_action(&action)?;
        check_live_set(&action, self.params())?;
        Ok(self.driver_mut().inject(action))
    }

    fn commands(&self, node: crate::trace::NodeId) -> Vec<(String, String)> {
        Lab::commands(self, node)
    }

    fn held(&self, limit: usize) -> Vec<crate::sim::HeldView> {
        self.driver().sim.held(limit)
    }

    fn held_count(&self) -> usize {
        self.driver().sim.held_count()
    }

    fn manual(&self) -> bool {
        self.driver().sim.is_manual()
    }

    fn lab_view(&self) -> labs::LabView {
        Lab::lab_view(self)
    }

    fn stalled(&self) -> Option<&Stall> {
        self.driver().guard.stall()
    }

    fn clone_box(&self) -> Box<dyn LabRun> {
        Box::new(self.clone())
    }
}

/// A lab in the catalogue.
#[derive(Clone, Copy, Debug)]
pub struct LabInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    /// Whether the home page lists it as one of the eight labs (a preview of part of a lab
    /// is reachable by name but not listed).
    pub listed: bool,
    pub params: &'static [ParamSpec],
    pub presets: &'static [Preset],
    /// A lab made of parts (consensus: raft, paxos, flp) opens its first part.
    pub parts: &'static [&'static str],
    /// Ways into one lab that the home page links to: (label, parameter, value), e.g. the
    /// replication lab's three families.
    pub variants: &'static [(&'static str, &'static str, &'static str)],
    /// Starts a run of the lab; `None` for a lab not built yet (it says what it will show).
    pub start: Option<StartFn>,
}

/// How a catalogue entry starts a run of its lab, after the scenario's lab name matched.
pub type StartFn = fn(&Scenario) -> Result<Box<dyn LabRun>, ScenarioError>;

impl LabInfo {
    /// Whether it runs yet (a lab of parts runs through its parts).
    pub fn available(&self) -> bool {
        self.start.is_some() || !self.parts.is_empty()
    }

    /// The preset called `name`, as a scenario of this lab.
    pub fn preset(&self, name: &str) -> Result<Scenario, String> {
        self.presets
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| alloc::format!("the {} lab has no preset “{name}”", self.name))?
            .scenario(self.name)
    }
}

/// All eight labs of DESIGN.md, in teaching order.
pub fn catalogue() -> &'static [LabInfo] {
    &labs::CATALOGUE
}

pub fn find(name: &str) -> Option<&'static LabInfo> {
    catalogue().iter().find(|lab| lab.name == name)
}

/// Starts a run of the scenario, after checking it against the lab's parameters.
pub fn start(scenario: &Scenario) -> Result<Box<dyn LabRun>, ScenarioError> {
    let info = find(&scenario.lab).ok_or_else(|| ScenarioError::UnknownLab(scenario.lab.clone()))?;
    if !info.parts.is_empty() {
        return Err(ScenarioError::Parts(info.name, info.parts));
    }
    let start = info.start.ok_or(ScenarioError::LabNotReady(info.name))?;
    start(scenario)
}
