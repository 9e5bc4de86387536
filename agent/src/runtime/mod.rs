//! Running containers.
//!
//! - [`ContainerRuntime`]: the backend trait (one impl per OCI runtime CLI).
//! - [`oci_cli::OciCliRuntime`]: runc (default; works on v1, hybrid and v2 hosts) or crun
//!   (pure cgroup v2 hosts).
//! - [`shim`]: a per-job supervisor process that outlives the agent, runs the runtime in the
//!   foreground and records the exit status, so an agent crash loses nothing.
//! - [`spec`]: the OCI runtime spec of a job (limits, read-only rootfs, scratch volume,
//!   network namespace, seccomp, capabilities).
//! - [`network`] and [`volume`]: the per-job veth pair and the size-limited scratch volume,
//!   made ahead of demand by [`provision`].

pub mod apparmor;
pub mod firewall;
pub mod joblog;
pub mod network;
pub mod oci_cli;
pub mod pidfd;
pub mod provision;
pub mod seccomp;
pub mod shim;
pub mod spec;
pub mod volume;

use std::path::Path;

/// Errors of the container runtime layer.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
	/// A command failed.
	#[error("`{command}` failed ({status}): {stderr}")]
	Command {
		/// The command line.
		command: String,
		/// Its exit status.
		status: String,
		/// What it printed on stderr.
		stderr: String,
	},
	/// A command could not be started.
	#[error("cannot run `{command}`: {err}")]
	Spawn {
		/// The command line.
		command: String,
		/// The cause.
		err: std::io::Error,
	},
	/// The runtime printed something we could not parse.
	#[error("unexpected output from `{command}`: {output}")]
	Output {
		/// The command line.
		command: String,
		/// What it printed.
		output: String,
	},
	/// A filesystem operation failed.
	#[error("{context}: {err}")]
	Io {
		/// What was being done.
		context: String,
		/// The cause.
		err: std::io::Error,
	},
	/// The generated spec is invalid.
	#[error("invalid OCI spec: {0}")]
	Spec(String),
	/// Every job network of the host is in use.
	#[error("no free job network left")]
	Exhausted,
}

/// What the runtime says about a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerState {
	/// Where the container is in its life.
	pub status: ContainerStatus,
	/// The init process id (0 once stopped).
	pub pid: u32,
}

/// A container's status as the OCI runtime reports it (`runc state`'s `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerStatus {
	/// Being made.
	Creating,
	/// Made, its process not started yet.
	Created,
	/// Its process runs.
	Running,
	/// Frozen (cgroup freezer).
	Paused,
	/// Its process exited; only a delete is left.
	Stopped,
	/// A status this agent does not know (a newer runtime's).
	Unknown,
}

impl ContainerStatus {
	/// From the runtime's word for it.
	pub fn parse(status: &str) -> ContainerStatus {
		match status {
			"creating" => ContainerStatus::Creating,
			"created" => ContainerStatus::Created,
			"running" => ContainerStatus::Running,
			"paused" => ContainerStatus::Paused,
			"stopped" => ContainerStatus::Stopped,
			_ => ContainerStatus::Unknown,
		}
	}

	/// Whether its processes may still be there: a signal, a freeze or a thaw can reach them
	/// (everything but stopped).
	pub fn has_processes(&self) -> bool {
		!matches!(self, ContainerStatus::Stopped)
	}
}

/// Where a started container's shim records what happens to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobFiles {
	/// The container's output, capped at `log_max_bytes` ([`joblog`]).
	pub log: std::path::PathBuf,
	/// The most the log may hold.
	pub log_max_bytes: u64,
	/// The container's init pid, written once it started (its command was executed).
	pub pid: std::path::PathBuf,
	/// How it ended ([`shim::ExitRecord`]), written once it ended or failed to start.
	pub exit: std::path::PathBuf,
}

/// An OCI runtime backend.
#[async_trait::async_trait]
pub trait ContainerRuntime: Send + Sync {
	/// The backend's name (`runc`, `crun`).
	fn name(&self) -> &str;
	/// Starts container `id` from `bundle` under a detached shim ([`JobFiles`] says where
	/// its output, start and exit are recorded).
	async fn start(&self, id: &str, bundle: &Path, files: &JobFiles) -> Result<(), RuntimeError>;
	/// The container's state, or `None` if the runtime does not know it.
	async fn state(&self, id: &str) -> Result<Option<ContainerState>, RuntimeError>;
	/// Sends `signal` (e.g. `KILL`) to the container's processes.
	async fn kill(&self, id: &str, signal: &str) -> Result<(), RuntimeError>;
	/// Removes a stopped container (and its cgroup).
	async fn delete(&self, id: &str) -> Result<(), RuntimeError>;
	/// Freezes (`paused`) or thaws the container's processes (cgroup freezer); their memory
	/// and files stay as they are.
	async fn set_paused(&self, id: &str, paused: bool) -> Result<(), RuntimeError>;
	/// The command that starts `argv` (detached) inside running container `id` on a new
	/// terminal whose master end the runtime sends to `console_socket`, writing the process's
	/// host pid to `pid_file` (a lease gateway shell); `None` when the backend cannot.
	fn exec_tty(
		&self,
		_id: &str,
		_console_socket: &Path,
		_pid_file: &Path,
		_argv: &[String],
	) -> Option<tokio::process::Command> {
		None
	}
}

/// Runs `program args…` and returns its stdout, or a [`RuntimeError::Command`].
pub(crate) async fn run_command(program: &str, args: &[&str]) -> Result<String, RuntimeError> {
	run_command_with_input(program, args, None).await
}

/// [`run_command`] with `input` (if any) written to the program's stdin.
pub(crate) async fn run_command_with_input(
	program: &str,
	args: &[&str],
	input: Option<&[u8]>,
) -> Result<String, RuntimeError> {
	use std::process::Stdio;
	use tokio::io::AsyncWriteExt;
	let command = format!("{program} {}", args.join(" "));
	let mut child = tokio::process::Command::new(program)
		.args(args)
		.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.map_err(|err| RuntimeError::Spawn { command: command.clone(), err })?;
	if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
		stdin
			.write_all(input)
			.await
			.map_err(|err| RuntimeError::Io { context: command.clone(), err })?;
	}
	let out = child
		.wait_with_output()
		.await
		.map_err(|err| RuntimeError::Io { context: command.clone(), err })?;
	if !out.status.success() {
		return Err(RuntimeError::Command {
			command,
			status: out.status.to_string(),
			stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
		});
	}
	Ok(String::from_utf8_lossy(&out.stdout).to_string())
}
