//! A Raft server (and the lab's client) as a sans-I/O process, following Figure 2 of
//! Ongaro & Ousterhout 2014 rule by rule.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::log::{Change, Entry, Index, Stable, Term};
use super::msg::{Msg, Outcome};
use crate::process::{Ctx, ObsClass, Observation, Out, Process, TimerName};
use crate::time::{format_duration, Micros};
use crate::trace::NodeId;

/// Entries sent in one AppendEntries at most.
const BATCH: usize = 16;

/// Which entries a leader may count as committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitRule {
    /// Raft §5.4.2: only entries of the leader's current term are committed by counting
    /// replicas; earlier ones commit with them.
    CurrentTerm,
    /// The teaching variant: any entry stored on a majority counts. Figure 8 shows why this
    /// loses committed entries.
    AnyTerm,
}

/// Raft §5.3 and §5.4.2: the highest index a leader may commit, given its log's terms, its
/// followers' match indices, its commit index so far and its current term.
#[cfg(test)]
pub fn commit_point(
    terms: &[Term],
    follower_matches: &[Index],
    commit: Index,
    current_term: Term,
    rule: CommitRule,
) -> Index {
    let log: Vec<Entry> = terms.iter().map(|&term| Entry { term, command: 0 }).collect();
    commit_point_in(&log, follower_matches, commit, current_term, rule)
}

