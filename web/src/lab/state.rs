//! The lab page's one reducer. It owns the core [`Runner`] (and a forked branch, when there
//! is one) and turns the person's actions into runner calls: seek, step, inject a fault,
//! restart with a new parameter. Rendering reads the runner; nothing here simulates.

use playground_core::sort;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use playground_core::fault::FaultAction;
use playground_core::runner::{Advanced, Runner};
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

/// Events the page simulates in one animation frame at most, per run (the original and the
/// branch each). A storm of events slows the simulated clock instead of freezing the page.
pub const FRAME_EVENT_BUDGET: u64 = 20_000;
/// Within that, the page stops after this much wall time, so a frame keeps room to render.
pub const FRAME_TIME_BUDGET_MS: f64 = 8.0;
/// Events per slice between two looks at the clock.
const SLICE_EVENTS: u64 = 1_000;

/// Advances a run towards `target` in slices until it gets there, the frame's event budget is
/// spent, or the frame's time budget is (whichever comes first).
fn advance_for_a_frame(runner: &SharedRunner, target: Micros) -> Advanced {
    let started = crate::dom::now_ms();
    let mut spent = 0;
    loop {
        let outcome = runner.borrow_mut().advance_within(target, SLICE_EVENTS);
        spent += SLICE_EVENTS;
        if outcome != Advanced::Budget
            || spent >= FRAME_EVENT_BUDGET
            || crate::dom::now_ms() - started >= FRAME_TIME_BUDGET_MS
        {
            return outcome;
        }
    }
}

