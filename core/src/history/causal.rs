//! Causal consistency, for register histories whose writes are unique (each value written
//! once per key, so a read says which write it read from).
//!
//! Bouajjani, Enea, Guerraoui and Hamza ("On verifying causal consistency", POPL 2017)
//! show that such a history is causally consistent (CC) exactly when it has none of four
//! bad patterns, where the causal order `co` is the transitive closure of each process's
//! order and the read-from relation:
//! - **ThinAirRead**: a read returns a value that no write wrote;
//! - **CyclicCO**: `co` has a cycle (a reply seen before its question);
//! - **WriteCOInitRead**: a read returns the initial value although a write to its key is
//!   in its causal past;
//! - **WriteCORead**: a read returns the value of `w1` although another write `w2` to the
//!   same key sits between them in causal order (`w1 co w2 co read`): it reads a value
//!   overwritten in its causal past.
//!
//! Because every process's order is total, an operation's causal past is a prefix of each
//! process: it is a vector clock. The check sorts the operations topologically (finding any
//! cycle), computes each one's vector clock, and for each read asks every process for its
//! latest write to the key inside that past: O(n · processes · log n).

use crate::sort;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::{Answer, Call, History, Model, Val};

/// The bad pattern a violation is.
pub const PATTERNS: [&str; 4] = ["ThinAirRead", "CyclicCO", "WriteCOInitRead", "WriteCORead"];

/// Whether `h` is causally consistent, as a register per key.
pub fn check(h: &History, model: Model) -> Answer {
    if !matches!(model, Model::Register | Model::CasRegister) {
        return Answer::Unknown {
            reason: format!("causal consistency is judged for registers, not the {} model", model.name()),
        };
    }
    if !h.unique_writes() {
        return Answer::Unknown {
            reason: "causal consistency is judged only when every write's value is unique per key".into(),
        };
    }
    Graph::build(h).judge(h)
}

struct Graph {
    /// Each process's operations in its order.
    processes: Vec<Vec<usize>>,
    /// For each operation: its process (index into `processes`) and position there.
    place: Vec<Option<(usize, usize)>>,
    /// For each read that returned a written value: the write it read from.
    source: Vec<Option<usize>>,
    /// The first read found reading a value nobody wrote.
    thin_air: Option<usize>,
}

impl Graph {
    fn build(h: &History) -> Graph {
        let mut ids: Vec<u64> = Vec::new();
        let mut processes: Vec<Vec<usize>> = Vec::new();
        let mut place = vec![None; h.ops.len()];
        for i in h.counted(None) {
            let p = match ids.iter().position(|&q| q == h.ops[i].process) {
                Some(p) => p,
                None => {
                    ids.push(h.ops[i].process);
                    processes.push(Vec::new());
                    processes.len() - 1
                }
            };
            processes[p].push(i);
        }
        for list in &mut processes {
            sort::by_key(list, |&i| (h.ops[i].invoke, i));
            for (pos, &i) in list.iter().enumerate() {
                place[i] = Some((0, pos));
            }
        }
        for (p, list) in processes.iter().enumerate() {
            for &i in list {
                if let Some(slot) = &mut place[i] {
                    slot.0 = p;
                }
            }
        }
        let mut writes: Vec<(&Val, &Val, usize)> = h
            .ops
            .iter()
            .enumerate()
            .filter(|(_, o)| o.counts() && !matches!(o.call, Call::Read))
            .filter_map(|(i, o)| o.written().map(|v| (&o.key, v, i)))
            .collect();
        sort::ascending(&mut writes);
        let mut source = vec![None; h.ops.len()];
        let mut thin_air = None;
        let mut reads: Vec<usize> = (0..h.ops.len()).filter(|&i| reads_value(h, i)).collect();
        sort::by_key(&mut reads, |&i| (h.ops[i].end(), i));
        for r in reads {
            let o = &h.ops[r];
            match writes.binary_search_by(|(k, v, _)| (*k, *v).cmp(&(&o.key, &o.value))) {
                Ok(at) => source[r] = Some(writes[at].2),
                Err(_) => {
                    if thin_air.is_none() {
                        thin_air = Some(r);
                    }
                }
            }
        }
        Graph { processes, place, source, thin_air }
    }

