//! # Partitioning: which node holds which key
//!
//! A dataset too big or too busy for one machine is cut into partitions, and every scheme
//! answers the same two questions: is the load even, and how much data moves when a node
//! joins or leaves? Kleppmann's *Designing Data-Intensive Applications* (ch. 6) sets the
//! answers side by side; this module holds them as pure functions and small structures,
//! deterministic on every target, for the lab to measure.
//!
//! - **Hash mod N** ([`schemes::mod_n`]) is even but moves about `n / (n + 1)` of the keys
//!   when the `(n + 1)`-th node arrives: almost everything.
//! - **Consistent hashing** ([`ring::Ring`]; Karger et al., "Consistent Hashing and Random
//!   Trees", STOC 1997) puts nodes at points on a circle and a key on the next point
//!   clockwise, so a new node takes only about `1 / (n + 1)` of the keys. One point per node
//!   leaves very uneven arcs; many virtual nodes per node, as in Dynamo (DeCandia et al.,
//!   SOSP 2007), even them out at the cost of a bigger table.
//! - **Jump consistent hash** ([`jump_hash`]; Lamping & Veach, "A Fast, Minimal Memory,
//!   Consistent Hash Algorithm", 2014) moves the same minimal share with no table at all,
//!   in a few arithmetic steps, but only numbered buckets added or removed at the end.
//! - **Rendezvous hashing** ([`schemes::rendezvous`]; Thaler & Ravishankar, "Using
//!   Name-Based Mappings to Increase Hit Rates", 1998) lets every node bid a pseudo-random
//!   weight for the key, the highest winning: minimal movement, any node may leave, at the
//!   cost of a pass over all nodes per lookup.
//! - **Range partitioning** ([`ranges::Ranges`]; Bigtable's tablets, Chang et al., OSDI
//!   2006, and HBase's regions) keeps keys in order so scans stay local, and adapts to the
//!   data by splitting ranges that grow too big and merging neighbours that shrink
//!   ([`ranges::SizePolicy`]), but a sequential or skewed workload still finds a hot spot.
//!
//! Keys are hashed by [`schemes::key_hash`] (SplitMix64's finalizer) or
//! [`schemes::key_hash_bytes`] (FNV-1a), both fixed functions of the key's value, never of
//! the platform. [`schemes::moved`], [`schemes::loads`] and
//! [`schemes::max_over_mean_per_mille`] measure movement and balance.

pub mod ranges;
pub mod ring;
pub mod schemes;

pub use ranges::{KeyRange, Plan, Ranges, SizePolicy};
pub use ring::Ring;
pub use schemes::{jump_hash, key_hash, key_hash_bytes, loads, max_over_mean_per_mille, mod_n, moved, rendezvous};
