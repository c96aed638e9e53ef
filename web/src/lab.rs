//! A lab page: the shared layout every lab uses, and its state.

mod canvas;
mod charts;
mod controls;
mod explain;
mod hardware;
mod keys;
mod knobs;
mod log;
mod page;
mod panels;
mod probe;
mod raftview;
mod registry;
mod spacetime;
pub mod state;
mod tools;

pub use page::{LabPage, LabPageProps};
