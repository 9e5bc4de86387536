//! Settlement: charging metered usage, ending leases and re-scheduling failed replicas.
//!
//! ## Metering within physics
//! A report carries cumulative counters. The chain cannot know when the agent took its
//! samples, only that none was taken before the lease was assigned. So the counters it
//! accepts are capped at what the lease's spec can consume from its assignment to the
//! report's block — by the chain's clock ([`Config::UnixTime`]), and never less than the
//! blocks passed × [`Config::MillisPerBlock`], so missed slots never cut an honest
//! provider's pay — plus [`Config::MeteringSlackMillis`] of sampling slack
//! ([`pricing::usage_bound`]): CPU ≤ cores × elapsed, memory ≤ spec × elapsed, network ≤
//! bandwidth × elapsed, wall ≤ elapsed. A report above that is clamped (`UsageClamped`), so
//! one report can never take more than the time really elapsed could cost, and an honest
//! provider loses nothing: its later cumulative reports are accepted in full.
//!
//! ## Who bears a failure
//! A failure carries an [`EndCause`]. Causes on the provider's side (image pull, lost job,
//! host reboot, kill, no acknowledgement, machine offline) cost the container's service
//! contribution and move the replica elsewhere. A spec the agent rejects or an image its
//! registry cannot serve is not the provider's doing: the lease ends, its unused escrow goes
//! back and nobody is penalised (the job would fail the same way anywhere).
//!
//! ## The SLA of a completed lease
//! `sla_met` (PoC's service contribution) is derived, never assumed: the provider met the SLA
//! when it acknowledged the lease within [`Config::SlaAckBlocks`] of its assignment and never
//! left more than [`Config::SlaMaxGap`] blocks between accepted metering reports from the
//! start to the completion. Pauses are never held against it (the market pauses a lease only
//! when the user's escrow runs low); a lost job is a failure, not a completion.
//!
//! ## A replica is never lost
//! A failed lease's replica waits for another container only when it can: there is room in
//! the waiting queue and in the order's lease list, and its owner can re-hold what the
//! failed lease consumed. Otherwise the rest of its escrow is refunded at once. Everything
//! is checked before anything is written.

use crate::{pallet::*, pricing, LeaseId, LeaseState, OrderId, Usage, LOG_TARGET};
use frame_support::{pallet_prelude::*, storage::with_storage_layer, traits::fungible::MutateHold};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_poc::{ContributionHooks, LeaseOutcome};
use pallet_registry::ContainerState;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto};
use uranus_primitives::compute::ContainerId;
use uranus_primitives::compute::EndCause;

impl<T: Config> Pallet<T> {
	/// Charges lease `id` for `usage` at `seq` (see [`Pallet::report_metering`]).
	pub(crate) fn charge(
		id: LeaseId,
		l: &mut LeaseOf<T>,
		seq: u64,
		usage: Usage,
	) -> DispatchResult {
		ensure!(seq > l.last_seq && usage.dominates(&l.usage), Error::<T>::StaleReport);
		let mut order = Orders::<T>::get(l.order).ok_or(Error::<T>::UnknownOrder)?;
		let accepted = usage.capped_by(&Self::usage_bound(l, &order));
		if accepted != usage {
			Self::deposit_event(Event::UsageClamped { lease: id, reported: usage, accepted });
		}
		let total = pricing::cost(&accepted, order.spec.storage_bytes, &l.prices)
			.min(l.cap)
			.min(l.allotment);
		let amount = total.saturating_sub(l.charged);
		let fee = T::ProtocolFee::get().mul_floor(amount);
		let to_provider = amount.saturating_sub(fee);
		let provider_paid = Self::pay(&l.provider, to_provider, &mut order)?;
		let fee_paid = Self::pay(&Self::pot(), fee, &mut order)?;
		<T::OnProtocolFee as crate::OnProtocolFee<T::AccountId>>::on_protocol_fee(
			&Self::pot(),
			fee_paid,
		)?;
		let paid = provider_paid.saturating_add(fee_paid);
		l.charged = l.charged.saturating_add(paid);
		l.last_seq = seq;
		l.usage = accepted;
		Self::note_report(l);
		Self::deposit_event(Event::Charged { lease: id, seq, amount: paid, fee });
		if l.state == LeaseState::Running && Self::escrow_low(l, &order) {
			l.state = LeaseState::Paused;
			let left = l.allotment.saturating_sub(l.charged);
			Self::deposit_event(Event::LeasePaused { lease: id, left });
		}
		Orders::<T>::insert(l.order, order);
		Ok(())
	}

