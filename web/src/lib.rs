//! # playground-web
//!
//! The browser face of the playground. It renders what `playground-core` did and sends the
//! person's actions back as scenario edits; it holds no simulation logic of its own.

mod app;
pub mod bridge;
mod dom;
mod home;
pub mod lab;
pub mod labs;
pub mod route;

pub use app::App;

/// Mounts the app on the page.
pub fn start() {
    console_error_panic_hook::set_once();
    yew::Renderer::<App>::new().render();
}
