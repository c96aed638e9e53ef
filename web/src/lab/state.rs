//! The lab page's one reducer. It owns the core [`Runner`] (and a forked branch, when there
//! is one) and turns the person's actions into runner calls: seek, step, inject a fault,
//! restart with a new parameter. Rendering reads the runner; nothing here simulates.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use playground_core::fault::FaultAction;
use playground_core::lab;
use playground_core::runner::Runner;
use playground_core::scenario::Scenario;
use playground_core::time::{Micros, MICROS_PER_SEC};
use playground_core::trace::NodeId;
use yew::Reducible;

/// Playback speeds, as virtual microseconds per real millisecond, with their labels.
pub const SPEEDS: [(Micros, &str); 8] = [
    (1, "1 ms/s"),
    (5, "5 ms/s"),
    (20, "20 ms/s"),
    (100, "0.1 s/s"),
    (1_000, "1 s/s (real time)"),
    (5_000, "5 s/s"),
    (20_000, "20 s/s"),
    (60_000, "1 min/s"),
];
pub const DEFAULT_SPEED: usize = 3;

/// What a click on the canvas opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Menu {
    Node(NodeId),
    Link(NodeId, NodeId),
}

#[derive(Clone, Debug)]
pub enum Action {
    TogglePlay,
    Pause,
    Step,
    Frame(f64),
    Seek(Micros),
    /// Seek relative to now (negative is back).
    Nudge(i64),
    Speed(usize),
    SpeedBy(i32),
    ToggleFork,
    Reset,
    Seed(u64),
    Inject(FaultAction),
    SetParam(String, String),
    Fork,
    DropFork,
    SelectEvent(Option<u64>),
    OpenMenu(Option<Menu>),
    PartitionTool(bool),
    PartitionToggle(NodeId),
    PartitionApply,
    Notice(Option<String>),
    /// Picks an event on the space-time diagram (the last two are compared).
    PickEvent(NodeId, u32),
    /// Which clock labels the diagram's events.
    LabelWith(usize),
    /// Starts a different scenario of the same lab (a preset).
    Load(Scenario),
}

pub type SharedRunner = Rc<RefCell<Runner>>;

#[derive(Clone)]
pub struct LabState {
    pub runner: SharedRunner,
    /// A what-if branch forked from the runner; edits go to it while it exists.
    pub branch: Option<SharedRunner>,
    pub playing: bool,
    pub speed: usize,
    last_frame: Option<f64>,
    /// The furthest time reached, for the scrubber.
    pub horizon: Micros,
    pub selected_event: Option<u64>,
    pub menu: Option<Menu>,
    pub partition_pick: Option<BTreeSet<NodeId>>,
    pub notice: Option<String>,
    pub picked_events: Vec<(NodeId, u32)>,
    pub label: usize,
    /// Bumped on every change, so views know to redraw.
    pub revision: u64,
}

impl PartialEq for LabState {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision && Rc::ptr_eq(&self.runner, &other.runner)
    }
}

fn shared(runner: Runner) -> SharedRunner {
    Rc::new(RefCell::new(runner))
}

impl LabState {
    /// Starts the scenario. The URL layer has already checked it.
    pub fn new(scenario: Scenario) -> Result<LabState, String> {
        let runner = Runner::start(scenario).map_err(|e| e.to_string())?;
        let horizon = runner.now();
        Ok(LabState {
            runner: shared(runner),
            branch: None,
            playing: false,
            speed: DEFAULT_SPEED,
            last_frame: None,
            horizon,
            selected_event: None,
            menu: None,
            partition_pick: None,
            notice: None,
            picked_events: Vec::new(),
            label: 0,
            revision: 0,
        })
    }

    /// The run that edits go to: the branch when there is one.
    pub fn edited(&self) -> &SharedRunner {
        self.branch.as_ref().unwrap_or(&self.runner)
    }

    pub fn now(&self) -> Micros {
        self.runner.borrow().now()
    }

    fn seek_all(&mut self, t: Micros) {
        self.runner.borrow_mut().seek(t);
        if let Some(branch) = &self.branch {
            branch.borrow_mut().seek(t);
        }
        self.horizon = self.horizon.max(t);
    }

    /// Restarts the edited run from a changed scenario, replaying to the current moment.
    fn restart_with(&mut self, change: impl FnOnce(&mut Scenario)) {
        let now = self.now();
        let mut scenario = self.edited().borrow().scenario();
        change(&mut scenario);
        scenario.at = now;
        match Runner::start(scenario) {
            Ok(runner) => {
                *self.edited().borrow_mut() = runner;
                self.notice = None;
            }
            Err(e) => self.notice = Some(e.to_string()),
        }
    }

