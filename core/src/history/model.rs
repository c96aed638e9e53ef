//! The sequential specifications the judges check against: a register, a compare-and-set
//! register, a key-value store of strings with append, and a set. Each key is its own
//! object; its state is one [`Val`].

use crate::sort;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::{Call, Op, Outcome};

/// A value in a history: nothing, an integer, a string, or a list (a set's elements).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Val {
    Nil,
    Int(i64),
    Str(String),
    List(Vec<Val>),
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Nil => f.write_str("nil"),
            Val::Int(n) => write!(f, "{n}"),
            Val::Str(s) => write!(f, "\"{s}\""),
            Val::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Which object the history's operations act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// read and write; the initial value is nil.
    Register,
    /// read, write and compare-and-set; the initial value is nil.
    CasRegister,
    /// get, put and append of strings per key; the initial value is the empty string.
    Kv,
    /// add and read of the whole set; the initial value is the empty set.
    Set,
}

impl Model {
    pub const ALL: [Model; 4] = [Model::Register, Model::CasRegister, Model::Kv, Model::Set];

    pub fn name(self) -> &'static str {
        match self {
            Model::Register => "register",
            Model::CasRegister => "cas-register",
            Model::Kv => "kv",
            Model::Set => "set",
        }
    }

    pub fn parse(text: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.name() == text)
    }

    pub fn initial(self) -> Val {
        match self {
            Model::Register | Model::CasRegister => Val::Nil,
            Model::Kv => Val::Str(String::new()),
            Model::Set => Val::List(Vec::new()),
        }
    }

    /// Whether a read's value equals the state (the key-value model reads nil as "").
    fn same(self, read: &Val, state: &Val) -> bool {
        match (self, read) {
            (Model::Kv, Val::Nil) => matches!(state, Val::Str(s) if s.is_empty()),
            (Model::Set, Val::List(items)) => {
                let mut sorted = items.clone();
                sort::ascending(&mut sorted);
                sorted.dedup();
                &Val::List(sorted) == state
            }
            _ => read == state,
        }
    }

    /// Applies `op` to `state`: the next state, or `None` when `op` could not have returned
    /// what it did from `state`. An operation whose result is unknown is applied for its
    /// effect and accepts any result.
    pub fn step(self, state: &Val, op: &Op) -> Option<Val> {
        let known = op.known();
        match &op.call {
            Call::Read => (!known || self.same(&op.value, state)).then(|| state.clone()),
            Call::Write(v) => Some(v.clone()),
            Call::Cas(from, to) => {
                let matches = state == from;
                match (known, op.outcome) {
                    (true, Outcome::Fail) => (!matches).then(|| state.clone()),
                    (true, _) => matches.then(|| to.clone()),
                    (false, _) => Some(if matches { to.clone() } else { state.clone() }),
                }
            }
            Call::Append(v) => {
                let mut text = match state {
                    Val::Str(s) => s.clone(),
                    _ => String::new(),
                };
                match v {
                    Val::Str(s) => text.push_str(s),
                    other => {
                        use core::fmt::Write;
                        let _ = write!(text, "{other}");
                    }
                }
                Some(Val::Str(text))
            }
            Call::Add(v) => {
                let mut items = match state {
                    Val::List(items) => items.clone(),
                    _ => Vec::new(),
                };
                if let Err(at) = items.binary_search(v) {
                    items.insert(at, v.clone());
                }
                Some(Val::List(items))
            }
        }
    }
}
