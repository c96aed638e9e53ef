//! Multi-leader replication: a leader in each datacenter takes its clients' writes and ships
//! its whole state to the other datacenters every few hundred milliseconds (state-based
//! replication, as CRDTs' convergence proofs assume: Shapiro et al. 2011). What happens when
//! two datacenters changed the same thing is the conflict-handling knob (see `data.rs`):
//! last writer wins on each datacenter's physical clock, siblings by version vector
//! (Dynamo's and Riak's), or a CRDT (G-Counter, PN-Counter, OR-Set), with a naive
//! max-of-totals counter as the teaching variant.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::data::{Conflicts, DcState, Dropped};
use super::msg::{Msg, Reply, Request};
use super::node::{Change, Config, Obs, Recent, Stable, State, Timer};
use crate::process::{Ctx, Out};
use crate::trace::NodeId;
use alloc::collections::BTreeSet;

#[derive(Clone, Debug)]
pub struct Datacenter {
    pub config: Config,
    pub index: u8,
    pub state: DcState,
    /// Writes this datacenter has reported dropped, so each is reported once.
    reported: BTreeSet<(u8, u64)>,
    taken: Recent,
}

impl Datacenter {
    pub fn boot(index: u8, config: Config, stable: &Stable) -> Self {
        let state = stable.dc.clone().unwrap_or_else(|| DcState::new(index, config.keys));
        Datacenter { config, index, state, reported: BTreeSet::new(), taken: Recent::default() }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        out.set_timer(Timer::Sync, 1 + ctx.entropy % self.config.sync_every.max(1));
    }

    fn persist(&self, out: &mut Out<State>) {
        out.persist(Change::Dc(self.state.clone()));
    }

    fn report(&mut self, dropped: Vec<Dropped>, out: &mut Out<State>) {
        for d in dropped {
            if !self.reported.insert((d.lost.dc, d.lost.number)) {
                continue;
            }
            out.observe(Obs::Dropped {
                key: d.key,
                lost: d.lost.value,
                kept: d.kept.value,
                later: d.lost.written_at > d.kept.written_at,
                dc: d.lost.dc,
                number: d.lost.number,
            });
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        let conflicts = self.config.conflicts;
        match msg {
            Msg::Op { id, request, context, .. } => {
                if !self.taken.first(from, id) {
                    return;
                }
                let before = self.state.seen.total();
                let reply = match request {
                    Request::Write { key, value } => {
                        let stamp = ctx.now + self.config.skew;
                        let dropped = self.state.write(conflicts, key, value, &context, stamp, ctx.now);
                        self.report(dropped, out);
                        Reply::Written
                    }
                    Request::Read { key } => match conflicts {
                        Conflicts::LastWriterWins => Reply::Value(self.state.values(key).first().copied().unwrap_or(0)),
                        Conflicts::Siblings => Reply::Siblings(self.state.values(key), self.state.context(key)),
                        Conflicts::OrSet => Reply::Members(self.state.set.elements()),
                        _ => Reply::Count(self.state.count(conflicts)),
                    },
                    update => {
                        self.state.update(update);
                        Reply::Written
                    }
                };
                if self.state.seen.total() > before {
                    let delta = match request {
                        Request::Increment => 1,
                        Request::Decrement => -1,
                        _ => 0,
                    };
                    out.observe(Obs::Updated { number: self.state.seen.get(self.index), delta });
                    self.persist(out);
                }
                out.send(from, Msg::Done { id, reply });
            }
            Msg::Sync { state } => {
                let before = self.state.seen.total();
                let (dropped, found) = self.state.merge(conflicts, &state);
                let updates = self.state.seen.total() - before;
                if updates == 0 {
                    return;
                }
                out.observe(Obs::Merged { from, updates });
                self.report(dropped, out);
                if found > 0 {
                    for (key, siblings) in self.state.registers.iter().enumerate() {
                        if siblings.len() > 1 {
                            out.observe(Obs::Conflict { key: key as u8, siblings: siblings.len() as u32 });
                        }
                    }
                }
                self.persist(out);
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, _ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        if timer == Timer::Sync {
            for (i, &dc) in self.config.servers.iter().enumerate() {
                if i != usize::from(self.index) {
                    out.send(dc, Msg::Sync { state: self.state.clone() });
                }
            }
            out.set_timer(Timer::Sync, self.config.sync_every);
        }
    }

    pub fn describe(&self) -> Vec<String> {
        let conflicts = self.config.conflicts;
        let summary = match conflicts {
            Conflicts::LastWriterWins | Conflicts::Siblings => {
                super::msg::keyed((0..self.config.keys).map(|k| self.state.values(k)))
            }
            Conflicts::OrSet => {
                let e: String = self.state.set.elements().iter().map(|&e| super::msg::element_name(e)).collect();
                format!("{{{e}}}")
            }
            _ => format!("count {}", self.state.count(conflicts)),
        };
        alloc::vec![format!("datacenter {} · {} updates", self.index + 1, self.state.seen.total()), summary]
    }
}
