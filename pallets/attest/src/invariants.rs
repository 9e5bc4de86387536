//! The books `try_state` checks: every open challenge is consistent, scheduled once, and its
//! machines are engaged in it alone.

use crate::{pallet::*, types::*};
use alloc::collections::BTreeMap;
use frame_support::{ensure, traits::Get};
use pallet_registry::MachineId;

impl<T: Config> Pallet<T> {
	/// Checks the invariants (also used by tests after every step).
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(Challenges::<T>::count() <= T::MaxOpen::get(), "more than MaxOpen challenges");
		let mut engaged: BTreeMap<MachineId, ChallengeId> = BTreeMap::new();
		let mut scheduled: BTreeMap<ChallengeId, u32> = BTreeMap::new();
		for (_, ids) in Due::<T>::iter() {
			for id in ids {
				*scheduled.entry(id).or_default() += 1;
			}
		}
		let next = NextChallengeId::<T>::get();
		for (id, c) in Challenges::<T>::iter() {
			ensure!(id < next, "a challenge id not yet issued");
			ensure!(!c.verifiers.is_empty(), "a challenge without verifiers");
			ensure!(
				c.commit_by < c.reveal_by && c.reveal_by < c.seal_by && c.seal_by < c.judge_by,
				"deadlines out of order"
			);
			ensure!(c.seeded_at.is_none() || c.probed_at.is_some(), "lanes seeded before a probe");
			ensure!(c.probed_at.is_none_or(|p| p <= c.probe_by), "a probe after its deadline");
			ensure!(
				c.commitment.is_none() || c.seeded_at.is_some(),
				"a commitment before the seed"
			);
			ensure!(c.commitment.is_some() == c.committed_at.is_some(), "commitment without block");
			ensure!(c.picks.is_empty() || c.commitment.is_some(), "picks before a commitment");
			ensure!(c.picks.iter().all(|p| *p < c.lanes), "a pick beyond the lanes");
			ensure!(!c.revealed || c.commitment.is_some(), "revealed without a commitment");
			ensure!(c.revealed == Lanes::<T>::contains_key(id), "revealed lanes missing or stray");
			ensure!(
				c.verifiers.iter().all(|v| v.verdict.is_none() || v.seal.is_some()),
				"a verdict without a seal"
			);
			ensure!(scheduled.remove(&id) == Some(1), "a challenge not scheduled exactly once");
			ensure!(Due::<T>::get(c.due).contains(&id), "a challenge not due when it says");
			for m in core::iter::once(c.machine).chain(c.verifiers.iter().map(|v| v.machine)) {
				ensure!(engaged.insert(m, id).is_none(), "a machine in two roles");
			}
		}
		ensure!(scheduled.is_empty(), "a closed challenge is still scheduled");
		ensure!(Engaged::<T>::iter().count() == engaged.len(), "stray engaged machines");
		for (m, id) in Engaged::<T>::iter() {
			ensure!(engaged.get(&m) == Some(&id), "engagement differs from its challenge");
		}
		ensure!(
			Lanes::<T>::iter_keys().all(Challenges::<T>::contains_key),
			"lanes of a closed challenge"
		);
		Ok(())
	}
}
