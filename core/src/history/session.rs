//! The session guarantees of Terry, Demers, Petersen, Spreitzer, Theimer and Welch ("Session
//! guarantees for weakly consistent replicated data", PDIS 1994), judged from a register
//! history with unique writes, and convergence, the promise of eventual consistency.
//!
//! A history does not say in which order a store arbitrated writes, so "older" here means
//! what a person watching would call older: a write `a` is older than `b` when `a` completed
//! before `b` was invoked, or when the same process did `a` before `b`. Each guarantee is a
//! pattern that must not occur within one process's session:
//! - **read your writes**: after writing a key, a read of it does not return the initial
//!   value or a value older than that write;
//! - **monotonic reads**: a later read of a key does not return a value older than an
//!   earlier read returned (or the initial value after a written one);
//! - **monotonic writes**: nobody sees a process's second write and then its first;
//! - **writes follow reads**: nobody sees a write made after reading `w` and then a value
//!   older than `w` (or the initial one) on `w`'s key.

use crate::sort;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::{Answer, Call, History, Model, Val};

/// The four guarantees, by name, in Terry et al.'s order.
pub const GUARANTEES: [&str; 4] = ["read-your-writes", "monotonic-reads", "monotonic-writes", "writes-follow-reads"];

/// Judges guarantee `which` (an index into [`GUARANTEES`]).
pub fn check(h: &History, which: usize) -> Answer {
    if !h.unique_writes() {
        return Answer::Unknown {
            reason: "session guarantees are judged only when every write's value is unique per key".into(),
        };
    }
    let s = Sessions::new(h);
    let found = match which {
        0 => s.read_your_writes(),
        1 => s.monotonic_reads(),
        2 => s.monotonic_writes(),
        _ => s.writes_follow_reads(),
    };
    match found {
        Some((ops, reason)) => Answer::Violated { culprit: *ops.last().unwrap_or(&0), ops, reason },
        None => Answer::Holds { witness: Vec::new() },
    }
}

/// Eventual consistency's convergence: every process's last read of a key that began after
/// all writes to it had ended returns the same value, and one that was written (or the
/// initial value, when nothing was written).
pub fn convergence(h: &History, model: Model) -> Answer {
    convergence_of(h, model, |_| true)
}

/// [`convergence`], counting only the reads `final_read` picks (a lab that marks its final
/// reads: an earlier read may lag without breaking anything).
pub fn convergence_of(h: &History, model: Model, final_read: impl Fn(usize) -> bool) -> Answer {
    let mut judged = false;
    for key in h.keys() {
        let on_key: Vec<usize> = h.counted(Some(&key));
        let quiet = on_key
            .iter()
            .filter(|&&i| !h.ops[i].call.is_read())
            .map(|&i| h.ops[i].complete.filter(|_| h.ops[i].known()).unwrap_or(h.ops[i].invoke))
            .max()
            .unwrap_or(0);
        let mut finals: Vec<(u64, usize)> = Vec::new();
        for &i in &on_key {
            let o = &h.ops[i];
            if o.call.is_read() && o.known() && o.invoke > quiet && final_read(i) {
                match finals.iter_mut().find(|(p, _)| *p == o.process) {
                    Some(slot) if h.ops[slot.1].invoke < o.invoke => slot.1 = i,
                    Some(_) => {}
                    None => finals.push((o.process, i)),
                }
            }
        }
        let Some(&(_, first)) = finals.first() else { continue };
        judged = true;
        let written = |v: &Val| {
            v == &model.initial() && on_key.iter().all(|&i| h.ops[i].call.is_read())
                || on_key.iter().any(|&i| h.ops[i].written() == Some(v))
                || matches!(model, Model::Kv | Model::Set)
        };
        if let Some(&(_, other)) = finals.iter().find(|(_, i)| h.ops[*i].value != h.ops[first].value) {
            let reason = format!("the final reads disagree: {} and {}", h.ops[first], h.ops[other]);
            return Answer::Violated { ops: vec![first, other], culprit: other, reason };
        }
        if !written(&h.ops[first].value) {
            let reason = format!("the final reads agree on a value nobody wrote: {}", h.ops[first]);
            return Answer::Violated { ops: vec![first], culprit: first, reason };
        }
    }
    if judged {
        Answer::Holds { witness: Vec::new() }
    } else {
        Answer::Unknown { reason: "no read began after the writes had stopped".into() }
    }
}

