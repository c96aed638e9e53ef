//! The transactions lab's guarantees, checked as the nodes report what they did. Each check
//! returns the sentence a violation gets; the lab records it at the event that broke it.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::{client_of, saga, tx, write, Account, TxId, COMPENSABLE, COMPENSATIONS, STEPS};
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
    /// The order first decisions arrived in, to forget the oldest.
    order: alloc::collections::VecDeque<TxId>,
    /// The wrong total last reported (each new wrong total is a new violation).
    reported: i64,
    pub split: u64,
}

/// First decisions kept waiting for the second.
const FIRST_KEPT: usize = 8192;

impl Commits {
    pub fn new(initial: i64) -> Commits {
        Commits { money: initial, initial, reported: initial, ..Commits::default() }
    }

    /// The money in committed state: every transfer counted once both banks have applied
    /// it, or, where one aborted what the other committed, as it was left.
    pub fn held(&self) -> i64 {
        self.money - self.half
    }

    /// The money of transfers committed at one bank and not yet decided at the other.
    pub fn in_flight(&self) -> i64 {
        self.half
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
                self.order.push_back(t);
                if self.order.len() > FIRST_KEPT {
                    // One side's decision that the other never reported (its abort of a
                    // transaction it never saw needs no report): forget it; a commit's money
                    // stays counted as in flight.
                    if let Some(old) = self.order.pop_front() {
                        self.first.remove(&old);
                    }
                }
                if commit {
                    self.half += i64::from(delta);
                }
            }
            Some((other, _, _)) if other == node => {
                self.first.insert(t, (other, commit, delta));
            }
            Some((other, other_commit, other_delta)) => {
                self.logged.remove(&t);
                if other_commit {
                    self.half -= i64::from(other_delta);
                }
                if other_commit != commit {
                    self.split += 1;
                    let (c, a) = if commit { (node, other) } else { (other, node) };
                    broke[0] = Some(format!("{} committed at {} but aborted at {}", tx(t), names(c), names(a)));
                }
            }
        }
        let held = self.held();
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

/// Sagas that ended balanced are forgotten this long after (a repeat arriving later than
/// that would not be recognised as one).
const FORGET_AFTER: Micros = 10 * crate::time::MICROS_PER_SEC;
/// Sagas the view lists.
const RECENT: usize = 16;

/// Every saga's steps.
#[derive(Clone, Debug, Default)]
pub struct Sagas {
    pub tracks: BTreeMap<TxId, SagaTrack>,
    /// The latest sagas, in the order they were first seen.
    pub recent: alloc::collections::VecDeque<TxId>,
    ended: alloc::collections::VecDeque<(Micros, TxId)>,
    pub compensations: u64,
    pub repeats: u64,
}

impl Sagas {
    /// A saga reported a step: it joins the recent ones when first seen.
    pub fn seen(&mut self, id: TxId) {
        if let alloc::collections::btree_map::Entry::Vacant(e) = self.tracks.entry(id) {
            e.insert(SagaTrack::default());
            self.recent.push_back(id);
            if self.recent.len() > RECENT {
                self.recent.pop_front();
            }
        }
    }

    /// A saga ended; those that ended balanced long ago are forgotten.
    pub fn ended(&mut self, id: TxId, at: Micros) {
        self.ended.push_back((at, id));
        while let Some(&(when, old)) = self.ended.front() {
            if when + FORGET_AFTER > at {
                break;
            }
            self.ended.pop_front();
            if self.tracks.get(&old).is_some_and(|t| t.balanced()) && !self.recent.contains(&old) {
                self.tracks.remove(&old);
            }
        }
    }

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

const COMMITTED: u8 = 1;
const ROLLED_BACK: u8 = 2;
const PHANTOM: u8 = 4;
/// The times a write's event was applied sit above the three flags.
const APPLIED: u8 = 8;

/// The outbox's writes and events: a byte per write (committed, rolled back, reported as a
/// phantom, times applied), by client and number, so a long run stays small.
#[derive(Clone, Debug, Default)]
pub struct Events {
    flags: Vec<Vec<u8>>,
    /// Committed writes whose event has not been applied yet: when and at which event.
    pub pending: BTreeMap<TxId, (Micros, u64)>,
    pub applied: u64,
    pub duplicates: u64,
    pub phantoms: u64,
    pub lost: u64,
}

impl Events {
    fn flags(&mut self, id: TxId) -> &mut u8 {
        let (client, n) = (usize::from(client_of(id)), (id & 0xF_FFFF) as usize);
        if self.flags.len() <= client {
            self.flags.resize(client + 1, Vec::new());
        }
        let row = &mut self.flags[client];
        if row.len() <= n {
            row.resize(n + 1, 0);
        }
        &mut row[n]
    }

    pub fn committed(&mut self, id: TxId, at: Micros, seq: u64) {
        let f = self.flags(id);
        *f |= COMMITTED;
        if *f < APPLIED {
            self.pending.insert(id, (at, seq));
        }
    }

    pub fn rolled_back(&mut self, id: TxId) -> Option<String> {
        let f = self.flags(id);
        *f |= ROLLED_BACK;
        (*f >= APPLIED && *f & PHANTOM == 0).then(|| self.phantom(id, "rolled back"))
    }

    fn phantom(&mut self, id: TxId, why: &str) -> String {
        *self.flags(id) |= PHANTOM;
        self.phantoms += 1;
        format!("the consumer applied {}'s event, but {} {why}", write(id), write(id))
    }

    /// The consumer applied an event: returns (applied twice, phantom), in words.
    pub fn applied(&mut self, id: TxId) -> (Option<String>, Option<String>) {
        let f = self.flags(id);
        *f = f.saturating_add(APPLIED);
        let (times, flags) = (*f / APPLIED, *f);
        if times == 1 {
            self.applied += 1;
            self.pending.remove(&id);
        }
        let twice = (times > 1).then(|| {
            self.duplicates += 1;
            format!("the consumer applied {}'s event {times} times", write(id))
        });
        let phantom = (flags & ROLLED_BACK != 0 && flags & PHANTOM == 0).then(|| self.phantom(id, "rolled back"));
        (twice, phantom)
    }

    /// At the end: the first lost event (and how many), the first phantom.
    pub fn settle(&mut self, now: Micros) -> (Option<Broken>, Option<String>) {
        self.lost = self.pending.len() as u64;
        let lost = self.pending.iter().next().map(|(&id, &(at, seq))| {
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
        let ghost = self.flags.iter().enumerate().find_map(|(client, row)| {
            let n = row.iter().position(|&f| f >= APPLIED && f & (COMMITTED | ROLLED_BACK | PHANTOM) == 0)?;
            Some(((client as u32) << 20) | n as u32)
        });
        let phantom = ghost.map(|id| self.phantom(id, "never committed"));
        (lost, phantom)
    }
}
