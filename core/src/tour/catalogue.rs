//! The tours that ship with the playground, one per lab. Each step's story is pinned by its
//! expectations, which `tests/tours.rs` replays.

use super::Expect::{AtLeast, AtMost, Broken, Holds};
use super::Focus::{Canvas, Guarantees, Log, Metrics, Panel, Timeline};
use super::{Step, Tour};

const fn step(title: &'static str, at_ms: u64, focus: super::Focus, text: &'static str) -> Step {
    Step { title, preset: None, params: &[], faults: "", seed: 1, at_ms, focus, text, expect: &[] }
}

const fn preset(name: &'static str, title: &'static str, at_ms: u64, focus: super::Focus, text: &'static str) -> Step {
    Step { preset: Some(name), ..step(title, at_ms, focus, text) }
}

pub static TOURS: &[Tour] = &[
    Tour {
        id: "network",
        lab: "network",
        title: "Retries, duplicates and exactly once",
        steps: &[
            Step {
                expect: &[Holds("exactly-once"), AtLeast("requests acked", 20)],
                ..step(
                    "Requests and replies",
                    2_000,
                    Canvas,
                    "Two clients call three servers spread over two regions; each moving dot is a frame on the wire. \
                     Every request carries an id, and every acknowledged request must be applied exactly once.",
                )
            },
            Step {
                params: &[("loss", "20")],
                expect: &[Holds("exactly-once"), AtLeast("retries", 10), AtLeast("dedup hits", 1)],
                ..step(
                    "Loss and retries",
                    5_000,
                    Metrics,
                    "Now one frame in five is lost. A client that hears nothing before its timeout sends the request again. \
                     When only the reply was lost, the server has already applied it: it recognises the id, counts a dedup hit and answers again.",
                )
            },
            Step {
                params: &[("loss", "20"), ("dedup", "off")],
                expect: &[Broken("exactly-once")],
                ..step(
                    "Turn deduplication off",
                    5_000,
                    Guarantees,
                    "The same network, with servers that apply whatever arrives. A retry whose first copy did arrive is applied a second time, \
                     and the exactly-once check names the event where it happened: click it to jump there.",
                )
            },
            Step {
                faults: "1s partition c1 | c2,s1,s2,s3; 3s heal",
                expect: &[AtLeast("dropped: partition", 1), AtLeast("gave up", 1), Holds("exactly-once")],
                ..step(
                    "A partition",
                    3_500,
                    Timeline,
                    "At 1 s the network cuts c1 off from every server; the grey markers on the timeline show the split and the heal at 3 s. \
                     c1's frames are dropped, it retries and then gives up, and still nothing is applied twice.",
                )
            },
        ],
    },
    Tour {
        id: "clocks",
        lab: "clocks",
        title: "Logical clocks, hybrid clocks and TrueTime",
        steps: &[
            Step {
                expect: &[Holds("clock-condition"), Holds("vector-exact"), Holds("hlc-condition")],
                ..step(
                    "Events and messages",
                    3_000,
                    Canvas,
                    "Four processes, each on its own line, with physical clocks that drift and are skewed apart; arrows are messages. \
                     Every event carries a Lamport timestamp, a vector clock and a hybrid logical clock, and each must respect causality.",
                )
            },
            Step {
                expect: &[AtLeast("ntp syncs", 1), Holds("hlc-bounded")],
                ..step(
                    "Physical clocks disagree",
                    6_000,
                    Metrics,
                    "NTP keeps each clock near true time but never exactly on it; the metrics show how far off the clocks are. \
                     A hybrid logical clock stays within that error of physical time while still ordering every message after its send.",
                )
            },
            Step {
                params: &[("commit_wait", "off"), ("txn_rate", "50")],
                expect: &[Broken("external-consistency")],
                ..step(
                    "Commit wait, switched off",
                    10_000,
                    Guarantees,
                    "Spanner waits out its clock uncertainty before it acknowledges a commit, so timestamps follow real time. \
                     Switch the wait off, raise the transaction rate, and a transaction that starts after another has committed gets an earlier timestamp.",
                )
            },
            Step {
                params: &[("epsilon_pct", "10")],
                expect: &[Broken("truetime-interval")],
                ..step(
                    "An interval that misses true time",
                    10_000,
                    Guarantees,
                    "TrueTime's promise is an interval that contains true time. With epsilon cut to a tenth of the real bound (a knob), \
                     clocks that start further off than that, before their first NTP sync, have intervals that miss true time, and everything built on them is unsound.",
                )
            },
        ],
    },
    Tour {
        id: "raft",
        lab: "raft",
        title: "Raft: elections, safety and Figure 8",
        steps: &[
            Step {
                expect: &[Holds("election-safety"), AtLeast("leaders elected", 1)],
                ..preset(
                    "Leader crash",
                    "A leader and its followers",
                    1_000,
                    Canvas,
                    "Five servers; n1 has won the first election (the star). Its heartbeats reset the followers' election timers, \
                     the orange arcs, and carry the client's commands into every log.",
                )
            },
            Step {
                expect: &[Holds("election-safety"), AtLeast("leaders elected", 2)],
                ..preset(
                    "Leader crash",
                    "The leader crashes",
                    2_500,
                    Timeline,
                    "At 1.5 s n1 crashes (the marker on the timeline). No heartbeat comes, a follower's timer runs out, \
                     it becomes a candidate in a higher term and a majority votes for it: one leader per term, still.",
                )
            },
            Step {
                expect: &[AtLeast("elections", 3), AtMost("leaders elected", 0), Holds("election-safety")],
                ..preset(
                    "Split vote",
                    "Split votes",
                    3_000,
                    Metrics,
                    "Every server here has the same 200 ms election timeout, so they stand at once and split the vote, again and again. \
                     Raft's answer is a random timeout from a range (§5.2): widen it in the knobs and a leader emerges.",
                )
            },
            Step {
                expect: &[Holds("state-machine-safety"), Holds("leader-completeness")],
                ..preset(
                    "Figure 8",
                    "Figure 8: why only current-term entries commit",
                    3_000,
                    Panel,
                    "The paper's Figure 8, driven by partitions and crashes. The term-1 entry reaches a majority in term 3, \
                     but the leader does not count it as committed, so n5 may overwrite it in term 4 and no committed entry is lost.",
                )
            },
            Step {
                expect: &[Broken("state-machine-safety"), Broken("leader-completeness")],
                ..preset(
                    "Figure 8, committing old entries",
                    "The same run, committing old entries",
                    3_000,
                    Guarantees,
                    "The teaching variant counts replicas of old-term entries, so n1 commits the term-1 entry. \
                     The checks flag leader completeness when n5 is elected without it, and state-machine safety when n5 overwrites it.",
                )
            },
        ],
    },
    Tour {
        id: "paxos",
        lab: "paxos",
        title: "Paxos: duelling proposers and how to end the duel",
        steps: &[
            Step {
                expect: &[AtMost("learners that learned", 0), AtLeast("ballots started", 10), Holds("agreement")],
                ..step(
                    "Two proposers duel",
                    500,
                    Canvas,
                    "Two proposers run phase 1 (prepare) with ever higher ballots. Each new prepare makes the acceptors refuse the other's accept, \
                     so neither reaches phase 2 with a majority: safe, but nothing is chosen.",
                )
            },
            Step {
                params: &[("contention", "backoff")],
                expect: &[AtLeast("learners that learned", 1), Holds("agreement"), Holds("validity")],
                ..step(
                    "Random backoff",
                    2_000,
                    Metrics,
                    "A proposer that is pre-empted now waits a random while before it tries again. \
                     Soon one of them gets through prepare and accept with a majority, and the learner learns the chosen value.",
                )
            },
            Step {
                params: &[("contention", "leader")],
                expect: &[AtLeast("learners that learned", 1), AtMost("ballots started", 1)],
                ..step(
                    "A distinguished proposer",
                    2_000,
                    Log,
                    "Paxos Made Simple ends the duel with a distinguished proposer: only one proposes. \
                     One ballot, one prepare round, one accept round; the event log shows the whole exchange.",
                )
            },
            Step {
                params: &[("contention", "leader")],
                faults: "0ms crash a3",
                expect: &[AtLeast("learners that learned", 1), Holds("agreement")],
                ..step(
                    "A crashed acceptor",
                    2_000,
                    Canvas,
                    "With a3 crashed from the start, two of three acceptors are still a majority, so a value is still chosen. \
                     Crash a second acceptor and no majority is left: Paxos then waits rather than choose unsafely.",
                )
            },
        ],
    },
    Tour {
        id: "flp",
        lab: "flp",
        title: "FLP: why deterministic consensus can be kept undecided",
        steps: &[
            Step {
                params: &[("gst_ms", "0")],
                expect: &[AtMost("decided processes", 0), Holds("agreement")],
                ..step(
                    "An adversary that never lets go",
                    5_000,
                    Canvas,
                    "Three processes run a deterministic round-based protocol on an asynchronous network. \
                     Each round the adversary delays exactly the message that would let them decide, so they stay undecided, as FLP says can happen.",
                )
            },
            Step {
                params: &[("gst_ms", "0")],
                expect: &[AtLeast("highest round", 20), AtMost("decided processes", 0)],
                ..step(
                    "Round after round",
                    9_000,
                    Metrics,
                    "Every process is alive and every message is eventually delivered, yet the rounds climb and nobody decides. \
                     Safety holds throughout; it is termination that is lost.",
                )
            },
            Step {
                params: &[("gst_ms", "0"), ("variant", "randomized")],
                expect: &[AtLeast("decided processes", 3), Holds("agreement"), Holds("validity")],
                ..step(
                    "Flip a coin",
                    10_000,
                    Guarantees,
                    "Ben-Or's way out: a process that sees no majority flips a coin. The adversary cannot control coins, \
                     so with probability one the processes agree in a few rounds, and agreement and validity still hold.",
                )
            },
            Step {
                params: &[("adversary", "manual"), ("gst_ms", "0")],
                expect: &[AtMost("decided processes", 0), AtLeast("messages held", 1)],
                ..step(
                    "You are the adversary",
                    500,
                    Panel,
                    "With the manual adversary every message waits for you in the list below the canvas. \
                     Pick which one to deliver next and try to keep the processes undecided yourself.",
                )
            },
        ],
    },
    Tour {
        id: "consistency",
        lab: "consistency",
        title: "Consistency models, judged on a real history",
        steps: &[
            Step {
                expect: &[Holds("linearizable"), AtLeast("operations ok", 50)],
                ..step(
                    "A linearizable store",
                    3_000,
                    Panel,
                    "Three clients read and write two keys on a replicated store. Each bar in the history is one operation, \
                     from its call to its reply; the judge looks for one order of all of them that fits real time and the register.",
                )
            },
            Step {
                expect: &[Broken("linearizable")],
                ..preset(
                    "Stale read after a partition (etcd's bug)",
                    "A stale read (etcd's bug)",
                    5_500,
                    Panel,
                    "The leader is cut off but still answers reads from its own state. A client reads an old value \
                     after a newer write has completed elsewhere, and the judge names the operations no order can explain.",
                )
            },
            Step {
                expect: &[Holds("linearizable")],
                ..preset(
                    "The same partition, reads confirmed",
                    "Reads confirmed by a majority",
                    5_500,
                    Panel,
                    "The same partition with stale reads off: the leader confirms it is still leader with a majority before it answers. \
                     The cut-off leader cannot, so it answers nothing rather than something old.",
                )
            },
            Step {
                expect: &[Holds("convergent"), AtLeast("operations ok", 100)],
                ..preset(
                    "Eventual: stale reads across a partition",
                    "Eventual consistency",
                    13_000,
                    Panel,
                    "Replicas accept writes on their own and gossip them later. \
                     Any replica a client can reach answers; reads are stale across the partition and the history is not linearizable, yet once it heals the replicas converge.",
                )
            },
        ],
    },
    Tour {
        id: "replication",
        lab: "replication",
        title: "Replication: failover, conflicts and quorums",
        steps: &[
            Step {
                expect: &[Broken("acknowledged writes survive")],
                ..preset(
                    "Async failover loses a write",
                    "Asynchronous failover loses a write",
                    10_000,
                    Guarantees,
                    "The leader acknowledges a write before any follower has it, then crashes. The follower promoted in its place never saw it, \
                     so a write the client was told is safe is gone.",
                )
            },
            Step {
                expect: &[Holds("acknowledged writes survive")],
                ..preset(
                    "Sync failover loses nothing",
                    "Synchronous replication",
                    10_000,
                    Panel,
                    "The same crash with synchronous replication: a write is acknowledged only once the followers hold it, \
                     so whichever follower is promoted has every acknowledged write. The price is latency on every write.",
                )
            },
            Step {
                expect: &[AtLeast("conflicts kept", 1), AtMost("writes dropped unseen", 0), Holds("no lost update")],
                ..preset(
                    "Siblings keep concurrent writes",
                    "Concurrent writes as siblings",
                    6_000,
                    Panel,
                    "Three datacenters each accept writes, and a partition from 2 s to 5 s lets them write the same key apart. \
                     With version vectors the concurrent writes are both kept, as siblings, for a client to merge instead of one silently winning.",
                )
            },
            Step {
                expect: &[Broken("fresh reads")],
                ..preset(
                    "R = W = 1: a stale read",
                    "A quorum too small",
                    10_000,
                    Guarantees,
                    "With one replica to write and one to read, R + W is not more than N, so a read can miss the replica that took the write. \
                     Raise R and W in the knobs until R + W > N and the read always overlaps the write.",
                )
            },
        ],
    },
    Tour {
        id: "partitioning",
        lab: "partitioning",
        title: "Partitioning: hashing, rebalancing and hot spots",
        steps: &[
            Step {
                expect: &[AtLeast("keys moved", 1_000)],
                ..preset(
                    "mod N: a fifth node moves almost everything",
                    "hash mod N",
                    8_000,
                    Metrics,
                    "Keys placed by hash mod N: when a fifth node joins, N changes and almost every key changes owner. \
                     Compare keys moved with the K/n a good scheme would move.",
                )
            },
            Step {
                expect: &[AtLeast("keys moved", 250), AtMost("keys moved", 600), Holds("no key lost or duplicated")],
                ..preset(
                    "Consistent hashing: a fifth node moves a fifth",
                    "Consistent hashing",
                    8_000,
                    Panel,
                    "On a ring (Karger et al.), a new node takes over arcs from its neighbours only, so about a fifth of the keys move. \
                     Each node has many virtual nodes, which keeps the arcs fairly even.",
                )
            },
            Step {
                expect: &[Broken("no key lost or duplicated")],
                ..preset(
                    "Fire-and-forget handoff loses keys",
                    "A handoff that loses keys",
                    10_000,
                    Guarantees,
                    "Here nodes switch to the new map at once and send each key once, without waiting for an acknowledgement. \
                     On a lossy network some keys never arrive, and the check names the first one lost.",
                )
            },
            Step {
                expect: &[AtLeast("operations ok", 100)],
                ..preset(
                    "A celebrity key",
                    "A hot key",
                    10_000,
                    Panel,
                    "One key gets most of the traffic, so one node does most of the work whatever the scheme. \
                     The “Salting the celebrity” scenario spreads it over several partitions and reads from all of them.",
                )
            },
        ],
    },
    Tour {
        id: "transactions",
        lab: "transactions",
        title: "Atomic commitment: 2PC, 3PC and sagas",
        steps: &[
            Step {
                expect: &[Holds("atomic"), Holds("money is conserved"), AtLeast("committed", 100)],
                ..step(
                    "Two-phase commit",
                    5_000,
                    Panel,
                    "Clients move money between accounts at three banks; each transfer touches two. The coordinator asks both to prepare; each locks, logs and votes. \
                     Only if both vote yes is commit logged and sent, so every transfer happens at both banks or at neither.",
                )
            },
            Step {
                expect: &[AtLeast("in doubt", 1), AtLeast("locks held now", 1)],
                ..preset(
                    "2PC: a coordinator crash blocks",
                    "The coordinator crashes",
                    4_000,
                    Panel,
                    "At 3 s the coordinator crashes after the banks have voted yes. A prepared bank may not decide alone: it is in doubt, \
                     holding its locks until the coordinator restarts at 6 s. This is 2PC's blocking problem.",
                )
            },
            Step {
                expect: &[Broken("atomic")],
                ..preset(
                    "2PC: sending before logging (teaching variant)",
                    "Sending before logging",
                    12_000,
                    Guarantees,
                    "This coordinator sends commit before the decision is on disk, then crashes. Restarted, it has no record, \
                     presumes abort, and one bank has committed what the other aborts.",
                )
            },
            Step {
                expect: &[Holds("atomic"), AtLeast("decided by termination", 1), AtMost("locks held now", 0), AtMost("blocked: nobody knew", 0)],
                ..preset(
                    "3PC: a coordinator crash does not block",
                    "Three-phase commit",
                    6_000,
                    Panel,
                    "3PC adds a pre-commit round, so no bank is prepared while another might have committed without telling it. \
                     When the coordinator crashes for good at 3 s, the banks in doubt ask each other and finish every transfer the same way, holding no lock for long.",
                )
            },
            Step {
                expect: &[Holds("completed or compensated"), Holds("no compensation without its step")],
                ..preset(
                    "Saga: out of stock compensates (orchestrated)",
                    "A saga compensates",
                    16_000,
                    Panel,
                    "A saga is a chain of local transactions with no locks across services. When a step fails, here for lack of stock, \
                     the orchestrator runs the compensations of the steps already done, newest first.",
                )
            },
        ],
    },
    Tour {
        id: "failure",
        lab: "failure",
        title: "Failure detection, leases and fencing",
        steps: &[
            Step {
                expect: &[AtLeast("GC pauses", 2), AtLeast("fixed: false suspicions", 1), AtMost("phi: false suspicions", 0)],
                ..preset(
                    "Detectors: a GC pause phi tolerates and a fixed timeout does not",
                    "Phi accrual against a fixed timeout",
                    10_000,
                    Panel,
                    "Every 3 s a process stalls 400 ms in garbage collection. The fixed 300 ms timeout suspects it each time; \
                     phi accrual is set to forgive a 500 ms acceptable pause (a knob) and stays quiet. Set that pause to 0 and phi suspects every stall too.",
                )
            },
            Step {
                expect: &[Holds("crashes are detected"), AtLeast("crashes", 4)],
                ..preset(
                    "Detectors: crashes, and the trade-off curve",
                    "Detection time against false suspicions",
                    58_000,
                    Panel,
                    "Processes crash and restart. Every threshold trades detection time against false suspicions; \
                     the curve plots each setting the run measured, so you can pick one for your network.",
                )
            },
            Step {
                expect: &[Broken("no stale lease holder's write")],
                ..preset(
                    "Fencing: the same pause without tokens (teaching variant)",
                    "A paused lease holder writes",
                    8_000,
                    Guarantees,
                    "A client holds a lease, pauses past its end, wakes up and writes as if it still held it, \
                     while another client holds the lease. Without fencing, storage accepts the stale write.",
                )
            },
            Step {
                expect: &[Holds("no stale lease holder's write")],
                ..preset(
                    "Fencing: a GC pause past the lease, with tokens",
                    "Fencing tokens",
                    8_000,
                    Panel,
                    "Each lease now comes with a number that only grows. Storage remembers the highest it has seen and refuses \
                     a write with a lower one, so the woken client's write is turned away.",
                )
            },
        ],
    },
];