struct Sessions<'h> {
    h: &'h History,
    /// Each process's counted operations in its order.
    processes: Vec<Vec<usize>>,
    /// For each read that returned a written value, the write.
    source: Vec<Option<usize>>,
    /// Each operation's key as a number (its rank among the history's keys).
    key_id: Vec<u32>,
    /// Per process: (key, position in its session) of each completed read, sorted, so the
    /// reads of one key after a point in a session are a binary search away.
    reads: Vec<Vec<(u32, u32)>>,
    /// Per write: (process, position) of the reads that returned its value, in session order.
    readers: Vec<Vec<(u32, u32)>>,
}

impl<'h> Sessions<'h> {
    fn new(h: &'h History) -> Self {
        let mut processes: Vec<(u64, Vec<usize>)> = Vec::new();
        for i in h.counted(None) {
            match processes.iter_mut().find(|(p, _)| *p == h.ops[i].process) {
                Some((_, list)) => list.push(i),
                None => processes.push((h.ops[i].process, vec![i])),
            }
        }
        let processes: Vec<Vec<usize>> = processes
            .into_iter()
            .map(|(_, mut list)| {
                sort::by_key(&mut list, |&i| (h.ops[i].invoke, i));
                list
            })
            .collect();
        let n = h.ops.len();
        let mut by_key: Vec<usize> = (0..n).collect();
        sort::by(&mut by_key, |&a, &b| h.ops[a].key.cmp(&h.ops[b].key));
        let mut key_id = vec![0u32; n];
        for pair in by_key.windows(2) {
            let step = u32::from(h.ops[pair[0]].key != h.ops[pair[1]].key);
            key_id[pair[1]] = key_id[pair[0]] + step;
        }
        // The writes by (key, value), first written first: a read's source is the first.
        let mut writes: Vec<usize> =
            (0..n).filter(|&w| h.ops[w].counts() && !h.ops[w].call.is_read() && h.ops[w].written().is_some()).collect();
        sort::by_key(&mut writes, |&w| (key_id[w], h.ops[w].written(), w));
        let source: Vec<Option<usize>> = (0..n)
            .map(|r| {
                let o = &h.ops[r];
                if !(o.call.is_read() && o.known()) {
                    return None;
                }
                let wanted = (key_id[r], Some(&o.value));
                let first = writes.partition_point(|&w| (key_id[w], h.ops[w].written()) < wanted);
                writes.get(first).copied().filter(|&w| (key_id[w], h.ops[w].written()) == wanted)
            })
            .collect();
        let mut reads = Vec::with_capacity(processes.len());
        let mut readers = vec![Vec::new(); n];
        for (p, list) in processes.iter().enumerate() {
            let mut mine: Vec<(u32, u32)> = Vec::new();
            for (at, &i) in list.iter().enumerate() {
                if h.ops[i].call.is_read() && h.ops[i].known() {
                    mine.push((key_id[i], at as u32));
                }
                if let Some(w) = source[i] {
                    readers[w].push((p as u32, at as u32));
                }
            }
            sort::by_key(&mut mine, |&(key, _)| key);
            reads.push(mine);
        }
        Sessions { h, processes, source, key_id, reads, readers }
    }

    /// `a` is older than `b`: it completed before `b` began, or its process did it first.
    fn older(&self, a: usize, b: usize) -> bool {
        let (x, y) = (&self.h.ops[a], &self.h.ops[b]);
        (x.known() && x.complete.is_some_and(|t| t < y.invoke)) || (x.process == y.process && x.invoke < y.invoke)
    }

    /// The first read in process `p`'s session after position `at` that is behind `w`: a
    /// completed read of `w`'s key returning the initial value, or a value older than `w`.
    fn first_behind(&self, p: usize, at: usize, w: usize) -> Option<usize> {
        let key = self.key_id[w];
        let reads = &self.reads[p];
        let start = reads.partition_point(|&(k, pos)| (k, pos as usize) <= (key, at));
        reads[start..]
            .iter()
            .take_while(|&&(k, _)| k == key)
            .map(|&(_, pos)| self.processes[p][pos as usize])
            .find(|&r| self.source[r].map_or(self.h.ops[r].value == Val::Nil, |s| s != w && self.older(s, w)))
    }

