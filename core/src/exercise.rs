//! Exercises: a starting scenario, a goal the core checks on the run itself, and limits on what
//! the student may change. An exercise is data, like a scenario, and travels the same way (a
//! version byte, postcard, base64url: the `?x=` link). The page shows the goal's status live;
//! `playground exercise` grades a student's share link against it.
//!
//! Goals are predicates over the run: a guarantee broken by the deadline (break it), a
//! guarantee still holding at the deadline (fix it or keep it), a counter reaching a value, a
//! counter kept at or under one, or an event or a kind of message happening (counted over the
//! whole run by the trace). Limits say which knobs the student may turn, which kinds of
//! action they may add to the fault script and how many; the exercise's own faults stay.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::base64url;
use crate::fault::{Fault, FaultAction};
use crate::invariant::Status as VerdictStatus;
use crate::lab::{LabRun, Params};
use crate::scenario::{Scenario, MAX_ENCODED_LEN, MAX_TIME};
use crate::time::{format_time, Micros};

pub mod catalogue;

/// The encoding version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;
const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 2_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exercise {
    pub title: String,
    /// What to do and why it matters, in two or three sentences.
    pub text: String,
    /// Where the student starts: lab, seed, knobs, the exercise's own faults, the moment shown.
    pub start: Scenario,
    pub goal: Goal,
    pub limits: Limits,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Goal {
    /// Make this guarantee break by the deadline.
    Break { guarantee: String },
    /// Keep this guarantee holding until the deadline.
    Hold { guarantee: String },
    /// Make this counter reach `value` by the deadline.
    Reach { counter: String, value: u64 },
    /// Keep this counter at or under `value` until the deadline.
    StayUnder { counter: String, value: u64 },
    /// Make this happen at least `value` times by the deadline: an event kind (`crash`,
    /// `drop`, …) or a kind of message sent (`Nack`, `AppendEntries`, …). New goals go last:
    /// links encode the variant's position.
    Happen { event: String, value: u64 },
    // Guarantees are judged by the lab's live checks, as they run. A check that decides late
    // (the consistency judge's sequential and causal searches run every few operations) is
    // seen when it decides; the shipped Hold exercises use checks that decide at the event.
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// The run is judged up to here.
    pub deadline: Micros,
    /// Knobs the student may change from the start's values.
    pub knobs: Vec<String>,
    /// Kinds of action the student may add to the script (`crash`, `partition`, `do`, ...).
    pub actions: Vec<String>,
    /// At most this many added actions (knob changes are not counted).
    pub max_actions: u32,
}

/// Where a run stands against the goal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not decided yet.
    Open,
    /// Reached, at this moment, by this event where one is known.
    Met { at: Micros, event: Option<u64> },
    /// Out of reach, since this moment (a guarantee that had to hold broke, or the deadline
    /// passed).
    Missed { at: Micros, event: Option<u64>, why: String },
}

/// Why an exercise link cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExerciseError(pub String);

impl core::fmt::Display for ExerciseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "this exercise link cannot be read: {}", self.0)
    }
}

/// The first word of an action: its kind (`crash s1` is a `crash`).
pub fn action_kind(action: &FaultAction) -> String {
    let text = action.to_string();
    text.split_whitespace().next().unwrap_or_default().to_string()
}

impl Goal {
    /// The goal in words.
    pub fn words(&self, deadline: Micros) -> String {
        let by = format_time(deadline);
        match self {
            Goal::Break { guarantee } => format!("Break “{guarantee}” by {by}."),
            Goal::Hold { guarantee } => format!("Keep “{guarantee}” holding until {by}."),
            Goal::Reach { counter, value } => format!("Make “{counter}” reach {value} by {by}."),
            Goal::StayUnder { counter, value } => format!("Keep “{counter}” at {value} or under until {by}."),
            Goal::Happen { event, value: 1 } => format!("Make “{event}” happen by {by}."),
            Goal::Happen { event, value } => format!("Make “{event}” happen {value} times by {by}."),
        }
    }
}

