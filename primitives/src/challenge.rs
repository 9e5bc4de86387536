//! Hardware challenges: the workload that proves a machine's claimed cores and memory, and what
//! the chain, the challenged agent and the verifying agents all compute the same way.
//!
//! A challenge has one **lane** per claimed core. Every lane has two parts, each scrypt
//! (RFC 7914: PBKDF2, then the memory-hard sequential ROMix):
//!
//! - the **compute part**: `rounds` chained scrypt runs over 256 KiB (2^8 blocks of 1 KiB),
//!   small enough for any core's own cache, so its time is set by the core and not by shared
//!   memory bandwidth: a machine with half the claimed cores needs twice as long;
//! - the **memory part**: one scrypt over the lane's share of 3/4 of the claimed memory, fed
//!   by the compute part. A machine with less memory than it claims cannot hold its lanes side
//!   by side: it runs them in rounds, or recomputes (ROMix's time–memory trade-off).
//!
//! ```text
//! per_lane   = claimed_memory · 3/4 / lanes
//! log_n      = the largest n with 128 · 8 · 2^n ≤ per_lane     (MIN_LOG_N ≤ n ≤ MAX_LOG_N)
//! r          = ⌊per_lane / (128 · 2^log_n)⌋                   (8 ≤ r ≤ 15: ≥ 7/8 of per_lane)
//! x_0        = "uranus/challenge/v1" ‖ seed ‖ i                (lane i's password)
//! x_j+1      = scrypt(password = x_j, salt = seed, N = 2^8, r = 8, p = 1) → 32 bytes
//! lane i     = scrypt(password = x_rounds, salt = seed, N = 2^log_n, r, p = 1) → 32 bytes
//! commitment = blake2_256(seed ‖ lanes ‖ lane 0 ‖ … ‖ lane lanes−1)
//! picks      = `k` distinct lanes drawn from blake2_256(entropy ‖ j) mod lanes
//! ```
//!
//! With `rounds = 0` a lane is the memory part alone (the first workload, which open
//! challenges stored before the compute part existed still use). Honest hardware runs its lanes
//! side by side, one per core, each in memory it really has. The chain sets the deadline from
//! the rounds and the lane size; a verifier recomputes only the picked lanes (`k` of `lanes`)
//! and compares.

use sp_crypto_hashing::blake2_256;

/// Domain separation of the lane password.
pub const DOMAIN: &[u8] = b"uranus/challenge/v1";
/// Most lanes (claimed cores) a challenge has.
pub const MAX_LANES: u32 = 512;
/// Smallest ROMix size: 2^10 blocks (1 MiB per lane at r = 8).
pub const MIN_LOG_N: u8 = 10;
/// Largest ROMix size: 2^24 blocks (up to 30 GiB per lane at r = 15).
pub const MAX_LOG_N: u8 = 24;
/// Smallest and largest block size factor.
pub const MIN_R: u32 = 8;
/// See [`MIN_R`].
pub const MAX_R: u32 = 15;
/// The share of the claimed memory the lanes cover, `MEMORY_SHARE.0 / MEMORY_SHARE.1` (the rest
/// is the host's own): a claim of twice the real memory needs 1.5× what the host has.
pub const MEMORY_SHARE: (u64, u64) = (3, 4);
/// The compute part's ROMix size: 2^8 blocks (256 KiB at [`COMPUTE_R`], inside a core's cache).
pub const COMPUTE_LOG_N: u8 = 8;
/// The compute part's block size factor.
pub const COMPUTE_R: u32 = 8;
/// Most compute rounds a lane has (minutes of work on any current core).
pub const MAX_ROUNDS: u32 = 1_000_000;

/// The memory a claim of `memory_bytes` puts under the lanes: [`MEMORY_SHARE`] of it.
pub fn workload_memory(memory_bytes: u64) -> u64 {
	(u128::from(memory_bytes) * u128::from(MEMORY_SHARE.0) / u128::from(MEMORY_SHARE.1)) as u64
}

