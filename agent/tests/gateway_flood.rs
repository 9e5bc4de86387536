//! #37 defect 1: anyone who can reach the lease gateway could exhaust it. Idle TCP
//! connections and clients that send their headers a byte at a time used up the agent's
//! file descriptors, which its control API, journal and `runc` need too: heartbeats stopped
//! and jobs could not start. Here 2,000 idle connections (re-opened as the gateway closes
//! them) and 200 slow-header TLS clients flood the gateway of an agent held to 1,024 open
//! files (a service's usual soft limit) while a job runs to its end and the control API's
//! health is asked every 100 ms.

mod common;

use common::*;
use std::{
	io::{Read, Write},
	net::TcpStream,
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};
use uranus_primitives::agent::JobState;

/// How long the flood lasts.
const FLOOD: Duration = Duration::from_secs(30);

/// A TCP connection to the gateway at `port` from loopback address `from`.
fn connect_from(from: [u8; 4], port: u16) -> std::io::Result<TcpStream> {
	use socket2::{Domain, SockAddr, Socket, Type};
	let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
	s.bind(&SockAddr::from(std::net::SocketAddr::from((from, 0))))?;
	s.connect(&SockAddr::from(std::net::SocketAddr::from(([127, 0, 0, 1], port))))?;
	Ok(s.into())
}

/// Holds `n` idle connections to `port`, from 100 loopback addresses, until `stop`,
/// re-opening each second those the server closed; returns how many it opened.
fn idle_flood(port: u16, n: usize, stop: Arc<AtomicBool>) -> usize {
	let mut held: Vec<TcpStream> = Vec::new();
	let mut opened = 0;
	while !stop.load(Ordering::Relaxed) {
		// Open and silent: a peek would block. Closed by the server: it reads 0.
		held.retain(|c| {
			let mut b = [0u8; 1];
			match c.peek(&mut b) {
				Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
				Ok(n) => n > 0,
			}
		});
		while held.len() < n && !stop.load(Ordering::Relaxed) {
			let i = opened % 100;
			match connect_from([127, 0, 1, i as u8], port) {
				Ok(c) => {
					c.set_nonblocking(true).unwrap();
					held.push(c);
					opened += 1;
				},
				Err(_) => break,
			}
		}
		std::thread::sleep(Duration::from_secs(1));
	}
	opened
}

/// How a slow-header client fared.
#[derive(Debug)]
enum Slow {
	/// The gateway refused its connection (over a bound) before TLS.
	Refused,
	/// The gateway closed it after this long.
	Cut(Duration),
	/// It was still open when the flood ended.
	Kept,
}