	/// Records an accepted report (or the completion) of `l` now: the gap since the last
	/// one counts towards its longest gap.
	fn note_report(l: &mut LeaseOf<T>) {
		let now = frame_system::Pallet::<T>::block_number();
		let gap = now.saturating_sub(l.reported_at);
		if gap > l.longest_gap {
			l.longest_gap = gap;
		}
		l.reported_at = now;
	}

	/// Whether completed lease `l` met its SLA (see the module docs); counts the gap up to
	/// the completion.
	pub(crate) fn sla_met(l: &mut LeaseOf<T>) -> bool {
		Self::note_report(l);
		let ack: BlockNumberFor<T> =
			l.started_at.map_or(l.ack_by, |s| s).saturating_sub(l.assigned_at);
		ack <= T::SlaAckBlocks::get() && l.longest_gap <= T::SlaMaxGap::get()
	}

	/// Lease `id` failed for `cause` (see the module docs).
	pub(crate) fn fail(id: LeaseId, mut l: LeaseOf<T>, cause: EndCause) -> DispatchResult {
		Self::deposit_event(Event::LeaseFailed { lease: id, cause });
		l.end_cause = Some(cause);
		if cause.provider_at_fault() {
			Self::fail_and_reschedule(id, l)
		} else {
			Self::end(id, l, LeaseState::Failed)
		}
	}

	/// The most lease `l` can have used by now (see the module docs).
	pub fn usage_bound(l: &LeaseOf<T>, order: &OrderOf<T>) -> Usage {
		let now = frame_system::Pallet::<T>::block_number();
		let blocks: u64 = now.saturating_sub(l.assigned_at).unique_saturated_into();
		let by_blocks = blocks.saturating_mul(T::MillisPerBlock::get());
		let by_clock = Self::now_ms().saturating_sub(l.assigned_ms);
		let millis = by_blocks.max(by_clock).saturating_add(T::MeteringSlackMillis::get());
		pricing::usage_bound(&order.spec, millis)
	}

	/// The chain's clock, Unix ms.
	pub fn now_ms() -> u64 {
		<T::UnixTime as frame_support::traits::UnixTime>::now().as_millis().min(u64::MAX as u128)
			as u64
	}

	/// Ends lease `id` in `state`: frees its container, refunds what the replica did not
	/// use and closes the order when nothing is left.
	pub(crate) fn end(id: LeaseId, mut l: LeaseOf<T>, state: LeaseState) -> DispatchResult {
		let mut order = Orders::<T>::get(l.order).ok_or(Error::<T>::UnknownOrder)?;
		let used = Self::consumed(&l);
		let rest = order.escrow_per_replica.saturating_sub(used);
		let refund = Self::refund(&mut order, rest);
		Self::free_container(l.container);
		LeasesOfMachine::<T>::remove(l.machine, id);
		l.state = state;
		l.ended_at = Some(frame_system::Pallet::<T>::block_number());
		let exit_code = l.exit_code;
		let order_id = l.order;
		Leases::<T>::insert(id, l);
		Self::deposit_event(Event::LeaseEnded { lease: id, state, exit_code, refund });
		Self::close_if_done(order_id, order);
		Ok(())
	}

