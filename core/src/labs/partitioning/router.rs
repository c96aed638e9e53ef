//! The routing tier (a partition-aware load balancer, as MongoDB's `mongos` or Vitess's
//! `vtgate`): it keeps the map the coordinator commits and forwards each request to its
//! key's owner, so clients need not know the map at all.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::map::Placement;
use super::msg::Msg;
use super::node::{Config, State};
use super::store::initial_map;
use crate::process::{Ctx, Out};
use crate::trace::NodeId;

#[derive(Clone, Debug)]
pub struct Router {
    config: Config,
    pub map: Placement,
    pub forwarded: u64,
}

impl Router {
    pub fn new(config: &Config) -> Router {
        // Only storage nodes' configurations carry keys to preload.
        let config = config.clone();
        Router { map: Placement::new(initial_map(&config)), config, forwarded: 0 }
    }

    /// Asks for the current map: after a restart, the first map is long gone.
    pub fn start(&mut self, out: &mut Out<State>) {
        out.send(self.config.coordinator, Msg::GetMap);
    }

    pub fn on_message(&mut self, _ctx: &Ctx, _from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Op { id, part, key, op, client, hops } => match self.map.owner(&self.config.space, key) {
                Some(owner) => {
                    self.forwarded += 1;
                    out.send(owner, Msg::Op { id, part, key, op, client, hops: hops + 1 });
                }
                None => out.send(client, Msg::Redirect { id, part, owner: None, epoch: self.map.epoch() }),
            },
            Msg::Commit { map } | Msg::MapIs { map } if map.epoch > self.map.epoch() => self.map = Placement::new(map),
            _ => {}
        }
    }

    pub fn describe(&self) -> Vec<String> {
        alloc::vec![format!("map {} · {} forwarded", self.map.epoch(), self.forwarded)]
    }
}
