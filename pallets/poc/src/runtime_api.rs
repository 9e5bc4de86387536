//! `PocApi`: scores, σ, tiers, the scheduler's next candidates and providers' rewards, for
//! the node's `poc_*` RPC.

use crate::types::{PendingRewards, ScoreView, SigmaView, TierView};
use alloc::vec::Vec;
use uranus_primitives::compute::{ContainerId, ResourceSpec};

sp_api::decl_runtime_apis! {
	/// Read access to Proof of Contribution. Version 2 adds [`PocApi::pending_rewards`].
	#[api_version(2)]
	pub trait PocApi<AccountId> where AccountId: codec::Codec {
		/// A container's score, decayed to the block the call runs at.
		fn score(id: ContainerId) -> Option<ScoreView<AccountId>>;
		/// σ, λ̂ and supply of every resource.
		fn sigmas() -> Vec<SigmaView>;
		/// The tiers and their sizes.
		fn tiers() -> Vec<TierView>;
		/// The containers the scheduler would propose next for `spec` (nothing is stored).
		fn next_candidates(spec: ResourceSpec, n: u32) -> Vec<ContainerId>;
		/// `who`'s rewards: claimable now, and its share of the period being accumulated.
		#[api_version(2)]
		fn pending_rewards(who: AccountId) -> PendingRewards;
	}
}
