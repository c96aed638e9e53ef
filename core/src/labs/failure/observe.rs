//! What the failure handling lab's nodes tell its checkers, metrics and view: typed, hashed
//! into the digest, rendered to text only when someone reads the trace.

use alloc::format;
use alloc::string::String;

use crate::process::{ObsClass, Observation};
use crate::time::{format_duration, Micros};
use crate::trace::NodeId;

/// The two failure detectors the monitor runs side by side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Detector {
    Phi,
    Fixed,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Obs {
    /// A watched process stalls (a garbage-collection pause) and sends nothing meanwhile.
    GcPause {
        span: Micros,
    },
    /// A detector instance changed its mind about `process` (instance 0 runs at the knobs'
    /// threshold or timeout; the others at the sweep's, for the trade-off curve).
    Verdict {
        process: NodeId,
        detector: Detector,
        instance: u8,
        suspect: bool,
    },
    /// The lock service granted the lease until `until` (its own clock).
    Granted {
        client: NodeId,
        token: u64,
        until: Micros,
    },
    /// A client holds the lease and believes it lasts until `until` (true time).
    Holds {
        token: u64,
        until: Micros,
    },
    /// Storage accepted or refused a write.
    Accepted {
        client: NodeId,
        token: u64,
        value: u32,
        sent: Micros,
    },
    Refused {
        client: NodeId,
        token: u64,
        value: u32,
    },
    /// A replica leads an epoch, or stops leading.
    Leader {
        epoch: u64,
    },
    SteppedDown {
        epoch: u64,
    },
    /// A leader acknowledged a client's write.
    Acked {
        epoch: u64,
        client: NodeId,
        id: u32,
    },
    /// The payment server received a charge, applied it, or recognised its key.
    Received {
        attempt: u8,
    },
    /// A client sent try `attempt` of a charge.
    Tried {
        attempt: u8,
    },
    Charged {
        client: NodeId,
        key: u32,
        attempt: u8,
    },
    Deduplicated {
        client: NodeId,
        key: u32,
        attempt: u8,
    },
    /// A client sends a request, and how it ended (`None`: it gave up).
    Submitted {
        id: u32,
    },
    Finished {
        id: u32,
        ok: Option<bool>,
    },
}

impl Observation for Obs {
    fn class(&self) -> ObsClass {
        match self {
            Obs::Submitted { .. } => ObsClass::ClientRequest,
            Obs::Finished { .. } => ObsClass::ClientResponse,
            _ => ObsClass::StateChange,
        }
    }

    fn text(&self, names: &dyn Fn(NodeId) -> String) -> String {
        match *self {
            Obs::GcPause { span } => format!("garbage collection: stalls for {}", format_duration(span)),
            Obs::Verdict { process, detector, instance, suspect } => format!(
                "{} {} {}{}",
                match detector {
                    Detector::Phi => "phi accrual",
                    Detector::Fixed => "fixed timeout",
                },
                if suspect { "suspects" } else { "trusts again" },
                names(process),
                if instance == 0 { String::new() } else { format!(" (sweep {instance})") }
            ),
            Obs::Granted { client, token, until } => {
                format!("grants {} token {token} until {}", names(client), format_duration(until))
            }
            Obs::Holds { token, until } => format!("holds token {token}, believes until {}", format_duration(until)),
            Obs::Accepted { client, token, value, .. } => {
                format!("stored v{value} from {} (token {token})", names(client))
            }
            Obs::Refused { client, token, value } => {
                format!("refused v{value} from {}: token {token} is stale", names(client))
            }
            Obs::Leader { epoch } => format!("leads epoch {epoch}"),
            Obs::SteppedDown { epoch } => format!("stops leading epoch {epoch}"),
            Obs::Acked { epoch, client, id } => format!("acknowledged {}'s w{id} in epoch {epoch}", names(client)),
            Obs::Received { attempt } => format!("received a charge (try {attempt})"),
            Obs::Tried { attempt } => format!("sends try {attempt}"),
            Obs::Charged { client, key, attempt } => format!("charged {}'s #{key} (try {attempt})", names(client)),
            Obs::Deduplicated { client, key, attempt } => {
                format!("{}'s #{key} (try {attempt}) already done: answered from its key", names(client))
            }
            Obs::Submitted { id } => format!("sends #{id}"),
            Obs::Finished { id, ok: Some(true) } => format!("#{id} done"),
            Obs::Finished { id, ok: Some(false) } => format!("#{id} refused"),
            Obs::Finished { id, ok: None } => format!("#{id} given up"),
        }
    }
}