impl Exercise {
    /// Where `run` stands against the goal now. Past the deadline a decided goal stays as it
    /// was decided at the deadline only if the caller stopped there: the page pauses at the
    /// deadline and keeps the first decision; [`Exercise::grade`] steps to it.
    pub fn status(&self, run: &dyn LabRun) -> Status {
        let now = run.now();
        let deadline = self.limits.deadline;
        let verdict = |name: &str| run.verdict(name).map(|v| v.status.clone());
        let missing = |what: &str| Status::Missed { at: now, event: None, why: format!("this lab has no {what}") };
        match &self.goal {
            Goal::Break { guarantee } => match verdict(guarantee) {
                None => missing(&format!("guarantee “{guarantee}”")),
                Some(VerdictStatus::Violated { at, event, .. }) if at <= deadline => {
                    Status::Met { at, event: Some(event) }
                }
                Some(_) if now >= deadline => Status::Missed {
                    at: deadline,
                    event: None,
                    why: format!("“{guarantee}” still held at the deadline"),
                },
                Some(_) => Status::Open,
            },
            Goal::Hold { guarantee } => match verdict(guarantee) {
                None => missing(&format!("guarantee “{guarantee}”")),
                Some(VerdictStatus::Violated { at, event, detail, .. }) if at <= deadline => {
                    Status::Missed { at, event: Some(event), why: format!("“{guarantee}” broke: {detail}") }
                }
                Some(_) if now >= deadline => match run.verdict(guarantee).and_then(|v| v.pending.clone()) {
                    Some(why) => Status::Missed {
                        at: deadline,
                        event: None,
                        why: format!("“{guarantee}” was not judged by the deadline: {why}"),
                    },
                    None => Status::Met { at: deadline, event: None },
                },
                Some(_) => Status::Open,
            },
            Goal::Reach { counter, value } => match run.metrics().counter(counter) {
                None => missing(&format!("counter “{counter}”")),
                Some(count) if count >= *value && now <= deadline => Status::Met { at: now, event: None },
                Some(count) if now >= deadline => Status::Missed {
                    at: deadline,
                    event: None,
                    why: format!("“{counter}” reached {count} of {value} by the deadline"),
                },
                Some(_) => Status::Open,
            },
            Goal::Happen { event, value } => match run.trace().happened(event) {
                Some(count) if count >= *value && now <= deadline => Status::Met { at: now, event: None },
                Some(count) if now >= deadline => Status::Missed {
                    at: deadline,
                    event: None,
                    why: format!("“{event}” happened {count} of {value} times by the deadline"),
                },
                // Neither an event kind nor a message kind this run sent: perhaps misspelt.
                None if now >= deadline => Status::Missed {
                    at: deadline,
                    event: None,
                    why: format!(
                        "no “{event}” happened by the deadline: it is not a kind of event, and no message of that kind was sent (kinds sent: {})",
                        run.trace().sent_kinds().iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                    ),
                },
                _ => Status::Open,
            },
            Goal::StayUnder { counter, value } => match run.metrics().counter(counter) {
                None => missing(&format!("counter “{counter}”")),
                Some(count) if count > *value => {
                    Status::Missed {
                        at: now, event: None, why: format!("“{counter}” reached {count}, over {value}")
                    }
                }
                Some(_) if now >= deadline => Status::Met { at: deadline, event: None },
                Some(_) => Status::Open,
            },
        }
    }

    /// Checks that a student's scenario stays within the limits: the same lab and seed, only
    /// the allowed knobs changed, the exercise's own faults kept, and only allowed actions
    /// added, no more than allowed.
    pub fn check(&self, student: &Scenario) -> Result<(), String> {
        let start = &self.start;
        if student.lab != start.lab {
            return Err(format!("this run is of the {} lab; the exercise is in the {} lab", student.lab, start.lab));
        }
        if student.seed != start.seed {
            return Err(format!("this run has seed {}; the exercise uses seed {}", student.seed, start.seed));
        }
        // Compared as the lab reads them: a knob written out at its default, or reset to it,
        // is the same knob left alone.
        let specs = crate::lab::find(&start.lab).map_or(&[][..], |info| info.params);
        let settings = |s: &Scenario| Params::resolve(specs, &s.params).map(|p| p.settings());
        let ours = settings(start)?;
        let theirs = settings(student)?;
        let base = |key: &str| key.rsplit('.').next().unwrap_or(key).to_string();
        let value = |all: &[(String, String)], key: &str| all.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        for (key, _) in theirs.iter().chain(ours.iter()) {
            if value(&theirs, key) != value(&ours, key) && !self.limits.knobs.contains(&base(key)) {
                return Err(format!("the exercise keeps `{key}` as it is"));
            }
        }
        // A live change that keeps a locked knob at the exercise's value changes nothing.
        let unchanged = |key: &str, to: &str| {
            let spec = specs.iter().find(|s| s.key == base(key));
            spec.and_then(|s| s.check(to).ok()) == value(&ours, key)
        };
        let mut added: Vec<&Fault> = Vec::new();
        let mut own = start.faults.iter().peekable();
        for fault in &student.faults {
            match own.peek() {
                Some(&wanted) if wanted == fault => {
                    own.next();
                }
                _ => added.push(fault),
            }
        }
        if let Some(dropped) = own.next() {
            return Err(format!("the exercise's own “{dropped}” must stay in the script"));
        }
        let mut actions = 0;
        for fault in added {
            match &fault.action {
                FaultAction::Set { key, .. } if self.limits.knobs.contains(&base(key)) => {}
                FaultAction::Set { key, value } if unchanged(key, value) => {}
                FaultAction::Set { key, .. } => return Err(format!("the exercise keeps `{key}` as it is")),
                action => {
                    let kind = action_kind(action);
                    if !self.limits.actions.contains(&kind) {
                        return Err(format!("“{fault}”: the exercise does not allow `{kind}`"));
                    }
                    actions += 1;
                }
            }
        }
        if actions > self.limits.max_actions {
            return Err(format!("{actions} actions added; the exercise allows {}", self.limits.max_actions));
        }
        Ok(())
    }

