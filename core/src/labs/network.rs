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
pub use node::{Change, NetNode, NodeConfig, Obs, Role, Stable, Timer};
pub use params::PARAMS;

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::fault::{Fault, FaultAction};
use crate::invariant::Verdict;
use crate::lab::{Counter, FaultSchedule, LabRun, Metrics, Params};
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{Sim, SimView};
use crate::time::{Micros, MICROS_PER_SEC};
use crate::trace::{DropReason, EventKind, NodeId, Trace};
use checks::Checks;

/// A running Network lab.
#[derive(Clone)]
pub struct NetworkLab {
    sim: Sim<NetNode>,
    schedule: FaultSchedule,
    checks: Checks,
    params: Params,
    names: Vec<String>,
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
        for fault in &scenario.faults {
            check_fault(&fault.action, &names, &params).map_err(ScenarioError::Fault)?;
        }
        let horizon = params::checker_horizon(&params);
        let sim = Sim::new(scenario.seed, params::net_params(&params), setups);
        let mut lab = NetworkLab {
            sim,
            schedule: FaultSchedule::new(scenario.faults.clone()),
            checks: Checks::new(horizon),
            params,
            names,
        };
        lab.collect_observations();
        Ok(lab)
    }

    fn id(&self, name: &str) -> NodeId {
        self.sim.node_id(name).unwrap_or(NodeId::MAX)
    }

    fn apply(&mut self, action: FaultAction) {
        match action {
            FaultAction::Crash(n) => self.sim.crash(self.id(&n)),
            FaultAction::Restart(n) => self.sim.restart(self.id(&n)),
            FaultAction::Pause { node, span } => self.sim.pause(self.id(&node), span),
            FaultAction::Join(n) => self.sim.join(self.id(&n)),
            FaultAction::Leave(n) => self.sim.leave(self.id(&n)),
            FaultAction::Partition(groups) => {
                let groups = groups.iter().map(|g| g.iter().map(|n| self.id(n)).collect()).collect();
                self.sim.partition(groups);
            }
            FaultAction::Cut { from, to, both } => {
                let (a, b) = (self.id(&from), self.id(&to));
                self.sim.cut(a, b);
                if both {
                    self.sim.cut(b, a);
                }
            }
            FaultAction::Slow { a, b, factor } => self.sim.slow(self.id(&a), self.id(&b), factor),
            FaultAction::Heal => self.sim.heal(),
            FaultAction::Set { key, value } => self.set_live(&key, &value),
        }
    }

    /// Changes a parameter mid-run (already validated).
    fn set_live(&mut self, key: &str, value: &str) {
        if self.params.set(key, value).is_err() {
            return;
        }
        self.sim.network.params = params::net_params(&self.params);
        for id in 0..self.names.len() as NodeId {
            let name = self.names[usize::from(id)].clone();
            let params = &self.params;
            self.sim.reconfigure(id, |config| params::refresh_config(config, params, &name));
            self.sim.set_cpu_cost(id, params::cpu_cost(&self.params, &name));
        }
        self.checks.set_horizon(params::checker_horizon(&self.params));
        self.sim.trace.record(self.sim.now(), EventKind::Set { key: key.into(), value: value.into() });
    }

    fn collect_observations(&mut self) {
        for observed in self.sim.take_observed() {
            self.checks.observe(observed, &mut self.sim.trace, &self.names);
        }
    }
}

fn check_fault(action: &FaultAction, names: &[String], params: &Params) -> Result<(), String> {
    if let Some(unknown) = action.nodes().into_iter().find(|n| !names.iter().any(|name| name == n)) {
        return Err(format!("there is no node `{unknown}` (nodes: {})", names.join(", ")));
    }
    if let FaultAction::Set { key, value } = action {
        let mut probe = params.clone();
        let spec = probe.set(key, value)?;
        if !spec.live {
            return Err(format!("`{}` can only be chosen before the run starts", spec.key));
        }
        if let Some((node, _)) = key.split_once('.') {
            if !names.iter().any(|n| n == node) {
                return Err(format!("there is no node `{node}`"));
            }
        }
    }
    Ok(())
}

fn drop_counter(reason: DropReason) -> &'static str {
    match reason {
        DropReason::Loss => "dropped: loss",
        DropReason::Partition => "dropped: partition",
        DropReason::LinkCut => "dropped: link cut",
        DropReason::NodeDown => "dropped: node down",
        DropReason::AuthFailed => "dropped: auth failed",
        DropReason::Corrupt => "dropped: corrupt",
        DropReason::VersionMismatch => "dropped: version mismatch",
    }
}

impl LabRun for NetworkLab {
    fn lab(&self) -> &'static str {
        "network"
    }

    fn now(&self) -> Micros {
        self.sim.now()
    }

    fn step(&mut self) -> bool {
        if let Some(fault) = self.schedule.take_due(self.sim.next_event_time()) {
            self.sim.advance_clock(fault.at);
            self.apply(fault.action);
            self.collect_observations();
            return true;
        }
        let stepped = self.sim.step();
        self.collect_observations();
        stepped
    }

    fn advance_clock(&mut self, t: Micros) {
        self.sim.advance_clock(t);
    }

    fn next_time(&self) -> Option<Micros> {
        match (self.sim.next_event_time(), self.schedule.next_time()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn pending(&self) -> usize {
        self.sim.pending()
    }

    fn processed(&self) -> u64 {
        self.sim.processed()
    }

    fn trace(&self) -> &Trace {
        &self.sim.trace
    }

    fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn verdicts(&self) -> &[Verdict] {
        &self.checks.verdicts
    }

    fn metrics(&self) -> Metrics {
        let net = &self.sim.stats;
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
        counters.extend(DropReason::ALL.iter().map(|&r| count(drop_counter(r), net.dropped(r))));
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

    fn view(&self) -> SimView {
        self.sim.view()
    }

    fn inject(&mut self, action: FaultAction) -> Result<Micros, String> {
        check_fault(&action, &self.names, &self.params)?;
        let at = self.sim.now() + 1;
        self.schedule.insert(Fault { at, action });
        Ok(at)
    }

    fn clone_box(&self) -> Box<dyn LabRun> {
        Box::new(self.clone())
    }
}

/// Two minutes of virtual time, or four full retry cycles if those are longer.
pub(crate) fn horizon_for(timeout: Micros, retries: u64) -> Micros {
    (120 * MICROS_PER_SEC).max(4 * timeout * (retries + 1))
}
