//! What the transactions lab's nodes tell its checkers, metrics and view: typed, hashed
//! into the digest, and turned into text only when someone reads the trace.

use alloc::format;
use alloc::string::String;

use super::msg::{saga, tx, write, Account, TxId, COMPENSATIONS, STEPS};
use crate::process::{ObsClass, Observation};
use crate::trace::NodeId;

/// How a participant came to its decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum By {
    /// The coordinator's decision (or its answer to an inquiry).
    Coordinator,
    /// The other participant knew the outcome (cooperative termination).
    Peer,
    /// Three-phase commit's termination rule, without the coordinator.
    Termination,
    /// On its own: it voted no, timed out waiting for a lock, or promised an inquirer it
    /// never would vote yes.
    Alone,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Obs {
    /// A client sends a request (a transfer, an order, a write).
    Submitted {
        id: TxId,
    },
    /// The client heard how it ended (`None`: it gave up waiting).
    Finished {
        id: TxId,
        ok: Option<bool>,
    },
    /// The workload is over and has had time to finish: the lab checks what never ended.
    Settled,
    /// A coordinator has every vote (or a no).
    Votes {
        tx: TxId,
        yes: bool,
    },
    /// The coordinator's commit decision is on disk.
    Logged {
        tx: TxId,
    },
    /// The coordinator sends its decision.
    Sent {
        tx: TxId,
        commit: bool,
    },
    /// Both participants acknowledged: the coordinator forgets the transaction.
    Forgot {
        tx: TxId,
    },
    /// Asked about a transaction it has no record of, the coordinator presumes abort.
    Presumed {
        tx: TxId,
    },
    Locked {
        tx: TxId,
        account: u8,
    },
    Unlocked {
        tx: TxId,
        account: u8,
    },
    Waiting {
        tx: TxId,
        account: u8,
        holder: TxId,
    },
    Prepared {
        tx: TxId,
        account: u8,
        delta: i32,
    },
    PreCommitted {
        tx: TxId,
    },
    /// Prepared, and no decision came in time: the participant is in doubt.
    InDoubt {
        tx: TxId,
    },
    /// Asked its peer and the coordinator, and neither could say.
    StillBlocked {
        tx: TxId,
    },
    Decided {
        tx: TxId,
        commit: bool,
        account: u8,
        delta: i32,
        by: By,
    },
    /// A saga step or compensation ran at a service; `effect` is whether it changed the
    /// service's state, `step_ran` (for a compensation) whether its step had run here.
    StepRan {
        saga: TxId,
        step: u8,
        compensate: bool,
        ok: bool,
        effect: bool,
        step_ran: bool,
    },
    /// Inventory refused a reservation while `pending` units were held by sagas not yet done.
    Refused {
        saga: TxId,
        pending: u8,
    },
    /// With the semantic lock, a reservation waits for a pending saga instead.
    Deferred {
        saga: TxId,
    },
    /// A unit refused to `saga` is released by `by`'s compensation: the refusal read an
    /// intermediate state.
    DirtyRefusal {
        saga: TxId,
        by: TxId,
    },
    /// A saga's end as the orchestrator (or in choreography, the order service) sees it.
    SagaEnded {
        saga: TxId,
        completed: bool,
    },
    /// The outbox service committed a write (and its outbox row), or rolled it back.
    Committed {
        id: TxId,
    },
    RolledBack {
        id: TxId,
    },
    /// The service stopped trying to publish a write's event.
    GaveUp {
        id: TxId,
    },
    /// The broker appended an event to its log.
    Appended {
        id: TxId,
        offset: u32,
    },
    /// The consumer applied an event's effect (`again`: it had applied it before).
    Applied {
        id: TxId,
        offset: u32,
    },
    /// The consumer recognised an event it had processed and skipped it.
    Skipped {
        id: TxId,
        offset: u32,
    },
}

fn step_name(step: u8, compensate: bool) -> &'static str {
    let names: &[&str] = if compensate { &COMPENSATIONS } else { &STEPS };
    names.get(usize::from(step)).copied().unwrap_or("?")
}

impl Observation for Obs {
    fn class(&self) -> ObsClass {
        match self {
            Obs::Submitted { .. } => ObsClass::ClientRequest,
            Obs::Finished { .. } => ObsClass::ClientResponse,
            _ => ObsClass::StateChange,
        }
    }

