//! Benchmarks of `pallet-market`: every call at its worst case (most replicas spread over
//! distinct machines, longest labels and command, a charge that pauses the lease, a
//! re-schedule) and the per-block step with a full deadline slot and a waiting order matched.

use super::*;
use crate::pallet::{BasePrices, Leases, Orders, Pallet as Market};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, EnsureOrigin, Get, Hooks},
	BoundedVec,
};
use frame_system::RawOrigin;
use pallet_registry::{HardwareProfile, Pallet as Registry, ProviderMeta};
use sp_runtime::Perbill;
use uranus_primitives::compute::{ContainerId, EndCause, ResourceSpec};

const SEED: u32 = 0;
const DIGEST: [u8; 32] = [0xbe; 32];

/// A funded account.
fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	let who: T::AccountId = account(name, i, SEED);
	T::Escrow::set_balance(&who, 1u128 << 100);
	who
}

fn text<S: Get<u32>>(n: u32) -> BoundedVec<u8, S> {
	BoundedVec::truncate_from(vec![b'x'; n as usize])
}

/// The labels every benchmark provider carries and every order requires (all at their
/// maximum length, so the label check does the most work).
fn labels<T: Config>() -> LabelsOf<T> {
	let max = <T as pallet_registry::Config>::MaxText::get();
	let n = <T as pallet_registry::Config>::MaxLabels::get();
	BoundedVec::truncate_from(
		(0..n)
			.map(|i| {
				let mut l = vec![b'l'; max as usize];
				l[0] = i as u8;
				BoundedVec::truncate_from(l)
			})
			.collect(),
	)
}

/// One replica: 1 core, 1 GiB, 1 GiB scratch, 1 MiB/s.
fn spec() -> ResourceSpec {
	ResourceSpec {
		cpu_millicores: 1_000,
		memory_bytes: 1 << 30,
		storage_bytes: 1 << 30,
		bandwidth_bps: 1 << 20,
	}
}

fn base() -> Prices {
	Prices {
		cpu_core_second: 1_000_000,
		memory_gib_second: 100_000,
		network_mib: 10_000,
		storage_gib_second: 1_000,
	}
}

/// Caps: twice the base prices.
fn caps() -> Prices {
	let b = base();
	Prices {
		cpu_core_second: 2 * b.cpu_core_second,
		memory_gib_second: 2 * b.memory_gib_second,
		network_mib: 2 * b.network_mib,
		storage_gib_second: 2 * b.storage_gib_second,
	}
}

/// Provider `i` (with [`labels`]) and a machine of its own with one idle container of
/// [`spec`]; returns the provider.
fn provider<T: Config>(i: u32) -> T::AccountId {
	provider_as::<T>("provider", i, labels::<T>()).0
}

/// Account `(name, i)` as a provider carrying `labels`, with a new machine of one idle
/// container of [`spec`]: (provider, container).
fn provider_as<T: Config>(
	name: &'static str,
	i: u32,
	labels: LabelsOf<T>,
) -> (T::AccountId, ContainerId) {
	let who = funded::<T>(name, i);
	let origin = || RawOrigin::Signed(who.clone()).into();
	if !pallet_registry::Providers::<T>::contains_key(&who) {
		let meta = ProviderMeta { name: text(8), region: text(8), labels };
		Registry::<T>::register_provider(origin(), meta).expect("provider registers");
	}
	let id = pallet_registry::NextMachineId::<T>::get();
	let profile = HardwareProfile {
		cpu_model: text(8),
		arch: text(6),
		logical_cores: 64,
		cpu_mhz: 3_000,
		memory_bytes: 1 << 40,
		storage_bytes: 1 << 44,
		uplink_bps: 1 << 30,
	};
	Registry::<T>::register_machine(origin(), profile).expect("machine registers");
	let container = pallet_registry::NextContainerId::<T>::get();
	Registry::<T>::add_container(origin(), id, spec()).expect("container fits");
	(who, container)
}

