//! The partitioning lab's messages: clients' reads, writes and scans (routed by the client,
//! a routing tier, or any node), the coordinator's map changes, and the moves of keys
//! between nodes, as batches that carry their values' bytes on the wire.

use alloc::vec::Vec;
use core::fmt;
use serde::de::Deserializer;
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::map::{Key, Map, RangeLoad};
use crate::process::{Message, MsgClass};
use crate::trace::NodeId;

/// A value: client `c`'s `n`-th write writes `16 n + c + 1`, so every value is written
/// once; 0 is a key's value before any client wrote it.
pub type Value = u32;

/// A stored value and its version: for a client's write, the client's time when it began
/// the write (in µs, times 16, plus the client's index: unique, and the same for every
/// retry of the write); an owner keeps the highest version, so a late or duplicated copy of
/// a write never overwrites a later one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub key: Key,
    pub stamp: u64,
    pub value: Value,
}

/// What a client asks of one key, or a storage node of an index entry's partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Read,
    /// Write the value, as of the version (see [`Item`]).
    Write(Value, u64),
    /// Set a global index entry present or absent, as of the data write at `stamp`.
    Index {
        present: bool,
        stamp: u64,
    },
}

/// Bytes that stand for the values' contents in a transfer: this many zero bytes on the
/// wire (so links' bandwidth and queues see them), none in memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Padding(pub u32);

const ZEROS: [u8; 1024] = [0; 1024];

/// One chunk of zero bytes, written as a byte string.
struct Chunk(usize);

impl Serialize for Chunk {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&ZEROS[..self.0.min(ZEROS.len())])
    }
}

impl Serialize for Padding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let total = self.0 as usize;
        let chunks = total.div_ceil(ZEROS.len());
        let mut seq = serializer.serialize_seq(Some(chunks))?;
        for i in 0..chunks {
            seq.serialize_element(&Chunk((total - i * ZEROS.len()).min(ZEROS.len())))?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Padding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let chunks: Vec<Vec<u8>> = Deserialize::deserialize(deserializer)?;
        Ok(Padding(chunks.iter().map(|c| c.len() as u32).sum()))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// A client's read or write of `key` (`part`: which of a fanned-out read's requests),
    /// sent by the client, or forwarded by the routing tier or a node (`hops` so far).
    Op {
        id: u32,
        part: u8,
        key: Key,
        op: Op,
        client: NodeId,
        hops: u8,
    },
    /// A range scan of keys `from..=to`: each node counts the keys it owns there.
    Scan {
        id: u32,
        from: Key,
        to: Key,
    },
    Scanned {
        id: u32,
        keys: u32,
    },
    /// A secondary-index query: how many keys have term `term` (each node counts its own
    /// keys under a local index, or the term's entries it holds under a global one).
    Query {
        id: u32,
        term: u8,
    },
    /// The answer to an `Op`, from the key's owner: the value read (none if the owner does
    /// not have the key) or written.
    Done {
        id: u32,
        part: u8,
        item: Option<Item>,
        epoch: u32,
    },
    /// Not mine: ask `owner`, by my map of `epoch`.
    Redirect {
        id: u32,
        part: u8,
        owner: Option<NodeId>,
        epoch: u32,
    },
    /// The key is being handed over (or the node has not caught up after a restart): retry.
    Busy {
        id: u32,
        part: u8,
    },
    /// A client or router asks the coordinator for the current map.
    GetMap,
    MapIs {
        map: Map,
    },
    /// A node's heartbeat to the coordinator: its map epoch, how many keys it holds, each
    /// range's size (ranges), whether it asks to be decommissioned, and whether it has
    /// restarted and waits to hear the map before it serves again.
    Report {
        epoch: u32,
        keys: u32,
        loads: Vec<RangeLoad>,
        leaving: bool,
        restarted: bool,
    },
    /// The coordinator's next map: copy the keys that move, then say `Ready`.
    Prepare {
        current: Map,
        next: Map,
    },
    /// A batch of moving keys with their values' bytes.
    Transfer {
        epoch: u32,
        batch: u32,
        items: Vec<Item>,
        bytes: Padding,
    },
    Received {
        epoch: u32,
        batch: u32,
    },
    /// Every key this node gives up has arrived at its new owner (`sent` keys in all).
    Ready {
        epoch: u32,
        sent: u32,
    },
    /// The map of `map.epoch` is in force.
    Commit {
        map: Map,
    },
    Committed {
        epoch: u32,
    },
}

