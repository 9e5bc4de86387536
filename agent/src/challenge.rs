//! Hardware challenges: the agent runs the lanes of its own machine's challenge, and recomputes
//! the picked lanes of another machine's as a verifier (`uranus_primitives::challenge` has the
//! definition both sides share with the chain).
//!
//! Both parts of a lane (the cache-sized compute rounds, then the memory part) are scrypt from
//! RustCrypto's `scrypt` crate (RFC 7914), the maintained implementation of the memory-hard
//! function the challenge is defined by. Lanes run side by side, at most one per core and
//! never more than the host's available memory holds: a machine that claimed more than it has
//! runs fewer lanes at a time and finishes late instead of being killed for running out of
//! memory.

use std::{
	sync::{
		atomic::{AtomicU32, Ordering},
		Mutex,
	},
	time::{Duration, Instant},
};
use uranus_primitives::{
	agent::{
		ChallengeSpec, ChallengeState, ChallengeStatus, VerdictKind, VerifyRequest, VerifyResponse,
	},
	challenge::{commitment, ChallengeError, ChallengeParams, COMPUTE_LOG_N, COMPUTE_R},
};

/// Why a challenge could not be run or checked here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeRunError {
	/// The parameters are out of bounds.
	#[error("invalid challenge: {0:?}")]
	Params(ChallengeError),
	/// Not even one lane fits in this host's available memory.
	#[error("a lane needs {needed} bytes, {available} are available")]
	InsufficientMemory {
		/// Bytes one lane needs.
		needed: u64,
		/// Bytes available on this host.
		available: u64,
	},
}

/// The lanes of a challenge, computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRun {
	/// Each lane's result, in lane order.
	pub lanes: Vec<[u8; 32]>,
	/// The commitment the chain receives first.
	pub commitment: [u8; 32],
	/// How many lanes ran side by side.
	pub parallel: u32,
	/// Wall time of the whole challenge.
	pub elapsed: Duration,
}

/// A verifier's finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
	/// The revealed lanes match the commitment and every picked lane recomputes the same.
	Valid,
	/// The revealed lanes do not hash to the commitment.
	CommitmentMismatch,
	/// A picked lane recomputes differently.
	WrongLane(u32),
}

/// scrypt of `password` with the challenge's seed as salt, 32 bytes out.
fn scrypt32(
	password: &[u8],
	seed: &[u8; 32],
	params: &scrypt::Params,
) -> Result<[u8; 32], ChallengeRunError> {
	let mut out = [0u8; 32];
	scrypt::scrypt(password, seed, params, &mut out)
		.map_err(|_| ChallengeRunError::Params(ChallengeError::BadParams))?;
	Ok(out)
}

/// The compute part of lane `lane`: `rounds` chained cache-sized scrypt runs from the lane's
/// password (`x_rounds`; the password itself when there are no rounds).
pub fn compute_part(params: &ChallengeParams, lane: u32) -> Result<Vec<u8>, ChallengeRunError> {
	let small = scrypt::Params::new(COMPUTE_LOG_N, COMPUTE_R, 1, 32)
		.map_err(|_| ChallengeRunError::Params(ChallengeError::BadParams))?;
	let mut x = params.lane_password(lane).to_vec();
	for _ in 0..params.rounds {
		x = scrypt32(&x, &params.seed, &small)?.to_vec();
	}
	Ok(x)
}

/// Lane `lane` of the challenge: its compute part, then its memory part.
pub fn run_lane(params: &ChallengeParams, lane: u32) -> Result<[u8; 32], ChallengeRunError> {
	params.check().map_err(ChallengeRunError::Params)?;
	if lane >= params.lanes {
		return Err(ChallengeRunError::Params(ChallengeError::NoSuchLane));
	}
	let memory = scrypt::Params::new(params.log_n, params.r, 1, 32)
		.map_err(|_| ChallengeRunError::Params(ChallengeError::BadParams))?;
	scrypt32(&compute_part(params, lane)?, &params.seed, &memory)
}

/// How many lanes can run side by side with `cores` and `available` bytes of memory.
pub fn parallelism(
	params: &ChallengeParams,
	cores: u32,
	available: u64,
) -> Result<u32, ChallengeRunError> {
	let needed = params.memory_per_lane();
	let by_memory = u32::try_from(available / needed.max(1)).unwrap_or(u32::MAX);
	let parallel = cores.min(params.lanes).min(by_memory);
	if parallel == 0 {
		return Err(ChallengeRunError::InsufficientMemory { needed, available });
	}
	Ok(parallel)
}

