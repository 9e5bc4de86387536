//! The per-job shim: `uranus-agent shim …`.
//!
//! The agent starts one shim per container in a new session (so it survives the agent being
//! killed). The shim runs `<runtime> run --keep --pid-file <pid> <id>` in the foreground (the
//! runtime writes the pid file once the container's command was executed), copies the
//! container's output from a pipe to the job log (capped and rotated, see
//! [`super::joblog`]), then writes the exit status to the exit file atomically.
//! `--keep` leaves the stopped container and its cgroup in place, so the agent can take the
//! final metering sample before deleting it.

use super::RuntimeError;
use serde::{Deserialize, Serialize};
use std::{
	os::unix::process::{CommandExt, ExitStatusExt},
	path::{Path, PathBuf},
	process::{Command, Stdio},
};

/// Arguments of a shim.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct ShimArgs {
	/// The OCI runtime binary.
	#[arg(long)]
	pub runtime: String,
	/// The runtime's state root.
	#[arg(long)]
	pub root: PathBuf,
	/// The container id.
	#[arg(long)]
	pub id: String,
	/// The bundle directory.
	#[arg(long)]
	pub bundle: PathBuf,
	/// The container's output log.
	#[arg(long)]
	pub log: PathBuf,
	/// The most the log may hold (both rotated halves).
	#[arg(long, default_value_t = super::joblog::MAX_CAP)]
	pub log_max_bytes: u64,
	/// Where the runtime writes the container's init pid once its command was executed
	/// (no pid file and an exit file: the container never started).
	#[arg(long)]
	pub pid_file: PathBuf,
	/// Where to record the exit status.
	#[arg(long)]
	pub exit_file: PathBuf,
}

/// How a container ended, as the shim saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitRecord {
	/// Exit code of `runtime run` (the container's exit code; 128+N for signal N).
	pub code: i32,
	/// Unix ms the shim saw the exit.
	pub at_ms: u64,
}

/// Reads an exit record, if the shim wrote one.
pub fn read_exit(exit_file: &Path) -> Option<ExitRecord> {
	std::fs::read(exit_file).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

/// Starts a detached shim for `args`.
pub fn spawn(agent_exe: &Path, args: &ShimArgs) -> Result<(), RuntimeError> {
	let mut cmd = Command::new(agent_exe);
	cmd.arg("shim")
		.arg("--runtime")
		.arg(&args.runtime)
		.arg("--root")
		.arg(&args.root)
		.arg("--id")
		.arg(&args.id)
		.arg("--bundle")
		.arg(&args.bundle)
		.arg("--log")
		.arg(&args.log)
		.arg("--log-max-bytes")
		.arg(args.log_max_bytes.to_string())
		.arg("--pid-file")
		.arg(&args.pid_file)
		.arg("--exit-file")
		.arg(&args.exit_file)
		.stdin(Stdio::null())
		.stdout(Stdio::null())
		.stderr(Stdio::null());
	// SAFETY: `setsid` is async-signal-safe; it detaches the shim from the agent's session so
	// signals to the agent's process group do not reach it.
	unsafe {
		cmd.pre_exec(|| {
			if libc::setsid() < 0 {
				return Err(std::io::Error::last_os_error());
			}
			Ok(())
		});
	}
	let mut child = cmd.spawn().map_err(|err| RuntimeError::Spawn {
		command: format!("{} shim", agent_exe.display()),
		err,
	})?;
	// Reap the shim when it exits so it does not linger as a zombie of a living agent.
	std::thread::spawn(move || {
		let _ = child.wait();
	});
	Ok(())
}

/// The shim's main: runs the container to completion and records how it ended.
pub fn run(args: &ShimArgs) -> std::io::Result<i32> {
	let (output, writer) = std::io::pipe()?;
	let mut child = Command::new(&args.runtime)
		.arg("--root")
		.arg(&args.root)
		.arg("run")
		.arg("--keep")
		.arg("--pid-file")
		.arg(&args.pid_file)
		.arg("--bundle")
		.arg(&args.bundle)
		.arg(&args.id)
		.stdin(Stdio::null())
		.stdout(writer.try_clone()?)
		.stderr(writer)
		.spawn()?;
	// The shim's copies of the pipe's write end went with the `Command`: the pump ends when
	// the container and the runtime have closed theirs.
	let pumped = super::joblog::pump(output, &args.log, args.log_max_bytes);
	let status = child.wait()?;
	pumped?;
	let code = status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
	let record = ExitRecord { code, at_ms: crate::now_ms() };
	let tmp = args.exit_file.with_extension("tmp");
	std::fs::write(&tmp, serde_json::to_vec(&record).unwrap_or_default())?;
	std::fs::rename(&tmp, &args.exit_file)?;
	Ok(code)
}
