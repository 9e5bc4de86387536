//! The registry: providers, machines (hardware profiles), containers and heartbeats, each
//! record paid for by a held deposit.
//!
//! Heartbeats (normal runtime / `fast-runtime`): at most one per 5 min / 5 blocks; a machine
//! silent for 30 min / 20 blocks is marked offline. A leaving provider waits 7 days / 20
//! blocks for its deposit.

#[cfg(not(feature = "fast-runtime"))]
use crate::time::*;
use crate::{
	currency::{deposit, URA},
	AccountId, Balance, Balances, BlockNumber, Poc, Runtime, RuntimeEvent, RuntimeHoldReason,
};
use frame_support::{parameter_types, traits::ConstU32};

#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const RegistryCoolDown: BlockNumber = 20;
	pub const MinHeartbeatInterval: BlockNumber = 5;
	pub const HeartbeatTimeout: BlockNumber = 20;
}
#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	pub const RegistryCoolDown: BlockNumber = 7 * DAYS;
	pub const MinHeartbeatInterval: BlockNumber = 5 * MINUTES;
	pub const HeartbeatTimeout: BlockNumber = 30 * MINUTES;
}

parameter_types! {
	/// A provider stakes 100 URA on its identity.
	pub const ProviderDeposit: Balance = 100 * URA;
	/// A machine record (profile + up to 16 container ids): one item, ~300 bytes.
	pub const MachineDeposit: Balance = deposit(1, 300);
	/// A container record: one item, ~80 bytes.
	pub const ContainerDeposit: Balance = deposit(1, 80);
	/// An image record (two 128-byte strings + terms): one item, ~400 bytes.
	pub const ImageDeposit: Balance = deposit(1, 400);
}

impl pallet_registry::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Contribution = Poc;
	/// The market re-schedules the leases of machines that go offline.
	type MachineOffline = crate::Market;
	// Providers with an open dispute cannot leave.
	type Obligations = crate::Market;
	/// New and changed profiles wait for a hardware challenge.
	type ProfileChanged = crate::Attest;
	type ProviderDeposit = ProviderDeposit;
	type MachineDeposit = MachineDeposit;
	type ContainerDeposit = ContainerDeposit;
	type ImageDeposit = ImageDeposit;
	/// Root, i.e. sudo on dev chains or a referendum on the root track.
	type VerifierOrigin = frame_system::EnsureRoot<AccountId>;
	/// Root (sudo on dev, a root-track referendum otherwise): beside the hardware challenges
	/// of `pallet-attest`, governance can still verify or unverify a machine.
	type HardwareOrigin = frame_system::EnsureRoot<AccountId>;
	type MaxImageRef = ConstU32<128>;
	type CoolDown = RegistryCoolDown;
	type MinHeartbeatInterval = MinHeartbeatInterval;
	type HeartbeatTimeout = HeartbeatTimeout;
	type SweepPerBlock = ConstU32<16>;
	type MaxText = ConstU32<64>;
	type MaxLabels = ConstU32<8>;
	type MaxMachinesPerProvider = ConstU32<32>;
	type MaxContainersPerMachine = ConstU32<16>;
	type WeightInfo = pallet_registry::weights::SubstrateWeight<Runtime>;
}
