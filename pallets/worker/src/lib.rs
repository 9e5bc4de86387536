//! # Worker pallet: the provider's off-chain worker
//!
//! On a node that holds a provider key (key type `cmpt`, see
//! [`uranus_primitives::worker::PROVIDER_KEY_TYPE`]), `offchain_worker` drives the local
//! `uranus-agent` and keeps the chain's registry in step with the machine:
//!
//! 1. the key is not a provider yet → `registry.register_provider` with the node's configured
//!    name, region and labels;
//! 2. no machine of the key matches the agent's `GET /v1/hardware` → `register_machine` (a
//!    machine registered earlier with the same profile is adopted instead, so a node that lost
//!    its off-chain database does not register twice);
//! 3. the hardware changed → `update_machine`;
//! 4. fewer containers than the configured slices → `add_container` (equal slices);
//! 5. a heartbeat is due → `heartbeat` (only after the agent answered: a stopped agent means no
//!    heartbeats and the registry marks the machine offline after its timeout).
//!
//! Beside these, on every run: the leases of the machine ([`leases`]) and its part in a
//! hardware challenge ([`attestation`]: run the workload and commit/reveal it, or verify
//! another machine's and seal/reveal the verdict).
//!
//! One signed transaction per run at most, and none while the previous one is not included
//! (its nonce is remembered) — signed transactions from the worker use the on-chain nonce.
//! Runs of concurrent blocks serialise on a storage lock. Agent failures (down, slow, wrong
//! token, bad JSON) back off exponentially up to [`Config::MaxBackoff`] blocks with one log
//! line each; nothing here panics. The agent URL and token come from the node's command line
//! (`--agent-url`, `--agent-token-file`), written to off-chain local storage
//! ([`uranus_primitives::worker::WorkerConfig`]).
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod agent;
pub mod attestation;
pub mod leases;
pub mod local;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;

use alloc::{vec, vec::Vec};
use frame_support::{traits::Get, BoundedVec};
use frame_system::{
	offchain::{AppCrypto, CreateSignedTransaction, SendSignedTransaction, Signer},
	pallet_prelude::BlockNumberFor,
};
use pallet_registry::{HardwareProfile, MachineId, MachineOf, MetaOf, ProfileOf, ProviderMeta};
use sp_core::offchain::{Duration, KeyTypeId};
use sp_runtime::{
	offchain::storage_lock::{BlockAndTime, StorageLock},
	traits::{IdentifyAccount, Saturating, UniqueSaturatedInto},
	RuntimeAppPublic,
};
use uranus_primitives::{
	agent::HardwareInfo,
	compute::ResourceSpec,
	worker::{WorkerConfig, PROVIDER_KEY_TYPE},
};

pub use agent::AgentError;

/// Log target of the worker.
pub const LOG_TARGET: &str = "uranus::worker";

/// Key type of provider keys.
pub const KEY_TYPE: KeyTypeId = KeyTypeId(PROVIDER_KEY_TYPE);

/// Provider keys: sr25519 under [`KEY_TYPE`].
pub mod crypto {
	use super::KEY_TYPE;
	use sp_runtime::{
		app_crypto::{app_crypto, sr25519},
		MultiSignature, MultiSigner,
	};
	app_crypto!(sr25519, KEY_TYPE);

	/// Signs the worker's transactions with a provider key.
	pub struct ProviderAuthId;

	impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for ProviderAuthId {
		type RuntimeAppPublic = Public;
		type GenericSignature = sp_core::sr25519::Signature;
		type GenericPublic = sp_core::sr25519::Public;
	}

	impl frame_system::offchain::AppCrypto<sp_core::sr25519::Public, sp_core::sr25519::Signature>
		for ProviderAuthId
	{
		type RuntimeAppPublic = Public;
		type GenericSignature = sp_core::sr25519::Signature;
		type GenericPublic = sp_core::sr25519::Public;
	}
}

