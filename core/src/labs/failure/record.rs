//! The failure handling lab's bookkeeping: what each observation means for the guarantees,
//! the metrics and the picture; the live knobs.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::node::{Detector, Kind, Obs, Part, Role, PHI_SWEEP, TIMEOUT_SWEEP};
use super::view::{CurvePoint, FailureView, LeaseBar, ReplicaView, WriteDot};
use super::{config, FailureLab, NOT_DEPOSED, NO_STALE, ONCE, ONE_LEADER, WINDOW};
use crate::lab::{lossy_network, Counter, Metrics};
use crate::time::{format_duration, Micros, MICROS_PER_MS, MICROS_PER_SEC};
use crate::trace::NodeId;

/// Grants the fencing check remembers.
const GRANTS_KEPT: usize = 4096;
/// Leases and writes the picture keeps.
const LEASES_KEPT: usize = 40;
const WRITES_KEPT: usize = 80;

impl FailureLab {
    pub(super) fn observe(&mut self, node: NodeId, at: Micros, seq: u64, obs: Obs) {
        match obs {
            Obs::GcPause { .. } => self.count("GC pauses"),
            Obs::Verdict { process, detector, instance, suspect } => {
                self.suspecting.insert((process, detector, instance), suspect);
                let Some(i) = self.truth.iter().position(|t| t.trace.node == process) else { return };
                if instance == 0 {
                    let tr = &mut self.truth[i].trace;
                    if suspect {
                        tr.suspicions.push((detector, at, None));
                    } else if let Some(s) = tr.suspicions.iter_mut().rev().find(|s| s.0 == detector && s.2.is_none()) {
                        s.2 = Some(at);
                    }
                }
                if !suspect {
                    return;
                }
                if self.truth[i].crashed_at.is_some() {
                    self.detected(i, detector, instance, at);
                } else if !self.silent_since_restart(i) {
                    self.scores.entry((detector, instance)).or_default().false_suspicions += 1;
                }
            }
            Obs::Granted { client, token, until } => {
                if self.leases.len() == LEASES_KEPT {
                    self.leases.pop_front();
                }
                self.grants.insert(token, (client, at, until));
                if self.grants.len() > GRANTS_KEPT {
                    self.grants.pop_first();
                }
                self.leases.push_back(LeaseBar { client, token, from: at, until, believed_until: None });
                self.count("leases granted");
            }
            Obs::Holds { token, until } => {
                if let Some(l) = self.leases.iter_mut().rev().find(|l| l.token == token) {
                    l.believed_until = Some(until);
                }
            }
            Obs::Accepted { client, token, value, sent } => {
                let stale = self.stale(client, token, sent, at);
                if let Some(detail) = &stale {
                    self.count("stale writes accepted");
                    self.violate(NO_STALE, at, seq, detail.clone());
                }
                self.write(WriteDot { client, token, value, at, accepted: true, stale: stale.is_some() });
            }
            Obs::Refused { client, token, value } => {
                self.count("stale writes refused");
                self.write(WriteDot { client, token, value, at, accepted: false, stale: true });
            }
            Obs::Leader { epoch } => {
                let leaders = self.leaders.entry(epoch).or_default();
                if !leaders.contains(&node) {
                    leaders.push(node);
                }
                let others: Vec<NodeId> = leaders.iter().copied().filter(|&n| n != node).collect();
                self.count("leaders elected");
                if let Some(&other) = others.first() {
                    let detail = format!("{} and {} both lead epoch {epoch}", self.name(other), self.name(node));
                    self.violate(ONE_LEADER, at, seq, detail);
                }
                if self.latest.is_none_or(|l| epoch > l.0) {
                    self.latest = Some((epoch, node, at));
                }
            }
            Obs::SteppedDown { .. } => {}
            Obs::Acked { epoch, client, id } => {
                self.count("writes acknowledged");
                if let Some((later, leader, since)) = self.latest.filter(|l| l.0 > epoch) {
                    self.count("acknowledged by a deposed leader");
                    let detail = format!(
                        "{} acknowledged {}'s w{} in epoch {epoch} at {}, after {} began leading epoch {later} at {}",
                        self.name(node),
                        self.name(client),
                        id & 0xFF_FFFF,
                        format_duration(at),
                        self.name(leader),
                        format_duration(since)
                    );
                    self.violate(NOT_DEPOSED, at, seq, detail);
                }
            }
            Obs::Received { attempt } => {
                if attempt > 1 {
                    self.count("retries received");
                }
            }
            Obs::Tried { attempt } => {
                if attempt > 1 {
                    self.retried.add(at, 1);
                    self.count("retries sent");
                } else {
                    self.load.add(at, 1);
                }
            }
            Obs::Charged { client, key, attempt } => {
                self.count("charges applied");
                let c = usize::from(client);
                if self.charged.len() <= c {
                    self.charged.resize(c + 1, Vec::new());
                }
                let row = &mut self.charged[c];
                let k = key as usize;
                if row.len() <= k {
                    row.resize(k + 1, 0);
                }
                row[k] = row[k].saturating_add(1);
                let times = row[k];
                if times > 1 {
                    self.count("double charges");
                    let detail = format!(
                        "{}'s charge #{key} was applied {} times (this time on try {attempt})",
                        self.name(client),
                        times
                    );
                    self.violate(ONCE, at, seq, detail);
                }
            }
            Obs::Deduplicated { .. } => self.count("retries answered from their key"),
            Obs::Submitted { id } => {
                self.open.insert((node, id), at);
            }
            Obs::Finished { id, ok } => {
                let started = self.open.remove(&(node, id));
                match ok {
                    Some(true) => {
                        self.outcomes[0] += 1;
                        if let Some(s) = started {
                            self.latency.record(at - s);
                        }
                    }
                    Some(false) => self.outcomes[1] += 1,
                    None => self.outcomes[2] += 1,
                }
            }
        }
    }

