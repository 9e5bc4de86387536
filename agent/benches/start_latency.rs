//! Start latency: an agent job start (`POST /v1/jobs` → container running, image cached)
//! against `runc run` of the same bundle, both running `true`. Needs root, runc,
//! docker-registry, umoci and skopeo, like the integration tests.
//!
//! `cargo bench -p uranus-agent --bench start_latency` prints both distributions and their
//! ratio; `RUST_LOG=uranus_agent=debug START_LATENCY_AGENT_LOG=<file>` keeps the agent's log,
//! whose `start:` lines say where each start's time went.

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use std::time::{Duration, Instant};

const ROUNDS: usize = 15;

fn stats(mut v: Vec<Duration>) -> (f64, f64, f64) {
	v.sort();
	let ms = |d: Duration| d.as_secs_f64() * 1000.0;
	let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len() as f64;
	(ms(v[v.len() / 2]), mean, ms(v[v.len() * 9 / 10]))
}

fn main() {
	let fx = fixtures();
	let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
	let dir = test_dir();
	let data = dir.path().join("agent");
	let agent = AgentProcess::start(&data);

	rt.block_on(async {
		// Warm the image cache.
		let warm = lease();
		let (code, body) = agent.submit(&shell_job(warm, &fx.busybox, "true", limits(500, 32))).await;
		assert_eq!(code, 201, "{body}");
		agent.wait_final(warm, Duration::from_secs(30)).await;

		let mut agent_times = Vec::new();
		for _ in 0..ROUNDS {
			let id = lease();
			let t = Instant::now();
			let (code, body) = agent.submit(&shell_job(id, &fx.busybox, "true", limits(500, 32))).await;
			assert_eq!(code, 201, "{body}");
			// Started: the container ran (the image is cached; POST answers before it runs).
			while agent.job(id).await.started_at_ms.is_none() {
				tokio::time::sleep(Duration::from_millis(2)).await;
			}
			agent_times.push(t.elapsed());
			agent.wait_final(id, Duration::from_secs(30)).await;
			agent.req(reqwest::Method::DELETE, &format!("/v1/jobs/{id}")).send().await.unwrap();
		}

		// The same bundle (the agent's generated spec, without the per-job netns and scratch).
		let bundle = dir.path().join("raw-bundle");
		std::fs::create_dir_all(&bundle).unwrap();
		let rootfs = std::fs::read_dir(data.join("images/rootfs"))
			.unwrap()
			.flatten()
			.map(|e| e.path())
			.find(|p| p.is_dir())
			.unwrap();
		let scratch = dir.path().join("raw-scratch");
		std::fs::create_dir_all(&scratch).unwrap();
		let root = uranus_agent::userns::IdMap::default().base;
		std::os::unix::fs::chown(&scratch, Some(root), Some(root)).unwrap();
		let image = uranus_agent::image::store::ImageRunConfig::default();
		let cmd = vec!["/bin/sh".to_string(), "-c".to_string(), "true".to_string()];
		let lim = limits(500, 32);
		let spec = uranus_agent::runtime::spec::build(&uranus_agent::runtime::spec::JobSpecInput {
			hostname: "raw",
			rootfs: &rootfs,
			image: &image,
			command: &cmd,
			env: &[],
			limits: &lim,
			scratch: &scratch,
			network: None,
			cgroups_path: "uranus-bench/raw",
			ids: uranus_agent::userns::IdMap::default(),
			apparmor_profile: None,
		})
		.unwrap();
		uranus_agent::runtime::spec::save(&spec, &bundle).unwrap();
		let mut raw_times = Vec::new();
		for i in 0..ROUNDS {
			let id = format!("bench-raw-{}-{i}", std::process::id());
			let t = Instant::now();
			let st = std::process::Command::new("runc")
				.args(["run", "--bundle"])
				.arg(&bundle)
				.arg(&id)
				.stdin(std::process::Stdio::null())
				.status()
				.unwrap();
			raw_times.push(t.elapsed());
			assert!(st.success());
		}

		let (a50, amean, a90) = stats(agent_times);
		let (r50, rmean, r90) = stats(raw_times);
		println!("start latency over {ROUNDS} rounds (ms): agent job start p50 {a50:.1} mean {amean:.1} p90 {a90:.1}");
		println!("start latency over {ROUNDS} rounds (ms): raw runc run   p50 {r50:.1} mean {rmean:.1} p90 {r90:.1}");
		println!("ratio agent/raw: p50 {:.2}x, mean {:.2}x", a50 / r50, amean / rmean);
		// With `RUST_LOG=uranus_agent=debug`, the agent's log shows each start's stages.
		if let Some(to) = std::env::var_os("START_LATENCY_AGENT_LOG") {
			std::fs::copy(data.with_extension("log"), to).unwrap();
		}
	});
}