/// A registry call the worker submits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
	/// `register_provider`.
	RegisterProvider,
	/// `register_machine`.
	RegisterMachine,
	/// `update_machine` of this machine.
	UpdateMachine(MachineId),
	/// `add_container` on this machine.
	AddContainer(MachineId),
	/// `heartbeat` of this machine.
	Heartbeat(MachineId),
}

impl Action {
	fn code(&self) -> u8 {
		match self {
			Action::RegisterProvider => 0,
			Action::RegisterMachine => 1,
			Action::UpdateMachine(_) => 2,
			Action::AddContainer(_) => 3,
			Action::Heartbeat(_) => 4,
		}
	}

	/// Whether sending it again right after it landed is normal (otherwise it means the
	/// previous one failed on chain and the worker backs off).
	fn repeats_normally(&self) -> bool {
		matches!(self, Action::Heartbeat(_) | Action::AddContainer(_))
	}
}

/// What one run of the worker did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
	/// The node holds no provider key: nothing to do.
	NoKey,
	/// Another run holds the lock.
	Locked,
	/// The previous transaction is not included yet.
	Waiting,
	/// Backing off after failures until this block.
	BackingOff(u64),
	/// The registry is up to date.
	Idle,
	/// A registry transaction was submitted.
	Sent(Action),
	/// Market transactions for these leases were submitted.
	SentLeases(Vec<leases::LeaseAction>),
	/// A hardware challenge's transaction was submitted.
	SentAttestation(attestation::AttestAction),
}

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkerError {
	/// The agent could not be read.
	Agent(AgentError),
	/// The agent reports a machine without cores or memory.
	EmptyHardware,
	/// The transaction pool refused the transaction (e.g. the key cannot pay fees).
	PoolRejected(Action),
	/// The transaction pool refused a lease's transaction.
	PoolRejectedLease(leases::LeaseAction),
	/// The transaction pool refused a hardware challenge's transaction.
	PoolRejectedAttestation(attestation::AttestAction),
	/// The same call was sent repeatedly without the registry changing.
	NoProgress(Action),
}

impl core::fmt::Display for WorkerError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			WorkerError::Agent(e) => write!(f, "agent: {e}"),
			WorkerError::EmptyHardware => write!(f, "agent reports no cores or no memory"),
			WorkerError::PoolRejected(a) => write!(f, "transaction pool refused {a:?}"),
			WorkerError::PoolRejectedLease(a) => write!(f, "transaction pool refused {a:?}"),
			WorkerError::PoolRejectedAttestation(a) => {
				write!(f, "transaction pool refused {a:?}")
			},
			WorkerError::NoProgress(a) => write!(f, "{a:?} sent repeatedly without effect"),
		}
	}
}

/// Consecutive sends of one non-repeating action before the worker backs off.
const MAX_REPEATS: u32 = 3;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;

	/// The storage version: 0, the layout this pallet launched with. A change of a stored
	/// type bumps it and ships a `VersionedMigration` (see pallet-market's `migrations`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config
		+ CreateSignedTransaction<pallet_registry::Call<Self>>
		+ CreateSignedTransaction<pallet_market::Call<Self>>
		+ CreateSignedTransaction<pallet_attest::Call<Self>>
		+ pallet_registry::Config
		+ pallet_market::Config
		+ pallet_attest::Config
	{
		/// The provider key's crypto.
		type AuthorityId: AppCrypto<Self::Public, Self::Signature>;

		/// Longest wait for one agent request, milliseconds.
		#[pallet::constant]
		type AgentTimeoutMs: Get<u64>;

		/// Longest wait for the agent to recompute another machine's picked lanes,
		/// milliseconds (a hardware challenge's verification runs as one request).
		#[pallet::constant]
		type VerifyTimeoutMs: Get<u64>;

		/// Blocks after which a transaction not yet included may be sent again.
		#[pallet::constant]
		type ResendAfter: Get<BlockNumberFor<Self>>;

		/// Longest back-off after failures, blocks.
		#[pallet::constant]
		type MaxBackoff: Get<BlockNumberFor<Self>>;
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn offchain_worker(n: BlockNumberFor<T>) {
			match Self::run(n) {
				Ok(Outcome::Sent(action)) => {
					log::info!(target: LOG_TARGET, "block {n:?}: submitted {action:?}")
				},
				Ok(outcome) => log::debug!(target: LOG_TARGET, "block {n:?}: {outcome:?}"),
				Err((e, until)) => log::warn!(
					target: LOG_TARGET,
					"block {n:?}: {e}; next attempt at block {until:?}"
				),
			}
		}
	}
}

