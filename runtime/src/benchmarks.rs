//! The pallets `uranus-node benchmark pallet` measures (`make bench` regenerates their
//! `weights.rs`).

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking::baseline, Baseline::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_transaction_payment, TransactionPayment]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_utility, Utility]
	[pallet_sudo, Sudo]
	[pallet_dpos, Dpos]
	[pallet_poc, Poc]
	[pallet_registry, Registry]
	[pallet_market, Market]
	[pallet_attest, Attest]
);

impl frame_system_benchmarking::Config for crate::Runtime {}
impl frame_benchmarking::baseline::Config for crate::Runtime {}
impl pallet_transaction_payment::BenchmarkConfig for crate::Runtime {}
