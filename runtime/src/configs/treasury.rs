//! The treasury and where protocol fees go.
//!
//! Every market charge pays [`super::market::ProtocolFee`] (5 %) into the market pot. From
//! there [`FeeRouter`] moves PoC's governance-set share ([`pallet_poc::RewardParams::fee_share`],
//! 50 % at genesis) into the PoC reward pool and the rest into the treasury. The treasury
//! spends by referendum (`treasurer` track, up to 100,000 URA each) or root; nothing is
//! burnt.

use crate::{
	configs::governance::origins::EnsureTreasurer, AccountId, Balance, Balances, BlockNumber, Poc,
	Runtime, RuntimeEvent, System,
};
use frame_support::{
	dispatch::DispatchResult,
	parameter_types,
	traits::{
		fungible::Mutate,
		tokens::{pay::PayFromAccount, Preservation, UnityAssetBalanceConversion},
		ConstU32, EitherOf,
	},
	PalletId,
};
use frame_system::EnsureRootWithSuccess;
use sp_runtime::{
	traits::{AccountIdConversion, IdentityLookup},
	Permill,
};

#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const SpendPeriod: BlockNumber = 20;
	pub const PayoutPeriod: BlockNumber = 100;
}
#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	pub const SpendPeriod: BlockNumber = crate::time::DAYS;
	pub const PayoutPeriod: BlockNumber = 30 * crate::time::DAYS;
}

parameter_types! {
	pub const TreasuryPalletId: PalletId = PalletId(*b"py/trsry");
	pub TreasuryAccount: AccountId = TreasuryPalletId::get().into_account_truncating();
	/// Nothing is burnt at the end of a spend period.
	pub const Burn: Permill = Permill::zero();
	/// Root may spend anything.
	pub const MaxBalance: Balance = Balance::MAX;
}

impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = frame_system::EnsureRoot<AccountId>;
	type RuntimeEvent = RuntimeEvent;
	type SpendPeriod = SpendPeriod;
	type Burn = Burn;
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = ConstU32<100>;
	/// Root (any amount) or a passed `treasurer` referendum (up to 100,000 URA).
	type SpendOrigin = EitherOf<EnsureRootWithSuccess<AccountId, MaxBalance>, EnsureTreasurer>;
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromAccount<Balances, TreasuryAccount>;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = PayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type BlockNumberProvider = System;
}

/// Splits each protocol fee: PoC's `fee_share` into the reward pool, the rest to the
/// treasury. Both transfers leave the market pot's existential deposit in place.
pub struct FeeRouter;
impl pallet_market::OnProtocolFee<AccountId> for FeeRouter {
	fn on_protocol_fee(pot: &AccountId, amount: u128) -> DispatchResult {
		let to_rewards = pallet_poc::Rewards::<Runtime>::get().fee_share.mul_floor(amount);
		Poc::fund(pot, to_rewards)?;
		let to_treasury = amount.saturating_sub(to_rewards);
		if to_treasury > 0 {
			<Balances as Mutate<AccountId>>::transfer(
				pot,
				&TreasuryAccount::get(),
				to_treasury,
				Preservation::Preserve,
			)?;
		}
		Ok(())
	}
}
