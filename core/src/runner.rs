//! Time travel over a run: seek to any moment by deterministic replay from a checkpoint, and
//! fork a what-if branch.
//!
//! The runner keeps clones of the whole lab at regular virtual times. Seeking backwards
//! restores the nearest earlier checkpoint and replays forward; since the run is a pure
//! function of the scenario, the replay lands in exactly the state the first pass had. The
//! number of checkpoints is capped: when the cap is reached every other one is dropped and
//! the spacing doubles, so memory stays bounded on long runs while seeks stay short.
//!
//! Operator actions (crash this node, cut that link, change a knob) go into the scenario's
//! fault script at `now + 1us`, so the share link replays them, and checkpoints after that
//! moment are discarded because that future has changed.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::fault::{Fault, FaultAction};
use crate::lab::{self, LabRun};
use crate::scenario::{Scenario, ScenarioError};
use crate::time::{Micros, MICROS_PER_SEC};

/// Checkpoints kept at most.
pub const MAX_CHECKPOINTS: usize = 48;
const FIRST_SPACING: Micros = 2 * MICROS_PER_SEC;

/// How far [`Runner::advance_within`] got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advanced {
    /// The run is at the time asked for.
    Reached,
    /// The event budget ran out first.
    Budget,
    /// The no-progress guard stopped the run (see [`crate::lab::Stall`]).
    Stalled,
}

pub struct Runner {
    scenario: Scenario,
    run: Box<dyn LabRun>,
    /// Clones of the run at times `k * spacing`, oldest first; the first is time zero.
    checkpoints: Vec<Box<dyn LabRun>>,
    spacing: Micros,
}

impl Clone for Runner {
    fn clone(&self) -> Self {
        Runner {
            scenario: self.scenario.clone(),
            run: self.run.clone_box(),
            checkpoints: self.checkpoints.iter().map(|c| c.clone_box()).collect(),
            spacing: self.spacing,
        }
    }
}

impl Runner {
    /// Starts the scenario and runs it to the moment it names.
    pub fn start(scenario: Scenario) -> Result<Runner, ScenarioError> {
        let target = scenario.at;
        let mut runner = Runner::start_at_zero(scenario)?;
        runner.advance_to(target);
        Ok(runner)
    }

    /// Starts the scenario at time zero; the caller advances it to `scenario.at` in bounded
    /// slices (a page does, one slice per frame).
    pub fn start_at_zero(scenario: Scenario) -> Result<Runner, ScenarioError> {
        let run = lab::start(&scenario)?;
        let checkpoints = alloc::vec![run.clone_box()];
        Ok(Runner { scenario, run, checkpoints, spacing: FIRST_SPACING })
    }

    /// Whether a knob (`key` or `node.key`) changes live, as a recorded `set`; otherwise the
    /// run restarts from a changed scenario and replays to now.
    pub fn is_live(&self, key: &str) -> bool {
        let name = key.rsplit('.').next().unwrap_or(key);
        lab::find(&self.scenario.lab)
            .and_then(|info| info.params.iter().find(|p| p.key == name))
            .is_some_and(|p| p.live)
    }

    /// The parameters in force now: the scenario's, then every `set` the script applied so far,
    /// and one an operator just made (recorded for the next microsecond), so a knob shows its
    /// new value at once even while the run is paused.
    pub fn params_in_force(&self) -> Vec<(String, String)> {
        let now = self.now();
        let mut params = self.scenario.params.clone();
        for fault in self.scenario.faults.iter().filter(|f| f.at <= now.saturating_add(1)) {
            if let FaultAction::Set { key, value } = &fault.action {
                params.push((key.clone(), value.clone()));
            }
        }
        params
    }

    /// The moment the scenario was opened at (a share link's `at`).
    pub fn opened_at(&self) -> Micros {
        self.scenario.at
    }

    pub fn run(&self) -> &dyn LabRun {
        self.run.as_ref()
    }

