//! Deadlines: leases due for their acknowledgement or their end at a block.
//!
//! Each lease handled in `on_initialize` is handled in its own storage layer: it is dealt
//! with whole or not at all, and one lease's failure never touches another's.

use crate::{pallet::*, LeaseId, LeaseState, LOG_TARGET};
use frame_support::{pallet_prelude::*, storage::with_storage_layer};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{One, Saturating};

impl<T: Config> Pallet<T> {
	/// Worst-case extra reads of filing `deadlines` deadlines when blocks are full (the
	/// benchmarks measure the first block having room).
	pub fn spill_weight(deadlines: u32) -> Weight {
		T::DbWeight::get().reads((T::DeadlineSpill::get() as u64).saturating_mul(deadlines as u64))
	}

	/// Files lease `lease` under the first block from `at` (at most
	/// [`Config::DeadlineSpill`] blocks later) whose deadline list has room; returns it.
	pub(crate) fn add_deadline(
		at: BlockNumberFor<T>,
		lease: LeaseId,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let mut block = at;
		for _ in 0..=T::DeadlineSpill::get() {
			if Deadlines::<T>::try_mutate(block, |d| d.try_push(lease)).is_ok() {
				return Ok(block);
			}
			block = block.saturating_add(One::one());
		}
		Err(Error::<T>::TooManyDeadlines.into())
	}

	/// Handles the leases whose deadline is `now` (at most `MaxDeadlinesPerBlock`), each
	/// all-or-nothing.
	pub(crate) fn process_deadlines(now: BlockNumberFor<T>) -> u32 {
		let due = Deadlines::<T>::take(now);
		let n = due.len() as u32;
		for id in due {
			let result = with_storage_layer(|| {
				let Some(l) = Leases::<T>::get(id) else { return Ok(()) };
				match l.state {
					LeaseState::Assigned if l.ack_by <= now => {
						Self::fail(id, l, uranus_primitives::compute::EndCause::NoAck)
					},
					LeaseState::Running | LeaseState::Paused
						if l.ends_at.is_some_and(|e| e <= now) =>
					{
						Self::end(id, l, LeaseState::Expired)
					},
					_ => Ok(()),
				}
			});
			if let Err(e) = result {
				log::warn!(target: LOG_TARGET, "deadline of lease {id}: {e:?}");
			}
		}
		n
	}
}
