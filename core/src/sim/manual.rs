//! The manual scheduler: with it on, every message that reaches its destination's network
//! buffer waits until someone delivers it by id. The FLP adversary (a person or a program)
//! uses it; any lab can switch it on with `scheduler manual` in a fault script.

use alloc::string::String;
use alloc::vec::Vec;

use super::{Payload, Pending, Sim};
use crate::process::{Message, Process};
use crate::time::Micros;
use crate::trace::{MsgId, NodeId};

/// A message held by the manual scheduler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldView {
    pub msg: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    pub kind: &'static str,
    pub summary: String,
    pub sent_at: Micros,
}

impl<P: Process> Sim<P> {
    /// Switches the manual scheduler on or off. Off releases every held message, from now on.
    pub fn set_manual(&mut self, on: bool) {
        self.manual = on;
        if on {
            // Messages already on their way wait for the scheduler too.
            for slot in &mut self.slab {
                if let Some(Pending::Deliver { msg, .. }) = slot {
                    let msg = *msg;
                    let at = self.flights.get(&msg).map_or(self.now, |f| f.sent_at);
                    if let Some(pending) = slot.take() {
                        self.held.insert(msg, (at, pending));
                    }
                }
            }
        } else {
            // The backlog drains one message a microsecond, oldest first: a network cannot
            // hand over thousands of frames in no time, and a large backlog must not look to
            // the no-progress guard like a run stuck at one instant.
            for (index, (_, (_, pending))) in core::mem::take(&mut self.held).into_iter().enumerate() {
                let at = self.now + index as Micros;
                self.schedule(at, pending);
            }
        }
    }

    pub fn is_manual(&self) -> bool {
        self.manual
    }

    /// Messages waiting for the manual scheduler, oldest first, at most `limit` of them.
    pub fn held(&self, limit: usize) -> Vec<HeldView> {
        self.held
            .iter()
            .take(limit)
            .filter_map(|(&msg, (sent_at, pending))| match pending {
                Pending::Deliver { from, to, kind, payload, .. } => Some(HeldView {
                    msg,
                    from: *from,
                    to: *to,
                    kind,
                    summary: match payload {
                        Payload::Intact(m) => alloc::format!("{}", m.brief()),
                        Payload::Tampered { .. } => "tampered bytes".into(),
                    },
                    sent_at: *sent_at,
                }),
                _ => None,
            })
            .collect()
    }

    /// How many messages are held.
    pub fn held_count(&self) -> usize {
        self.held.len()
    }

    /// Held messages as (id, receiver, sent at), cheaply, oldest id first.
    pub fn held_brief(&self) -> impl Iterator<Item = (MsgId, NodeId, Micros)> + '_ {
        self.held.iter().filter_map(|(&msg, (sent_at, pending))| match pending {
            Pending::Deliver { to, .. } => Some((msg, *to, *sent_at)),
            _ => None,
        })
    }

    /// The message a held frame carries, for an adversary that reads everything.
    pub fn held_message(&self, msg: MsgId) -> Option<&P::Msg> {
        match self.held.get(&msg) {
            Some((_, Pending::Deliver { payload: Payload::Intact(m), .. })) => Some(m),
            _ => None,
        }
    }

    /// Delivers a held message now. Returns false if there is no such message.
    pub fn release(&mut self, msg: MsgId) -> bool {
        match self.held.remove(&msg) {
            Some((_, pending)) => {
                let now = self.now;
                self.schedule(now, pending);
                true
            }
            None => false,
        }
    }

    /// A frame reached its destination's network buffer: deliver it when due, or hold it
    /// for the manual scheduler.
    pub(super) fn arrive(&mut self, at: Micros, sent_at: Micros, pending: Pending<P>) {
        if self.manual {
            let Pending::Deliver { msg, .. } = &pending else { return self.schedule(at, pending) };
            self.held.insert(*msg, (sent_at, pending));
        } else {
            self.schedule(at, pending);
        }
    }
}
