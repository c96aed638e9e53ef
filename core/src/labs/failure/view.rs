//! The failure handling lab's own picture: phi over time per process with the threshold,
//! heartbeats as ticks and each detector's suspicions; the trade-off curve; leases as the
//! lock service granted them and as their holders believed them, with every write; the
//! replicas' epochs and leaders; the payment server's load.

use alloc::string::String;
use alloc::vec::Vec;

use super::node::Detector;
use crate::metrics::Series;
use crate::time::Micros;
use crate::trace::NodeId;

/// One watched process over the plot's window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcessTrace {
    pub node: NodeId,
    pub name: String,
    pub up: bool,
    /// (time, phi) samples.
    pub phi: Vec<(Micros, f32)>,
    /// Heartbeat arrivals at the monitor.
    pub beats: Vec<Micros>,
    /// The main detectors' suspicions: (detector, from, until; `None`: still).
    pub suspicions: Vec<(Detector, Micros, Option<Micros>)>,
    /// Crashes: (from, until).
    pub crashes: Vec<(Micros, Option<Micros>)>,
}

/// One detector setting on the trade-off curve.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvePoint {
    pub detector: Detector,
    /// The threshold (phi) or the timeout in ms (fixed).
    pub setting: f64,
    /// False suspicions per process-hour of the processes being up.
    pub false_per_hour: f64,
    /// Mean detection time over the crashes detected, in ms.
    pub detection_ms: Option<f64>,
    pub detected: u32,
    /// Whether this is the knob's setting.
    pub current: bool,
}

/// A lease as granted, and as its holder believed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseBar {
    pub client: NodeId,
    pub token: u64,
    pub from: Micros,
    pub until: Micros,
    pub believed_until: Option<Micros>,
}

/// A write that reached storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteDot {
    pub client: NodeId,
    pub token: u64,
    pub value: u32,
    pub at: Micros,
    pub accepted: bool,
    /// Accepted from a client whose lease had ended and been granted to another.
    pub stale: bool,
}

/// A replica of the split-brain service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaView {
    pub node: NodeId,
    pub name: String,
    pub up: bool,
    pub epoch: u64,
    pub leading: bool,
    pub stored: u32,
    pub acknowledged: u32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailureView {
    pub part: &'static str,
    pub now: Micros,
    pub window: Micros,
    pub threshold: f64,
    pub fixed_timeout: Micros,
    pub processes: Vec<ProcessTrace>,
    pub curve: Vec<CurvePoint>,
    pub leases: Vec<LeaseBar>,
    pub writes: Vec<WriteDot>,
    pub names: Vec<String>,
    /// Storage's value and highest token.
    pub store: Option<(u32, u64)>,
    pub replicas: Vec<ReplicaView>,
    /// Each epoch's leaders, in order (more than one is split brain).
    pub leaders: Vec<(u64, Vec<NodeId>)>,
    /// First tries and retries the clients sent, per 100 ms.
    pub load: Option<(Series, Series)>,
}
