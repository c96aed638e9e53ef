//! The failure handling lab's knobs and presets.

use crate::lab::{choice_param as choice, int_param as int, ParamGroup, ParamSpec, Preset};
use crate::lab::{DUPLICATION, JITTER, LOSS};

use super::node::{Jitter, Part};

const ON_OFF: [&str; 2] = ["off", "on"];

/// Which part each knob belongs to (the page shows only the chosen part's).
const DETECTORS: [&str; 1] = ["detectors"];
const FENCING: [&str; 1] = ["fencing"];
const SPLIT: [&str; 1] = ["split-brain"];
const RETRY: [&str; 1] = ["idempotency"];
const CLIENTS: [&str; 3] = ["fencing", "split-brain", "idempotency"];

pub static PARAMS: &[ParamSpec] = &[
    choice(
        "part",
        "Part",
        &Part::NAMES,
        "detectors",
        "Failure detectors (a fixed timeout against phi accrual), leases with fencing tokens, split brain in a replicated service, or retries with idempotency keys.",
        false,
    ),
    int("workload_s", "Workload", (1, 3_600, "s"), "20", "How long clients run (the detectors' processes heartbeat all along).", false, false).in_group(ParamGroup::Workload),
    int("processes", "Processes", (1, 8, "nodes"), "4", "Processes the monitor watches (in eu-west and ap-south; the monitor is in us-east).", false, false).only_when("part", &DETECTORS).in_group(ParamGroup::Cluster),
    int("interval_ms", "Heartbeat every", (10, 10_000, "ms"), "100", "How often each process sends a heartbeat.", false, false).only_when("part", &DETECTORS),
    int("gc_ms", "GC pause", (0, 60_000, "ms"), "0", "How long a process stalls when it collects garbage (0: never).", false, true).only_when("part", &DETECTORS).in_group(ParamGroup::Faults),
    int("gc_every_s", "GC about every", (1, 3_600, "s"), "5", "How often, on average, a process stalls.", false, true).only_when("part", &DETECTORS).in_group(ParamGroup::Faults),
    int("threshold", "Phi threshold", (1, 20, ""), "8", "Phi accrual suspects a process once phi reaches this (8: about one false suspicion in 10^8 heartbeats, if the model were right).", false, true).only_when("part", &DETECTORS),
    int("fixed_ms", "Fixed timeout", (10, 60_000, "ms"), "300", "The fixed-timeout detector suspects a process after this long without a heartbeat.", false, true).only_when("part", &DETECTORS),
    int("samples", "Phi window", (2, 1_000, "intervals"), "200", "Inter-arrival times phi accrual keeps (Akka's max-sample-size).", false, false).only_when("part", &DETECTORS),
    int("min_std_ms", "Min std deviation", (1, 10_000, "ms"), "10", "The standard deviation phi accrual never goes below (Akka's min-std-deviation).", false, false).only_when("part", &DETECTORS),
    int("pause_ms", "Acceptable pause", (0, 60_000, "ms"), "0", "A pause phi accrual forgives: added to the mean interval (Akka's acceptable-heartbeat-pause).", false, false).only_when("part", &DETECTORS),
    int("clients", "Clients", (1, 8, "nodes"), "2", "Clients taking the lease, writing to the service, or making charges.", false, false).only_when("part", &CLIENTS).in_group(ParamGroup::Workload),
    int("think_ms", "Pause", (1, 10_000, "ms"), "100", "Mean pause between a client's requests.", false, true).only_when("part", &CLIENTS).in_group(ParamGroup::Workload),
    int("timeout_ms", "Client timeout", (10, 60_000, "ms"), "300", "How long a client waits for an answer.", false, true).only_when("part", &CLIENTS).in_group(ParamGroup::Workload),
    int("lease_ms", "Lease", (10, 60_000, "ms"), "1000", "How long a granted lease lasts, by the lock service's clock.", false, true).only_when("part", &FENCING),
    int("margin_ms", "Safety margin", (0, 60_000, "ms"), "100", "Clients stop using a lease this long before it ends by their own clock.", false, true).only_when("part", &FENCING),
    choice(
        "fencing",
        "Fencing tokens",
        &ON_OFF,
        "on",
        "The lock service tells storage each new token before granting it, and storage refuses writes with an older one; or (teaching variant) storage takes every write.",
        true,
    )
    .only_when("part", &FENCING),
    int("drift_ppm", "c1's clock slow by", (0, 500_000, "ppm"), "0", "c1's clock runs slow by this much (100,000 ppm is 10%): it believes its lease lasts longer.", false, false).only_when("part", &FENCING).in_group(ParamGroup::Faults),
    int("work_ms", "Write takes", (1, 10_000, "ms"), "200", "Between checking the lease and the write leaving (a pause here is the classic failure).", false, true).only_when("part", &FENCING).in_group(ParamGroup::Workload),
    int("replicas", "Replicas", (1, 7, "nodes"), "3", "Replicas of the service.", false, false).only_when("part", &SPLIT).in_group(ParamGroup::Cluster),
    choice(
        "quorum",
        "Leadership",
        &["majority", "none"],
        "majority",
        "A leader needs votes from a majority and acknowledges writes a majority stored while a majority answers it, or (teaching variant) a replica that hears no leader simply leads the next epoch.",
        false,
    )
    .only_when("part", &SPLIT),
    int("election_ms", "Election timeout", (20, 60_000, "ms"), "300", "How long a replica waits for the leader before it stands (randomised up to twice this).", false, true).only_when("part", &SPLIT),
    choice(
        "keys",
        "Idempotency keys",
        &ON_OFF,
        "on",
        "The server records each request's key with its charge and answers a retry from it, or (teaching variant) charges again.",
        true,
    )
    .only_when("part", &RETRY).in_group(ParamGroup::Workload),
    int("backoff_ms", "Backoff", (1, 60_000, "ms"), "100", "The pause before the first retry; it doubles with each try (up to 32 times).", false, true).only_when("part", &RETRY),
    choice("jitter_retry", "Retry jitter", &Jitter::NAMES, "full", "None (clients that failed together retry together), full (uniform up to the backoff) or equal (half fixed, half random).", true).only_when("part", &RETRY),
    int("retries", "Retries", (0, 20, "tries"), "5", "Retries before a client gives up.", false, true).only_when("part", &RETRY),
    int("service_ms", "Server work", (0, 1_000, "ms"), "2", "CPU time the server spends on each charge: its capacity.", false, false).only_when("part", &RETRY).in_group(ParamGroup::Workload),
    LOSS,
    DUPLICATION,
    JITTER,
];

