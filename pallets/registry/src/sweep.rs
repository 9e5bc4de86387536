//! The offline sweep: machines silent past their heartbeat timeout go offline and the
//! market re-schedules their leases.

use crate::{pallet::*, OnMachineOffline};
use frame_support::{pallet_prelude::*, traits::Get};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_poc::ContributionHooks;
use sp_runtime::traits::Saturating;

impl<T: Config> Pallet<T> {
	/// Checks up to [`Config::SweepPerBlock`] machines (round robin over ids) and marks
	/// those silent for more than [`Config::HeartbeatTimeout`] offline. Returns how many
	/// were checked and the weight [`Config::MachineOffline`] used reacting to them.
	pub fn sweep(now: BlockNumberFor<T>) -> (u32, Weight) {
		let end = NextMachineId::<T>::get();
		let mut reacted = Weight::zero();
		if end == 0 {
			return (0, reacted);
		}
		let mut cursor = SweepCursor::<T>::get();
		let n = T::SweepPerBlock::get().min(end.min(u32::MAX as u64) as u32);
		for _ in 0..n {
			if cursor >= end {
				cursor = 0;
			}
			if let Some(mut m) = Machines::<T>::get(cursor) {
				if m.online && now > m.last_heartbeat.saturating_add(T::HeartbeatTimeout::get()) {
					m.online = false;
					for cid in m.containers.iter() {
						T::Contribution::container_offline(*cid);
					}
					Machines::<T>::insert(cursor, m);
					reacted = reacted.saturating_add(T::MachineOffline::machine_offline(cursor));
					Self::deposit_event(Event::MachineOffline { id: cursor });
				}
			}
			cursor = cursor.saturating_add(1);
		}
		SweepCursor::<T>::put(cursor);
		(n, reacted)
	}
}