impl Message for Msg {
    type Brief = Brief;

    fn kind(&self) -> &'static str {
        match self {
            Msg::Op { .. } => "Op",
            Msg::Scan { .. } => "Scan",
            Msg::Scanned { .. } => "Scanned",
            Msg::Query { .. } => "Query",
            Msg::Done { .. } => "Done",
            Msg::Redirect { .. } => "Redirect",
            Msg::Busy { .. } => "Busy",
            Msg::GetMap => "GetMap",
            Msg::MapIs { .. } => "MapIs",
            Msg::Report { .. } => "Report",
            Msg::Prepare { .. } => "Prepare",
            Msg::Transfer { .. } => "Transfer",
            Msg::Received { .. } => "Received",
            Msg::Ready { .. } => "Ready",
            Msg::Commit { .. } => "Commit",
            Msg::Committed { .. } => "Committed",
        }
    }

    fn class(&self) -> MsgClass {
        match self {
            Msg::Op { .. } | Msg::Scan { .. } | Msg::Query { .. } | Msg::GetMap | Msg::Transfer { .. } => {
                MsgClass::Request
            }
            Msg::Done { .. } | Msg::Scanned { .. } | Msg::MapIs { .. } | Msg::Received { .. } => MsgClass::Reply,
            Msg::Redirect { .. } | Msg::Busy { .. } => MsgClass::Rejection,
            Msg::Report { .. } => MsgClass::Heartbeat,
            Msg::Prepare { .. } | Msg::Ready { .. } | Msg::Commit { .. } | Msg::Committed { .. } => MsgClass::Ballot,
        }
    }

    fn brief(&self) -> Brief {
        match self {
            Msg::Op { id, part, key, op, hops, .. } => {
                Brief::Op { id: *id, part: *part, key: *key, op: *op, hops: *hops }
            }
            Msg::Scan { id, from, to } => Brief::Scan { id: *id, from: *from, to: *to },
            Msg::Scanned { id, keys } => Brief::Scanned { id: *id, keys: *keys },
            Msg::Query { id, term } => Brief::Query { id: *id, term: *term },
            Msg::Done { id, part, item, epoch } => {
                Brief::Done { id: *id, part: *part, value: item.map(|i| i.value), epoch: *epoch }
            }
            Msg::Redirect { id, part, owner, epoch } => {
                Brief::Redirect { id: *id, part: *part, owner: *owner, epoch: *epoch }
            }
            Msg::Busy { id, part } => Brief::Busy { id: *id, part: *part },
            Msg::GetMap => Brief::GetMap,
            Msg::MapIs { map } => Brief::MapIs { epoch: map.epoch },
            Msg::Report { epoch, keys, leaving, .. } => Brief::Report { epoch: *epoch, keys: *keys, leaving: *leaving },
            Msg::Prepare { next, .. } => Brief::Prepare { epoch: next.epoch, nodes: next.nodes.len() as u16 },
            Msg::Transfer { epoch, batch, items, bytes } => {
                Brief::Transfer { epoch: *epoch, batch: *batch, keys: items.len() as u32, bytes: bytes.0 }
            }
            Msg::Received { epoch, batch } => Brief::Received { epoch: *epoch, batch: *batch },
            Msg::Ready { epoch, sent } => Brief::Ready { epoch: *epoch, sent: *sent },
            Msg::Commit { map } => Brief::Commit { epoch: map.epoch },
            Msg::Committed { epoch } => Brief::Committed { epoch: *epoch },
        }
    }
}