/// Runs every lane, `parallel` at a time.
pub fn run(params: &ChallengeParams, parallel: u32) -> Result<ChallengeRun, ChallengeRunError> {
	params.check().map_err(ChallengeRunError::Params)?;
	let parallel = parallel.clamp(1, params.lanes);
	let started = Instant::now();
	let next = AtomicU32::new(0);
	let results = Mutex::new(vec![[0u8; 32]; params.lanes as usize]);
	let failure = Mutex::new(None);
	std::thread::scope(|s| {
		for _ in 0..parallel {
			s.spawn(|| loop {
				let lane = next.fetch_add(1, Ordering::Relaxed);
				if lane >= params.lanes {
					return;
				}
				match run_lane(params, lane) {
					Ok(r) => results.lock().expect("no lane panics")[lane as usize] = r,
					Err(e) => {
						*failure.lock().expect("no lane panics") = Some(e);
						return;
					},
				}
			});
		}
	});
	if let Some(e) = failure.into_inner().expect("no lane panics") {
		return Err(e);
	}
	let lanes = results.into_inner().expect("no lane panics");
	Ok(ChallengeRun {
		commitment: commitment(&params.seed, &lanes),
		lanes,
		parallel,
		elapsed: started.elapsed(),
	})
}

/// Checks a revealed challenge: the lanes must hash to `committed`, and each picked lane must
/// recompute to what was revealed.
pub fn verify(
	params: &ChallengeParams,
	committed: &[u8; 32],
	revealed: &[[u8; 32]],
	picks: &[u32],
) -> Result<Verdict, ChallengeRunError> {
	params.check().map_err(ChallengeRunError::Params)?;
	if revealed.len() != params.lanes as usize {
		return Err(ChallengeRunError::Params(ChallengeError::WrongLaneCount));
	}
	if commitment(&params.seed, revealed) != *committed {
		return Ok(Verdict::CommitmentMismatch);
	}
	for &lane in picks {
		if run_lane(params, lane)? != revealed[lane as usize] {
			return Ok(Verdict::WrongLane(lane));
		}
	}
	Ok(Verdict::Valid)
}

#[cfg(test)]
mod tests {
	use super::*;
	use uranus_primitives::challenge::pick_lanes;

	/// 4 lanes of 1.5 MiB each, 3 compute rounds.
	fn small() -> ChallengeParams {
		ChallengeParams::for_claim([5; 32], 4, 8 << 20, 3).unwrap()
	}

	#[test]
	fn a_lane_is_rfc_7914_scrypt_of_its_password() {
		// RFC 7914 §12, second vector: scrypt("password", "NaCl", N = 1024, r = 8, p = 16).
		let params = scrypt::Params::new(10, 8, 16, 64).unwrap();
		let mut out = [0u8; 64];
		scrypt::scrypt(b"password", b"NaCl", &params, &mut out).unwrap();
		assert_eq!(&out[..8], &[0xfd, 0xba, 0xbe, 0x1c, 0x9d, 0x34, 0x72, 0x00]);
		// And a lane is that function: `rounds` times over 256 KiB from the lane's password
		// and the seed, then once over the lane's memory.
		let p = small();
		let scrypt = |password: &[u8], log_n: u8, r: u32| {
			let sp = scrypt::Params::new(log_n, r, 1, 32).unwrap();
			let mut out = [0u8; 32];
			scrypt::scrypt(password, &p.seed, &sp, &mut out).unwrap();
			out
		};
		let mut x = scrypt(&p.lane_password(2), 8, 8);
		x = scrypt(&x, 8, 8);
		x = scrypt(&x, 8, 8);
		assert_eq!(run_lane(&p, 2).unwrap(), scrypt(&x, p.log_n, p.r));
		// Without rounds it is the memory part alone (challenges started before them).
		let v0 = ChallengeParams { rounds: 0, ..p };
		assert_eq!(run_lane(&v0, 2).unwrap(), scrypt(&v0.lane_password(2), p.log_n, p.r));
		assert_ne!(run_lane(&v0, 2).unwrap(), run_lane(&p, 2).unwrap());
	}