    /// A topological order of po ∪ wr, or the operations on a cycle.
    fn order(&self, n: usize) -> Result<Vec<usize>, Vec<usize>> {
        let mut indegree = vec![0usize; n];
        let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (r, s) in self.source.iter().enumerate() {
            if let Some(w) = s {
                indegree[r] += 1;
                readers[*w].push(r);
            }
        }
        for list in &self.processes {
            for &i in list.iter().skip(1) {
                indegree[i] += 1;
            }
        }
        let successors = |i: usize| {
            let next = self.place[i].and_then(|(p, pos)| self.processes[p].get(pos + 1).copied());
            next.into_iter().chain(readers[i].iter().copied())
        };
        let mut ready: Vec<usize> =
            self.processes.iter().filter_map(|l| l.first().copied()).filter(|&i| indegree[i] == 0).collect();
        let mut order = Vec::new();
        while let Some(i) = ready.pop() {
            order.push(i);
            for j in successors(i) {
                indegree[j] -= 1;
                if indegree[j] == 0 {
                    ready.push(j);
                }
            }
        }
        let placed = self.place.iter().filter(|p| p.is_some()).count();
        if order.len() == placed {
            return Ok(order);
        }
        // Walk backwards along unfinished predecessors until an operation repeats.
        let stuck = |i: usize| indegree[i] > 0;
        let mut at = (0..n).find(|&i| self.place[i].is_some() && stuck(i)).unwrap_or(0);
        let mut path: Vec<usize> = Vec::new();
        loop {
            if let Some(start) = path.iter().position(|&i| i == at) {
                let mut cycle = path[start..].to_vec();
                cycle.reverse();
                return Err(cycle);
            }
            path.push(at);
            let po_pred = self.place[at].and_then(|(p, pos)| pos.checked_sub(1).map(|q| self.processes[p][q]));
            let pred = po_pred.filter(|&i| stuck(i)).or(self.source[at].filter(|&w| stuck(w)));
            match pred {
                Some(p) => at = p,
                None => return Err(path),
            }
        }
    }

    fn judge(&self, h: &History) -> Answer {
        if let Some(r) = self.thin_air {
            let reason = format!("ThinAirRead: {} returns a value that no write wrote", h.ops[r]);
            return Answer::Violated { ops: vec![r], culprit: r, reason };
        }
        let order = match self.order(h.ops.len()) {
            Ok(order) => order,
            Err(cycle) => {
                let culprit = *cycle.iter().max_by_key(|&&i| (h.ops[i].end(), i)).unwrap_or(&0);
                let reason = format!(
                    "CyclicCO: {} operations each causally precede the next and the last precedes the first (a reply seen before its question), through {}",
                    cycle.len(),
                    h.ops[culprit]
                );
                return Answer::Violated { ops: cycle, culprit, reason };
            }
        };
        let width = self.processes.len();
        // clock[i][q]: how many of process q's operations are in i's causal past (i included).
        let mut clock = vec![Vec::new(); h.ops.len()];
        for &i in &order {
            let (p, pos) = self.place[i].unwrap_or((0, 0));
            let mut c = match pos.checked_sub(1) {
                Some(q) => clock[self.processes[p][q]].clone(),
                None => vec![0u32; width],
            };
            if let Some(w) = self.source[i] {
                for (a, b) in c.iter_mut().zip(&clock[w]) {
                    *a = (*a).max(*b);
                }
            }
            c[p] = pos as u32 + 1;
            clock[i] = c;
        }
        // Each process's writes per key, by position.
        let mut writes: Vec<(usize, &Val, usize, usize)> = Vec::new();
        for (p, list) in self.processes.iter().enumerate() {
            for (pos, &i) in list.iter().enumerate() {
                if h.ops[i].written().is_some() {
                    writes.push((p, &h.ops[i].key, pos, i));
                }
            }
        }
        sort::ascending(&mut writes);
        let before = |w: usize, later: usize| {
            let (p, pos) = self.place[w].unwrap_or((0, 0));
            clock[later][p] as usize > pos
        };
        let mut reads: Vec<usize> = (0..h.ops.len()).filter(|&i| reads_value(h, i) || reads_initial(h, i)).collect();
        sort::by_key(&mut reads, |&i| (h.ops[i].end(), i));
        for r in reads {
            let key = &h.ops[r].key;
            for (q, &limit) in clock[r].iter().enumerate().take(width) {
                // q's latest write to `key` inside r's causal past.
                let limit = limit as usize;
                let lo = writes.partition_point(|&(p, k, _, _)| (p, k) < (q, key));
                let hi =
                    writes.partition_point(|&(p, k, pos, _)| (p, k) < (q, key) || ((p, k) == (q, key) && pos < limit));
                if lo == hi {
                    continue;
                }
                let w2 = writes[hi - 1].3;
                if w2 == r {
                    continue;
                }
                match self.source[r] {
                    None => {
                        let reason = format!(
                            "WriteCOInitRead: {} returns the initial value although {} is in its causal past",
                            h.ops[r], h.ops[w2]
                        );
                        return Answer::Violated { ops: vec![w2, r], culprit: r, reason };
                    }
                    Some(w1) if w1 != w2 && before(w1, w2) => {
                        let reason = format!(
                            "WriteCORead: {} returns the value of {}, overwritten in its causal past by {}",
                            h.ops[r], h.ops[w1], h.ops[w2]
                        );
                        return Answer::Violated { ops: vec![w1, w2, r], culprit: r, reason };
                    }
                    Some(_) => {}
                }
            }
        }
        Answer::Holds { witness: order }
    }
}

