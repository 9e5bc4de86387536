//! Agent CPU overhead while metering 50 running jobs: the agent's own CPU time (utime + stime
//! from `/proc/<pid>/stat`) over a 30 s window in which it samples every job's cgroup, network
//! and scratch counters every 200 ms (five times its default rate), plus the latency of
//! `GET /v1/jobs/{id}/metering` under that load. Needs root, runc, docker-registry, umoci and
//! skopeo, like the integration tests.
//!
//! `cargo bench -p uranus-agent --bench metering_overhead` prints the share of one core.

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use std::time::{Duration, Instant};

const JOBS: usize = 50;
const WINDOW: Duration = Duration::from_secs(30);
/// USER_HZ: the unit of utime and stime.
const CLK_TCK: f64 = 100.0;

/// utime + stime of process `pid`, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
	let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
	// Fields after the command name (which may hold spaces): state is field 3, utime 14,
	// stime 15.
	let rest = &stat[stat.rfind(')').unwrap() + 2..];
	let f: Vec<&str> = rest.split_whitespace().collect();
	(f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()) as f64 / CLK_TCK
}

fn main() {
	let fx = fixtures();
	let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let pid = agent.child.id();

	rt.block_on(async {
		let ids: Vec<u64> = (0..JOBS).map(|_| lease()).collect();
		for id in &ids {
			let (code, body) =
				agent.submit(&shell_job(*id, &fx.busybox, "sleep 600", limits(100, 16))).await;
			assert_eq!(code, 201, "{body}");
		}
		let start = Instant::now();
		loop {
			let mut running = 0;
			for id in &ids {
				if agent.job(*id).await.state == uranus_primitives::agent::JobState::Running {
					running += 1;
				}
			}
			if running == JOBS {
				break;
			}
			assert!(start.elapsed() < Duration::from_secs(300), "only {running} jobs running");
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
		println!("{JOBS} jobs running after {:.1} s", start.elapsed().as_secs_f64());
		// Let the start-up work settle, then measure the steady state.
		tokio::time::sleep(Duration::from_secs(5)).await;
		let (c0, t0) = (cpu_seconds(pid), Instant::now());
		let seq0 = agent.metering(ids[0]).await.seq;
		tokio::time::sleep(WINDOW).await;
		let (c1, t1) = (cpu_seconds(pid), Instant::now());
		let seq1 = agent.metering(ids[0]).await.seq;
		let share = (c1 - c0) / (t1 - t0).as_secs_f64();
		println!(
			"agent CPU while metering {JOBS} jobs every 200 ms: {:.2} s over {:.1} s = {:.2} % of one core ({} samples per job)",
			c1 - c0,
			(t1 - t0).as_secs_f64(),
			share * 100.0,
			seq1 - seq0
		);

		let mut lat = Vec::new();
		for id in &ids {
			let t = Instant::now();
			let m = agent.metering(*id).await;
			lat.push(t.elapsed().as_secs_f64() * 1000.0);
			assert!(m.seq > 0);
		}
		lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
		println!(
			"GET /v1/jobs/{{id}}/metering under that load (ms): p50 {:.2} p90 {:.2} max {:.2}",
			lat[lat.len() / 2],
			lat[lat.len() * 9 / 10],
			lat[lat.len() - 1]
		);
		for id in &ids {
			agent.req(reqwest::Method::DELETE, &format!("/v1/jobs/{id}")).send().await.unwrap();
		}
	});
}