pub static PRESETS: &[Preset] = &[
    Preset {
        name: "Detectors: a GC pause phi tolerates and a fixed timeout does not",
        about: "Every few seconds a process stalls 400 ms collecting garbage. The fixed timeout (300 ms) suspects it \
                each time; phi accrual with an acceptable pause of 500 ms does not. Watch the phi curves against the \
                threshold line, and the false suspicions per hour.",
        seed: 1,
        params: &[("gc_ms", "400"), ("gc_every_s", "3"), ("pause_ms", "500")],
        faults: "",
    },
    Preset {
        name: "Detectors: crashes, and the trade-off curve",
        about: "A jittery, slightly lossy network and four crashes. Each detector runs at eight thresholds or timeouts \
                on the same heartbeats: the curve plots detection time against false suspicions per hour for each. \
                At the same false-positive rate, phi accrual detects the crashes sooner.",
        seed: 1,
        params: &[("jitter", "150"), ("loss", "3"), ("workload_s", "60")],
        faults: "5s crash p1; 9s restart p1; 20s crash p2; 24s restart p2; 35s crash p3; 39s restart p3; 50s crash p4; 54s restart p4",
    },
    Preset {
        name: "Fencing: a GC pause past the lease, with tokens",
        about: "c1 checks its lease, then stalls for 1.5 s before its write leaves. Meanwhile its lease ends and c2 \
                takes it, with a higher token. c1's late write carries the old token and storage refuses it.",
        seed: 1,
        params: &[("part", "fencing")],
        faults: "2.05s pause c1 1500ms",
    },
    Preset {
        name: "Fencing: the same pause without tokens (teaching variant)",
        about: "The same pause with fencing off: storage takes c1's stale write over c2's, and the guarantee names it.",
        seed: 1,
        params: &[("part", "fencing"), ("fencing", "off")],
        faults: "2.05s pause c1 1500ms",
    },
    Preset {
        name: "Leases: a slow clock outlives its lease (teaching variant)",
        about: "c1's clock runs 40% slow, the safety margin is 0 and fencing is off: c1 believes its lease lasts well \
                past its end and writes while c2 holds it.",
        seed: 1,
        params: &[("part", "fencing"), ("fencing", "off"), ("drift_ppm", "400000"), ("margin_ms", "0")],
        faults: "",
    },
    Preset {
        name: "Leases: a margin covers the drift",
        about: "The same slow clock with a 450 ms margin: c1 stops using its lease before the lock service's clock \
                ends it, even without fencing.",
        seed: 1,
        params: &[("part", "fencing"), ("fencing", "off"), ("drift_ppm", "400000"), ("margin_ms", "450")],
        faults: "",
    },
    Preset {
        name: "Split brain without a quorum (teaching variant)",
        about: "n1 leads; at 3 s it is cut off with c1. Without a quorum n1 goes on acknowledging c1's writes while \
                n2 or n3 leads the next epoch for c2: two leaders take writes, and the check names the write \
                acknowledged by the deposed leader.",
        seed: 1,
        params: &[("part", "split-brain"), ("quorum", "none")],
        faults: "3s partition n1,c1 | n2,n3,c2; 8s heal",
    },
    Preset {
        name: "Split brain: a majority quorum prevents it",
        about: "The same partition with majority leadership: n1 cannot reach a majority, stops acknowledging, and \
                only the majority side elects a leader and takes writes.",
        seed: 1,
        params: &[("part", "split-brain")],
        faults: "3s partition n1,c1 | n2,n3,c2; 8s heal",
    },
    Preset {
        name: "Split brain: two leaders of one epoch (teaching variant)",
        about: "Without a quorum, every replica cut off alone declares itself leader of the next epoch: n2 and n3 \
                both lead epoch 2.",
        seed: 1,
        params: &[("part", "split-brain"), ("quorum", "none")],
        faults: "3s partition n1 | n2 | n3,c1,c2; 6s heal",
    },
    Preset {
        name: "Retries charge twice without idempotency keys (teaching variant)",
        about: "A tenth of messages are lost: a client whose reply was lost retries, and without an idempotency key \
                the server charges again. The check counts the double charges.",
        seed: 1,
        params: &[("part", "idempotency"), ("keys", "off"), ("loss", "10"), ("clients", "4")],
        faults: "",
    },
    Preset {
        name: "Idempotency keys: exactly once",
        about: "The same losses with idempotency keys: each retry of a charge the server already made is answered from \
                its record.",
        seed: 1,
        params: &[("part", "idempotency"), ("loss", "10"), ("clients", "4")],
        faults: "",
    },
    Preset {
        name: "A retry storm without jitter",
        about: "The server stalls for 2 s; eight clients time out together and, without jitter, retry together: \
                each after its timeout and a backoff of 100, 200, 400 ms …, so the retries arrive in waves (orange in \
                the load chart). Set Retry jitter to full and the waves spread out.",
        seed: 1,
        params: &[("part", "idempotency"), ("clients", "8"), ("jitter_retry", "none"), ("service_ms", "5"), ("think_ms", "50")],
        faults: "3s pause srv 2s",
    },
];