/// [`commit_point`] over the log itself: it looks only at entries past `commit`, so its cost
/// does not grow with the log.
pub fn commit_point_in(
    log: &[Entry],
    follower_matches: &[Index],
    commit: Index,
    current_term: Term,
    rule: CommitRule,
) -> Index {
    let cluster = follower_matches.len() + 1;
    let majority = cluster / 2 + 1;
    let mut best = commit;
    for n in (commit + 1)..=log.len() as Index {
        let replicas = 1 + follower_matches.iter().filter(|&&m| m >= n).count();
        let term_ok = match rule {
            CommitRule::CurrentTerm => log[n as usize - 1].term == current_term,
            CommitRule::AnyTerm => true,
        };
        if replicas >= majority && term_ok {
            best = n;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_rule_table() {
        use CommitRule::{AnyTerm, CurrentTerm};
        // (log terms, followers' match indices, commit, current term, rule, expected)
        type Row<'a> = (&'a [Term], &'a [Index], Index, Term, CommitRule, Index);
        let table: &[Row] = &[
            (&[1, 1], &[2, 2, 0, 0], 0, 1, CurrentTerm, 2),
            (&[1, 1], &[2, 0, 0, 0], 0, 1, CurrentTerm, 0),
            // Figure 8 (c): an old-term entry on a majority must not commit by counting...
            (&[1, 2], &[1, 1, 0, 0], 0, 3, CurrentTerm, 0),
            // ...unless the teaching variant counts it,
            (&[1, 2], &[1, 1, 0, 0], 0, 3, AnyTerm, 1),
            // and it commits with a current-term entry after it (Figure 8 (e)).
            (&[1, 3], &[2, 2, 0, 0], 0, 3, CurrentTerm, 2),
            (&[2, 2, 2], &[3, 1, 1, 1], 1, 2, CurrentTerm, 1),
            (&[1], &[], 0, 1, CurrentTerm, 1),
        ];
        for &(terms, matches, commit, term, rule, expected) in table {
            assert_eq!(
                commit_point(terms, matches, commit, term, rule),
                expected,
                "{terms:?} {matches:?} term {term} {rule:?}"
            );
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Server { peers: Vec<NodeId> },
    Client { servers: Vec<NodeId> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub kind: Kind,
    pub election_min: Micros,
    pub election_max: Micros,
    pub heartbeat: Micros,
    pub commit_rule: CommitRule,
    /// Client: commands per second (0 for none).
    pub client_rate: u32,
    pub client_timeout: Micros,
    /// Raft thesis §9.6: poll a majority before starting a real election.
    pub prevote: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    Election,
    Heartbeat,
    ClientNext,
    ClientRetry,
}

impl TimerName for Timer {
    fn label(&self) -> &'static str {
        match self {
            Timer::Election => "election",
            Timer::Heartbeat => "heartbeat",
            Timer::ClientNext => "client-next",
            Timer::ClientRetry => "client-retry",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Obs {
    BecameCandidate { term: Term },
    BecameLeader { term: Term },
    SteppedDown { term: Term },
    LogChanged { from: Index },
    Committed { index: Index, term: Term },
    Applied { index: Index, term: Term, command: u32 },
    Submitted { command: u32, to: NodeId },
    Done { command: u32, index: Index, latency: Micros },
    PreVoting { term: Term },
}

impl Observation for Obs {
    fn class(&self) -> ObsClass {
        match self {
            Obs::Submitted { .. } => ObsClass::ClientRequest,
            Obs::Done { .. } => ObsClass::ClientResponse,
            _ => ObsClass::StateChange,
        }
    }

    fn text(&self, name: &dyn Fn(NodeId) -> String) -> String {
        match self {
            Obs::BecameCandidate { term } => format!("candidate for term {term}"),
            Obs::BecameLeader { term } => format!("leader of term {term}"),
            Obs::SteppedDown { term } => format!("follower in term {term}"),
            Obs::LogChanged { from } => format!("log changed from index {from}"),
            Obs::Committed { index, term } => format!("committed index {index} (term {term})"),
            Obs::Applied { index, term, command } => format!("applied index {index} (term {term}) command {command}"),
            Obs::Submitted { command, to } => format!("submit command {command} to {}", name(*to)),
            Obs::Done { command, index, latency } => {
                format!("command {command} committed at index {index} after {}", format_duration(*latency))
            }
            Obs::PreVoting { term } => format!("asks whether it would win term {term} (PreVote)"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct State {
    me: NodeId,
    config: Config,
    pub stable: Stable,
    pub role: Role,
    pub leader: Option<NodeId>,
    pub commit_index: Index,
    pub last_applied: Index,
    votes: BTreeSet<NodeId>,
    /// Pre-votes gathered while polling before an election (PreVote only).
    pre_votes: Option<BTreeSet<NodeId>>,
    /// When this server last heard from a leader of its term (PreVote's leader stickiness).
    heard_from_leader: Option<Micros>,
    next_index: BTreeMap<NodeId, Index>,
    pub match_index: BTreeMap<NodeId, Index>,
    /// Leader: which client waits for which index.
    waiting: BTreeMap<Index, (NodeId, u32)>,
    /// When the election timer was last armed, and for how long (for the UI's rings).
    pub election_deadline: Option<(Micros, Micros)>,
    // Client side.
    next_command: u32,
    outstanding: Option<(u32, NodeId, Micros)>,
    guess: usize,
}

impl State {
    /// How many pre-votes this server holds while it polls (PreVote), if it is polling.
    pub fn pre_votes(&self) -> Option<usize> {
        self.pre_votes.as_ref().map(BTreeSet::len)
    }

    fn peers(&self) -> &[NodeId] {
        match &self.config.kind {
            Kind::Server { peers } => peers,
            Kind::Client { .. } => &[],
        }
    }

    fn majority(&self) -> usize {
        let cluster = self.peers().len() + 1;
        cluster / 2 + 1
    }

    fn arm_election(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        let span = self.config.election_max.saturating_sub(self.config.election_min);
        let timeout = self.config.election_min + ctx.entropy % (span + 1);
        self.election_deadline = Some((ctx.now, timeout));
        out.set_timer(Timer::Election, timeout);
    }

    /// Figure 2, "All Servers": a higher term makes us a follower of that term.
    fn observe_term(&mut self, term: Term, out: &mut Out<Self>) {
        if term > self.stable.current_term {
            out.persist_applied(&mut self.stable, Change::Term { term, voted_for: None });
            if self.role != Role::Follower {
                out.observe(Obs::SteppedDown { term });
                out.cancel_timer(Timer::Heartbeat);
            }
            self.role = Role::Follower;
            self.leader = None;
            self.pre_votes = None;
        }
    }

    /// Thesis §9.6: ask the others whether they would vote for us in the next term, without
    /// incrementing our own; only a majority of yeses starts a real election. A server cut
    /// off from the majority therefore never inflates its term.
    fn start_pre_vote(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        let term = self.stable.current_term + 1;
        self.pre_votes = Some(BTreeSet::from([self.me]));
        out.observe(Obs::PreVoting { term });
        let (last_log_index, last_log_term) = (self.stable.last_index(), self.stable.last_term());
        for &peer in self.peers() {
            out.send(peer, Msg::PreVote { term, last_log_index, last_log_term });
        }
        self.arm_election(ctx, out);
        self.maybe_win_pre_vote(ctx, out);
    }

    fn maybe_win_pre_vote(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        if self.pre_votes.as_ref().is_some_and(|votes| votes.len() >= self.majority()) {
            self.start_election(ctx, out);
        }
    }

    /// A server grants a pre-vote when it would grant the vote (a later term, an up-to-date
    /// log) and has not heard from a leader within the minimum election timeout.
    fn would_vote(&self, ctx: &Ctx, term: Term, last_log_index: Index, last_log_term: Term) -> bool {
        let leader_is_quiet =
            self.heard_from_leader.is_none_or(|at| ctx.now.saturating_sub(at) >= self.config.election_min);
        term > self.stable.current_term
            && self.role != Role::Leader
            && leader_is_quiet
            && self.stable.candidate_up_to_date(last_log_term, last_log_index)
    }

    fn start_election(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        self.pre_votes = None;
        let term = self.stable.current_term + 1;
        out.persist_applied(&mut self.stable, Change::Term { term, voted_for: Some(self.me) });
        self.role = Role::Candidate;
        self.leader = None;
        self.votes = BTreeSet::from([self.me]);
        out.observe(Obs::BecameCandidate { term });
        let (last_log_index, last_log_term) = (self.stable.last_index(), self.stable.last_term());
        for &peer in self.peers() {
            out.send(peer, Msg::RequestVote { term, last_log_index, last_log_term });
        }
        self.arm_election(ctx, out);
        self.maybe_win(ctx, out);
    }

    fn maybe_win(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        if self.role != Role::Candidate || self.votes.len() < self.majority() {
            return;
        }
        self.role = Role::Leader;
        self.leader = Some(self.me);
        self.election_deadline = None;
        out.cancel_timer(Timer::Election);
        let next = self.stable.last_index() + 1;
        self.next_index = self.peers().iter().map(|&p| (p, next)).collect();
        self.match_index = self.peers().iter().map(|&p| (p, 0)).collect();
        out.observe(Obs::BecameLeader { term: self.stable.current_term });
        self.broadcast(out);
        out.set_timer(Timer::Heartbeat, self.config.heartbeat);
        let _ = ctx;
    }

    fn send_append(&self, peer: NodeId, out: &mut Out<Self>) {
        let next = self.next_index.get(&peer).copied().unwrap_or(1).max(1);
        let prev_index = next - 1;
        let prev_term = self.stable.term_at(prev_index).unwrap_or(0);
        let entries = self.stable.entries_from(next, BATCH);
        let term = self.stable.current_term;
        out.send(peer, Msg::Append { term, prev_index, prev_term, entries, commit: self.commit_index });
    }

    fn broadcast(&self, out: &mut Out<Self>) {
        for &peer in self.peers() {
            self.send_append(peer, out);
        }
    }

    fn advance_commit(&mut self, out: &mut Out<Self>) {
        let matches: Vec<Index> = self.match_index.values().copied().collect();
        let best = commit_point_in(
            &self.stable.log,
            &matches,
            self.commit_index,
            self.stable.current_term,
            self.config.commit_rule,
        );
        self.set_commit(best, out);
    }

    fn set_commit(&mut self, index: Index, out: &mut Out<Self>) {
        let index = index.min(self.stable.last_index());
        while self.commit_index < index {
            self.commit_index += 1;
            let term = self.stable.term_at(self.commit_index).unwrap_or(0);
            if self.role == Role::Leader {
                out.observe(Obs::Committed { index: self.commit_index, term });
            }
        }
        while self.last_applied < self.commit_index {
            self.last_applied += 1;
            let i = self.last_applied;
            let entry = self.stable.log[i as usize - 1];
            out.observe(Obs::Applied { index: i, term: entry.term, command: entry.command });
            if let Some((client, command)) = self.waiting.remove(&i) {
                out.send(client, Msg::Reply { command, outcome: Outcome::Committed(i) });
            }
        }
    }

    fn on_append(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        let Msg::Append { term, prev_index, prev_term, entries, commit } = msg else { return };
        let current = self.stable.current_term;
        if term < current {
            out.send(from, Msg::AppendReply { term: current, success: false, index: 0 });
            return;
        }
        if self.role != Role::Follower {
            self.role = Role::Follower;
            out.cancel_timer(Timer::Heartbeat);
            out.observe(Obs::SteppedDown { term });
        }
        self.leader = Some(from);
        self.heard_from_leader = Some(ctx.now);
        self.pre_votes = None;
        self.arm_election(ctx, out);
        if self.stable.term_at(prev_index) != Some(prev_term) {
            let hint = prev_index.saturating_sub(1).min(self.stable.last_index());
            out.send(from, Msg::AppendReply { term, success: false, index: hint });
            return;
        }
        // Find the first entry that conflicts or is new; keep everything before it.
        let mut first_new = None;
        for (offset, entry) in entries.iter().enumerate() {
            let index = prev_index + 1 + offset as Index;
            if self.stable.term_at(index) != Some(entry.term) {
                first_new = Some(offset);
                break;
            }
        }
        if let Some(offset) = first_new {
            let from_index = prev_index + 1 + offset as Index;
            out.persist_applied(
                &mut self.stable,
                Change::Splice { from: from_index, entries: entries[offset..].to_vec() },
            );
            self.waiting.retain(|&i, _| i < from_index);
            out.observe(Obs::LogChanged { from: from_index });
        }
        let last_new = prev_index + entries.len() as Index;
        if commit > self.commit_index {
            self.set_commit(commit.min(last_new.max(self.commit_index)), out);
        }
        out.send(from, Msg::AppendReply { term, success: true, index: last_new });
    }

    fn on_request(&mut self, from: NodeId, command: u32, out: &mut Out<Self>) {
        if self.role != Role::Leader {
            out.send(from, Msg::Reply { command, outcome: Outcome::Redirect(self.leader) });
            return;
        }
        let term = self.stable.current_term;
        let index = self.stable.last_index() + 1;
        out.persist_applied(&mut self.stable, Change::Splice { from: index, entries: vec![Entry { term, command }] });
        out.observe(Obs::LogChanged { from: index });
        self.waiting.insert(index, (from, command));
        self.broadcast(out);
        self.advance_commit(out);
    }

    fn client_submit(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        let Kind::Client { servers } = &self.config.kind else { return };
        let Some(&to) = servers.get(self.guess % servers.len().max(1)) else { return };
        let command = match self.outstanding {
            Some((command, _, _)) => command,
            None => {
                self.next_command += 1;
                u32::from(self.me) * 1_000_000 + self.next_command
            }
        };
        let since = self.outstanding.map_or(ctx.now, |(_, _, at)| at);
        self.outstanding = Some((command, to, since));
        out.send(to, Msg::Request { command });
        out.observe(Obs::Submitted { command, to });
        out.set_timer(Timer::ClientRetry, self.config.client_timeout);
    }
}

/// What an operator can tell a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// A server's election timer fires now.
    Timeout,
    /// A client submits a new command, to the server at this index of its list, or to the
    /// one it last heard of.
    Submit { to: Option<usize> },
}

impl Process for State {
    type Command = Command;
    type Msg = Msg;
    type Timer = Timer;
    type Stable = Stable;
    type Obs = Obs;
    type Config = Config;

    fn boot(me: NodeId, config: &Config, stable: &Stable) -> Self {
        State {
            me,
            config: config.clone(),
            stable: stable.clone(),
            role: Role::Follower,
            leader: None,
            commit_index: 0,
            last_applied: 0,
            votes: BTreeSet::new(),
            pre_votes: None,
            heard_from_leader: None,
            next_index: BTreeMap::new(),
            match_index: BTreeMap::new(),
            waiting: BTreeMap::new(),
            election_deadline: None,
            next_command: 0,
            outstanding: None,
            guess: usize::from(me),
        }
    }

    fn on_start(&mut self, ctx: &Ctx, out: &mut Out<Self>) {
        match &self.config.kind {
            Kind::Server { .. } => self.arm_election(ctx, out),
            Kind::Client { .. } if self.config.client_rate > 0 => {
                out.set_timer(Timer::ClientNext, 1_000_000 / Micros::from(self.config.client_rate));
            }
            Kind::Client { .. } => {}
        }
    }

    fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) {
        match msg {
            Msg::RequestVote { term, last_log_index, last_log_term } => {
                self.observe_term(term, out);
                let current = self.stable.current_term;
                let free = self.stable.voted_for.is_none_or(|v| v == from);
                let granted =
                    term == current && free && self.stable.candidate_up_to_date(last_log_term, last_log_index);
                if granted {
                    out.persist_applied(&mut self.stable, Change::Term { term, voted_for: Some(from) });
                    self.arm_election(ctx, out);
                }
                out.send(from, Msg::Vote { term: current, granted });
            }
            Msg::PreVote { term, last_log_index, last_log_term } => {
                let granted = self.would_vote(ctx, term, last_log_index, last_log_term);
                out.send(from, Msg::PreVoteReply { term: self.stable.current_term, granted });
            }
            Msg::PreVoteReply { term, granted } => {
                self.observe_term(term, out);
                if granted && term <= self.stable.current_term {
                    if let Some(votes) = self.pre_votes.as_mut() {
                        votes.insert(from);
                    }
                    self.maybe_win_pre_vote(ctx, out);
                }
            }
            Msg::Vote { term, granted } => {
                self.observe_term(term, out);
                if self.role == Role::Candidate && term == self.stable.current_term && granted {
                    self.votes.insert(from);
                    self.maybe_win(ctx, out);
                }
            }
            msg @ Msg::Append { .. } => {
                let Msg::Append { term, .. } = msg else { return };
                self.observe_term(term, out);
                self.on_append(ctx, from, msg, out);
            }
            Msg::AppendReply { term, success, index } => {
                self.observe_term(term, out);
                if self.role != Role::Leader || term != self.stable.current_term {
                    return;
                }
                // Only a reply that moves the follower's progress is acted on: a duplicate or
                // a stale reply (a network copy, an answer to an older append) changes nothing
                // and sends nothing, or every copy would breed another append (etcd's raft
                // ignores them the same way, `MaybeUpdate` / `MaybeDecrTo`).
                if success {
                    let matched = self.match_index.entry(from).or_insert(0);
                    if index <= *matched && self.next_index.get(&from).is_some_and(|&n| n > index) {
                        return;
                    }
                    *matched = (*matched).max(index);
                    self.next_index.insert(from, index + 1);
                    self.advance_commit(out);
                    if index < self.stable.last_index() {
                        self.send_append(from, out);
                    }
                } else {
                    // A rejection's hint is below the probe it answers (Figure 2's consistency
                    // check fails at prev_index = next - 1); one that is not answers an older
                    // probe, or is a copy of one already acted on.
                    let next = self.next_index.entry(from).or_insert(1);
                    let hinted = (index + 1).max(1);
                    if hinted >= *next {
                        return;
                    }
                    *next = hinted;
                    self.send_append(from, out);
                }
            }
            Msg::Request { command } => self.on_request(from, command, out),
            Msg::Reply { command, outcome } => {
                let Some((waiting, _, since)) = self.outstanding else { return };
                if waiting != command {
                    return;
                }
                match outcome {
                    Outcome::Committed(index) => {
                        self.outstanding = None;
                        out.cancel_timer(Timer::ClientRetry);
                        out.observe(Obs::Done { command, index, latency: ctx.now - since });
                        if self.config.client_rate > 0 {
                            out.set_timer(Timer::ClientNext, 1_000_000 / Micros::from(self.config.client_rate));
                        }
                    }
                    Outcome::Redirect(leader) => {
                        if let (Some(leader), Kind::Client { servers }) = (leader, &self.config.kind) {
                            if let Some(at) = servers.iter().position(|&s| s == leader) {
                                self.guess = at;
                                self.client_submit(ctx, out);
                            }
                        }
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<Self>) {
        match timer {
            Timer::Election if self.role != Role::Leader && self.config.prevote => self.start_pre_vote(ctx, out),
            Timer::Election if self.role != Role::Leader => self.start_election(ctx, out),
            Timer::Election => {}
            Timer::Heartbeat if self.role == Role::Leader => {
                self.broadcast(out);
                out.set_timer(Timer::Heartbeat, self.config.heartbeat);
            }
            Timer::Heartbeat => {}
            Timer::ClientNext => self.client_submit(ctx, out),
            Timer::ClientRetry => {
                self.guess += 1;
                self.client_submit(ctx, out);
            }
        }
    }

    fn parse_command(config: &Config, text: &str, resolve: &dyn Fn(&str) -> Option<NodeId>) -> Result<Command, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        match (words.as_slice(), &config.kind) {
            (["timeout"], Kind::Server { .. }) => Ok(Command::Timeout),
            (["submit"], Kind::Client { .. }) => Ok(Command::Submit { to: None }),
            (["submit", name], Kind::Client { servers }) => {
                match resolve(name).and_then(|id| servers.iter().position(|&s| s == id)) {
                    Some(at) => Ok(Command::Submit { to: Some(at) }),
                    None => Err(format!("no server called `{name}`")),
                }
            }
            (_, Kind::Server { .. }) => Err("unknown command (servers take: timeout)".into()),
            (_, Kind::Client { .. }) => Err("unknown command (clients take: submit [server])".into()),
        }
    }

    fn on_command(&mut self, ctx: &Ctx, command: Command, out: &mut Out<Self>) {
        match command {
            Command::Timeout => self.start_election(ctx, out),
            Command::Submit { to } => {
                if let Some(at) = to {
                    self.guess = at;
                }
                // A new command; an unanswered one is abandoned.
                self.outstanding = None;
                self.client_submit(ctx, out);
            }
        }
    }

    fn reconfigure(&mut self, config: &Config) {
        self.config = config.clone();
    }

    fn describe(&self) -> Vec<String> {
        match self.config.kind {
            Kind::Client { .. } => vec![format!("{} commands sent", self.next_command)],
            Kind::Server { .. } => vec![
                match &self.pre_votes {
                    Some(votes) => format!("pre-vote {} · term {}", votes.len(), self.stable.current_term),
                    None => format!("{} · term {}", self.role.name(), self.stable.current_term),
                },
                format!("voted {}", self.stable.voted_for.map_or("-".into(), |v| format!("n{}", v + 1))),
                format!("log {} · commit {}", self.stable.last_index(), self.commit_index),
            ],
        }
    }

    fn glyph(&self) -> crate::sim::Glyph {
        use crate::sim::{Glyph, Standing};
        match self.config.kind {
            Kind::Client { .. } => Glyph::default(),
            Kind::Server { .. } => Glyph {
                standing: match self.role {
                    Role::Leader => Standing::Leader,
                    Role::Candidate => Standing::Candidate,
                    Role::Follower if self.pre_votes.is_some() => Standing::Candidate,
                    Role::Follower => Standing::Follower,
                },
                mark: Some(("term", self.stable.current_term)),
                timer: self.election_deadline.map(|(set, timeout)| (set, set + timeout)),
            },
        }
    }
}
