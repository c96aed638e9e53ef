//! The simulator's messages in flight, by id.

use super::Flight;
use crate::idmap::IdMap;
use crate::trace::MsgId;

/// Messages on their way, by id. The methods are not generic and not inlined, so the map's
/// code is compiled once, not into every protocol's copy of the simulator.
#[derive(Clone, Default)]
pub(super) struct Flights(IdMap<MsgId, Flight>);

impl Flights {
    #[inline(never)]
    pub(super) fn insert(&mut self, msg: MsgId, flight: Flight) {
        self.0.insert(msg, flight);
    }
    #[inline(never)]
    pub(super) fn remove(&mut self, msg: &MsgId) -> Option<Flight> {
        self.0.remove(msg)
    }
    #[inline(never)]
    pub(super) fn get_mut(&mut self, msg: &MsgId) -> Option<&mut Flight> {
        self.0.get_mut(msg)
    }
    pub(super) fn get(&self, msg: &MsgId) -> Option<&Flight> {
        self.0.get(msg)
    }
    pub(super) fn iter(&self) -> impl Iterator<Item = (&MsgId, &Flight)> {
        self.0.iter()
    }
}
