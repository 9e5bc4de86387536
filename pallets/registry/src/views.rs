//! What the [`RegistryApi`](crate::runtime_api::RegistryApi) returns: records with readable
//! strings (UTF-8, lossy), balances as decimal strings (they exceed JavaScript's safe
//! integers) and digests as `sha256:<hex>`, ready for the node's JSON-RPC.

use crate::{pallet::*, types::*};
use alloc::{format, string::String, vec::Vec};
use codec::{Decode, Encode};
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::traits::UniqueSaturatedInto;
use uranus_primitives::compute::{ContainerId, ResourceSpec};

/// Most records one runtime API call returns.
pub const MAX_PAGE: u32 = 256;

/// Serialises a `u128` balance as a decimal string.
pub mod balance_string {
	use alloc::string::{String, ToString};
	use serde::{Deserialize, Deserializer, Serializer};

	/// Writes `v` as a string.
	pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
		s.serialize_str(&v.to_string())
	}

	/// Reads a string written by [`serialize`].
	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
		String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
	}
}

/// A registered provider.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderView<AccountId> {
	/// Its account.
	pub account: AccountId,
	/// Display name.
	pub name: String,
	/// Region.
	pub region: String,
	/// Labels orders can require.
	pub labels: Vec<String>,
	/// Deposit held, in plancks.
	#[serde(with = "balance_string")]
	pub deposit: u128,
	/// Machines registered.
	pub machines: u32,
	/// The block its deposit is free from, when leaving.
	pub leaving_at: Option<u64>,
}

/// A container (compute slice).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerView {
	/// Its id.
	pub id: ContainerId,
	/// The machine it lives on.
	pub machine: MachineId,
	/// Its resources.
	pub spec: ResourceSpec,
	/// The machine's CPU frequency, MHz.
	pub cpu_mhz: u32,
	/// The lease it serves; `None` when idle.
	pub lease: Option<u64>,
	/// Deposit held, in plancks.
	#[serde(with = "balance_string")]
	pub deposit: u128,
}

/// A machine with its hardware profile and containers.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineView<AccountId> {
	/// Its id.
	pub id: MachineId,
	/// Its provider.
	pub owner: AccountId,
	/// CPU model.
	pub cpu_model: String,
	/// CPU architecture.
	pub arch: String,
	/// Logical cores.
	pub logical_cores: u32,
	/// CPU frequency, MHz.
	pub cpu_mhz: u32,
	/// Memory, bytes.
	pub memory_bytes: u64,
	/// Storage, bytes.
	pub storage_bytes: u64,
	/// Uplink, bytes per second.
	pub uplink_bps: u64,
	/// Profile version (bumped on every change).
	pub version: u32,
	/// Deposit held, in plancks.
	#[serde(with = "balance_string")]
	pub deposit: u128,
	/// Block of the last heartbeat.
	pub last_heartbeat: u64,
	/// Whether heartbeats arrive in time.
	pub online: bool,
	/// Its containers.
	pub containers: Vec<ContainerView>,
}

/// A published image.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageView<AccountId> {
	/// `sha256:<hex>` of its manifest.
	pub digest: String,
	/// Its publisher.
	pub publisher: AccountId,
	/// OCI repository.
	pub name: String,
	/// Version tag.
	pub version: String,
	/// Compressed size, bytes.
	pub size_bytes: u64,
	/// Least resources it needs.
	pub min_resources: ResourceSpec,
	/// Usage fee per lease, in plancks.
	#[serde(with = "balance_string")]
	pub fee: u128,
	/// Deposit held, in plancks.
	#[serde(with = "balance_string")]
	pub deposit: u128,
	/// The verifier's decision.
	pub status: ImageStatus,
	/// Block it was published at.
	pub published_at: u64,
}

/// `sha256:<hex>` of `digest`.
pub fn digest_string(digest: &ImageDigest) -> String {
	let mut s = String::with_capacity(71);
	s.push_str("sha256:");
	for b in digest {
		s.push_str(&format!("{b:02x}"));
	}
	s
}

fn text(b: &[u8]) -> String {
	String::from_utf8_lossy(b).into_owned()
}

fn block<T: Config>(b: BlockNumberFor<T>) -> u64 {
	b.unique_saturated_into()
}

fn planck<T: Config>(b: BalanceOf<T>) -> u128 {
	b.unique_saturated_into()
}

