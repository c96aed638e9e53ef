//! Every lab has a guided tour, and every step's story is still true: each step's scenario is
//! replayed to its moment and its expectations are checked.

use playground_core::lab;
use playground_core::tour::{self, TOURS};

#[test]
fn every_lab_has_a_tour() {
    for info in lab::catalogue().iter().filter(|i| i.available() && i.parts.is_empty()) {
        let tour = tour::for_lab(info.name).unwrap_or_else(|| panic!("the {} lab has no tour", info.name));
        assert!(tour.steps.len() >= 3, "{}: a tour has at least three steps", tour.id);
        assert_eq!(tour::find(tour.id).map(|t| t.lab), Some(info.name));
    }
}

#[test]
fn every_step_tells_a_short_story() {
    for tour in TOURS {
        for (i, step) in tour.steps.iter().enumerate() {
            let sentences = step.text.matches(". ").count() + 1;
            assert!((1..=3).contains(&sentences), "{} step {}: {} sentences", tour.id, i + 1, sentences);
            assert!(!step.expect.is_empty(), "{} step {}: its story pins nothing", tour.id, i + 1);
            assert!(step.scenario(tour.lab).is_ok(), "{} step {}: {:?}", tour.id, i + 1, step.scenario(tour.lab));
        }
    }
}

#[test]
fn every_step_replays_its_story() {
    let failures: Vec<String> = TOURS
        .iter()
        .flat_map(|tour| {
            tour.steps.iter().enumerate().filter_map(move |(i, step)| {
                step.replay(tour.lab).err().map(|e| format!("{} step {} “{}”: {e}", tour.id, i + 1, step.title))
            })
        })
        .collect();
    assert!(failures.is_empty(), "{} tour steps no longer tell their story:\n{}", failures.len(), failures.join("\n"));
}