/// Why a challenge cannot be made or checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeError {
	/// The profile claims no cores, or more than [`MAX_LANES`].
	BadCoreCount,
	/// The profile claims less memory than one minimal lane per core.
	TooLittleMemory,
	/// The parameters are outside the bounds above.
	BadParams,
	/// A lane index is not below the lane count.
	NoSuchLane,
	/// The revealed lanes are not as many as the challenge has.
	WrongLaneCount,
}

/// What a challenged machine must compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChallengeParams {
	/// Fresh randomness chosen by the chain after the machine was selected.
	pub seed: [u8; 32],
	/// Lanes: one per claimed core.
	pub lanes: u32,
	/// ROMix size: `N = 2^log_n` blocks.
	pub log_n: u8,
	/// Block size factor: a block is `128 · r` bytes.
	pub r: u32,
	/// Compute rounds per lane, before its memory part (0: none).
	pub rounds: u32,
}

impl ChallengeParams {
	/// The challenge for a machine claiming `cores` and `memory_bytes`, with `rounds` compute
	/// rounds per lane (at most [`MAX_ROUNDS`]).
	pub fn for_claim(
		seed: [u8; 32],
		cores: u32,
		memory_bytes: u64,
		rounds: u32,
	) -> Result<Self, ChallengeError> {
		if cores == 0 || cores > MAX_LANES {
			return Err(ChallengeError::BadCoreCount);
		}
		if rounds > MAX_ROUNDS {
			return Err(ChallengeError::BadParams);
		}
		let per_lane = workload_memory(memory_bytes) / u64::from(cores);
		let min_lane = (128 * u64::from(MIN_R)) << MIN_LOG_N;
		if per_lane < min_lane {
			return Err(ChallengeError::TooLittleMemory);
		}
		let mut log_n = MIN_LOG_N;
		while log_n < MAX_LOG_N && ((128 * u64::from(MIN_R)) << (log_n + 1)) <= per_lane {
			log_n += 1;
		}
		let r = (per_lane / (128u64 << log_n)).clamp(u64::from(MIN_R), u64::from(MAX_R)) as u32;
		Ok(Self { seed, lanes: cores, log_n, r, rounds })
	}

	/// Whether every parameter is within bounds.
	pub fn check(&self) -> Result<(), ChallengeError> {
		let ok = (1..=MAX_LANES).contains(&self.lanes)
			&& (MIN_LOG_N..=MAX_LOG_N).contains(&self.log_n)
			&& (MIN_R..=MAX_R).contains(&self.r)
			&& self.rounds <= MAX_ROUNDS;
		if ok {
			Ok(())
		} else {
			Err(ChallengeError::BadParams)
		}
	}

	/// Bytes one lane holds while it runs.
	pub fn memory_per_lane(&self) -> u64 {
		(128 * u64::from(self.r)) << self.log_n
	}

	/// Bytes all lanes hold when they run side by side.
	pub fn total_memory(&self) -> u64 {
		self.memory_per_lane().saturating_mul(u64::from(self.lanes))
	}

	/// The password of lane `lane` (`x_0`): the domain, the seed and the lane index.
	pub fn lane_password(&self, lane: u32) -> [u8; DOMAIN.len() + 32 + 4] {
		let mut out = [0u8; DOMAIN.len() + 32 + 4];
		out[..DOMAIN.len()].copy_from_slice(DOMAIN);
		out[DOMAIN.len()..DOMAIN.len() + 32].copy_from_slice(&self.seed);
		out[DOMAIN.len() + 32..].copy_from_slice(&lane.to_le_bytes());
		out
	}
}

/// The commitment to a challenge's lane results (in lane order).
pub fn commitment(seed: &[u8; 32], lanes: &[[u8; 32]]) -> [u8; 32] {
	let mut data = alloc::vec::Vec::with_capacity(32 + 4 + 32 * lanes.len());
	data.extend_from_slice(seed);
	data.extend_from_slice(&(lanes.len() as u32).to_le_bytes());
	for lane in lanes {
		data.extend_from_slice(lane);
	}
	blake2_256(&data)
}

