//! The Network lab's knobs and how they become nodes, configurations and network settings.

use alloc::format;
use alloc::vec::Vec;

use super::node::{Config, Role};
use crate::lab::{int_param as int, ParamGroup, ParamKind, ParamSpec, Params};
use crate::network::{Attacker, NetParams};
use crate::sim::{NodeRole, NodeSetup};
use crate::time::{Micros, MICROS_PER_MS};
use crate::trace::NodeId;

const fn flag(
    key: &'static str,
    label: &'static str,
    default: &'static str,
    help: &'static str,
    per_node: bool,
) -> ParamSpec {
    ParamSpec {
        key,
        label,
        kind: ParamKind::Bool,
        default,
        help,
        per_node,
        live: true,
        when: None,
        group: ParamGroup::Protocol,
    }
}

pub static PARAMS: &[ParamSpec] = &[
    int("clients", "Clients", (1, 8, "nodes"), "2", "How many clients send requests.", false, false)
        .in_group(ParamGroup::Workload),
    int("servers", "Servers", (1, 8, "nodes"), "3", "How many servers share the accounts between them.", false, false)
        .in_group(ParamGroup::Cluster),
    int(
        "spares",
        "Spare servers",
        (0, 4, "nodes"),
        "0",
        "Servers that start outside the system, ready to join.",
        false,
        false,
    )
    .in_group(ParamGroup::Cluster),
    int(
        "regions",
        "Regions",
        (1, 3, "regions"),
        "2",
        "Spread servers over datacenters: 0.5 ms inside one, 38-75 ms between them.",
        false,
        false,
    )
    .in_group(ParamGroup::Cluster),
    int("rate", "Request rate", (1, 1000, "req/s"), "20", "Requests per second each client issues.", true, true)
        .in_group(ParamGroup::Workload),
    int(
        "timeout_ms",
        "Timeout",
        (1, 60_000, "ms"),
        "250",
        "How long a client waits for an answer before it retries.",
        true,
        true,
    )
    .in_group(ParamGroup::Workload),
    int("retries", "Retries", (0, 20, "times"), "3", "How often a client resends before it gives up.", true, true),
    int(
        "payload",
        "Payload",
        (0, 65_536, "bytes"),
        "32",
        "Padding carried by each request; it costs bandwidth.",
        true,
        true,
    )
    .in_group(ParamGroup::Workload),
    flag("dedup", "Deduplicate", "on", "Servers remember request ids and never apply one twice.", true),
    int(
        "max_request",
        "Max request",
        (16, 1_000_000, "bytes"),
        "65536",
        "Servers reject larger requests: set one lower to disagree.",
        true,
        true,
    ),
    int(
        "cpu_us",
        "CPU per message",
        (0, 1_000_000, "us"),
        "50",
        "CPU time to handle one message; a busy node queues arrivals.",
        true,
        true,
    ),
    int("version", "Protocol version", (1, 2, ""), "2", "A v1 node cannot decode v2 frames.", true, false),
    flag("negotiate", "Negotiate version", "on", "Clients speak the server's version when it is older.", true),
    int("loss", "Loss", (0, 100, "%"), "0", "Chance each message vanishes on the wire.", false, true)
        .in_group(ParamGroup::Network),
    int("dup", "Duplication", (0, 100, "%"), "0", "Chance the network delivers a message twice.", false, true)
        .in_group(ParamGroup::Network),
    int(
        "reorder",
        "Reordering",
        (0, 100, "%"),
        "0",
        "Chance a message is held back so later ones overtake it.",
        false,
        true,
    )
    .in_group(ParamGroup::Network),
    int(
        "jitter",
        "Jitter",
        (0, 200, "% of latency"),
        "10",
        "Random extra delay on top of the base latency.",
        false,
        true,
    )
    .in_group(ParamGroup::Network),
    int(
        "bandwidth",
        "Bandwidth",
        (0, 10_000_000, "kbit/s"),
        "0",
        "Link capacity; 0 is unlimited. Messages queue FIFO behind each other.",
        false,
        true,
    )
    .in_group(ParamGroup::Network),
    ParamSpec {
        key: "attacker",
        label: "Attacker",
        kind: ParamKind::Choice(&Attacker::NAMES),
        default: "off",
        help: "An on-path attacker that reads, tampers with or replays messages.",
        per_node: false,
        live: true,
        when: None,
        group: ParamGroup::Faults,
    },
    int(
        "attack",
        "Attack rate",
        (0, 100, "%"),
        "10",
        "Share of messages the attacker tampers with or replays.",
        false,
        true,
    )
    .in_group(ParamGroup::Faults),
    flag("auth", "Authenticate", "off", "Frames carry a keyed tag; tampered ones are detected and dropped.", false),
];