    fn is_write(&self, i: usize) -> bool {
        !matches!(self.h.ops[i].call, Call::Read)
    }

    fn read_your_writes(&self) -> Option<(Vec<usize>, alloc::string::String)> {
        for (p, list) in self.processes.iter().enumerate() {
            for (at, &w) in list.iter().enumerate().filter(|(_, &i)| self.is_write(i)) {
                if let Some(r) = self.first_behind(p, at, w) {
                    let reason = format!("{} does not see the session's own earlier {}", self.h.ops[r], self.h.ops[w]);
                    return Some((vec![w, r], reason));
                }
            }
        }
        None
    }

    fn monotonic_reads(&self) -> Option<(Vec<usize>, alloc::string::String)> {
        for (p, list) in self.processes.iter().enumerate() {
            for (at, &r1) in list.iter().enumerate() {
                let Some(w1) = self.source[r1] else { continue };
                if let Some(r2) = self.first_behind(p, at, w1) {
                    let reason = format!("{} goes back in time after {}", self.h.ops[r2], self.h.ops[r1]);
                    return Some((vec![r1, r2], reason));
                }
            }
        }
        None
    }

    /// Someone reads `later`'s value and afterwards something behind `earlier`.
    fn seen_out_of_order(&self, later: usize, earlier: usize) -> Option<(usize, usize)> {
        self.readers[later].iter().find_map(|&(p, at)| {
            let (p, at) = (p as usize, at as usize);
            self.first_behind(p, at, earlier).map(|r2| (self.processes[p][at], r2))
        })
    }

    fn monotonic_writes(&self) -> Option<(Vec<usize>, alloc::string::String)> {
        for list in &self.processes {
            let writes: Vec<usize> = list.iter().copied().filter(|&i| self.is_write(i)).collect();
            for (at, &w1) in writes.iter().enumerate() {
                for &w2 in &writes[at + 1..] {
                    if let Some((r1, r2)) = self.seen_out_of_order(w2, w1) {
                        let reason = format!(
                            "{} sees {} but then {} does not see the earlier {}",
                            self.h.ops[r1], self.h.ops[w2], self.h.ops[r2], self.h.ops[w1]
                        );
                        return Some((vec![w1, w2, r1, r2], reason));
                    }
                }
            }
        }
        None
    }