/// The scheduler's worst case for an order of `replicas` replicas: PoC examines `MaxScan`
/// containers; the first are busy (PoC passes over them), the next are idle but their
/// providers lack the order's last label (the market reads container, machine and provider
/// and compares every label before refusing them) and the last `replicas` take the order.
/// Every container is new, so all sit in the lowest tier in this order; the tier's cursor
/// and the round robin point at the first of them.
fn scan_field<T: Config + pallet_poc::Config>(replicas: u32) -> Result<(), BenchmarkError> {
	let scan = <T as pallet_poc::Config>::MaxScan::get();
	let wanted = Market::<T>::candidates_wanted(replicas).min(scan);
	let busy = scan.saturating_sub(wanted);
	let mut strangers = labels::<T>();
	if let Some(last) = strangers.last_mut() {
		if let Some(b) = last.last_mut() {
			*b = b'!';
		}
	}
	let mut field = Vec::new();
	for i in 0..busy {
		let (_, c) = provider_as::<T>("busy", i, labels::<T>());
		pallet_registry::Pallet::<T>::set_container_state(
			c,
			pallet_registry::ContainerState::Serving(LeaseId::MAX - i as LeaseId),
		);
		field.push(c);
	}
	for i in 0..wanted.saturating_sub(replicas) {
		field.push(provider_as::<T>("stranger", i, strangers.clone()).1);
	}
	for i in 0..replicas {
		field.push(provider_as::<T>("matched", i, labels::<T>()).1);
	}
	let slot = |c: &ContainerId| pallet_poc::Containers::<T>::get(c).and_then(|r| r.slot);
	let first = field.first().and_then(slot).ok_or(BenchmarkError::Stop("no slot"))?;
	for (n, c) in field.iter().enumerate() {
		let s = slot(c).ok_or(BenchmarkError::Stop("no slot"))?;
		if s.tier != first.tier || s.index != first.index + n as u32 {
			return Err(BenchmarkError::Stop("the field is not one run of one tier"));
		}
	}
	pallet_poc::TierCursor::<T>::insert(first.tier, first.index);
	pallet_poc::Round::<T>::put((first.tier, 0));
	Ok(())
}

/// The verified image every order uses, with a usage fee; base prices set.
fn setup<T: Config>() -> Result<(), BenchmarkError> {
	BasePrices::<T>::put(base());
	let publisher = funded::<T>("publisher", 0);
	Registry::<T>::publish_image(
		RawOrigin::Signed(publisher).into(),
		text(32),
		text(8),
		DIGEST,
		1 << 20,
		ResourceSpec { cpu_millicores: 100, memory_bytes: 1 << 20, ..Default::default() },
		1_000u32.into(),
	)
	.map_err(|_| BenchmarkError::Stop("publish_image"))?;
	let verifier = <T as pallet_registry::Config>::VerifierOrigin::try_successful_origin()
		.map_err(|_| BenchmarkError::Weightless)?;
	Registry::<T>::verify_image(verifier, DIGEST, true)
		.map_err(|_| BenchmarkError::Stop("verify_image"))?;
	Ok(())
}

/// A command at its maximum size.
fn command<T: Config>() -> CommandOf<T> {
	BoundedVec::truncate_from(vec![text(T::MaxArgLen::get()); T::MaxArgs::get() as usize])
}

/// `user` orders `replicas` spread replicas for 1,000 blocks, `prepaid` of them paid.
fn place<T: Config>(
	user: &T::AccountId,
	replicas: u32,
	prepaid: u32,
) -> Result<OrderId, BenchmarkError> {
	let id = pallet::NextOrderId::<T>::get();
	Market::<T>::place_order(
		RawOrigin::Signed(user.clone()).into(),
		DIGEST,
		spec(),
		command::<T>(),
		replicas,
		1_000u32.into(),
		prepaid.into(),
		caps(),
		labels::<T>(),
		true,
	)
	.map_err(|_| BenchmarkError::Stop("place_order"))?;
	Ok(id)
}

