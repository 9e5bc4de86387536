//! The worker's part in hardware challenges (`pallet-attest`), for this node's machine:
//!
//! - **Challenged**: runs the probe on the agent (`POST /v1/challenges` with one lane from the
//!   first seed) and reports it done (`probe`); once the chain drew the lanes' seed, starts
//!   the lanes, and once the agent reports them done with that seed, commits to them; after
//!   the commitment is on chain, reveals the lanes.
//! - **Verifier**: once the lanes are revealed and picked, asks the agent to recompute the
//!   picks (`POST /v1/challenges/verify`, with its own longer deadline), keeps the verdict and
//!   a fresh salt in the node's persistent off-chain storage and seals it; once every verifier
//!   sealed (or `seal_by` passed), reveals it.
//!
//! Each step reads the chain first, so a step already on chain is never sent again, and a node
//! that restarts picks up where the chain stands (a verdict whose salt was lost cannot be
//! revealed: the verifier counts as absent). A verdict is computed once: while its seal is not
//! on chain (still in the pool after a long verification), the same seal is sent again.

use crate::{
	agent::{AgentClient, AgentError},
	Config,
};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_attest::{verdict_seal, ChallengeId, ChallengeOf, Hash32, LanesOf, Verdict};
use pallet_registry::MachineId;
use sp_runtime::offchain::{http, storage::StorageValueRef};
use uranus_primitives::agent::{
	ChallengeSpec, ChallengeState, ChallengeStatus, VerdictKind, VerifyRequest, VerifyResponse,
};

/// A call the worker sends for a challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttestAction {
	/// `probe` for this challenge.
	Probe(ChallengeId),
	/// `commit` for this challenge.
	Commit(ChallengeId),
	/// `reveal` for this challenge.
	Reveal(ChallengeId),
	/// `seal_verdict` for this challenge.
	Seal(ChallengeId, Verdict),
	/// `reveal_verdict` for this challenge.
	RevealVerdict(ChallengeId),
}

/// What the worker does for its machine's challenge in one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttestStep<C> {
	/// The machine is in no challenge.
	None,
	/// The workload was started on the agent.
	Started(ChallengeId),
	/// Waiting: the agent computes, or the chain's next step is not due.
	Waiting(ChallengeId),
	/// A call is due.
	Call(AttestAction, C),
}

/// The agent's wire form of workload `p`.
pub fn spec_of_params(p: &uranus_primitives::challenge::ChallengeParams) -> ChallengeSpec {
	ChallengeSpec {
		seed: hex::encode(p.seed),
		lanes: p.lanes,
		log_n: p.log_n,
		r: p.r,
		rounds: p.rounds,
	}
}

/// The agent's wire form of a challenge's lanes (its probe's seed until they are seeded).
pub fn spec_of<T: Config>(c: &ChallengeOf<T>) -> ChallengeSpec {
	spec_of_params(&c.params())
}

/// 32 bytes from hex (with or without `0x`).
pub fn hash_from_hex(s: &str) -> Option<Hash32> {
	let mut out = [0u8; 32];
	hex::decode_to_slice(s.trim_start_matches("0x"), &mut out).ok()?;
	Some(out)
}

/// A verdict and its salt, kept until revealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct SealedVerdict {
	/// The verdict sealed.
	pub verdict: Verdict,
	/// The salt sealed with it.
	pub salt: Hash32,
}

fn verdict_key(id: ChallengeId) -> Vec<u8> {
	(b"uranus::worker::verdict", id).encode()
}

/// The verdict this node sealed for challenge `id`.
pub fn sealed_verdict(id: ChallengeId) -> Option<SealedVerdict> {
	StorageValueRef::persistent(&verdict_key(id)).get::<SealedVerdict>().ok().flatten()
}

fn keep_verdict(id: ChallengeId, v: &SealedVerdict) {
	StorageValueRef::persistent(&verdict_key(id)).set(v);
}

/// Forgets the verdict of challenge `id`.
pub fn forget_verdict(id: ChallengeId) {
	StorageValueRef::persistent(&verdict_key(id)).clear();
}

impl<'a> AgentClient<'a> {
	/// `GET /v1/challenges/current`; `None` when the agent has run none.
	pub fn challenge_status(&self) -> Result<Option<ChallengeStatus>, AgentError> {
		match self.request(http::Method::Get, "/v1/challenges/current", None, &[200]) {
			Ok(body) => serde_json::from_slice(&body).map(Some).map_err(|_| AgentError::BadJson),
			Err(AgentError::Status(404)) => Ok(None),
			Err(e) => Err(e),
		}
	}

