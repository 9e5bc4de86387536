//! Builds the runtime to Wasm (skipped with `SKIP_WASM_BUILD=1`).
//!
//! The dev/test runtime (`fast-runtime`) and the production runtime share the Wasm builder's
//! project directory (`<target>/release/wbuild/uranus-runtime`); the production one writes its
//! blobs under its own name (`uranus_runtime_production.*`), so that building it
//! (`scripts/release.sh --runtime-only`) never replaces the dev runtime's blob, which would make
//! cargo rebuild the dev runtime and everything that links it.

#[cfg(feature = "std")]
fn main() {
	let builder = substrate_wasm_builder::WasmBuilder::init_with_defaults();
	if std::env::var_os("CARGO_FEATURE_FAST_RUNTIME").is_some() {
		builder.build();
	} else {
		builder.set_file_name("uranus_runtime_production").build();
	}
}

/// The Wasm builder is off when this crate itself is compiled to Wasm.
#[cfg(not(feature = "std"))]
fn main() {}