/// A running lease of a fresh order with `prepaid` blocks paid: (user, provider, lease).
fn running<T: Config>(
	prepaid: u32,
) -> Result<(T::AccountId, T::AccountId, LeaseId), BenchmarkError> {
	let p = provider::<T>(0);
	let user = funded::<T>("user", 0);
	let order = place::<T>(&user, 1, prepaid)?;
	let lease = Orders::<T>::get(order)
		.and_then(|o| o.leases.first().copied())
		.ok_or(BenchmarkError::Stop("no lease"))?;
	Market::<T>::ack_lease(RawOrigin::Signed(p.clone()).into(), lease)
		.map_err(|_| BenchmarkError::Stop("ack"))?;
	later::<T>();
	Ok((user, p, lease))
}

/// Moves 500 blocks on, so that metering reports of every usage the benchmarks send are
/// within what the spec can consume since the leases were assigned.
fn later<T: Config>() {
	let now = frame_system::Pallet::<T>::block_number();
	frame_system::Pallet::<T>::set_block_number(now + 500u32.into());
}

/// A worst-case usage that leaves a lease prepaid for 20 blocks (at caps = 2 × its prices)
/// with less than `LowEscrowBlocks` of escrow: the charge pauses it.
fn pausing_usage<T: Config>() -> Usage {
	let prepaid = Market::<T>::seconds(20u32.into());
	let low = Market::<T>::seconds(T::LowEscrowBlocks::get());
	usage((2 * prepaid).saturating_sub(low / 2))
}

/// [`spec`]'s worst-case usage over `seconds`.
fn usage(seconds: u64) -> Usage {
	Usage {
		cpu_micros: seconds * 1_000_000,
		memory_byte_seconds: seconds << 30,
		net_bytes: seconds << 20,
		wall_millis: seconds * 1_000,
	}
}

/// A lease that ran and completed (charged for 5 s): (user, lease).
fn completed<T: Config>() -> Result<(T::AccountId, LeaseId), BenchmarkError> {
	let (user, p, lease) = running::<T>(1_000)?;
	Market::<T>::complete_lease(
		RawOrigin::Signed(p).into(),
		lease,
		1,
		usage(5),
		0,
		BoundedVec::new(),
	)
	.map_err(|_| BenchmarkError::Stop("complete"))?;
	Ok((user, lease))
}

/// `n` assigned leases of `user`, one per new machine (providers `0..n`), in orders of at
/// most `MaxReplicas` replicas.
fn leases_on_new_machines<T: Config + pallet_poc::Config>(
	user: &T::AccountId,
	n: u32,
) -> Result<Vec<LeaseId>, BenchmarkError> {
	leases_on_new_machines_from::<T>(user, 0, n)
}

/// As [`leases_on_new_machines`], on providers `first..first + n`.
fn leases_on_new_machines_from<T: Config + pallet_poc::Config>(
	user: &T::AccountId,
	first: u32,
	n: u32,
) -> Result<Vec<LeaseId>, BenchmarkError> {
	let mut leases = Vec::new();
	let (mut left, mut i) = (n, first);
	while left > 0 {
		let batch = left.min(T::MaxReplicas::get());
		for _ in 0..batch {
			provider::<T>(i);
			i += 1;
		}
		// The scheduler examines at most `MaxScan` containers a call: every tier's cursor
		// points at its newest `batch` members (the machines just added), so the order finds
		// them.
		for t in 0..pallet_poc::TierParams::<T>::get().len() as u8 {
			let len = pallet_poc::TierLen::<T>::get(t);
			pallet_poc::TierCursor::<T>::insert(t, len.saturating_sub(batch));
		}
		let order = place::<T>(user, batch, 1_000)?;
		leases.extend(Orders::<T>::get(order).map(|o| o.leases.into_inner()).unwrap_or_default());
		left -= batch;
	}
	if leases.len() as u32 != n {
		return Err(BenchmarkError::Stop("not every replica found its machine"));
	}
	Ok(leases)
}

#[benchmarks(where T: pallet_poc::Config)]
mod benchmarks {
	use super::*;