/// One slow-header client from loopback address `from`: a TLS connection that sends a
/// request line and then a header byte a second, until the server closes it or `stop`.
fn slow_headers(from: [u8; 4], port: u16, stop: Arc<AtomicBool>) -> Slow {
	let Ok(tcp) = connect_from(from, port) else { return Slow::Refused };
	tcp.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
	let tls = native_tls::TlsConnector::builder()
		// A flood needs no pinning: the certificate is the gateway's own self-signed one.
		.danger_accept_invalid_certs(true)
		.build()
		.unwrap();
	let Ok(mut s) = tls.connect("127.0.0.1", tcp) else { return Slow::Refused };
	let start = Instant::now();
	if s.write_all(b"GET /v1/health HTTP/1.1\r\nHost: gateway\r\n").is_err() {
		return Slow::Cut(start.elapsed());
	}
	let mut buf = [0u8; 256];
	while !stop.load(Ordering::Relaxed) {
		if s.write_all(b"X").and_then(|()| s.flush()).is_err() {
			return Slow::Cut(start.elapsed());
		}
		match s.read(&mut buf) {
			Ok(0) => return Slow::Cut(start.elapsed()),
			Err(e)
				if e.kind() != std::io::ErrorKind::WouldBlock
					&& e.kind() != std::io::ErrorKind::TimedOut =>
			{
				return Slow::Cut(start.elapsed())
			},
			_ => {},
		}
		std::thread::sleep(Duration::from_secs(1));
	}
	Slow::Kept
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flooded_gateway_leaves_the_control_api_and_the_jobs_working() {
	let fx = fixtures();
	let dir = test_dir();
	let gateway = free_port();
	let listen = format!("127.0.0.1:{gateway}");
	// No node: the flood never gets as far as a lease lookup.
	let agent = AgentProcess::start_with(
		&dir.path().join("agent"),
		free_port(),
		&["--gateway-listen", &listen, "--node-rpc", "http://127.0.0.1:9"],
	);
	let pid = agent.child.id().to_string();
	let limited = std::process::Command::new("prlimit")
		.args(["--pid", &pid, "--nofile=1024:1024"])
		.status()
		.unwrap();
	assert!(limited.success());

	let stop = Arc::new(AtomicBool::new(false));
	let idle = {
		let stop = stop.clone();
		std::thread::spawn(move || idle_flood(gateway, 2_000, stop))
	};
	let slow: Vec<_> = (0..200u8)
		.map(|i| {
			let stop = stop.clone();
			std::thread::spawn(move || slow_headers([127, 0, 2, i], gateway, stop))
		})
		.collect();

	// Meanwhile: the control API's health every 100 ms, and a job from start to end.
	let start = Instant::now();
	let id = lease();
	let job = shell_job(id, &fx.busybox, "sleep 5; echo done", limits(100, 16));
	let mut submitted = None;
	let mut latencies = Vec::new();
	let mut failures = Vec::new();
	while start.elapsed() < FLOOD {
		let t = Instant::now();
		let port = agent.port();
		let answer = tokio::task::spawn_blocking(move || control_health(port)).await.unwrap();
		match answer {
			Ok(head) if head.starts_with("HTTP/1.1 200") => latencies.push(t.elapsed()),
			other => failures.push(format!("at {:?} for {:?}: {other:?}", t - start, t.elapsed())),
		}
		if submitted.is_none() && start.elapsed() > Duration::from_secs(3) {
			submitted = Some(agent.submit(&job).await);
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	let (status, _) = agent.wait_final(id, Duration::from_secs(60)).await;
	stop.store(true, Ordering::Relaxed);
	let opened = idle.join().unwrap();
	let slow: Vec<Slow> = slow.into_iter().map(|t| t.join().unwrap()).collect();

	latencies.sort();
	let p50 = latencies.get(latencies.len() / 2).copied().unwrap_or_default();
	let max = latencies.last().copied().unwrap_or_default();
	let refused = slow.iter().filter(|s| matches!(s, Slow::Refused)).count();
	let cut: Vec<Duration> =
		slow.iter().filter_map(|s| if let Slow::Cut(d) = s { Some(*d) } else { None }).collect();
	let kept = slow.iter().filter(|s| matches!(s, Slow::Kept)).count();
	let longest = cut.iter().max().copied().unwrap_or_default();
	println!(
		"flood: {opened} idle connections opened; slow-header clients: {refused} refused, {} cut \
		 off (the longest after {longest:?}), {kept} still open at the end; control API health: \
		 {} answers, p50 {p50:?}, max {max:?}, {} failures",
		cut.len(),
		latencies.len(),
		failures.len()
	);
	let (code, body) = submitted.expect("the job was submitted during the flood");
	assert_eq!(code, 201, "{body}");
	assert_eq!(status.state, JobState::Exited, "the job ran to its end: {status:?}");
	assert_eq!(agent.logs(id).await.trim(), "done");
	assert!(failures.is_empty(), "the control API failed during the flood: {failures:?}");
	assert!(max < Duration::from_secs(3), "health took {max:?} at worst");
	assert_eq!(kept, 0, "slow-header clients the gateway never cut off");
	// Afterwards the gateway serves again.
	let answer = tokio::task::spawn_blocking(move || gateway_health(gateway)).await.unwrap();
	assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// `GET /v1/health` of the gateway at `port`: the response's head.
fn gateway_health(port: u16) -> String {
	let tcp = connect_from([127, 0, 3, 1], port).unwrap();
	let tls =
		native_tls::TlsConnector::builder().danger_accept_invalid_certs(true).build().unwrap();
	let mut s = tls.connect("127.0.0.1", tcp).unwrap();
	s.write_all(b"GET /v1/health HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n").unwrap();
	let mut answer = String::new();
	let _ = s.read_to_string(&mut answer);
	answer
}

/// `GET /v1/health` of the control API on `port` (plain HTTP, 5 s to answer): the response.
fn control_health(port: u16) -> std::io::Result<String> {
	let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
	let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
	s.set_read_timeout(Some(Duration::from_secs(5)))?;
	s.write_all(b"GET /v1/health HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n")?;
	let mut answer = String::new();
	s.read_to_string(&mut answer)?;
	Ok(answer)
}