impl<T: Config> Pallet<T> {
	/// One run at block `n`. On failure returns the error and the block of the next attempt.
	pub fn run(n: BlockNumberFor<T>) -> Result<Outcome, (WorkerError, BlockNumberFor<T>)> {
		let Some((public, who)) = Self::provider_key() else { return Ok(Outcome::NoKey) };
		let timeout = T::AgentTimeoutMs::get();
		// The lock outlives the longest run (every agent request timing out): a run in a
		// later block waits instead of overlapping it. It expires once both deadlines pass.
		let longest_run = timeout
			.saturating_mul(leases::MAX_REQUESTS_PER_RUN)
			.saturating_add(T::VerifyTimeoutMs::get())
			.saturating_add(1_000);
		let mut lock =
			StorageLock::<BlockAndTime<frame_system::Pallet<T>>>::with_block_and_time_deadline(
				local::LOCK_KEY,
				1,
				Duration::from_millis(longest_run),
			);
		let Ok(_guard) = lock.try_lock() else { return Ok(Outcome::Locked) };

		let nonce: u64 = frame_system::Pallet::<T>::account_nonce(&who).unique_saturated_into();
		let pending = local::pending::<BlockNumberFor<T>>();
		if let Some(p) = pending {
			if nonce <= p.nonce && n < p.at.saturating_add(T::ResendAfter::get()) {
				return Ok(Outcome::Waiting);
			}
		}
		if let Some(b) = local::backoff::<BlockNumberFor<T>>() {
			if n < b.until {
				return Ok(Outcome::BackingOff(b.until.unique_saturated_into()));
			}
		}

		let config = local::config();
		let registry_next = match Self::plan(n, &who, &config, Duration::from_millis(timeout)) {
			Ok(next) => next,
			Err(e) => return Err((e, Self::back_off(n))),
		};
		// The leases of a registered machine are handled on every run.
		// Each lease stands alone: one whose agent requests fail is retried next run while
		// the others' calls and the heartbeat go ahead.
		let lease_calls = match local::machine() {
			Some(machine) => {
				let agent = agent::AgentClient::new(&config, Duration::from_millis(timeout));
				Self::lease_calls(machine, &agent).calls
			},
			None => Vec::new(),
		};
		let mut sent_leases = Vec::new();
		for (lease_action, call) in lease_calls {
			let sent = Signer::<T, T::AuthorityId>::any_account()
				.with_filter(vec![public.clone()])
				.send_signed_transaction(|_| call.clone());
			match sent {
				Some((_, Ok(()))) => sent_leases.push(lease_action),
				_ => return Err((WorkerError::PoolRejectedLease(lease_action), Self::back_off(n))),
			}
		}
		// The machine's part in a hardware challenge, at most one call a run.
		let mut sent_attestation = None;
		if let Some(machine) = local::machine() {
			let agent = agent::AgentClient::new(&config, Duration::from_millis(timeout));
			let verifier =
				agent::AgentClient::new(&config, Duration::from_millis(T::VerifyTimeoutMs::get()));
			match attestation::step::<T>(n, machine, &agent, &verifier) {
				Ok(attestation::AttestStep::Call(action, call)) => {
					let sent = Signer::<T, T::AuthorityId>::any_account()
						.with_filter(vec![public.clone()])
						.send_signed_transaction(|_| call.clone());
					match sent {
						Some((_, Ok(()))) => sent_attestation = Some(action),
						_ => {
							return Err((
								WorkerError::PoolRejectedAttestation(action),
								Self::back_off(n),
							))
						},
					}
				},
				Ok(step) => log::debug!(target: LOG_TARGET, "block {n:?}: challenge: {step:?}"),
				// The heartbeat and the leases go ahead; the step is retried next run.
				Err(e) => log::warn!(target: LOG_TARGET, "block {n:?}: challenge: agent: {e}"),
			}
		}
		let leases_sent = sent_leases.len() as u64 + sent_attestation.is_some() as u64;
		let Some((action, call)) = registry_next else {
			local::clear_backoff();
			if leases_sent == 0 {
				return Ok(Outcome::Idle);
			}
			local::set_pending(&local::Pending {
				at: n,
				nonce: nonce.saturating_add(leases_sent - 1),
				action: u8::MAX,
				repeats: 0,
			});
			if sent_leases.is_empty() {
				if let Some(a) = sent_attestation {
					return Ok(Outcome::SentAttestation(a));
				}
			}
			return Ok(Outcome::SentLeases(sent_leases));
		};
		let nonce = nonce.saturating_add(leases_sent);
		let repeats = match pending {
			Some(p) if p.action == action.code() && !action.repeats_normally() => {
				p.repeats.saturating_add(1)
			},
			_ => 0,
		};
		if repeats >= MAX_REPEATS {
			local::clear_pending();
			return Err((WorkerError::NoProgress(action), Self::back_off(n)));
		}
		let sent = Signer::<T, T::AuthorityId>::any_account()
			.with_filter(vec![public])
			.send_signed_transaction(|_| call.clone());
		match sent {
			Some((_, Ok(()))) => {
				local::set_pending(&local::Pending {
					at: n,
					nonce,
					action: action.code(),
					repeats,
				});
				local::clear_backoff();
				Ok(Outcome::Sent(action))
			},
			_ => Err((WorkerError::PoolRejected(action), Self::back_off(n))),
		}
	}

