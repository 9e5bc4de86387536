//! Matching: replicas of an order get idle containers that PoC's scheduler proposes.
//!
//! A match is all-or-nothing: in `on_initialize` each order is matched on a copy inside its
//! own storage layer and the copy is kept only when the whole match succeeded, so a failed
//! match leaves neither leases nor lease ids behind (an id reused by someone else's lease
//! would let this order's owner cancel it).

use crate::{pallet::*, pricing, Dispute, Lease, LeaseState, OrderId, Prices, Usage};
use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, storage::with_storage_layer, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_poc::Scheduler;
use pallet_registry::ContainerState;
use sp_runtime::traits::{Saturating, Zero};
use uranus_primitives::compute::ContainerId;

impl<T: Config> Pallet<T> {
	/// The prices a lease made now gets.
	pub fn current_prices() -> Prices {
		Prices::scaled(&BasePrices::<T>::get(), T::Sigmas::get())
	}

	/// How many candidates matching asks the scheduler for when `waiting` replicas wait:
	/// four per replica (some will be busy, on a machine the order avoids, or without the
	/// order's labels), at most 64.
	pub fn candidates_wanted(waiting: u32) -> u32 {
		waiting.saturating_mul(4).min(64)
	}

	/// Matches up to `order.waiting` replicas now. Stops when the order has made
	/// `MaxReplicas` leases (what still waits is refunded by [`Pallet::match_waiting`]).
	pub(crate) fn try_match(
		id: OrderId,
		order: &mut OrderOf<T>,
		now: BlockNumberFor<T>,
	) -> DispatchResult {
		let prices = Self::current_prices();
		if order.waiting == 0 || order.leases.is_full() || !prices.within(&order.caps) {
			return Ok(());
		}
		let Some(image) = pallet_registry::Images::<T>::get(order.image) else { return Ok(()) };
		let candidates =
			T::Scheduler::next_candidates(&order.spec, Self::candidates_wanted(order.waiting));
		// Machines running a replica (avoided when spreading) and machines that failed one
		// of this order's leases (always avoided: self-healing moves elsewhere).
		let (mut used_machines, mut failed_machines) = (Vec::new(), Vec::new());
		for l in order.leases.iter().filter_map(Leases::<T>::get) {
			if l.state.is_active() {
				used_machines.push(l.machine);
			} else if l.state == LeaseState::Failed {
				failed_machines.push(l.machine);
			}
		}
		let cap = pricing::worst_cost(&order.spec, Self::seconds(order.max_blocks), &order.caps);
		let allotment =
			pricing::worst_cost(&order.spec, Self::seconds(order.prepaid_blocks), &order.caps);
		for cid in candidates {
			if order.waiting == 0 || order.leases.is_full() {
				break;
			}
			let Some((machine_id, provider)) = Self::eligible(cid, order, &used_machines) else {
				continue;
			};
			if failed_machines.contains(&machine_id) {
				continue;
			}
			let lease = NextLeaseId::<T>::get();
			order.leases.try_push(lease).map_err(|_| Error::<T>::TooManyLeases)?;
			NextLeaseId::<T>::put(lease.saturating_add(1));
			let ack_by = Self::add_deadline(now.saturating_add(T::AckTimeout::get()), lease)?;
			pallet_registry::Pallet::<T>::set_container_state(cid, ContainerState::Serving(lease));
			LeasesOfMachine::<T>::insert(machine_id, lease, ());
			LeasesOfProvider::<T>::insert(&provider, lease, ());
			Leases::<T>::insert(
				lease,
				Lease {
					order: id,
					user: order.owner.clone(),
					container: cid,
					machine: machine_id,
					provider: provider.clone(),
					prices,
					publisher: image.publisher.clone(),
					image_fee: order.image_fee,
					state: LeaseState::Assigned,
					assigned_at: now,
					assigned_ms: Self::now_ms(),
					ack_by,
					started_at: None,
					ends_at: None,
					last_seq: 0,
					reported_at: now,
					longest_gap: Zero::zero(),
					usage: Usage::default(),
					charged: 0,
					cap,
					allotment,
					exit_code: None,
					result: BoundedVec::new(),
					ended_at: None,
					end_cause: None,
					rating: None,
					dispute: Dispute::None,
				},
			);
			order.waiting = order.waiting.saturating_sub(1);
			used_machines.push(machine_id);
			failed_machines.retain(|m| *m != machine_id);
			Self::deposit_event(Event::LeaseAssigned {
				lease,
				order: id,
				container: cid,
				provider,
			});
		}
		Ok(())
	}

