//! What every lab does the same way: run the simulator, apply the fault schedule before
//! each event, and turn named faults into simulator calls.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::guard::ProgressGuard;
use super::{FaultSchedule, Metrics, Params};
use crate::fault::{Fault, FaultAction};
use crate::invariant::Verdict;
use crate::process::Process;
use crate::sim::Sim;
use crate::time::Micros;
use crate::trace::NodeId;

/// What one step did.
pub enum Stepped {
    /// Nothing was left to do.
    Idle,
    /// An event or a node/network fault ran.
    Ran,
    /// A `set key=value` fault is due; the lab applies it.
    Set(String, String),
}

#[derive(Clone)]
pub struct Driver<P: Process> {
    pub sim: Sim<P>,
    pub schedule: FaultSchedule,
    pub names: Vec<String>,
    pub(crate) guard: ProgressGuard,
}

impl<P: Process> Driver<P> {
    pub fn new(sim: Sim<P>, faults: Vec<Fault>) -> Self {
        let names = sim.names();
        Driver { sim, schedule: FaultSchedule::new(faults), names, guard: ProgressGuard::default() }
    }

    /// A driver for a scenario's fault script, after checking that every fault names real
    /// nodes and that every `set` names a knob that may change mid-run.
    pub fn with_script(sim: Sim<P>, faults: &[Fault], params: &Params) -> Result<Self, crate::scenario::ScenarioError> {
        let driver = Driver::new(sim, faults.to_vec());
        for fault in faults {
            driver.check_action(&fault.action).map_err(crate::scenario::ScenarioError::Fault)?;
            check_live_set(&fault.action, params).map_err(crate::scenario::ScenarioError::Fault)?;
        }
        Ok(driver)
    }

    pub fn id(&self, name: &str) -> NodeId {
        self.sim.node_id(name).unwrap_or(NodeId::MAX)
    }

    /// Checks a fault before it runs: its nodes exist, and a command is one the node takes.
    pub fn check_action(&self, action: &FaultAction) -> Result<(), String> {
        self.check_nodes(action)?;
        if let FaultAction::Command { node, text } = action {
            self.sim.parse_command(self.id(node), text)?;
        }
        Ok(())
    }

    /// Checks that every node the action names exists.
    fn check_nodes(&self, action: &FaultAction) -> Result<(), String> {
        let nodes = action.nodes().into_iter().chain(match action {
            FaultAction::Set { key, .. } => key.split_once('.').map(|(node, _)| node),
            _ => None,
        });
        for node in nodes {
            if !self.names.iter().any(|n| n == node) {
                return Err(format!("there is no node `{node}` (nodes: {})", self.names.join(", ")));
            }
        }
        Ok(())
    }

    /// Processes the next fault or event.
    pub fn step(&mut self) -> Stepped {
        if let Some(fault) = self.schedule.take_due(self.sim.next_event_time()) {
            self.sim.advance_clock(fault.at);
            return match fault.action {
                FaultAction::Set { key, value } => Stepped::Set(key, value),
                action => {
                    self.apply(action);
                    Stepped::Ran
                }
            };
        }
        if self.sim.step() {
            Stepped::Ran
        } else {
            Stepped::Idle
        }
    }

    fn apply(&mut self, action: FaultAction) {
        match action {
            FaultAction::Crash(n) => self.sim.crash(self.id(&n)),
            FaultAction::Restart(n) => self.sim.restart(self.id(&n)),
            FaultAction::Pause { node, span } => self.sim.pause(self.id(&node), span),
            FaultAction::Join(n) => self.sim.join(self.id(&n)),
            FaultAction::Leave(n) => self.sim.leave(self.id(&n)),
            FaultAction::Partition(groups) => {
                let groups = groups.iter().map(|g| g.iter().map(|n| self.id(n)).collect()).collect();
                self.sim.partition(groups);
            }
            FaultAction::Cut { from, to, both } => {
                let (a, b) = (self.id(&from), self.id(&to));
                self.sim.cut(a, b);
                if both {
                    self.sim.cut(b, a);
                }
            }
            FaultAction::Slow { a, b, factor } => self.sim.slow(self.id(&a), self.id(&b), factor),
            FaultAction::Heal => self.sim.heal(),
            FaultAction::Command { node, text } => self.sim.command(self.id(&node), text),
            FaultAction::Deliver(msg) => {
                if !self.sim.release(msg) {
                    let text = format!("ignored: message #{msg} is not held");
                    self.sim.note(text);
                }
            }
            FaultAction::Scheduler { manual } => {
                self.sim.set_manual(manual);
                let text =
                    format!("scheduler: {}", if manual { "manual, messages wait to be delivered" } else { "network" });
                self.sim.note(text);
            }
            FaultAction::Set { .. } => {}
        }
    }

