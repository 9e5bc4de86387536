//! Benchmarks of `pallet-poc`: every call and every hook, with `c` = containers already known
//! (100 … 100,000) to show that per-call and per-block work does not grow with `c`.

use super::*;
use crate::pallet::{
	Closed, Containers, Demand, Open, Owed, Pallet as Poc, RewardPeriod, Shares, Sigmas,
	TierCursor, TierLen, TierMembers, TierParams,
};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, EnsureOrigin, Get, Hooks},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::traits::{One, Zero};

/// A capacity that scores in every gradient step table used here.
fn capacity(scale: u32) -> ContainerCapacity {
	ContainerCapacity {
		spec: ResourceSpec {
			cpu_millicores: 1_000 * scale,
			memory_bytes: (scale as u64) << 30,
			storage_bytes: (scale as u64) << 33,
			bandwidth_bps: scale as u64 * 10_000_000,
		},
		cpu_mhz: 2_500,
	}
}

/// Worst-case tables: `MaxGradientSteps` steps per resource, `Tiers` tiers.
fn configure<T: Config>() {
	let steps = T::MaxGradientSteps::get();
	for r in Resource::ALL {
		let table: Vec<GradientStep> = (0..steps)
			.map(|i| GradientStep { threshold: 1u64 << (i * 2), points: i + 1 })
			.collect();
		Gradients::<T>::insert(r, BoundedVec::truncate_from(table));
	}
	let k = T::Tiers::get();
	let tiers: Vec<Tier> = (0..k)
		.map(|i| Tier {
			min_score: if i + 1 == k { 0 } else { 1u128 << (40 - i * 8) },
			weight: k - i,
		})
		.collect();
	TierParams::<T>::put(BoundedVec::truncate_from(tiers));
}

/// Inserts `c` online containers spread over the tiers, ids `1_000_000..`.
fn populate<T: Config>(c: u32) {
	let k = T::Tiers::get() as u8;
	let owner: T::AccountId = account("provider", 0, 0);
	for i in 0..c {
		let id = 1_000_000 + i as ContainerId;
		let tier = (i % k as u32) as u8;
		let index = TierLen::<T>::get(tier);
		TierMembers::<T>::insert(tier, index, id);
		TierLen::<T>::insert(tier, index + 1);
		Containers::<T>::insert(
			id,
			ContainerRecord {
				owner: owner.clone(),
				capacity: capacity(1),
				score: Score::default(),
				last_period: 0,
				slot: Some(Slot { tier, index }),
			},
		);
	}
}

/// A container in the lowest tier, not at the end of it, with an old period (so the next
/// heartbeat accrues and moves it up: the worst case of `container_online`).
fn target_container<T: Config>(c: u32) -> ContainerId {
	let _ = c;
	let k = T::Tiers::get() as u8;
	let low = k - 1;
	TierMembers::<T>::get(low, 0).expect("populated")
}

