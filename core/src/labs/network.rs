//! # The Network lab: the eight fallacies, with clients, retries and deduplication
//!
//! Clients send money transfers to a service sharded across servers. Each request carries an
//! id; a client that hears nothing within its timeout sends the same request again. Whether
//! "every acknowledged request is applied exactly once" survives depends on the network and
//! on the servers: loss forces retries, duplication and replay deliver copies, and only a
//! server that deduplicates by request id (an idempotency key, persisted with the balance)
//! turns at-least-once delivery into exactly-once effects. An attacker that flips bytes makes
//! servers apply amounts nobody sent, unless frames are authenticated, in which case the
//! tampering becomes a detected drop.
//!
//! Every fallacy of Deutsch and Gosling is a knob (see [`crate::network`] and
//! [`crate::sim`]): `loss`, `dup`, `reorder` (reliability), `regions` and `jitter` (latency),
//! `bandwidth` (with FIFO link queues and real encoded sizes), `attacker` and `auth`
//! (security), `join`/`leave`/`partition` in the fault script and `spares` (topology),
//! per-node overrides such as `s2.timeout_ms=20` (many administrators), `cpu_us` (transport
//! cost), and `version` with `negotiate` (heterogeneity).

mod checks;
mod msg;
mod node;
mod params;

pub use checks::{EXACTLY_ONCE, INTEGRITY};
pub use msg::Msg;
pub use node::{Change, Config, Obs, Role, Stable, State, Timer};
pub use params::PARAMS;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::invariant::Verdict;
use crate::lab::{Counter, Driver, Lab, Metrics, Params};
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{NodeRole, Sim};
use crate::time::{Micros, MICROS_PER_SEC};
use crate::trace::{DropReason, NodeId};
use checks::Checks;

/// A running Network lab.
#[derive(Clone)]
pub struct NetworkLab {
    driver: Driver<State>,
    checks: Checks,
    params: Params,
}

impl NetworkLab {
    pub fn start(scenario: &Scenario) -> Result<NetworkLab, ScenarioError> {
        scenario.check_limits()?;
        let params = Params::resolve(PARAMS, &scenario.params).map_err(ScenarioError::Param)?;
        let setups = params::node_setups(&params);
        let names: Vec<String> = setups.iter().map(|s| s.name.clone()).collect();
        if let Some(unknown) = params.override_nodes().find(|n| !names.iter().any(|name| name == n)) {
            return Err(ScenarioError::Param(format!("there is no node `{unknown}` (nodes: {})", names.join(", "))));
        }
        let horizon = params::checker_horizon(&params);
        let sim = Sim::new(scenario.seed, params::net_params(&params), setups);
        let driver = Driver::with_script(sim, &scenario.faults, &params)?;
        let mut lab = NetworkLab { driver, checks: Checks::new(horizon), params };
        lab.collect();
        Ok(lab)
    }

    /// Reapplies the live knobs in `self.params` to the running nodes and network.
    fn set_live(&mut self) {
        let sim = &mut self.driver.sim;
        sim.set_net_params(params::net_params(&self.params));
        for (id, name) in self.driver.names.iter().enumerate() {
            let params = &self.params;
            sim.reconfigure(id as NodeId, |config| params::refresh_config(config, params, name));
            sim.set_cpu_cost(id as NodeId, params::cpu_cost(params, name));
        }
        self.checks.set_horizon(params::checker_horizon(&self.params));
    }

    fn collect(&mut self) {
        let driver = &mut self.driver;
        let mut observations = driver.sim.take_observed();
        for observed in observations.drain(..) {
            self.checks.observe(observed, driver.sim.trace_mut(), &driver.names);
        }
        driver.sim.recycle_observed(observations);
    }
}

impl Lab for NetworkLab {
    crate::lab::lab_plumbing!(State, "network");

    fn verdicts(&self) -> &[Verdict] {
        &self.checks.verdicts
    }

    fn metrics(&self) -> Metrics {
        let net = self.driver.sim.stats();
        let client = &self.checks.stats;
        let count = |name, value| Counter { name, value, unit: "" };
        let mut counters = alloc::vec![
            count("requests issued", client.issued),
            count("requests acked", client.acked),
            count("retries", client.retried),
            count("gave up", client.gave_up),
            count("rejected", client.rejected),
            count("no server", client.no_server),
            count("applied", client.applied),
            count("dedup hits", client.dedup_hits),
            count("sent", net.sent),
            count("delivered", net.delivered),
            count("dropped", net.total_dropped()),
        ];
        counters.extend([
            count("duplicated", net.duplicated),
            count("tampered", net.tampered),
            count("replayed", net.replayed),
            count("read by attacker", net.eavesdropped),
            Counter { name: "bytes sent", value: net.bytes_sent, unit: "B" },
            Counter { name: "bytes delivered", value: net.bytes_delivered, unit: "B" },
            Counter { name: "cpu busy", value: net.cpu_busy.iter().sum(), unit: "us" },
        ]);
        Metrics {
            counters,
            drops: DropReason::ALL.iter().map(|&r| (r, net.dropped(r))).collect(),
            histograms: alloc::vec![
                ("request latency", client.latency.clone()),
                ("transit", net.transit.clone()),
                ("queue wait", net.queue_wait.clone()),
            ],
            series: alloc::vec![
                client.acked_per_second.clone(),
                net.delivered_per_second.clone(),
                net.dropped_per_second.clone(),
                net.bytes_per_second.clone(),
            ],
        }
    }

    fn commands(&self, node: NodeId) -> Vec<(String, String)> {
        match self.driver.sim.view().nodes.get(usize::from(node)) {
            Some(n) if n.role == NodeRole::Client => alloc::vec![("Send a request now".into(), "request".into())],
            _ => Vec::new(),
        }
    }
}

/// Two minutes of virtual time, or four full retry cycles if those are longer.
pub(crate) fn horizon_for(timeout: Micros, retries: u64) -> Micros {
    (120 * MICROS_PER_SEC).max(4 * timeout * (retries + 1))
}

/// The lab's catalogue entry.
pub const INFO: crate::lab::LabInfo = crate::lab::LabInfo {
    name: "network",
    title: "Network: the eight fallacies",
    summary: "Clients call a sharded service over a network you control: loss, duplication, \
              reordering, latency between regions, bandwidth queues, an on-path attacker, \
              joining and leaving nodes, disagreeing configuration, CPU cost per message and \
              mixed protocol versions. Retries and deduplication decide whether every \
              acknowledged request is applied exactly once.",
    listed: true,
    params: PARAMS,
    presets: &[],
    parts: &[],
    variants: &[],
    start: Some(|scenario| Ok(alloc::boxed::Box::new(NetworkLab::start(scenario)?))),
};

/// The simulator's throughput workload, the same for `cargo bench` natively and the browser
/// probe in wasm32: 5 nodes (2 clients, 3 servers), each client issuing 1000 requests per
/// second over a network with 5 % loss and 5 % duplication.
pub fn throughput_workload() -> Scenario {
    let mut s = Scenario::new("network", 2024);
    for (k, v) in [("clients", "2"), ("servers", "3"), ("rate", "1000"), ("loss", "5"), ("dup", "5")] {
        s.set_param(k, v);
    }
    s
}