	/// Container `cid`'s machine and provider when it may take a replica of `order`.
	fn eligible(
		cid: ContainerId,
		order: &OrderOf<T>,
		used_machines: &[u64],
	) -> Option<(u64, T::AccountId)> {
		let c = pallet_registry::Containers::<T>::get(cid)?;
		if c.state != ContainerState::Idle || !c.capacity.spec.covers(&order.spec) {
			return None;
		}
		let m = pallet_registry::Machines::<T>::get(c.machine)?;
		if !m.online || (order.spread && used_machines.contains(&c.machine)) {
			return None;
		}
		let p = pallet_registry::Providers::<T>::get(&m.owner)?;
		if !order.labels.iter().all(|l| p.meta.labels.iter().any(|x| x[..] == l[..])) {
			return None;
		}
		Some((c.machine, m.owner))
	}

	/// Retries up to [`Config::MaxMatchesPerBlock`] waiting orders, oldest first, each
	/// all-or-nothing; refunds the waiting replicas of orders past their match deadline or
	/// out of lease room. Returns how many orders it took from the queue.
	pub(crate) fn match_waiting(now: BlockNumberFor<T>) -> u32 {
		let take =
			(T::MaxMatchesPerBlock::get() as usize).min(Waiting::<T>::decode_len().unwrap_or(0));
		if take == 0 {
			return 0;
		}
		let mut heads: Vec<OrderId> = Vec::new();
		Waiting::<T>::mutate(|w| {
			heads = w.iter().take(take).copied().collect();
			let rest: Vec<OrderId> = w.iter().skip(take).copied().collect();
			*w = BoundedVec::truncate_from(rest);
		});
		for id in heads.iter().copied() {
			Self::match_one(id, now);
		}
		heads.len() as u32
	}

	/// Retries waiting order `id` (taken off the queue): it goes back to the queue's end
	/// when replicas still wait.
	fn match_one(id: OrderId, now: BlockNumberFor<T>) {
		let Some(mut order) = Orders::<T>::get(id) else { return };
		if order.waiting == 0 {
			Self::close_if_done(id, order);
			return;
		}
		if now >= order.match_deadline || order.leases.is_full() {
			Self::expire_waiting(id, order);
			return;
		}
		let matched = with_storage_layer(|| {
			let mut copy = order.clone();
			Self::try_match(id, &mut copy, now).map(|()| copy)
		});
		if let Ok(copy) = matched {
			order = copy;
		}
		if order.waiting > 0 && Waiting::<T>::try_mutate(|w| w.try_push(id)).is_err() {
			// The queue filled up meanwhile (a call in this block cannot, but stay safe):
			// the replicas that cannot wait are refunded.
			Self::expire_waiting(id, order);
			return;
		}
		Orders::<T>::insert(id, order);
	}

	/// Refunds every waiting replica of order `id` (`OrderExpired`) and closes it when
	/// nothing else runs.
	pub(crate) fn expire_waiting(id: OrderId, mut order: OrderOf<T>) {
		let replicas = order.waiting;
		let rest = order.escrow_per_replica.saturating_mul(replicas as u128);
		let refund = Self::refund(&mut order, rest);
		order.waiting = 0;
		Self::deposit_event(Event::OrderExpired { id, replicas, refund });
		Self::close_if_done(id, order);
	}
}
