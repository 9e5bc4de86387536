//! The compute market: orders, escrow, leases, metering and settlement.
//!
//! Timing (normal runtime / `fast-runtime`): a provider acknowledges a lease within 2 min / 10
//! blocks; waiting replicas are refunded after 1 h / 100 blocks. 5% of every charge goes to
//! the market pot (`ura/mkt_`). A running lease pauses when its prepaid escrow covers fewer
//! than 5 blocks of its worst case; its user may dispute it for 1 day / 100 blocks after it
//! ended, and root (sudo on dev, a root-track referendum otherwise) resolves disputes within
//! 1 day / 50 blocks; after that anyone may let the dispute lapse (the provider keeps its
//! earnings). An order holds a storage deposit until it is reaped after its leases' dispute
//! windows. Metering reports are capped at what a lease's spec can consume since it was
//! assigned, plus one block of sampling slack.

use crate::{
	currency::deposit, time::*, AccountId, Balance, Balances, BlockNumber, Poc, Runtime,
	RuntimeEvent, RuntimeHoldReason,
};
use frame_support::{
	parameter_types,
	traits::{ConstU32, Get},
	PalletId,
};
use sp_runtime::Perbill;

#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const AckTimeout: BlockNumber = 10;
	pub const SlaAckBlocks: BlockNumber = 5;
	pub const MatchWindow: BlockNumber = 100;
	pub const DisputeWindow: BlockNumber = 100;
	pub const DisputeTimeout: BlockNumber = 50;
}
#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	pub const AckTimeout: BlockNumber = 2 * MINUTES;
	pub const SlaAckBlocks: BlockNumber = MINUTES;
	pub const MatchWindow: BlockNumber = HOURS;
	pub const DisputeWindow: BlockNumber = DAYS;
	pub const DisputeTimeout: BlockNumber = DAYS;
}

parameter_types! {
	pub const MarketPotId: PalletId = PalletId(*b"ura/mkt_");
	pub const ProtocolFee: Perbill = Perbill::from_percent(5);
	pub const MillisPerBlock: u64 = MILLI_SECS_PER_BLOCK;
	/// Two items (the order and its owner-index entry) of at most 5,100 bytes.
	pub const OrderDeposit: Balance = deposit(2, 5_100);
}

/// PoC's current σ of CPU, memory, storage and bandwidth.
pub struct PocSigmas;
impl Get<[u64; 4]> for PocSigmas {
	fn get() -> [u64; 4] {
		Poc::sigma_values()
	}
}

impl pallet_market::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Escrow = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Scheduler = Poc;
	type Sigmas = PocSigmas;
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type PotId = MarketPotId;
	type ProtocolFee = ProtocolFee;
	/// Half to PoC rewards, half to the treasury (governance-set share).
	type OnProtocolFee = crate::configs::treasury::FeeRouter;
	type MillisPerBlock = MillisPerBlock;
	type AckTimeout = AckTimeout;
	type MatchWindow = MatchWindow;
	type MaxReplicas = ConstU32<16>;
	type MaxWaiting = ConstU32<64>;
	// 128 deadlines a block (≈ 4 ms of `on_initialize` at the measured 30.9 µs each); a burst
	// spills over up to 16 following blocks: 2,176 leases assigned or started in one block.
	type MaxDeadlinesPerBlock = ConstU32<128>;
	type DeadlineSpill = ConstU32<16>;
	type MaxResult = ConstU32<256>;
	type MaxArgs = ConstU32<16>;
	type MaxArgLen = ConstU32<256>;
	type LowEscrowBlocks = ConstU32<5>;
	type DisputeWindow = DisputeWindow;
	type DisputeOrigin = frame_system::EnsureRoot<AccountId>;
	// One block of sampling slack: the agent samples on its own clock.
	type MeteringSlackMillis = MillisPerBlock;
	type UnixTime = crate::Timestamp;
	type DisputeTimeout = DisputeTimeout;
	type OrderDeposit = OrderDeposit;
	// Four waiting orders a block (the queue holds 64: its last one is retried after 16 blocks).
	type MaxMatchesPerBlock = ConstU32<4>;
	// The SLA: acknowledged within half the acknowledgement timeout, a metering report at
	// least every 20 blocks (the worker reports every block that has a new sample).
	type SlaAckBlocks = SlaAckBlocks;
	type SlaMaxGap = ConstU32<20>;
	type WeightInfo = pallet_market::weights::SubstrateWeight<Runtime>;
}
