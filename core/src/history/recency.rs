//! Recency: every read returns the value of a write that had not already been overwritten,
//! in real time, when the read began. This is Lamport's *regular* register ("On
//! interprocess communication", 1986) for many writers, and it is what quorum systems with
//! R + W > N promise (Gifford 1979; DeCandia et al. 2007): a read quorum overlaps the write
//! quorum of every write acknowledged before it, so it cannot miss one. It is weaker than
//! linearizability (two reads concurrent with a write may disagree in either order), and it
//! is checked per read in time linear in the history.
//!
//! A read of value `v` is stale when some write `w2` to the same key was acknowledged before
//! the read was invoked, and `v`'s own write had completed before `w2` was invoked, so `w2`
//! overwrote it in real time. A read of the initial value is stale once any write was
//! acknowledged before it began. Writes of unknown outcome never overwrite in this sense
//! (they may not have happened), and their values may be read at any time after their
//! invocation. The history's writes must be unique per key.

use crate::sort;
use alloc::format;

use super::{Answer, Call, History, Outcome, Val};

/// Judges read `read` of `h`; `None` if it is fresh (or is not a completed read). Times are
/// written as the history has them (a file's nanoseconds or line numbers).
pub fn check_read(h: &History, read: usize) -> Option<Answer> {
    check_read_timed(h, read, &|t| format!("{t}"))
}

/// As [`check_read`], writing times with `time` (a lab's microseconds as seconds).
pub fn check_read_timed(h: &History, read: usize, time: &dyn Fn(u64) -> alloc::string::String) -> Option<Answer> {
    let r = h.ops.get(read)?;
    if r.call != Call::Read || r.outcome != Outcome::Ok {
        return None;
    }
    let writes = || {
        h.ops.iter().enumerate().filter(|(_, o)| o.key == r.key && o.outcome != Outcome::Fail && o.written().is_some())
    };
    // When the value read was written (completed); the initial value at time zero.
    let source = writes().find(|(_, o)| o.written() == Some(&r.value));
    let written_by = match (&r.value, source) {
        (Val::Nil, _) => None,
        (_, Some((_, w))) => Some(w.end()),
        // A value nobody wrote is another judge's business (thin air).
        (_, None) => return None,
    };
    let newer = writes()
        .filter(|(_, w)| w.outcome == Outcome::Ok && w.end() < r.invoke && written_by.is_none_or(|t| w.invoke > t))
        .max_by_key(|(_, w)| w.end())?;
    let (w2, newer) = newer;
    let mut ops = alloc::vec![w2, read];
    if let Some((w1, _)) = source {
        ops.insert(0, w1);
    }
    let what = match source {
        Some((_, w)) => format!("the value of a write that completed at {}", time(w.end())),
        None => "the initial value".into(),
    };
    Some(Answer::Violated {
        ops,
        culprit: read,
        reason: format!(
            "a read of {} returned {} ({what}), though the write of {} had completed at {}, before the read began at {}",
            r.key,
            r.value,
            newer.written().cloned().unwrap_or(Val::Nil),
            time(newer.end()),
            time(r.invoke)
        ),
    })
}

/// Judges every read of `h`: the first stale read by completion, or holds.
pub fn check(h: &History) -> Answer {
    let mut reads: alloc::vec::Vec<usize> = (0..h.ops.len()).collect();
    sort::by_key(&mut reads, |&i| (h.ops[i].end(), i));
    reads.into_iter().find_map(|i| check_read(h, i)).unwrap_or(Answer::Holds { witness: alloc::vec::Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Val {
        Val::Str("x".into())
    }

    fn write(h: &mut History, p: u64, v: i64, from: u64, to: u64) {
        let i = h.invoke(p, key(), Call::Write(Val::Int(v)), from);
        h.complete(i, Outcome::Ok, Val::Nil, to);
    }

    fn read(h: &mut History, p: u64, v: Val, from: u64, to: u64) -> usize {
        let i = h.invoke(p, key(), Call::Read, from);
        h.complete(i, Outcome::Ok, v, to);
        i
    }

    #[test]
    fn a_read_after_an_acknowledged_write_must_not_return_the_older_value() {
        let mut h = History::new();
        write(&mut h, 0, 1, 0, 10);
        write(&mut h, 1, 2, 20, 30);
        let fresh = read(&mut h, 2, Val::Int(2), 40, 50);
        let stale = read(&mut h, 2, Val::Int(1), 60, 70);
        assert!(check_read(&h, fresh).is_none());
        let Some(Answer::Violated { ops, culprit, .. }) = check_read(&h, stale) else { panic!("stale read missed") };
        assert_eq!((ops, culprit), (alloc::vec![0, 1, stale], stale));
        assert!(check(&h).violated());
    }

    #[test]
    fn concurrent_writes_may_be_read_in_either_order() {
        let mut h = History::new();
        write(&mut h, 0, 1, 0, 30);
        write(&mut h, 1, 2, 10, 20);
        read(&mut h, 2, Val::Int(1), 40, 50);
        read(&mut h, 2, Val::Int(2), 60, 70);
        assert!(check(&h).holds());
    }

    #[test]
    fn the_initial_value_is_stale_once_a_write_was_acknowledged() {
        let mut h = History::new();
        read(&mut h, 2, Val::Nil, 0, 5);
        write(&mut h, 0, 1, 0, 10);
        let stale = read(&mut h, 2, Val::Nil, 20, 30);
        assert!(check_read(&h, 0).is_none());
        assert!(check_read(&h, stale).is_some());
    }

    #[test]
    fn a_write_of_unknown_outcome_overwrites_nothing() {
        let mut h = History::new();
        write(&mut h, 0, 1, 0, 10);
        let i = h.invoke(1, key(), Call::Write(Val::Int(2)), 20);
        h.complete(i, Outcome::Info, Val::Nil, 30);
        read(&mut h, 2, Val::Int(1), 40, 50);
        read(&mut h, 2, Val::Int(2), 60, 70);
        assert!(check(&h).holds());
    }
}
