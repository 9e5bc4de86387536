//! `GET /v1/leases/{id}/shell?cmd=…&cmd=…`: a terminal inside the lease's running container,
//! bridged to a WebSocket.
//!
//! The agent runs `runc exec --detach --tty --console-socket` with the container's own process
//! spec (its user, capabilities, seccomp and AppArmor, in its cgroup, so a shell is metered
//! as the job), receives the terminal's master end over the socket, and copies between it
//! and the WebSocket: binary messages both ways; a text message `{"resize":[cols,rows]}`
//! sets the terminal size. The session ends when the command exits (the terminal closes) or
//! the client goes; then the command is killed, through a pidfd taken while it was known to be
//! the job's (never by a pid the kernel may have handed to another process since).

use super::{auth::LiveLeaseUser, error::GatewayError, limits::Pace, GatewayState};
use axum::{
	extract::{
		ws::{Message, WebSocket, WebSocketUpgrade},
		RawQuery, State,
	},
	response::Response,
};
use std::{
	os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd},
	path::Path,
	time::Duration,
};
use tokio::io::unix::AsyncFd;

/// Most arguments of a shell command, and the longest argument.
pub const MAX_ARGS: usize = 64;
/// See [`MAX_ARGS`].
pub const MAX_ARG_BYTES: usize = 4096;
/// How long the runtime has to hand over the terminal.
const CONSOLE_TIMEOUT: Duration = Duration::from_secs(10);

/// The command a shell request asks for (`/bin/sh` when none).
pub fn parse_argv(query: Option<&str>) -> Result<Vec<String>, GatewayError> {
	let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
		.map_err(|e| GatewayError::Conflict(format!("bad query: {e}")))?;
	let argv: Vec<String> = pairs.into_iter().filter(|(k, _)| k == "cmd").map(|(_, v)| v).collect();
	if argv.len() > MAX_ARGS || argv.iter().any(|a| a.len() > MAX_ARG_BYTES || a.contains('\0')) {
		return Err(GatewayError::Conflict(format!(
			"at most {MAX_ARGS} arguments of at most {MAX_ARG_BYTES} bytes, without NUL"
		)));
	}
	Ok(if argv.is_empty() { vec!["/bin/sh".into()] } else { argv })
}

/// The handler: starts the command, then upgrades.
pub async fn shell(
	LiveLeaseUser(lease, user): LiveLeaseUser,
	State(s): State<GatewayState>,
	RawQuery(query): RawQuery,
	ws: WebSocketUpgrade,
) -> Result<Response, GatewayError> {
	let argv = parse_argv(query.as_deref())?;
	let permit = s.limits.admit(lease, &user)?;
	let dir = s.agent.data_dir.join("gateway").join("consoles");
	std::fs::create_dir_all(&dir).map_err(|e| GatewayError::Internal(e.to_string()))?;
	let tag: u64 = rand::random();
	let socket = dir.join(format!("{lease}-{tag:016x}.sock"));
	let pid_file = dir.join(format!("{lease}-{tag:016x}.pid"));
	let (master, pid) = start(&s, lease, &socket, &pid_file, &argv).await;
	let _ = std::fs::remove_file(&socket);
	let _ = std::fs::remove_file(&pid_file);
	let process = match pid {
		Some(pid) => s
			.jobs
			.exec_process(lease, pid)
			.await
			.map_err(|e| tracing::warn!(lease, pid, "the shell's command is not held: {e}"))
			.ok(),
		None => {
			tracing::warn!(lease, "the runtime reported no pid for the shell's command");
			None
		},
	};
	let master = match master {
		Ok(m) => m,
		Err(e) => {
			// A command that started without a terminal would idle until the job ends.
			if let Some(p) = &process {
				p.kill();
			}
			return Err(e);
		},
	};
	tracing::info!(lease, ?argv, pid, "gateway shell opened");
	let rate = s.config.bytes_per_second;
	Ok(ws.on_upgrade(move |socket| async move {
		bridge(socket, master, rate).await;
		// The command outlives a client that left: end it (a no-op once it has exited).
		if let Some(process) = process {
			process.kill();
		}
		drop(permit);
		tracing::info!(lease, "gateway shell closed");
	}))
}

/// Runs the exec and receives the terminal's master end; also the command's host pid.
async fn start(
	s: &GatewayState,
	lease: u64,
	socket: &Path,
	pid_file: &Path,
	argv: &[String],
) -> (Result<OwnedFd, GatewayError>, Option<i32>) {
	let listener = match tokio::net::UnixListener::bind(socket) {
		Ok(l) => l,
		Err(e) => return (Err(GatewayError::Internal(format!("console socket: {e}"))), None),
	};
	let mut cmd = match s.jobs.exec_tty(lease, socket, pid_file, argv).await {
		Ok(c) => c,
		Err(e) => return (Err(e.into()), None),
	};
	let child = match cmd.spawn() {
		Ok(c) => c,
		Err(e) => return (Err(GatewayError::Internal(format!("start the exec: {e}"))), None),
	};
	let received = tokio::time::timeout(CONSOLE_TIMEOUT, async {
		let (stream, _) = listener.accept().await?;
		receive_fd(&stream).await
	});
	let (received, out) = tokio::join!(received, child.wait_with_output());
	let pid = std::fs::read_to_string(pid_file).ok().and_then(|p| p.trim().parse().ok());
	let out = match out {
		Ok(o) => o,
		Err(e) => return (Err(GatewayError::Internal(format!("the exec: {e}"))), pid),
	};
	if !out.status.success() {
		let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
		return (Err(GatewayError::Conflict(format!("the command did not start: {err}"))), pid);
	}
	match received {
		Ok(Ok(fd)) => (Ok(fd), pid),
		Ok(Err(e)) => (Err(GatewayError::Internal(format!("receive the terminal: {e}"))), pid),
		Err(_) => (Err(GatewayError::Internal("the runtime sent no terminal".into())), pid),
	}
}