	/// The first provider key in the keystore and its account.
	pub fn provider_key() -> Option<(T::Public, T::AccountId)> {
		let key = <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::RuntimeAppPublic::all()
			.into_iter()
			.next()?;
		let generic: <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::GenericPublic =
			key.into();
		let public: T::Public = generic.into();
		let who = public.clone().into_account();
		Some((public, who))
	}

	/// The next registry call for `who`, if any. Asks the agent only when something may be
	/// due (no known machine, missing containers, a heartbeat due).
	pub fn plan(
		n: BlockNumberFor<T>,
		who: &T::AccountId,
		config: &WorkerConfig,
		timeout: Duration,
	) -> Result<Option<(Action, pallet_registry::Call<T>)>, WorkerError> {
		let Some(provider) = pallet_registry::Providers::<T>::get(who) else {
			let meta = Self::meta(config);
			return Ok(Some((
				Action::RegisterProvider,
				pallet_registry::Call::register_provider { meta },
			)));
		};
		if provider.leaving_at.is_some() {
			return Ok(None);
		}
		let slices = config.slices.max(1);
		let known = local::machine().and_then(|id| {
			let m = pallet_registry::Machines::<T>::get(id).filter(|m| m.owner == *who);
			if m.is_none() {
				local::clear_machine();
			}
			m.map(|m| (id, m))
		});
		let heartbeat_due = |m: &MachineOf<T>| {
			!m.online
				|| n >= m
					.last_heartbeat
					.saturating_add(<T as pallet_registry::Config>::MinHeartbeatInterval::get())
		};
		let due = match &known {
			None => true,
			Some((_, m)) => heartbeat_due(m) || (m.containers.len() as u32) < slices,
		};
		if !due {
			return Ok(None);
		}

		let hardware =
			agent::AgentClient::new(config, timeout).hardware().map_err(WorkerError::Agent)?;
		let profile = Self::profile(&hardware);
		if profile.logical_cores == 0 || profile.memory_bytes == 0 {
			return Err(WorkerError::EmptyHardware);
		}
		let (id, machine) = match known.or_else(|| Self::adopt(who, &profile)) {
			Some(found) => found,
			None => {
				return Ok(Some((
					Action::RegisterMachine,
					pallet_registry::Call::register_machine { profile },
				)))
			},
		};
		local::set_machine(id);
		if machine.profile != profile {
			return Ok(Some((
				Action::UpdateMachine(id),
				pallet_registry::Call::update_machine { id, profile },
			)));
		}
		if (machine.containers.len() as u32) < slices {
			if let Some(spec) = Self::free_slice(&machine, slices) {
				return Ok(Some((
					Action::AddContainer(id),
					pallet_registry::Call::add_container { machine: id, spec },
				)));
			}
		}
		if heartbeat_due(&machine) {
			return Ok(Some((Action::Heartbeat(id), pallet_registry::Call::heartbeat { id })));
		}
		Ok(None)
	}

