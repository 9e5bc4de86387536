//! What the registry tells (and asks) the market.

use crate::MachineId;
use frame_support::weights::Weight;

/// Reacts to a machine going offline.
pub trait OnMachineOffline {
	/// Machine `id` missed its heartbeats; returns the weight the reaction used (the
	/// sweep charges it on top of its own).
	fn machine_offline(id: MachineId) -> Weight;
}

impl OnMachineOffline for () {
	fn machine_offline(_: MachineId) -> Weight {
		Weight::zero()
	}
}

/// What a provider still owes the market.
pub trait ProviderObligations<AccountId> {
	/// Whether `who` has obligations (an open dispute) that keep it from leaving.
	fn has_obligations(who: &AccountId) -> bool;
}

impl<AccountId> ProviderObligations<AccountId> for () {
	fn has_obligations(_: &AccountId) -> bool {
		false
	}
}

/// Reacts to a machine whose profile is new or changed (its hardware is unverified until
/// checked): the attestation pallet queues it for a challenge.
pub trait OnProfileChange {
	/// Machine `id` was registered or its profile changed to `version`.
	fn profile_changed(id: MachineId, version: u32);
}

impl OnProfileChange for () {
	fn profile_changed(_: MachineId, _: u32) {}
}