	/// `POST /v1/challenges`; `Ok(false)` when another challenge runs (409).
	pub fn start_challenge(&self, spec: &ChallengeSpec) -> Result<bool, AgentError> {
		let body = serde_json::to_vec(spec).map_err(|_| AgentError::BadJson)?;
		match self.request(http::Method::Post, "/v1/challenges", Some(body), &[200, 202]) {
			Ok(_) => Ok(true),
			Err(AgentError::Status(409)) => Ok(false),
			Err(e) => Err(e),
		}
	}

	/// `POST /v1/challenges/verify`.
	pub fn verify_challenge(&self, req: &VerifyRequest) -> Result<VerifyResponse, AgentError> {
		let body = serde_json::to_vec(req).map_err(|_| AgentError::BadJson)?;
		let answer =
			self.request(http::Method::Post, "/v1/challenges/verify", Some(body), &[200])?;
		serde_json::from_slice(&answer).map_err(|_| AgentError::BadJson)
	}
}

/// The step due for machine `machine` at block `n`. `agent` answers quickly; `verifier` is
/// the same agent with the longer verification deadline.
pub fn step<T: Config>(
	n: BlockNumberFor<T>,
	machine: MachineId,
	agent: &AgentClient,
	verifier: &AgentClient,
) -> Result<AttestStep<pallet_attest::Call<T>>, AgentError> {
	let Some(id) = pallet_attest::Engaged::<T>::get(machine) else { return Ok(AttestStep::None) };
	let Some(c) = pallet_attest::Challenges::<T>::get(id) else { return Ok(AttestStep::None) };
	if c.machine == machine {
		challenged::<T>(n, id, &c, agent)
	} else {
		verifying::<T>(n, id, &c, machine, verifier)
	}
}

/// Starts `spec` on the agent: started, or waiting while another challenge runs there.
fn start<C>(
	id: ChallengeId,
	spec: &ChallengeSpec,
	agent: &AgentClient,
) -> Result<AttestStep<C>, AgentError> {
	Ok(if agent.start_challenge(spec)? { AttestStep::Started(id) } else { AttestStep::Waiting(id) })
}

/// The challenged machine's probe: one lane alone on the agent, reported once done.
fn probing<T: Config>(
	n: BlockNumberFor<T>,
	id: ChallengeId,
	c: &ChallengeOf<T>,
	agent: &AgentClient,
) -> Result<AttestStep<pallet_attest::Call<T>>, AgentError> {
	if n > c.probe_by {
		return Ok(AttestStep::Waiting(id));
	}
	let spec = spec_of_params(&c.probe_params());
	let Some(status) = agent.challenge_status()?.filter(|s| s.spec == spec) else {
		return start(id, &spec, agent);
	};
	match status.state {
		ChallengeState::Done => {
			Ok(AttestStep::Call(AttestAction::Probe(id), pallet_attest::Call::probe { id }))
		},
		ChallengeState::Running => Ok(AttestStep::Waiting(id)),
		ChallengeState::Failed => {
			log::warn!(
				target: crate::LOG_TARGET,
				"challenge {id}: the agent could not run the probe: {:?}",
				status.error
			);
			Ok(AttestStep::Waiting(id))
		},
	}
}

