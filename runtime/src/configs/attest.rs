//! Hardware attestation: seeded challenges of machines' claimed cores and memory, checked by
//! machines of other providers (issue #24; `pallets/attest/README.md`).
//!
//! Normal runtime / `fast-runtime`: a selection every hour / 20 blocks of up to 4 machines.
//!
//! The lanes' deadline is relative (`pallets/attest/src/phases.rs`): the time the machine's
//! probe (one lane alone) took, plus half of it (`SideBySideSlack`), plus one block. A lane's
//! compute part runs as fast side by side as alone (it lives in the core's cache); its memory
//! part does not (the lanes share the memory bandwidth: two 8 GiB lanes side by side took
//! twice one alone on the AMD EPYC). So the compute part must weigh most: with 120 000
//! rounds a lane (about a minute of a Xeon core, 37 s of an EPYC's) the honest lanes took
//! 1.2–1.35× the probe, twice the claimed cores ≥ 2× (`docs/hardware-verification.md`).
//!
//! Only the probe's deadline is absolute: twice what the reference host (2 Xeon cores,
//! 24 GiB, ~1 930 compute rounds a second per core, 150–190 MiB/s per lane) needs with its
//! margin, 9 600 / 4 800 rounds (1.2×) and 600 / 300 MiB of lane (1.5–1.9×) per 6 s / 3 s
//! block: a core under about half the reference's speed cannot be verified.

#[cfg(not(feature = "fast-runtime"))]
use crate::time::*;
use crate::{currency::URA, BlockNumber, Hash, Runtime};
use frame_support::{
	parameter_types,
	traits::{ConstU32, Randomness},
};
use sp_runtime::{traits::Hash as _, Perbill};

#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const ChallengePeriod: BlockNumber = 20;
	pub const LaneBytesPerBlock: u64 = 300 << 20;
	pub const ComputeRounds: u32 = 120_000;
	pub const ComputeRoundsPerBlock: u32 = 4_800;
	pub const MinRunBlocks: BlockNumber = 3;
	pub const RevealWindow: BlockNumber = 5;
}
#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	pub const ChallengePeriod: BlockNumber = HOURS;
	pub const LaneBytesPerBlock: u64 = 600 << 20;
	pub const ComputeRounds: u32 = 120_000;
	pub const ComputeRoundsPerBlock: u32 = 9_600;
	pub const MinRunBlocks: BlockNumber = 5;
	pub const RevealWindow: BlockNumber = 10;
}

parameter_types! {
	/// The lanes side by side may take half again the probe's time (shared memory bandwidth,
	/// noise); twice the cores take twice.
	pub const SideBySideSlack: Perbill = Perbill::from_percent(50);
	/// A core whose lanes take the reference time with its margin counts as 1 500 MHz: the
	/// reference Xeon's took 0.63× of it (≈ 2 400 MHz), the EPYC's 0.44× (≈ 3 400 MHz).
	pub const ReferenceCpuMhz: u32 = 1_500;
	/// A failed machine's provider loses 10 % of its deposit (10 URA of 100).
	pub const ProviderSlash: Perbill = Perbill::from_percent(10);
	/// A verifier against the majority loses 5 % of its provider deposit.
	pub const VerifierSlash: Perbill = Perbill::from_percent(5);
	/// A verifier with the majority is paid 1 URA from the PoC pool.
	pub const VerifierFee: u128 = URA;
	/// A verifier that does not answer loses the chain points of one vote.
	pub const LazyPenalty: u128 = 100;
}

/// Randomness of the current block for the lanes picked after a commitment: BABE's VRF output
/// of this block's author (made after the commitment's block), or, in a secondary slot without
/// one, the epoch randomness mixed with the parent hash.
pub struct BlockRandomness;
impl Randomness<Hash, BlockNumber> for BlockRandomness {
	fn random(subject: &[u8]) -> (Hash, BlockNumber) {
		let (vrf, at) = pallet_babe::ParentBlockRandomness::<Runtime>::random(subject);
		match vrf {
			Some(h) => (h, at),
			None => {
				let (epoch, _) = pallet_babe::RandomnessFromOneEpochAgo::<Runtime>::random(subject);
				let parent = frame_system::Pallet::<Runtime>::parent_hash();
				(sp_runtime::traits::BlakeTwo256::hash_of(&(epoch, parent)), at)
			},
		}
	}
}

impl pallet_attest::Config for Runtime {
	/// Root (sudo on dev chains, a root-track referendum otherwise) may pause selections.
	type AdminOrigin = frame_system::EnsureRoot<crate::AccountId>;
	type SelectionRandomness = pallet_babe::RandomnessFromOneEpochAgo<Runtime>;
	type PickRandomness = BlockRandomness;
	type ChallengePeriod = ChallengePeriod;
	type ChallengesPerPeriod = ConstU32<4>;
	type MaxOpen = ConstU32<16>;
	type MaxQueue = ConstU32<256>;
	type MaxProbes = ConstU32<64>;
	type Verifiers = ConstU32<3>;
	type MaxPicks = ConstU32<4>;
	type LaneBytesPerBlock = LaneBytesPerBlock;
	type ComputeRounds = ComputeRounds;
	type ComputeRoundsPerBlock = ComputeRoundsPerBlock;
	type SideBySideSlack = SideBySideSlack;
	type ReferenceCpuMhz = ReferenceCpuMhz;
	type MinRunBlocks = MinRunBlocks;
	type RevealWindow = RevealWindow;
	type ProviderSlash = ProviderSlash;
	type VerifierSlash = VerifierSlash;
	type VerifierFee = VerifierFee;
	type LazyPenalty = LazyPenalty;
	type WeightInfo = pallet_attest::weights::SubstrateWeight<Runtime>;
}
