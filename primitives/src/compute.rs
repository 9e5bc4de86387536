//! On-chain compute types shared by `pallet-poc`, `pallet-registry`, `pallet-market`, the
//! runtime APIs and the node's RPC.
//!
//! Units are the agent's units (see [`crate::agent::ResourceLimits`]): CPU in millicores,
//! memory and storage in bytes, bandwidth in bytes per second.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};

/// Identifier of a container (a slice of a provider's machine that can serve one lease).
pub type ContainerId = u64;

/// The resource dimensions the white paper scores and prices.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Resource {
	/// CPU (capacity in millicores; scored by logical frequency × cores).
	Cpu,
	/// Memory in bytes (scored by effective free memory).
	Memory,
	/// Shareable storage in bytes.
	Storage,
	/// Measured uplink in bytes per second.
	Bandwidth,
}

impl Resource {
	/// Every resource, in index order.
	pub const ALL: [Resource; 4] =
		[Resource::Cpu, Resource::Memory, Resource::Storage, Resource::Bandwidth];

	/// The position of this resource in per-resource arrays.
	pub const fn index(self) -> usize {
		match self {
			Resource::Cpu => 0,
			Resource::Memory => 1,
			Resource::Storage => 2,
			Resource::Bandwidth => 3,
		}
	}
}

/// An amount of each resource: a container's capacity or what an order asks for.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpec {
	/// CPU in thousandths of a core.
	pub cpu_millicores: u32,
	/// Memory in bytes.
	pub memory_bytes: u64,
	/// Storage in bytes.
	pub storage_bytes: u64,
	/// Uplink bandwidth in bytes per second.
	pub bandwidth_bps: u64,
}

impl ResourceSpec {
	/// The amount of `r`.
	pub fn get(&self, r: Resource) -> u64 {
		match r {
			Resource::Cpu => self.cpu_millicores as u64,
			Resource::Memory => self.memory_bytes,
			Resource::Storage => self.storage_bytes,
			Resource::Bandwidth => self.bandwidth_bps,
		}
	}

	/// Whether `self` (a capacity) covers every dimension of `want`.
	pub fn covers(&self, want: &ResourceSpec) -> bool {
		Resource::ALL.iter().all(|r| self.get(*r) >= want.get(*r))
	}
}

/// What a container offers: its capacity plus the CPU's logical frequency, the input of the
/// white paper's "CPU computing power scored by logical frequency".
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ContainerCapacity {
	/// The resources the container can give one lease.
	pub spec: ResourceSpec,
	/// Logical CPU frequency in MHz.
	pub cpu_mhz: u32,
}

impl ContainerCapacity {
	/// The measured value each resource's gradient table scores:
	/// CPU = MHz × cores (millicores / 1000, kept in MHz·millicores/1000), the others as is.
	pub fn measure(&self, r: Resource) -> u64 {
		match r {
			Resource::Cpu => {
				(self.cpu_mhz as u64).saturating_mul(self.spec.cpu_millicores as u64) / 1000
			},
			_ => self.spec.get(r),
		}
	}
}
