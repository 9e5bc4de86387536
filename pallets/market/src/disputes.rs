//! Disputes: a user contests an ended lease; the provider's earnings from it are held until
//! the dispute origin resolves the dispute or, after [`Config::DisputeTimeout`], anyone lets
//! it lapse (the documented default: the held earnings go back to the provider, nothing is
//! slashed). While a dispute is open the provider cannot leave the registry
//! ([`pallet_registry::ProviderObligations`]).

use crate::{pallet::*, Dispute, LeaseId};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, MutateHold},
		tokens::{Fortitude, Precision, Preservation, Restriction},
	},
};
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedInto},
	Perbill,
};

impl<T: Config> Pallet<T> {
	/// `who` disputes lease `lease` for up to `amount` (see [`Pallet::dispute_lease`]).
	pub(crate) fn open_dispute(who: &T::AccountId, lease: LeaseId, amount: u128) -> DispatchResult {
		let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
		ensure!(l.user == *who, Error::<T>::NotLeaseUser);
		let now = frame_system::Pallet::<T>::block_number();
		let open = l.ended_at.is_some_and(|e| now <= e.saturating_add(T::DisputeWindow::get()));
		ensure!(open, Error::<T>::DisputeWindowClosed);
		ensure!(l.dispute == Dispute::None, Error::<T>::AlreadyDisputed);
		let earned = l.charged.saturating_sub(T::ProtocolFee::get().mul_ceil(l.charged));
		let free =
			T::Escrow::reducible_balance(&l.provider, Preservation::Preserve, Fortitude::Polite);
		let amount = amount.min(earned).min(free);
		ensure!(amount > 0, Error::<T>::NothingToDispute);
		T::Escrow::hold(&HoldReason::Dispute.into(), &l.provider, amount)
			.map_err(|_| Error::<T>::NothingToDispute)?;
		l.dispute = Dispute::Open { amount, at: now };
		OpenDisputes::<T>::mutate(&l.provider, |n| *n = n.saturating_add(1));
		Leases::<T>::insert(lease, l);
		Self::deposit_event(Event::DisputeOpened { lease, amount });
		Ok(())
	}

	/// Resolves lease `lease`'s dispute (see [`Pallet::resolve_dispute`]).
	pub(crate) fn settle_dispute(
		lease: LeaseId,
		refund: Perbill,
		slash: Perbill,
	) -> DispatchResult {
		let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
		let Dispute::Open { amount, .. } = l.dispute else {
			return Err(Error::<T>::NoOpenDispute.into());
		};
		let to_user = refund.mul_floor(amount);
		let refunded = if to_user > 0 {
			T::Escrow::transfer_on_hold(
				&HoldReason::Dispute.into(),
				&l.provider,
				&l.user,
				to_user,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Polite,
			)?
		} else {
			0
		};
		Self::release_dispute(&l.provider, amount.saturating_sub(refunded))?;
		let slashed: u128 =
			pallet_registry::Pallet::<T>::slash_provider_deposit(&l.provider, slash, &l.user)
				.unique_saturated_into();
		l.dispute = Dispute::Resolved { refunded, slashed };
		Self::dispute_closed(&l.provider);
		Leases::<T>::insert(lease, l);
		Self::deposit_event(Event::DisputeResolved { lease, refunded, slashed });
		Ok(())
	}

	/// Lets lease `lease`'s expired dispute lapse (see [`Pallet::lapse_dispute`]).
	pub(crate) fn do_lapse_dispute(lease: LeaseId) -> DispatchResult {
		let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
		let Dispute::Open { amount, at } = l.dispute else {
			return Err(Error::<T>::NoOpenDispute.into());
		};
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now > at.saturating_add(T::DisputeTimeout::get()), Error::<T>::DisputeNotExpired);
		let released = Self::release_dispute(&l.provider, amount)?;
		l.dispute = Dispute::Lapsed { released };
		Self::dispute_closed(&l.provider);
		Leases::<T>::insert(lease, l);
		Self::deposit_event(Event::DisputeLapsed { lease, released });
		Ok(())
	}

	/// Releases `amount` of `provider`'s dispute hold; returns what was released.
	fn release_dispute(provider: &T::AccountId, amount: u128) -> Result<u128, DispatchError> {
		if amount == 0 {
			return Ok(0);
		}
		T::Escrow::release(&HoldReason::Dispute.into(), provider, amount, Precision::BestEffort)
	}

	fn dispute_closed(provider: &T::AccountId) {
		OpenDisputes::<T>::mutate_exists(provider, |n| {
			*n = n.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
		});
	}
}

impl<T: Config> pallet_registry::ProviderObligations<T::AccountId> for Pallet<T> {
	fn has_obligations(who: &T::AccountId) -> bool {
		OpenDisputes::<T>::get(who) > 0
	}
}