    pub fn now(&self) -> Micros {
        self.run.now()
    }

    /// The scenario as it stands, including operator actions, positioned at `now`.
    pub fn scenario(&self) -> Scenario {
        Scenario { at: self.now(), ..self.scenario.clone() }
    }

    pub fn checkpoint_count(&self) -> usize {
        self.checkpoints.len()
    }

    fn last_checkpoint_time(&self) -> Micros {
        self.checkpoints.last().map_or(0, |c| c.now())
    }

    fn save_checkpoint(&mut self) {
        self.checkpoints.push(self.run.clone_box());
        if self.checkpoints.len() > MAX_CHECKPOINTS {
            self.spacing *= 2;
            let spacing = self.spacing;
            self.checkpoints.retain(|c| c.now() % spacing == 0);
        }
    }

    /// Runs forward to `t`, saving checkpoints on the way. It ends early only if the
    /// no-progress guard stops the run.
    pub fn advance_to(&mut self, t: Micros) {
        self.advance_within(t, u64::MAX);
    }

    /// Runs forward towards `t`, processing at most `budget` events, saving checkpoints on
    /// the way. A page calls this once per animation frame, so a storm of events slows the
    /// simulated clock instead of freezing the page. When the budget runs out the clock
    /// stays at the last event processed; the next call goes on from there.
    pub fn advance_within(&mut self, t: Micros, budget: u64) -> Advanced {
        let mut left = budget;
        // Until the clock is at `t` with every event due at `t` processed: a slice may end
        // in the middle of an instant, and the next one finishes it.
        while self.run.now() < t || self.run.next_time().is_some_and(|next| next <= t) {
            let next_checkpoint = (self.last_checkpoint_time() / self.spacing + 1) * self.spacing;
            let stop = t.min(next_checkpoint);
            let mut stuck = false;
            while self.run.next_time().is_some_and(|next| next <= stop) {
                if left == 0 {
                    return Advanced::Budget;
                }
                if !self.run.step() {
                    stuck = true;
                    break;
                }
                left -= 1;
            }
            if self.run.stalled().is_some() {
                return Advanced::Stalled;
            }
            self.run.advance_clock(stop);
            if stop == next_checkpoint && self.last_checkpoint_time() < stop {
                self.save_checkpoint();
            }
            if stuck && self.run.now() >= t {
                break;
            }
        }
        Advanced::Reached
    }

    /// Processes the next event or fault (a single step), saving a checkpoint if it crosses
    /// a checkpoint time. Returns false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        match self.run.next_time() {
            Some(next) => {
                let next_checkpoint = (self.last_checkpoint_time() / self.spacing + 1) * self.spacing;
                if next > next_checkpoint {
                    self.advance_to(next_checkpoint);
                }
                self.run.step()
            }
            None => false,
        }
    }

    /// Shows the run at time `t`, forwards or backwards.
    pub fn seek(&mut self, t: Micros) {
        self.rewind(t);
        self.advance_to(t);
    }

    /// Goes back to the last checkpoint at or before `t`, if `t` is in the past; a bounded
    /// [`Runner::advance_within`] then goes the rest of the way.
    pub fn rewind(&mut self, t: Micros) {
        if t < self.run.now() {
            let index = self.checkpoints.partition_point(|c| c.now() <= t).saturating_sub(1);
            self.run = self.checkpoints[index].clone_box();
        }
    }

    /// Applies an operator's action now and records it in the scenario.
    pub fn inject(&mut self, action: FaultAction) -> Result<Micros, String> {
        let at = self.run.inject(action.clone())?;
        let index = self.scenario.faults.partition_point(|f| f.at <= at);
        self.scenario.faults.insert(index, Fault { at, action });
        self.checkpoints.retain(|c| c.now() < at);
        Ok(at)
    }

    /// A what-if branch that shares this run's past.
    pub fn fork(&self) -> Runner {
        self.clone()
    }
}
