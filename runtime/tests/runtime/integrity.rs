//! The checks `#[frame_support::runtime]` generates as the runtime library's own unit tests:
//! every pallet's `integrity_test` in this runtime's configuration, and the default genesis
//! config builds. They run here because the library is not compiled in test mode
//! (`[lib] test = false`: `cargo test` compiles the runtime once).

use frame_support::traits::{BuildGenesisConfig, IntegrityTest};
use uranus_runtime::{AllPalletsWithSystem, RuntimeGenesisConfig};

#[test]
fn every_pallet_passes_its_integrity_test_in_this_runtime() {
	sp_tracing::try_init_simple();
	<AllPalletsWithSystem as IntegrityTest>::integrity_test();
}

#[test]
fn the_default_genesis_config_builds() {
	sp_io::TestExternalities::default().execute_with(|| {
		<RuntimeGenesisConfig as BuildGenesisConfig>::build(&RuntimeGenesisConfig::default());
	});
}
