//! Benchmarks of `pallet-registry`: every call at its worst case (longest strings, fullest
//! machines) and the offline sweep with every checked machine going offline.

use super::*;
use crate::pallet::{BalanceOf, Containers, Images, Machines, Pallet as Registry, Providers};
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, EnsureOrigin, Get, Hooks},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::traits::{Bounded, One, Saturating};

const SEED: u32 = 0;

/// A funded account.
fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account(name, i, SEED);
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
	who
}

/// A string of `n` bytes.
fn text<S: Get<u32>>(n: u32) -> BoundedVec<u8, S> {
	BoundedVec::truncate_from(vec![b'x'; n as usize])
}

/// Metadata with every string and label at its maximum length.
fn full_meta<T: Config>() -> MetaOf<T> {
	let max = T::MaxText::get();
	ProviderMeta {
		name: text(max),
		region: text(max),
		labels: BoundedVec::truncate_from(vec![text(max); T::MaxLabels::get() as usize]),
	}
}

/// A large profile: room for `MaxContainersPerMachine` containers of [`slice`].
fn big_profile<T: Config>() -> ProfileOf<T> {
	let max = T::MaxText::get();
	HardwareProfile {
		cpu_model: text(max),
		arch: text(max),
		logical_cores: 1_024,
		cpu_mhz: 3_000,
		memory_bytes: 1 << 50,
		storage_bytes: 1 << 55,
		uplink_bps: 1 << 40,
	}
}

/// One container's slice.
fn slice() -> ResourceSpec {
	ResourceSpec {
		cpu_millicores: 1_000,
		memory_bytes: 1 << 30,
		storage_bytes: 10 << 30,
		bandwidth_bps: 1_000_000,
	}
}

/// A provider with one machine holding `containers` containers; returns (owner, machine).
fn machine_with<T: Config>(i: u32, containers: u32) -> (T::AccountId, MachineId)
where
	T::Currency: Mutate<T::AccountId>,
{
	let who = funded::<T>("provider", i);
	if !Providers::<T>::contains_key(&who) {
		Registry::<T>::register_provider(RawOrigin::Signed(who.clone()).into(), full_meta::<T>())
			.expect("provider registers");
	}
	let id = NextMachineId::<T>::get();
	Registry::<T>::register_machine(RawOrigin::Signed(who.clone()).into(), big_profile::<T>())
		.expect("machine registers");
	for _ in 0..containers {
		Registry::<T>::add_container(RawOrigin::Signed(who.clone()).into(), id, slice())
			.expect("container fits");
	}
	(who, id)
}

