//! The replication lab's knobs and presets.

use crate::lab::{choice_param as choice, int_param as int, ParamGroup, ParamSpec, Preset};
use crate::lab::{DUPLICATION, JITTER, LOSS};

use super::data::Conflicts;
use super::node::{Family, ReadFrom, SyncMode};

const ON_OFF: [&str; 2] = ["off", "on"];

/// Which family each knob belongs to (the page shows only the chosen family's).
const SINGLE: [&str; 1] = ["single-leader"];
const MULTI: [&str; 1] = ["multi-leader"];
const LEADERLESS: [&str; 1] = ["leaderless"];
const CLOCKED: [&str; 2] = ["multi-leader", "leaderless"];

pub static PARAMS: &[ParamSpec] = &[
    choice(
        "family",
        "Family",
        &Family::NAMES,
        "single-leader",
        "Single leader (one server takes writes, followers copy its log), multi-leader (a leader per datacenter, replicating to each other), or leaderless (Dynamo: quorums of N replicas per key).",
        false,
    ),
    int("replicas", "Replicas", (2, 6, "nodes"), "3", "Servers: the leader and its followers; datacenters (multi-leader uses 2 or 3); or the leaderless ring's replicas.", false, false).in_group(ParamGroup::Cluster),
    int("clients", "Clients", (1, 8, "nodes"), "3", "Clients running the workload, one operation at a time.", false, false).in_group(ParamGroup::Workload),
    int("keys", "Keys", (1, 16, "keys"), "2", "Registers the workload uses (x, y, z, w, then k5 …).", false, false).in_group(ParamGroup::Workload),
    int("reads", "Reads", (0, 100, "%"), "50", "Share of operations that are reads.", false, true).in_group(ParamGroup::Workload),
    int("think_ms", "Pause", (1, 10_000, "ms"), "80", "Mean pause between a client's operations.", false, true).in_group(ParamGroup::Workload),
    int("timeout_ms", "Client timeout", (10, 60_000, "ms"), "600", "How long a client waits before the outcome is unknown.", false, true).in_group(ParamGroup::Workload),
    int("workload_s", "Workload", (1, 600, "s"), "10", "How long clients run; then each reads every key from every replica a last time.", false, false).in_group(ParamGroup::Workload),
    choice(
        "sync",
        "Acknowledge",
        &SyncMode::NAMES,
        "semi-sync",
        "Single leader: acknowledge a write after every follower has it (sync), after one has (semi-sync), or at once (async).",
        false,
    ).only_when("family", &SINGLE),
    choice(
        "promote",
        "Promote",
        &["most-up-to-date", "any"],
        "most-up-to-date",
        "Single leader: on failover, promote the most up-to-date follower (by its last entry's epoch, then its log's length), or (teaching variant) any follower that answered recently.",
        true,
    ).only_when("family", &SINGLE),
    choice(
        "lease",
        "Leader lease",
        &ON_OFF,
        "off",
        "Single leader: the leader takes writes only while the monitor's health checks renew its lease (half the failover timeout), so a leader cut off stops before another is promoted.",
        false,
    ).only_when("family", &SINGLE),
    int("failover_ms", "Failover after", (200, 10_000, "ms"), "1000", "Single leader: how long the leader may be silent before the monitor promotes a follower.", false, false).only_when("family", &SINGLE),
    choice(
        "read_from",
        "Read from",
        &ReadFrom::NAMES,
        "leader",
        "Single leader: reads go to the leader, to any follower, or to the client's own follower (sticky: monotonic reads).",
        true,
    ).only_when("family", &SINGLE),
    int("ryw_ms", "Leader after own write", (0, 10_000, "ms"), "0", "Single leader: read from the leader for this long after one's own write (read-your-writes).", false, true).only_when("family", &SINGLE),
    choice(
        "conflicts",
        "Conflicts",
        &Conflicts::NAMES,
        "siblings",
        "Multi-leader: registers with last writer wins or with siblings kept by version vector; or a CRDT (G-Counter, PN-Counter, OR-Set); or a naive counter that keeps the larger total (teaching variant).",
        false,
    ).only_when("family", &MULTI),
    int("skew_ms", "Clock skew", (0, 5_000, "ms"), "0", "The second datacenter's (or replica's) clock runs this far ahead: last-writer-wins timestamps lie.", false, true).only_when("family", &CLOCKED).in_group(ParamGroup::Faults),
    int("sync_ms", "Replicate every", (10, 5_000, "ms"), "200", "Multi-leader: how often each datacenter ships its state to the others.", false, true).only_when("family", &MULTI),
    int("n", "N", (1, 6, "replicas"), "3", "Leaderless: replicas per key.", false, false).only_when("family", &LEADERLESS),
    int("r", "R", (1, 6, "replicas"), "2", "Leaderless: replicas that must answer a read.", false, true).only_when("family", &LEADERLESS),
    int("w", "W", (1, 6, "replicas"), "2", "Leaderless: replicas that must store a write before it is acknowledged.", false, true).only_when("family", &LEADERLESS),
    choice(
        "versions",
        "Versions",
        &["timestamp", "vector-clock"],
        "timestamp",
        "Leaderless: order versions by the coordinator's timestamp (the latest wins), or by vector clock, keeping concurrent versions as siblings for the client to merge on its next write.",
        false,
    )
    .only_when("family", &LEADERLESS),
    choice("read_repair", "Read repair", &ON_OFF, "on", "Leaderless: a read that finds stale replicas writes the newest value back.", true).only_when("family", &LEADERLESS),
    choice(
        "sloppy",
        "Sloppy quorum",
        &ON_OFF,
        "off",
        "Leaderless: when owners do not answer a write in time, the next replicas round the ring keep it for them (hinted handoff).",
        true,
    ).only_when("family", &LEADERLESS),
    int("anti_entropy_ms", "Anti-entropy every", (0, 60_000, "ms"), "1000", "Leaderless: how often each replica compares Merkle trees with its ring successor (0: never).", false, false).only_when("family", &LEADERLESS),
    LOSS,
    DUPLICATION,
    JITTER,
];

