//! # playground-core
//!
//! The deterministic heart of the distributed systems playground: sans-I/O protocols, a
//! discrete-event simulator that owns time and randomness, a network model with all eight
//! fallacies as knobs, a trace with a stable digest, scenarios that travel as share links,
//! and guarantees checked as code.
//!
//! It is `#![no_std]` with `alloc`: it runs natively (the CLI), in wasm32 (the web app) and
//! on bare metal, and a scenario with a seed gives a bit-identical trace on all of them.
//! It knows nothing of any user interface.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod base64url;
pub mod crdt;
pub mod digest;
pub mod exercise;
pub mod export;
pub mod fault;
pub mod hardware_time;
pub mod history;
pub mod idmap;
pub mod invariant;
pub mod lab;
pub mod labs;
pub mod merkle;
pub mod metrics;
pub mod network;
pub mod process;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod sim;
pub mod sort;
pub mod time;
pub mod tour;
pub mod trace;

pub use fault::{Fault, FaultAction};
pub use lab::{LabInfo, LabRun};
pub use runner::Runner;
pub use scenario::{Scenario, ScenarioError};