/// `k` distinct lanes out of `lanes` (all of them when `k ≥ lanes`), drawn from `entropy` the
/// chain fixes only after the lanes were revealed.
pub fn pick_lanes(entropy: &[u8; 32], lanes: u32, k: u32) -> alloc::vec::Vec<u32> {
	let k = k.min(lanes);
	let mut picked = alloc::vec::Vec::with_capacity(k as usize);
	let mut counter = 0u32;
	while (picked.len() as u32) < k {
		let mut data = [0u8; 36];
		data[..32].copy_from_slice(entropy);
		data[32..].copy_from_slice(&counter.to_le_bytes());
		counter = counter.wrapping_add(1);
		let h = blake2_256(&data);
		let lane = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) % lanes;
		if !picked.contains(&lane) {
			picked.push(lane);
		}
	}
	picked
}

#[cfg(test)]
mod tests {
	use super::*;

	const GIB: u64 = 1 << 30;

	#[test]
	fn lanes_cover_at_least_seven_eighths_of_three_quarters_of_the_claimed_memory() {
		for (cores, memory) in
			[(1, 2 * GIB), (2, 24 * GIB), (8, 32 * GIB), (64, 256 * GIB), (3, 7 * GIB + 12_345)]
		{
			let p = ChallengeParams::for_claim([7; 32], cores, memory, 100).unwrap();
			p.check().unwrap();
			assert_eq!((p.lanes, p.rounds), (cores, 100));
			let per_lane = memory / 4 * 3 / u64::from(cores);
			assert!(p.memory_per_lane() <= per_lane, "{cores} cores {memory}: {p:?}");
			assert!(p.memory_per_lane() * 8 >= per_lane * 7, "{cores} cores {memory}: {p:?}");
		}
	}

	#[test]
	fn claims_outside_the_bounds_are_refused() {
		assert_eq!(
			ChallengeParams::for_claim([0; 32], 0, GIB, 0),
			Err(ChallengeError::BadCoreCount)
		);
		assert_eq!(
			ChallengeParams::for_claim([0; 32], MAX_LANES + 1, 1 << 50, 0),
			Err(ChallengeError::BadCoreCount)
		);
		assert_eq!(
			ChallengeParams::for_claim([0; 32], 64, 64 << 20, 0),
			Err(ChallengeError::TooLittleMemory)
		);
		assert_eq!(
			ChallengeParams::for_claim([0; 32], 1, GIB, MAX_ROUNDS + 1),
			Err(ChallengeError::BadParams)
		);
		// A huge claim stays at the largest lane size.
		let p = ChallengeParams::for_claim([0; 32], 1, u64::MAX, MAX_ROUNDS).unwrap();
		assert_eq!((p.log_n, p.r), (MAX_LOG_N, MAX_R));
		assert_eq!(workload_memory(u64::MAX), u64::MAX / 4 * 3 + 2);
		let bad = ChallengeParams { r: 16, ..p };
		assert_eq!(bad.check(), Err(ChallengeError::BadParams));
		let bad = ChallengeParams { rounds: MAX_ROUNDS + 1, ..p };
		assert_eq!(bad.check(), Err(ChallengeError::BadParams));
	}

	#[test]
	fn the_commitment_binds_the_seed_every_lane_and_their_order() {
		let lanes = [[1u8; 32], [2u8; 32]];
		let c = commitment(&[9; 32], &lanes);
		assert_ne!(c, commitment(&[8; 32], &lanes));
		assert_ne!(c, commitment(&[9; 32], &[[2u8; 32], [1u8; 32]]));
		assert_ne!(c, commitment(&[9; 32], &[[1u8; 32]]));
		assert_eq!(c, commitment(&[9; 32], &lanes));
	}

	#[test]
	fn picks_are_distinct_in_range_and_follow_the_entropy() {
		let a = pick_lanes(&[1; 32], 64, 4);
		assert_eq!(a.len(), 4);
		assert!(a.iter().all(|l| *l < 64));
		let mut d = a.clone();
		d.sort();
		d.dedup();
		assert_eq!(d.len(), 4);
		assert_eq!(a, pick_lanes(&[1; 32], 64, 4));
		assert_ne!(a, pick_lanes(&[2; 32], 64, 4));
		let mut all = pick_lanes(&[3; 32], 5, 9);
		all.sort();
		assert_eq!(all, vec![0, 1, 2, 3, 4]);
	}
}
