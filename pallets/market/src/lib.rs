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

mod deadlines;
mod disputes;
mod escrow;
mod invariants;
mod matching;
pub mod migrations;
pub mod pricing;
mod pruning;
pub mod runtime_api;
mod settlement;
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

/// Where protocol fees go once they are in the market pot: the runtime splits them between
/// the PoC reward pool and the treasury. `()` leaves them in the pot.
pub trait OnProtocolFee<AccountId> {
	/// `amount` of protocol fees just arrived in `pot`. An error undoes the charge.
	fn on_protocol_fee(pot: &AccountId, amount: u128) -> frame_support::dispatch::DispatchResult;
}

impl<AccountId> OnProtocolFee<AccountId> for () {
	fn on_protocol_fee(_: &AccountId, _: u128) -> frame_support::dispatch::DispatchResult {
		Ok(())
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, Mutate, MutateHold},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use pallet_poc::{ContributionHooks, LeaseOutcome, Scheduler};
	use sp_runtime::{
		traits::{Saturating, UniqueSaturatedInto, Zero},
		Perbill,
	};
	use uranus_primitives::compute::{
		ContainerId, EndCause, ResourceSpec, MIN_MEMORY_BYTES, MIN_STORAGE_BYTES,
	};

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

	/// The storage version: 1 adds each order's captured image fee and storage deposit, the
	/// owner and provider indexes and the open-dispute counters ([`crate::migrations`]).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
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
		/// An order's storage deposit, released when the order is reaped.
		#[codec(index = 2)]
		OrderDeposit,
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

		/// Passes protocol fees on from the pot (PoC reward pool, treasury).
		type OnProtocolFee: OnProtocolFee<Self::AccountId>;

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

		/// Blocks the dispute origin has to resolve a dispute; afterwards anyone may let it
		/// lapse ([`Pallet::lapse_dispute`]): the held earnings go back to the provider.
		#[pallet::constant]
		type DisputeTimeout: Get<BlockNumberFor<Self>>;

		/// Held from an order's owner for the order's storage until the order is reaped
		/// ([`Pallet::reap_order`]) after its leases' dispute windows.
		#[pallet::constant]
		type OrderDeposit: Get<u128>;

		/// Most waiting orders `on_initialize` tries to match in one block (oldest first).
		#[pallet::constant]
		type MaxMatchesPerBlock: Get<u32>;

		/// A provider meets a lease's SLA only when it acknowledged the lease within this many
		/// blocks of its assignment (see [`crate::settlement`]).
		#[pallet::constant]
		type SlaAckBlocks: Get<BlockNumberFor<Self>>;

		/// ... and never left more than this many blocks between accepted metering reports
		/// (from the start to the completion).
		#[pallet::constant]
		type SlaMaxGap: Get<BlockNumberFor<Self>>;

		/// The chain's clock (the timestamp pallet): how much time a lease really had.
		type UnixTime: frame_support::traits::UnixTime;

		/// Sampling slack of metering, ms: a lease's cumulative usage may exceed what its spec
		/// can consume between its assignment and the report's block by this much wall time
		/// (the agent samples on its own clock, the chain counts blocks).
		#[pallet::constant]
		type MeteringSlackMillis: Get<u64>;

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

	/// Orders by owner (what `market_orders(owner)` reads).
	#[pallet::storage]
	pub type OrdersOf<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, OrderId, ()>;

	/// Leases by provider, current and past until reaped (what `market_leases(provider)`
	/// reads).
	#[pallet::storage]
	pub type LeasesOfProvider<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, LeaseId, ()>;

