//! The registry's books, checkable: `try_state` (try-runtime), the unit tests and the
//! runtime fuzzer run [`Pallet::do_try_state`].
//!
//! ## Invariants
//! - Each account's [`HoldReason`] holds equal the deposits its records carry: providers,
//!   machines, containers and images.
//! - A provider's `machines` counts its machines, and [`MachinesOf`] indexes exactly them.
//! - Every machine's containers exist and point back to it; every container's machine lists
//!   it; machine and container ids are below the next ids.
//! - A machine's containers fit its profile.
//! - Only existing machines are marked verified, at a profile version they had.

use crate::pallet::*;
use alloc::collections::btree_map::BTreeMap;
use frame_support::{ensure, traits::fungible::InspectHold};
use sp_runtime::traits::Saturating;

impl<T: Config> Pallet<T> {
	/// Checks every invariant of the module docs.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		// (provider, machine, container, image) deposits per account.
		let mut books: BTreeMap<T::AccountId, [BalanceOf<T>; 4]> = BTreeMap::new();
		let mut machines_of: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for (who, p) in Providers::<T>::iter() {
			books.entry(who).or_default()[0] = p.deposit;
		}
		for (who, g) in Gateways::<T>::iter() {
			ensure!(
				Providers::<T>::contains_key(&who),
				"a gateway of an account that is no provider"
			);
			ensure!(g.is_well_formed(), "a gateway URL that is not https");
		}
		for (id, version) in VerifiedMachines::<T>::iter() {
			let m = Machines::<T>::get(id).ok_or("a missing machine is marked verified")?;
			ensure!(version <= m.version, "verified at a profile version the machine never had");
		}
		for id in VerifiedCpuMhz::<T>::iter_keys() {
			ensure!(
				VerifiedMachines::<T>::contains_key(id),
				"a measured speed of an unverified machine"
			);
		}
		let next_machine = NextMachineId::<T>::get();
		let next_container = NextContainerId::<T>::get();
		for (id, m) in Machines::<T>::iter() {
			ensure!(id < next_machine, "machine id not below NextMachineId");
			ensure!(MachinesOf::<T>::contains_key(&m.owner, id), "machine missing from MachinesOf");
			*machines_of.entry(m.owner.clone()).or_default() += 1;
			let e = books.entry(m.owner.clone()).or_default();
			e[1] = e[1].saturating_add(m.deposit);
			for cid in m.containers.iter() {
				let c = Containers::<T>::get(cid).ok_or("a machine lists a missing container")?;
				ensure!(c.machine == id, "a container points to another machine");
				e[2] = e[2].saturating_add(c.deposit);
			}
			ensure!(
				Self::allocated(&m).is_some_and(|a| m.profile.capacity().covers(&a)),
				"a machine's containers exceed its profile"
			);
		}
		for (cid, c) in Containers::<T>::iter() {
			ensure!(cid < next_container, "container id not below NextContainerId");
			ensure!(
				Machines::<T>::get(c.machine).is_some_and(|m| m.containers.contains(&cid)),
				"a container's machine does not list it"
			);
		}
		for (who, _, ()) in MachinesOf::<T>::iter() {
			ensure!(machines_of.contains_key(&who), "MachinesOf indexes a missing machine");
		}
		for (who, p) in Providers::<T>::iter() {
			ensure!(
				machines_of.get(&who).copied().unwrap_or(0) == p.machines,
				"a provider's machine count is off"
			);
		}
		for (_, image) in Images::<T>::iter() {
			let e = books.entry(image.publisher.clone()).or_default();
			e[3] = e[3].saturating_add(image.deposit);
		}
		for (who, [provider, machine, container, image]) in books {
			let held = |r: HoldReason| T::Currency::balance_on_hold(&r.into(), &who);
			ensure!(
				held(HoldReason::Provider) == provider,
				"provider deposit differs from its hold"
			);
			ensure!(
				held(HoldReason::Machine) == machine,
				"machine deposits differ from their hold"
			);
			ensure!(
				held(HoldReason::Container) == container,
				"container deposits differ from their hold"
			);
			ensure!(held(HoldReason::Image) == image, "image deposits differ from their hold");
		}
		Ok(())
	}
}
