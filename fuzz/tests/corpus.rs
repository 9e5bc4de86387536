//! The fuzzer's smoke test in `make test`: every input of the committed corpus (the seeds,
//! `seed-*`, and inputs `make fuzz` found, `fuzz-*`), then a fixed number of deterministic
//! mutations of them, run on the real runtime with every invariant
//! checked after every block. A crash `make fuzz` finds is added to the corpus (or as its own
//! test below), so it stays fixed.

use std::path::PathBuf;
use uranus_fuzz::{run, seeds::seeds, Outcome};

fn corpus() -> Vec<(String, Vec<u8>)> {
	let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/runtime");
	let mut files: Vec<_> = std::fs::read_dir(&dir)
		.expect("fuzz/corpus/runtime exists")
		.map(|e| e.expect("readable entry").path())
		.collect();
	files.sort();
	files
		.into_iter()
		.map(|p| (p.display().to_string(), std::fs::read(&p).expect("readable input")))
		.collect()
}

/// xorshift64*: deterministic mutations without a dependency.
struct Rng(u64);
impl Rng {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 >> 12;
		self.0 ^= self.0 << 25;
		self.0 ^= self.0 >> 27;
		self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
	}
}

/// A mutation of `input`: a few bytes flipped, or a slice repeated or cut.
fn mutate(input: &[u8], rng: &mut Rng) -> Vec<u8> {
	let mut out = input.to_vec();
	if out.is_empty() {
		return out;
	}
	for _ in 0..(1 + rng.next() % 4) {
		let i = (rng.next() as usize) % out.len();
		match rng.next() % 4 {
			0 => out[i] ^= 1 << (rng.next() % 8),
			1 => out[i] = rng.next() as u8,
			2 => {
				let j = (i + 1 + (rng.next() as usize) % 64).min(out.len());
				let slice = out[i..j].to_vec();
				out.splice(i..i, slice);
			},
			_ => out.truncate(i.max(1)),
		}
	}
	out
}

#[test]
fn the_committed_corpus_matches_the_seeds() {
	let files = corpus();
	for (name, seed) in seeds() {
		assert!(
			files.iter().any(|(f, input)| f.ends_with(&format!("seed-{name}")) && *input == seed),
			"fuzz/corpus/runtime/seed-{name} is stale: run `cargo run -p uranus-fuzz --bin uranus-fuzz-seed`"
		);
	}
}

#[test]
fn every_corpus_input_keeps_the_books() {
	let (mut seeds, mut all) = (Outcome::default(), Outcome::default());
	for (name, input) in corpus() {
		let o = run(&input);
		println!("{name}: {o:?}");
		let is_seed = name.rsplit('/').next().is_some_and(|f| f.starts_with("seed-"));
		for total in if is_seed { vec![&mut seeds, &mut all] } else { vec![&mut all] } {
			total.blocks += o.blocks;
			total.submitted += o.submitted;
			total.succeeded += o.succeeded;
			total.invalid += o.invalid;
			total.filtered += o.filtered;
		}
	}
	println!("corpus: {all:?}");
	// The seeds drive the market for real: most of their calls dispatch.
	assert!(seeds.succeeded * 2 > seeds.submitted, "{seeds:?}");
}

/// Mutated inputs the smoke runs (about a second each hundred in release).
const MUTATIONS: usize = 300;

#[test]
fn mutations_of_the_corpus_keep_the_books() {
	let inputs = corpus();
	let mut rng = Rng(0x5eed_u64);
	let mut blocks = 0;
	for i in 0..MUTATIONS {
		let (_, input) = &inputs[i % inputs.len()];
		blocks += run(&mutate(input, &mut rng)).blocks;
	}
	println!("{MUTATIONS} mutations: {blocks} blocks");
}