/// A completed read that returned a written (non-initial) value.
fn reads_value(h: &History, i: usize) -> bool {
    let o = &h.ops[i];
    o.call.is_read() && o.known() && o.value != Val::Nil
}

fn reads_initial(h: &History, i: usize) -> bool {
    let o = &h.ops[i];
    o.call.is_read() && o.known() && o.value == Val::Nil
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Outcome;

    fn op(h: &mut History, p: u64, key: i64, call: Call, value: Option<i64>, t: (u64, u64)) -> usize {
        let i = h.invoke(p, Val::Int(key), call, t.0);
        h.complete(i, Outcome::Ok, value.map_or(Val::Nil, Val::Int), t.1);
        i
    }
    fn w(v: i64) -> Call {
        Call::Write(Val::Int(v))
    }
    fn pattern(a: Answer) -> &'static str {
        match a {
            Answer::Violated { reason, .. } => PATTERNS.into_iter().find(|p| reason.starts_with(p)).unwrap_or("?"),
            other => panic!("expected a violation, got {other:?}"),
        }
    }

    #[test]
    fn a_reply_seen_before_its_question_is_caught() {
        // p1 asks (x=1); p2 reads the question and answers (y=2); p3 sees the answer but not
        // the question.
        let mut h = History::new();
        op(&mut h, 1, 0, w(1), None, (0, 10));
        op(&mut h, 2, 0, Call::Read, Some(1), (20, 30));
        op(&mut h, 2, 1, w(2), None, (40, 50));
        op(&mut h, 3, 1, Call::Read, Some(2), (60, 70));
        let fine = h.clone();
        let r = op(&mut h, 3, 0, Call::Read, None, (80, 90));
        assert!(check(&fine, Model::Register).holds());
        let answer = check(&h, Model::Register);
        assert!(matches!(&answer, Answer::Violated { culprit, .. } if *culprit == r));
        assert_eq!(pattern(answer), "WriteCOInitRead");
    }

    #[test]
    fn a_value_overwritten_in_the_causal_past_is_caught() {
        let mut h = History::new();
        op(&mut h, 1, 0, w(1), None, (0, 10));
        op(&mut h, 1, 0, w(2), None, (20, 30));
        op(&mut h, 2, 0, Call::Read, Some(2), (40, 50));
        op(&mut h, 2, 0, Call::Read, Some(1), (60, 70));
        assert_eq!(pattern(check(&h, Model::Register)), "WriteCORead");
    }

    #[test]
    fn concurrent_writes_may_be_seen_in_different_orders() {
        // Causal, though not sequential: p3 and p4 disagree on the order of two concurrent writes.
        let mut h = History::new();
        op(&mut h, 1, 0, w(1), None, (0, 10));
        op(&mut h, 2, 0, w(2), None, (0, 10));
        op(&mut h, 3, 0, Call::Read, Some(1), (20, 30));
        op(&mut h, 3, 0, Call::Read, Some(2), (40, 50));
        op(&mut h, 4, 0, Call::Read, Some(2), (20, 30));
        op(&mut h, 4, 0, Call::Read, Some(1), (40, 50));
        assert!(check(&h, Model::Register).holds());
        assert!(crate::history::sequential::check(&h, Model::Register, Default::default()).violated());
    }

    #[test]
    fn thin_air_and_cycles_are_caught() {
        let mut h = History::new();
        op(&mut h, 1, 0, Call::Read, Some(9), (0, 10));
        assert_eq!(pattern(check(&h, Model::Register)), "ThinAirRead");
        let mut h = History::new();
        op(&mut h, 1, 0, Call::Read, Some(2), (0, 10));
        op(&mut h, 1, 1, w(1), None, (20, 30));
        op(&mut h, 2, 1, Call::Read, Some(1), (0, 10));
        op(&mut h, 2, 0, w(2), None, (20, 30));
        assert_eq!(pattern(check(&h, Model::Register)), "CyclicCO");
    }

    #[test]
    fn duplicate_writes_are_not_judged() {
        let mut h = History::new();
        op(&mut h, 1, 0, w(1), None, (0, 10));
        op(&mut h, 2, 0, w(1), None, (0, 10));
        assert!(matches!(check(&h, Model::Register), Answer::Unknown { .. }));
    }
}
