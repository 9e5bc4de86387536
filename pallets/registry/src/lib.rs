//! # Registry pallet
//!
//! Who offers compute and what it is (white paper §5.2: container records written into blocks;
//! roadmap: users register their own devices):
//!
//! - **Providers** register with a held deposit and metadata (name, region, labels); leaving
//!   starts a cool-down after which the deposit is released.
//! - **Machines** carry the [`HardwareProfile`] the provider's agent probes; only the owner
//!   changes it, every change bumps the version and is an event.
//! - **Containers** are slices of a machine (CPU, memory, storage, bandwidth) that serve one
//!   lease at a time; each is an event at the block it appears. Their slices never exceed the
//!   machine's profile.
//! - **Heartbeats**: the owner (its off-chain worker) sends at most one per
//!   [`Config::MinHeartbeatInterval`]; each reports every container online to PoC
//!   ([`pallet_poc::ContributionHooks`]). A machine silent for [`Config::HeartbeatTimeout`]
//!   is marked offline by a bounded sweep in `on_initialize` and its containers leave
//!   scheduling.
//! - **Verified hardware**: [`Config::HardwareOrigin`] marks a machine's current profile
//!   version verified ([`Pallet::set_hardware_verified`]); heartbeats tell PoC, whose rewards
//!   for the basic contribution of unverified machines are only a governance-set share.
//!
//! - **Images** (the app store, §6.3): anyone publishes an OCI manifest digest with its
//!   repository, version, size, minimum resources and a usage fee, holding
//!   [`Config::ImageDeposit`]; [`Config::VerifierOrigin`] (root / governance) verifies or rejects
//!   it. The market runs only verified images ([`Pallet::leasable_image`]) and pays the
//!   publisher its fee on every lease.
//!
//! Every record is paid for by a held deposit; every collection is bounded. The
//! [`runtime_api::RegistryApi`] lists all of it for the node's `registry_*` RPC.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod capacity;
mod deposits;
mod hooks;
mod images;
mod invariants;
pub mod runtime_api;
mod sweep;
pub mod types;
pub mod views;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use capacity::IdleContainers;
pub use hooks::{OnMachineOffline, OnProfileChange, ProviderObligations};
pub use pallet::*;
pub use types::*;
pub use uranus_primitives::compute::{ContainerCapacity, ContainerId, ResourceSpec};
pub use weights::WeightInfo;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::registry";

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use pallet_poc::ContributionHooks;
	use sp_runtime::traits::{Saturating, Zero};
	use uranus_primitives::compute::{ContainerCapacity, ContainerId, ResourceSpec};

	/// The balance type of the currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A provider record of this runtime.
	pub type ProviderOf<T> =
		Provider<BalanceOf<T>, BlockNumberFor<T>, <T as Config>::MaxText, <T as Config>::MaxLabels>;
	/// A lease gateway record of this runtime.
	pub type GatewayOf<T> = Gateway<<T as Config>::MaxText>;
	/// Provider metadata of this runtime.
	pub type MetaOf<T> = ProviderMeta<<T as Config>::MaxText, <T as Config>::MaxLabels>;
	/// A hardware profile of this runtime.
	pub type ProfileOf<T> = HardwareProfile<<T as Config>::MaxText>;
	/// A machine record of this runtime.
	pub type MachineOf<T> = Machine<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::MaxText,
		<T as Config>::MaxContainersPerMachine,
	>;
	/// An image record of this runtime.
	pub type ImageOf<T> = Image<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::MaxImageRef,
	>;
	/// An image repository or version string of this runtime.
	pub type ImageRefOf<T> = BoundedVec<u8, <T as Config>::MaxImageRef>;

	/// The storage version: 0, the layout this pallet launched with. A change of a stored
	/// type bumps it and ships a `VersionedMigration` (see pallet-market's `migrations`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's registration deposit.
		#[codec(index = 0)]
		Provider,
		/// A machine record's deposit.
		#[codec(index = 1)]
		Machine,
		/// A container record's deposit.
		#[codec(index = 2)]
		Container,
		/// An image record's deposit.
		#[codec(index = 3)]
		Image,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency deposits are held in.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// PoC: told when containers are online (each heartbeat) and when they go offline.
		type Contribution: ContributionHooks<Self::AccountId>;

		/// Told when the sweep marks a machine offline (the market re-schedules its leases).
		type MachineOffline: OnMachineOffline;

		/// Whether a provider still owes the market something (an open dispute): such a
		/// provider can neither start leaving nor withdraw its deposit.
		type Obligations: ProviderObligations<Self::AccountId>;

		/// Told when a machine is registered or its profile changes (hardware attestation
		/// queues it for a challenge).
		type ProfileChanged: OnProfileChange;

		/// Deposit of a provider.
		#[pallet::constant]
		type ProviderDeposit: Get<BalanceOf<Self>>;

		/// Deposit of a machine.
		#[pallet::constant]
		type MachineDeposit: Get<BalanceOf<Self>>;

		/// Deposit of a container.
		#[pallet::constant]
		type ContainerDeposit: Get<BalanceOf<Self>>;

		/// Deposit of an image.
		#[pallet::constant]
		type ImageDeposit: Get<BalanceOf<Self>>;

		/// Who verifies or rejects published images.
		type VerifierOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Who marks a machine's hardware verified (root / governance; the hardware
		/// challenges later). Until then its containers earn only part of their basic
		/// contribution's rewards (PoC's `unverified_basic`).
		type HardwareOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Longest image repository or version.
		#[pallet::constant]
		type MaxImageRef: Get<u32>;

		/// Blocks between deregistering and withdrawing a provider's deposit.
		#[pallet::constant]
		type CoolDown: Get<BlockNumberFor<Self>>;

		/// Fewest blocks between two heartbeats of a machine.
		#[pallet::constant]
		type MinHeartbeatInterval: Get<BlockNumberFor<Self>>;

		/// A machine silent for longer is marked offline.
		#[pallet::constant]
		type HeartbeatTimeout: Get<BlockNumberFor<Self>>;

		/// Machines the offline sweep checks per block.
		#[pallet::constant]
		type SweepPerBlock: Get<u32>;

		/// Longest name, region, label, CPU model or architecture string.
		#[pallet::constant]
		type MaxText: Get<u32>;

		/// Most labels of a provider.
		#[pallet::constant]
		type MaxLabels: Get<u32>;

		/// Most machines of a provider.
		#[pallet::constant]
		type MaxMachinesPerProvider: Get<u32>;

		/// Most containers of a machine.
		#[pallet::constant]
		type MaxContainersPerMachine: Get<u32>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;
	}

	/// Registered providers.
	#[pallet::storage]
	pub type Providers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, ProviderOf<T>>;

	/// Registered machines.
	#[pallet::storage]
	pub type Machines<T: Config> = StorageMap<_, Twox64Concat, MachineId, MachineOf<T>>;

	/// Registered containers.
	#[pallet::storage]
	pub type Containers<T: Config> =
		StorageMap<_, Twox64Concat, ContainerId, Container<BalanceOf<T>>>;

	/// Machines by owner (an index: at most `MaxMachinesPerProvider` per owner).
	#[pallet::storage]
	pub type MachinesOf<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, MachineId, ()>;

	/// Published images by manifest digest.
	#[pallet::storage]
	pub type Images<T: Config> = StorageMap<_, Identity, ImageDigest, ImageOf<T>>;

	/// The next machine id.
	#[pallet::storage]
	pub type NextMachineId<T: Config> = StorageValue<_, MachineId, ValueQuery>;

	/// The next container id (ids of genesis test containers in PoC stay below 1,000).
	#[pallet::storage]
	pub type NextContainerId<T: Config> =
		StorageValue<_, ContainerId, ValueQuery, FirstContainerId>;

	/// Container ids start here.
	#[pallet::type_value]
	pub fn FirstContainerId() -> ContainerId {
		1_000
	}

	/// Machines whose hardware is verified, with the profile version that was verified: a
	/// profile change makes the machine unverified again.
	#[pallet::storage]
	pub type VerifiedMachines<T: Config> = StorageMap<_, Twox64Concat, MachineId, u32>;

	/// The per-core speed a hardware challenge measured for a verified machine, as the logical
	/// MHz its cores count as (what PoC scores instead of the claimed `cpu_mhz`). None for a
	/// machine verified by governance: its claimed frequency counts.
	#[pallet::storage]
	pub type VerifiedCpuMhz<T: Config> = StorageMap<_, Twox64Concat, MachineId, u32>;

	/// Each provider's lease gateway (set with [`Pallet::set_gateway`]). Covered by the
	/// provider's deposit: one bounded record per provider, removed with the provider.
	#[pallet::storage]
	pub type Gateways<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, GatewayOf<T>>;

	/// The next machine id the offline sweep checks.
	#[pallet::storage]
	pub type SweepCursor<T: Config> = StorageValue<_, MachineId, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider registered.
		ProviderRegistered { who: T::AccountId },
		/// A provider changed its metadata.
		ProviderUpdated { who: T::AccountId },
		/// A provider started leaving; its deposit is free from `at`.
		ProviderLeaving { who: T::AccountId, at: BlockNumberFor<T> },
		/// A provider left and got its deposit back.
		ProviderRemoved { who: T::AccountId },
		/// A machine was registered with `profile`.
		MachineRegistered { id: MachineId, owner: T::AccountId, profile: ProfileOf<T> },
		/// A machine's profile changed.
		MachineUpdated { id: MachineId, version: u32, profile: ProfileOf<T> },
		/// A machine was removed with its containers.
		MachineRemoved { id: MachineId },
		/// A machine missed its heartbeats and left scheduling.
		MachineOffline { id: MachineId },
		/// A machine is online again.
		MachineOnline { id: MachineId },
		/// A container (compute slice) appeared on `machine`.
		ContainerAdded { id: ContainerId, machine: MachineId, capacity: ContainerCapacity },
		/// A container was removed.
		ContainerRemoved { id: ContainerId },
		/// An image was published and awaits verification.
		ImagePublished {
			digest: ImageDigest,
			publisher: T::AccountId,
			name: ImageRefOf<T>,
			version: ImageRefOf<T>,
			fee: BalanceOf<T>,
		},
		/// An image's usage fee changed (leases already made keep theirs).
		ImageFeeChanged { digest: ImageDigest, fee: BalanceOf<T> },
		/// The verifier accepted an image.
		ImageVerified { digest: ImageDigest },
		/// The verifier refused an image.
		ImageRejected { digest: ImageDigest },
		/// An image was withdrawn by its publisher.
		ImageRemoved { digest: ImageDigest },
		/// `amount` of a provider's deposit was slashed to `to` (a resolved dispute).
		ProviderSlashed { who: T::AccountId, amount: BalanceOf<T>, to: T::AccountId },
		/// Machine `id`'s hardware (profile `version`) was verified.
		HardwareVerified { id: MachineId, version: u32 },
		/// Machine `id`'s hardware is no longer counted as verified.
		HardwareUnverified { id: MachineId },
		/// Provider `who` announced its lease gateway (`None`: it has none any more).
		GatewaySet { who: T::AccountId, gateway: Option<GatewayOf<T>> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a provider.
		AlreadyProvider,
		/// The account is not a provider.
		NotProvider,
		/// The provider is leaving and cannot add machines.
		ProviderLeaving,
		/// The provider still has machines.
		HasMachines,
		/// The provider has not deregistered or its cool-down has not passed.
		CoolDownPending,
		/// The provider has `MaxMachinesPerProvider` machines.
		TooManyMachines,
		/// No such machine.
		UnknownMachine,
		/// The caller does not own the machine or container.
		NotOwner,
		/// A profile must have cores and memory.
		EmptyProfile,
		/// The new profile is smaller than the machine's containers.
		ProfileTooSmall,
		/// The machine has `MaxContainersPerMachine` containers.
		TooManyContainers,
		/// The container does not fit the machine's free resources.
		DoesNotFit,
		/// A container needs some CPU and memory.
		EmptyContainer,
		/// No such container.
		UnknownContainer,
		/// The container serves a lease.
		ContainerBusy,
		/// A heartbeat came sooner than `MinHeartbeatInterval` after the last.
		TooFrequent,
		/// An image with this digest is already published.
		ImageExists,
		/// No image has this digest.
		UnknownImage,
		/// An image needs a repository name, a version and a size.
		EmptyImage,
		/// The caller did not publish the image.
		NotPublisher,
		/// The image is not verified (pending or rejected).
		ImageNotVerified,
		/// The provider has obligations in the market (an open dispute): it cannot leave yet.
		ObligationsPending,
		/// A gateway URL must be `https://` followed by a host (and optionally a port and path).
		BadGatewayUrl,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let (checked, reacted) = Self::sweep(now);
			// What the market did for the machines that went offline is measured by it.
			T::WeightInfo::sweep(checked).saturating_add(reacted)
		}

		fn integrity_test() {
			assert!(T::ProviderDeposit::get() > Zero::zero(), "providers must hold a deposit");
			assert!(T::MachineDeposit::get() > Zero::zero(), "machines take storage");
			assert!(T::ContainerDeposit::get() > Zero::zero(), "containers take storage");
			assert!(T::ImageDeposit::get() > Zero::zero(), "images take storage");
			assert!(
				T::HeartbeatTimeout::get() > T::MinHeartbeatInterval::get(),
				"a machine must be able to beat before it times out"
			);
			assert!(T::SweepPerBlock::get() >= 1, "the sweep must make progress");
			assert!(T::MaxContainersPerMachine::get() >= 1, "a machine needs a container");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers the caller as a provider, holding [`Config::ProviderDeposit`].
		#[pallet::call_index(0)]
		pub fn register_provider(origin: OriginFor<T>, meta: MetaOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!Providers::<T>::contains_key(&who), Error::<T>::AlreadyProvider);
			let deposit = T::ProviderDeposit::get();
			T::Currency::hold(&HoldReason::Provider.into(), &who, deposit)?;
			Providers::<T>::insert(&who, Provider { meta, deposit, machines: 0, leaving_at: None });
			Self::deposit_event(Event::ProviderRegistered { who });
			Ok(())
		}

		/// Replaces the caller's provider metadata.
		#[pallet::call_index(1)]
		pub fn update_provider(origin: OriginFor<T>, meta: MetaOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Providers::<T>::try_mutate(&who, |p| -> DispatchResult {
				let p = p.as_mut().ok_or(Error::<T>::NotProvider)?;
				p.meta = meta;
				Ok(())
			})?;
			Self::deposit_event(Event::ProviderUpdated { who });
			Ok(())
		}

		/// Starts leaving (origin: the provider): possible once every machine is removed and
		/// no dispute against it is open (`ObligationsPending`); the deposit can be withdrawn
		/// after [`Config::CoolDown`]. Emits `ProviderLeaving`.
		#[pallet::call_index(2)]
		pub fn deregister_provider(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!T::Obligations::has_obligations(&who), Error::<T>::ObligationsPending);
			let at = frame_system::Pallet::<T>::block_number().saturating_add(T::CoolDown::get());
			Providers::<T>::try_mutate(&who, |p| -> DispatchResult {
				let p = p.as_mut().ok_or(Error::<T>::NotProvider)?;
				ensure!(p.machines == 0, Error::<T>::HasMachines);
				p.leaving_at = Some(at);
				Ok(())
			})?;
			Self::deposit_event(Event::ProviderLeaving { who, at });
			Ok(())
		}

		/// Ends a provider (origin: the provider) whose cool-down has passed and who has no open
		/// dispute, and releases its deposit. Emits `ProviderRemoved`.
		#[pallet::call_index(3)]
		pub fn withdraw_provider(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let p = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(p.leaving_at.is_some_and(|at| at <= now), Error::<T>::CoolDownPending);
			ensure!(!T::Obligations::has_obligations(&who), Error::<T>::ObligationsPending);
			Self::release(HoldReason::Provider, &who, p.deposit);
			Providers::<T>::remove(&who);
			Gateways::<T>::remove(&who);
			Self::deposit_event(Event::ProviderRemoved { who });
			Ok(())
		}

		/// Registers a machine of the caller with the agent's `profile`, holding
		/// [`Config::MachineDeposit`]. The machine starts online.
		#[pallet::call_index(4)]
		pub fn register_machine(origin: OriginFor<T>, profile: ProfileOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				profile.logical_cores > 0 && profile.memory_bytes > 0,
				Error::<T>::EmptyProfile
			);
			let mut provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
			ensure!(provider.leaving_at.is_none(), Error::<T>::ProviderLeaving);
			ensure!(
				provider.machines < T::MaxMachinesPerProvider::get(),
				Error::<T>::TooManyMachines
			);
			let deposit = T::MachineDeposit::get();
			T::Currency::hold(&HoldReason::Machine.into(), &who, deposit)?;
			let id = NextMachineId::<T>::mutate(|n| {
				let id = *n;
				*n = n.saturating_add(1);
				id
			});
			provider.machines = provider.machines.saturating_add(1);
			Providers::<T>::insert(&who, provider);
			MachinesOf::<T>::insert(&who, id, ());
			Machines::<T>::insert(
				id,
				Machine {
					owner: who.clone(),
					profile: profile.clone(),
					version: 1,
					deposit,
					containers: BoundedVec::new(),
					last_heartbeat: frame_system::Pallet::<T>::block_number(),
					online: true,
				},
			);
			T::ProfileChanged::profile_changed(id, 1);
			Self::deposit_event(Event::MachineRegistered { id, owner: who, profile });
			Ok(())
		}

		/// Replaces machine `id`'s profile (owner only); bumps its version.
		#[pallet::call_index(5)]
		pub fn update_machine(
			origin: OriginFor<T>,
			id: MachineId,
			profile: ProfileOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				profile.logical_cores > 0 && profile.memory_bytes > 0,
				Error::<T>::EmptyProfile
			);
			let mut machine = Machines::<T>::get(id).ok_or(Error::<T>::UnknownMachine)?;
			ensure!(machine.owner == who, Error::<T>::NotOwner);
			ensure!(
				Self::allocated(&machine).is_some_and(|used| profile.capacity().covers(&used)),
				Error::<T>::ProfileTooSmall
			);
			machine.profile = profile.clone();
			machine.version = machine.version.saturating_add(1);
			let version = machine.version;
			Machines::<T>::insert(id, machine);
			T::ProfileChanged::profile_changed(id, version);
			Self::deposit_event(Event::MachineUpdated { id, version, profile });
			Ok(())
		}

		/// Removes machine `id` (owner only) with its containers, all of which must be idle,
		/// and releases their deposits.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::remove_machine(T::MaxContainersPerMachine::get()))]
		pub fn remove_machine(origin: OriginFor<T>, id: MachineId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let machine = Machines::<T>::get(id).ok_or(Error::<T>::UnknownMachine)?;
			ensure!(machine.owner == who, Error::<T>::NotOwner);
			let containers: alloc::vec::Vec<_> = machine
				.containers
				.iter()
				.filter_map(|c| Containers::<T>::get(c).map(|r| (*c, r)))
				.collect();
			ensure!(
				containers.iter().all(|(_, c)| c.state == ContainerState::Idle),
				Error::<T>::ContainerBusy
			);
			for (cid, c) in containers {
				T::Contribution::container_removed(cid);
				Self::release(HoldReason::Container, &who, c.deposit);
				Containers::<T>::remove(cid);
				Self::deposit_event(Event::ContainerRemoved { id: cid });
			}
			Self::release(HoldReason::Machine, &who, machine.deposit);
			Machines::<T>::remove(id);
			VerifiedMachines::<T>::remove(id);
			VerifiedCpuMhz::<T>::remove(id);
			MachinesOf::<T>::remove(&who, id);
			Providers::<T>::mutate(&who, |p| {
				if let Some(p) = p {
					p.machines = p.machines.saturating_sub(1);
				}
			});
			Self::deposit_event(Event::MachineRemoved { id });
			Ok(())
		}

		/// Adds a container of `spec` on machine `machine` (owner only), holding
		/// [`Config::ContainerDeposit`]. All containers together must fit the profile.
		#[pallet::call_index(7)]
		pub fn add_container(
			origin: OriginFor<T>,
			machine: MachineId,
			spec: ResourceSpec,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(spec.cpu_millicores > 0 && spec.memory_bytes > 0, Error::<T>::EmptyContainer);
			let mut m = Machines::<T>::get(machine).ok_or(Error::<T>::UnknownMachine)?;
			ensure!(m.owner == who, Error::<T>::NotOwner);
			let used = Self::allocated(&m).ok_or(Error::<T>::DoesNotFit)?;
			let total = add_specs(&used, &spec).ok_or(Error::<T>::DoesNotFit)?;
			ensure!(m.profile.capacity().covers(&total), Error::<T>::DoesNotFit);
			let id = NextContainerId::<T>::get();
			m.containers.try_push(id).map_err(|_| Error::<T>::TooManyContainers)?;
			let deposit = T::ContainerDeposit::get();
			T::Currency::hold(&HoldReason::Container.into(), &who, deposit)?;
			NextContainerId::<T>::put(id.saturating_add(1));
			let capacity = ContainerCapacity { spec, cpu_mhz: m.profile.cpu_mhz };
			Containers::<T>::insert(
				id,
				Container { machine, capacity, state: ContainerState::Idle, deposit },
			);
			if m.online {
				let verified = Self::hardware_verified(machine, &m);
				let scored = Self::scored(capacity, Self::measured_mhz(machine, verified));
				T::Contribution::container_online(id, &who, scored, verified)?;
			}
			Machines::<T>::insert(machine, m);
			Self::deposit_event(Event::ContainerAdded { id, machine, capacity });
			Ok(())
		}

		/// Removes idle container `id` (owner only) and releases its deposit.
		#[pallet::call_index(8)]
		pub fn remove_container(origin: OriginFor<T>, id: ContainerId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let c = Containers::<T>::get(id).ok_or(Error::<T>::UnknownContainer)?;
			let mut m = Machines::<T>::get(c.machine).ok_or(Error::<T>::UnknownMachine)?;
			ensure!(m.owner == who, Error::<T>::NotOwner);
			ensure!(c.state == ContainerState::Idle, Error::<T>::ContainerBusy);
			m.containers.retain(|x| *x != id);
			Machines::<T>::insert(c.machine, m);
			T::Contribution::container_removed(id);
			Self::release(HoldReason::Container, &who, c.deposit);
			Containers::<T>::remove(id);
			Self::deposit_event(Event::ContainerRemoved { id });
			Ok(())
		}

		/// A heartbeat of machine `id` (owner only, at most one per
		/// [`Config::MinHeartbeatInterval`]): the machine is online and each container is
		/// reported online to PoC (which accrues contribution once per period).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::heartbeat(T::MaxContainersPerMachine::get()))]
		pub fn heartbeat(origin: OriginFor<T>, id: MachineId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut m = Machines::<T>::get(id).ok_or(Error::<T>::UnknownMachine)?;
			ensure!(m.owner == who, Error::<T>::NotOwner);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(
				!m.online || now >= m.last_heartbeat.saturating_add(T::MinHeartbeatInterval::get()),
				Error::<T>::TooFrequent
			);
			let was_online = m.online;
			m.last_heartbeat = now;
			m.online = true;
			let verified = Self::hardware_verified(id, &m);
			let measured = Self::measured_mhz(id, verified);
			for cid in m.containers.iter() {
				if let Some(c) = Containers::<T>::get(cid) {
					let scored = Self::scored(c.capacity, measured);
					T::Contribution::container_online(*cid, &who, scored, verified)?;
				}
			}
			Machines::<T>::insert(id, m);
			if !was_online {
				Self::deposit_event(Event::MachineOnline { id });
			}
			Ok(())
		}

		/// Publishes image `digest` (the sha256 of its OCI manifest) pulled from repository
		/// `name`, holding [`Config::ImageDeposit`]. It is `Pending` until the verifier decides;
		/// `fee` is paid to the caller on every lease of it.
		#[pallet::call_index(10)]
		pub fn publish_image(
			origin: OriginFor<T>,
			name: ImageRefOf<T>,
			version: ImageRefOf<T>,
			digest: ImageDigest,
			size_bytes: u64,
			min_resources: ResourceSpec,
			fee: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				!name.is_empty() && !version.is_empty() && size_bytes > 0,
				Error::<T>::EmptyImage
			);
			ensure!(!Images::<T>::contains_key(digest), Error::<T>::ImageExists);
			let deposit = T::ImageDeposit::get();
			T::Currency::hold(&HoldReason::Image.into(), &who, deposit)?;
			Images::<T>::insert(
				digest,
				Image {
					publisher: who.clone(),
					name: name.clone(),
					version: version.clone(),
					size_bytes,
					min_resources,
					fee,
					deposit,
					status: ImageStatus::Pending,
					published_at: frame_system::Pallet::<T>::block_number(),
				},
			);
			Self::deposit_event(Event::ImagePublished {
				digest,
				publisher: who,
				name,
				version,
				fee,
			});
			Ok(())
		}

		/// Sets the usage fee of image `digest` (publisher only); leases already made keep
		/// the fee they were made with.
		#[pallet::call_index(11)]
		pub fn set_image_fee(
			origin: OriginFor<T>,
			digest: ImageDigest,
			fee: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Images::<T>::try_mutate(digest, |i| -> DispatchResult {
				let i = i.as_mut().ok_or(Error::<T>::UnknownImage)?;
				ensure!(i.publisher == who, Error::<T>::NotPublisher);
				i.fee = fee;
				Ok(())
			})?;
			Self::deposit_event(Event::ImageFeeChanged { digest, fee });
			Ok(())
		}

		/// The verifier's decision on image `digest`: `approve` makes it leasable, otherwise
		/// it is rejected (and may be decided again).
		#[pallet::call_index(12)]
		pub fn verify_image(
			origin: OriginFor<T>,
			digest: ImageDigest,
			approve: bool,
		) -> DispatchResult {
			T::VerifierOrigin::ensure_origin(origin)?;
			Images::<T>::try_mutate(digest, |i| -> DispatchResult {
				let i = i.as_mut().ok_or(Error::<T>::UnknownImage)?;
				i.status = if approve { ImageStatus::Verified } else { ImageStatus::Rejected };
				Ok(())
			})?;
			Self::deposit_event(if approve {
				Event::ImageVerified { digest }
			} else {
				Event::ImageRejected { digest }
			});
			Ok(())
		}

		/// Withdraws image `digest` (publisher only) and releases its deposit; new orders can
		/// no longer use it, running leases keep their terms.
		#[pallet::call_index(13)]
		pub fn remove_image(origin: OriginFor<T>, digest: ImageDigest) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let image = Images::<T>::get(digest).ok_or(Error::<T>::UnknownImage)?;
			ensure!(image.publisher == who, Error::<T>::NotPublisher);
			Self::release(HoldReason::Image, &who, image.deposit);
			Images::<T>::remove(digest);
			Self::deposit_event(Event::ImageRemoved { digest });
			Ok(())
		}

		/// Marks machine `id`'s hardware (its current profile version) verified or not.
		/// Origin: [`Config::HardwareOrigin`]. Emits [`Event::HardwareVerified`] or
		/// [`Event::HardwareUnverified`]; [`Error::UnknownMachine`] for an unknown machine.
		#[pallet::call_index(14)]
		pub fn set_hardware_verified(
			origin: OriginFor<T>,
			id: MachineId,
			verified: bool,
		) -> DispatchResult {
			T::HardwareOrigin::ensure_origin(origin)?;
			let m = Machines::<T>::get(id).ok_or(Error::<T>::UnknownMachine)?;
			if verified {
				Self::mark_verified(id, m.version);
			} else {
				Self::mark_unverified(id);
			}
			Ok(())
		}

		/// Announces (or with `None` withdraws) the caller's lease gateway: its `https://` URL
		/// and the SHA-256 of its TLS certificate, which users' clients pin. Origin: a
		/// registered provider. Emits [`Event::GatewaySet`]. Errors: [`Error::NotProvider`],
		/// [`Error::BadGatewayUrl`].
		#[pallet::call_index(15)]
		pub fn set_gateway(origin: OriginFor<T>, gateway: Option<GatewayOf<T>>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Providers::<T>::contains_key(&who), Error::<T>::NotProvider);
			match &gateway {
				Some(g) => {
					ensure!(g.is_well_formed(), Error::<T>::BadGatewayUrl);
					Gateways::<T>::insert(&who, g.clone());
				},
				None => Gateways::<T>::remove(&who),
			}
			Self::deposit_event(Event::GatewaySet { who, gateway });
			Ok(())
		}
	}

	/// `a + b` per resource (`None` on overflow).
	pub fn add_specs(a: &ResourceSpec, b: &ResourceSpec) -> Option<ResourceSpec> {
		Some(ResourceSpec {
			cpu_millicores: a.cpu_millicores.checked_add(b.cpu_millicores)?,
			memory_bytes: a.memory_bytes.checked_add(b.memory_bytes)?,
			storage_bytes: a.storage_bytes.checked_add(b.storage_bytes)?,
			bandwidth_bps: a.bandwidth_bps.checked_add(b.bandwidth_bps)?,
		})
	}
}
