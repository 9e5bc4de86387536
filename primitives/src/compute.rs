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

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_causes_on_the_providers_side_are_its_fault() {
		use EndCause::*;
		for c in [ImagePull, Lost, HostReboot, Killed, NoAck, MachineOffline] {
			assert!(c.provider_at_fault(), "{c:?}");
		}
		for c in [CommandFailed, OutOfMemory, SpecRejected, ImageUnusable] {
			assert!(!c.provider_at_fault(), "{c:?}");
		}
		// The agent's JSON names.
		assert_eq!(serde_json::to_string(&HostReboot).unwrap(), "\"host_reboot\"");
	}

	#[test]
	fn an_output_digest_survives_the_lease_result_and_garbage_is_none() {
		let d = OutputDigest { sha256: [0xab; 32], size_bytes: 1234 };
		let bytes = OutputDigest::result_bytes(Some(&d), b"exit 0");
		assert_eq!(
			core::str::from_utf8(&bytes).unwrap(),
			alloc::format!("out:sha256:{}:1234 exit 0", "ab".repeat(32))
		);
		assert_eq!(OutputDigest::from_result(&bytes), Some(d));
		// Truncated to the market's 256-byte bound, the digest stays.
		let long = OutputDigest::result_bytes(Some(&d), &[b'x'; 400]);
		assert_eq!(OutputDigest::from_result(&long[..256]), Some(d));
		assert_eq!(OutputDigest::result_bytes(None, b"exit 1"), b"exit 1".to_vec());
		for bad in [
			&b"exit 0"[..],
			b"out:sha256:ab",
			b"out:sha256:zz",
			&alloc::format!("out:sha256:{}:", "ab".repeat(32)).into_bytes(),
			&alloc::format!("out:sha256:{}:+5", "ab".repeat(32)).into_bytes(),
			&alloc::format!("out:sha256:{}-5", "ab".repeat(32)).into_bytes(),
		] {
			assert_eq!(OutputDigest::from_result(bad), None, "{:?}", core::str::from_utf8(bad));
		}
		assert_eq!(OutputDigest::parse_sha256_hex(&"AB".repeat(32)), Some([0xab; 32]));
		assert_eq!(OutputDigest::parse_sha256_hex("ab"), None);
	}
}

/// Smallest memory a job may ask for: the agent refuses less, so the market refuses orders
/// below it instead of letting the provider take the blame for a job that cannot start.
pub const MIN_MEMORY_BYTES: u64 = 4 << 20;

/// Smallest scratch volume a job may ask for (the agent formats at least 8 MiB for it).
pub const MIN_STORAGE_BYTES: u64 = 1 << 20;

/// Why a lease's job could not run or stopped before its end: reported by the agent (as
/// `JobStatus::cause`), carried by the worker to `pallet_market::fail_lease` and kept on the
/// lease. [`EndCause::provider_at_fault`] decides who bears it: only causes on the provider's
/// side cost its PoC service contribution and move the replica to another machine.
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
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EndCause {
	/// The job's main process exited with a non-zero code. The user's doing (the worker
	/// completes such a lease with its exit code and final usage).
	CommandFailed,
	/// The job exceeded its memory limit and the kernel killed it. The user's doing (the
	/// worker completes such a lease with its final usage).
	OutOfMemory,
	/// The agent refused the job's spec or command (a 4xx answer): the order asked for
	/// something no agent runs. The user's doing.
	SpecRejected,
	/// The image exists on chain but its registry does not have it or it cannot be unpacked
	/// (unknown manifest, bad config): the publisher's doing.
	ImageUnusable,
	/// The image could not be fetched from its registry (network, disk): the provider's side.
	ImagePull,
	/// The job's container vanished (the agent lost it).
	Lost,
	/// The host rebooted under the job.
	HostReboot,
	/// The provider stopped the job while its lease was active.
	Killed,
	/// The provider did not acknowledge the lease in time.
	NoAck,
	/// The provider's machine stopped sending heartbeats.
	MachineOffline,
}

impl EndCause {
	/// Whether the provider is at fault: the lease is re-scheduled elsewhere and the
	/// container's service contribution is penalised. Otherwise the lease just ends and the
	/// rest of its escrow goes back to the user.
	pub fn provider_at_fault(&self) -> bool {
		!matches!(
			self,
			EndCause::CommandFailed
				| EndCause::OutOfMemory
				| EndCause::SpecRejected
				| EndCause::ImageUnusable
		)
	}
}

/// The digest of a lease's packed outputs as recorded on chain in the lease's `result`
/// (`complete_lease`): `out:sha256:<64 hex>:<size> <note>`. The digest leads, so truncating
/// the note to the result's bound never cuts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputDigest {
	/// SHA-256 of the archive.
	pub sha256: [u8; 32],
	/// Size of the archive in bytes.
	pub size_bytes: u64,
}

impl OutputDigest {
	/// Prefix of a result that carries an output digest.
	pub const PREFIX: &'static [u8] = b"out:sha256:";

	/// The lease result: this digest (when there is one) then `note`.
	pub fn result_bytes(digest: Option<&OutputDigest>, note: &[u8]) -> alloc::vec::Vec<u8> {
		let mut out = alloc::vec::Vec::new();
		if let Some(d) = digest {
			out.extend_from_slice(Self::PREFIX);
			for b in d.sha256 {
				out.push(HEX[(b >> 4) as usize]);
				out.push(HEX[(b & 15) as usize]);
			}
			out.push(b':');
			out.extend_from_slice(alloc::format!("{}", d.size_bytes).as_bytes());
			out.push(b' ');
		}
		out.extend_from_slice(note);
		out
	}

	/// The digest a lease result carries, if any.
	pub fn from_result(result: &[u8]) -> Option<OutputDigest> {
		let rest = result.strip_prefix(Self::PREFIX)?;
		let hex = rest.get(..64)?;
		let mut sha256 = [0u8; 32];
		for (i, pair) in hex.chunks(2).enumerate() {
			sha256[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
		}
		let rest = rest.get(64..)?.strip_prefix(b":")?;
		let end = rest.iter().position(|b| *b == b' ').unwrap_or(rest.len());
		let size = core::str::from_utf8(&rest[..end]).ok()?;
		if size.is_empty() || size.starts_with('+') {
			return None;
		}
		Some(OutputDigest { sha256, size_bytes: size.parse().ok()? })
	}

	/// Parses lowercase or uppercase hex of 32 bytes (the agent's `JobOutput::sha256`).
	pub fn parse_sha256_hex(hex: &str) -> Option<[u8; 32]> {
		let hex = hex.as_bytes();
		if hex.len() != 64 {
			return None;
		}
		let mut sha256 = [0u8; 32];
		for (i, pair) in hex.chunks(2).enumerate() {
			sha256[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
		}
		Some(sha256)
	}
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn nibble(c: u8) -> Option<u8> {
	match c {
		b'0'..=b'9' => Some(c - b'0'),
		b'a'..=b'f' => Some(c - b'a' + 10),
		b'A'..=b'F' => Some(c - b'A' + 10),
		_ => None,
	}
}