    /// When the next event or fault is due.
    pub fn next_time(&self) -> Option<Micros> {
        match (self.sim.next_event_time(), self.schedule.next_time()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Schedules an operator's action right after now.
    pub fn inject(&mut self, action: FaultAction) -> Micros {
        let at = self.sim.now() + 1;
        self.schedule.insert(Fault { at, action });
        at
    }
}

/// The parts of a [`Lab`] implementation that are the same for every lab whose struct has
/// `driver` and `params` fields and inherent `set_live` (reapply the live knobs) and
/// `collect` methods. A `set` changes the parameter, reapplies, then records the change.
macro_rules! lab_plumbing {
    ($proc:ty, $name:literal) => {
        type Proc = $proc;
        const NAME: &'static str = $name;

        fn driver(&self) -> &$crate::lab::Driver<$proc> {
            &self.driver
        }

        fn driver_mut(&mut self) -> &mut $crate::lab::Driver<$proc> {
            &mut self.driver
        }

        fn params(&self) -> &$crate::lab::Params {
            &self.params
        }

        fn apply_set(&mut self, key: &str, value: &str) {
            if self.params.set(key, value).is_err() {
                return;
            }
            self.set_live();
            let sim = &mut self.driver.sim;
            let set = $crate::trace::EventKind::Set { key: key.into(), value: value.into() };
            let now = sim.now();
            sim.trace_mut().record(now, set);
        }

        fn absorb(&mut self) {
            self.collect();
        }
    };
}
pub(crate) use lab_plumbing;

/// What differs from lab to lab. Everything else a [`super::LabRun`] offers comes from the
/// shared [`Driver`] through a blanket implementation.
pub trait Lab: Clone + 'static {
    type Proc: Process;
    const NAME: &'static str;
    fn driver(&self) -> &Driver<Self::Proc>;
    fn driver_mut(&mut self) -> &mut Driver<Self::Proc>;
    fn params(&self) -> &Params;
    /// Applies a `set key=value` that is due (already validated).
    fn apply_set(&mut self, key: &str, value: &str);
    /// Reads the simulator's new observations into the lab's checkers.
    fn absorb(&mut self);
    fn verdicts(&self) -> &[Verdict];
    fn metrics(&self) -> Metrics;
    /// Commands a person can give `node`, as (label, command text).
    fn commands(&self, _node: NodeId) -> Vec<(String, String)> {
        Vec::new()
    }
    /// The lab's own typed picture (see [`crate::labs::LabView`]).
    fn lab_view(&self) -> crate::labs::LabView {
        crate::labs::LabView::Plain
    }
    /// When a lab-driven action of its own (FLP's adversary) is next due.
    fn own_next_time(&self) -> Option<Micros> {
        None
    }
    /// Performs that action if it comes before the simulator's `next` event; true if it did.
    fn own_step(&mut self, _next: Option<Micros>) -> bool {
        false
    }
}

/// A `set` must name a known knob that may change while the run goes.
pub fn check_live_set(action: &FaultAction, params: &Params) -> Result<(), String> {
    if let FaultAction::Set { key, value } = action {
        let mut probe = params.clone();
        let spec = probe.set(key, value)?;
        if !spec.live {
            return Err(format!("`{}` can only be chosen before the run starts", spec.key));
        }
    }
    Ok(())
}