	/// Open disputes against each provider (a provider with one cannot leave the registry).
	#[pallet::storage]
	pub type OpenDisputes<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

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
		/// The lease failed for `cause` (a `LeaseRescheduled` or `LeaseEnded` follows).
		LeaseFailed { lease: LeaseId, cause: EndCause },
		/// The completed lease met its SLA or not (see [`crate::settlement`]).
		SlaRecorded { lease: LeaseId, met: bool },
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
		/// Nobody resolved the dispute within [`Config::DisputeTimeout`]: the held `released`
		/// went back to the provider.
		DisputeLapsed { lease: LeaseId, released: u128 },
		/// A closed order and its leases were removed after their dispute windows; the
		/// summary stays here: `leases` made, `charged` in total, `deposit` back to `owner`.
		OrderReaped { id: OrderId, owner: T::AccountId, leases: u32, charged: u128, deposit: u128 },
		/// A report claimed more than the lease's spec can consume since it was assigned:
		/// `accepted` (each counter at most what is physically possible) was charged instead
		/// of `reported`.
		UsageClamped { lease: LeaseId, reported: Usage, accepted: Usage },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The image is not published.
		UnknownImage,
		/// The image is not verified.
		ImageNotVerified,
		/// A replica needs CPU, at least `MIN_MEMORY_BYTES` of memory and `MIN_STORAGE_BYTES`
		/// of storage (what every agent requires), at least the image's minimum, and
		/// 1 ≤ replicas ≤ max.
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
		/// The order would hold no escrow (zero caps and a free image): it could never pay.
		ZeroEscrow,
		/// The order still has leases running or replicas waiting.
		OrderActive,
		/// A lease of the order is still within its dispute window or disputed.
		DisputesPending,
		/// The dispute origin still has time to resolve the dispute.
		DisputeNotExpired,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let deadlines = Self::process_deadlines(now);
			let matched = Self::match_waiting(now);
			Self::on_initialize_weight(deadlines, matched)
		}

		fn integrity_test() {
			assert!(T::MaxReplicas::get() >= 1, "an order needs room for one replica");
			assert!(T::MaxWaiting::get() >= 1, "the waiting queue needs room");
			assert!(T::MaxMatchesPerBlock::get() >= 1, "on_initialize must match something");
			assert!(
				T::MaxDeadlinesPerBlock::get() >= T::MaxReplicas::get(),
				"one order's replicas must fit one block's deadlines"
			);
			assert!(!T::AckTimeout::get().is_zero(), "providers need time to acknowledge");
			assert!(T::MillisPerBlock::get() > 0, "blocks take time");
			assert!(T::ProtocolFee::get() < Perbill::one(), "providers must earn something");
			assert!(!T::DisputeWindow::get().is_zero(), "users need time to dispute");
			assert!(!T::DisputeTimeout::get().is_zero(), "the dispute origin needs time");
			assert!(T::OrderDeposit::get() > 0, "orders take storage: they need a deposit");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Places an order (origin: the paying user) for `replicas` copies of image `image`,
		/// each with `spec`, running `command` (empty: the image's own) for at most
		/// `max_blocks`, paying at most `caps`, on providers carrying `labels`, on distinct
		/// machines when `spread`. Holds [`Config::OrderDeposit`] and the worst case of
		/// `prepaid_blocks` (≤ `max_blocks`; top up later with [`Pallet::top_up`]) plus the
		/// image's current fee, which the order keeps; matches at once.
		///
		/// Emits `OrderPlaced` and a `LeaseAssigned` per matched replica. Errors:
		/// `UnknownImage`, `ImageNotVerified`, `ImpossibleSpec`, `ZeroDuration`, `BadPrepaid`,
		/// `ZeroEscrow`, `InsufficientFunds`, `MarketBusy`, `TooManyDeadlines`.
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
					&& spec.memory_bytes >= MIN_MEMORY_BYTES
					&& spec.storage_bytes >= MIN_STORAGE_BYTES
					&& spec.covers(&img.min_resources),
				Error::<T>::ImpossibleSpec
			);
			ensure!(!max_blocks.is_zero(), Error::<T>::ZeroDuration);
			ensure!(
				!prepaid_blocks.is_zero() && prepaid_blocks <= max_blocks,
				Error::<T>::BadPrepaid
			);
			let image_fee: u128 = img.fee.unique_saturated_into();
			let escrow_per_replica =
				pricing::worst_cost(&spec, Self::seconds(prepaid_blocks), &caps)
					.saturating_add(image_fee);
			ensure!(escrow_per_replica > 0, Error::<T>::ZeroEscrow);
			let escrow = escrow_per_replica.saturating_mul(replicas as u128);
			let deposit = T::OrderDeposit::get();
			T::Escrow::hold(&HoldReason::OrderDeposit.into(), &owner, deposit)
				.map_err(|_| Error::<T>::InsufficientFunds)?;
			T::Escrow::hold(&HoldReason::Escrow.into(), &owner, escrow)
				.map_err(|_| Error::<T>::InsufficientFunds)?;
			let id = NextOrderId::<T>::mutate(|n| {
				let id = *n;
				*n = n.saturating_add(1);
				id
			});
			let now = frame_system::Pallet::<T>::block_number();
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
				image_fee,
				escrow_per_replica,
				held: escrow,
				deposit,
				waiting: replicas,
				match_deadline: now.saturating_add(T::MatchWindow::get()),
				leases: BoundedVec::new(),
			};
			Self::deposit_event(Event::OrderPlaced { id, owner: owner.clone(), replicas, escrow });
			Self::try_match(id, &mut order, now)?;
			if order.waiting > 0 {
				Waiting::<T>::try_mutate(|w| w.try_push(id)).map_err(|_| Error::<T>::MarketBusy)?;
			}
			OrdersOf::<T>::insert(&owner, id, ());
			Orders::<T>::insert(id, order);
			Ok(())
		}

		/// The provider's worker (origin: the lease's provider) acknowledges lease `lease`:
		/// its job started. The order's image fee goes to the publisher and the replica
		/// counts as demand for σ. Emits `LeaseStarted`. Errors: `UnknownLease`,
		/// `NotProvider`, `WrongState`, `TooManyDeadlines`.
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
			let paid = Self::pay(&l.publisher, l.image_fee, &mut order)?;
			// Demand for σ is what providers really start, not what orders ask for.
			<T as pallet_registry::Config>::Contribution::note_demand(&order.spec);
			l.state = LeaseState::Running;
			l.started_at = Some(now);
			l.reported_at = now;
			l.ends_at = Some(ends_at);
			Orders::<T>::insert(l.order, order);
			Leases::<T>::insert(lease, l);
			Self::deposit_event(Event::LeaseStarted { lease, publisher_fee: paid });
			Ok(())
		}

		/// The provider (origin: the lease's provider) reports cumulative `usage` of lease
		/// `lease` at sample `seq`; only the increase over the last accepted report is
		/// charged, never beyond what the spec can consume since the lease was assigned
		/// (`UsageClamped`) nor beyond the prepaid allotment. Emits `Charged` (and
		/// `LeasePaused` when the escrow runs low). Errors: `UnknownLease`, `NotProvider`,
		/// `WrongState`, `StaleReport`.
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

		/// The provider's worker (origin: the lease's provider) reports that lease `lease`'s
		/// job ended with `exit_code`, its final `usage` at `seq` and a `result` digest or
		/// URI. The lease is charged, the container freed and the rest of the replica's
		/// escrow refunded. Emits `LeaseEnded`. Errors: `UnknownLease`, `NotProvider`,
		/// `WrongState`, `StaleReport`.
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
			let sla_met = Self::sla_met(&mut l);
			<T as pallet_registry::Config>::Contribution::lease_outcome(
				l.container,
				LeaseOutcome::Completed { sla_met, rating: None },
			);
			Self::deposit_event(Event::SlaRecorded { lease, met: sla_met });
			Self::end(lease, l, LeaseState::Completed)
		}

		/// The provider's worker (origin: the lease's provider) reports that lease `lease`
		/// cannot run for `cause`. A cause on the provider's side (image pull, lost job, host
		/// reboot, kill) re-schedules the replica (or refunds it when it cannot wait) and
		/// penalises the provider; a rejected spec or an unusable image ends the lease and
		/// refunds the rest of its escrow, with no penalty. Emits `LeaseFailed`, then
		/// `LeaseRescheduled` or `LeaseEnded`. Errors: `UnknownLease`, `NotProvider`,
		/// `WrongState`.
		#[pallet::call_index(4)]
		#[pallet::weight(<T as Config>::WeightInfo::fail_lease()
			.saturating_add(Pallet::<T>::spill_weight(1)))]
		pub fn fail_lease(origin: OriginFor<T>, lease: LeaseId, cause: EndCause) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let l = Leases::<T>::get(lease).ok_or(Error::<T>::UnknownLease)?;
			ensure!(l.provider == who, Error::<T>::NotProvider);
			ensure!(l.state.is_active(), Error::<T>::WrongState);
			Self::fail(lease, l, cause)
		}

		/// The owner (origin: the order's owner) cancels order `id`: running leases stop
		/// (what they used stays charged), waiting replicas are dropped and everything still
		/// held as escrow is refunded; the deposit stays until the order is reaped. Emits
		/// `LeaseEnded` per lease and `OrderClosed`. Errors: `UnknownOrder`, `NotOrderOwner`.
		#[pallet::call_index(5)]
		#[pallet::weight(<T as Config>::WeightInfo::cancel_order(T::MaxReplicas::get()))]
		pub fn cancel_order(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
			ensure!(order.owner == who, Error::<T>::NotOrderOwner);
			for lease in order.leases.iter() {
				if let Some(l) =
					Leases::<T>::get(lease).filter(|l| l.order == id && l.state.is_active())
				{
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

		/// Sets the base prices (origin: [`Config::AdminOrigin`]), scaled by σ when leases are
		/// made. Emits `BasePricesSet`.
		#[pallet::call_index(6)]
		pub fn set_base_prices(origin: OriginFor<T>, prices: Prices) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			BasePrices::<T>::put(prices);
			Self::deposit_event(Event::BasePricesSet { prices });
			Ok(())
		}

		/// The owner (origin: the order's owner) prepays `blocks` more of every active and
		/// waiting replica of order `id` (never beyond its maximum duration); paused leases
		/// with enough escrow resume. Emits `OrderToppedUp` and `LeaseResumed`. Errors:
		/// `UnknownOrder`, `NotOrderOwner`, `FullyPrepaid`, `OrderClosed`,
		/// `InsufficientFunds`.
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
				.filter(|(_, l)| l.order == id && l.state.is_active())
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

		/// The user (origin: the lease's user) rates ended lease `lease` 1–5 stars, once; PoC
		/// counts it in the provider's service contribution. Emits `LeaseRated`. Errors:
		/// `UnknownLease`, `NotLeaseUser`, `BadRating`, `WrongState`, `AlreadyRated`.
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

		/// The user (origin: the lease's user) disputes ended lease `lease` within
		/// [`Config::DisputeWindow`]: up to `amount` of what the provider earned from it is
		/// held from the provider until the dispute origin resolves it or it lapses after
		/// [`Config::DisputeTimeout`]; meanwhile the provider cannot leave the registry.
		/// Emits `DisputeOpened`. Errors: `UnknownLease`, `NotLeaseUser`,
		/// `DisputeWindowClosed`, `AlreadyDisputed`, `NothingToDispute`.
		#[pallet::call_index(9)]
		pub fn dispute_lease(origin: OriginFor<T>, lease: LeaseId, amount: u128) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::open_dispute(&who, lease, amount)
		}

		/// The dispute origin ([`Config::DisputeOrigin`]) resolves lease `lease`'s dispute:
		/// `refund` of the held amount goes to the user and the rest back to the provider;
		/// `slash` of the provider's registry deposit goes to the user as well. Emits
		/// `DisputeResolved`. Errors: `UnknownLease`, `NoOpenDispute`.
		#[pallet::call_index(10)]
		pub fn resolve_dispute(
			origin: OriginFor<T>,
			lease: LeaseId,
			refund: Perbill,
			slash: Perbill,
		) -> DispatchResult {
			T::DisputeOrigin::ensure_origin(origin)?;
			Self::settle_dispute(lease, refund, slash)
		}

		/// Anyone (origin: signed) ends lease `lease`'s dispute that the dispute origin left
		/// unresolved for [`Config::DisputeTimeout`] blocks: the documented default outcome
		/// is that the held earnings go back to the provider and nothing is slashed (a user
		/// alone cannot take a provider's earnings). Emits `DisputeLapsed`. Errors:
		/// `UnknownLease`, `NoOpenDispute`, `DisputeNotExpired`.
		#[pallet::call_index(11)]
		pub fn lapse_dispute(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_lapse_dispute(lease)
		}

		/// Anyone (origin: signed) removes closed order `id` and its leases once every lease's
		/// dispute window has passed and no dispute is open; the order's storage deposit goes
		/// back to its owner. Emits `OrderReaped` with the order's summary. Errors:
		/// `UnknownOrder`, `OrderActive`, `DisputesPending`.
		#[pallet::call_index(12)]
		#[pallet::weight(<T as Config>::WeightInfo::reap_order(T::MaxReplicas::get()))]
		pub fn reap_order(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_reap(id)
		}
	}

	impl<T: Config> Pallet<T> {
		/// The weight of `on_initialize` handling `deadlines` deadlines and `matched` waiting
		/// orders, at its worst: the deadlines all missed acknowledgements (each lease failed
		/// and re-scheduled) or all expiries (each lease settled and its order closed),
		/// whichever costs more; each matched order a full scheduler scan with every replica
		/// matched (both measured by the benchmarks); and each lease that files a deadline
		/// possibly spilling over full blocks ([`Pallet::spill_weight`]).
		///
		/// A block with nothing to do is charged `on_initialize_expiry(0)`: the benchmark of
		/// `on_initialize` never measures both components at zero (each varies with the other
		/// at its maximum), so its intercept holds a matching's cost that an idle block has
		/// not; the expiry benchmark at zero measures exactly the idle step.
		pub fn on_initialize_weight(deadlines: u32, matched: u32) -> Weight {
			if deadlines == 0 && matched == 0 {
				return <T as Config>::WeightInfo::on_initialize_expiry(0);
			}
			let w = |d, m| <T as Config>::WeightInfo::on_initialize(d, m);
			let matching = w(0, matched).saturating_sub(w(0, 0));
			let expiries =
				<T as Config>::WeightInfo::on_initialize_expiry(deadlines).saturating_add(matching);
			let filed = deadlines.saturating_add(matched.saturating_mul(T::MaxReplicas::get()));
			w(deadlines, matched).max(expiries).saturating_add(Self::spill_weight(filed))
		}
	}

	impl<T: Config> pallet_registry::OnMachineOffline for Pallet<T> {
		/// Re-schedules the machine's leases; each costs at most a `fail_lease` (with its
		/// deadline filing) plus reading it from the machine's index.
		fn machine_offline(id: u64) -> Weight {
			let leases = Self::reschedule_machine(id);
			<T as Config>::WeightInfo::fail_lease()
				.saturating_add(Self::spill_weight(1))
				.saturating_add(T::DbWeight::get().reads(1))
				.saturating_mul(leases as u64)
				.saturating_add(T::DbWeight::get().reads(1))
		}
	}
}
