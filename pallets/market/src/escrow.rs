//! Escrow: what an order holds, what its leases may take from it and what goes back.
//!
//! Every payment out of escrow comes from **one order's** `held`: a lease never pays with the
//! escrow of its user's other orders, whatever the prices or fees do later.

use crate::{pallet::*, pricing, LOG_TARGET};
use frame_support::traits::{
	fungible::MutateHold,
	tokens::{Fortitude, Precision, Restriction},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{AccountIdConversion, Get, UniqueSaturatedInto},
	DispatchError,
};

impl<T: Config> Pallet<T> {
	/// The pot receiving protocol fees.
	pub fn pot() -> T::AccountId {
		T::PotId::get().into_account_truncating()
	}

	/// Seconds of `blocks`.
	pub fn seconds(blocks: BlockNumberFor<T>) -> u64 {
		let b: u64 = blocks.unique_saturated_into();
		b.saturating_mul(T::MillisPerBlock::get()) / 1_000
	}

	/// Moves `amount` of `order`'s escrow (never more than it holds) to `to`; returns what
	/// moved.
	pub(crate) fn pay(
		to: &T::AccountId,
		amount: u128,
		order: &mut OrderOf<T>,
	) -> Result<u128, DispatchError> {
		let amount = amount.min(order.held);
		if amount == 0 {
			return Ok(0);
		}
		let moved = T::Escrow::transfer_on_hold(
			&HoldReason::Escrow.into(),
			&order.owner,
			to,
			amount,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Polite,
		)?;
		order.held = order.held.saturating_sub(moved);
		Ok(moved)
	}

	/// Releases `amount` of the order's escrow (at most what it holds) to its owner.
	pub(crate) fn refund(order: &mut OrderOf<T>, amount: u128) -> u128 {
		let amount = amount.min(order.held);
		if amount == 0 {
			return 0;
		}
		match T::Escrow::release(
			&HoldReason::Escrow.into(),
			&order.owner,
			amount,
			Precision::BestEffort,
		) {
			Ok(released) => {
				order.held = order.held.saturating_sub(released);
				released
			},
			Err(e) => {
				log::error!(target: LOG_TARGET, "refund failed: {e:?}");
				0
			},
		}
	}

	/// Whether lease `l`'s prepaid escrow covers fewer than [`Config::LowEscrowBlocks`] of
	/// its worst case at its prices while more could be prepaid.
	pub(crate) fn escrow_low(l: &LeaseOf<T>, order: &OrderOf<T>) -> bool {
		if l.allotment >= l.cap {
			return false;
		}
		let need =
			pricing::worst_cost(&order.spec, Self::seconds(T::LowEscrowBlocks::get()), &l.prices);
		l.allotment.saturating_sub(l.charged) < need
	}

	/// What lease `l` took from its replica's escrow: its charges, plus the image fee once
	/// it started.
	pub(crate) fn consumed(l: &LeaseOf<T>) -> u128 {
		let image_fee_paid = if l.ends_at.is_some() { l.image_fee } else { 0 };
		l.charged.saturating_add(image_fee_paid)
	}
}
