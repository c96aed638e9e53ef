//! The home page: all eight labs, the ones not built yet saying what they will show.

use playground_core::lab;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HomeProps {
    pub error: Option<String>,
}

/// The shipped exercises, by lab, each marked when this browser has seen it solved.
fn exercises() -> Html {
    let all = playground_core::exercise::catalogue::all();
    let labs = lab::catalogue().iter().filter(|info| info.start.is_some()).filter_map(|info| {
        let items: Vec<Html> = all
            .iter()
            .filter(|(entry, _)| entry.lab == info.name)
            .map(|(entry, exercise)| {
                let solved = crate::lab::exercise::solved_before(exercise);
                html! {
                    <li data-exercise={entry.id}>
                        <a href={format!("?x={}", exercise.encode())}>{ exercise.title.clone() }</a>
                        if solved { <span class="solved">{ " ✓ solved" }</span> }
                    </li>
                }
            })
            .collect();
        (!items.is_empty()).then(|| html! { <li><h3>{ info.title }</h3><ul>{ for items }</ul></li> })
    });
    html! {
        <section class="exercise-catalogue" aria-labelledby="exercises-h">
            <h2 id="exercises-h">{ "Exercises" }</h2>
            <p>{ "Break a guarantee, then fix it. The lab checks the goal as you play; a met goal gives a link                   that shows your run to anyone, and " }<code>{ "playground exercise" }</code>{ " grades such links in bulk." }</p>
            <ul class="exercise-labs">{ for labs }</ul>
        </section>
    }
}

/// One guided tour per lab.
fn tours() -> Html {
    let items = playground_core::tour::TOURS.iter().map(|tour| {
        let lab = lab::find(tour.lab).map_or(tour.lab, |info| info.title);
        html! {
            <li data-tour={tour.id}>
                <a href={format!("?tour={}", tour.id)}>{ tour.title }</a>
                <span class="help">{ format!(" · {lab}, {} steps", tour.steps.len()) }</span>
            </li>
        }
    });
    html! {
        <section class="tour-catalogue" aria-labelledby="tours-h">
            <h2 id="tours-h">{ "Guided tours" }</h2>
            <p>{ "A few steps on the real simulation, each at a moment worth seeing, with what to look at. \
                  Take control at any step and come back to the tour." }</p>
            <ul class="tour-list">{ for items }</ul>
        </section>
    }
}

#[function_component]
pub fn Home(props: &HomeProps) -> Html {
    let cards = lab::catalogue().iter().filter(|info| info.listed).map(|info| {
        let body = html! {
            <>
                <h2>{ info.title }</h2>
                <p>{ info.summary }</p>
                if !info.available() { <p class="soon">{ "Not built yet." }</p> }
            </>
        };
        if !info.parts.is_empty() {
            let links = info.parts.iter().filter_map(|part| lab::find(part)).map(|part| {
                html! { <li><a href={format!("?lab={}", part.name)}>{ part.title.trim_start_matches("Consensus: ") }</a></li> }
            });
            html! { <li class="card available" data-lab={info.name}>{ body }<ul class="parts">{ for links }</ul></li> }
        } else if !info.variants.is_empty() && info.available() {
            let links = info.variants.iter().map(|&(label, key, value)| {
                let mut scenario = playground_core::Scenario::new(info.name, 1);
                scenario.set_param(key, value);
                html! { <li><a href={format!("?s={}", scenario.encode())}>{ label }</a></li> }
            });
            html! { <li class="card available" data-lab={info.name}>{ body }<ul class="parts">{ for links }</ul></li> }
        } else if info.available() {
            html! { <li class="card available" data-lab={info.name}><a href={format!("?lab={}", info.name)}>{ body }</a></li> }
        } else {
            html! { <li class="card soon" data-lab={info.name} aria-disabled="true">{ body }</li> }
        }
    });
    html! {
        <main class="home">
            <header>
                <h1>{ "Distributed Systems Playground" }</h1>
                <p>{ "Real, deterministic simulations you can poke: crash a node, cut a link, skew a clock, \
                      and watch which guarantees still hold. Every run is seeded; a link replays it exactly." }</p>
            </header>
            if let Some(error) = &props.error {
                <div class="notice" role="alert">{ error.clone() }</div>
            }
            <ol class="cards">{ for cards }</ol>
            { tours() }
            { exercises() }
            <footer><p>{ "Runs entirely in your browser. Nothing is sent anywhere." }</p></footer>
        </main>
    }
}