	/// An order of `r` spread replicas, each matched to its own machine, after the scheduler
	/// examined `MaxScan` containers and the market refused every other candidate
	/// ([`scan_field`]).
	#[benchmark]
	fn place_order(r: Linear<1, { T::MaxReplicas::get() }>) -> Result<(), BenchmarkError> {
		setup::<T>()?;
		scan_field::<T>(r)?;
		let user = funded::<T>("user", 0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(user),
			DIGEST,
			spec(),
			command::<T>(),
			r,
			1_000u32.into(),
			1_000u32.into(),
			caps(),
			labels::<T>(),
			true,
		);
		assert_eq!(Orders::<T>::get(0).map(|o| o.leases.len() as u32), Some(r));
		Ok(())
	}

	#[benchmark]
	fn ack_lease() -> Result<(), BenchmarkError> {
		setup::<T>()?;
		let p = provider::<T>(0);
		let user = funded::<T>("user", 0);
		place::<T>(&user, 1, 1_000)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(p), 0);
		assert_eq!(Leases::<T>::get(0).map(|l| l.state), Some(LeaseState::Running));
		Ok(())
	}

	/// A report that charges and pauses the lease (its escrow runs low).
	#[benchmark]
	fn report_metering() -> Result<(), BenchmarkError> {
		setup::<T>()?;
		let (_, p, lease) = running::<T>(20)?;
		Market::<T>::report_metering(RawOrigin::Signed(p.clone()).into(), lease, 1, usage(5))
			.map_err(|_| BenchmarkError::Stop("first report"))?;
		let heavy = pausing_usage::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(p), lease, 2, heavy);
		assert_eq!(Leases::<T>::get(lease).map(|l| l.state), Some(LeaseState::Paused));
		Ok(())
	}

	#[benchmark]
	fn complete_lease() -> Result<(), BenchmarkError> {
		setup::<T>()?;
		let (_, p, lease) = running::<T>(1_000)?;
		Market::<T>::report_metering(RawOrigin::Signed(p.clone()).into(), lease, 1, usage(5))
			.map_err(|_| BenchmarkError::Stop("first report"))?;
		let result = BoundedVec::truncate_from(vec![b'r'; T::MaxResult::get() as usize]);
		#[extrinsic_call]
		_(RawOrigin::Signed(p), lease, 2, usage(10), 0, result);
		assert_eq!(Leases::<T>::get(lease).map(|l| l.state), Some(LeaseState::Completed));
		Ok(())
	}

	/// A failure that re-schedules the replica (escrow re-held, order waiting again).
	#[benchmark]
	fn fail_lease() -> Result<(), BenchmarkError> {
		setup::<T>()?;
		let (_, p, lease) = running::<T>(1_000)?;
		Market::<T>::report_metering(RawOrigin::Signed(p.clone()).into(), lease, 1, usage(5))
			.map_err(|_| BenchmarkError::Stop("first report"))?;
		#[extrinsic_call]
		_(RawOrigin::Signed(p), lease, EndCause::Lost);
		assert_eq!(Leases::<T>::get(lease).map(|l| l.state), Some(LeaseState::Failed));
		assert_eq!(pallet::Waiting::<T>::get().len(), 1);
		Ok(())
	}

	/// Cancelling an order of `r` running leases.
	#[benchmark]
	fn cancel_order(r: Linear<1, { T::MaxReplicas::get() }>) -> Result<(), BenchmarkError> {
		setup::<T>()?;
		for i in 0..r {
			provider::<T>(i);
		}
		let user = funded::<T>("user", 0);
		let order = place::<T>(&user, r, 1_000)?;
		for l in Orders::<T>::get(order).map(|o| o.leases.into_inner()).unwrap_or_default() {
			let p = Leases::<T>::get(l).map(|l| l.provider).ok_or(BenchmarkError::Stop("lease"))?;
			Market::<T>::ack_lease(RawOrigin::Signed(p).into(), l)
				.map_err(|_| BenchmarkError::Stop("ack"))?;
		}
		#[extrinsic_call]
		_(RawOrigin::Signed(user), order);
		assert_eq!(Orders::<T>::get(order).map(|o| o.held), Some(0));
		Ok(())
	}

	#[benchmark]
	fn set_base_prices() -> Result<(), BenchmarkError> {
		let origin = <T as Config>::AdminOrigin::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, caps());
		assert_eq!(BasePrices::<T>::get(), caps());
		Ok(())
	}

	/// Topping up an order of `r` paused leases: each resumes.
	#[benchmark]
	fn top_up(r: Linear<1, { T::MaxReplicas::get() }>) -> Result<(), BenchmarkError> {
		setup::<T>()?;
		for i in 0..r {
			provider::<T>(i);
		}
		let user = funded::<T>("user", 0);
		let order = place::<T>(&user, r, 20)?;
		let heavy = pausing_usage::<T>();
		let leases = Orders::<T>::get(order).map(|o| o.leases.into_inner()).unwrap_or_default();
		for l in leases.iter().copied() {
			let p = Leases::<T>::get(l).map(|l| l.provider).ok_or(BenchmarkError::Stop("lease"))?;
			Market::<T>::ack_lease(RawOrigin::Signed(p).into(), l)
				.map_err(|_| BenchmarkError::Stop("ack"))?;
		}
		later::<T>();
		for l in leases {
			let p = Leases::<T>::get(l).map(|l| l.provider).ok_or(BenchmarkError::Stop("lease"))?;
			Market::<T>::report_metering(RawOrigin::Signed(p).into(), l, 1, heavy)
				.map_err(|_| BenchmarkError::Stop("report"))?;
		}
		#[extrinsic_call]
		_(RawOrigin::Signed(user), order, 1_000u32.into());
		for l in Orders::<T>::get(order).map(|o| o.leases.into_inner()).unwrap_or_default() {
			assert_eq!(Leases::<T>::get(l).map(|l| l.state), Some(LeaseState::Running));
		}
		Ok(())
	}

	#[benchmark]
	fn rate_lease() -> Result<(), BenchmarkError> {
		setup::<T>()?;
		let (user, lease) = completed::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(user), lease, 5);
		assert_eq!(Leases::<T>::get(lease).and_then(|l| l.rating), Some(5));
		Ok(())
	}

	#[benchmark]
	fn dispute_lease() -> Result<(), BenchmarkError> {
		setup::<T>()?;
		let (user, lease) = completed::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(user), lease, u128::MAX);
		assert!(matches!(Leases::<T>::get(lease).map(|l| l.dispute), Some(Dispute::Open { .. })));
		Ok(())
	}

	/// Resolving with a partial refund and a deposit slash.
	#[benchmark]
	fn resolve_dispute() -> Result<(), BenchmarkError> {
		setup::<T>()?;
		let (user, lease) = completed::<T>()?;
		Market::<T>::dispute_lease(RawOrigin::Signed(user).into(), lease, u128::MAX)
			.map_err(|_| BenchmarkError::Stop("dispute"))?;
		let origin =
			T::DisputeOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, lease, Perbill::from_percent(50), Perbill::from_percent(10));
		assert!(matches!(
			Leases::<T>::get(lease).map(|l| l.dispute),
			Some(Dispute::Resolved { .. })
		));
		Ok(())
	}

	/// Letting a dispute that nobody resolved lapse.
	#[benchmark]
	fn lapse_dispute() -> Result<(), BenchmarkError> {
		setup::<T>()?;
		let (user, lease) = completed::<T>()?;
		Market::<T>::dispute_lease(RawOrigin::Signed(user.clone()).into(), lease, u128::MAX)
			.map_err(|_| BenchmarkError::Stop("dispute"))?;
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(now + T::DisputeTimeout::get() + 1u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(user), lease);
		assert!(matches!(Leases::<T>::get(lease).map(|l| l.dispute), Some(Dispute::Lapsed { .. })));
		Ok(())
	}

	/// Reaping an order of `r` completed leases after their dispute windows.
	#[benchmark]
	fn reap_order(r: Linear<1, { T::MaxReplicas::get() }>) -> Result<(), BenchmarkError> {
		setup::<T>()?;
		for i in 0..r {
			provider::<T>(i);
		}
		let user = funded::<T>("user", 0);
		let order = place::<T>(&user, r, 1_000)?;
		let leases = Orders::<T>::get(order).map(|o| o.leases.into_inner()).unwrap_or_default();
		for l in leases.iter().copied() {
			let p = Leases::<T>::get(l).map(|l| l.provider).ok_or(BenchmarkError::Stop("lease"))?;
			Market::<T>::ack_lease(RawOrigin::Signed(p.clone()).into(), l)
				.map_err(|_| BenchmarkError::Stop("ack"))?;
			Market::<T>::complete_lease(
				RawOrigin::Signed(p).into(),
				l,
				1,
				usage(0),
				0,
				BoundedVec::new(),
			)
			.map_err(|_| BenchmarkError::Stop("complete"))?;
		}
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(now + T::DisputeWindow::get() + 1u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(user), order);
		assert!(Orders::<T>::get(order).is_none());
		Ok(())
	}

	/// The per-block step: `d` leases missing their acknowledgement at once (each failed and
	/// re-scheduled) and, with `m` = 1, the oldest waiting order (`MaxReplicas` replicas)
	/// matched after the scheduler's worst-case scan ([`scan_field`]).
	#[benchmark]
	fn on_initialize(
		d: Linear<0, { T::MaxDeadlinesPerBlock::get() }>,
		m: Linear<0, 1>,
	) -> Result<(), BenchmarkError> {
		setup::<T>()?;
		let user = funded::<T>("user", 0);
		let start = frame_system::Pallet::<T>::block_number();
		// The waiting order comes first (oldest in the queue): no container exists yet.
		let waiting =
			if m == 1 { Some(place::<T>(&user, T::MaxReplicas::get(), 1_000)?) } else { None };
		let leases = leases_on_new_machines::<T>(&user, d)?;
		if m == 1 {
			scan_field::<T>(T::MaxReplicas::get())?;
		}
		let now = start + T::AckTimeout::get();
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Market::<T>::on_initialize(now);
		}
		for l in leases {
			assert_eq!(Leases::<T>::get(l).map(|l| l.state), Some(LeaseState::Failed));
		}
		if let Some(order) = waiting {
			let matched = Orders::<T>::get(order).map(|o| o.leases.len() as u32);
			assert_eq!(matched, Some(T::MaxReplicas::get()));
		}
		Ok(())
	}

	/// The per-block step with `e` running leases reaching their end at once: each is
	/// settled (the unused escrow refunded) and, being its order's last, closes its order.
	#[benchmark]
	fn on_initialize_expiry(
		e: Linear<0, { T::MaxDeadlinesPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		setup::<T>()?;
		let user = funded::<T>("user", 0);
		let mut leases = Vec::new();
		for i in 0..e {
			leases.extend(leases_on_new_machines_from::<T>(&user, i, 1)?);
		}
		for l in leases.iter().copied() {
			let p = Leases::<T>::get(l).map(|l| l.provider).ok_or(BenchmarkError::Stop("lease"))?;
			Market::<T>::ack_lease(RawOrigin::Signed(p).into(), l)
				.map_err(|_| BenchmarkError::Stop("ack"))?;
		}
		let ends = leases.first().and_then(|l| Leases::<T>::get(l)).and_then(|l| l.ends_at);
		later::<T>();
		for l in leases.iter().copied() {
			let p = Leases::<T>::get(l).map(|l| l.provider).ok_or(BenchmarkError::Stop("lease"))?;
			Market::<T>::report_metering(RawOrigin::Signed(p).into(), l, 1, usage(5))
				.map_err(|_| BenchmarkError::Stop("report"))?;
		}
		let now = ends.unwrap_or_else(frame_system::Pallet::<T>::block_number);
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Market::<T>::on_initialize(now);
		}
		for l in leases {
			assert_eq!(Leases::<T>::get(l).map(|l| l.state), Some(LeaseState::Expired));
		}
		Ok(())
	}

	impl_benchmark_test_suite!(Market, crate::mock::new_test_ext(), crate::mock::Test);
}