    /// Grades a student's scenario: within the limits, run to the deadline (or until the goal
    /// is decided) in 10 ms steps. `Ok(Status::Met)` or `Ok(Status::Missed)`; `Err` when the
    /// scenario is outside the limits or does not start.
    pub fn grade(&self, student: &Scenario) -> Result<Status, String> {
        let mut grading = self.start_grading(student)?;
        loop {
            if let Some(status) = grading.advance(u32::MAX) {
                return Ok(status);
            }
        }
    }

    /// Starts grading a student's scenario, to be advanced a slice at a time (a page does, so
    /// a long deadline never holds up a frame); [`Exercise::grade`] runs it in one go.
    pub fn start_grading(&self, student: &Scenario) -> Result<Grading, String> {
        self.check(student)?;
        let run = crate::lab::start(student).map_err(|e| e.to_string())?;
        Ok(Grading { exercise: self.clone(), run })
    }

    /// The `?x=` form.
    pub fn encode(&self) -> String {
        let mut bytes = alloc::vec![FORMAT_VERSION];
        bytes.extend(postcard::to_allocvec(self).unwrap_or_default());
        base64url::encode(&bytes)
    }

    /// Reads the `?x=` form, checking structure and size limits.
    pub fn decode(text: &str) -> Result<Exercise, ExerciseError> {
        let fail = |why: String| Err(ExerciseError(why));
        let text = text.trim();
        if text.is_empty() {
            return fail("it is empty".into());
        }
        if text.len() > MAX_ENCODED_LEN {
            return fail(format!("it is {} characters long (at most {MAX_ENCODED_LEN})", text.len()));
        }
        let bytes = base64url::decode(text).map_err(ExerciseError)?;
        let Some((&version, body)) = bytes.split_first() else { return fail("it is empty".into()) };
        if version != FORMAT_VERSION {
            return fail(format!(
                "it is in format version {version}, but this playground reads version {FORMAT_VERSION}"
            ));
        }
        let (exercise, rest) = postcard::take_from_bytes::<Exercise>(body)
            .map_err(|e| ExerciseError(crate::scenario::postcard_error(e, "an unknown kind of goal or fault")))?;
        if !rest.is_empty() {
            return fail(format!("{} unexpected bytes at the end", rest.len()));
        }
        if exercise.title.len() > MAX_TITLE || exercise.text.len() > MAX_BODY {
            return fail("its title or text is too long".into());
        }
        if exercise.limits.deadline > MAX_TIME {
            return fail("its deadline is past 24 hours".into());
        }
        if matches!(exercise.goal, Goal::Happen { value: 0, .. }) {
            return fail("its goal asks for something to happen zero times".into());
        }
        exercise.start.check_limits().map_err(|e| ExerciseError(e.to_string()))?;
        Ok(exercise)
    }
}

/// A grading in progress (see [`Exercise::start_grading`]).
pub struct Grading {
    exercise: Exercise,
    run: alloc::boxed::Box<dyn LabRun>,
}

impl Grading {
    /// Runs up to `steps` more 10 ms steps of the student's run; the status once the goal is
    /// decided: `Met` or `Missed`, never `Open`.
    pub fn advance(&mut self, steps: u32) -> Option<Status> {
        let deadline = self.exercise.limits.deadline;
        let step = 10 * crate::time::MICROS_PER_MS;
        for _ in 0..steps {
            let next = (self.run.now() + step).min(deadline);
            self.run.run_until(next);
            match self.exercise.status(self.run.as_ref()) {
                Status::Open if self.run.now() < deadline && self.run.stalled().is_none() => {}
                Status::Open => {
                    return Some(Status::Missed {
                        at: self.run.now(),
                        event: None,
                        why: "the run stopped early".into(),
                    })
                }
                decided => return Some(decided),
            }
        }
        None
    }

    /// For a goal that keeps a guarantee holding: why that guarantee is not judged yet in the
    /// run as it stands (after [`Grading::advance`] decided, at the deadline). A goal no
    /// student can meet, since nothing judges it by the deadline.
    pub fn unjudged(&self) -> Option<String> {
        match &self.exercise.goal {
            Goal::Hold { guarantee } => self.run.verdict(guarantee)?.pending.clone(),
            _ => None,
        }
    }

    /// How far the run has come toward the deadline, from 0 to 1.
    pub fn progress(&self) -> f64 {
        (self.run.now() as f64 / self.exercise.limits.deadline.max(1) as f64).min(1.0)
    }
}