impl<T: Config> Pallet<T> {
	/// `who`'s provider record.
	pub fn provider_view(who: &T::AccountId) -> Option<ProviderView<T::AccountId>> {
		let p = Providers::<T>::get(who)?;
		Some(ProviderView {
			account: who.clone(),
			name: text(&p.meta.name),
			region: text(&p.meta.region),
			labels: p.meta.labels.iter().map(|l| text(l)).collect(),
			deposit: planck::<T>(p.deposit),
			machines: p.machines,
			leaving_at: p.leaving_at.map(block::<T>),
		})
	}

	/// Up to `limit` (≤ [`MAX_PAGE`]) providers, in storage order, after `after`.
	pub fn provider_views(
		after: Option<T::AccountId>,
		limit: u32,
	) -> Vec<ProviderView<T::AccountId>> {
		let limit = limit.min(MAX_PAGE) as usize;
		let keys = match after {
			Some(a) => Providers::<T>::iter_keys_from(Providers::<T>::hashed_key_for(a)),
			None => Providers::<T>::iter_keys(),
		};
		keys.take(limit).filter_map(|k| Self::provider_view(&k)).collect()
	}

	/// Container `id`.
	pub fn container_view(id: ContainerId) -> Option<ContainerView> {
		let c = Containers::<T>::get(id)?;
		Some(ContainerView {
			id,
			machine: c.machine,
			spec: c.capacity.spec,
			cpu_mhz: c.capacity.cpu_mhz,
			lease: match c.state {
				ContainerState::Idle => None,
				ContainerState::Serving(l) => Some(l),
			},
			deposit: planck::<T>(c.deposit),
		})
	}

	/// Machine `id` with its containers.
	pub fn machine_view(id: MachineId) -> Option<MachineView<T::AccountId>> {
		let m = Machines::<T>::get(id)?;
		Some(MachineView {
			id,
			owner: m.owner,
			cpu_model: text(&m.profile.cpu_model),
			arch: text(&m.profile.arch),
			logical_cores: m.profile.logical_cores,
			cpu_mhz: m.profile.cpu_mhz,
			memory_bytes: m.profile.memory_bytes,
			storage_bytes: m.profile.storage_bytes,
			uplink_bps: m.profile.uplink_bps,
			version: m.version,
			deposit: planck::<T>(m.deposit),
			last_heartbeat: block::<T>(m.last_heartbeat),
			online: m.online,
			containers: m.containers.iter().filter_map(|c| Self::container_view(*c)).collect(),
		})
	}

	/// Up to `limit` (≤ [`MAX_PAGE`]) machines with ids above `after` (all of `owner`'s when
	/// given), by id.
	pub fn machine_views(
		owner: Option<T::AccountId>,
		after: Option<MachineId>,
		limit: u32,
	) -> Vec<MachineView<T::AccountId>> {
		let limit = limit.min(MAX_PAGE) as usize;
		let from = after.map_or(0, |a| a.saturating_add(1));
		match owner {
			Some(o) => {
				let mut ids: Vec<MachineId> =
					MachinesOf::<T>::iter_key_prefix(&o).filter(|id| *id >= from).collect();
				ids.sort_unstable();
				ids.into_iter().take(limit).filter_map(Self::machine_view).collect()
			},
			None => (from..NextMachineId::<T>::get())
				.filter_map(Self::machine_view)
				.take(limit)
				.collect(),
		}
	}

	/// Image `digest`.
	pub fn image_view(digest: &ImageDigest) -> Option<ImageView<T::AccountId>> {
		let i = Images::<T>::get(digest)?;
		Some(ImageView {
			digest: digest_string(digest),
			publisher: i.publisher,
			name: text(&i.name),
			version: text(&i.version),
			size_bytes: i.size_bytes,
			min_resources: i.min_resources,
			fee: planck::<T>(i.fee),
			deposit: planck::<T>(i.deposit),
			status: i.status,
			published_at: block::<T>(i.published_at),
		})
	}

	/// Up to `limit` (≤ [`MAX_PAGE`]) images, in digest order, after `after`.
	pub fn image_views(after: Option<ImageDigest>, limit: u32) -> Vec<ImageView<T::AccountId>> {
		let limit = limit.min(MAX_PAGE) as usize;
		let keys = match after {
			Some(a) => Images::<T>::iter_keys_from(Images::<T>::hashed_key_for(a)),
			None => Images::<T>::iter_keys(),
		};
		keys.take(limit).filter_map(|k| Self::image_view(&k)).collect()
	}

	/// The most machines a provider may have (for RPC clients sizing pages).
	pub fn max_machines_per_provider() -> u32 {
		T::MaxMachinesPerProvider::get()
	}
}
