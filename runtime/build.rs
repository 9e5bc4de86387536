//! Builds the runtime to Wasm (skipped with `SKIP_WASM_BUILD=1`).

#[cfg(feature = "std")]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

/// The Wasm builder is off when this crate itself is compiled to Wasm.
#[cfg(not(feature = "std"))]
fn main() {}
