//! The transactions lab's knobs and presets.

use crate::lab::{choice_param as choice, int_param as int, ParamGroup, ParamSpec, Preset};
use crate::lab::{DUPLICATION, JITTER, LOSS};

use super::node::{Pattern, Publish};

const ON_OFF: [&str; 2] = ["off", "on"];

/// Which pattern each knob belongs to (the page shows only the chosen pattern's).
const COMMIT: [&str; 2] = ["2pc", "3pc"];
const TWO: [&str; 1] = ["2pc"];
const SAGA: [&str; 1] = ["saga"];
const OUTBOX: [&str; 1] = ["outbox"];
const RETRYING: [&str; 2] = ["saga", "outbox"];

pub static PARAMS: &[ParamSpec] = &[
    choice(
        "pattern",
        "Pattern",
        &Pattern::NAMES,
        "2pc",
        "Two-phase commit (a coordinator and participants holding locks), three-phase commit, a saga of local transactions with compensations, or a service publishing events through the transactional outbox.",
        false,
    ),
    int("clients", "Clients", (1, 8, "nodes"), "3", "Clients, each with one request at a time.", false, false).in_group(ParamGroup::Workload),
    int("think_ms", "Pause", (1, 10_000, "ms"), "30", "Mean pause between a client's requests.", false, true).in_group(ParamGroup::Workload),
    int("timeout_ms", "Client timeout", (10, 60_000, "ms"), "1000", "How long a client waits before the outcome is unknown to it.", false, true).in_group(ParamGroup::Workload),
    int("workload_s", "Workload", (1, 600, "s"), "10", "How long clients run; 5 s later the lab checks that everything started has ended.", false, false).in_group(ParamGroup::Workload),
    int("participants", "Participants", (2, 5, "nodes"), "3", "Banks taking part in transfers; each transfer touches two.", false, false).only_when("pattern", &COMMIT).in_group(ParamGroup::Cluster),
    int("accounts", "Accounts each", (1, 8, "accounts"), "2", "Accounts per participant, each starting with 100.", false, false).only_when("pattern", &COMMIT).in_group(ParamGroup::Workload),
    int("fsync_ms", "Log write", (1, 1_000, "ms"), "10", "How long forcing a record to the coordinator's log takes.", false, true).only_when("pattern", &COMMIT),
    choice(
        "log_decision",
        "Log the decision",
        &["before-send", "after-send"],
        "before-send",
        "The coordinator logs its commit decision and then sends it, or (teaching variant) sends it and logs it after: a crash in between leaves some participants committed and a coordinator that presumes abort.",
        true,
    )
    .only_when("pattern", &TWO),
    int("vote_timeout_ms", "Vote timeout", (10, 60_000, "ms"), "500", "The coordinator aborts a transaction whose votes have not all come by then (3PC: commits without a missing pre-commit acknowledgement).", false, true).only_when("pattern", &COMMIT),
    int("lock_timeout_ms", "Lock wait", (1, 60_000, "ms"), "200", "How long a transaction waits for another's lock before its participant votes no (this also ends deadlocks).", false, true).only_when("pattern", &COMMIT),
    int("decision_timeout_ms", "In doubt after", (10, 60_000, "ms"), "300", "How long a prepared participant waits for the decision before it asks (and asks again).", false, true).only_when("pattern", &COMMIT),
    choice(
        "termination",
        "Ask when in doubt",
        &["coordinator", "cooperative"],
        "coordinator",
        "A participant in doubt asks the coordinator only, or also the other participant (cooperative termination), which may know the outcome or not have voted yet.",
        true,
    )
    .only_when("pattern", &TWO),
    choice("style", "Style", &["orchestration", "choreography"], "orchestration", "An orchestrator drives each saga from its log, or the services react to each other's events.", false).only_when("pattern", &SAGA),
    int("stock", "Stock", (0, 10_000, "units"), "1000", "Units the inventory starts with; an order finding none left fails and is compensated.", false, false).only_when("pattern", &SAGA).in_group(ParamGroup::Workload),
    int("restock_ms", "Restock every", (0, 60_000, "ms"), "0", "Inventory receives a unit this often (0: never).", false, false).only_when("pattern", &SAGA).in_group(ParamGroup::Workload),
    int("credit", "Credit", (0, 100_000, "per customer"), "10000", "What each customer (client) can spend; a charge beyond it fails.", false, false).only_when("pattern", &SAGA).in_group(ParamGroup::Workload),
    int("ship_fail", "Shipping refuses", (0, 100, "%"), "10", "Chance shipping refuses an order (the last step that can fail).", false, true).only_when("pattern", &SAGA).in_group(ParamGroup::Faults),
    choice(
        "idempotent",
        "Idempotent steps",
        &ON_OFF,
        "on",
        "Services record each step and compensation they ran and answer a repeat from the record, or (teaching variant) run it again.",
        true,
    )
    .only_when("pattern", &SAGA),
    choice(
        "compensation",
        "Compensate",
        &["checked", "blind"],
        "checked",
        "Compensate only steps that ran (a compensation that finds nothing to undo leaves a tombstone), or (teaching variant) blindly: the failed step too, or in choreography every service.",
        true,
    )
    .only_when("pattern", &SAGA),
    choice(
        "semantic_lock",
        "Semantic lock",
        &ON_OFF,
        "off",
        "Inventory marks reserved units pending until their saga confirms them, and an order finding only pending units waits for them instead of failing.",
        true,
    )
    .only_when("pattern", &SAGA),
    int("retry_ms", "Resend after", (10, 60_000, "ms"), "300", "Sagas: resend a step or event not acknowledged by then. Outbox: the broker redelivers an event its consumer has not acknowledged.", false, true).only_when("pattern", &RETRYING),
    choice(
        "publish",
        "Publish",
        &Publish::NAMES,
        "outbox",
        "Commit then publish (dual write), publish then commit, or write the event to an outbox table in the same transaction and let a relay publish it.",
        false,
    )
    .only_when("pattern", &OUTBOX),
    choice("relay", "Relay", &["poller", "cdc"], "poller", "The outbox relay polls the table, or tails the commit log (change data capture).", false).only_when("pattern", &OUTBOX),
    choice("dedup", "Consumer dedup", &ON_OFF, "on", "The consumer records the event ids it processed and skips a repeat, or (teaching variant) applies every delivery.", true).only_when("pattern", &OUTBOX),
    int("rollback", "Rollbacks", (0, 100, "%"), "5", "Chance a local transaction rolls back (a constraint fails).", false, true).only_when("pattern", &OUTBOX).in_group(ParamGroup::Faults),
    int("db_ms", "Local commit", (1, 1_000, "ms"), "5", "How long the service's local transaction takes to commit.", false, true).only_when("pattern", &OUTBOX),
    int("poll_ms", "Relay every", (1, 10_000, "ms"), "100", "How often the relay polls (and how long before a publication is retried).", false, true).only_when("pattern", &OUTBOX),
    LOSS,
    DUPLICATION,
    JITTER,
];