/// Publishes a maximal image as `who`; returns its digest.
fn image<T: Config>(who: &T::AccountId) -> ImageDigest {
	let digest = [7u8; 32];
	let max = T::MaxImageRef::get();
	Registry::<T>::publish_image(
		RawOrigin::Signed(who.clone()).into(),
		text(max),
		text(max),
		digest,
		1 << 20,
		slice(),
		1_000u32.into(),
	)
	.expect("image publishes");
	digest
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_provider() {
		let who = funded::<T>("provider", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), full_meta::<T>());
		assert!(Providers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn update_provider() -> Result<(), BenchmarkError> {
		let who = funded::<T>("provider", 0);
		let mut meta = full_meta::<T>();
		Registry::<T>::register_provider(RawOrigin::Signed(who.clone()).into(), meta.clone())?;
		meta.name = text(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), meta.clone());
		assert_eq!(Providers::<T>::get(&who).map(|p| p.meta), Some(meta));
		Ok(())
	}

	#[benchmark]
	fn deregister_provider() -> Result<(), BenchmarkError> {
		let who = funded::<T>("provider", 0);
		Registry::<T>::register_provider(RawOrigin::Signed(who.clone()).into(), full_meta::<T>())?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(Providers::<T>::get(&who).is_some_and(|p| p.leaving_at.is_some()));
		Ok(())
	}

	#[benchmark]
	fn withdraw_provider() -> Result<(), BenchmarkError> {
		let who = funded::<T>("provider", 0);
		Registry::<T>::register_provider(RawOrigin::Signed(who.clone()).into(), full_meta::<T>())?;
		Registry::<T>::deregister_provider(RawOrigin::Signed(who.clone()).into())?;
		let later = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::CoolDown::get())
			.saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(later);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Providers::<T>::contains_key(&who));
		Ok(())
	}

	#[benchmark]
	fn register_machine() -> Result<(), BenchmarkError> {
		let who = funded::<T>("provider", 0);
		Registry::<T>::register_provider(RawOrigin::Signed(who.clone()).into(), full_meta::<T>())?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), big_profile::<T>());
		assert_eq!(Registry::<T>::machines_of(&who).len(), 1);
		Ok(())
	}

	/// A machine full of containers: every one is read to check the new profile covers them.
	#[benchmark]
	fn update_machine() {
		let (who, id) = machine_with::<T>(0, T::MaxContainersPerMachine::get());
		let mut profile = big_profile::<T>();
		profile.cpu_mhz = 3_100;
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id, profile);
		assert_eq!(Machines::<T>::get(id).map(|m| m.version), Some(2));
	}

	#[benchmark]
	fn remove_machine(c: Linear<0, { T::MaxContainersPerMachine::get() }>) {
		let (who, id) = machine_with::<T>(0, c);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id);
		assert!(!Machines::<T>::contains_key(id));
	}

	/// The last container that fits: every other one is read to sum the allocation.
	#[benchmark]
	fn add_container() {
		let (who, id) = machine_with::<T>(0, T::MaxContainersPerMachine::get() - 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id, slice());
		assert_eq!(
			Machines::<T>::get(id).map(|m| m.containers.len() as u32),
			Some(T::MaxContainersPerMachine::get())
		);
	}

	#[benchmark]
	fn remove_container() -> Result<(), BenchmarkError> {
		let (who, id) = machine_with::<T>(0, T::MaxContainersPerMachine::get());
		let cid = Machines::<T>::get(id)
			.and_then(|m| m.containers.last().copied())
			.ok_or(BenchmarkError::Stop("no container"))?;
		#[extrinsic_call]
		_(RawOrigin::Signed(who), cid);
		assert!(!Containers::<T>::contains_key(cid));
		Ok(())
	}

	/// A heartbeat reporting `c` containers to PoC.
	#[benchmark]
	fn heartbeat(c: Linear<0, { T::MaxContainersPerMachine::get() }>) {
		let (who, id) = machine_with::<T>(0, c);
		// The containers' first heartbeats gave the provider a reward share; the period ends,
		// so this heartbeat settles it (PoC's worst case).
		<T::Contribution as pallet_poc::ContributionHooks<T::AccountId>>::end_reward_period();
		// Verified hardware: every container's basic contribution counts for rewards.
		let version = Machines::<T>::get(id).map(|m| m.version).unwrap_or(1);
		crate::pallet::VerifiedMachines::<T>::insert(id, version);
		// A heartbeat timeout later (≥ PoC's heartbeat period in the runtime): every container
		// accrues a new period, the worst case of PoC's `container_online`.
		let later = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::MinHeartbeatInterval::get())
			.saturating_add(T::HeartbeatTimeout::get());
		frame_system::Pallet::<T>::set_block_number(later);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id);
		assert_eq!(Machines::<T>::get(id).map(|m| m.last_heartbeat), Some(later));
	}

	/// The sweep checking `n` machines, each full of containers and timing out.
	#[benchmark]
	fn sweep(n: Linear<1, { T::SweepPerBlock::get() }>) {
		let per_provider = T::MaxMachinesPerProvider::get().max(1);
		for i in 0..n {
			machine_with::<T>(i / per_provider, T::MaxContainersPerMachine::get());
		}
		SweepCursor::<T>::put(0);
		let later: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::HeartbeatTimeout::get())
			.saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(later);
		#[block]
		{
			Registry::<T>::on_initialize(later);
		}
		assert!((0..n as u64).all(|id| Machines::<T>::get(id).is_some_and(|m| !m.online)));
	}

	#[benchmark]
	fn publish_image() {
		let who = funded::<T>("publisher", 0);
		let max = T::MaxImageRef::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(who), text(max), text(max), [1u8; 32], 1 << 20, slice(), 5u32.into());
		assert!(Images::<T>::contains_key([1u8; 32]));
	}

	#[benchmark]
	fn set_image_fee() {
		let who = funded::<T>("publisher", 0);
		let digest = image::<T>(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), digest, 9u32.into());
		assert_eq!(Images::<T>::get(digest).map(|i| i.fee), Some(9u32.into()));
	}

	#[benchmark]
	fn verify_image() -> Result<(), BenchmarkError> {
		let who = funded::<T>("publisher", 0);
		let digest = image::<T>(&who);
		let origin =
			T::VerifierOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, digest, true);
		assert!(Registry::<T>::leasable_image(&digest).is_ok());
		Ok(())
	}

	#[benchmark]
	fn remove_image() {
		let who = funded::<T>("publisher", 0);
		let digest = image::<T>(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), digest);
		assert!(!Images::<T>::contains_key(digest));
	}

	#[benchmark]
	fn set_hardware_verified() -> Result<(), BenchmarkError> {
		let (_, id) = machine_with::<T>(0, 0);
		let origin =
			T::HardwareOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id, true);
		assert!(VerifiedMachines::<T>::contains_key(id));
		Ok(())
	}

	#[benchmark]
	fn set_gateway() -> Result<(), BenchmarkError> {
		let who = funded::<T>("provider", 0);
		Registry::<T>::register_provider(RawOrigin::Signed(who.clone()).into(), full_meta::<T>())?;
		// The longest URL the bound allows.
		let mut url = b"https://".to_vec();
		url.resize(T::MaxText::get() as usize, b'x');
		let gateway = Gateway { url: BoundedVec::truncate_from(url), tls_sha256: [7; 32] };
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Some(gateway.clone()));
		assert_eq!(Gateways::<T>::get(&who), Some(gateway));
		Ok(())
	}

	impl_benchmark_test_suite!(Registry, crate::mock::new_test_ext(), crate::mock::Test);
}
