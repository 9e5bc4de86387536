//! libFuzzer entry point (`make fuzz`): each input runs on a fresh chain; an invariant that
//! breaks panics, which libFuzzer reports as a crash and saves under `fuzz/artifacts/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
	uranus_fuzz::run(data);
});
