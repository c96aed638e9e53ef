//! Guided tours: a short story told on the real simulation. Each step sets the run to a moment
//! (a preset or knobs and faults, a seed, a time), points at one part of the view and explains
//! what is happening there in two or three sentences.
//!
//! A tour is data. Every step also says what must be true at its moment (a guarantee holds or
//! is broken, a counter has reached a value), and the tests replay every step and check it, so
//! a change to a protocol that breaks a tour's story fails the build instead of misleading a
//! student. A guarantee "holds" until it is seen broken, so a step that says one holds sits
//! after the moment the lab judges it (some are judged only once the workload ends) and pins
//! a counter beside it. The page opens a tour with `?tour=<id>&step=<n>`, embedded with `&embed=1`.

use alloc::format;
use alloc::string::{String, ToString};

use crate::invariant::Status as VerdictStatus;
use crate::lab::{self, LabRun};
use crate::scenario::Scenario;
use crate::time::{Micros, MICROS_PER_MS};

pub mod catalogue;

pub use catalogue::TOURS;

/// The part of the view a step points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The nodes and the messages between them (or the lab's main picture).
    Canvas,
    /// The timeline under the canvas, with its fault and violation markers.
    Timeline,
    /// The list of guarantees and their verdicts.
    Guarantees,
    /// The knobs.
    Knobs,
    /// The lab's own panel (a Raft log, a history, a ring, a ledger, a phi chart).
    Panel,
    /// The counters and latency figures.
    Metrics,
    /// The event log and its inspector.
    Log,
}

impl Focus {
    /// A stable name, for the page's `data-focus` attribute.
    pub fn name(self) -> &'static str {
        match self {
            Focus::Canvas => "canvas",
            Focus::Timeline => "timeline",
            Focus::Guarantees => "guarantees",
            Focus::Knobs => "knobs",
            Focus::Panel => "panel",
            Focus::Metrics => "metrics",
            Focus::Log => "log",
        }
    }

    /// The part in words, for the step's "Look at …" line.
    pub fn words(self) -> &'static str {
        match self {
            Focus::Canvas => "the simulation",
            Focus::Timeline => "the timeline",
            Focus::Guarantees => "the guarantees",
            Focus::Knobs => "the knobs",
            Focus::Panel => "the lab's panel",
            Focus::Metrics => "the metrics",
            Focus::Log => "the event log",
        }
    }
}

/// What a step's story says is true at its moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// This guarantee still holds.
    Holds(&'static str),
    /// This guarantee has been seen broken.
    Broken(&'static str),
    /// This counter has reached at least this value.
    AtLeast(&'static str, u64),
    /// This counter is at most this value.
    AtMost(&'static str, u64),
}

impl Expect {
    /// Checks the expectation on `run`, saying what differs.
    pub fn check(&self, run: &dyn LabRun) -> Result<(), String> {
        let verdict = |name: &str| {
            run.verdict(name).map(|v| v.status.clone()).ok_or_else(|| format!("the lab has no guarantee “{name}”"))
        };
        let counter =
            |name: &str| run.metrics().counter(name).ok_or_else(|| format!("the lab has no counter “{name}”"));
        match *self {
            Expect::Holds(name) => match verdict(name)? {
                VerdictStatus::Violated { detail, .. } => Err(format!("“{name}” broke: {detail}")),
                _ => match run.verdict(name).and_then(|v| v.pending.clone()) {
                    Some(why) => Err(format!("“{name}” is not judged yet: {why}")),
                    None => Ok(()),
                },
            },
            Expect::Broken(name) => match verdict(name)? {
                VerdictStatus::Violated { .. } => Ok(()),
                _ => Err(format!("“{name}” still holds")),
            },
            Expect::AtLeast(name, value) => match counter(name)? {
                n if n >= value => Ok(()),
                n => Err(format!("“{name}” is {n}, under {value}")),
            },
            Expect::AtMost(name, value) => match counter(name)? {
                n if n <= value => Ok(()),
                n => Err(format!("“{name}” is {n}, over {value}")),
            },
        }
    }
}

/// One step of a tour.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub title: &'static str,
    /// The lab's preset the step starts from (its seed, knobs and faults), if any.
    pub preset: Option<&'static str>,
    /// Knobs on top of the preset (or the defaults).
    pub params: &'static [(&'static str, &'static str)],
    /// Faults after the preset's, in the fault-script grammar.
    pub faults: &'static str,
    /// The seed when there is no preset.
    pub seed: u64,
    /// The moment shown.
    pub at_ms: u64,
    pub focus: Focus,
    /// Two or three sentences.
    pub text: &'static str,
    pub expect: &'static [Expect],
}

/// A lab's guided tour.
#[derive(Clone, Copy, Debug)]
pub struct Tour {
    /// Stable, for links (`?tour=raft`) and the CLI.
    pub id: &'static str,
    pub lab: &'static str,
    pub title: &'static str,
    pub steps: &'static [Step],
}

impl Step {
    /// The step's scenario: the preset or the defaults, its knobs and faults, at its moment.
    pub fn scenario(&self, lab_name: &str) -> Result<Scenario, String> {
        let mut scenario = match self.preset {
            Some(name) => {
                lab::find(lab_name).ok_or_else(|| format!("there is no lab called “{lab_name}”"))?.preset(name)?
            }
            None => Scenario::new(lab_name, self.seed),
        };
        for (key, value) in self.params {
            scenario.set_param(key, value);
        }
        scenario.add_faults(self.faults)?;
        scenario.at = self.moment();
        Ok(scenario)
    }

    /// The moment shown.
    pub fn moment(&self) -> Micros {
        self.at_ms * MICROS_PER_MS
    }

    /// Replays the step to its moment and checks its story: `Ok` when every expectation is
    /// met, or the first that is not.
    pub fn replay(&self, lab_name: &str) -> Result<(), String> {
        let scenario = self.scenario(lab_name)?;
        let mut run = lab::start(&scenario).map_err(|e| e.to_string())?;
        run.run_until(scenario.at);
        if let Some(stall) = run.stalled() {
            return Err(format!("the run stalled: {stall}"));
        }
        for expect in self.expect {
            expect.check(run.as_ref()).map_err(|e| format!("at {} ms: {e}", self.at_ms))?;
        }
        Ok(())
    }
}

impl Tour {
    /// The step at `index`, clamped to the tour.
    pub fn step(&self, index: usize) -> (usize, &'static Step) {
        let index = index.min(self.steps.len().saturating_sub(1));
        (index, &self.steps[index])
    }
}

/// The tour with this id.
pub fn find(id: &str) -> Option<&'static Tour> {
    TOURS.iter().find(|t| t.id == id)
}

/// The tour of this lab, if it has one.
pub fn for_lab(lab_name: &str) -> Option<&'static Tour> {
    TOURS.iter().find(|t| t.lab == lab_name)
}
