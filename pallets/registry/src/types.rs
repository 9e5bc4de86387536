//! Types of the registry pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use uranus_primitives::compute::{ContainerCapacity, ResourceSpec};

/// The sha256 digest of an OCI image manifest: what a lease runs, byte for byte.
pub type ImageDigest = [u8; 32];

/// Identifier of a machine.
pub type MachineId = u64;

/// A provider's public description.
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxText, MaxLabels))]
pub struct ProviderMeta<MaxText: Get<u32>, MaxLabels: Get<u32>> {
	/// Display name.
	pub name: BoundedVec<u8, MaxText>,
	/// Region, e.g. `eu-west`.
	pub region: BoundedVec<u8, MaxText>,
	/// Labels orders can require (node affinity), e.g. `gpu`, `ssd`.
	pub labels: BoundedVec<BoundedVec<u8, MaxText>, MaxLabels>,
}

/// Where a provider's lease gateway answers users, and the TLS certificate it answers with.
///
/// Users' clients connect only to `url` and accept only a certificate whose SHA-256 is
/// `tls_sha256` (the gateway's certificate is self-signed; the chain is what vouches for it).
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxText))]
pub struct Gateway<MaxText: Get<u32>> {
	/// The gateway's base URL: `https://host:port`.
	pub url: BoundedVec<u8, MaxText>,
	/// SHA-256 of the gateway certificate's DER encoding.
	pub tls_sha256: [u8; 32],
}

impl<MaxText: Get<u32>> Gateway<MaxText> {
	/// Whether the URL is an `https://` URL with a host: nothing else can be pinned.
	pub fn is_well_formed(&self) -> bool {
		let url = self.url.as_slice();
		url.strip_prefix(b"https://".as_slice()).is_some_and(|rest| {
			!rest.is_empty()
				&& rest.iter().all(|b| b.is_ascii_graphic())
				&& !rest.starts_with(b"/")
				&& !rest.starts_with(b":")
		})
	}
}

/// A registered provider.
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxText, MaxLabels))]
pub struct Provider<
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxText: Get<u32>,
	MaxLabels: Get<u32>,
> {
	/// Its description.
	pub meta: ProviderMeta<MaxText, MaxLabels>,
	/// The deposit held for the record.
	pub deposit: Balance,
	/// Machines registered.
	pub machines: u32,
	/// Set by `deregister_provider`: the deposit can be withdrawn from this block on.
	pub leaving_at: Option<BlockNumber>,
}

/// A machine's hardware as the agent probes it (`GET /v1/hardware`).
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxText))]
pub struct HardwareProfile<MaxText: Get<u32>> {
	/// CPU model name.
	pub cpu_model: BoundedVec<u8, MaxText>,
	/// CPU architecture (`x86_64`, `aarch64`, …).
	pub arch: BoundedVec<u8, MaxText>,
	/// Logical cores.
	pub logical_cores: u32,
	/// Nominal frequency in MHz.
	pub cpu_mhz: u32,
	/// Memory available to workloads, bytes.
	pub memory_bytes: u64,
	/// Storage available to workloads, bytes.
	pub storage_bytes: u64,
	/// Measured uplink, bytes per second.
	pub uplink_bps: u64,
}

impl<M: Get<u32>> HardwareProfile<M> {
	/// What the machine can give in total.
	pub fn capacity(&self) -> ResourceSpec {
		ResourceSpec {
			cpu_millicores: self.logical_cores.saturating_mul(1000),
			memory_bytes: self.memory_bytes,
			storage_bytes: self.storage_bytes,
			bandwidth_bps: self.uplink_bps,
		}
	}
}

/// A registered machine.
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxText, MaxContainers))]
pub struct Machine<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxText: Get<u32>,
	MaxContainers: Get<u32>,
> {
	/// The provider.
	pub owner: AccountId,
	/// The hardware profile.
	pub profile: HardwareProfile<MaxText>,
	/// Bumped on every profile change.
	pub version: u32,
	/// The deposit held for the record.
	pub deposit: Balance,
	/// Its containers.
	pub containers: BoundedVec<uranus_primitives::compute::ContainerId, MaxContainers>,
	/// The block of the last heartbeat.
	pub last_heartbeat: BlockNumber,
	/// Whether heartbeats arrive in time.
	pub online: bool,
}

/// What a container is doing.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum ContainerState {
	/// Free for a lease.
	Idle,
	/// Serving the given lease.
	Serving(u64),
}

/// A container: a slice of a machine that serves one lease at a time.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Container<Balance> {
	/// The machine it lives on.
	pub machine: MachineId,
	/// Its resources and the machine's CPU frequency.
	pub capacity: ContainerCapacity,
	/// Idle or serving a lease.
	pub state: ContainerState,
	/// The deposit held for the record.
	pub deposit: Balance,
}

/// Where an image stands with the verifier.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum ImageStatus {
	/// Published, not yet reviewed: the market refuses it.
	Pending,
	/// Reviewed and accepted: orders may run it.
	Verified,
	/// Reviewed and refused: orders may not run it.
	Rejected,
}

/// An image of the app store: an OCI manifest digest with its terms.
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxRef))]
pub struct Image<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxRef: Get<u32>,
> {
	/// Who published it and earns its fee.
	pub publisher: AccountId,
	/// The OCI repository it is pulled from, e.g. `127.0.0.1:5000/busybox`.
	pub name: BoundedVec<u8, MaxRef>,
	/// The publisher's version (a tag; the digest is what runs).
	pub version: BoundedVec<u8, MaxRef>,
	/// Compressed size of its layers, bytes.
	pub size_bytes: u64,
	/// The least a container must offer to run it.
	pub min_resources: ResourceSpec,
	/// Paid to the publisher on every lease of the image.
	pub fee: Balance,
	/// The deposit held for the record.
	pub deposit: Balance,
	/// The verifier's decision.
	pub status: ImageStatus,
	/// The block it was published at.
	pub published_at: BlockNumber,
}
