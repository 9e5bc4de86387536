//! Machines, their containers and what they have allocated; the idle containers PoC may
//! schedule.

use crate::{pallet::*, ContainerState, MachineId};
use frame_support::traits::Contains;
use uranus_primitives::compute::{ContainerId, ResourceSpec};

impl<T: Config> Pallet<T> {
	/// The machines `owner` registered (at most `MaxMachinesPerProvider`).
	pub fn machines_of(owner: &T::AccountId) -> alloc::vec::Vec<MachineId> {
		MachinesOf::<T>::iter_key_prefix(owner).collect()
	}

	/// Sets container `id`'s state (the market: serving a lease or idle again). Unknown ids
	/// are ignored.
	pub fn set_container_state(id: ContainerId, state: ContainerState) {
		Containers::<T>::mutate(id, |c| {
			if let Some(c) = c {
				c.state = state;
			}
		});
	}

	/// Whether machine `id`'s current profile is the one whose hardware was verified.
	pub fn hardware_verified(id: MachineId, m: &MachineOf<T>) -> bool {
		VerifiedMachines::<T>::get(id) == Some(m.version)
	}

	/// Records profile `version` of machine `id` as verified (by governance or a passed
	/// hardware challenge) and emits [`Event::HardwareVerified`].
	pub fn mark_verified(id: MachineId, version: u32) {
		VerifiedMachines::<T>::insert(id, version);
		Self::deposit_event(Event::HardwareVerified { id, version });
	}

	/// Machine `id`'s hardware no longer counts as verified; emits
	/// [`Event::HardwareUnverified`] when it did.
	pub fn mark_unverified(id: MachineId) {
		if VerifiedMachines::<T>::take(id).is_some() {
			Self::deposit_event(Event::HardwareUnverified { id });
		}
	}

	/// Whether a container of machine `m` serves a lease (its memory is not free for a
	/// hardware challenge).
	pub fn serving(m: &MachineOf<T>) -> bool {
		m.containers
			.iter()
			.any(|c| Containers::<T>::get(c).is_some_and(|c| c.state != ContainerState::Idle))
	}

	/// Σ of the machine's container specs (`None` on overflow).
	pub fn allocated(m: &MachineOf<T>) -> Option<ResourceSpec> {
		m.containers.iter().try_fold(ResourceSpec::default(), |acc, id| match Containers::<T>::get(
			id,
		) {
			Some(c) => add_specs(&acc, &c.capacity.spec),
			None => Some(acc),
		})
	}
}

/// Idle containers on online machines: what the market may lease (PoC's `Available`).
pub struct IdleContainers<T>(core::marker::PhantomData<T>);
impl<T: Config> Contains<ContainerId> for IdleContainers<T> {
	fn contains(id: &ContainerId) -> bool {
		Containers::<T>::get(id).is_some_and(|c| {
			c.state == ContainerState::Idle
				&& Machines::<T>::get(c.machine).is_some_and(|m| m.online)
		})
	}
}