    /// Whether a write sent by `client` with `token` at `sent` (accepted at `at`) came from
    /// a stale holder: when it left, its lease had ended and a later one had gone to another.
    fn stale(&self, client: NodeId, token: u64, sent: Micros, at: Micros) -> Option<String> {
        let &(holder, _, until) = self.grants.get(&token)?;
        if holder != client || sent < until {
            return None;
        }
        let (&newer, &(other, from, _)) = self.grants.range(token + 1..).find(|(_, g)| g.0 != client && g.1 <= sent)?;
        Some(format!(
            "storage accepted {}'s write with token {token} at {} (sent at {}): its lease ended at {}, and token {newer} went to {} at {}",
            self.name(client),
            format_duration(at),
            format_duration(sent),
            format_duration(until),
            self.name(other),
            format_duration(from)
        ))
    }

    /// A suspicion of a process that is up, but whose silence began before its last
    /// restart: a late detection of that crash, not a false suspicion.
    fn silent_since_restart(&self, i: usize) -> bool {
        let t = &self.truth[i];
        let Some(restarted) = t.trace.crashes.last().and_then(|c| c.1).or(t.restarted) else { return false };
        let last = match self.driver.sim.process(self.hub).map(|p| &p.role) {
            Some(Role::Monitor(m)) => m.last_heard(t.trace.node),
            _ => None,
        };
        last.is_none_or(|l| l < restarted)
    }

    fn write(&mut self, dot: WriteDot) {
        if self.writes.len() == WRITES_KEPT {
            self.writes.pop_front();
        }
        self.writes.push_back(dot);
    }

    fn hours_up(&self) -> f64 {
        let now = self.driver.sim.now();
        let total: Micros = self.truth.iter().map(|t| t.up_total + t.up_since.map_or(0, |s| now - s)).sum();
        total as f64 / (3600.0 * MICROS_PER_SEC as f64)
    }

    fn curve(&self) -> Vec<CurvePoint> {
        let hours = self.hours_up();
        let point = |detector, instance: u8, setting: f64| {
            let s = self.scores.get(&(detector, instance));
            let (falses, detected, sum) = s.map_or((0, 0, 0), |s| (s.false_suspicions, s.detections, s.detection_sum));
            CurvePoint {
                detector,
                setting,
                false_per_hour: if hours > 0.0 { falses as f64 / hours } else { 0.0 },
                detection_ms: (detected > 0).then(|| sum as f64 / f64::from(detected) / MICROS_PER_MS as f64),
                detected,
                current: instance == 0,
            }
        };
        let threshold = self.params.int("threshold") as f64;
        let timeout = self.params.int("fixed_ms") as f64;
        let mut points = alloc::vec![point(Detector::Phi, 0, threshold)];
        points.extend(PHI_SWEEP.iter().enumerate().map(|(i, &t)| point(Detector::Phi, i as u8 + 1, t)));
        points.push(point(Detector::Fixed, 0, timeout));
        let interval = self.params.int("interval_ms") as f64;
        points.extend(
            TIMEOUT_SWEEP
                .iter()
                .enumerate()
                .map(|(i, &t)| point(Detector::Fixed, i as u8 + 1, t as f64 * interval / 10.0)),
        );
        points
    }