	#[test]
	fn the_run_is_deterministic_whatever_the_parallelism() {
		let p = small();
		let one = run(&p, 1).unwrap();
		let four = run(&p, 4).unwrap();
		assert_eq!(one.lanes, four.lanes);
		assert_eq!(one.commitment, four.commitment);
		assert_eq!(four.parallel, 4);
		let distinct: std::collections::BTreeSet<_> = one.lanes.iter().collect();
		assert_eq!(distinct.len(), 4, "every lane differs");
		let other = run(&ChallengeParams { seed: [6; 32], ..p }, 2).unwrap();
		assert_ne!(other.lanes, one.lanes, "another seed, other lanes");
	}

	#[test]
	fn a_verifier_accepts_the_honest_run_and_catches_a_wrong_lane_or_commitment() {
		let p = small();
		let honest = run(&p, 2).unwrap();
		let picks = pick_lanes(&[1; 32], p.lanes, 2);
		assert_eq!(verify(&p, &honest.commitment, &honest.lanes, &picks).unwrap(), Verdict::Valid);
		// A cheat that computed lane 1 wrongly (and committed to it) is caught if lane 1 is picked.
		let mut cheat = honest.lanes.clone();
		cheat[1] = [0; 32];
		let committed = commitment(&p.seed, &cheat);
		assert_eq!(verify(&p, &committed, &cheat, &[0, 1]).unwrap(), Verdict::WrongLane(1));
		assert_eq!(verify(&p, &committed, &cheat, &[0, 2]).unwrap(), Verdict::Valid);
		// Revealing other lanes than committed is caught whatever is picked.
		assert_eq!(
			verify(&p, &honest.commitment, &cheat, &[0]).unwrap(),
			Verdict::CommitmentMismatch
		);
		assert_eq!(
			verify(&p, &honest.commitment, &honest.lanes[..3], &[0]),
			Err(ChallengeRunError::Params(ChallengeError::WrongLaneCount))
		);
	}

	#[test]
	fn lanes_never_run_beyond_the_available_memory() {
		let p = small();
		assert_eq!(parallelism(&p, 8, 64 << 20).unwrap(), 4, "at most one per lane");
		assert_eq!(p.memory_per_lane(), 3 << 19, "3/4 of 8 MiB over 4 lanes");
		assert_eq!(parallelism(&p, 8, 3 << 20).unwrap(), 2, "two 1.5 MiB lanes in 3 MiB");
		assert_eq!(parallelism(&p, 1, 64 << 20).unwrap(), 1, "one core");
		assert_eq!(
			parallelism(&p, 8, 1 << 20),
			Err(ChallengeRunError::InsufficientMemory { needed: 3 << 19, available: 1 << 20 })
		);
		assert_eq!(run_lane(&p, 4), Err(ChallengeRunError::Params(ChallengeError::NoSuchLane)));
		assert_eq!(
			run(&ChallengeParams { r: 99, ..p }, 1),
			Err(ChallengeRunError::Params(ChallengeError::BadParams))
		);
	}
}

/// Most lanes a verifier recomputes in one request.
pub const MAX_PICKS: usize = 16;

/// Why a challenge request is refused (mapped to HTTP statuses by the API).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeRequestError {
	/// A field is malformed (hex, counts, bounds).
	#[error("{0}")]
	Invalid(String),
	/// The agent is already running a challenge.
	#[error("a challenge is already running")]
	Busy,
	/// This host cannot hold a lane.
	#[error(transparent)]
	Run(#[from] ChallengeRunError),
}

fn hex32(field: &str, s: &str) -> Result<[u8; 32], ChallengeRequestError> {
	let bytes = hex::decode(s.trim_start_matches("0x"))
		.map_err(|_| ChallengeRequestError::Invalid(format!("{field} is not hex")))?;
	bytes.try_into().map_err(|_| ChallengeRequestError::Invalid(format!("{field} is not 32 bytes")))
}

/// The parameters of a wire [`ChallengeSpec`], checked.
pub fn params_of(spec: &ChallengeSpec) -> Result<ChallengeParams, ChallengeRequestError> {
	let params = ChallengeParams {
		seed: hex32("seed", &spec.seed)?,
		lanes: spec.lanes,
		log_n: spec.log_n,
		r: spec.r,
		rounds: spec.rounds,
	};
	params
		.check()
		.map_err(|e| ChallengeRequestError::Invalid(format!("challenge out of bounds: {e:?}")))?;
	Ok(params)
}

