//! The URL contract that course pages depend on:
//!
//! * `?lab=<name>` opens a lab with its defaults;
//! * `?s=<encoded scenario>` replays that exact scenario (lab, parameters, seed, faults and
//!   the moment shown);
//! * `?tour=<lab>&step=<n>` opens a lab's guided tour at step n (from 1);
//! * `&embed=1` gives minimal chrome for an iframe;
//! * a malformed `s` or an unknown `lab` shows a clear error and falls back to the lab's
//!   defaults or the home page. Nothing here can panic.

use std::rc::Rc;

use playground_core::exercise::Exercise;
use playground_core::lab;
use playground_core::scenario::Scenario;

/// Where the URL sends the person.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    Home {
        error: Option<String>,
    },
    Lab {
        scenario: Scenario,
        embed: bool,
        error: Option<String>,
    },
    /// An exercise (`?x=`), from its start or from a student's run of it (`&s=`).
    Exercise {
        exercise: Rc<Exercise>,
        scenario: Scenario,
        embed: bool,
        error: Option<String>,
    },
    /// A guided tour (`?tour=`), at a step counted from 0.
    Tour {
        tour: &'static str,
        step: usize,
        embed: bool,
    },
}

/// Decodes `%XX` and `+` in a query value.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of `key` in a query string like `?lab=network&embed=1`.
pub fn query_value(query: &str, key: &str) -> Option<String> {
    query.trim_start_matches('?').split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k) == key).then(|| percent_decode(v))
    })
}

fn lab_defaults(name: &str) -> Result<Scenario, String> {
    match lab::find(name) {
        Some(info) if !info.parts.is_empty() => Ok(Scenario::new(info.parts[0], 1)),
        Some(info) if info.available() => Ok(Scenario::new(info.name, 1)),
        Some(info) => Err(format!("The {} lab is not built yet.", info.title)),
        None => Err(format!("There is no lab called “{name}”.")),
    }
}