    fn apply(&mut self, action: Action) {
        match action {
            Action::TogglePlay => {
                self.playing = !self.playing;
                self.last_frame = None;
            }
            Action::Pause => self.playing = false,
            Action::Step => {
                self.playing = false;
                let stepped = self.runner.borrow_mut().step();
                let now = self.now();
                if let Some(branch) = &self.branch {
                    branch.borrow_mut().seek(now);
                }
                self.horizon = self.horizon.max(now);
                if !stepped {
                    self.notice = Some("Nothing is scheduled: the run is quiet.".into());
                }
            }
            Action::Frame(timestamp) => {
                if !self.playing {
                    self.last_frame = None;
                    return;
                }
                let elapsed = self.last_frame.map_or(0.0, |last| (timestamp - last).clamp(0.0, 100.0));
                self.last_frame = Some(timestamp);
                let advance = (elapsed * SPEEDS[self.speed].0 as f64) as Micros;
                let target = self.now() + advance.max(1);
                self.seek_all(target);
            }
            Action::Seek(t) => self.seek_all(t),
            Action::Nudge(delta) => {
                let target = self.now().saturating_add_signed(delta);
                self.seek_all(target);
            }
            Action::Speed(index) => self.speed = index.min(SPEEDS.len() - 1),
            Action::SpeedBy(delta) => {
                self.speed = (self.speed as i32 + delta).clamp(0, SPEEDS.len() as i32 - 1) as usize;
            }
            Action::ToggleFork => {
                let next = if self.branch.is_some() { Action::DropFork } else { Action::Fork };
                self.apply(next);
            }
            Action::Reset => {
                self.playing = false;
                self.seek_all(0);
                self.horizon = 0;
                self.selected_event = None;
            }
            Action::Seed(seed) => self.restart_with(|s| s.seed = seed),
            Action::Inject(fault) => {
                let result = self.edited().borrow_mut().inject(fault);
                self.notice = result.err();
                self.menu = None;
            }
            Action::SetParam(key, value) => {
                let lab_name = self.runner.borrow().run().lab();
                let live = lab::find(lab_name)
                    .and_then(|info| info.params.iter().find(|p| p.key == key.rsplit('.').next().unwrap_or(&key)))
                    .is_some_and(|spec| spec.live);
                if live {
                    self.apply(Action::Inject(FaultAction::Set { key, value }));
                } else {
                    self.restart_with(|s| s.set_param(&key, &value));
                }
            }
            Action::Fork => {
                let branch = self.runner.borrow().fork();
                self.branch = Some(shared(branch));
            }
            Action::DropFork => self.branch = None,
            Action::SelectEvent(seq) => self.selected_event = seq,
            Action::OpenMenu(menu) => self.menu = menu,
            Action::PartitionTool(on) => {
                self.partition_pick = on.then(BTreeSet::new);
                self.menu = None;
            }
            Action::PartitionToggle(node) => {
                if let Some(pick) = &mut self.partition_pick {
                    if !pick.remove(&node) {
                        pick.insert(node);
                    }
                }
            }
            Action::PartitionApply => {
                let Some(pick) = self.partition_pick.take() else { return };
                if pick.is_empty() {
                    return;
                }
                let names = self.edited().borrow().run().names();
                let group = pick.iter().filter_map(|&id| names.get(usize::from(id)).cloned()).collect();
                self.apply(Action::Inject(FaultAction::Partition(vec![group])));
            }
            Action::Notice(text) => self.notice = text,
            Action::PickEvent(node, index) => {
                if let Some(at) = self.picked_events.iter().position(|&p| p == (node, index)) {
                    self.picked_events.remove(at);
                } else {
                    self.picked_events.push((node, index));
                    if self.picked_events.len() > 2 {
                        self.picked_events.remove(0);
                    }
                }
            }
            Action::LabelWith(which) => self.label = which,
            Action::Load(scenario) => match Runner::start(scenario) {
                Ok(runner) => {
                    *self.runner.borrow_mut() = runner;
                    self.branch = None;
                    self.playing = false;
                    self.horizon = 0;
                    self.selected_event = None;
                    self.picked_events.clear();
                    self.menu = None;
                    self.notice = None;
                }
                Err(e) => self.notice = Some(e.to_string()),
            },
        }
    }
}

impl Reducible for LabState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.apply(action);
        next.revision += 1;
        Rc::new(next)
    }
}

/// A scrubber range that always leaves room ahead of the present.
pub fn scrub_end(state: &LabState) -> Micros {
    (state.horizon.max(state.now()) + 5 * MICROS_PER_SEC).max(20 * MICROS_PER_SEC)
}