/// Bytes of memory this host has available now.
pub fn available_memory() -> u64 {
	crate::hardware::parse_meminfo(&std::fs::read_to_string("/proc/meminfo").unwrap_or_default()).1
}

/// The agent's own challenge: at most one at a time, run on blocking threads.
#[derive(Default)]
pub struct Challenges {
	current: Mutex<Option<Current>>,
}

struct Current {
	spec: ChallengeSpec,
	started: Instant,
	parallel: u32,
	outcome: Option<Result<ChallengeRun, ChallengeRunError>>,
}

impl Current {
	fn status(&self) -> ChallengeStatus {
		let (state, commitment, lanes, elapsed, error) = match &self.outcome {
			None => (ChallengeState::Running, None, Vec::new(), self.started.elapsed(), None),
			Some(Ok(run)) => (
				ChallengeState::Done,
				Some(hex::encode(run.commitment)),
				run.lanes.iter().map(hex::encode).collect(),
				run.elapsed,
				None,
			),
			Some(Err(e)) => (
				ChallengeState::Failed,
				None,
				Vec::new(),
				self.started.elapsed(),
				Some(e.to_string()),
			),
		};
		ChallengeStatus {
			spec: self.spec.clone(),
			state,
			commitment,
			lanes,
			parallel: self.parallel,
			elapsed_ms: elapsed.as_millis() as u64,
			error,
		}
	}
}

impl Challenges {
	/// Starts the machine's challenge on up to `cores` lanes at a time (as many as the
	/// available memory holds). Refused while another one runs.
	pub fn start(
		self: &std::sync::Arc<Self>,
		spec: ChallengeSpec,
		cores: u32,
	) -> Result<ChallengeStatus, ChallengeRequestError> {
		let params = params_of(&spec)?;
		let parallel = parallelism(&params, cores, available_memory())?;
		let mut current = self.current.lock().expect("challenge state lock");
		if matches!(current.as_ref(), Some(c) if c.outcome.is_none()) {
			return Err(ChallengeRequestError::Busy);
		}
		let entry = Current { spec, started: Instant::now(), parallel, outcome: None };
		let status = entry.status();
		*current = Some(entry);
		drop(current);
		let this = self.clone();
		tokio::task::spawn_blocking(move || {
			let outcome = run(&params, parallel);
			if let Some(c) = this.current.lock().expect("challenge state lock").as_mut() {
				c.outcome = Some(outcome);
			}
		});
		Ok(status)
	}

	/// The current (or last) challenge.
	pub fn status(&self) -> Option<ChallengeStatus> {
		self.current.lock().expect("challenge state lock").as_ref().map(Current::status)
	}
}

/// Recomputes the picked lanes of another machine's revealed challenge (a verifier's work).
pub fn verify_request(req: &VerifyRequest) -> Result<VerifyResponse, ChallengeRequestError> {
	let params = params_of(&req.spec)?;
	if req.picks.is_empty() || req.picks.len() > MAX_PICKS {
		return Err(ChallengeRequestError::Invalid(format!("1 to {MAX_PICKS} picks")));
	}
	if req.picks.iter().any(|p| *p >= params.lanes) {
		return Err(ChallengeRequestError::Invalid("a pick is not a lane".into()));
	}
	if req.revealed.len() != params.lanes as usize {
		return Err(ChallengeRequestError::Invalid(format!(
			"{} lanes revealed, the challenge has {}",
			req.revealed.len(),
			params.lanes
		)));
	}
	let committed = hex32("commitment", &req.commitment)?;
	let revealed = req.revealed.iter().map(|l| hex32("lane", l)).collect::<Result<Vec<_>, _>>()?;
	parallelism(&params, 1, available_memory())?;
	let started = Instant::now();
	let verdict = verify(&params, &committed, &revealed, &req.picks)?;
	let (verdict, lane) = match verdict {
		Verdict::Valid => (VerdictKind::Valid, None),
		Verdict::CommitmentMismatch => (VerdictKind::CommitmentMismatch, None),
		Verdict::WrongLane(l) => (VerdictKind::WrongLane, Some(l)),
	};
	Ok(VerifyResponse { verdict, lane, elapsed_ms: started.elapsed().as_millis() as u64 })
}