    fn text(&self, names: &dyn Fn(NodeId) -> String) -> String {
        let _ = names;
        match *self {
            Obs::Submitted { id } => format!("submits #{}", id & 0xF_FFFF),
            Obs::Finished { id, ok: Some(true) } => format!("#{} succeeded", id & 0xF_FFFF),
            Obs::Finished { id, ok: Some(false) } => format!("#{} failed", id & 0xF_FFFF),
            Obs::Finished { id, ok: None } => format!("#{} timed out: outcome unknown", id & 0xF_FFFF),
            Obs::Settled => "the workload has ended: checking that everything started has finished".into(),
            Obs::Votes { tx: t, yes: true } => format!("{}: every participant voted yes", tx(t)),
            Obs::Votes { tx: t, yes: false } => format!("{}: a no vote or a timeout, abort", tx(t)),
            Obs::Logged { tx: t } => format!("{}: commit decision on disk", tx(t)),
            Obs::Sent { tx: t, commit } => {
                format!("{}: sends {}", tx(t), if commit { "commit" } else { "abort" })
            }
            Obs::Forgot { tx: t } => format!("{}: both acknowledged, forgotten", tx(t)),
            Obs::Presumed { tx: t } => format!("{}: no record of it, so presumed aborted", tx(t)),
            Obs::Locked { tx: t, account } => format!("{} locks {}", tx(t), Account(account)),
            Obs::Unlocked { tx: t, account } => format!("{} unlocks {}", tx(t), Account(account)),
            Obs::Waiting { tx: t, account, holder } => {
                format!("{} waits for {}'s lock on {}", tx(t), tx(holder), Account(account))
            }
            Obs::Prepared { tx: t, account, delta } => {
                format!("{}: prepared {} {delta:+} (logged), votes yes", tx(t), Account(account))
            }
            Obs::PreCommitted { tx: t } => format!("{}: pre-committed", tx(t)),
            Obs::InDoubt { tx: t } => format!("{}: in doubt, holding its lock, asks for the outcome", tx(t)),
            Obs::StillBlocked { tx: t } => format!("{}: nobody it can reach knows the outcome: blocked", tx(t)),
            Obs::Decided { tx: t, commit, account, delta, by } => format!(
                "{}: {}{}",
                tx(t),
                if commit { format!("committed {} {delta:+}", Account(account)) } else { "aborted".into() },
                match by {
                    By::Coordinator => "",
                    By::Peer => " (learned from its peer)",
                    By::Termination => " (termination rule)",
                    By::Alone => " (on its own)",
                }
            ),
            Obs::StepRan { saga: s, step, compensate, ok, effect, step_ran } => format!(
                "{}: {} {}{}",
                saga(s),
                step_name(step, compensate),
                if ok { "done" } else { "failed" },
                match (compensate, effect, step_ran) {
                    (false, false, _) if ok => " (already done: no effect)",
                    (true, false, false) => " (its step never ran here: nothing to undo)",
                    (true, true, false) => " (though its step never ran here)",
                    (true, false, true) => " (already undone: no effect)",
                    _ => "",
                }
            ),
            Obs::Refused { saga: s, pending } => {
                format!("{}: out of stock ({pending} units held by sagas still running)", saga(s))
            }
            Obs::Deferred { saga: s } => format!("{}: waits for a pending reservation (semantic lock)", saga(s)),
            Obs::DirtyRefusal { saga: s, by } => {
                format!("{} was refused a unit that {}'s compensation has now released", saga(s), saga(by))
            }
            Obs::SagaEnded { saga: s, completed } => {
                format!("{} {}", saga(s), if completed { "completed" } else { "compensated" })
            }
            Obs::Committed { id } => format!("{} committed", write(id)),
            Obs::RolledBack { id } => format!("{} rolled back", write(id)),
            Obs::GaveUp { id } => format!("{}: gave up publishing its event", write(id)),
            Obs::Appended { id, offset } => format!("{}'s event appended at #{offset}", write(id)),
            Obs::Applied { id, offset } => format!("applied {}'s event (#{offset})", write(id)),
            Obs::Skipped { id, offset } => format!("skipped {}'s event (#{offset}): already processed", write(id)),
        }
    }
}
