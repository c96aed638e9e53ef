//! A lab page: the shared layout every lab uses, and its state.

mod author;
mod canvas;
pub(crate) mod charts;
mod controls;
pub mod exercise;
pub(crate) mod explain;
mod export;
mod flight_layer;
mod glyph;
mod keys;
mod knobs;
mod label_room;
mod log;
mod page;
mod panels;
mod probe;
pub(crate) mod sliced;
pub mod state;
mod timeline;
mod tools;
mod tour;

pub use page::{LabPage, LabPageProps};
