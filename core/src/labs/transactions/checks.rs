//! The transactions lab's guarantees, checked as the nodes report what they did. Each check
//! returns the sentence a violation gets; the lab records it at the event that broke it.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::{saga, tx, write, Account, TxId, COMPENSABLE, COMPENSATIONS, STEPS};
use crate::time::{format_duration, Micros};
use crate::trace::NodeId;

/// A violation: the sentence, and the event it points at (when it is not the current one).
pub type Broken = (String, Option<(Micros, u64)>);

/// Atomicity, money and the order of logging and deciding, over the participants' decisions.
#[derive(Clone, Debug, Default)]
pub struct Commits {
    /// The first decision heard for each transaction, until the second: (node, commit, delta).
    first: BTreeMap<TxId, (NodeId, bool, i32)>,
    /// Commit decisions on the coordinator's disk, until a participant commits.
    pub logged: BTreeMap<TxId, Micros>,
    /// Money in the accounts, as the participants' committed changes leave it.
    pub money: i64,
    pub initial: i64,
    /// Changes committed at one participant whose other participant has not decided yet.
    half: i64,
    /// The wrong total last reported (each new wrong total is a new violation).
    reported: i64,
    pub split: u64,
}

impl Commits {
    pub fn new(initial: i64) -> Commits {
        Commits { money: initial, initial, reported: initial, ..Commits::default() }
    }

    /// A participant decided; returns what that broke: atomicity, money, durability.
    #[allow(clippy::too_many_arguments)]
    pub fn decided(
        &mut self,
        names: &dyn Fn(NodeId) -> String,
        node: NodeId,
        t: TxId,
        commit: bool,
        account: u8,
        delta: i32,
        two_phase: bool,
    ) -> [Option<String>; 3] {
        let mut broke = [None, None, None];
        if commit {
            self.money += i64::from(delta);
            if two_phase && !self.logged.contains_key(&t) {
                broke[2] = Some(format!(
                    "{} committed {} ({} {delta:+}) before the coordinator's decision was on disk",
                    names(node),
                    tx(t),
                    Account(account)
                ));
            }
        }
        match self.first.remove(&t) {
            None => {
                self.first.insert(t, (node, commit, delta));
                if commit {
                    self.half += i64::from(delta);
                }
            }
            Some((other, _, _)) if other == node => {
                self.first.insert(t, (other, commit, delta));
            }
            Some((other, other_commit, other_delta)) => {
                if other_commit {
                    self.half -= i64::from(other_delta);
                }
                if other_commit != commit {
                    self.split += 1;
                    let (c, a) = if commit { (node, other) } else { (other, node) };
                    broke[0] = Some(format!("{} committed at {} but aborted at {}", tx(t), names(c), names(a)));
                }
                if !commit && self.logged.contains_key(&t) {
                    self.logged.remove(&t);
                }
            }
        }
        let held = self.money - self.half;
        if held != self.initial && held != self.reported {
            self.reported = held;
            broke[1] = Some(format!(
                "the accounts hold {} of the {} they started with, after {} at {}",
                self.money - self.half,
                self.initial,
                tx(t),
                names(node)
            ));
        }
        broke
    }
}

/// One saga's steps as the services report them.
#[derive(Clone, Debug, Default)]
pub struct SagaTrack {
    pub applied: [u8; 6],
    pub undone: [u8; 3],
    /// Whether it ended completed, and where.
    pub ended: Option<(bool, Micros, u64)>,
    pub failed: Option<u8>,
}

impl SagaTrack {
    /// Completed (every step once, nothing undone), or compensated (nothing past the pivot,
    /// and every step that ran undone).
    pub fn balanced(&self) -> bool {
        let complete = self.applied.iter().all(|&a| a == 1) && self.undone.iter().all(|&u| u == 0);
        let c = usize::from(COMPENSABLE);
        let compensated =
            self.applied[c..].iter().all(|&a| a == 0) && (0..c).all(|i| self.applied[i] == self.undone[i]);
        complete || compensated
    }

    /// What is wrong with the saga, in words.
    pub fn imbalance(&self, id: TxId) -> String {
        let c = usize::from(COMPENSABLE);
        let times = |n: u8| match n {
            0 => "never".into(),
            1 => "once".into(),
            2 => "twice".into(),
            n => format!("{n} times"),
        };
        let shipped = self.applied[c..].iter().any(|&a| a > 0);
        let mut parts: Vec<String> = Vec::new();
        if shipped {
            if self.undone.iter().any(|&u| u > 0) {
                parts.push("shipped, yet compensated".into());
            }
            for (i, &a) in self.applied.iter().enumerate().filter(|(_, &a)| a != 1) {
                parts.push(format!("{} {}", STEPS[i], times(a)));
            }
        } else {
            for i in (0..c).filter(|&i| self.applied[i] != self.undone[i]) {
                let (a, u) = (self.applied[i], self.undone[i]);
                parts.push(format!("{} {}, {} {}", STEPS[i], times(a), COMPENSATIONS[i], times(u)));
            }
        }
        let state = match self.ended {
            Some((true, ..)) => "ended completed",
            Some((false, ..)) => "ended compensated",
            None => "never ended",
        };
        format!("{} {state}: {}", saga(id), parts.join("; "))
    }
}

