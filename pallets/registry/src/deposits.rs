//! Deposits: released when records go, slashed to a user by a resolved dispute or to the
//! verifiers of a failed hardware challenge.

use crate::{pallet::*, LOG_TARGET};
use frame_support::traits::{fungible::MutateHold, tokens::Precision};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// Moves `fraction` of provider `who`'s held deposit to `to` (free balance there);
	/// returns what moved (nothing when `who` is no provider).
	pub fn slash_provider_deposit(
		who: &T::AccountId,
		fraction: sp_runtime::Perbill,
		to: &T::AccountId,
	) -> BalanceOf<T> {
		let Some(p) = Providers::<T>::get(who) else { return Zero::zero() };
		Self::slash_provider_amount(who, fraction.mul_floor(p.deposit), to)
	}

	/// Moves up to `amount` of provider `who`'s held deposit to `to` (free balance there);
	/// returns what moved (nothing when `who` is no provider). Emits
	/// [`Event::ProviderSlashed`].
	pub fn slash_provider_amount(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		to: &T::AccountId,
	) -> BalanceOf<T> {
		let Some(mut p) = Providers::<T>::get(who) else { return Zero::zero() };
		let amount = amount.min(p.deposit);
		if amount.is_zero() {
			return amount;
		}
		let moved = match T::Currency::transfer_on_hold(
			&HoldReason::Provider.into(),
			who,
			to,
			amount,
			Precision::BestEffort,
			frame_support::traits::tokens::Restriction::Free,
			frame_support::traits::tokens::Fortitude::Force,
		) {
			Ok(moved) => moved,
			Err(e) => {
				log::error!(target: LOG_TARGET, "slashing a provider deposit failed: {e:?}");
				return Zero::zero();
			},
		};
		p.deposit = p.deposit.saturating_sub(moved);
		Providers::<T>::insert(who, p);
		Self::deposit_event(Event::ProviderSlashed {
			who: who.clone(),
			amount: moved,
			to: to.clone(),
		});
		moved
	}

	/// Releases `amount` of `who`'s `reason` hold (logged, never failing a caller).
	pub(crate) fn release(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) {
		if amount.is_zero() {
			return;
		}
		if let Err(e) = T::Currency::release(&reason.into(), who, amount, Precision::BestEffort) {
			log::error!(target: LOG_TARGET, "releasing a deposit failed: {e:?}");
		}
	}
}
