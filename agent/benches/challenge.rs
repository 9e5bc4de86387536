//! Hardware challenge: how long this host takes for a challenge of its own profile, for claims
//! of twice its cores or twice its memory, each against its own probe (one lane alone), as the
//! chain's relative deadline judges it; and what a verifier recomputes.
//!
//! `cargo bench -p uranus-agent --bench challenge` (about twelve minutes on 2 cores / 24 GiB).
//! `CHALLENGE_MEMORY_MIB` overrides the honest memory claim (default: the host's total),
//! `CHALLENGE_ROUNDS` the compute rounds per lane (default: the runtimes' 120 000).

use std::time::Instant;
use uranus_agent::challenge::{available_memory, parallelism, run, run_lane, ChallengeRunError};
use uranus_primitives::challenge::{pick_lanes, ChallengeParams};

fn main() {
	let cores = std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1);
	let total = uranus_agent::hardware::parse_meminfo(
		&std::fs::read_to_string("/proc/meminfo").unwrap_or_default(),
	)
	.0;
	let memory = std::env::var("CHALLENGE_MEMORY_MIB")
		.ok()
		.and_then(|m| m.parse::<u64>().ok())
		.map(|m| m << 20)
		.unwrap_or(total);
	let rounds = std::env::var("CHALLENGE_ROUNDS")
		.ok()
		.and_then(|r| r.parse::<u32>().ok())
		.unwrap_or(120_000);
	// One core's compute rate, alone and with every core busy.
	for threads in [1, cores] {
		let p = ChallengeParams::for_claim([4; 32], threads, u64::from(threads) << 30, 2_000)
			.expect("a small claim");
		let started = Instant::now();
		std::thread::scope(|s| {
			for lane in 0..threads {
				let p = &p;
				s.spawn(move || uranus_agent::challenge::compute_part(p, lane).expect("rounds"));
			}
		});
		let s = started.elapsed().as_secs_f64();
		println!(
			"compute: 2000 rounds on each of {threads} cores: {s:.2} s = {:.0} rounds/s per core",
			2_000.0 / s
		);
	}
	let honest =
		ChallengeParams::for_claim([1; 32], cores, memory, rounds).expect("a claimable host");
	// The fast runtime's deadline (3 s blocks, `runtime/src/configs/attest.rs`): the probe (one
	// lane alone) is reported in the block after it ends; the lanes, side by side, get the
	// probe's blocks plus half again plus one, counted from the block their seed is drawn.
	let blocks = |s: f64| (s / 3.0).ceil() as u64 + 1;
	let deadline = |probe: u64| probe + probe.div_ceil(2) + 1;
	// The absolute deadline the chain had before (a reference lane with its margin), for
	// comparison: rounds at 4 800 and bytes at 300 MiB per block.
	let absolute = |p: &ChallengeParams| -> u64 {
		(u64::from(p.rounds).div_ceil(4_800) + p.memory_per_lane().div_ceil(300 << 20)).max(3)
	};
	let time = |label: &str, p: &ChallengeParams| -> Option<f64> {
		let probe = ChallengeParams { lanes: 1, ..*p };
		let alone = match run(&probe, 1) {
			Ok(r) => r.elapsed.as_secs_f64(),
			Err(e) => {
				println!("challenge {label}: its probe cannot run: {e}");
				return None;
			},
		};
		match parallelism(p, cores, available_memory()) {
			Ok(parallel) => {
				let run = run(p, parallel).expect("runs");
				let s = run.elapsed.as_secs_f64();
				let (probe_blocks, lanes_blocks) = (blocks(alone), blocks(s));
				let d = deadline(probe_blocks);
				let old = absolute(p);
				println!(
					"challenge {label}: {} lanes × ({} rounds + {} MiB), {parallel} at a time: {s:.2} s 					 = {:.2}× its probe ({alone:.2} s alone); in blocks: probe {probe_blocks}, lanes 					 {lanes_blocks}, deadline {d}: {}; the absolute deadline ({old}) said {}",
					p.lanes,
					p.rounds,
					p.memory_per_lane() >> 20,
					s / alone,
					if lanes_blocks <= d {
						format!("in time ({:.2}× of it)", lanes_blocks as f64 / d as f64)
					} else {
						format!("late ({:.2}× of it)", lanes_blocks as f64 / d as f64)
					},
					if lanes_blocks <= old { "in time" } else { "late" },
				);
				Some(s)
			},
			Err(ChallengeRunError::InsufficientMemory { needed, available }) => {
				println!(
					"challenge {label}: a lane needs {} MiB, {} MiB available: cannot run (fails)",
					needed >> 20,
					available >> 20
				);
				None
			},
			Err(e) => panic!("{e}"),
		}
	};
	let base = time(&format!("as claimed ({cores} cores, {} MiB)", memory >> 20), &honest)
		.expect("the honest claim runs");
	let double_cores = ChallengeParams::for_claim([2; 32], cores * 2, memory, rounds).unwrap();
	if let Some(s) = time("claiming twice the cores (same memory)", &double_cores) {
		println!("ratio twice the cores: {:.2}× the honest time", s / base);
	}
	let double_both = ChallengeParams::for_claim([5; 32], cores * 2, memory * 2, rounds).unwrap();
	if let Some(s) = time("claiming twice the cores and the memory", &double_both) {
		println!("ratio twice the cores and the memory: {:.2}× the honest time", s / base);
	}
	let double_memory = ChallengeParams::for_claim([3; 32], cores, memory * 2, rounds).unwrap();
	if let Some(s) = time("claiming twice the memory", &double_memory) {
		println!("ratio twice the memory: {:.2}× the honest time", s / base);
	}
	// A verifier recomputes k picked lanes, one at a time.
	// As many as the chain picks: one per 16 lanes, 1 to 4.
	let k = (honest.lanes / 16).clamp(1, 4);
	let started = Instant::now();
	for lane in pick_lanes(&[9; 32], honest.lanes, k) {
		run_lane(&honest, lane).expect("a lane");
	}
	let v = started.elapsed().as_secs_f64();
	println!(
		"verifier: {k} of {} lanes in {v:.2} s = {:.0} % of the challenge's lane work, {:.0} % of its \
		 wall time",
		honest.lanes,
		100.0 * f64::from(k.min(honest.lanes)) / f64::from(honest.lanes),
		100.0 * v / base
	);
}
