//! The Clocks lab's knobs and how they become nodes.

use alloc::format;
use alloc::vec::Vec;

use super::node::{Config, Role};
use crate::lab::{int_param as int, ParamGroup, ParamKind, ParamSpec, Params};
use crate::network::NetParams;
use crate::rng::Rng;
use crate::sim::{NodeRole, NodeSetup};
use crate::time::{Micros, MICROS_PER_MS};
use crate::trace::NodeId;

pub static PARAMS: &[ParamSpec] = &[
    int("processes", "Processes", (2, 8, "nodes"), "4", "How many processes exchange messages.", false, false)
        .in_group(ParamGroup::Cluster),
    int(
        "max_skew_ms",
        "Initial skew",
        (0, 1_000, "ms"),
        "20",
        "Clocks start up to this far from true time, either way.",
        false,
        false,
    )
    .in_group(ParamGroup::Faults),
    int("max_drift_ppm", "Drift", (0, 1_000, "ppm"), "50", "Clocks run fast or slow by up to this rate.", false, false)
        .in_group(ParamGroup::Faults),
    int(
        "sync_ms",
        "NTP interval",
        (0, 60_000, "ms"),
        "2000",
        "How often each process syncs with the time server; 0 never.",
        false,
        true,
    ),
    int(
        "ntp_region",
        "Time server region",
        (0, 2, ""),
        "1",
        "0 is the processes' datacenter; farther means longer, less certain round trips.",
        false,
        false,
    ),
    int(
        "jitter",
        "Jitter",
        (0, 200, "% of latency"),
        "20",
        "Uneven delays make NTP's round trips asymmetric.",
        false,
        true,
    )
    .in_group(ParamGroup::Network),
    int("events", "Event rate", (1, 200, "per s"), "5", "Events per second at each process.", false, true)
        .in_group(ParamGroup::Workload),
    int("send", "Sends", (0, 100, "%"), "50", "Share of events that send a message to another process.", false, true)
        .in_group(ParamGroup::Workload),
    int(
        "txn_rate",
        "Transactions",
        (0, 100, "per s"),
        "4",
        "TrueTime transactions per second at each process.",
        false,
        true,
    )
    .in_group(ParamGroup::Workload),
    ParamSpec {
        key: "commit_wait",
        label: "Commit-wait",
        kind: ParamKind::Bool,
        default: "on",
        help: "Wait until TT.after(s) before acknowledging a commit.",
        per_node: false,
        live: true,
        when: None,
        group: ParamGroup::Protocol,
    },
    int(
        "assumed_drift_ppm",
        "Assumed drift",
        (0, 1_000, "ppm"),
        "200",
        "The worst drift a node assumes when widening ε.",
        false,
        true,
    ),
    int(
        "epsilon_pct",
        "ε scale",
        (10, 400, "%"),
        "100",
        "Below 100 % the nodes understate their uncertainty.",
        false,
        true,
    ),
    int(
        "epsilon_floor_us",
        "ε floor",
        (0, 60_000_000, "µs"),
        "0",
        "ε is at least this. The hardware panel's “Use in the simulation” sets it from this machine's real clock.",
        false,
        true,
    ),
];

/// Processes p1..pN, then the time server `ntp`.
pub fn node_setups(params: &Params, seed: u64) -> Vec<NodeSetup<Config>> {
    let count = params.int("processes") as usize;
    let max_skew = params.int("max_skew_ms") * MICROS_PER_MS as i64;
    let max_drift = params.int("max_drift_ppm");
    let mut rng = Rng::seeded(seed ^ 0xC10C_C10C);
    let processes: Vec<NodeId> = (0..count as NodeId).collect();
    let time_server = count as NodeId;
    let mut setups = Vec::new();
    for index in 0..=count {
        let is_server = index == count;
        let spread = |rng: &mut Rng, bound: i64| rng.below(2 * bound as u64 + 1) as i64 - bound;
        let config = Config {
            role: if is_server { Role::TimeServer } else { Role::Process { index, count } },
            initial_offset: if is_server { 0 } else { spread(&mut rng, max_skew) },
            drift_ppm: if is_server { 0 } else { spread(&mut rng, max_drift) },
            processes: processes.clone(),
            time_server,
            events_per_sec: 0,
            send_percent: 0,
            sync_interval: 0,
            txns_per_sec: 0,
            commit_wait: false,
            initial_epsilon: max_skew,
            assumed_drift_ppm: 0,
            epsilon_percent: 100,
            epsilon_floor: 0,
        };
        let mut config = config;
        refresh_config(&mut config, params);
        setups.push(NodeSetup {
            name: if is_server { "ntp".into() } else { format!("p{}", index + 1) },
            role: if is_server { NodeRole::TimeServer } else { NodeRole::Process },
            config,
            region: if is_server { params.int("ntp_region") as u8 } else { 0 },
            version: 1,
            cpu_cost: 0,
            present: true,
        });
    }
    setups
}

/// Re-reads the knobs that may change mid-run.
pub fn refresh_config(config: &mut Config, params: &Params) {
    config.events_per_sec = params.int("events") as u32;
    config.send_percent = params.int("send") as u32;
    config.sync_interval = params.int("sync_ms") as Micros * MICROS_PER_MS;
    config.txns_per_sec = params.int("txn_rate") as u32;
    config.commit_wait = params.flag("commit_wait");
    config.assumed_drift_ppm = params.int("assumed_drift_ppm");
    config.epsilon_percent = params.int("epsilon_pct");
    config.epsilon_floor = params.int("epsilon_floor_us");
}

pub fn net_params(params: &Params) -> NetParams {
    NetParams { jitter_percent: params.int("jitter") as u32, ..NetParams::default() }
}