/// What the trace keeps of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Brief {
    Op { id: u32, part: u8, key: Key, op: Op, hops: u8 },
    Scan { id: u32, from: Key, to: Key },
    Scanned { id: u32, keys: u32 },
    Query { id: u32, term: u8 },
    Done { id: u32, part: u8, value: Option<Value>, epoch: u32 },
    Redirect { id: u32, part: u8, owner: Option<NodeId>, epoch: u32 },
    Busy { id: u32, part: u8 },
    GetMap,
    MapIs { epoch: u32 },
    Report { epoch: u32, keys: u32, leaving: bool },
    Prepare { epoch: u32, nodes: u16 },
    Transfer { epoch: u32, batch: u32, keys: u32, bytes: u32 },
    Received { epoch: u32, batch: u32 },
    Ready { epoch: u32, sent: u32 },
    Commit { epoch: u32 },
    Committed { epoch: u32 },
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Read => f.write_str("read"),
            Op::Write(v, _) => write!(f, "write {v}"),
            Op::Index { present: true, .. } => f.write_str("index"),
            Op::Index { present: false, .. } => f.write_str("unindex"),
        }
    }
}

impl fmt::Display for Brief {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Brief::Op { id, part, key, op, hops } => {
                write!(f, "#{id}.{part} {op} k{key}")?;
                if *hops > 0 {
                    write!(f, " (hop {hops})")?;
                }
                Ok(())
            }
            Brief::Scan { id, from, to } => write!(f, "#{id} scan k{from}..k{to}"),
            Brief::Scanned { id, keys } => write!(f, "#{id} {keys} keys"),
            Brief::Query { id, term } => write!(f, "#{id} keys of term {term}?"),
            Brief::Done { id, part, value: Some(v), epoch } => write!(f, "#{id}.{part} value {v} (map {epoch})"),
            Brief::Done { id, part, value: None, epoch } => write!(f, "#{id}.{part} not found (map {epoch})"),
            Brief::Redirect { id, part, owner: Some(o), epoch } => write!(f, "#{id}.{part} ask node {o} (map {epoch})"),
            Brief::Redirect { id, part, owner: None, epoch } => write!(f, "#{id}.{part} no owner (map {epoch})"),
            Brief::Busy { id, part } => write!(f, "#{id}.{part} moving: retry"),
            Brief::GetMap => f.write_str("which map?"),
            Brief::MapIs { epoch } => write!(f, "map {epoch}"),
            Brief::Report { epoch, keys, leaving } => {
                write!(f, "map {epoch}, {keys} keys{}", if *leaving { ", leaving" } else { "" })
            }
            Brief::Prepare { epoch, nodes } => write!(f, "prepare map {epoch} over {nodes} nodes"),
            Brief::Transfer { epoch, batch, keys, bytes } => {
                write!(f, "map {epoch} batch {batch}: {keys} keys, {bytes} B")
            }
            Brief::Received { epoch, batch } => write!(f, "map {epoch} batch {batch} stored"),
            Brief::Ready { epoch, sent } => write!(f, "map {epoch}: {sent} keys handed over"),
            Brief::Commit { epoch } => write!(f, "map {epoch} in force"),
            Brief::Committed { epoch } => write!(f, "map {epoch} applied"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::encoded_len;

    #[test]
    fn padding_costs_its_bytes_on_the_wire_and_round_trips() {
        for n in [0u32, 1, 1023, 1024, 1025, 50_000] {
            let bytes = postcard::to_allocvec(&Padding(n)).unwrap();
            assert!(bytes.len() >= n as usize && bytes.len() <= n as usize + 4 + 2 * (n as usize / 1024 + 1));
            assert_eq!(encoded_len(&Padding(n)), bytes.len());
            assert_eq!(postcard::from_bytes::<Padding>(&bytes).unwrap(), Padding(n));
        }
    }
}
