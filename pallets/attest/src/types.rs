//! Types of the attestation pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use pallet_registry::MachineId;
use scale_info::TypeInfo;
use uranus_primitives::challenge::ChallengeParams;

/// Identifier of a challenge.
pub type ChallengeId = u64;

/// A lane result or a commitment: 32 bytes.
pub type Hash32 = [u8; 32];

/// What a verifier found.
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
pub enum Verdict {
	/// Every picked lane recomputed to what the machine revealed.
	Valid,
	/// A picked lane recomputed differently.
	Invalid,
}

impl Verdict {
	/// The byte sealed in a verdict commitment.
	pub fn byte(self) -> u8 {
		match self {
			Verdict::Valid => 1,
			Verdict::Invalid => 0,
		}
	}
}

/// One verifier of a challenge: a machine of another provider.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct VerifierSlot<AccountId> {
	/// The verifying machine.
	pub machine: MachineId,
	/// Its owner, who signs the verdict.
	pub owner: AccountId,
	/// `blake2_256(challenge ‖ machine ‖ verdict ‖ salt)`, once sealed.
	pub seal: Option<Hash32>,
	/// The verdict, once revealed and matching the seal.
	pub verdict: Option<Verdict>,
}

/// An open challenge of one machine.
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
#[scale_info(skip_type_params(MaxVerifiers, MaxPicks))]
pub struct Challenge<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxVerifiers: Get<u32>,
	MaxPicks: Get<u32>,
> {
	/// The challenged machine.
	pub machine: MachineId,
	/// Its owner when it was selected (who is slashed if it fails).
	pub provider: AccountId,
	/// The profile version the challenge checks.
	pub version: u32,
	/// The workload's seed: the probe's until the lanes are seeded, the lanes' from
	/// `seeded_at` on (drawn after the probe, so no lane can be run before it).
	pub seed: Hash32,
	/// Lanes (the claimed cores).
	pub lanes: u32,
	/// ROMix size exponent.
	pub log_n: u8,
	/// ROMix block size factor.
	pub r: u32,
	/// Compute rounds per lane (0 for challenges started before the workload had them).
	pub rounds: u32,
	/// The block it was selected in.
	pub started: BlockNumber,
	/// Last block for the probe (one lane alone), the slowest core accepted.
	pub probe_by: BlockNumber,
	/// The block the probe came in: `probed_at − started` is the time of one lane alone on
	/// this machine, which its lanes side by side must match.
	pub probed_at: Option<BlockNumber>,
	/// The block the lanes' seed was drawn (two after the probe) and `commit_by` set.
	pub seeded_at: Option<BlockNumber>,
	/// Last block for the commitment: until the lanes are seeded, the latest it can become.
	pub commit_by: BlockNumber,
	/// Last block for revealing the lanes.
	pub reveal_by: BlockNumber,
	/// Last block for sealing verdicts (verifiers start once the lanes are revealed and
	/// picked).
	pub seal_by: BlockNumber,
	/// Last block for revealing verdicts; the challenge is judged after it (or as soon as
	/// every verifier revealed).
	pub judge_by: BlockNumber,
	/// The machine's commitment to its lanes.
	pub commitment: Option<Hash32>,
	/// The block the commitment came in; the lanes to check are picked two blocks later,
	/// from randomness that did not exist when it was made.
	pub committed_at: Option<BlockNumber>,
	/// The lanes verifiers recompute (empty until picked).
	pub picks: BoundedVec<u32, MaxPicks>,
	/// Whether the machine revealed its lanes (they are in `Lanes`).
	pub revealed: bool,
	/// Its verifiers.
	pub verifiers: BoundedVec<VerifierSlot<AccountId>, MaxVerifiers>,
	/// The block whose hook next looks at it (a deadline, or the pick).
	pub due: BlockNumber,
}

impl<
		AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
		BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
		MaxVerifiers: Get<u32>,
		MaxPicks: Get<u32>,
	> Challenge<AccountId, BlockNumber, MaxVerifiers, MaxPicks>
{
	/// The probe: one lane of the claim's size, from the challenge's first seed.
	pub fn probe_params(&self) -> ChallengeParams {
		ChallengeParams { lanes: 1, ..self.params() }
	}

	/// The workload parameters (with the probe's seed until the lanes are seeded).
	pub fn params(&self) -> ChallengeParams {
		ChallengeParams {
			seed: self.seed,
			lanes: self.lanes,
			log_n: self.log_n,
			r: self.r,
			rounds: self.rounds,
		}
	}
}

/// Why a machine failed its challenge.
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
pub enum Failure {
	/// No probe or no commitment by its deadline: the hardware is slower than claimed (its
	/// lanes side by side took longer than one lane alone allows).
	Late,
	/// The lanes were not revealed in time.
	NotRevealed,
	/// The majority of verifiers recomputed a picked lane differently.
	WrongLanes,
}

/// How a challenge ended.
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
pub enum Outcome {
	/// The machine proved its profile: it is verified.
	Passed,
	/// The machine failed: unverified and slashed.
	Failed(Failure),
	/// No majority among the verifiers' verdicts (none revealed, or a tie): the machine is
	/// queued again, nobody is slashed.
	Inconclusive,
}