pub fn node_setups(params: &Params) -> Vec<NodeSetup<Config>> {
    let clients = params.int("clients") as NodeId;
    let servers = params.int("servers") as NodeId;
    let spares = params.int("spares") as NodeId;
    let regions = params.int("regions").max(1) as u8;
    let server_ids: Vec<NodeId> = (clients..clients + servers + spares).collect();
    let mut setups = Vec::new();
    for index in 0..clients + servers + spares {
        let is_client = index < clients;
        let name = if is_client { format!("c{}", index + 1) } else { format!("s{}", index - clients + 1) };
        let role = if is_client { Role::Client { account: index } } else { Role::Server };
        let region = if is_client { 0 } else { ((index - clients) as u8) % regions };
        let mut config = Config {
            role,
            servers: server_ids.clone(),
            rate_per_sec: 0,
            timeout: 0,
            retries: 0,
            payload: 0,
            dedup: false,
            max_request: 0,
            version: 0,
            negotiate: false,
        };
        refresh_config(&mut config, params, &name);
        setups.push(NodeSetup {
            version: config.version,
            cpu_cost: cpu_cost(params, &name),
            present: index < clients + servers,
            role: if is_client { NodeRole::Client } else { NodeRole::Server },
            name,
            config,
            region,
        });
    }
    setups
}

/// Re-reads every per-node knob for `name`.
pub fn refresh_config(config: &mut Config, params: &Params, name: &str) {
    config.rate_per_sec = params.int_for(name, "rate") as u32;
    config.timeout = params.int_for(name, "timeout_ms") as Micros * MICROS_PER_MS;
    config.retries = params.int_for(name, "retries") as u32;
    config.payload = params.int_for(name, "payload") as u32;
    config.dedup = params.flag_for(name, "dedup");
    config.max_request = params.int_for(name, "max_request") as u32;
    config.version = params.int_for(name, "version") as u8;
    config.negotiate = params.flag_for(name, "negotiate");
}

pub fn cpu_cost(params: &Params, name: &str) -> Micros {
    params.int_for(name, "cpu_us") as Micros
}

fn percent(params: &Params, key: &str) -> u32 {
    params.int(key) as u32 * 10_000
}

pub fn net_params(params: &Params) -> NetParams {
    NetParams {
        loss_ppm: percent(params, "loss"),
        duplicate_ppm: percent(params, "dup"),
        reorder_ppm: percent(params, "reorder"),
        jitter_percent: params.int("jitter") as u32,
        bandwidth_kbps: params.int("bandwidth") as u64,
        attacker: Attacker::parse(params.choice("attacker")).unwrap_or(Attacker::Off),
        attack_ppm: percent(params, "attack"),
        authenticate: params.flag("auth"),
    }
}

/// How long the checker remembers a request: longer than any retry cycle can last.
pub fn checker_horizon(params: &Params) -> Micros {
    let timeout = params.max_int("timeout_ms") as Micros * MICROS_PER_MS;
    super::horizon_for(timeout, params.max_int("retries") as u64)
}
