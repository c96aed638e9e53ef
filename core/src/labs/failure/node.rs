//! The failure handling lab's nodes as one sans-I/O process: a watched process or its
//! monitor; a lock service, a lease-holding client or the storage it writes to; a replica of
//! a leader-based service or its client; a payment server or a client retrying charges.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::leader::{PutClient, Replica};
use super::lease::{LeaseClient, LockService, Store};
use super::monitor::{Monitor, Watched};
use super::msg::Msg;
use super::retry::{Payer, PaymentServer};
use crate::process::{Ctx, Durable, Out, Process, TimerName};
use crate::time::Micros;
use crate::trace::NodeId;

pub use super::observe::{Detector, Obs};

/// The lab's four parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Detectors,
    Fencing,
    SplitBrain,
    Idempotency,
}

impl Part {
    pub const NAMES: [&'static str; 4] = ["detectors", "fencing", "split-brain", "idempotency"];

    pub fn parse(name: &str) -> Part {
        match name {
            "fencing" => Part::Fencing,
            "split-brain" => Part::SplitBrain,
            "idempotency" => Part::Idempotency,
            _ => Part::Detectors,
        }
    }
}

/// How a retrying client spreads its retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly the backoff: clients that failed together retry together.
    None,
    /// Uniform in [0, backoff] (AWS's "full jitter").
    Full,
    /// Half the backoff plus uniform in [0, half].
    Equal,
}

impl Jitter {
    pub const NAMES: [&'static str; 3] = ["none", "full", "equal"];

    pub fn parse(name: &str) -> Jitter {
        match name {
            "none" => Jitter::None,
            "equal" => Jitter::Equal,
            _ => Jitter::Full,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Watched { index: u8 },
    Monitor,
    LockService,
    LeaseClient { index: u8 },
    Store,
    Replica { index: u8 },
    PutClient { index: u8 },
    Server,
    Payer { index: u8 },
}

/// The thresholds and timeouts the monitor sweeps for the trade-off curve.
pub const PHI_SWEEP: [f64; 8] = [0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 16.0];
/// The fixed timeouts swept, in tenths of the heartbeat interval (1.5 to 20 intervals).
pub const TIMEOUT_SWEEP: [u64; 8] = [15, 20, 25, 30, 40, 60, 100, 200];

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub part: Part,
    pub kind: Kind,
    /// The monitor, the lock service, or the payment server.
    pub hub: NodeId,
    /// The watched processes; the storage; or the replicas.
    pub servers: Vec<NodeId>,
    pub clients: Vec<NodeId>,
    /// Clients start nothing after this.
    pub stop: Micros,
    pub think: Micros,
    pub timeout: Micros,
    // Detectors.
    pub interval: Micros,
    pub gc: Micros,
    pub gc_every: Micros,
    pub threshold: f64,
    pub fixed_timeout: Micros,
    pub max_samples: usize,
    pub min_std_dev_ms: f64,
    pub acceptable_pause_ms: f64,
    pub check: Micros,
    // Leases.
    pub lease: Micros,
    pub margin: Micros,
    pub fencing: bool,
    /// This node's clock runs slow by this many parts per million.
    pub drift_ppm: u64,
    /// Between checking the lease and the write leaving.
    pub work: Micros,
    // Split brain.
    pub quorum: bool,
    pub election: Micros,
    // Idempotency.
    pub keys: bool,
    pub backoff: Micros,
    pub jitter: Jitter,
    pub retries: u8,
}

/// What a node keeps on disk (each role uses its own part).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stable {
    /// The lock service's last token; storage's highest token seen; a replica's epoch; a
    /// client's next request number.
    pub counter: u64,
    /// A replica's vote: (epoch, for whom).
    pub voted: Option<(u64, NodeId)>,
    /// Storage's value, or a replica's count of stored writes.
    pub value: u32,
    /// The payment server's idempotency keys: (client, request) done.
    pub keys: alloc::collections::BTreeSet<(NodeId, u32)>,
}

#[derive(Clone, Debug)]
pub enum Change {
    Counter(u64),
    Voted(u64, NodeId),
    Value(u32),
    Key(NodeId, u32),
}

impl Durable for Stable {
    type Change = Change;
    fn apply(&mut self, change: Change) {
        match change {
            Change::Counter(c) => self.counter = c,
            Change::Voted(epoch, node) => self.voted = Some((epoch, node)),
            Change::Value(v) => self.value = v,
            Change::Key(client, key) => {
                self.keys.insert((client, key));
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    Beat,
    Check,
    Acquire,
    Work,
    Send,
    Election,
    Heartbeat,
    Next,
    Timeout(u32, u8),
    Retry(u32),
}

impl TimerName for Timer {
    fn label(&self) -> &'static str {
        match self {
            Timer::Beat => "heartbeat",
            Timer::Check => "check detectors",
            Timer::Acquire => "acquire the lease",
            Timer::Work => "next write",
            Timer::Send => "write leaves",
            Timer::Election => "election timeout",
            Timer::Heartbeat => "leader heartbeat",
            Timer::Next => "next request",
            Timer::Timeout(..) => "request timeout",
            Timer::Retry(_) => "retry",
        }
    }
}

#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Role {
    Watched(Watched),
    Monitor(Monitor),
    LockService(LockService),
    LeaseClient(LeaseClient),
    Store(Store),
    Replica(Replica),
    PutClient(PutClient),
    Server(PaymentServer),
    Payer(Payer),
}

#[derive(Clone, Debug)]
pub struct State {
    pub role: Role,
}

/// Commands an operator can give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// A client starts a request (or a lease holder a write) now.
    Request,
    /// A replica stands for election now.
    Elect,
}

macro_rules! each_role {
    ($role:expr, $r:ident => $body:expr) => {
        match $role {
            Role::Watched($r) => $body,
            Role::Monitor($r) => $body,
            Role::LockService($r) => $body,
            Role::LeaseClient($r) => $body,
            Role::Store($r) => $body,
            Role::Replica($r) => $body,
            Role::PutClient($r) => $body,
            Role::Server($r) => $body,
            Role::Payer($r) => $body,
        }
    };
}

impl Process for State {
    type Msg = Msg;
    type Timer = Timer;
    type Stable = Stable;
    type Obs = Obs;
    type Config = Config;
    type Command = Command;