/// `who` holds the last unsettled share of an ended period (settling it credits the share and
/// deletes the book, carrying the dust): the worst case of settling.
fn ended_share<T: Config>(who: &T::AccountId) {
	let period = RewardPeriod::<T>::get();
	Shares::<T>::insert(who, RewardShare { period, score_blocks: 1_000 });
	Open::<T>::put(OpenPeriod { pool: 0, score_blocks: 3_000, shares: 1 });
	let pool = 1_000_000_000u128;
	let pot = Poc::<T>::pot();
	let ed =
		<T::Currency as frame_support::traits::fungible::Inspect<T::AccountId>>::minimum_balance();
	let _ = T::Currency::mint_into(&pot, pool.saturating_add(ed));
	Poc::<T>::close_period(0);
	Closed::<T>::mutate(period, |b| {
		if let Some(b) = b {
			b.pool = pool;
		}
	});
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_gradient(n: Linear<1, { T::MaxGradientSteps::get() }>) -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let table: Vec<GradientStep> =
			(0..n).map(|i| GradientStep { threshold: i as u64 * 10, points: i }).collect();
		let table = BoundedVec::truncate_from(table);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, Resource::Memory, table);

		assert_eq!(Gradients::<T>::get(Resource::Memory).len() as u32, n);
		Ok(())
	}

	#[benchmark]
	fn set_sigma_bounds() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let sigma = Sigma { value: 2 * SIGMA_ONE, min: SIGMA_ONE, max: 3 * SIGMA_ONE, max_step: 1 };

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, Resource::Cpu, sigma);

		assert_eq!(Sigmas::<T>::get(Resource::Cpu), sigma);
		Ok(())
	}

	#[benchmark]
	fn set_tiers() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		configure::<T>();
		let tiers = TierParams::<T>::get();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, tiers);

		Ok(())
	}

	#[benchmark]
	fn set_points() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, ContributionPoints::default());

		Ok(())
	}

	/// A block without σ adjustment.
	#[benchmark]
	fn on_initialize_idle(c: Linear<100, 100_000>) {
		configure::<T>();
		populate::<T>(c);
		let now: BlockNumberFor<T> = T::AdjustmentPeriod::get() + One::one();

		#[block]
		{
			Poc::<T>::on_initialize(now);
		}
	}

	/// A block adjusting σ of all four resources.
	#[benchmark]
	fn on_initialize_adjust(c: Linear<100, 100_000>) {
		configure::<T>();
		populate::<T>(c);
		Poc::<T>::do_note_demand(&capacity(3).spec);
		let now: BlockNumberFor<T> = T::AdjustmentPeriod::get();
		assert!(!now.is_zero());

		#[block]
		{
			Poc::<T>::on_initialize(now);
		}

		assert_eq!(Demand::<T>::get().started, now);
	}

	/// A heartbeat that accrues, changes capacity and moves the container to another tier.
	#[benchmark]
	fn container_online(c: Linear<100, 100_000>) -> Result<(), BenchmarkError> {
		configure::<T>();
		populate::<T>(c);
		let id = target_container::<T>(c);
		let owner: T::AccountId = account("provider", 0, 0);
		// Make it score high enough for the best tier.
		Containers::<T>::mutate(id, |r| {
			if let Some(r) = r {
				r.score.service = 1u128 << 50;
			}
		});
		frame_system::Pallet::<T>::set_block_number(T::HeartbeatPeriod::get() * 2u32.into());
		// Its owner's share of an ended period settles now.
		ended_share::<T>(&owner);

		#[block]
		{
			Poc::<T>::do_online(id, &owner, capacity(4), false)?;
		}

		assert!(Owed::<T>::get(&owner) > 0);
		assert_eq!(Shares::<T>::get(&owner).map(|s| s.period), Some(RewardPeriod::<T>::get()));

		assert_eq!(Containers::<T>::get(id).and_then(|r| r.slot).map(|s| s.tier), Some(0));
		Ok(())
	}

	#[benchmark]
	fn container_offline(c: Linear<100, 100_000>) {
		configure::<T>();
		populate::<T>(c);
		let id = target_container::<T>(c);

		#[block]
		{
			Poc::<T>::do_offline(id);
		}

		assert!(Containers::<T>::get(id).and_then(|r| r.slot).is_none());
	}

	#[benchmark]
	fn lease_outcome(c: Linear<100, 100_000>) {
		configure::<T>();
		populate::<T>(c);
		let id = target_container::<T>(c);
		Containers::<T>::mutate(id, |r| {
			if let Some(r) = r {
				r.score.service = 1u128 << 50;
			}
		});

		#[block]
		{
			Poc::<T>::do_outcome(id, LeaseOutcome::Completed { sla_met: false, rating: Some(5) });
		}
	}

	#[benchmark]
	fn note_demand() {
		let spec = capacity(2).spec;

		#[block]
		{
			Poc::<T>::do_note_demand(&spec);
		}
	}

	/// Picks for `n` where nothing fits until the last examined container: `MaxScan` steps.
	#[benchmark]
	fn next_candidates(n: Linear<1, 16>, c: Linear<100, 100_000>) {
		configure::<T>();
		populate::<T>(c);
		// Nothing fits: the scheduler walks all `MaxScan` examinations (its worst case).
		let big = ResourceSpec { cpu_millicores: u32::MAX, ..capacity(1).spec };
		let picks;

		#[block]
		{
			picks = Poc::<T>::do_next_candidates(&big, n);
		}

		assert!(picks.is_empty());
		assert!(TierCursor::<T>::iter().count() > 0);
	}

	/// A claim that first settles the caller's share of an ended period (the last one of its
	/// book) and pays it.
	#[benchmark]
	fn claim_rewards() {
		let who: T::AccountId = whitelisted_caller();
		let ed = <T::Currency as frame_support::traits::fungible::Inspect<T::AccountId>>::minimum_balance();
		let _ = T::Currency::mint_into(&who, ed);
		ended_share::<T>(&who);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(Owed::<T>::get(&who), 0);
		assert!(Closed::<T>::iter().next().is_none());
	}

	#[benchmark]
	fn set_reward_params() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let params = RewardParams {
			fee_share: sp_runtime::Perbill::from_percent(30),
			unverified_basic: sp_runtime::Perbill::from_percent(10),
		};

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		assert_eq!(crate::pallet::Rewards::<T>::get(), params);
		Ok(())
	}

	/// The end of a reward period with shares (a book is written).
	#[benchmark]
	fn close_period() {
		Open::<T>::put(OpenPeriod { pool: 1_000, score_blocks: 1_000, shares: 10 });
		let period = RewardPeriod::<T>::get();

		#[block]
		{
			Poc::<T>::close_period(5_000);
		}

		assert_eq!(Closed::<T>::get(period).map(|b| b.pool), Some(6_000));
	}

	impl_benchmark_test_suite!(Poc, crate::mock::new_test_ext(), crate::mock::Test);
}
