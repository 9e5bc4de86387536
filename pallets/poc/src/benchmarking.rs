//! Benchmarks of `pallet-poc`: every call and every hook, with `c` = containers already known
//! (100 … 100,000) to show that per-call and per-block work does not grow with `c`.

use super::*;
use crate::pallet::{
	Containers, Demand, Pallet as Poc, Sigmas, TierCursor, TierLen, TierMembers, TierParams,
};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get, Hooks},
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
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

		#[block]
		{
			Poc::<T>::do_online(id, &owner, capacity(4))?;
		}

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

	impl_benchmark_test_suite!(Poc, crate::mock::new_test_ext(), crate::mock::Test);
}