    fn boot(me: NodeId, config: &Config, stable: &Stable) -> Self {
        let (c, s) = (config.clone(), stable.clone());
        let role = match config.kind {
            Kind::Watched { .. } => Role::Watched(Watched::new(c)),
            Kind::Monitor => Role::Monitor(Monitor::new(c)),
            Kind::LockService => Role::LockService(LockService::boot(c, s)),
            Kind::LeaseClient { index } => Role::LeaseClient(LeaseClient::new(index, c)),
            Kind::Store => Role::Store(Store::boot(c, s)),
            Kind::Replica { .. } => Role::Replica(Replica::boot(me, c, s)),
            Kind::PutClient { index } => Role::PutClient(PutClient::boot(index, c, s)),
            Kind::Server => Role::Server(PaymentServer::boot(c, s)),
            Kind::Payer { index } => Role::Payer(Payer::boot(index, c, s)),
        };
        State { role }
    }

    fn on_start(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        each_role!(&mut self.role, r => r.start(ctx, out))
    }

    fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        each_role!(&mut self.role, r => r.on_message(ctx, from, msg, out))
    }

    fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<Self>) {
        each_role!(&mut self.role, r => r.on_timer(ctx, timer, out))
    }

    fn parse_command(
        config: &Config,
        text: &str,
        _resolve: &dyn Fn(&str) -> Option<NodeId>,
    ) -> Result<Command, String> {
        match (config.kind, text.trim()) {
            (Kind::LeaseClient { .. } | Kind::PutClient { .. } | Kind::Payer { .. }, "request") => Ok(Command::Request),
            (Kind::LeaseClient { .. } | Kind::PutClient { .. } | Kind::Payer { .. }, _) => {
                Err(format!("unknown command `{text}` (clients take: request)"))
            }
            (Kind::Replica { .. }, "elect") => Ok(Command::Elect),
            (Kind::Replica { .. }, _) => Err(format!("unknown command `{text}` (replicas take: elect)")),
            _ => Err("this node takes no commands".into()),
        }
    }

    fn on_command(&mut self, ctx: &Ctx, command: Command, out: &mut Out<Self>) {
        match (&mut self.role, command) {
            (Role::LeaseClient(c), Command::Request) => c.request(ctx, out),
            (Role::PutClient(c), Command::Request) => c.request(ctx, out),
            (Role::Payer(c), Command::Request) => c.request(ctx, out),
            (Role::Replica(r), Command::Elect) => r.stand(ctx, out),
            _ => {}
        }
    }

    fn reconfigure(&mut self, config: &Config) {
        each_role!(&mut self.role, r => r.config = config.clone())
    }

    fn describe(&self) -> Vec<String> {
        each_role!(&self.role, r => r.describe())
    }

    fn glyph(&self) -> crate::sim::Glyph {
        match &self.role {
            Role::Replica(r) => r.glyph(),
            _ => crate::sim::Glyph::default(),
        }
    }
}
