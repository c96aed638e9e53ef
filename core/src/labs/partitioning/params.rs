//! The partitioning lab's knobs and presets.

use crate::lab::{choice_param as choice, int_param as int, ParamGroup, ParamSpec, Preset};
use crate::lab::{DUPLICATION, JITTER, LOSS};

use super::map::Scheme;
use super::node::{Handoff, Index, Routing};
use super::workload::Distribution;

const RING: [&str; 1] = ["ring"];
const FIXED: [&str; 1] = ["fixed"];
const RANGES: [&str; 1] = ["ranges"];
const ZIPF: [&str; 1] = ["zipf"];
const REASSIGN: [&str; 1] = ["reassign"];
const INDEXED: [&str; 2] = ["local", "global"];

pub static PARAMS: &[ParamSpec] = &[
    choice(
        "scheme",
        "Scheme",
        &Scheme::NAMES,
        "ring",
        "Where a key lives: hash mod N; consistent hashing on a ring with virtual nodes (rebalancing proportional to nodes, as Cassandra); jump consistent hash; rendezvous (highest random weight); a fixed number of partitions moved whole (Riak, Elasticsearch); or key ranges, split dynamically (HBase, Bigtable).",
        false,
    ),
    int("vnodes", "Virtual nodes", (1, 512, "per node"), "64", "Points each node places on the ring: more points, more even arcs.", false, false)
        .only_when("scheme", &RING),
    int("partitions", "Partitions", (1, 1024, "partitions"), "64", "Fixed partitions, chosen once; whole partitions move between nodes.", false, false)
        .only_when("scheme", &FIXED),
    choice(
        "split",
        "Dynamic splitting",
        &["on", "off"],
        "on",
        "Ranges: split a range at its median key when it holds more than Split above keys, moving the upper half to the node with the fewest keys; merge small neighbours.",
        false,
    )
    .only_when("scheme", &RANGES),
    int("split_keys", "Split above", (10, 100_000, "keys"), "600", "Ranges: the size at which a range splits (merging below a quarter of it).", false, true)
        .only_when("scheme", &RANGES),
    int("nodes", "Nodes", (1, 100, "nodes"), "4", "Storage nodes in the first map (p1, p2, …).", false, false).in_group(ParamGroup::Cluster),
    int("spares", "Spare nodes", (0, 8, "nodes"), "1", "Nodes not yet in the system, ready to join (join p5).", false, false).in_group(ParamGroup::Cluster),
    int("keys", "Keys", (10, 100_000, "keys"), "2000", "Keys stored from the start (k0 …), each on its owner.", false, false).in_group(ParamGroup::Workload),
    choice(
        "distribution",
        "Key distribution",
        &Distribution::NAMES,
        "uniform",
        "Which keys the clients touch: uniformly, by a Zipf law (a few keys take most requests), or in time order (timestamps: always the newest key).",
        false,
    ).in_group(ParamGroup::Workload),
    int("skew", "Zipf skew", (1, 300, "hundredths"), "100", "The Zipf exponent s in hundredths: 100 is the classic 1/rank law.", false, false)
        .only_when("distribution", &ZIPF).in_group(ParamGroup::Workload),
    int("hot", "Hot key", (0, 100, "%"), "0", "Share of operations on one celebrity key, k0.", false, true).in_group(ParamGroup::Workload),
    int("salt", "Salt the hot key", (1, 16, "copies"), "1", "Split k0 into this many salted keys: writes go to one at random, reads ask them all.", false, false),
    int("reads", "Reads", (0, 100, "%"), "70", "Share of operations that are reads.", false, true).in_group(ParamGroup::Workload),
    int("scans", "Range scans", (0, 100, "%"), "0", "Share of operations that scan Scan length consecutive keys (one node per range touched; every node under a hash).", false, true).in_group(ParamGroup::Workload),
    int("scan_keys", "Scan length", (1, 10_000, "keys"), "50", "Keys a range scan covers.", false, false).in_group(ParamGroup::Workload),
    choice(
        "index",
        "Secondary index",
        &Index::NAMES,
        "none",
        "An index of the keys by their value's term (one of 8): local (each node indexes its own keys; a query asks every node) or global (a term's entries live on the term's partition; a query asks one node, a write updates two more partitions, after it is acknowledged).",
        false,
    ),
    int("queries", "Index queries", (0, 100, "%"), "20", "Share of operations that ask the secondary index how many keys have a term.", false, true)
        .only_when("index", &INDEXED).in_group(ParamGroup::Workload),
    int("clients", "Clients", (1, 8, "nodes"), "3", "Clients running the workload, one operation at a time.", false, false).in_group(ParamGroup::Workload),
    int("think_ms", "Pause", (1, 10_000, "ms"), "30", "Mean pause between a client's operations.", false, true).in_group(ParamGroup::Workload),
    int("timeout_ms", "Client timeout", (10, 60_000, "ms"), "2000", "How long a client waits before the outcome is unknown.", false, true).in_group(ParamGroup::Workload),
    int("workload_s", "Workload", (1, 600, "s"), "20", "How long clients run.", false, false).in_group(ParamGroup::Workload),
    choice(
        "routing",
        "Routing",
        &Routing::NAMES,
        "client",
        "Who knows the map: each client (redirected by a node when its copy is stale), a routing tier r1, or any node, which forwards to the owner.",
        false,
    ),
    choice(
        "handoff",
        "Handoff",
        &Handoff::NAMES,
        "copy-then-commit",
        "How keys move: copy, wait for every batch's acknowledgement, then commit the new map everywhere; or (teaching variant) switch at once and send each key once, deleting it.",
        false,
    ),
    choice(
        "crash",
        "On a crash",
        &["wait", "reassign"],
        "wait",
        "A crashed node's keys are on its disk and nowhere else: wait for it to come back, or take it out of the map after Reassign after of silence (its keys go to nodes that never had them).",
        false,
    ).in_group(ParamGroup::Faults),
    int("reassign_ms", "Reassign after", (100, 60_000, "ms"), "2000", "How long a node may be silent before it is taken out of the map.", false, true)
        .only_when("crash", &REASSIGN),
    int("value_bytes", "Value size", (16, 65_536, "bytes"), "1000", "Bytes per value: what a move carries over the network.", false, false).in_group(ParamGroup::Workload),
    int("batch", "Batch", (1, 1000, "keys"), "50", "Keys per transfer batch.", false, false),
    int("bandwidth", "Bandwidth", (1, 10_000, "Mbit/s"), "20", "Each link's capacity: moves queue behind each other and slow requests on the same links.", false, true).in_group(ParamGroup::Network),
    LOSS,
    DUPLICATION,
    JITTER,
];