    fn writes_follow_reads(&self) -> Option<(Vec<usize>, alloc::string::String)> {
        for list in &self.processes {
            for (at, &r) in list.iter().enumerate() {
                let Some(w1) = self.source[r] else { continue };
                for &w2 in list[at + 1..].iter().filter(|&&i| self.is_write(i)) {
                    if let Some((r1, r2)) = self.seen_out_of_order(w2, w1) {
                        let reason = format!(
                            "{} sees {} (written after reading {}) but then {} does not see it",
                            self.h.ops[r1], self.h.ops[w2], self.h.ops[w1], self.h.ops[r2]
                        );
                        return Some((vec![w1, r, w2, r1, r2], reason));
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Outcome;

    /// The guarantees as first written: the same search, scanning whole sessions. The index
    /// above must give exactly its answers.
    mod reference {
        use super::super::*;

        pub struct Sessions<'h> {
            h: &'h History,
            processes: Vec<Vec<usize>>,
            source: Vec<Option<usize>>,
        }

        pub fn check(h: &History, which: usize) -> Answer {
            let fast = super::super::Sessions::new(h);
            let s = Sessions { h, processes: fast.processes.clone(), source: slow_source(h) };
            let found = match which {
                0 => s.read_your_writes(),
                1 => s.monotonic_reads(),
                2 => s.monotonic_writes(),
                _ => s.writes_follow_reads(),
            };
            match found {
                Some((ops, reason)) => Answer::Violated { culprit: *ops.last().unwrap_or(&0), ops, reason },
                None => Answer::Holds { witness: Vec::new() },
            }
        }

        fn slow_source(h: &History) -> Vec<Option<usize>> {
            (0..h.ops.len())
                .map(|r| {
                    let o = &h.ops[r];
                    if !(o.call.is_read() && o.known()) {
                        return None;
                    }
                    h.ops.iter().position(|w| {
                        w.key == o.key && w.counts() && !w.call.is_read() && w.written() == Some(&o.value)
                    })
                })
                .collect()
        }

        impl Sessions<'_> {
            fn older(&self, a: usize, b: usize) -> bool {
                let (x, y) = (&self.h.ops[a], &self.h.ops[b]);
                (x.known() && x.complete.is_some_and(|t| t < y.invoke))
                    || (x.process == y.process && x.invoke < y.invoke)
            }
            fn behind(&self, r: usize, w: usize) -> bool {
                let o = &self.h.ops[r];
                o.call.is_read()
                    && o.known()
                    && o.key == self.h.ops[w].key
                    && self.source[r].map_or(o.value == Val::Nil, |s| s != w && self.older(s, w))
            }
            fn is_write(&self, i: usize) -> bool {
                !matches!(self.h.ops[i].call, Call::Read)
            }
            fn read_your_writes(&self) -> Option<(Vec<usize>, alloc::string::String)> {
                for list in &self.processes {
                    for (at, &w) in list.iter().enumerate().filter(|(_, &i)| self.is_write(i)) {
                        if let Some(&r) = list[at + 1..].iter().find(|&&r| self.behind(r, w)) {
                            let reason =
                                format!("{} does not see the session's own earlier {}", self.h.ops[r], self.h.ops[w]);
                            return Some((vec![w, r], reason));
                        }
                    }
                }
                None
            }
            fn monotonic_reads(&self) -> Option<(Vec<usize>, alloc::string::String)> {
                for list in &self.processes {
                    for (at, &r1) in list.iter().enumerate() {
                        let Some(w1) = self.source[r1] else { continue };
                        if let Some(&r2) = list[at + 1..].iter().find(|&&r2| self.behind(r2, w1)) {
                            let reason = format!("{} goes back in time after {}", self.h.ops[r2], self.h.ops[r1]);
                            return Some((vec![r1, r2], reason));
                        }
                    }
                }
                None
            }
            fn seen_out_of_order(&self, later: usize, earlier: usize) -> Option<(usize, usize)> {
                for list in &self.processes {
                    for (at, &r1) in list.iter().enumerate() {
                        if self.source[r1] == Some(later) {
                            if let Some(&r2) = list[at + 1..].iter().find(|&&r2| self.behind(r2, earlier)) {
                                return Some((r1, r2));
                            }
                        }
                    }
                }
                None
            }
            fn monotonic_writes(&self) -> Option<(Vec<usize>, alloc::string::String)> {
                for list in &self.processes {
                    let writes: Vec<usize> = list.iter().copied().filter(|&i| self.is_write(i)).collect();
                    for (at, &w1) in writes.iter().enumerate() {
                        for &w2 in &writes[at + 1..] {
                            if let Some((r1, r2)) = self.seen_out_of_order(w2, w1) {
                                let reason = format!(
                                    "{} sees {} but then {} does not see the earlier {}",
                                    self.h.ops[r1], self.h.ops[w2], self.h.ops[r2], self.h.ops[w1]
                                );
                                return Some((vec![w1, w2, r1, r2], reason));
                            }
                        }
                    }
                }
                None
            }
            fn writes_follow_reads(&self) -> Option<(Vec<usize>, alloc::string::String)> {
                for list in &self.processes {
                    for (at, &r) in list.iter().enumerate() {
                        let Some(w1) = self.source[r] else { continue };
                        for &w2 in list[at + 1..].iter().filter(|&&i| self.is_write(i)) {
                            if let Some((r1, r2)) = self.seen_out_of_order(w2, w1) {
                                let reason = format!(
                                    "{} sees {} (written after reading {}) but then {} does not see it",
                                    self.h.ops[r1], self.h.ops[w2], self.h.ops[w1], self.h.ops[r2]
                                );
                                return Some((vec![w1, r, w2, r1, r2], reason));
                            }
                        }
                    }
                }
                None
            }
        }
    }

    #[test]
    fn the_index_gives_the_straightforward_searchs_answers() {
        let mut rng = crate::rng::Rng::seeded(11);
        let mut violated = [0; 4];
        for round in 0..400 {
            // Three or four processes on two or three keys, overlapping in time; reads return
            // the initial value or a value written so far (or any value written at all, to
            // make reads that see the future), some operations fail or stay open.
            let mut h = History::new();
            let (processes, keys) = (3 + rng.below(2), 2 + rng.below(2));
            let mut written: Vec<(i64, i64)> = Vec::new();
            // Values are unique per key, and the same values recur on every key, so a read's
            // source must be found by key and value.
            let mut next_value = [0i64; 3];
            for step in 0..(20 + rng.below(40)) {
                let p = rng.below(processes);
                let key = rng.below(keys) as i64;
                let start = step * 10 + rng.below(25);
                let end = start + 1 + rng.below(30);
                let i = if rng.below(3) == 0 {
                    next_value[key as usize] += 1;
                    written.push((key, next_value[key as usize]));
                    h.invoke(p, Val::Int(key), Call::Write(Val::Int(next_value[key as usize])), start)
                } else {
                    h.invoke(p, Val::Int(key), Call::Read, start)
                };
                let on_key: Vec<i64> = written.iter().filter(|(k, _)| *k == key).map(|&(_, v)| v).collect();
                let value = match rng.below(4) {
                    0 => Val::Nil,
                    _ if on_key.is_empty() => Val::Nil,
                    _ => Val::Int(on_key[rng.below(on_key.len() as u64) as usize]),
                };
                let value = if matches!(h.ops[i].call, Call::Read) { value } else { Val::Nil };
                match rng.below(12) {
                    0 => {}
                    1 => h.complete(i, Outcome::Fail, Val::Nil, end),
                    2 => h.complete(i, Outcome::Info, Val::Nil, end),
                    _ => h.complete(i, Outcome::Ok, value, end),
                }
            }
            for (which, count) in violated.iter_mut().enumerate() {
                let expected = reference::check(&h, which);
                assert_eq!(check(&h, which), expected, "round {round}, guarantee {which}");
                *count += usize::from(expected.violated());
            }
        }
        assert!(violated.iter().all(|&n| n >= 20), "each guarantee is broken in some rounds: {violated:?}");
    }

    fn op(h: &mut History, p: u64, call: Call, value: Option<i64>, t: (u64, u64)) -> usize {
        let i = h.invoke(p, Val::Int(0), call, t.0);
        h.complete(i, Outcome::Ok, value.map_or(Val::Nil, Val::Int), t.1);
        i
    }
    fn w(v: i64) -> Call {
        Call::Write(Val::Int(v))
    }

    #[test]
    fn each_guarantee_catches_its_own_pattern() {
        let mut h = History::new();
        op(&mut h, 1, w(1), None, (0, 10));
        op(&mut h, 1, Call::Read, None, (20, 30));
        assert!(check(&h, 0).violated(), "read your writes");
        assert!(check(&h, 1).holds());

        let mut h = History::new();
        op(&mut h, 1, w(1), None, (0, 10));
        op(&mut h, 2, Call::Read, Some(1), (20, 30));
        op(&mut h, 2, Call::Read, None, (40, 50));
        assert!(check(&h, 1).violated(), "monotonic reads");
        assert!(check(&h, 0).holds());

        let mut h = History::new();
        op(&mut h, 1, w(1), None, (0, 10));
        op(&mut h, 1, w(2), None, (20, 30));
        op(&mut h, 2, Call::Read, Some(2), (40, 50));
        op(&mut h, 2, Call::Read, None, (60, 70));
        assert!(check(&h, 2).violated(), "monotonic writes");

        let mut h = History::new();
        op(&mut h, 1, w(1), None, (0, 10));
        op(&mut h, 2, Call::Read, Some(1), (20, 30));
        op(&mut h, 2, w(2), None, (40, 50));
        op(&mut h, 3, Call::Read, Some(2), (60, 70));
        op(&mut h, 3, Call::Read, None, (80, 90));
        assert!(check(&h, 3).violated(), "writes follow reads");
    }

    #[test]
    fn convergence_needs_the_final_reads_to_agree() {
        let mut h = History::new();
        op(&mut h, 1, w(1), None, (0, 10));
        op(&mut h, 2, w(2), None, (0, 10));
        assert!(matches!(convergence(&h, Model::Register), Answer::Unknown { .. }));
        op(&mut h, 1, Call::Read, Some(2), (20, 30));
        let agreeing = h.clone();
        op(&mut h, 2, Call::Read, Some(1), (20, 30));
        assert!(convergence(&agreeing, Model::Register).holds());
        assert!(convergence(&h, Model::Register).violated());
    }
}