async fn receive_fd(stream: &tokio::net::UnixStream) -> std::io::Result<OwnedFd> {
	use sendfd::RecvWithFd;
	loop {
		stream.readable().await?;
		let mut bytes = [0u8; 256];
		let mut fds: [RawFd; 1] = [-1];
		match stream.recv_with_fd(&mut bytes, &mut fds) {
			Ok((_, 1)) => {
				// SAFETY: the kernel just installed this descriptor for us; we own it.
				return Ok(unsafe { OwnedFd::from_raw_fd(fds[0]) });
			},
			Ok((0, 0)) => {
				return Err(std::io::Error::new(
					std::io::ErrorKind::UnexpectedEof,
					"closed without a terminal",
				))
			},
			Ok(_) => continue,
			Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
			Err(e) => return Err(e),
		}
	}
}

fn set_nonblocking(fd: &OwnedFd) -> std::io::Result<()> {
	// SAFETY: fcntl on a descriptor we own.
	let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
	if flags < 0
		|| unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0
	{
		return Err(std::io::Error::last_os_error());
	}
	Ok(())
}

fn resize(fd: &OwnedFd, cols: u16, rows: u16) {
	let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
	// SAFETY: TIOCSWINSZ with a valid winsize on the terminal's master end.
	unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
}

async fn read_master(fd: &AsyncFd<OwnedFd>, buf: &mut [u8]) -> std::io::Result<usize> {
	loop {
		let mut guard = fd.readable().await?;
		match guard.try_io(|inner| {
			// SAFETY: read(2) into a buffer of the given length.
			let n = unsafe {
				libc::read(inner.get_ref().as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())
			};
			if n < 0 {
				Err(std::io::Error::last_os_error())
			} else {
				Ok(n as usize)
			}
		}) {
			Ok(r) => return r,
			Err(_would_block) => continue,
		}
	}
}

async fn write_master(fd: &AsyncFd<OwnedFd>, mut data: &[u8]) -> std::io::Result<()> {
	while !data.is_empty() {
		let mut guard = fd.writable().await?;
		match guard.try_io(|inner| {
			// SAFETY: write(2) from a buffer of the given length.
			let n = unsafe {
				libc::write(inner.get_ref().as_raw_fd(), data.as_ptr().cast(), data.len())
			};
			if n < 0 {
				Err(std::io::Error::last_os_error())
			} else {
				Ok(n as usize)
			}
		}) {
			Ok(Ok(n)) => data = &data[n..],
			Ok(Err(e)) => return Err(e),
			Err(_would_block) => continue,
		}
	}
	Ok(())
}

/// Copies between the terminal and the WebSocket until either ends.
async fn bridge(mut ws: WebSocket, master: OwnedFd, rate: u64) {
	if let Err(e) = set_nonblocking(&master) {
		tracing::warn!("shell terminal: {e}");
		return;
	}
	// SAFETY: an `OwnedFd` keeps its descriptor open and unchanged for as long as it lives,
	// and the `AsyncFd` owns it.
	let fd = match unsafe { AsyncFd::register(master) } {
		Ok(fd) => fd,
		Err(e) => {
			tracing::warn!("shell terminal: {e}");
			return;
		},
	};
	let mut pace = Pace::new(rate);
	let mut buf = vec![0u8; 16 << 10];
	loop {
		tokio::select! {
			n = read_master(&fd, &mut buf) => match n {
				// EIO: every process holding the terminal has exited.
				Ok(0) | Err(_) => break,
				Ok(n) => {
					pace.wait(n).await;
					if ws.send(Message::Binary(buf[..n].to_vec().into())).await.is_err() {
						break;
					}
				},
			},
			msg = ws.recv() => match msg {
				Some(Ok(Message::Binary(data))) => {
					if write_master(&fd, &data).await.is_err() {
						break;
					}
				},
				Some(Ok(Message::Text(text))) => {
					if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
						if let (Some(c), Some(r)) = (v["resize"][0].as_u64(), v["resize"][1].as_u64()) {
							resize(fd.get_ref(), c.min(1000) as u16, r.min(1000) as u16);
						}
					}
				},
				Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
				Some(Ok(_)) => {},
			},
		}
	}
	let _ = ws.send(Message::Close(None)).await;
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn shell_commands_are_bounded_and_default_to_sh() {
		assert_eq!(parse_argv(None).unwrap(), vec!["/bin/sh"]);
		assert_eq!(
			parse_argv(Some("cmd=cat&cmd=%2Fproc%2F1%2Fcmdline")).unwrap(),
			vec!["cat", "/proc/1/cmdline"]
		);
		let many = vec!["cmd=x"; MAX_ARGS + 1].join("&");
		assert!(parse_argv(Some(&many)).is_err());
		assert!(parse_argv(Some(&format!("cmd={}", "x".repeat(MAX_ARG_BYTES + 1)))).is_err());
		assert!(parse_argv(Some("cmd=a%00b")).is_err());
	}
}
