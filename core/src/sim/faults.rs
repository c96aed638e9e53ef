//! Faults the simulator can apply: node crashes, restarts, pauses, membership changes and
//! network partitions. Each one is recorded in the trace.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{NodeStatus, Pending, Sim};
use crate::process::Process;
use crate::time::Micros;
use crate::trace::{EventKind, NodeId};

impl<P: Process> Sim<P> {
    fn note_ignored(&mut self, node: NodeId, why: &str) {
        let name = self.slots.get(usize::from(node)).map_or("?", |s| s.name.as_str());
        let text = format!("ignored: {name} {why}");
        self.record(EventKind::Note { node: None, text });
    }

    fn clear_timers(&mut self, node: NodeId) {
        if let Some(armed) = self.timers.get_mut(usize::from(node)) {
            armed.clear();
        }
    }

    /// Stops the node: volatile state and timers are lost; persisted state stays.
    pub fn crash(&mut self, node: NodeId) {
        match self.status(node) {
            Some(NodeStatus::Up | NodeStatus::Paused { .. }) => {}
            Some(_) => return self.note_ignored(node, "is not running"),
            None => return,
        }
        let slot = &mut self.slots[usize::from(node)];
        slot.status = NodeStatus::Crashed;
        slot.process = None;
        self.clear_timers(node);
        self.record(EventKind::Crash { node });
        self.empty_inbox(node);
    }

    /// Boots a crashed node from its persisted state.
    pub fn restart(&mut self, node: NodeId) {
        match self.status(node) {
            Some(NodeStatus::Crashed) => {}
            Some(_) => return self.note_ignored(node, "is not crashed"),
            None => return,
        }
        self.slots[usize::from(node)].status = NodeStatus::Up;
        self.record(EventKind::Restart { node });
        self.boot(node);
    }

    /// Freezes the node for `span`, as a stop-the-world GC pause would.
    pub fn pause(&mut self, node: NodeId, span: Micros) {
        if self.status(node) != Some(NodeStatus::Up) {
            return self.note_ignored(node, "is not up");
        }
        let until = self.now + span;
        self.slots[usize::from(node)].status = NodeStatus::Paused { until };
        self.record(EventKind::Pause { node, until });
        self.schedule(until, Pending::Resume { node });
    }

    pub(super) fn resume(&mut self, node: NodeId) {
        if let Some(slot) = self.slots.get_mut(usize::from(node)) {
            if matches!(slot.status, NodeStatus::Paused { .. }) {
                slot.status = NodeStatus::Up;
                self.record(EventKind::Resume { node });
            }
        }
    }

    /// Adds a node to the system; it boots from whatever it persisted before leaving.
    pub fn join(&mut self, node: NodeId) {
        if self.status(node) != Some(NodeStatus::Absent) {
            return self.note_ignored(node, "is already a member");
        }
        self.slots[usize::from(node)].status = NodeStatus::Up;
        self.refresh_members();
        self.record(EventKind::Join { node });
        self.boot(node);
    }

    /// Removes a node from the system and from service discovery.
    pub fn leave(&mut self, node: NodeId) {
        match self.status(node) {
            Some(NodeStatus::Absent) => return self.note_ignored(node, "is not a member"),
            None => return,
            Some(_) => {}
        }
        let slot = &mut self.slots[usize::from(node)];
        slot.status = NodeStatus::Absent;
        slot.process = None;
        self.clear_timers(node);
        self.refresh_members();
        self.record(EventKind::Leave { node });
        self.empty_inbox(node);
    }

    /// Splits the nodes into groups that cannot talk to each other; unnamed nodes form a
    /// group of their own.
    pub fn partition(&mut self, groups: Vec<Vec<NodeId>>) {
        self.network.partition(&groups);
        self.record(EventKind::Partition { groups });
    }

    /// Cuts the link in one direction only.
    pub fn cut(&mut self, from: NodeId, to: NodeId) {
        self.network.links.cut(from, to);
        self.record(EventKind::Cut { from, to });
    }

    /// Multiplies the latency between two nodes (both directions).
    pub fn slow(&mut self, a: NodeId, b: NodeId, factor: u32) {
        self.network.links.slow(a, b, factor);
        self.record(EventKind::Slow { a, b, factor });
    }

    /// Reads a command's text for `node` into the protocol's typed command.
    pub fn parse_command(&self, node: NodeId, text: &str) -> Result<P::Command, String> {
        let slot = self.slots.get(usize::from(node)).ok_or_else(|| format!("there is no node #{node}"))?;
        let resolve = |name: &str| self.node_id(name);
        P::parse_command(&slot.config, text, &resolve).map_err(|why| format!("`do {} {text}`: {why}", slot.name))
    }

    /// Hands an operator's command to a running node. The text is recorded as typed; a
    /// command the node cannot take (checked before the run) is noted and ignored.
    pub fn command(&mut self, node: NodeId, text: String) {
        if self.status(node) != Some(NodeStatus::Up) {
            return self.note_ignored(node, "is not up");
        }
        let command = match self.parse_command(node, &text) {
            Ok(command) => command,
            Err(why) => return self.note(format!("ignored: {why}")),
        };
        self.record(EventKind::Command { node, text });
        let now = self.now;
        self.run_handler(node, now, |process, ctx, out| process.on_command(ctx, command, out));
    }

    /// Removes every partition, cut and slow-down.
    pub fn heal(&mut self) {
        self.network.heal();
        self.record(EventKind::Heal);
    }
}