/// The challenged machine's step: the probe first; once the lanes are seeded, start them,
/// commit when done, then reveal.
fn challenged<T: Config>(
	n: BlockNumberFor<T>,
	id: ChallengeId,
	c: &ChallengeOf<T>,
	agent: &AgentClient,
) -> Result<AttestStep<pallet_attest::Call<T>>, AgentError> {
	if c.probed_at.is_none() {
		return probing::<T>(n, id, c, agent);
	}
	if c.seeded_at.is_none() {
		// The lanes' seed is drawn two blocks after the probe.
		return Ok(AttestStep::Waiting(id));
	}
	let too_late = match c.commitment {
		None => n > c.commit_by,
		Some(_) => n > c.reveal_by,
	};
	if c.revealed || too_late {
		return Ok(AttestStep::Waiting(id));
	}
	let spec = spec_of::<T>(c);
	let Some(status) = agent.challenge_status()?.filter(|s| s.spec == spec) else {
		if c.commitment.is_some() {
			// Committed, but the agent no longer has the lanes (it restarted): they cannot
			// be revealed and the challenge fails at `reveal_by`.
			log::warn!(target: crate::LOG_TARGET, "challenge {id}: the agent lost its lanes");
			return Ok(AttestStep::Waiting(id));
		}
		return start(id, &spec, agent);
	};
	match status.state {
		ChallengeState::Running => return Ok(AttestStep::Waiting(id)),
		ChallengeState::Failed => {
			log::warn!(
				target: crate::LOG_TARGET,
				"challenge {id}: the agent could not run it: {:?}",
				status.error
			);
			return Ok(AttestStep::Waiting(id));
		},
		ChallengeState::Done => {},
	}
	if c.commitment.is_none() {
		let commitment =
			status.commitment.as_deref().and_then(hash_from_hex).ok_or(AgentError::BadJson)?;
		return Ok(AttestStep::Call(
			AttestAction::Commit(id),
			pallet_attest::Call::commit { id, commitment },
		));
	}
	let lanes: Option<Vec<Hash32>> = status.lanes.iter().map(|l| hash_from_hex(l)).collect();
	let lanes =
		LanesOf::try_from(lanes.ok_or(AgentError::BadJson)?).map_err(|_| AgentError::BadJson)?;
	Ok(AttestStep::Call(AttestAction::Reveal(id), pallet_attest::Call::reveal { id, lanes }))
}

/// A verifier's step: recompute and seal once the lanes are revealed and picked, reveal the
/// verdict once every verifier sealed or `seal_by` passed.
fn verifying<T: Config>(
	n: BlockNumberFor<T>,
	id: ChallengeId,
	c: &ChallengeOf<T>,
	machine: MachineId,
	verifier: &AgentClient,
) -> Result<AttestStep<pallet_attest::Call<T>>, AgentError> {
	let Some(slot) = c.verifiers.iter().find(|v| v.machine == machine) else {
		return Ok(AttestStep::None);
	};
	if slot.seal.is_none() {
		if !c.revealed || c.picks.is_empty() || n > c.seal_by {
			return Ok(AttestStep::Waiting(id));
		}
		// A verdict kept by an earlier run is sealed again as it was: its seal may still be
		// in the pool (a recomputation under a new salt would leave the kept salt unable to
		// open the seal that lands).
		if let Some(kept) = sealed_verdict(id) {
			let seal = verdict_seal(id, machine, kept.verdict, &kept.salt);
			return Ok(AttestStep::Call(
				AttestAction::Seal(id, kept.verdict),
				pallet_attest::Call::seal_verdict { id, seal },
			));
		}
		let (Some(commitment), Some(lanes)) = (c.commitment, pallet_attest::Lanes::<T>::get(id))
		else {
			return Ok(AttestStep::Waiting(id));
		};
		let request = VerifyRequest {
			spec: spec_of::<T>(c),
			commitment: hex::encode(commitment),
			revealed: lanes.iter().map(hex::encode).collect(),
			picks: c.picks.to_vec(),
		};
		let answer = verifier.verify_challenge(&request)?;
		let verdict = match answer.verdict {
			VerdictKind::Valid => Verdict::Valid,
			VerdictKind::CommitmentMismatch | VerdictKind::WrongLane => Verdict::Invalid,
		};
		log::info!(
			target: crate::LOG_TARGET,
			"challenge {id}: verified picks {:?} in {} ms: {:?}",
			c.picks,
			answer.elapsed_ms,
			answer.verdict
		);
		let salt = sp_io::offchain::random_seed();
		keep_verdict(id, &SealedVerdict { verdict, salt });
		let seal = verdict_seal(id, machine, verdict, &salt);
		return Ok(AttestStep::Call(
			AttestAction::Seal(id, verdict),
			pallet_attest::Call::seal_verdict { id, seal },
		));
	}
	if slot.verdict.is_some() {
		forget_verdict(id);
		return Ok(AttestStep::Waiting(id));
	}
	let all_sealed = c.verifiers.iter().all(|v| v.seal.is_some());
	if !(all_sealed || n > c.seal_by) || n > c.judge_by {
		return Ok(AttestStep::Waiting(id));
	}
	let Some(kept) = sealed_verdict(id) else {
		log::warn!(target: crate::LOG_TARGET, "challenge {id}: the sealed verdict was lost");
		return Ok(AttestStep::Waiting(id));
	};
	Ok(AttestStep::Call(
		AttestAction::RevealVerdict(id),
		pallet_attest::Call::reveal_verdict { id, verdict: kept.verdict, salt: kept.salt },
	))
}
