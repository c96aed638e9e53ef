//! The app: reads the URL once and shows the home page or a lab.

use yew::prelude::*;

use crate::dom;
use crate::home::Home;
use crate::lab::LabPage;
use crate::route::{self, Route};

#[function_component]
pub fn App() -> Html {
    let route = use_memo((), |_| route::parse(&dom::query()));
    let reduced_motion = dom::prefers_reduced_motion();
    // Record when the first render landed, for the end-to-end budget probe.
    use_effect_with((), |_| {
        if let Some(body) = dom::window().and_then(|w| w.document()).and_then(|d| d.body()) {
            let _ = body.set_attribute("data-first-render-ms", &format!("{:.1}", dom::now_ms()));
        }
    });
    let class = classes!("app", reduced_motion.then_some("reduced-motion"));
    html! {
        <div class={class}>
            {
                match (*route).clone() {
                    Route::Home { error } => html! { <Home error={error} /> },
                    Route::Lab { scenario, embed, error } => html! { <LabPage scenario={scenario} embed={embed} error={error} /> },
                    Route::Tour { tour, step, embed } => match playground_core::tour::find(tour).map(|t| t.step(step).1.scenario(t.lab)) {
                        Some(Ok(scenario)) => html! { <LabPage scenario={scenario} embed={embed} error={None::<String>} tour={Some((tour, step))} /> },
                        _ => html! { <Home error={Some(format!("The tour “{tour}” cannot start."))} /> },
                    },
                    Route::Exercise { exercise, scenario, embed, error } => html! {
                        <LabPage scenario={scenario} embed={embed} error={error} exercise={Some(exercise)} />
                    },
                }
            }
        </div>
    }
}