	/// A machine of `who` with exactly this profile (registered by an earlier run whose
	/// local record was lost).
	fn adopt(who: &T::AccountId, profile: &ProfileOf<T>) -> Option<(MachineId, MachineOf<T>)> {
		let mut ids = pallet_registry::Pallet::<T>::machines_of(who);
		ids.sort_unstable();
		ids.into_iter().find_map(|id| {
			pallet_registry::Machines::<T>::get(id)
				.filter(|m| m.profile == *profile)
				.map(|m| (id, m))
		})
	}

	/// One of `slices` equal slices of the machine, if it still fits beside the others.
	fn free_slice(machine: &MachineOf<T>, slices: u32) -> Option<ResourceSpec> {
		let total = machine.profile.capacity();
		let s = slices as u64;
		let spec = ResourceSpec {
			cpu_millicores: total.cpu_millicores / slices,
			memory_bytes: total.memory_bytes / s,
			storage_bytes: total.storage_bytes / s,
			bandwidth_bps: total.bandwidth_bps / s,
		};
		if spec.cpu_millicores == 0 || spec.memory_bytes == 0 {
			return None;
		}
		let used = pallet_registry::Pallet::<T>::allocated(machine)?;
		let after = pallet_registry::add_specs(&used, &spec)?;
		total.covers(&after).then_some(spec)
	}

	/// The registry profile of the agent's hardware (totals, so it changes only when the
	/// machine does).
	pub fn profile(hw: &HardwareInfo) -> ProfileOf<T> {
		HardwareProfile {
			cpu_model: BoundedVec::truncate_from(hw.cpu_model.as_bytes().to_vec()),
			arch: BoundedVec::truncate_from(hw.arch.as_bytes().to_vec()),
			logical_cores: hw.logical_cores,
			cpu_mhz: hw.cpu_mhz,
			memory_bytes: hw.memory_total_bytes,
			storage_bytes: hw.storage_total_bytes,
			uplink_bps: hw.uplink_bytes_per_sec.unwrap_or(0),
		}
	}

	/// Provider metadata from the node's configuration (truncated to the registry's bounds).
	pub fn meta(config: &WorkerConfig) -> MetaOf<T> {
		let labels: Vec<_> =
			config.labels.iter().map(|l| BoundedVec::truncate_from(l.clone())).collect();
		ProviderMeta {
			name: BoundedVec::truncate_from(config.provider_name.clone()),
			region: BoundedVec::truncate_from(config.region.clone()),
			labels: BoundedVec::truncate_from(labels),
		}
	}

	/// Records one more failure; returns the block of the next attempt (2^failures blocks
	/// later, at most [`Config::MaxBackoff`]).
	fn back_off(n: BlockNumberFor<T>) -> BlockNumberFor<T> {
		let failures =
			local::backoff::<BlockNumberFor<T>>().map_or(0, |b| b.failures).saturating_add(1);
		let wait: BlockNumberFor<T> = 1u32.checked_shl(failures.min(16)).unwrap_or(u32::MAX).into();
		let until = n.saturating_add(wait.min(T::MaxBackoff::get()));
		local::set_backoff(&local::Backoff { failures, until });
		until
	}
}
