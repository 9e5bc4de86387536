//! Machines, their containers and what they have allocated; the idle containers PoC may
//! schedule.

use crate::{pallet::*, ContainerState, MachineId};
use frame_support::traits::Contains;
use uranus_primitives::compute::{ContainerCapacity, ContainerId, ResourceSpec};

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

	/// Records profile `version` of machine `id` as verified without a measured speed (by
	/// governance: its claimed frequency counts) and emits [`Event::HardwareVerified`].
	pub fn mark_verified(id: MachineId, version: u32) {
		VerifiedMachines::<T>::insert(id, version);
		VerifiedCpuMhz::<T>::remove(id);
		Self::deposit_event(Event::HardwareVerified { id, version });
	}

	/// Records profile `version` of machine `id` as verified by a hardware challenge that
	/// measured its cores as `cpu_mhz` each, and emits [`Event::HardwareVerified`].
	pub fn mark_verified_measured(id: MachineId, version: u32, cpu_mhz: u32) {
		Self::mark_verified(id, version);
		VerifiedCpuMhz::<T>::insert(id, cpu_mhz);
	}

	/// The per-core speed PoC scores for machine `id` instead of its claimed frequency: the
	/// one a hardware challenge measured, while that verification holds (so that claiming
	/// more, slower cores than the machine has scores no more than the truth).
	pub fn measured_mhz(id: MachineId, verified: bool) -> Option<u32> {
		verified.then(|| VerifiedCpuMhz::<T>::get(id)).flatten()
	}

	/// `capacity` as PoC scores it, with the measured per-core speed when there is one.
	pub fn scored(capacity: ContainerCapacity, measured_mhz: Option<u32>) -> ContainerCapacity {
		match measured_mhz {
			Some(cpu_mhz) => ContainerCapacity { cpu_mhz, ..capacity },
			None => capacity,
		}
	}

	/// Machine `id`'s hardware no longer counts as verified; emits
	/// [`Event::HardwareUnverified`] when it did.
	pub fn mark_unverified(id: MachineId) {
		VerifiedCpuMhz::<T>::remove(id);
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