	/// Lease `id` failed on the provider's side: what it used stays charged and the provider
	/// is penalised. Its replica waits for another container with a fresh escrow when it
	/// can (see the module docs), otherwise the rest of its escrow is refunded.
	pub(crate) fn fail_and_reschedule(id: LeaseId, mut l: LeaseOf<T>) -> DispatchResult {
		let order_id = l.order;
		let mut order = Orders::<T>::get(order_id).ok_or(Error::<T>::UnknownOrder)?;
		let now = frame_system::Pallet::<T>::block_number();
		let used = Self::consumed(&l);
		let waiting = Waiting::<T>::get();
		let queued = waiting.contains(&order_id);
		let room = queued || !waiting.is_full();
		let can_wait = room && !order.leases.is_full();
		// The only write that can fail comes first; nothing is written before it.
		let refilled = can_wait
			&& (used == 0
				|| T::Escrow::hold(&HoldReason::Escrow.into(), &order.owner, used).is_ok());

		<T as pallet_registry::Config>::Contribution::lease_outcome(
			l.container,
			LeaseOutcome::Failed,
		);
		Self::free_container(l.container);
		LeasesOfMachine::<T>::remove(l.machine, id);
		l.state = LeaseState::Failed;
		l.ended_at = Some(now);
		Leases::<T>::insert(id, l);
		if refilled {
			order.held = order.held.saturating_add(used);
			order.waiting = order.waiting.saturating_add(1);
			order.match_deadline = now.saturating_add(T::MatchWindow::get());
			if !queued {
				Waiting::<T>::mutate(|w| {
					// Room was checked above.
					let _ = w.try_push(order_id);
				});
			}
			Self::deposit_event(Event::LeaseRescheduled { lease: id, order: order_id });
			Orders::<T>::insert(order_id, order);
		} else {
			let rest = order.escrow_per_replica.saturating_sub(used);
			let refund = Self::refund(&mut order, rest);
			Self::deposit_event(Event::LeaseEnded {
				lease: id,
				state: LeaseState::Failed,
				exit_code: None,
				refund,
			});
			Self::close_if_done(order_id, order);
		}
		Ok(())
	}

	/// Stores `order`; when nothing runs or waits any more, refunds any rest of its escrow
	/// and announces `OrderClosed` (the order stays, with its deposit, until reaped).
	pub(crate) fn close_if_done(id: OrderId, mut order: OrderOf<T>) {
		if order.waiting > 0 || Self::has_active_lease(id, &order) {
			Orders::<T>::insert(id, order);
			return;
		}
		let rest = order.held;
		Self::refund(&mut order, rest);
		Orders::<T>::insert(id, order);
		Self::deposit_event(Event::OrderClosed { id });
	}

	/// Whether a lease of order `id` still holds a container.
	pub(crate) fn has_active_lease(id: OrderId, order: &OrderOf<T>) -> bool {
		order
			.leases
			.iter()
			.any(|l| Leases::<T>::get(l).is_some_and(|l| l.order == id && l.state.is_active()))
	}

	fn free_container(id: ContainerId) {
		pallet_registry::Pallet::<T>::set_container_state(id, ContainerState::Idle);
	}

	/// Machine `machine` went offline: its active leases are re-scheduled, each
	/// all-or-nothing. Returns how many leases it handled.
	pub fn reschedule_machine(machine: u64) -> u32 {
		let leases: alloc::vec::Vec<LeaseId> =
			LeasesOfMachine::<T>::iter_key_prefix(machine).collect();
		let n = leases.len() as u32;
		for id in leases {
			let result = with_storage_layer(|| match Leases::<T>::get(id) {
				Some(l) if l.state.is_active() => Self::fail(id, l, EndCause::MachineOffline),
				_ => Ok(()),
			});
			if let Err(e) = result {
				log::warn!(target: LOG_TARGET, "re-scheduling lease {id}: {e:?}");
			}
		}
		n
	}
}
