//! The market's books, checkable: `try_state` (try-runtime), the unit tests and the fuzzer
//! run [`Pallet::do_try_state`].
//!
//! ## Invariants
//! - Σ `held` of an owner's orders = that owner's [`HoldReason::Escrow`] hold; Σ `deposit` =
//!   its [`HoldReason::OrderDeposit`] hold.
//! - Every lease an order lists exists and points back to that order; lease ids are below
//!   [`NextLeaseId`], order ids below [`NextOrderId`].
//! - [`OrdersOf`] and [`LeasesOfProvider`] index exactly the stored orders and leases.
//! - [`LeasesOfMachine`] holds exactly the active leases; an active lease's container is
//!   `Serving` it.
//! - [`OpenDisputes`] counts the open disputes of each provider.
//! - An order's escrow covers what its active leases can still be charged.

use crate::{pallet::*, LeaseState};
use alloc::collections::btree_map::BTreeMap;
use frame_support::{ensure, traits::fungible::InspectHold};
use pallet_registry::ContainerState;

impl<T: Config> Pallet<T> {
	/// Checks every invariant of the module docs.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut held: BTreeMap<T::AccountId, (u128, u128)> = BTreeMap::new();
		let next_order = NextOrderId::<T>::get();
		let next_lease = NextLeaseId::<T>::get();
		for (id, o) in Orders::<T>::iter() {
			ensure!(id < next_order, "order id not below NextOrderId");
			ensure!(OrdersOf::<T>::contains_key(&o.owner, id), "order missing from OrdersOf");
			let e = held.entry(o.owner.clone()).or_default();
			e.0 = e.0.saturating_add(o.held);
			e.1 = e.1.saturating_add(o.deposit);
			let mut owed = 0u128;
			for lease in o.leases.iter() {
				let l = Leases::<T>::get(lease).ok_or("an order lists a missing lease")?;
				ensure!(l.order == id, "an order lists another order's lease");
				if l.state.is_active() {
					owed = owed.saturating_add(l.allotment.saturating_sub(l.charged));
					if l.state == LeaseState::Assigned {
						owed = owed.saturating_add(l.image_fee);
					}
				}
			}
			ensure!(o.held >= owed, "escrow below what active leases can be charged");
		}
		for (owner, id, ()) in OrdersOf::<T>::iter() {
			ensure!(
				Orders::<T>::get(id).is_some_and(|o| o.owner == owner),
				"OrdersOf indexes a missing or foreign order"
			);
		}
		for (who, (escrow, deposit)) in held.iter() {
			ensure!(
				T::Escrow::balance_on_hold(&HoldReason::Escrow.into(), who) == *escrow,
				"escrow hold differs from the orders' books"
			);
			ensure!(
				T::Escrow::balance_on_hold(&HoldReason::OrderDeposit.into(), who) == *deposit,
				"deposit hold differs from the orders' deposits"
			);
		}
		let mut disputes: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		let mut active = 0u32;
		for (id, l) in Leases::<T>::iter() {
			ensure!(id < next_lease, "lease id not below NextLeaseId");
			ensure!(
				Orders::<T>::get(l.order).is_some_and(|o| o.leases.contains(&id)),
				"a lease's order does not list it"
			);
			ensure!(
				LeasesOfProvider::<T>::contains_key(&l.provider, id),
				"lease missing from LeasesOfProvider"
			);
			if l.dispute.is_open() {
				*disputes.entry(l.provider.clone()).or_default() += 1;
			}
			if l.state.is_active() {
				active += 1;
				ensure!(
					LeasesOfMachine::<T>::contains_key(l.machine, id),
					"active lease missing from LeasesOfMachine"
				);
				ensure!(
					pallet_registry::Containers::<T>::get(l.container)
						.is_some_and(|c| c.state == ContainerState::Serving(id)),
					"an active lease's container does not serve it"
				);
			}
		}
		ensure!(
			LeasesOfMachine::<T>::iter_keys().count() as u32 == active,
			"LeasesOfMachine holds ended leases"
		);
		for (provider, id, ()) in LeasesOfProvider::<T>::iter() {
			ensure!(
				Leases::<T>::get(id).is_some_and(|l| l.provider == provider),
				"LeasesOfProvider indexes a missing or foreign lease"
			);
		}
		for (provider, n) in OpenDisputes::<T>::iter() {
			ensure!(disputes.get(&provider) == Some(&n), "OpenDisputes miscounts");
		}
		ensure!(
			OpenDisputes::<T>::iter().count() == disputes.len(),
			"OpenDisputes misses a provider"
		);
		Ok(())
	}
}
