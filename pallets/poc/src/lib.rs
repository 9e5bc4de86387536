//! # Proof of Contribution pallet
//!
//! The white paper's PoC (§5.2.1) and its automatic resource-allocation adjustment (§5.2.2):
//!
//! | White paper | Code |
//! |---|---|
//! | total = basic + service + chain | [`Score::total`] |
//! | basic = Σ gradient_r × σ_r, accrued per online period | [`scoring::basic_contribution`], [`Pallet::container_online`] |
//! | CPU by logical frequency × cores, memory by free memory, storage by shareable space, bandwidth by measured uplink | [`ContainerCapacity::measure`], [`Gradients`] |
//! | service contribution from past leases and user feedback | [`Pallet::lease_outcome`], [`ContributionPoints`] |
//! | chain contribution from voting | [`VoteHistory`] (dpos), [`ContributionPoints::chain`] |
//! | halved after every T blocks | [`Config::HalvingPeriod`], [`scoring::decay`] (lazy, exact `>> k`) |
//! | σ from Poisson MLE of demand, negative feedback | [`coefficients`], [`Pallet::adjust_sigmas`] |
//! | partition scheduling in round robin | [`schedule`], [`Pallet::next_candidates`] |
//! | higher contribution earns more tokens from a pool | [`rewards`]: score integrated over online periods, per staking era |
//!
//! Inputs come through traits so the pallet does not depend on its neighbours: the registry
//! calls [`ContributionHooks::container_online`] on each heartbeat and
//! [`ContributionHooks::container_offline`]; the market calls
//! [`ContributionHooks::lease_outcome`], [`ContributionHooks::note_demand`] and
//! [`Scheduler::next_candidates`]; dpos answers [`VoteHistory::voted_recently`].
//!
//! ## Bounded work
//! - Scores decay lazily: no hook iterates containers.
//! - `on_initialize` does constant work: at most one σ adjustment of four resources.
//! - [`Scheduler::next_candidates`] examines at most [`Config::MaxScan`] containers.
//! - Tier membership is a dense index per tier with swap-removal: O(1) moves.
//! - Rewards use per-period books settled lazily per provider ([`rewards`]): a period's end
//!   is constant work.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod coefficients;
pub mod rewards;
pub mod runtime_api;
pub mod schedule;
pub mod scoring;
pub mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use rewards::EraRemainderToPool;
pub use types::*;
pub use uranus_primitives::compute::{ContainerCapacity, ContainerId, Resource, ResourceSpec};
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::dispatch::DispatchResult;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::poc";

/// Chain contribution input: whether an account took part in governance recently (dpos votes).
pub trait VoteHistory<AccountId> {
	/// `true` when `who` voted in the current or the previous era.
	fn voted_recently(who: &AccountId) -> bool;
}

impl<AccountId> VoteHistory<AccountId> for () {
	fn voted_recently(_: &AccountId) -> bool {
		false
	}
}

/// What the registry and the market tell PoC.
pub trait ContributionHooks<AccountId> {
	/// A heartbeat: container `id` of `owner` is online with `capacity` on a machine whose
	/// hardware is `verified` or not. Accrues one period's basic (and chain) contribution and
	/// one period's reward share at most once per heartbeat period.
	fn container_online(
		id: ContainerId,
		owner: &AccountId,
		capacity: ContainerCapacity,
		verified: bool,
	) -> DispatchResult;
	/// The container went offline: it leaves scheduling (its score stays and keeps halving).
	fn container_offline(id: ContainerId);
	/// The container was removed for good (its id is never used again): it leaves scheduling
	/// and its record is deleted, so removed containers never count against
	/// [`Config::MaxContainers`].
	fn container_removed(id: ContainerId);
	/// A lease on container `id` ended with `outcome` (service contribution).
	fn lease_outcome(id: ContainerId, outcome: LeaseOutcome);
	/// An order demanded `spec` (one replica): a sample for σ's demand estimate.
	fn note_demand(spec: &ResourceSpec);
	/// Benchmarks: ends the reward period, so that the next heartbeat of a provider with a
	/// share settles it (the worst case of a heartbeat).
	#[cfg(feature = "runtime-benchmarks")]
	fn end_reward_period() {}
}