/// How the simulation keeps up with the chosen speed, measured over the last frames.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Pace {
    /// Virtual time advanced over virtual time wanted, when below 1 (None: keeping up).
    pub ratio: Option<f64>,
    /// Events per simulated second in the last slowed frame.
    pub events_per_sim_second: u64,
}

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
    /// Seek to a moment and select the event there (a violation's marker).
    GoTo {
        at: Micros,
        event: Option<u64>,
    },
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
    /// Embedded: opens or closes the panels behind the canvas.
    ToggleDetails,
    /// Embedded: open or close the panels behind Details (a tour step that points at one).
    ShowDetails(bool),
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
    /// Where the run is heading: a seek, a share link's moment or a replay after a change
    /// is reached in bounded slices, one per animation frame.
    pub target: Option<Micros>,
    /// Where the branch is heading after a step of the original run.
    branch_target: Option<Micros>,
    pub pace: Pace,
    /// Bumped whenever the run is replaced (a preset, a seed, a knob that restarts it), so
    /// a lab's own panels can start afresh.
    pub generation: u64,
    /// The no-progress guard stopped the run; the sentence says why.
    pub stalled: Option<String>,
    /// Every guarantee seen broken in the edited run, (when, the event, which), kept when
    /// the page seeks back so the timeline can show where each one broke.
    pub violations: Vec<(Micros, u64, &'static str)>,
    /// Embedded: the panels behind the canvas and the timeline are open.
    pub details_open: bool,
    /// An exercise judges the run up to here: playing, seeking and stepping stop at it.
    pub limit: Option<Micros>,
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
    /// Starts the scenario. The URL layer has already checked it. The run starts at zero and
    /// reaches the link's moment over the next frames.
    pub fn new(scenario: Scenario) -> Result<LabState, String> {
        let runner = Runner::start_at_zero(scenario).map_err(|e| e.to_string())?;
        let opened_at = runner.opened_at();
        let horizon = opened_at;
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
            target: (opened_at > 0).then_some(opened_at),
            branch_target: None,
            pace: Pace::default(),
            generation: 0,
            stalled: None,
            violations: Vec::new(),
            details_open: false,
            limit: None,
            revision: 0,
        })
    }

    /// The same state, its run ending at `limit` (an exercise's deadline).
    pub fn with_limit(mut self, limit: Option<Micros>) -> LabState {
        self.limit = limit;
        self.target = self.target.map(|t| t.min(limit.unwrap_or(Micros::MAX)));
        self
    }

    /// Whether the page must keep sending frames: playing, or still reaching a target.
    pub fn busy(&self) -> bool {
        self.playing || self.target.is_some() || self.branch_target.is_some()
    }

    /// The run that edits go to: the branch when there is one.
    pub fn edited(&self) -> &SharedRunner {
        self.branch.as_ref().unwrap_or(&self.runner)
    }

    pub fn now(&self) -> Micros {
        self.runner.borrow().now()
    }

    /// Heads for time `t`: going back restores a checkpoint now; the replay forward runs in
    /// bounded slices, the first one right away.
    fn seek_all(&mut self, t: Micros) {
        let t = t.min(self.limit.unwrap_or(Micros::MAX));
        self.runner.borrow_mut().rewind(t);
        if let Some(branch) = &self.branch {
            branch.borrow_mut().rewind(t);
        }
        self.horizon = self.horizon.max(t);
        self.target = Some(t);
        self.advance_slice();
    }

    /// Notes the guarantees the edited run has broken so far.
    fn note_violations(&mut self) {
        let edited = self.edited().clone();
        let runner = edited.borrow();
        for verdict in runner.run().verdicts() {
            if let playground_core::invariant::Status::Violated { at, event, .. } = verdict.status {
                if !self.violations.iter().any(|&(_, e, name)| e == event && name == verdict.name) {
                    self.violations.push((at, event, verdict.name));
                }
            }
        }
        drop(runner);
        sort::ascending(&mut self.violations);
    }

    /// Forgets violations after now: the run's future has changed.
    fn forget_future_violations(&mut self) {
        let now = self.edited().borrow().now();
        self.violations.retain(|&(at, _, _)| at <= now);
    }

    /// Runs one bounded slice towards the target and notes how the run keeps up.
    fn advance_slice(&mut self) -> bool {
        let Some(target) = self.target else { return true };
        let before = (self.now(), self.runner.borrow().run().processed());
        let mut outcome = advance_for_a_frame(&self.runner, target);
        if let Some(branch) = &self.branch {
            let branch_outcome = advance_for_a_frame(branch, target);
            if outcome == Advanced::Reached {
                outcome = branch_outcome;
            }
        }
        let (now, processed) = (self.now(), self.runner.borrow().run().processed());
        match outcome {
            Advanced::Reached => {
                self.target = None;
                true
            }
            Advanced::Budget => {
                let advanced = now.saturating_sub(before.0).max(1);
                self.pace.events_per_sim_second = (processed - before.1) * MICROS_PER_SEC / advanced;
                false
            }
            Advanced::Stalled => {
                self.target = None;
                self.playing = false;
                let runner = self.edited().borrow();
                let stall = runner.run().stalled().or(self.runner.borrow().run().stalled()).map(|s| s.to_string());
                drop(runner);
                self.stalled = stall;
                false
            }
        }
    }

    /// Restarts the edited run from a changed scenario, replaying to the current moment in
    /// bounded slices.
    fn restart_with(&mut self, change: impl FnOnce(&mut Scenario)) {
        let now = self.now();
        let mut scenario = self.edited().borrow().scenario();
        change(&mut scenario);
        scenario.at = now;
        match Runner::start_at_zero(scenario) {
            Ok(runner) => {
                *self.edited().borrow_mut() = runner;
                self.notice = None;
                self.stalled = None;
                self.generation += 1;
                self.violations.clear();
                self.seek_all(now);
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
            Action::Step if self.limit.is_some_and(|limit| self.now() >= limit) => {
                self.playing = false;
                self.notice = Some("The exercise is judged up to here: the run stops at its deadline.".into());
            }
            Action::Step => {
                self.playing = false;
                self.target = None;
                let stepped = self.runner.borrow_mut().step();
                let now = self.now();
                if let Some(branch) = &self.branch {
                    branch.borrow_mut().rewind(now);
                    if advance_for_a_frame(branch, now) == Advanced::Budget {
                        self.branch_target = Some(now);
                    }
                }
                self.horizon = self.horizon.max(now);
                if let Some(stall) = self.runner.borrow().run().stalled() {
                    self.stalled = Some(stall.to_string());
                } else if !stepped {
                    self.notice = Some("Nothing is scheduled: the run is quiet.".into());
                }
            }
            Action::Frame(timestamp) => {
                if let (Some(t), Some(branch)) = (self.branch_target, &self.branch) {
                    if advance_for_a_frame(branch, t) != Advanced::Budget {
                        self.branch_target = None;
                    }
                }
                // A seek or a link's replay finishes before playing goes on from it.
                if !self.playing || self.target.is_some() {
                    self.last_frame = self.playing.then_some(timestamp);
                    self.advance_slice();
                    return;
                }
                let elapsed = self.last_frame.map_or(0.0, |last| (timestamp - last).clamp(0.0, 100.0));
                self.last_frame = Some(timestamp);
                let wanted = ((elapsed * SPEEDS[self.speed].0 as f64) as Micros).max(1);
                let before = self.now();
                let limit = self.limit.unwrap_or(Micros::MAX);
                if before >= limit {
                    self.playing = false;
                    return;
                }
                // Playing heads a frame's worth past now; a slice that falls short is not
                // made up later, so a storm slows the clock rather than piling up work.
                self.target = Some((before + wanted).min(limit));
                self.horizon = self.horizon.max(before + wanted);
                let kept_up = self.advance_slice();
                if self.playing {
                    self.target = None;
                }
                let ratio = (self.now() - before) as f64 / wanted as f64;
                self.pace.ratio = match (kept_up, self.pace.ratio) {
                    (true, _) => None,
                    (false, Some(previous)) => Some(previous * 0.8 + ratio * 0.2),
                    (false, None) => Some(ratio),
                };
            }
            Action::Seek(t) => self.seek_all(t),
            Action::GoTo { at, event } => {
                self.playing = false;
                self.seek_all(at);
                self.selected_event = event;
            }
            Action::ToggleDetails => self.details_open = !self.details_open,
            Action::ShowDetails(open) => self.details_open = open,
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
                self.stalled = None;
                self.seek_all(0);
                self.horizon = 0;
                self.selected_event = None;
            }
            Action::Seed(seed) => self.restart_with(|s| s.seed = seed),
            Action::Inject(fault) => {
                let result = self.edited().borrow_mut().inject(fault);
                if result.is_ok() {
                    self.forget_future_violations();
                }
                self.notice = result.err();
                self.menu = None;
            }
            Action::SetParam(key, value) => {
                let live = self.edited().borrow().is_live(&key);
                if live {
                    self.apply(Action::Inject(FaultAction::Set { key, value }));
                } else {
                    self.restart_with(|s| s.set_param(&key, &value));
                }
            }
            Action::Fork => {
                let branch = self.runner.borrow().fork();
                self.branch = Some(shared(branch));
                self.forget_future_violations();
            }
            Action::DropFork => {
                self.branch = None;
                self.branch_target = None;
                self.violations.clear();
            }
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
            Action::Notice(text) => {
                if text.is_none() {
                    self.stalled = None;
                }
                self.notice = text;
            }
            Action::Load(scenario) => match Runner::start_at_zero(scenario) {
                Ok(runner) => {
                    let at = runner.opened_at();
                    *self.runner.borrow_mut() = runner;
                    self.target = (at > 0).then_some(at);
                    self.branch_target = None;
                    self.generation += 1;
                    self.stalled = None;
                    self.branch = None;
                    self.playing = false;
                    self.horizon = 0;
                    self.selected_event = None;
                    self.menu = None;
                    self.partition_pick = None;
                    self.pace = Pace::default();
                    self.notice = None;
                    self.violations.clear();
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
        next.note_violations();
        next.revision += 1;
        Rc::new(next)
    }
}

/// The timeline's span: a quarter more than the furthest moment reached (or `last`, the
/// last marker), rounded up to whole seconds, so what happened fills most of it.
pub fn scrub_end(state: &LabState, last: Micros) -> Micros {
    let furthest = state.horizon.max(state.now()).max(last);
    let end = (furthest + furthest / 4).max(furthest + MICROS_PER_SEC).max(5 * MICROS_PER_SEC);
    end.div_ceil(MICROS_PER_SEC) * MICROS_PER_SEC
}