pub static PRESETS: &[Preset] = &[
    Preset {
        name: "mod N: a fifth node moves almost everything",
        about: "Hash mod N over four nodes; p5 joins at 3 s. A key stays only if its hash gives the same remainder \
                mod 4 and mod 5: about 80% of the keys move, where a fifth would do (the moves table compares).",
        seed: 1,
        params: &[("scheme", "mod-n")],
        faults: "3s join p5",
    },
    Preset {
        name: "Consistent hashing: a fifth node moves a fifth",
        about: "The same join on a ring with 64 virtual nodes per node: p5 takes only the arcs before its points, \
                close to the optimum K/5. Requests to moving keys wait a moment during the cut-over.",
        seed: 1,
        params: &[("scheme", "ring"), ("vnodes", "64")],
        faults: "3s join p5",
    },
    Preset {
        name: "One virtual node each: uneven arcs",
        about: "Eight nodes with one point each on the ring: the arcs, and so the keys and the load, differ by \
                several times (see max/mean). Set Virtual nodes to 256 and watch the bars even out.",
        seed: 3,
        params: &[("scheme", "ring"), ("vnodes", "1"), ("nodes", "8"), ("keys", "5000")],
        faults: "",
    },
    Preset {
        name: "Timestamp keys on ranges: a hot spot",
        about: "Range partitioning without splitting, keys written in time order: every write goes to the range \
                holding the newest keys, so one node at a time takes all the load (the heat along the key line).",
        seed: 1,
        params: &[("scheme", "ranges"), ("split", "off"), ("distribution", "sequential"), ("reads", "20")],
        faults: "",
    },
    Preset {
        name: "Dynamic splitting follows the hot range",
        about: "The same timestamp keys with dynamic splitting: the growing range splits at its median and its \
                upper half moves to the least loaded node, so the newest keys keep changing hands.",
        seed: 1,
        params: &[("scheme", "ranges"), ("split", "on"), ("split_keys", "300"), ("distribution", "sequential"), ("reads", "20")],
        faults: "",
    },
    Preset {
        name: "A celebrity key",
        about: "Half of all requests go to k0, so its owner serves far more than the others (the load bars).",
        seed: 1,
        params: &[("hot", "50"), ("clients", "6")],
        faults: "",
    },
    Preset {
        name: "Salting the celebrity",
        about: "k0 salted into 8 keys on different nodes: writes spread across them, and each read fans out to \
                all 8 and keeps the newest value. The load evens out; reads of k0 cost 8 requests.",
        seed: 1,
        params: &[("hot", "50"), ("clients", "6"), ("salt", "8")],
        faults: "",
    },
    Preset {
        name: "Local index: every query asks every node",
        about: "A document-partitioned secondary index over eight nodes: each node indexes its own keys, so a \
                query for a term goes to all eight (the fan-out counter) and waits for the slowest, while a write \
                touches only its key's node. Compare with the global index.",
        seed: 1,
        params: &[("index", "local"), ("queries", "30"), ("nodes", "8")],
        faults: "",
    },
    Preset {
        name: "Global index: one node per query, stale answers",
        about: "A term-partitioned index: a query asks only the term's partition, but each write that changes a \
                key's term sends two index updates after it is acknowledged, so an answer can miss a write that \
                just completed (index answers off).",
        seed: 1,
        params: &[("index", "global"), ("queries", "30"), ("nodes", "8")],
        faults: "",
    },
    Preset {
        name: "A node crashes during a move",
        about: "p5 joins at 3 s and crashes at 3.2 s while keys stream to it over 2 Mbit/s links; the senders resend unacknowledged \
                batches, the old owners keep serving, and the move commits after p5 restarts at 6 s. Nothing is lost.",
        seed: 1,
        params: &[("bandwidth", "2")],
        faults: "3s join p5; 3.2s crash p5; 6s restart p5",
    },
    Preset {
        name: "Fire-and-forget handoff loses keys",
        about: "The teaching variant: nodes switch to the new map at once and send each key once, without \
                acknowledgements, in batches of 10 keys over a network losing 5% of messages. Lost batches are lost keys, and reads reach \
                new owners before their keys do: both guarantees name the keys.",
        seed: 4,
        params: &[("handoff", "fire-and-forget"), ("loss", "5"), ("batch", "10")],
        faults: "3s join p5",
    },
    Preset {
        name: "Stale client maps are redirected",
        about: "Clients route by their own copy of the map. After p2 is decommissioned at 3 s, requests for its \
                keys reach p2 under the new map and are redirected; each client then fetches the map. Set \
                Routing to tier and the routing tier hides it.",
        seed: 1,
        params: &[("routing", "client")],
        faults: "3s do p2 decommission",
    },
    Preset {
        name: "Reassigning a crashed node's keys",
        about: "Without replication, a crashed node's keys are on its disk only. Taking it out of the map after 2 s \
                of silence gives its keys to nodes that never had them: the audit counts them lost, and reads find \
                nothing.",
        seed: 1,
        params: &[("crash", "reassign"), ("reassign_ms", "2000")],
        faults: "3s crash p2",
    },
];
