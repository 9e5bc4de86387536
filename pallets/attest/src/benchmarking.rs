//! Benchmarks of `pallet-attest`: every call and hook step at its worst case: the most lanes
//! revealed, every verifier and container touched by a judgement that fails the machine, the
//! longest walk.

use super::*;
use crate::pallet::{Challenges, Due, Queue};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use pallet_registry::{
	BalanceOf, HardwareProfile, MachineId, Pallet as Registry, ProfileOf, ProviderMeta,
};
use sp_runtime::traits::{Bounded, Saturating};
use uranus_primitives::compute::ResourceSpec;

const SEED: u32 = 0;
const GIB: u64 = 1 << 30;

/// A funded provider account `i`, registered.
fn provider<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("provider", i, SEED);
	<T as pallet_registry::Config>::Currency::set_balance(
		&who,
		BalanceOf::<T>::max_value() / 1_000_000u32.into(),
	);
	if pallet_registry::Providers::<T>::get(&who).is_none() {
		let meta = ProviderMeta {
			name: BoundedVec::truncate_from(b"bench".to_vec()),
			region: BoundedVec::truncate_from(b"eu".to_vec()),
			labels: BoundedVec::new(),
		};
		Registry::<T>::register_provider(RawOrigin::Signed(who.clone()).into(), meta)
			.expect("provider registers");
	}
	who
}

fn profile<T: Config>(cores: u32, memory: u64) -> ProfileOf<T> {
	HardwareProfile {
		cpu_model: BoundedVec::truncate_from(b"bench".to_vec()),
		arch: BoundedVec::truncate_from(b"x86_64".to_vec()),
		logical_cores: cores,
		cpu_mhz: 3_000,
		memory_bytes: memory,
		storage_bytes: 1 << 40,
		uplink_bps: 1 << 30,
	}
}

/// A machine of `who` with `cores` cores (one lane each, 1 GiB lanes) and `containers`
/// small containers.
fn machine<T: Config>(who: &T::AccountId, cores: u32, containers: u32) -> MachineId {
	let id = pallet_registry::NextMachineId::<T>::get();
	Registry::<T>::register_machine(
		RawOrigin::Signed(who.clone()).into(),
		profile::<T>(cores, 2 * GIB * cores as u64 + 16 * GIB),
	)
	.expect("machine registers");
	let slice = ResourceSpec {
		cpu_millicores: 10,
		memory_bytes: 64 << 20,
		storage_bytes: 1 << 20,
		bandwidth_bps: 1,
	};
	for _ in 0..containers {
		Registry::<T>::add_container(RawOrigin::Signed(who.clone()).into(), id, slice)
			.expect("container fits");
	}
	id
}

/// Funds the PoC pool so verifier fees are paid.
fn fund_pool<T: Config>() {
	let pot = pallet_poc::Pallet::<T>::pot();
	<T as pallet_poc::Config>::Currency::set_balance(&pot, u64::MAX as u128);
	pallet_poc::Open::<T>::mutate(|o| o.pool = u64::MAX as u128 / 2);
}

/// Opens a challenge of a machine with `lanes` lanes and `containers` containers, verified by
/// `verifiers` machines with `containers` containers each. Returns its id.
fn open_challenge<T: Config>(lanes: u32, verifiers: u32, containers: u32) -> ChallengeId {
	fund_pool::<T>();
	let owner = provider::<T>(0);
	let challenged = machine::<T>(&owner, lanes.max(containers), containers);
	for i in 1..=verifiers {
		let who = provider::<T>(i);
		let m = machine::<T>(&who, 2, containers);
		pallet_registry::Pallet::<T>::mark_verified(m, 1);
	}
	Queue::<T>::put(BoundedVec::truncate_from(vec![challenged]));
	let now = frame_system::Pallet::<T>::block_number().saturating_add(1u32.into());
	frame_system::Pallet::<T>::set_block_number(now);
	let id = pallet::NextChallengeId::<T>::get();
	Pallet::<T>::selection(now);
	assert!(Challenges::<T>::contains_key(id), "the challenge started");
	id
}

