//! `playground exercise`: describes an exercise, lists the shipped ones, or grades a student's
//! run against one, so an instructor can grade submitted share links in bulk.
//!
//! Exit codes: 0 the run meets the goal within the limits, 3 it does not (or steps outside
//! the limits), 2 bad input (an unreadable link or a run that does not start).

use std::process::ExitCode;

use playground_core::exercise::{catalogue, Exercise, Status};
use playground_core::scenario::Scenario;
use playground_core::time::format_time;

use crate::args::ExerciseArgs;
use crate::{bad_input, EXIT_VIOLATED};

/// The value of `key` in a link's query (`…?x=ABC&embed=1` gives `ABC`), or the text itself
/// when it is not a link.
fn from_link<'a>(text: &'a str, key: &str) -> &'a str {
    let text = text.trim();
    let text = text.split_once('#').map_or(text, |(before, _)| before);
    let Some(query) = text.split_once('?').map(|(_, q)| q) else { return text };
    query.split('&').find_map(|pair| pair.strip_prefix(key).and_then(|rest| rest.strip_prefix('='))).unwrap_or(text)
}

fn load_exercise(source: &str) -> Result<Exercise, String> {
    let source = source.trim();
    if let Some(exercise) = catalogue::find(source) {
        return Ok(exercise);
    }
    let looks_like_an_id =
        source.contains('-') && source.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if looks_like_an_id {
        return Err(format!("there is no exercise called `{source}` (see `playground exercise --list`)"));
    }
    Exercise::decode(from_link(source, "x")).map_err(|e| e.to_string())
}

fn load_student(source: &str) -> Result<Scenario, String> {
    let text = match std::fs::read_to_string(source) {
        Ok(contents) => contents,
        Err(_) if source.contains("s=") || !source.contains(['/', '.']) => source.to_string(),
        Err(e) => return Err(format!("cannot read the student's link from `{source}`: {e}")),
    };
    Scenario::decode(from_link(&text, "s")).map_err(|e| format!("the student's link: {e}"))
}

fn describe(exercise: &Exercise) {
    say!("{}", exercise.title);
    say!("{}", exercise.text);
    say!("lab: {} (seed {})", exercise.start.lab, exercise.start.seed);
    say!("goal: {}", exercise.goal.words(exercise.limits.deadline));
    let limits = &exercise.limits;
    let knobs = if limits.knobs.is_empty() { "none".to_string() } else { limits.knobs.join(", ") };
    say!("knobs you may change: {knobs}");
    if limits.actions.is_empty() {
        say!("actions you may add: none");
    } else {
        say!("actions you may add: {} (at most {})", limits.actions.join(", "), limits.max_actions);
    }
    say!("link: ?x={}", exercise.encode());
}

pub fn exercise(args: &ExerciseArgs) -> ExitCode {
    if args.list {
        for (entry, exercise) in catalogue::all() {
            say!("{:<34} {:<13} {}", entry.id, entry.lab, exercise.title);
        }
        return ExitCode::SUCCESS;
    }
    let Some(source) = &args.exercise else {
        return bad_input("`exercise` needs an exercise link or id (see `playground exercise --list`)");
    };
    let exercise = match load_exercise(source) {
        Ok(exercise) => exercise,
        Err(message) => return bad_input(&message),
    };
    let Some(student) = &args.scenario else {
        describe(&exercise);
        return ExitCode::SUCCESS;
    };
    let student = match load_student(student) {
        Ok(student) => student,
        Err(message) => return bad_input(&message),
    };
    if let Err(why) = exercise.check(&student) {
        say!("not met: outside the exercise's limits: {why}");
        return ExitCode::from(EXIT_VIOLATED);
    }
    match exercise.grade(&student) {
        Ok(Status::Met { at, event }) => {
            let event = event.map_or(String::new(), |e| format!(" (event {e})"));
            say!("met: {} at {}{event}", exercise.goal.words(exercise.limits.deadline), format_time(at));
            ExitCode::SUCCESS
        }
        Ok(Status::Missed { at, event, why }) => {
            let event = event.map_or(String::new(), |e| format!(", event {e}"));
            say!("not met: {why} (at {}{event})", format_time(at));
            ExitCode::from(EXIT_VIOLATED)
        }
        Ok(Status::Open) => {
            say!("not met: undecided at the deadline");
            ExitCode::from(EXIT_VIOLATED)
        }
        Err(message) => bad_input(&message),
    }
}