/// Every saga's steps.
#[derive(Clone, Debug, Default)]
pub struct Sagas {
    pub tracks: BTreeMap<TxId, SagaTrack>,
    pub compensations: u64,
    pub repeats: u64,
}

impl Sagas {
    /// A step or compensation took effect at `node`: returns (taken effect twice,
    /// compensation without its step), in words.
    pub fn ran(
        &mut self,
        node: &str,
        id: TxId,
        step: u8,
        compensate: bool,
        step_ran: bool,
    ) -> (Option<String>, Option<String>) {
        let track = self.tracks.entry(id).or_default();
        let i = usize::from(step);
        let (mut twice, mut orphan) = (None, None);
        if compensate {
            self.compensations += 1;
            let Some(u) = track.undone.get_mut(i) else { return (None, None) };
            *u += 1;
            if *u > 1 {
                twice = Some(format!("{}'s {} took effect twice at {node}", saga(id), COMPENSATIONS[i]));
            }
            if !step_ran || track.applied[i] == 0 {
                orphan = Some(format!(
                    "{}'s {} ran at {node}, but its step ({}) never did there",
                    saga(id),
                    COMPENSATIONS[i],
                    STEPS[i]
                ));
            }
        } else if let Some(a) = track.applied.get_mut(i) {
            *a += 1;
            if *a > 1 {
                twice = Some(format!("{}'s {} took effect twice at {node}", saga(id), STEPS[i]));
            }
        }
        (twice, orphan)
    }

    /// At the end: the sagas neither completed nor fully compensated.
    pub fn unbalanced(&self) -> Vec<(TxId, &SagaTrack)> {
        self.tracks.iter().filter(|(_, t)| !t.balanced()).map(|(&id, t)| (id, t)).collect()
    }
}

/// The outbox's writes and events.
#[derive(Clone, Debug, Default)]
pub struct Events {
    /// Committed writes: when and at which event.
    pub committed: BTreeMap<TxId, (Micros, u64)>,
    pub rolled_back: Vec<TxId>,
    /// Times each write's event was applied.
    pub applied: BTreeMap<TxId, u32>,
    pub duplicates: u64,
    pub phantoms: u64,
    pub lost: u64,
}

impl Events {
    pub fn rolled_back(&mut self, id: TxId) -> Option<String> {
        self.rolled_back.push(id);
        self.applied.contains_key(&id).then(|| self.phantom(id, "rolled back"))
    }

    fn phantom(&mut self, id: TxId, why: &str) -> String {
        self.phantoms += 1;
        format!("the consumer applied {}'s event, but {} {why}", write(id), write(id))
    }

    /// The consumer applied an event: returns (applied twice, phantom), in words.
    pub fn applied(&mut self, id: TxId) -> (Option<String>, Option<String>) {
        let n = self.applied.entry(id).or_default();
        *n += 1;
        let twice = (*n > 1).then(|| {
            self.duplicates += 1;
            format!("the consumer applied {}'s event {} times", write(id), *n)
        });
        let phantom = self.rolled_back.contains(&id).then(|| self.phantom(id, "rolled back"));
        (twice, phantom)
    }

    /// At the end: the first lost event (and how many), the first phantom.
    pub fn settle(&mut self, now: Micros) -> (Option<Broken>, Option<String>) {
        let lost: Vec<(TxId, (Micros, u64))> =
            self.committed.iter().filter(|(id, _)| !self.applied.contains_key(id)).map(|(&id, &at)| (id, at)).collect();
        self.lost = lost.len() as u64;
        let lost = lost.first().map(|&(id, (at, seq))| {
            let others = match self.lost - 1 {
                0 => String::new(),
                n => format!(" ({n} more lost)"),
            };
            let sentence = format!(
                "{} committed at {} and its event never reached the consumer, {} later{others}",
                write(id),
                format_duration(at),
                format_duration(now.saturating_sub(at))
            );
            (sentence, Some((at, seq)))
        });
        let ghost =
            self.applied.keys().find(|id| !self.committed.contains_key(id) && !self.rolled_back.contains(id)).copied();
        let phantom = ghost.map(|id| self.phantom(id, "never committed"));
        (lost, phantom)
    }
}