pub fn parse(query: &str) -> Route {
    let embed = query_value(query, "embed").is_some_and(|v| v == "1" || v == "true");
    let lab_name = query_value(query, "lab");
    if let Some(id) = query_value(query, "tour") {
        return match playground_core::tour::find(&id) {
            Some(tour) => {
                let step = query_value(query, "step").and_then(|n| n.parse::<usize>().ok()).unwrap_or(1);
                let (step, _) = tour.step(step.saturating_sub(1));
                Route::Tour { tour: tour.id, step, embed }
            }
            None => Route::Home { error: Some(format!("There is no tour called “{id}”.")) },
        };
    }
    if let Some(encoded) = query_value(query, "x") {
        let exercise = match Exercise::decode(&encoded) {
            Ok(exercise) => Rc::new(exercise),
            Err(e) => return Route::Home { error: Some(format!("{e}.")) },
        };
        // A student's run of it, handed in as proof, opens where they left it; a damaged one
        // opens the exercise's start and says why.
        let (scenario, error) = match query_value(query, "s").map(|s| Scenario::decode(&s)) {
            None => (exercise.start.clone(), None),
            Some(Ok(run)) if run.lab == exercise.start.lab && lab::start(&run).is_ok() => (run, None),
            Some(Ok(_)) => {
                (exercise.start.clone(), Some("This run is not of the exercise's lab; showing its start.".into()))
            }
            Some(Err(e)) => (
                exercise.start.clone(),
                Some(format!("This run's link is damaged: {e}. Showing the exercise's start.")),
            ),
        };
        if let Err(e) = lab::start(&exercise.start) {
            return Route::Home { error: Some(format!("This exercise cannot start: {e}.")) };
        }
        return Route::Exercise { exercise, scenario, embed, error };
    }
    if let Some(encoded) = query_value(query, "s") {
        let problem = match Scenario::decode(&encoded) {
            Ok(scenario) => match lab::start(&scenario) {
                Ok(_) => return Route::Lab { scenario, embed, error: None },
                Err(e) => format!("This link could not be replayed: {e}."),
            },
            Err(e) => format!("This link is damaged: {e}."),
        };
        let fallback = lab_name.or_else(|| Scenario::decode(&encoded).ok().map(|s| s.lab));
        return match fallback.as_deref().map(lab_defaults) {
            Some(Ok(scenario)) => {
                Route::Lab { scenario, embed, error: Some(format!("{problem} Showing the lab's defaults instead.")) }
            }
            _ => Route::Home { error: Some(problem) },
        };
    }
    match lab_name {
        Some(name) => match lab_defaults(&name) {
            Ok(scenario) => Route::Lab { scenario, embed, error: None },
            Err(problem) => Route::Home { error: Some(problem) },
        },
        None => Route::Home { error: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_and_embed() {
        assert_eq!(
            parse("?lab=network&embed=1"),
            Route::Lab { scenario: Scenario::new("network", 1), embed: true, error: None }
        );
        assert_eq!(parse(""), Route::Home { error: None });
    }

    #[test]
    fn unknown_lab_goes_home_with_a_reason() {
        let Route::Home { error: Some(e) } = parse("?lab=nope") else { panic!() };
        assert!(e.contains("no lab called"));
        // Every lab in the catalogue is built: each name opens its lab.
        assert!(matches!(parse("?lab=failure"), Route::Lab { .. }), "{:?}", parse("?lab=failure"));
    }

    #[test]
    fn exercise_links_open_the_exercise_or_say_why_not() {
        let exercise = playground_core::exercise::catalogue::find("paxos-end-the-duel").unwrap();
        let x = exercise.encode();
        let Route::Exercise { scenario, error: None, embed: true, .. } = parse(&format!("?x={x}&embed=1")) else {
            panic!("{:?}", parse(&format!("?x={x}&embed=1")))
        };
        assert_eq!(scenario, exercise.start, "it opens at the exercise's start");
        let mut run = exercise.start.clone();
        run.set_param("contention", "backoff");
        let Route::Exercise { scenario, .. } = parse(&format!("?x={x}&s={}", run.encode())) else { panic!() };
        assert_eq!(scenario, run, "a student's run opens where they left it");
        let Route::Exercise { scenario, error: Some(e), .. } = parse(&format!("?x={x}&s=AAAA")) else { panic!() };
        assert!(e.contains("damaged") && scenario == exercise.start, "{e}");
        let Route::Home { error: Some(e) } = parse("?x=AAAA") else { panic!() };
        assert!(e.starts_with("this exercise link cannot be read"), "{e}");
    }

    #[test]
    fn tour_links_open_a_step_or_say_why_not() {
        assert_eq!(parse("?tour=raft&step=3&embed=1"), Route::Tour { tour: "raft", step: 2, embed: true });
        assert_eq!(parse("?tour=raft"), Route::Tour { tour: "raft", step: 0, embed: false });
        assert_eq!(parse("?tour=raft&step=99"), Route::Tour { tour: "raft", step: 4, embed: false }, "clamped");
        assert_eq!(parse("?tour=raft&step=x"), Route::Tour { tour: "raft", step: 0, embed: false });
        let Route::Home { error: Some(e) } = parse("?tour=nope") else { panic!() };
        assert!(e.contains("no tour called"), "{e}");
    }

    #[test]
    fn share_link_round_trip_and_damage() {
        let mut s = Scenario::new("network", 9);
        s.set_param("loss", "25");
        s.at = 1_500_000;
        assert_eq!(parse(&format!("?s={}", s.encode())), Route::Lab { scenario: s.clone(), embed: false, error: None });
        let Route::Home { error: Some(e) } = parse("?s=%%%garbage") else { panic!() };
        assert!(e.contains("damaged"), "{e}");
        let Route::Lab { error: Some(e), .. } = parse("?lab=network&s=AAAA") else { panic!() };
        assert!(e.contains("defaults"), "{e}");
        s.set_param("loss", "900");
        let Route::Lab { error: Some(e), scenario, .. } = parse(&format!("?s={}", s.encode())) else { panic!() };
        assert!(e.contains("between 0 and 100"), "{e}");
        assert!(scenario.params.is_empty());
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(query_value("?a=%41%2", "a").as_deref(), Some("A%2"));
        assert_eq!(query_value("?a=x+y&b", "b").as_deref(), Some(""));
        assert_eq!(query_value("?a=%zz%", "a").as_deref(), Some("%zz%"));
    }
}