pub static PRESETS: &[Preset] = &[
    Preset {
        name: "Async failover loses a write",
        about: "Asynchronous replication, s1 leads. At 3 s s1 crashes: writes it acknowledged but had not shipped \
                are on no follower. The monitor promotes s2 after a second of silence, and the checker names the \
                acknowledged write that is gone and the failover that lost it.",
        seed: 2,
        params: &[("sync", "async"), ("reads", "20"), ("think_ms", "20"), ("jitter", "50")],
        faults: "0s slow s1-s2 x20; 0s slow s1-s3 x20; 3s crash s1",
    },
    Preset {
        name: "Sync failover loses nothing",
        about: "The same crash with synchronous replication: the leader acknowledges only what every follower has, \
                so whichever follower is promoted has every acknowledged write. Writes are slower.",
        seed: 2,
        params: &[("sync", "sync"), ("reads", "20"), ("think_ms", "20"), ("jitter", "50")],
        faults: "0s slow s1-s2 x20; 0s slow s1-s3 x20; 3s crash s1",
    },
    Preset {
        name: "Split brain: the old leader returns",
        about: "Asynchronous replication; s1 is cut off with c1 at 2 s. The monitor promotes s2, but s1 never \
                hears of it and keeps acknowledging c1's writes. When the partition heals, s1 learns of epoch 2, \
                steps down and discards them. Turn on the leader lease: s1 stops taking writes before s2 is \
                promoted (none is acknowledged by a deposed leader), though the last unshipped batch is still lost.",
        seed: 1,
        params: &[("sync", "async"), ("reads", "30")],
        faults: "2s partition s1,c1 | s2,s3,m1,c2,c3; 6s heal",
    },
    Preset {
        name: "Reading from followers",
        about: "Reads go to any follower, which lags the leader: a client reads an older value after its own \
                write, or after a newer one. The judge names the read-your-writes and monotonic-reads violations. \
                Try sticky reads and reading from the leader after one's own write.",
        seed: 1,
        params: &[("read_from", "followers"), ("sync", "async")],
        faults: "0s slow s1-s2 x40; 0s slow s1-s3 x40",
    },
    Preset {
        name: "LWW under clock skew loses an update",
        about: "Two datacenters with last writer wins; dc2's clock runs 2 s ahead. A write in dc1 made after one \
                in dc2 carries a smaller timestamp and is discarded when the states merge: the checker counts the \
                lost update that happened later in real time.",
        seed: 1,
        params: &[
            ("family", "multi-leader"),
            ("replicas", "2"),
            ("conflicts", "lww"),
            ("skew_ms", "2000"),
            ("keys", "1"),
        ],
        faults: "",
    },
    Preset {
        name: "Siblings keep concurrent writes",
        about: "Three datacenters with version vectors: concurrent writes to the same key are both kept, as \
                siblings, until a client reads them and writes a merged value back. No write is lost.",
        seed: 1,
        params: &[("family", "multi-leader"), ("conflicts", "siblings"), ("keys", "1")],
        faults: "2s partition dc1,c1 | dc2,dc3,c2,c3; 5s heal",
    },
    Preset {
        name: "OR-Set keeps a concurrent add",
        about: "An observed-remove set in three datacenters, partitioned for three seconds: an element added on \
                one side while removed on the other stays (add wins), and every datacenter ends with the same set.",
        seed: 1,
        params: &[("family", "multi-leader"), ("conflicts", "or-set"), ("reads", "30")],
        faults: "2s partition dc1,c1 | dc2,dc3,c2,c3; 5s heal",
    },
    Preset {
        name: "A naive counter loses increments",
        about: "Each datacenter keeps one total and merges by taking the larger: concurrent increments vanish. \
                Switch to the G-Counter, which keeps one count per datacenter, and none is lost.",
        seed: 1,
        params: &[("family", "multi-leader"), ("conflicts", "naive-counter"), ("reads", "30")],
        faults: "",
    },
    Preset {
        name: "R = W = 1: a stale read",
        about: "Leaderless with N = 3 but one replica enough for a read and for a write: a read's replica need not \
                be the write's, and it returns an older value than one already acknowledged.",
        seed: 1,
        params: &[
            ("family", "leaderless"),
            ("replicas", "5"),
            ("r", "1"),
            ("w", "1"),
            ("read_repair", "off"),
            ("anti_entropy_ms", "0"),
        ],
        faults: "0s slow n1-n2 x30; 0s slow n2-n3 x30; 0s slow n3-n4 x30",
    },
    Preset {
        name: "Sloppy quorum: stale after heal",
        about: "N = 3, R = W = 2 with sloppy quorums: while n1 and n2 are cut off, writes to x (owned by n1, n2, \
                n3) are stored by n3 and a stand-in, and acknowledged. At the heal n3 crashes; reads of x ask its \
                owners n1 and n2, which have not had the writes handed back yet: R + W > N no longer promises a \
                fresh read.",
        seed: 2,
        params: &[
            ("family", "leaderless"),
            ("replicas", "5"),
            ("sloppy", "on"),
            ("keys", "2"),
            ("anti_entropy_ms", "0"),
        ],
        faults: "2s partition n1,n2 | n3,n4,n5,c1,c2,c3; 4s heal; 4s crash n3; 7s restart n3",
    },
    Preset {
        name: "Merkle repair after a replica was down",
        about: "Leaderless with 16 keys, read repair off: n2 is down from 1 s until the workload ends at 8 s and \
                misses writes. Once back, anti-entropy compares Merkle trees with its neighbours, descends only \
                into the ranges that differ, and copies just those keys; the final reads find every replica equal.",
        seed: 1,
        params: &[
            ("family", "leaderless"),
            ("replicas", "5"),
            ("keys", "16"),
            ("read_repair", "off"),
            ("reads", "30"),
            ("workload_s", "8"),
        ],
        faults: "1s crash n2; 8s restart n2",
    },
];
