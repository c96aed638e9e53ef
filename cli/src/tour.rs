//! `playground tour <lab>`: a lab's guided tour as text, each step with its share link, and
//! every step replayed to check that its story still holds.

use std::process::ExitCode;

use playground_core::tour::{self, TOURS};

use crate::args::TourArgs;
use crate::{bad_input, EXIT_VIOLATED};

pub fn tour(args: &TourArgs) -> ExitCode {
    if args.list || args.tour.is_none() {
        for tour in TOURS {
            say!("{:<14} {} steps  {}", tour.id, tour.steps.len(), tour.title);
        }
        return ExitCode::SUCCESS;
    }
    let id = args.tour.as_deref().unwrap_or_default();
    let Some(tour) = tour::find(id) else {
        let ids: Vec<&str> = TOURS.iter().map(|t| t.id).collect();
        return bad_input(&format!("there is no tour “{id}”; the tours are {}", ids.join(", ")));
    };
    say!("{} ({} lab, {} steps)", tour.title, tour.lab, tour.steps.len());
    let mut broken = 0;
    for (i, step) in tour.steps.iter().enumerate() {
        say!("\n{}. {}  (look at {})", i + 1, step.title, step.focus.words());
        say!("   {}", step.text);
        match step.scenario(tour.lab) {
            Ok(scenario) => say!("   ?s={}", scenario.encode()),
            Err(e) => say!("   (this step cannot be built: {e})"),
        }
        if let Err(e) = step.replay(tour.lab) {
            broken += 1;
            say!("   STORY BROKEN: {e}");
        }
    }
    if broken > 0 {
        say!("\n{broken} of {} steps no longer tell their story", tour.steps.len());
        return ExitCode::from(EXIT_VIOLATED);
    }
    ExitCode::SUCCESS
}