    pub(super) fn measure(&self) -> Metrics {
        let net = self.driver.sim.stats();
        let count = |name, value| Counter { name, value, unit: "" };
        let counted = |name: &'static str| count(name, self.counts.get(name).copied().unwrap_or(0));
        let mut counters = Vec::new();
        let mut histograms = Vec::new();
        let mut series = Vec::new();
        match self.part {
            Part::Detectors => {
                for (detector, label) in [(Detector::Phi, "phi"), (Detector::Fixed, "fixed")] {
                    let s = self.scores.get(&(detector, 0));
                    let falses = s.map_or(0, |s| s.false_suspicions);
                    counters.push(count(
                        if label == "phi" { "phi: false suspicions" } else { "fixed: false suspicions" },
                        falses,
                    ));
                    let per_hour = if self.hours_up() > 0.0 { falses as f64 / self.hours_up() } else { 0.0 };
                    counters.push(Counter {
                        name: if label == "phi" {
                            "phi: false suspicions per process-hour"
                        } else {
                            "fixed: false suspicions per process-hour"
                        },
                        value: libm::round(per_hour) as u64,
                        unit: "/h",
                    });
                }
                counters.push(counted("crashes"));
                counters.push(counted("GC pauses"));
                histograms.push(("phi: detection time", self.detection[0].clone()));
                histograms.push(("fixed: detection time", self.detection[1].clone()));
            }
            Part::Fencing => {
                for name in ["leases granted", "stale writes refused", "stale writes accepted"] {
                    counters.push(counted(name));
                }
            }
            Part::SplitBrain => {
                for name in ["leaders elected", "writes acknowledged", "acknowledged by a deposed leader"] {
                    counters.push(counted(name));
                }
            }
            Part::Idempotency => {
                for name in ["charges applied", "double charges", "retries received", "retries answered from their key"]
                {
                    counters.push(counted(name));
                }
                series.push(self.load.clone());
                series.push(self.retried.clone());
            }
        }
        if self.part != Part::Detectors {
            let [ok, failed, unknown] = self.outcomes;
            counters.push(count("requests done", ok));
            counters.push(count("requests refused", failed));
            counters.push(count("requests given up", unknown));
            histograms.push(("latency", self.latency.clone()));
        }
        counters.push(count("sent", net.sent));
        counters.push(count("dropped", net.total_dropped()));
        histograms.push(("transit", net.transit.clone()));
        series.push(net.delivered_per_second.clone());
        Metrics { counters, histograms, series, drops: Vec::new() }
    }

    pub(super) fn view(&self) -> FailureView {
        let sim = &self.driver.sim;
        let now = sim.now();
        let mut view = FailureView {
            part: Part::NAMES[self.part as usize],
            now,
            window: WINDOW,
            threshold: self.params.int("threshold") as f64,
            fixed_timeout: self.params.int("fixed_ms") as Micros * MICROS_PER_MS,
            names: self.driver.names.clone(),
            ..FailureView::default()
        };
        match self.part {
            Part::Detectors => {
                view.processes = self.truth.iter().map(|t| t.trace.clone()).collect();
                view.curve = self.curve();
            }
            Part::Fencing => {
                view.leases = self.leases.iter().cloned().collect();
                view.writes = self.writes.iter().cloned().collect();
                view.store = self.servers.first().and_then(|&s| match sim.process(s).map(|p| &p.role) {
                    Some(Role::Store(store)) => Some(store.value()),
                    _ => None,
                });
            }
            Part::SplitBrain => {
                for &id in &self.servers {
                    let status = match sim.process(id).map(|p| &p.role) {
                        Some(Role::Replica(r)) => Some(r.status()),
                        _ => None,
                    };
                    let (epoch, leading, stored, acknowledged) = status.unwrap_or((0, false, 0, 0));
                    let (name, up) = (self.name(id), status.is_some());
                    view.replicas.push(ReplicaView { node: id, name, up, epoch, leading, stored, acknowledged });
                }
                view.leaders = self.leaders.iter().rev().take(8).map(|(&e, l)| (e, l.clone())).collect();
            }
            Part::Idempotency => view.load = Some((self.load.clone(), self.retried.clone())),
        }
        view
    }

    /// Reapplies the live knobs to the running nodes and network.
    pub(super) fn set_live(&mut self) {
        self.driver.sim.set_net_params(lossy_network(&self.params));
        let fresh = config(&self.params, self.part, Kind::Monitor, self.hub, &self.servers, &[]);
        for id in 0..self.driver.sim.node_count() as NodeId {
            self.driver.sim.reconfigure(id, |c| {
                c.think = fresh.think;
                c.timeout = fresh.timeout;
                c.gc = fresh.gc;
                c.gc_every = fresh.gc_every;
                c.threshold = fresh.threshold;
                c.fixed_timeout = fresh.fixed_timeout;
                c.lease = fresh.lease;
                c.margin = fresh.margin;
                c.fencing = fresh.fencing;
                c.work = fresh.work;
                c.election = fresh.election;
                c.keys = fresh.keys;
                c.backoff = fresh.backoff;
                c.jitter = fresh.jitter;
                c.retries = fresh.retries;
            });
        }
    }
}