/// Reports challenge `id`'s probe and runs the hook to the lanes' seed (two blocks later).
fn probe_and_seed<T: Config>(id: ChallengeId) {
	let provider = Challenges::<T>::get(id).expect("open").provider;
	Pallet::<T>::probe(RawOrigin::Signed(provider).into(), id).expect("probes");
	let at = frame_system::Pallet::<T>::block_number().saturating_add(2u32.into());
	frame_system::Pallet::<T>::set_block_number(at);
	Pallet::<T>::advance_due(at);
	assert!(Challenges::<T>::get(id).expect("open").seeded_at.is_some(), "seeded");
}

/// A challenge with `lanes` lanes and one verifier, its lanes seeded.
fn seeded_challenge<T: Config>(lanes: u32) -> ChallengeId {
	let id = open_challenge::<T>(lanes, T::Verifiers::get(), 1);
	probe_and_seed::<T>(id);
	id
}

fn lanes_of(n: u32) -> LanesOf {
	BoundedVec::truncate_from((0..n).map(|i| [i as u8; 32]).collect::<Vec<_>>())
}

/// Commits and reveals lanes for challenge `id`, running the hook to the picks.
fn commit_and_reveal<T: Config>(id: ChallengeId) {
	probe_and_seed::<T>(id);
	let c = Challenges::<T>::get(id).expect("open");
	let lanes = lanes_of(c.lanes);
	let commitment = uranus_primitives::challenge::commitment(&c.seed, &lanes);
	Pallet::<T>::commit(RawOrigin::Signed(c.provider.clone()).into(), id, commitment)
		.expect("commits");
	let at = frame_system::Pallet::<T>::block_number().saturating_add(2u32.into());
	frame_system::Pallet::<T>::set_block_number(at);
	Pallet::<T>::advance_due(at);
	Pallet::<T>::reveal(RawOrigin::Signed(c.provider).into(), id, lanes).expect("reveals");
}

/// The verdicts of a failing machine: all invalid but the last verifier's, who dissents
/// (with more than two verifiers), so every kind of payment and slash happens.
fn verdict(i: usize, n: usize) -> Verdict {
	if n > 2 && i == n - 1 {
		Verdict::Valid
	} else {
		Verdict::Invalid
	}
}

