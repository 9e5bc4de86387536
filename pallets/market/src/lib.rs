//! # Market pallet: orders, escrow, matching, leases, metering and settlement
//!
//! White paper §5.2 (contracts matching users and resources, fault tolerance), §5.3.1.5
//! (migration and fault recovery), §6.1 (submit, find nodes, run, settle automatically).
//!
//! - **Orders** name a verified image (by digest), a [`ResourceSpec`] per replica, replicas,
//!   a maximum duration, price caps ([`Prices`]), required provider labels and whether replicas
//!   must be on different machines. The worst case of every replica plus the image's usage fee
//!   is held from the owner ([`HoldReason::Escrow`]).
//! - **Matching** asks PoC's scheduler for candidates (tiered round robin) and takes idle
//!   containers on online machines whose provider carries the labels, one machine per replica
//!   when spreading, while the σ-scaled base prices stay within the caps. Replicas that find
//!   nothing wait; a bounded step in `on_initialize` retries them and refunds them at the
//!   order's match deadline.
//! - **Leases** go Assigned → Running (the provider's worker acknowledges) → Completed /
//!   Failed / Expired / Cancelled. A lease not acknowledged within [`Config::AckTimeout`], failed
//!   by its provider or on a machine that went offline is re-scheduled to another container and
//!   the provider's service contribution is penalised.
//! - **Metering**: `report_metering(lease, seq, usage)` with cumulative counters charges only
//!   the increase since the last accepted sequence, capped by the lease's worst case; stale or
//!   repeated reports charge nothing. Each charge moves escrow to the provider minus
//!   [`Config::ProtocolFee`], which goes to the pot account; the image fee goes to the
//!   publisher when the lease starts; what a lease did not use is released when it ends.
//!
//! - **Escrow and pausing**: an order prepays `prepaid_blocks` (≤ its maximum duration) of every
//!   replica's worst case. A running lease whose prepaid escrow covers fewer than
//!   [`Config::LowEscrowBlocks`] of its worst case at its prices is **paused** (the worker has
//!   the agent freeze the job, its state kept); [`Pallet::top_up`] prepays more and resumes it.
//! - **After the end**: the user rates a lease 1–5 once (PoC's service contribution) and may
//!   dispute it within [`Config::DisputeWindow`]: up to the provider's earnings from it are
//!   held from the provider until [`Config::DisputeOrigin`] resolves the dispute, refunding a
//!   share to the user and optionally slashing the provider's registry deposit to the user.
//! - **Reading**: [`runtime_api::MarketApi`] (orders, leases, usage, quotes) behind the node's
//!   `market_*` RPC.
//!
//! Money never appears or disappears: every planck taken into escrow ends with the provider,
//! the publisher, the pot or back with the owner.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod pricing;
pub mod runtime_api;
pub mod types;
pub mod views;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use pricing::{Prices, Usage};
pub use types::*;
pub use weights::WeightInfo;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::market";

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Restriction},
		},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use pallet_poc::{ContributionHooks, LeaseOutcome, Scheduler};
	use pallet_registry::ContainerState;
	use sp_runtime::{
		traits::{AccountIdConversion, One, Saturating, UniqueSaturatedInto, Zero},
		Perbill,
	};
	use uranus_primitives::compute::{ContainerId, ResourceSpec};

	/// An order of this runtime.
	pub type OrderOf<T> = Order<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as pallet_registry::Config>::MaxLabels,
		<T as pallet_registry::Config>::MaxText,
		<T as Config>::MaxReplicas,
		<T as Config>::MaxArgs,
		<T as Config>::MaxArgLen,
	>;
	/// A lease of this runtime.
	pub type LeaseOf<T> =
		Lease<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, <T as Config>::MaxResult>;
	/// Labels an order requires.
	pub type LabelsOf<T> = BoundedVec<
		BoundedVec<u8, <T as pallet_registry::Config>::MaxText>,
		<T as pallet_registry::Config>::MaxLabels,
	>;
	/// The command of an order.
	pub type CommandOf<T> =
		BoundedVec<BoundedVec<u8, <T as Config>::MaxArgLen>, <T as Config>::MaxArgs>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// An order's escrow.
		#[codec(index = 0)]
		Escrow,
		/// A provider's earnings under dispute.
		#[codec(index = 1)]
		Dispute,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config + pallet_registry::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency escrow is held in (balances are plancks, `u128`).
		type Escrow: Mutate<Self::AccountId, Balance = u128>
			+ MutateHold<Self::AccountId, Reason = <Self as Config>::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// PoC's scheduler: who is proposed for a replica.
		type Scheduler: Scheduler;

		/// PoC's σ of CPU, memory, storage and bandwidth.
		type Sigmas: Get<[u64; 4]>;

		/// Sets base prices.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Resolves disputes (root / governance).
		type DisputeOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The pot receiving protocol fees (treasury / PoC rewards).
		#[pallet::constant]
		type PotId: Get<PalletId>;

		/// Share of every charge that goes to the pot.
		#[pallet::constant]
		type ProtocolFee: Get<Perbill>;

		/// Milliseconds per block (turns a duration in blocks into seconds of usage).
		#[pallet::constant]
		type MillisPerBlock: Get<u64>;

		/// Blocks a provider has to acknowledge a lease.
		#[pallet::constant]
		type AckTimeout: Get<BlockNumberFor<Self>>;

		/// Blocks an order's replicas may wait for a container.
		#[pallet::constant]
		type MatchWindow: Get<BlockNumberFor<Self>>;

		/// Most replicas of an order (and leases it can make, re-schedules included).
		#[pallet::constant]
		type MaxReplicas: Get<u32>;

		/// Most orders waiting for containers.
		#[pallet::constant]
		type MaxWaiting: Get<u32>;

		/// Most leases timing out (ack or duration) at one block.
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;

		/// How many following blocks a deadline may move to when its own block already holds
		/// [`Config::MaxDeadlinesPerBlock`]: a burst of up to `MaxDeadlinesPerBlock ×
		/// (DeadlineSpill + 1)` leases assigned (or started) in one block is taken, each lease
		/// at most `DeadlineSpill` blocks later than its nominal deadline.
		#[pallet::constant]
		type DeadlineSpill: Get<u32>;

		/// Longest result digest / URI.
		#[pallet::constant]
		type MaxResult: Get<u32>;

		/// Most arguments of an order's command.
		#[pallet::constant]
		type MaxArgs: Get<u32>;

		/// Longest argument of an order's command.
		#[pallet::constant]
		type MaxArgLen: Get<u32>;

		/// A running lease pauses when its escrow covers fewer than this many blocks of its
		/// worst case (at the lease's prices).
		#[pallet::constant]
		type LowEscrowBlocks: Get<BlockNumberFor<Self>>;

		/// Blocks after a lease ended during which its user may dispute it.
		#[pallet::constant]
		type DisputeWindow: Get<BlockNumberFor<Self>>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;
	}

	/// Orders by id.
	#[pallet::storage]
	pub type Orders<T: Config> = StorageMap<_, Twox64Concat, OrderId, OrderOf<T>>;

	/// Leases by id.
	#[pallet::storage]
	pub type Leases<T: Config> = StorageMap<_, Twox64Concat, LeaseId, LeaseOf<T>>;

	/// Active leases by machine (what a provider's worker runs).
	#[pallet::storage]
	pub type LeasesOfMachine<T: Config> =
		StorageDoubleMap<_, Twox64Concat, u64, Twox64Concat, LeaseId, ()>;

	/// Leases with a deadline (acknowledgement or end of run) at a block.
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<LeaseId, T::MaxDeadlinesPerBlock>,
		ValueQuery,
	>;

	/// Orders with waiting replicas, oldest first.
	#[pallet::storage]
	pub type Waiting<T: Config> = StorageValue<_, BoundedVec<OrderId, T::MaxWaiting>, ValueQuery>;

	/// Base prices, scaled by σ when a lease is made.
	#[pallet::storage]
	pub type BasePrices<T: Config> = StorageValue<_, Prices, ValueQuery>;

	/// The next order id.
	#[pallet::storage]
	pub type NextOrderId<T: Config> = StorageValue<_, OrderId, ValueQuery>;

	/// The next lease id.
	#[pallet::storage]
	pub type NextLeaseId<T: Config> = StorageValue<_, LeaseId, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Base prices.
		pub base_prices: Prices,
		#[serde(skip)]
		pub _marker: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			BasePrices::<T>::put(self.base_prices);
			// The pot exists from genesis (with the existential deposit), so that protocol
			// fees below the existential deposit can be paid into it.
			let pot = Pallet::<T>::pot();
			let ed = T::Escrow::minimum_balance();
			if T::Escrow::balance(&pot) < ed {
				let _ = T::Escrow::mint_into(&pot, ed);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An order was placed and `escrow` held.
		OrderPlaced { id: OrderId, owner: T::AccountId, replicas: u32, escrow: u128 },
		/// A replica of `order` got container `container` as lease `lease`.
		LeaseAssigned {
			lease: LeaseId,
			order: OrderId,
			container: ContainerId,
			provider: T::AccountId,
		},
		/// The provider started the lease; the publisher got the image fee.
		LeaseStarted { lease: LeaseId, publisher_fee: u128 },
		/// Usage up to `seq` was charged: `provider` got `amount − fee`, the pot `fee`.
		Charged { lease: LeaseId, seq: u64, amount: u128, fee: u128 },
		/// The lease ended in `state`; `refund` went back to the owner.
		LeaseEnded { lease: LeaseId, state: LeaseState, exit_code: Option<i32>, refund: u128 },
		/// The lease failed on its provider's side and its replica waits for another container.
		LeaseRescheduled { lease: LeaseId, order: OrderId },
		/// Waiting replicas of an order found no container in time and were refunded.
		OrderExpired { id: OrderId, replicas: u32, refund: u128 },
		/// An order has nothing left running or waiting.
		OrderClosed { id: OrderId },
		/// Base prices changed.
		BasePricesSet { prices: Prices },
		/// The lease's escrow covers fewer than `LowEscrowBlocks`: its job is frozen.
		LeasePaused { lease: LeaseId, left: u128 },
		/// A top-up let the lease run again.
		LeaseResumed { lease: LeaseId },
		/// The owner prepaid `blocks` more of every replica, holding `amount`.
		OrderToppedUp { id: OrderId, blocks: BlockNumberFor<T>, amount: u128 },
		/// The user rated the lease.
		LeaseRated { lease: LeaseId, stars: u8 },
		/// The user disputed the lease: `amount` of the provider's earnings is held.
		DisputeOpened { lease: LeaseId, amount: u128 },
		/// The dispute was resolved: `refunded` and `slashed` went to the user.
		DisputeResolved { lease: LeaseId, refunded: u128, slashed: u128 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The image is not published.
		UnknownImage,
		/// The image is not verified.
		ImageNotVerified,
		/// A replica needs CPU and memory, at least the image's minimum, and 1 ≤ replicas ≤ max.
		ImpossibleSpec,
		/// The duration must be at least one block.
		ZeroDuration,
		/// The escrow cannot be held (insufficient funds).
		InsufficientFunds,
		/// Too many orders wait for containers; try later.
		MarketBusy,
		/// No such order.
		UnknownOrder,
		/// No such lease.
		UnknownLease,
		/// The caller does not own the order.
		NotOrderOwner,
		/// The caller is not the lease's provider.
		NotProvider,
		/// The lease is not in a state that allows this.
		WrongState,
		/// The report's sequence number is not above the last accepted one, or a counter went
		/// down.
		StaleReport,
		/// Too many leases have a deadline at that block and the `DeadlineSpill` blocks after it.
		TooManyDeadlines,
		/// The order made `MaxReplicas` leases already.
		TooManyLeases,
		/// Prepaid blocks must be at least one and at most the maximum duration.
		BadPrepaid,
		/// Every replica of the order is already prepaid for its whole duration.
		FullyPrepaid,
		/// The order has nothing running or waiting.
		OrderClosed,
		/// The caller is not the lease's user.
		NotLeaseUser,
		/// A rating is 1 to 5 stars.
		BadRating,
		/// The lease was rated already.
		AlreadyRated,
		/// The lease is past its dispute window (or has not ended).
		DisputeWindowClosed,
		/// The lease was disputed already.
		AlreadyDisputed,
		/// Nothing of the provider's earnings from this lease can be held.
		NothingToDispute,
		/// The lease has no open dispute.
		NoOpenDispute,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let deadlines = Self::process_deadlines(now);
			let matched = Self::match_waiting(now);
			// Each re-scheduled lease and each replica of the matched order files a deadline.
			let filed = deadlines.saturating_add(matched.saturating_mul(T::MaxReplicas::get()));
			<T as Config>::WeightInfo::on_initialize(deadlines, matched)
				.saturating_add(Self::spill_weight(filed))
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Places an order for `replicas` copies of image `image`, each with `spec`, running
		/// `command` (empty: the image's own) for at most `max_blocks`, paying at most `caps`,
		/// on providers carrying `labels`, on distinct machines when `spread`. Holds the worst
		/// case of `prepaid_blocks` (≤ `max_blocks`; top up later with [`Pallet::top_up`]) and
		/// matches at once.
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::place_order(*replicas)
			.saturating_add(Pallet::<T>::spill_weight(*replicas)))]
		pub fn place_order(
			origin: OriginFor<T>,
			image: [u8; 32],
			spec: ResourceSpec,
			command: CommandOf<T>,
			replicas: u32,
			max_blocks: BlockNumberFor<T>,
			prepaid_blocks: BlockNumberFor<T>,
			caps: Prices,
			labels: LabelsOf<T>,
			spread: bool,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			let img =
				pallet_registry::Pallet::<T>::leasable_image(&image).map_err(|e| match e {
					pallet_registry::Error::<T>::ImageNotVerified => Error::<T>::ImageNotVerified,
					_ => Error::<T>::UnknownImage,
				})?;
			ensure!(
				replicas >= 1
					&& replicas <= T::MaxReplicas::get()
					&& spec.cpu_millicores > 0
					&& spec.memory_bytes > 0
					&& spec.covers(&img.min_resources),
				Error::<T>::ImpossibleSpec
			);
			ensure!(!max_blocks.is_zero(), Error::<T>::ZeroDuration);
			ensure!(
				!prepaid_blocks.is_zero() && prepaid_blocks <= max_blocks,
				Error::<T>::BadPrepaid
			);
			let fee: u128 = img.fee.unique_saturated_into();
			let escrow_per_replica =
				pricing::worst_cost(&spec, Self::seconds(prepaid_blocks), &caps)
					.saturating_add(fee);
			let escrow = escrow_per_replica.saturating_mul(replicas as u128);
			T::Escrow::hold(&HoldReason::Escrow.into(), &owner, escrow)
				.map_err(|_| Error::<T>::InsufficientFunds)?;
			let id = NextOrderId::<T>::mutate(|n| {
				let id = *n;
				*n = n.saturating_add(1);
				id
			});
			let now = frame_system::Pallet::<T>::block_number();
			for _ in 0..replicas {
				<T as pallet_registry::Config>::Contribution::note_demand(&spec);
			}
			let mut order = Order {
				owner: owner.clone(),
				image,
				spec,
				command,
				replicas,
				max_blocks,
				prepaid_blocks,
				caps,
				labels,
				spread,
				escrow_per_replica,
				held: escrow,
				waiting: replicas,
				match_deadline: now.saturating_add(T::MatchWindow::get()),
				leases: BoundedVec::new(),
			};
			Self::deposit_event(Event::OrderPlaced { id, owner, replicas, escrow });
			Self::try_match(id, &mut order, now)?;
			if order.waiting > 0 {
				Waiting::<T>::try_mutate(|w| w.try_push(id)).map_err(|_| Error::<T>::MarketBusy)?;
			}
			Orders::<T>::insert(id, order);
			Ok(())
		}

		/// The provider's worker acknowledges lease `lease`: its job started. The image fee
		/// goes to the publisher.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::ack_lease()
			.saturating_add(Pallet::<T>::spill_weight(1)))]
		pub fn ack_lease(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
			ensure!(l.provider == who, Error::<T>::NotProvider);
			ensure!(l.state == LeaseState::Assigned, Error::<T>::WrongState);
			let mut order = Orders::<T>::get(l.order).ok_or(Error::<T>::UnknownOrder)?;
			let now = frame_system::Pallet::<T>::block_number();
			let ends_at = Self::add_deadline(now.saturating_add(order.max_blocks), lease)?;
			let paid = Self::pay(&l.user, &l.publisher, l.image_fee, &mut order)?;
			l.state = LeaseState::Running;
			l.ends_at = Some(ends_at);
			Orders::<T>::insert(l.order, order);
			Leases::<T>::insert(lease, l);
			Self::deposit_event(Event::LeaseStarted { lease, publisher_fee: paid });
			Ok(())
		}

		/// The provider reports cumulative `usage` of lease `lease` at sample `seq`; only the
		/// increase over the last accepted report is charged, never beyond the lease's cap.
		#[pallet::call_index(2)]
		pub fn report_metering(
			origin: OriginFor<T>,
			lease: LeaseId,
			seq: u64,
			usage: Usage,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
			ensure!(l.provider == who, Error::<T>::NotProvider);
			ensure!(l.state.is_started(), Error::<T>::WrongState);
			Self::charge(lease, &mut l, seq, usage)?;
			Leases::<T>::insert(lease, l);
			Ok(())
		}

		/// The provider's worker reports that lease `lease`'s job ended with `exit_code`, its
		/// final `usage` at `seq` and a `result` digest or URI. The lease is charged, the
		/// container freed and the rest of the replica's escrow refunded.
		#[pallet::call_index(3)]
		pub fn complete_lease(
			origin: OriginFor<T>,
			lease: LeaseId,
			seq: u64,
			usage: Usage,
			exit_code: i32,
			result: BoundedVec<u8, T::MaxResult>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
			ensure!(l.provider == who, Error::<T>::NotProvider);
			ensure!(l.state.is_started(), Error::<T>::WrongState);
			if seq > l.last_seq {
				Self::charge(lease, &mut l, seq, usage)?;
			}
			l.exit_code = Some(exit_code);
			l.result = result;
			<T as pallet_registry::Config>::Contribution::lease_outcome(
				l.container,
				LeaseOutcome::Completed { sla_met: true, rating: None },
			);
			Self::end(lease, l, LeaseState::Completed)
		}

		/// The provider's worker reports that lease `lease` cannot run on its side (image pull
		/// failed, container lost): the replica is re-scheduled and the provider penalised.
		#[pallet::call_index(4)]
		#[pallet::weight(<T as Config>::WeightInfo::fail_lease()
			.saturating_add(Pallet::<T>::spill_weight(1)))]
		pub fn fail_lease(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
			ensure!(l.provider == who, Error::<T>::NotProvider);
			ensure!(l.state.is_active(), Error::<T>::WrongState);
			Self::fail_and_reschedule(lease, l)
		}

		/// The owner cancels order `id`: running leases stop (what they used stays charged),
		/// waiting replicas are dropped and everything still held is refunded.
		#[pallet::call_index(5)]
		#[pallet::weight(<T as Config>::WeightInfo::cancel_order(T::MaxReplicas::get()))]
		pub fn cancel_order(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
			ensure!(order.owner == who, Error::<T>::NotOrderOwner);
			for lease in order.leases.iter() {
				if let Some(l) = Leases::<T>::get(lease).filter(|l| l.state.is_active()) {
					Self::end(*lease, l, LeaseState::Cancelled)?;
				}
			}
			if let Some(mut order) = Orders::<T>::get(id) {
				order.waiting = 0;
				Waiting::<T>::mutate(|w| w.retain(|o| *o != id));
				Self::close_if_done(id, order);
			}
			Ok(())
		}

		/// Sets the base prices (scaled by σ when leases are made).
		#[pallet::call_index(6)]
		pub fn set_base_prices(origin: OriginFor<T>, prices: Prices) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			BasePrices::<T>::put(prices);
			Self::deposit_event(Event::BasePricesSet { prices });
			Ok(())
		}

		/// The owner prepays `blocks` more of every active and waiting replica of order `id`
		/// (never beyond its maximum duration); paused leases with enough escrow resume.
		#[pallet::call_index(7)]
		#[pallet::weight(<T as Config>::WeightInfo::top_up(T::MaxReplicas::get()))]
		pub fn top_up(
			origin: OriginFor<T>,
			id: OrderId,
			blocks: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
			ensure!(order.owner == who, Error::<T>::NotOrderOwner);
			let prepaid = order.prepaid_blocks.saturating_add(blocks).min(order.max_blocks);
			ensure!(prepaid > order.prepaid_blocks, Error::<T>::FullyPrepaid);
			let active: Vec<(LeaseId, LeaseOf<T>)> = order
				.leases
				.iter()
				.filter_map(|id| Leases::<T>::get(id).map(|l| (*id, l)))
				.filter(|(_, l)| l.state.is_active())
				.collect();
			let replicas = (active.len() as u32).saturating_add(order.waiting);
			ensure!(replicas > 0, Error::<T>::OrderClosed);
			let worst = |b| pricing::worst_cost(&order.spec, Self::seconds(b), &order.caps);
			let extra = worst(prepaid).saturating_sub(worst(order.prepaid_blocks));
			let amount = extra.saturating_mul(replicas as u128);
			T::Escrow::hold(&HoldReason::Escrow.into(), &who, amount)
				.map_err(|_| Error::<T>::InsufficientFunds)?;
			let added = prepaid.saturating_sub(order.prepaid_blocks);
			order.held = order.held.saturating_add(amount);
			order.escrow_per_replica = order.escrow_per_replica.saturating_add(extra);
			order.prepaid_blocks = prepaid;
			for (lease, mut l) in active {
				l.allotment = l.allotment.saturating_add(extra).min(l.cap);
				if l.state == LeaseState::Paused && !Self::escrow_low(&l, &order) {
					l.state = LeaseState::Running;
					Self::deposit_event(Event::LeaseResumed { lease });
				}
				Leases::<T>::insert(lease, l);
			}
			Orders::<T>::insert(id, order);
			Self::deposit_event(Event::OrderToppedUp { id, blocks: added, amount });
			Ok(())
		}

		/// The user rates ended lease `lease` 1–5 stars, once; PoC counts it in the provider's
		/// service contribution.
		#[pallet::call_index(8)]
		pub fn rate_lease(origin: OriginFor<T>, lease: LeaseId, stars: u8) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
			ensure!(l.user == who, Error::<T>::NotLeaseUser);
			ensure!((1..=5).contains(&stars), Error::<T>::BadRating);
			ensure!(l.ended_at.is_some() && l.ends_at.is_some(), Error::<T>::WrongState);
			ensure!(l.rating.is_none(), Error::<T>::AlreadyRated);
			l.rating = Some(stars);
			<T as pallet_registry::Config>::Contribution::lease_outcome(
				l.container,
				LeaseOutcome::Rated(stars),
			);
			Leases::<T>::insert(lease, l);
			Self::deposit_event(Event::LeaseRated { lease, stars });
			Ok(())
		}

		/// The user disputes ended lease `lease` within [`Config::DisputeWindow`]: up to
		/// `amount` of what it was charged is held from the provider until the dispute origin
		/// resolves it.
		#[pallet::call_index(9)]
		pub fn dispute_lease(origin: OriginFor<T>, lease: LeaseId, amount: u128) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
			ensure!(l.user == who, Error::<T>::NotLeaseUser);
			let now = frame_system::Pallet::<T>::block_number();
			let open = l.ended_at.is_some_and(|e| now <= e.saturating_add(T::DisputeWindow::get()));
			ensure!(open, Error::<T>::DisputeWindowClosed);
			ensure!(l.dispute == Dispute::None, Error::<T>::AlreadyDisputed);
			let earned = l.charged.saturating_sub(T::ProtocolFee::get().mul_ceil(l.charged));
			let free = T::Escrow::reducible_balance(
				&l.provider,
				frame_support::traits::tokens::Preservation::Preserve,
				Fortitude::Polite,
			);
			let amount = amount.min(earned).min(free);
			ensure!(amount > 0, Error::<T>::NothingToDispute);
			T::Escrow::hold(&HoldReason::Dispute.into(), &l.provider, amount)
				.map_err(|_| Error::<T>::NothingToDispute)?;
			l.dispute = Dispute::Open { amount, at: now };
			Leases::<T>::insert(lease, l);
			Self::deposit_event(Event::DisputeOpened { lease, amount });
			Ok(())
		}

		/// The dispute origin resolves lease `lease`'s dispute: `refund` of the held amount goes
		/// to the user and the rest back to the provider; `slash` of the provider's registry
		/// deposit goes to the user as well.
		#[pallet::call_index(10)]
		pub fn resolve_dispute(
			origin: OriginFor<T>,
			lease: LeaseId,
			refund: Perbill,
			slash: Perbill,
		) -> DispatchResult {
			T::DisputeOrigin::ensure_origin(origin)?;
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
			let rest = amount.saturating_sub(refunded);
			if rest > 0 {
				T::Escrow::release(
					&HoldReason::Dispute.into(),
					&l.provider,
					rest,
					Precision::BestEffort,
				)?;
			}
			let slashed: u128 =
				pallet_registry::Pallet::<T>::slash_provider_deposit(&l.provider, slash, &l.user)
					.unique_saturated_into();
			l.dispute = Dispute::Resolved { refunded, slashed };
			Leases::<T>::insert(lease, l);
			Self::deposit_event(Event::DisputeResolved { lease, refunded, slashed });
			Ok(())
		}
	}

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

		/// The prices a lease made now gets.
		pub fn current_prices() -> Prices {
			Prices::scaled(&BasePrices::<T>::get(), T::Sigmas::get())
		}

		/// Moves `amount` of `user`'s escrow to `to` (nothing when zero); returns what moved.
		fn pay(
			user: &T::AccountId,
			to: &T::AccountId,
			amount: u128,
			order: &mut OrderOf<T>,
		) -> Result<u128, DispatchError> {
			if amount == 0 {
				return Ok(0);
			}
			let moved = T::Escrow::transfer_on_hold(
				&HoldReason::Escrow.into(),
				user,
				to,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Polite,
			)?;
			order.held = order.held.saturating_sub(moved);
			Ok(moved)
		}

		/// Releases `amount` of the order's escrow to its owner.
		fn refund(order: &mut OrderOf<T>, amount: u128) -> u128 {
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

		/// Charges lease `id` for `usage` at `seq` (see [`Pallet::report_metering`]).
		fn charge(id: LeaseId, l: &mut LeaseOf<T>, seq: u64, usage: Usage) -> DispatchResult {
			ensure!(seq > l.last_seq && usage.dominates(&l.usage), Error::<T>::StaleReport);
			let mut order = Orders::<T>::get(l.order).ok_or(Error::<T>::UnknownOrder)?;
			let total = pricing::cost(&usage, order.spec.storage_bytes, &l.prices)
				.min(l.cap)
				.min(l.allotment);
			let amount = total.saturating_sub(l.charged);
			let fee = T::ProtocolFee::get().mul_floor(amount);
			let to_provider = amount.saturating_sub(fee);
			Self::pay(&l.user, &l.provider, to_provider, &mut order)?;
			Self::pay(&l.user, &Self::pot(), fee, &mut order)?;
			l.charged = l.charged.saturating_add(amount);
			l.last_seq = seq;
			l.usage = usage;
			Self::deposit_event(Event::Charged { lease: id, seq, amount, fee });
			if l.state == LeaseState::Running && Self::escrow_low(l, &order) {
				l.state = LeaseState::Paused;
				let left = l.allotment.saturating_sub(l.charged);
				Self::deposit_event(Event::LeasePaused { lease: id, left });
			}
			Orders::<T>::insert(l.order, order);
			Ok(())
		}

		/// Whether lease `l`'s prepaid escrow covers fewer than [`Config::LowEscrowBlocks`] of
		/// its worst case at its prices while more could be prepaid.
		fn escrow_low(l: &LeaseOf<T>, order: &OrderOf<T>) -> bool {
			if l.allotment >= l.cap {
				return false;
			}
			let need = pricing::worst_cost(
				&order.spec,
				Self::seconds(T::LowEscrowBlocks::get()),
				&l.prices,
			);
			l.allotment.saturating_sub(l.charged) < need
		}

		/// What lease `l` took from its replica's escrow: its charges, plus the image fee once
		/// it started.
		fn consumed(l: &LeaseOf<T>) -> u128 {
			let image_fee_paid = if l.ends_at.is_some() { l.image_fee } else { 0 };
			l.charged.saturating_add(image_fee_paid)
		}

		/// Ends lease `id` in `state`: frees its container, refunds what the replica did not
		/// use and closes the order when nothing is left.
		fn end(id: LeaseId, mut l: LeaseOf<T>, state: LeaseState) -> DispatchResult {
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

		/// Lease `id` failed on the provider's side: what it used stays charged, the rest of
		/// the replica's escrow stays held and the replica waits for another container.
		fn fail_and_reschedule(id: LeaseId, mut l: LeaseOf<T>) -> DispatchResult {
			let mut order = Orders::<T>::get(l.order).ok_or(Error::<T>::UnknownOrder)?;
			<T as pallet_registry::Config>::Contribution::lease_outcome(
				l.container,
				LeaseOutcome::Failed,
			);
			Self::free_container(l.container);
			LeasesOfMachine::<T>::remove(l.machine, id);
			// The replica starts over with a fresh escrow: top the order's hold up by what
			// this lease consumed, if the owner can; otherwise refund the remainder.
			let used = Self::consumed(&l);
			l.state = LeaseState::Failed;
			l.ended_at = Some(frame_system::Pallet::<T>::block_number());
			let order_id = l.order;
			Leases::<T>::insert(id, l.clone());
			let refill_ok = used == 0
				|| T::Escrow::hold(&HoldReason::Escrow.into(), &order.owner, used).is_ok();
			if refill_ok {
				order.held = order.held.saturating_add(used);
				order.waiting = order.waiting.saturating_add(1);
				let now = frame_system::Pallet::<T>::block_number();
				order.match_deadline = now.saturating_add(T::MatchWindow::get());
				if !Waiting::<T>::get().contains(&order_id) {
					Waiting::<T>::try_mutate(|w| w.try_push(order_id))
						.map_err(|_| Error::<T>::MarketBusy)?;
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

		/// Stores `order`, or removes it when nothing runs or waits (refunding any rest).
		fn close_if_done(id: OrderId, mut order: OrderOf<T>) {
			let active = order
				.leases
				.iter()
				.any(|l| Leases::<T>::get(l).is_some_and(|l| l.state.is_active()));
			if active || order.waiting > 0 {
				Orders::<T>::insert(id, order);
				return;
			}
			let rest = order.held;
			Self::refund(&mut order, rest);
			Orders::<T>::insert(id, order);
			Self::deposit_event(Event::OrderClosed { id });
		}

		fn free_container(id: ContainerId) {
			pallet_registry::Pallet::<T>::set_container_state(id, ContainerState::Idle);
		}

		/// Worst-case extra reads of filing `deadlines` deadlines when blocks are full (the
		/// benchmarks measure the first block having room).
		pub fn spill_weight(deadlines: u32) -> Weight {
			T::DbWeight::get()
				.reads((T::DeadlineSpill::get() as u64).saturating_mul(deadlines as u64))
		}

		/// Files lease `lease` under the first block from `at` (at most
		/// [`Config::DeadlineSpill`] blocks later) whose deadline list has room; returns it.
		fn add_deadline(
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

		/// Matches up to `order.waiting` replicas now.
		fn try_match(
			id: OrderId,
			order: &mut OrderOf<T>,
			now: BlockNumberFor<T>,
		) -> DispatchResult {
			let prices = Self::current_prices();
			if order.waiting == 0 || !prices.within(&order.caps) {
				return Ok(());
			}
			let image = match pallet_registry::Images::<T>::get(order.image) {
				Some(i) => i,
				None => return Ok(()),
			};
			let wanted = order.waiting.saturating_mul(4).min(64);
			let candidates = T::Scheduler::next_candidates(&order.spec, wanted);
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
			let cap =
				pricing::worst_cost(&order.spec, Self::seconds(order.max_blocks), &order.caps);
			let allotment =
				pricing::worst_cost(&order.spec, Self::seconds(order.prepaid_blocks), &order.caps);
			for cid in candidates {
				if order.waiting == 0 {
					break;
				}
				let Some((machine_id, provider)) = Self::eligible(cid, order, &used_machines)
				else {
					continue;
				};
				if failed_machines.contains(&machine_id) {
					continue;
				}
				let lease = NextLeaseId::<T>::get();
				order.leases.try_push(lease).map_err(|_| Error::<T>::TooManyLeases)?;
				NextLeaseId::<T>::put(lease.saturating_add(1));
				let ack_by = Self::add_deadline(now.saturating_add(T::AckTimeout::get()), lease)?;
				pallet_registry::Pallet::<T>::set_container_state(
					cid,
					ContainerState::Serving(lease),
				);
				LeasesOfMachine::<T>::insert(machine_id, lease, ());
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
						image_fee: image.fee.unique_saturated_into(),
						state: LeaseState::Assigned,
						assigned_at: now,
						ack_by,
						ends_at: None,
						last_seq: 0,
						usage: Usage::default(),
						charged: 0,
						cap,
						allotment,
						exit_code: None,
						result: BoundedVec::new(),
						ended_at: None,
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

		/// Handles the leases whose deadline is `now` (at most `MaxDeadlinesPerBlock`).
		fn process_deadlines(now: BlockNumberFor<T>) -> u32 {
			let due = Deadlines::<T>::take(now);
			let n = due.len() as u32;
			for id in due {
				let Some(l) = Leases::<T>::get(id) else { continue };
				let result = match l.state {
					LeaseState::Assigned if l.ack_by <= now => Self::fail_and_reschedule(id, l),
					LeaseState::Running | LeaseState::Paused
						if l.ends_at.is_some_and(|e| e <= now) =>
					{
						Self::end(id, l, LeaseState::Expired)
					},
					_ => Ok(()),
				};
				if let Err(e) = result {
					log::warn!(target: LOG_TARGET, "deadline of lease {id}: {e:?}");
				}
			}
			n
		}

		/// Retries the oldest waiting order; refunds its waiting replicas past the deadline.
		fn match_waiting(now: BlockNumberFor<T>) -> u32 {
			let Some(id) = Waiting::<T>::get().first().copied() else { return 0 };
			Waiting::<T>::mutate(|w| {
				w.remove(0);
			});
			let Some(mut order) = Orders::<T>::get(id) else { return 1 };
			if order.waiting == 0 {
				Self::close_if_done(id, order);
				return 1;
			}
			if now >= order.match_deadline {
				let replicas = order.waiting;
				let rest = order.escrow_per_replica.saturating_mul(replicas as u128);
				let refund = Self::refund(&mut order, rest);
				order.waiting = 0;
				Self::deposit_event(Event::OrderExpired { id, replicas, refund });
				Self::close_if_done(id, order);
				return 1;
			}
			let _ =
				frame_support::storage::with_storage_layer(|| Self::try_match(id, &mut order, now));
			if order.waiting > 0 {
				let _ = Waiting::<T>::try_mutate(|w| w.try_push(id));
			}
			Orders::<T>::insert(id, order);
			1
		}

		/// Machine `machine` went offline: its active leases are re-scheduled.
		pub fn reschedule_machine(machine: u64) {
			let leases: Vec<LeaseId> = LeasesOfMachine::<T>::iter_key_prefix(machine).collect();
			for id in leases {
				if let Some(l) = Leases::<T>::get(id).filter(|l| l.state.is_active()) {
					if let Err(e) = Self::fail_and_reschedule(id, l) {
						log::warn!(target: LOG_TARGET, "re-scheduling lease {id}: {e:?}");
					}
				}
			}
		}
	}

	impl<T: Config> pallet_registry::OnMachineOffline for Pallet<T> {
		fn machine_offline(id: u64) {
			Self::reschedule_machine(id)
		}
	}
}
