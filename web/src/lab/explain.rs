//! The explain panel's shared frame: the concept in our own words, and things to try. Each
//! lab's text lives in its own module (`crate::labs::<lab>::explain`).

use yew::prelude::*;

/// An explain panel from paragraphs and "try this" steps.
pub fn panel(paragraphs: &[&str], steps: &[&str]) -> Html {
    html! {
        <section class="panel explain" aria-labelledby="explain-h">
            <h2 id="explain-h">{ "What is going on" }</h2>
            { for paragraphs.iter().map(|p| html! { <p>{ *p }</p> }) }
            <h3>{ "Try this" }</h3>
            <ol>{ for steps.iter().map(|s| html! { <li>{ *s }</li> }) }</ol>
        </section>
    }
}