/// Seals every verifier's verdict and reveals all but the last `unrevealed`.
fn verdicts<T: Config>(id: ChallengeId, unrevealed: usize) -> Vec<VerifierSlot<T::AccountId>> {
	let c = Challenges::<T>::get(id).expect("open");
	let n = c.verifiers.len();
	for (i, v) in c.verifiers.iter().enumerate() {
		let seal = verdict_seal(id, v.machine, verdict(i, n), &[i as u8; 32]);
		Pallet::<T>::seal_verdict(RawOrigin::Signed(v.owner.clone()).into(), id, seal)
			.expect("seals");
	}
	for (i, v) in c.verifiers.iter().enumerate().take(n - unrevealed) {
		Pallet::<T>::reveal_verdict(
			RawOrigin::Signed(v.owner.clone()).into(),
			id,
			verdict(i, n),
			[i as u8; 32],
		)
		.expect("reveals");
	}
	c.verifiers.to_vec()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn probe() {
		let id = open_challenge::<T>(2, T::Verifiers::get(), 1);
		let provider = Challenges::<T>::get(id).unwrap().provider;

		#[extrinsic_call]
		_(RawOrigin::Signed(provider), id);

		assert!(Challenges::<T>::get(id).unwrap().probed_at.is_some());
	}

	#[benchmark]
	fn commit() {
		let id = seeded_challenge::<T>(2);
		let provider = Challenges::<T>::get(id).unwrap().provider;

		#[extrinsic_call]
		_(RawOrigin::Signed(provider), id, [1u8; 32]);

		assert!(Challenges::<T>::get(id).unwrap().commitment.is_some());
	}

	#[benchmark]
	fn reveal(l: Linear<1, { uranus_primitives::challenge::MAX_LANES }>) {
		let id = seeded_challenge::<T>(l);
		let c = Challenges::<T>::get(id).unwrap();
		let lanes = lanes_of(c.lanes);
		let commitment = uranus_primitives::challenge::commitment(&c.seed, &lanes);
		Pallet::<T>::commit(RawOrigin::Signed(c.provider.clone()).into(), id, commitment).unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(c.provider), id, lanes);

		assert!(Challenges::<T>::get(id).unwrap().revealed);
	}

	#[benchmark]
	fn seal_verdict() {
		let id = open_challenge::<T>(2, T::Verifiers::get(), 1);
		commit_and_reveal::<T>(id);
		let v = Challenges::<T>::get(id).unwrap().verifiers[0].clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(v.owner), id, [3u8; 32]);

		assert!(Challenges::<T>::get(id).unwrap().verifiers[0].seal.is_some());
	}

	/// The last verdict judges a failing machine: slashes, fees, a dissenter, and a failed
	/// service on each of its `c` containers.
	#[benchmark]
	fn reveal_verdict(
		v: Linear<1, { T::Verifiers::get() }>,
		c: Linear<1, { <T as pallet_registry::Config>::MaxContainersPerMachine::get() }>,
	) {
		let id = open_challenge::<T>(2, v, c);
		commit_and_reveal::<T>(id);
		let slots = verdicts::<T>(id, 1);
		let n = slots.len();
		let last = slots[n - 1].clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(last.owner), id, verdict(n - 1, n), [(n - 1) as u8; 32]);

		assert!(!Challenges::<T>::contains_key(id));
	}

	#[benchmark]
	fn set_paused() -> Result<(), BenchmarkError> {
		let origin = <T as Config>::AdminOrigin::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, true);

		assert!(pallet::Paused::<T>::get());
		Ok(())
	}

	#[benchmark]
	fn advance_idle() {
		let now: BlockNumberFor<T> = 10u32.into();

		#[block]
		{
			Pallet::<T>::advance_due(now);
		}
	}

	/// The hook judges at `judge_by`: a verifier never answered (chain penalty on its `c`
	/// containers), the others failed the machine.
	#[benchmark]
	fn advance_judge(
		v: Linear<1, { T::Verifiers::get() }>,
		c: Linear<1, { <T as pallet_registry::Config>::MaxContainersPerMachine::get() }>,
	) {
		let id = open_challenge::<T>(2, v, c);
		commit_and_reveal::<T>(id);
		verdicts::<T>(id, 1);
		let ch = Challenges::<T>::get(id).unwrap();
		let at = ch.judge_by.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(at);
		assert!(Due::<T>::get(at).contains(&id));

		#[block]
		{
			Pallet::<T>::advance_due(at);
		}

		assert!(!Challenges::<T>::contains_key(id));
	}

	/// A walk reading `p` machines, none of them challengeable (all offline).
	#[benchmark]
	fn walk(p: Linear<1, { T::MaxProbes::get() }>) {
		let per = <T as pallet_registry::Config>::MaxMachinesPerProvider::get().max(1);
		for i in 0..p {
			let who = provider::<T>(1_000 + i / per);
			let m = machine::<T>(&who, 2, 0);
			pallet_registry::Machines::<T>::mutate(m, |r| {
				if let Some(r) = r {
					r.online = false;
				}
			});
		}
		Queue::<T>::kill();
		let now = frame_system::Pallet::<T>::block_number();
		let probes;

		#[block]
		{
			probes = Pallet::<T>::selection(now).probes;
		}

		assert_eq!(probes, p);
	}

	/// Starting one challenge with `v` verifiers (from the queue).
	#[benchmark]
	fn start(v: Linear<1, { T::Verifiers::get() }>) {
		fund_pool::<T>();
		let owner = provider::<T>(0);
		let challenged = machine::<T>(&owner, 2, 1);
		for i in 1..=v {
			let who = provider::<T>(i);
			let m = machine::<T>(&who, 2, 1);
			pallet_registry::Pallet::<T>::mark_verified(m, 1);
		}
		Queue::<T>::put(BoundedVec::truncate_from(vec![challenged]));
		let now = frame_system::Pallet::<T>::block_number();
		let started;

		#[block]
		{
			started = Pallet::<T>::selection(now).started;
		}

		assert_eq!(started, 1);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