/// The scheduler the market asks for containers.
pub trait Scheduler {
	/// Up to `n` distinct online containers that cover `spec`, in weighted round-robin order
	/// over the score tiers. Advances the tier cursors.
	fn next_candidates(spec: &ResourceSpec, n: u32) -> Vec<ContainerId>;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Balanced, Inspect, Mutate},
			Contains,
		},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

	/// The container record of this runtime.
	pub type RecordOf<T> =
		ContainerRecord<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

	/// The storage version: 0, the layout this pallet launched with. A change of a stored
	/// type bumps it and ships a `VersionedMigration` (see pallet-market's `migrations`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// Who may set gradients, σ bounds, tiers, contribution points and reward parameters
		/// (root/governance).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The currency rewards are paid in (plancks, `u128`).
		type Currency: Mutate<Self::AccountId, Balance = u128> + Balanced<Self::AccountId>;

		/// The reward pool's account.
		#[pallet::constant]
		type PotId: Get<PalletId>;

		/// Chain contribution: recent voters (dpos).
		type Votes: VoteHistory<Self::AccountId>;

		/// Containers free to take a lease (the market's idle set); others are skipped by the
		/// scheduler.
		type Available: Contains<ContainerId>;

		/// `T`: every component of every score halves each time a multiple of this many
		/// blocks passes.
		#[pallet::constant]
		type HalvingPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks per heartbeat period: basic contribution accrues at most once per period.
		#[pallet::constant]
		type HeartbeatPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks per σ adjustment period (the demand sample window).
		#[pallet::constant]
		type AdjustmentPeriod: Get<BlockNumberFor<Self>>;

		/// `W` of Little's law: mean blocks a demanded unit stays in use.
		#[pallet::constant]
		type DemandHoldBlocks: Get<u32>;

		/// Most steps in a gradient table.
		#[pallet::constant]
		type MaxGradientSteps: Get<u32>;

		/// The number of scheduling tiers.
		#[pallet::constant]
		type Tiers: Get<u32>;

		/// Most containers PoC tracks.
		#[pallet::constant]
		type MaxContainers: Get<u32>;

		/// Most containers one scheduling call examines.
		#[pallet::constant]
		type MaxScan: Get<u32>;

		/// Weights of the calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// Gradient tables per resource.
	#[pallet::storage]
	pub type Gradients<T: Config> =
		StorageMap<_, Twox64Concat, Resource, Gradient<T::MaxGradientSteps>, ValueQuery>;

	/// σ per resource, with its bounds.
	#[pallet::storage]
	pub type Sigmas<T: Config> = StorageMap<_, Twox64Concat, Resource, Sigma, ValueQuery>;

	/// Points for lease outcomes and votes.
	#[pallet::storage]
	pub type Points<T: Config> = StorageValue<_, ContributionPoints, ValueQuery>;

	/// The scheduling tiers, best first.
	#[pallet::storage]
	pub type TierParams<T: Config> = StorageValue<_, BoundedVec<Tier, T::Tiers>, ValueQuery>;

	/// Every container PoC knows.
	#[pallet::storage]
	pub type Containers<T: Config> = CountedStorageMap<_, Twox64Concat, ContainerId, RecordOf<T>>;

	/// Online containers per tier, densely indexed `0..TierLen[tier]`.
	#[pallet::storage]
	pub type TierMembers<T: Config> =
		StorageDoubleMap<_, Twox64Concat, u8, Twox64Concat, u32, ContainerId>;

	/// The number of containers in each tier.
	#[pallet::storage]
	pub type TierLen<T: Config> = StorageMap<_, Twox64Concat, u8, u32, ValueQuery>;

	/// The next index each tier serves.
	#[pallet::storage]
	pub type TierCursor<T: Config> = StorageMap<_, Twox64Concat, u8, u32, ValueQuery>;

	/// Round-robin position: the tier being served and the picks it had this round.
	#[pallet::storage]
	pub type Round<T: Config> = StorageValue<_, (u8, u32), ValueQuery>;

	/// Online supply of each resource (Σ capacity of online containers).
	#[pallet::storage]
	pub type Supply<T: Config> = StorageValue<_, [u128; 4], ValueQuery>;

	/// Demand recorded in the current adjustment window.
	#[pallet::storage]
	pub type Demand<T: Config> = StorageValue<_, DemandWindow<BlockNumberFor<T>>, ValueQuery>;

	/// The last λ̂ per resource (millionths of a unit per block).
	#[pallet::storage]
	pub type Lambda<T: Config> = StorageValue<_, [u128; 4], ValueQuery>;

	/// Reward parameters (governance).
	#[pallet::storage]
	pub type Rewards<T: Config> = StorageValue<_, RewardParams, ValueQuery>;

	/// The index of the reward period being accumulated (one per staking era).
	#[pallet::storage]
	pub type RewardPeriod<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// The open reward period's pool and totals.
	#[pallet::storage]
	pub type Open<T: Config> = StorageValue<_, OpenPeriod, ValueQuery>;

	/// Ended reward periods with shares not settled yet (deleted with their last share).
	#[pallet::storage]
	pub type Closed<T: Config> = StorageMap<_, Twox64Concat, u32, ClosedPeriod>;

	/// Each provider's share of one period (the open one, or an ended one not settled yet).
	/// At most one per provider: a registered provider's entry, bounded by the registry's
	/// deposits.
	#[pallet::storage]
	pub type Shares<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, RewardShare>;

	/// Rewards credited to a provider and not claimed yet. They never expire.
	#[pallet::storage]
	pub type Owed<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u128, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Gradient tables per resource.
		pub gradients: Vec<(Resource, Vec<GradientStep>)>,
		/// σ and bounds per resource (default: σ = 1, bounds 0.1–10, step 0.05).
		pub sigmas: Vec<(Resource, Sigma)>,
		/// The tiers, best first (default: none; required when containers are given).
		pub tiers: Vec<Tier>,
		/// Containers online from genesis (test networks before providers register).
		pub containers: Vec<(ContainerId, T::AccountId, ContainerCapacity)>,
		/// Reward parameters (default: half the protocol fees, nothing for the basic
		/// contribution of unverified hardware).
		pub rewards: RewardParams,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (r, steps) in &self.gradients {
				scoring::validate_gradient(steps).expect("genesis gradient is valid");
				let steps = BoundedVec::try_from(steps.clone()).expect("genesis gradient fits");
				Gradients::<T>::insert(r, steps);
			}
			for (r, sigma) in &self.sigmas {
				assert!(sigma.min <= sigma.max && sigma.max_step > 0, "genesis σ bounds");
				Sigmas::<T>::insert(r, sigma);
			}
			if !self.tiers.is_empty() {
				schedule::validate_tiers(&self.tiers, T::Tiers::get()).expect("genesis tiers");
				TierParams::<T>::put(BoundedVec::truncate_from(self.tiers.clone()));
			}
			Rewards::<T>::put(self.rewards);
			// The pot exists from genesis, so rewards of any size can be paid into it.
			let pot = Pallet::<T>::pot();
			let ed = T::Currency::minimum_balance();
			if T::Currency::balance(&pot) < ed {
				let _ = T::Currency::mint_into(&pot, ed);
			}
			for (id, owner, capacity) in &self.containers {
				Pallet::<T>::do_online(*id, owner, *capacity, true).expect("genesis container");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A container accrued a period's contribution.
		Accrued { id: ContainerId, basic: u128, chain: u128, total: u128, tier: u8 },
		/// A lease outcome changed a container's service contribution.
		ServiceRecorded { id: ContainerId, outcome: LeaseOutcome, total: u128 },
		/// A container left scheduling.
		WentOffline { id: ContainerId },
		/// σ of `resource` moved from `old` to `new` given demand `lambda_micro` and `supply`.
		SigmaAdjusted {
			resource: Resource,
			old: u64,
			new: u64,
			lambda_micro: u128,
			supply: u128,
			target: u64,
		},
		/// A gradient table was replaced.
		GradientSet { resource: Resource, steps: u32 },
		/// σ bounds were replaced.
		SigmaBoundsSet { resource: Resource, sigma: Sigma },
		/// The tiers were replaced.
		TiersSet,
		/// The contribution points were replaced.
		PointsSet { points: ContributionPoints },
		/// A removed container's record was deleted.
		Removed { id: ContainerId },
		/// The reward parameters were replaced.
		RewardParamsSet { params: RewardParams },
		/// `amount` of protocol fees joined the open period's pool.
		PoolFunded { amount: u128 },
		/// Reward period `period` ended with `pool` to divide by `score_blocks`; `carried`
		/// (all of it when nobody earned) starts the next period's pool.
		PeriodClosed { period: u32, pool: u128, score_blocks: u128, carried: u128 },
		/// `who`'s share of period `period` was credited: `amount`.
		RewardCredited { who: T::AccountId, period: u32, amount: u128 },
		/// `who` was paid `amount` of rewards.
		RewardsClaimed { who: T::AccountId, amount: u128 },
		/// `amount` of the open pool was paid to `to` for work for the network (a hardware
		/// verifier's fee).
		PoolPaid { to: T::AccountId, amount: u128 },
		/// Container `id` lost `points` of chain contribution (its machine did not do its part
		/// as a hardware verifier); `total` is its score after.
		ChainPenalised { id: ContainerId, points: u128, total: u128 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A gradient table needs at least one step.
		EmptyGradient,
		/// Gradient thresholds must strictly increase.
		UnsortedGradient,
		/// Gradient points must not decrease.
		DecreasingPoints,
		/// σ bounds need `min ≤ value ≤ max` and a positive step.
		BadSigmaBounds,
		/// Tiers need exactly `Tiers` entries.
		WrongTierCount,
		/// Tier scores must strictly decrease to 0.
		BadTierThresholds,
		/// Every tier needs a weight ≥ 1.
		ZeroTierWeight,
		/// PoC tracks `MaxContainers` already.
		TooManyContainers,
		/// Tiers are not configured yet.
		NoTiers,
		/// The caller has no rewards to claim.
		NothingToClaim,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let period = T::AdjustmentPeriod::get();
			if !period.is_zero() && (now % period).is_zero() && !now.is_zero() {
				Self::adjust_sigmas(now);
				T::WeightInfo::on_initialize_adjust(T::MaxContainers::get())
			} else {
				T::WeightInfo::on_initialize_idle(T::MaxContainers::get())
			}
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}

		fn integrity_test() {
			assert!(!T::HeartbeatPeriod::get().is_zero(), "heartbeat period must be positive");
			assert!(
				T::HalvingPeriod::get() >= T::HeartbeatPeriod::get(),
				"scores must not halve more often than they accrue"
			);
			assert!(T::Tiers::get() > 0 && T::Tiers::get() <= u8::MAX as u32, "1–255 tiers");
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Replaces the gradient table of `resource`. Origin: [`Config::AdminOrigin`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_gradient(steps.len() as u32))]
		pub fn set_gradient(
			origin: OriginFor<T>,
			resource: Resource,
			steps: Gradient<T::MaxGradientSteps>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			scoring::validate_gradient(&steps).map_err(|e| match e {
				scoring::GradientError::Empty => Error::<T>::EmptyGradient,
				scoring::GradientError::Unsorted => Error::<T>::UnsortedGradient,
				scoring::GradientError::DecreasingPoints => Error::<T>::DecreasingPoints,
			})?;
			let n = steps.len() as u32;
			Gradients::<T>::insert(resource, steps);
			Self::deposit_event(Event::GradientSet { resource, steps: n });
			Ok(())
		}

		/// Replaces σ and its bounds for `resource`. Origin: [`Config::AdminOrigin`].
		#[pallet::call_index(1)]
		pub fn set_sigma_bounds(
			origin: OriginFor<T>,
			resource: Resource,
			sigma: Sigma,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(
				sigma.min <= sigma.value && sigma.value <= sigma.max && sigma.max_step > 0,
				Error::<T>::BadSigmaBounds
			);
			Sigmas::<T>::insert(resource, sigma);
			Self::deposit_event(Event::SigmaBoundsSet { resource, sigma });
			Ok(())
		}

		/// Replaces the scheduling tiers (best first). Containers move to their new tier at
		/// their next heartbeat. Origin: [`Config::AdminOrigin`].
		#[pallet::call_index(2)]
		pub fn set_tiers(
			origin: OriginFor<T>,
			tiers: BoundedVec<Tier, T::Tiers>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			schedule::validate_tiers(&tiers, T::Tiers::get()).map_err(|e| match e {
				schedule::TiersError::WrongCount => Error::<T>::WrongTierCount,
				schedule::TiersError::BadThresholds => Error::<T>::BadTierThresholds,
				schedule::TiersError::ZeroWeight => Error::<T>::ZeroTierWeight,
			})?;
			TierParams::<T>::put(tiers);
			Self::deposit_event(Event::TiersSet);
			Ok(())
		}

		/// Replaces the service and chain contribution points. Origin: [`Config::AdminOrigin`].
		#[pallet::call_index(3)]
		pub fn set_points(origin: OriginFor<T>, points: ContributionPoints) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Points::<T>::put(points);
			Self::deposit_event(Event::PointsSet { points });
			Ok(())
		}

		/// Pays the caller (signed: a provider) every reward credited to it, settling its
		/// share of ended periods first. Emits [`Event::RewardCredited`] (when a share settles)
		/// and [`Event::RewardsClaimed`]; [`Error::NothingToClaim`] when there is nothing.
		#[pallet::call_index(4)]
		pub fn claim_rewards(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim(&who)?;
			Ok(())
		}

		/// Replaces the reward parameters: the share of protocol fees for the pool and the
		/// share of basic contribution unverified hardware is rewarded for. Origin:
		/// [`Config::AdminOrigin`]. Emits [`Event::RewardParamsSet`].
		#[pallet::call_index(5)]
		pub fn set_reward_params(origin: OriginFor<T>, params: RewardParams) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Rewards::<T>::put(params);
			Self::deposit_event(Event::RewardParamsSet { params });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The current heartbeat period.
		pub fn period_of(now: BlockNumberFor<T>) -> u32 {
			let p = T::HeartbeatPeriod::get();
			if p.is_zero() {
				return now.unique_saturated_into();
			}
			(now / p).unique_saturated_into()
		}

		/// Current σ of every resource.
		pub fn sigma_values() -> [u64; 4] {
			Resource::ALL.map(|r| Sigmas::<T>::get(r).value)
		}

		/// One heartbeat period's basic contribution of `capacity` under the current tables.
		pub fn basic_of(capacity: &ContainerCapacity) -> u128 {
			let g = Resource::ALL.map(Gradients::<T>::get);
			let refs = [&g[0][..], &g[1][..], &g[2][..], &g[3][..]];
			scoring::basic_contribution(capacity, &refs, &Self::sigma_values())
		}

		/// `id`'s score brought up to the current block (halvings applied).
		pub fn score_now(id: ContainerId) -> Option<(RecordOf<T>, Score<BlockNumberFor<T>>)> {
			let record = Containers::<T>::get(id)?;
			let score = scoring::decay(
				record.score,
				frame_system::Pallet::<T>::block_number(),
				T::HalvingPeriod::get(),
			);
			Some((record, score))
		}

		/// The view the runtime API returns.
		pub fn score_view(id: ContainerId) -> Option<ScoreView<T::AccountId>> {
			let (record, score) = Self::score_now(id)?;
			Some(ScoreView {
				owner: record.owner,
				basic: score.basic,
				service: score.service,
				chain: score.chain,
				total: score.total(),
				tier: record.slot.map(|s| s.tier),
				capacity: record.capacity,
			})
		}

		/// σ of every resource with the last demand estimate and supply.
		pub fn sigma_views() -> Vec<SigmaView> {
			let lambda = Lambda::<T>::get();
			let supply = Supply::<T>::get();
			Resource::ALL
				.iter()
				.map(|r| SigmaView {
					resource: *r,
					sigma: Sigmas::<T>::get(r),
					lambda_micro: lambda[r.index()],
					supply: supply[r.index()],
				})
				.collect()
		}

		/// The tiers with their sizes.
		pub fn tier_views() -> Vec<TierView> {
			TierParams::<T>::get()
				.into_iter()
				.enumerate()
				.map(|(i, tier)| TierView { tier, size: TierLen::<T>::get(i as u8) })
				.collect()
		}

		/// Accrues a heartbeat (see [`ContributionHooks::container_online`]).
		pub fn do_online(
			id: ContainerId,
			owner: &T::AccountId,
			capacity: ContainerCapacity,
			verified: bool,
		) -> DispatchResult {
			let tiers = TierParams::<T>::get();
			ensure!(!tiers.is_empty(), Error::<T>::NoTiers);
			let now = frame_system::Pallet::<T>::block_number();
			let period = Self::period_of(now);
			let existing = Containers::<T>::get(id);
			let is_new = existing.is_none();
			if is_new {
				ensure!(
					Containers::<T>::count() < T::MaxContainers::get(),
					Error::<T>::TooManyContainers
				);
			}
			let mut record = existing.unwrap_or(ContainerRecord {
				owner: owner.clone(),
				capacity,
				score: Score { updated: now, ..Default::default() },
				last_period: 0,
				slot: None,
			});
			let accrue = is_new || record.last_period < period;

			// Supply follows the online capacity.
			if record.slot.is_some() {
				Self::change_supply(&record.capacity, false);
			}
			Self::change_supply(&capacity, true);
			record.owner = owner.clone();
			record.capacity = capacity;

			record.score = scoring::decay(record.score, now, T::HalvingPeriod::get());
			let (mut basic, mut chain) = (0, 0);
			if accrue {
				basic = Self::basic_of(&capacity);
				if T::Votes::voted_recently(owner) {
					chain = Points::<T>::get().chain as u128;
				}
				record.score.basic = record.score.basic.saturating_add(basic);
				record.score.chain = record.score.chain.saturating_add(chain);
				record.last_period = period;
			}
			let total = record.score.total();
			if accrue {
				Self::add_share(owner, Self::reward_score(&record.score, verified));
			}
			let tier = schedule::tier_of(total, &tiers);
			Self::place(id, &mut record, tier);
			Containers::<T>::insert(id, record);
			if basic > 0 || chain > 0 {
				Self::deposit_event(Event::Accrued { id, basic, chain, total, tier });
			}
			Ok(())
		}

		/// Takes `id` out of scheduling (see [`ContributionHooks::container_offline`]).
		pub fn do_offline(id: ContainerId) {
			let Some(mut record) = Containers::<T>::get(id) else { return };
			if record.slot.is_none() {
				return;
			}
			Self::unplace(&mut record);
			Self::change_supply(&record.capacity, false);
			Containers::<T>::insert(id, record);
			Self::deposit_event(Event::WentOffline { id });
		}

		/// Forgets `id` (see [`ContributionHooks::container_removed`]).
		pub fn do_remove(id: ContainerId) {
			Self::do_offline(id);
			if Containers::<T>::contains_key(id) {
				Containers::<T>::remove(id);
				Self::deposit_event(Event::Removed { id });
			}
		}

		/// Records a lease outcome (see [`ContributionHooks::lease_outcome`]).
		pub fn do_outcome(id: ContainerId, outcome: LeaseOutcome) {
			let Some(mut record) = Containers::<T>::get(id) else { return };
			let now = frame_system::Pallet::<T>::block_number();
			record.score = scoring::decay(record.score, now, T::HalvingPeriod::get());
			let p = Points::<T>::get();
			match outcome {
				LeaseOutcome::Completed { sla_met, rating } => {
					record.score.service = record.score.service.saturating_add(p.completed as u128);
					if !sla_met {
						scoring::penalise(&mut record.score, p.sla_missed as u128);
					}
					if let Some(r) = rating {
						scoring::rate(&mut record.score, r, p.rating_step as u128);
					}
				},
				LeaseOutcome::Failed => scoring::penalise(&mut record.score, p.failed as u128),
				LeaseOutcome::Rated(r) => {
					scoring::rate(&mut record.score, r, p.rating_step as u128)
				},
			}
			let total = record.score.total();
			if record.slot.is_some() {
				let tiers = TierParams::<T>::get();
				let tier = schedule::tier_of(total, &tiers);
				Self::place(id, &mut record, tier);
			}
			Containers::<T>::insert(id, record);
			Self::deposit_event(Event::ServiceRecorded { id, outcome, total });
		}

		/// Takes `points` of container `id`'s chain contribution (then of its basic one),
		/// re-tiering it. Unknown ids are ignored.
		pub fn do_chain_penalty(id: ContainerId, points: u128) {
			let Some(mut record) = Containers::<T>::get(id) else { return };
			let now = frame_system::Pallet::<T>::block_number();
			record.score = scoring::decay(record.score, now, T::HalvingPeriod::get());
			let from_chain = points.min(record.score.chain);
			record.score.chain -= from_chain;
			record.score.basic = record.score.basic.saturating_sub(points - from_chain);
			let total = record.score.total();
			if record.slot.is_some() {
				let tier = schedule::tier_of(total, &TierParams::<T>::get());
				Self::place(id, &mut record, tier);
			}
			Containers::<T>::insert(id, record);
			Self::deposit_event(Event::ChainPenalised { id, points, total });
		}

		/// Adds `spec` to the demand window.
		pub fn do_note_demand(spec: &ResourceSpec) {
			Demand::<T>::mutate(|d| {
				for r in Resource::ALL {
					d.units[r.index()] = d.units[r.index()].saturating_add(spec.get(r) as u128);
				}
			});
		}

		/// The σ adjustment at the end of a window: λ̂ = sample mean, bounded step toward
		/// `λ̂ × W / supply`. Constant work (four resources).
		pub fn adjust_sigmas(now: BlockNumberFor<T>) {
			let window = Demand::<T>::take();
			let blocks: u32 = now.saturating_sub(window.started).unique_saturated_into();
			let supply = Supply::<T>::get();
			let mut lambda = [0u128; 4];
			for r in Resource::ALL {
				let i = r.index();
				lambda[i] = coefficients::lambda_micro(window.units[i], blocks);
				let mut sigma = Sigmas::<T>::get(r);
				let target =
					coefficients::target(lambda[i], T::DemandHoldBlocks::get(), supply[i], &sigma);
				let old = sigma.value;
				sigma.value = coefficients::step(&sigma, target);
				Sigmas::<T>::insert(r, sigma);
				Self::deposit_event(Event::SigmaAdjusted {
					resource: r,
					old,
					new: sigma.value,
					lambda_micro: lambda[i],
					supply: supply[i],
					target,
				});
			}
			Lambda::<T>::put(lambda);
			Demand::<T>::put(DemandWindow { units: [0; 4], started: now });
		}

		/// Weighted round robin over the tiers (see [`Scheduler::next_candidates`]).
		pub fn do_next_candidates(spec: &ResourceSpec, n: u32) -> Vec<ContainerId> {
			let tiers = TierParams::<T>::get();
			let mut picks: Vec<ContainerId> = Vec::new();
			if tiers.is_empty() || n == 0 {
				return picks;
			}
			let k = tiers.len() as u8;
			let lens: Vec<u32> = (0..k).map(TierLen::<T>::get).collect();
			if lens.iter().all(|l| *l == 0) {
				return picks;
			}
			let now_period = Self::period_of(frame_system::Pallet::<T>::block_number());
			let (mut tier, mut served) = Round::<T>::get();
			// `examined` is bounded by MaxScan; tier switches by 2·k between two examinations.
			let (mut examined, mut switches) = (0u32, 0u32);
			while (picks.len() as u32) < n && examined < T::MaxScan::get() {
				tier %= k;
				let len = TierLen::<T>::get(tier);
				if len == 0 || served >= tiers[tier as usize].weight {
					switches += 1;
					if switches > 2 * k as u32 {
						break;
					}
					tier = (tier + 1) % k;
					served = 0;
					continue;
				}
				switches = 0;
				examined += 1;
				let cursor = TierCursor::<T>::get(tier) % len;
				TierCursor::<T>::insert(tier, (cursor + 1) % len);
				served += 1;
				let Some(id) = TierMembers::<T>::get(tier, cursor) else { continue };
				let Some(record) = Containers::<T>::get(id) else { continue };
				// Lazily drop containers whose heartbeats stopped for more than a period.
				if now_period.saturating_sub(record.last_period) > 1 {
					Self::do_offline(id);
					continue;
				}
				if record.capacity.spec.covers(spec)
					&& T::Available::contains(&id)
					&& !picks.contains(&id)
				{
					picks.push(id);
				}
			}
			Round::<T>::put((tier, served));
			picks
		}

		fn change_supply(capacity: &ContainerCapacity, add: bool) {
			Supply::<T>::mutate(|s| {
				for r in Resource::ALL {
					let v = capacity.spec.get(r) as u128;
					s[r.index()] = if add {
						s[r.index()].saturating_add(v)
					} else {
						s[r.index()].saturating_sub(v)
					};
				}
			});
		}

		/// Puts `id` in `tier` (moving it out of its old tier first).
		pub(crate) fn place(id: ContainerId, record: &mut RecordOf<T>, tier: u8) {
			if record.slot.map(|s| s.tier) == Some(tier) {
				return;
			}
			Self::unplace(record);
			let index = TierLen::<T>::get(tier);
			TierMembers::<T>::insert(tier, index, id);
			TierLen::<T>::insert(tier, index.saturating_add(1));
			record.slot = Some(Slot { tier, index });
		}

		/// Removes `record` from its tier by swapping the tier's last member into its place.
		fn unplace(record: &mut RecordOf<T>) {
			let Some(Slot { tier, index }) = record.slot.take() else { return };
			let last = TierLen::<T>::get(tier).saturating_sub(1);
			if index != last {
				if let Some(moved) = TierMembers::<T>::get(tier, last) {
					TierMembers::<T>::insert(tier, index, moved);
					Containers::<T>::mutate(moved, |m| {
						if let Some(m) = m {
							m.slot = Some(Slot { tier, index });
						}
					});
				}
			}
			TierMembers::<T>::remove(tier, last);
			TierLen::<T>::insert(tier, last);
		}

		/// Checks the pallet's invariants (try-runtime's `try_state`, the tests and the
		/// runtime fuzzer).
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let mut supply = [0u128; 4];
			let mut online = 0u32;
			for (id, record) in Containers::<T>::iter() {
				if let Some(slot) = record.slot {
					online += 1;
					ensure!(
						TierMembers::<T>::get(slot.tier, slot.index) == Some(id),
						"slot does not point back to the container"
					);
					for r in Resource::ALL {
						supply[r.index()] += record.capacity.spec.get(r) as u128;
					}
				}
			}
			let members: u32 = TierParams::<T>::get()
				.iter()
				.enumerate()
				.map(|(i, _)| TierLen::<T>::get(i as u8))
				.sum();
			ensure!(members == online, "tier sizes differ from online containers");
			ensure!(Supply::<T>::get() == supply, "supply differs from online capacity");
			for r in Resource::ALL {
				let s = Sigmas::<T>::get(r);
				ensure!(s.min <= s.value && s.value <= s.max, "σ outside its bounds");
			}
			Self::try_state_rewards()
		}
	}

	impl<T: Config> ContributionHooks<T::AccountId> for Pallet<T> {
		fn container_online(
			id: ContainerId,
			owner: &T::AccountId,
			capacity: ContainerCapacity,
			verified: bool,
		) -> DispatchResult {
			Self::do_online(id, owner, capacity, verified)
		}
		fn container_offline(id: ContainerId) {
			Self::do_offline(id)
		}
		fn container_removed(id: ContainerId) {
			Self::do_remove(id)
		}
		fn lease_outcome(id: ContainerId, outcome: LeaseOutcome) {
			Self::do_outcome(id, outcome)
		}
		fn note_demand(spec: &ResourceSpec) {
			Self::do_note_demand(spec)
		}
		#[cfg(feature = "runtime-benchmarks")]
		fn end_reward_period() {
			Self::close_period(0)
		}
	}

	impl<T: Config> Scheduler for Pallet<T> {
		fn next_candidates(spec: &ResourceSpec, n: u32) -> Vec<ContainerId> {
			Self::do_next_candidates(spec, n)
		}
	}
}
