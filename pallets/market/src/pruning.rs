//! Pruning: closed orders and their leases leave storage once nobody can dispute them any
//! more, and the order's storage deposit goes back to its owner. The `OrderReaped` event
//! keeps the summary.

use crate::{pallet::*, OrderId};
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use sp_runtime::traits::Saturating;

impl<T: Config> Pallet<T> {
	/// Removes closed order `id` (see [`Pallet::reap_order`]).
	pub(crate) fn do_reap(id: OrderId) -> DispatchResult {
		let order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
		ensure!(order.waiting == 0 && !Self::has_active_lease(id, &order), Error::<T>::OrderActive);
		let now = frame_system::Pallet::<T>::block_number();
		let leases: alloc::vec::Vec<_> = order
			.leases
			.iter()
			.filter_map(|l| Leases::<T>::get(l).filter(|x| x.order == id).map(|x| (*l, x)))
			.collect();
		let settled = leases.iter().all(|(_, l)| {
			!l.dispute.is_open()
				&& l.ended_at.is_some_and(|e| now > e.saturating_add(T::DisputeWindow::get()))
		});
		ensure!(settled, Error::<T>::DisputesPending);
		let mut charged = 0u128;
		for (lease, l) in leases.iter() {
			charged = charged.saturating_add(l.charged);
			LeasesOfProvider::<T>::remove(&l.provider, lease);
			Leases::<T>::remove(lease);
		}
		// A closed order holds no escrow any more; whatever rounding left goes back too.
		if order.held > 0 {
			let _ = T::Escrow::release(
				&HoldReason::Escrow.into(),
				&order.owner,
				order.held,
				Precision::BestEffort,
			);
		}
		let deposit = if order.deposit > 0 {
			T::Escrow::release(
				&HoldReason::OrderDeposit.into(),
				&order.owner,
				order.deposit,
				Precision::BestEffort,
			)?
		} else {
			0
		};
		OrdersOf::<T>::remove(&order.owner, id);
		Orders::<T>::remove(id);
		Self::deposit_event(Event::OrderReaped {
			id,
			owner: order.owner,
			leases: leases.len() as u32,
			charged,
			deposit,
		});
		Ok(())
	}
}