pub static PRESETS: &[Preset] = &[
    Preset {
        name: "2PC: a coordinator crash blocks",
        about: "The coordinator crashes while writing a commit decision to its log: the participants voted yes and \
                sit in doubt, holding their locks, asking a coordinator that is down. Transfers touching those \
                accounts wait and time out until it restarts at 6 s, finds nothing in its log, and presumes abort.",
        seed: 1,
        params: &[("fsync_ms", "40")],
        faults: "3s crash co; 6s restart co",
    },
    Preset {
        name: "2PC: cooperative termination",
        about: "The same crash, a moment later: the decision reached p1 but not p2 (its link is slow). In doubt, p2 \
                asks p1 too, learns the outcome and commits without waiting for the coordinator. Transactions where \
                both are merely prepared stay blocked: nobody knows.",
        seed: 1,
        params: &[("termination", "cooperative"), ("fsync_ms", "5")],
        faults: "0s slow co-p2 x60; 3s crash co; 8s restart co",
    },
    Preset {
        name: "2PC: sending before logging (teaching variant)",
        about: "The coordinator sends its commit decision before the decision is on disk. At 3 s it crashes, and so \
                does p2, whose link is slow: the other bank has committed a transfer whose decision to p2 is lost \
                with it. p2 comes back in doubt and asks; the restarted coordinator has no record, presumes abort, \
                and p2 aborts: the transfer is half done and money has vanished. The checks name the transaction.",
        seed: 2,
        params: &[("log_decision", "after-send"), ("fsync_ms", "50")],
        faults: "0s slow co-p2 x60; 3s crash co; 3s crash p2; 3.5s restart p2; 4s restart co",
    },
    Preset {
        name: "2PC: logging first survives the same crashes",
        about: "The same crashes with the decision logged before it is sent: whatever was sent is in the log, and \
                the restarted coordinator answers p2's inquiries from it. Transactions whose log write the crash \
                cut short were never sent, and abort everywhere.",
        seed: 2,
        params: &[("fsync_ms", "50")],
        faults: "0s slow co-p2 x60; 3s crash co; 3s crash p2; 3.5s restart p2; 4s restart co",
    },
    Preset {
        name: "3PC: a coordinator crash does not block",
        about: "Three-phase commit with the coordinator crashing for good at 3 s: participants that time out ask each \
                other and apply the termination rule, so no lock is held for long and every transfer ends the same \
                way at both banks.",
        seed: 2,
        params: &[("pattern", "3pc")],
        faults: "3s crash co",
    },
    Preset {
        name: "3PC: a partition splits the decision",
        about: "Three-phase commit assumes crashes, not partitions. At 3 s p2 is cut off while a transfer is being \
                pre-committed: the coordinator's side commits, p2 hears from nobody, applies the termination rule and \
                aborts. Atomicity is lost, as Skeen's protocol allows under a partition.",
        seed: 1,
        params: &[("pattern", "3pc")],
        faults: "0s slow co-p2 x60; 3s partition co,p1,p3,c1,c2,c3 | p2; 5s heal",
    },
    Preset {
        name: "Saga: out of stock compensates (orchestrated)",
        about: "An orchestrator runs each order: create, charge, reserve, ship, confirm, approve. After five units \
                the stock runs out and each later order is refunded and rejected, compensations in reverse order, \
                and a tenth of shipments are refused.",
        seed: 1,
        params: &[("pattern", "saga"), ("stock", "5")],
        faults: "",
    },
    Preset {
        name: "Saga: choreography",
        about: "The same saga with no orchestrator: each service reacts to the previous one's event and emits its \
                own. Compensations travel back along the chain. Where a saga stands is only in the trace.",
        seed: 1,
        params: &[("pattern", "saga"), ("style", "choreography"), ("stock", "5")],
        faults: "",
    },
    Preset {
        name: "Saga: duplicates take effect twice (teaching variant)",
        about: "A fifth of messages are delivered twice and the services do not record what they ran: a repeated \
                reservation takes two units, a repeated charge takes the money twice. The checker names the step.",
        seed: 1,
        params: &[("pattern", "saga"), ("idempotent", "off"), ("dup", "20")],
        faults: "",
    },
    Preset {
        name: "Saga: duplicates are harmless when idempotent",
        about: "The same duplicates with idempotent services: each repeat is answered from the service's record.",
        seed: 1,
        params: &[("pattern", "saga"), ("dup", "20")],
        faults: "",
    },
    Preset {
        name: "Saga: blind compensation (teaching variant)",
        about: "In choreography, a failure event makes every service compensate, whether its step ran or not: \
                inventory releases units it never reserved for an order that failed at payment.",
        seed: 1,
        params: &[("pattern", "saga"), ("style", "choreography"), ("compensation", "blind"), ("credit", "60")],
        faults: "",
    },
    Preset {
        name: "Saga: the orchestrator crashes",
        about: "The orchestrator crashes at 3 s and restarts at 4 s: it reads its log and resends each saga's current \
                step; the services answer repeats from their records, and every saga ends.",
        seed: 1,
        params: &[("pattern", "saga")],
        faults: "3s crash orch; 4s restart orch",
    },
    Preset {
        name: "Saga: no isolation",
        about: "One unit in stock, a unit more every 200 ms, a slow shipping service that refuses half the orders. An \
                order is refused stock that another saga holds, and that saga is then compensated and releases it: \
                the refusal read an intermediate state (counted as refused on a state later undone).",
        seed: 1,
        params: &[("pattern", "saga"), ("clients", "4"), ("stock", "1"), ("restock_ms", "200"), ("ship_fail", "50")],
        faults: "0s slow orch-shp x100",
    },
    Preset {
        name: "Saga: a semantic lock waits instead",
        about: "The same orders with a semantic lock: a reserved unit is pending until its saga confirms it, and an \
                order finding only pending units waits for their sagas to decide instead of being refused.",
        seed: 1,
        params: &[
            ("pattern", "saga"),
            ("clients", "4"),
            ("stock", "1"),
            ("restock_ms", "200"),
            ("ship_fail", "50"),
            ("semantic_lock", "on"),
        ],
        faults: "0s slow orch-shp x100",
    },
    Preset {
        name: "Outbox: dual write loses events",
        about: "Commit, then publish. The broker is cut off from 3 s to 5 s: the writes committed meanwhile are \
                acknowledged to clients, the service gives up publishing after three tries, and their events never \
                arrive. At 15 s the checker names the writes whose events were lost.",
        seed: 1,
        params: &[("pattern", "outbox"), ("publish", "dual-write")],
        faults: "3s cut svc-mq; 5s heal",
    },
    Preset {
        name: "Outbox: publishing first announces rollbacks",
        about: "Publish, then commit. One local transaction in ten rolls back after its event went out: the consumer \
                acts on writes that never happened.",
        seed: 1,
        params: &[("pattern", "outbox"), ("publish", "publish-first"), ("rollback", "10")],
        faults: "",
    },
    Preset {
        name: "Outbox: the same outage, nothing lost",
        about: "The broker is cut off from 3 s to 5 s again, and the service crashes at 7 s. The events wait in the \
                outbox table and the relay publishes them once the broker is back; duplicates are skipped by the \
                consumer.",
        seed: 1,
        params: &[("pattern", "outbox")],
        faults: "3s cut svc-mq; 5s heal; 7s crash svc; 7.5s restart svc",
    },
    Preset {
        name: "Outbox: at-least-once without dedup (teaching variant)",
        about: "Change data capture, a tenth of messages duplicated, and a consumer that does not record what it \
                processed: events are applied twice.",
        seed: 1,
        params: &[("pattern", "outbox"), ("relay", "cdc"), ("dedup", "off"), ("dup", "10")],
        faults: "",
    },
];
