//! The exercises that ship with the playground: three or four for every lab, break-it and fix-it
//! pairs where a lab has a teaching variant, most built on a lab's presets (a teaching variant breaks a guarantee; its fix is one knob; the
//! break is finding the faults that expose the variant). Each has a reference solution, and
//! the tests check that the start alone does not meet the goal and the solution does.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{Exercise, Goal, Limits};
use crate::lab;
use crate::scenario::Scenario;
use crate::time::MICROS_PER_MS;

#[derive(Clone, Copy, Debug)]
pub enum GoalSpec {
    Break(&'static str),
    Hold(&'static str),
    Reach(&'static str, u64),
    StayUnder(&'static str, u64),
    Happen(&'static str, u64),
}

/// How the reference solution differs from the start.
#[derive(Clone, Copy, Debug)]
pub enum Solution {
    /// These knob values.
    Knobs(&'static [(&'static str, &'static str)]),
    /// The knob values of this other preset of the lab.
    PresetKnobs(&'static str),
    /// The start preset's own faults, which the exercise leaves out.
    PresetFaults,
    /// These faults added to the start's.
    Faults(&'static str),
}

#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// Stable, for links and the CLI (`playground exercise raft-figure-8-fix`).
    pub id: &'static str,
    pub lab: &'static str,
    pub title: &'static str,
    pub text: &'static str,
    /// The preset it starts from (its seed, knobs and faults), or the lab's defaults (seed 1).
    pub preset: Option<&'static str>,
    /// Start without the preset's faults: finding them is the exercise.
    pub without_faults: bool,
    /// Knob values on top of the preset.
    pub params: &'static [(&'static str, &'static str)],
    /// Faults after the preset's (the exercise's own: students keep them).
    pub faults: &'static str,
    pub goal: GoalSpec,
    pub knobs: &'static [&'static str],
    pub actions: &'static [&'static str],
    pub max_actions: u32,
    pub deadline_ms: u64,
    pub solution: Solution,
}

mod entries;

pub use entries::ENTRIES;

impl Entry {
    fn base(&self) -> Result<Scenario, String> {
        let info = lab::find(self.lab).ok_or_else(|| alloc::format!("no lab called {}", self.lab))?;
        match self.preset {
            None => Ok(Scenario::new(self.lab, 1)),
            Some(name) => info.preset(name),
        }
    }

    /// The exercise this entry describes.
    pub fn exercise(&self) -> Result<Exercise, String> {
        let mut start = self.base()?;
        if self.without_faults {
            start.faults.clear();
        }
        for (key, value) in self.params {
            start.set_param(key, value);
        }
        start.add_faults(self.faults)?;
        start.at = 0;
        let goal = match self.goal {
            GoalSpec::Break(g) => Goal::Break { guarantee: g.to_string() },
            GoalSpec::Hold(g) => Goal::Hold { guarantee: g.to_string() },
            GoalSpec::Reach(c, value) => Goal::Reach { counter: c.to_string(), value },
            GoalSpec::StayUnder(c, value) => Goal::StayUnder { counter: c.to_string(), value },
            GoalSpec::Happen(e, value) => Goal::Happen { event: e.to_string(), value },
        };
        let limits = Limits {
            deadline: self.deadline_ms * MICROS_PER_MS,
            knobs: self.knobs.iter().map(|k| k.to_string()).collect(),
            actions: self.actions.iter().map(|a| a.to_string()).collect(),
            max_actions: self.max_actions,
        };
        Ok(Exercise { title: self.title.to_string(), text: self.text.to_string(), start, goal, limits })
    }

    /// The reference solution: the start with the solution's knobs or faults.
    pub fn solution(&self) -> Result<Scenario, String> {
        let mut scenario = self.exercise()?.start;
        match self.solution {
            Solution::Knobs(knobs) => {
                for (key, value) in knobs {
                    scenario.set_param(key, value);
                }
            }
            Solution::PresetKnobs(name) => {
                // Each knob the exercise lets the student turn, as that preset has it (its
                // default where the preset leaves it).
                let info = lab::find(self.lab).ok_or("no such lab")?;
                let preset = info.presets.iter().find(|p| p.name == name).ok_or("no such preset")?;
                for knob in self.knobs {
                    let given = preset.params.iter().find(|(k, _)| k == knob).map(|(_, v)| *v);
                    let default = info.params.iter().find(|s| s.key == *knob).map(|s| s.default);
                    if let Some(value) = given.or(default) {
                        scenario.set_param(knob, value);
                    }
                }
            }
            Solution::PresetFaults => scenario.faults = self.base()?.faults,
            Solution::Faults(script) => scenario.add_faults(script)?,
        }
        Ok(scenario)
    }
}

/// Every shipped exercise, with its id and lab.
pub fn all() -> Vec<(&'static Entry, Exercise)> {
    ENTRIES.iter().filter_map(|e| e.exercise().ok().map(|x| (e, x))).collect()
}

/// A shipped exercise by id.
pub fn find(id: &str) -> Option<Exercise> {
    ENTRIES.iter().find(|e| e.id == id).and_then(|e| e.exercise().ok())
}
