//! The runc/crun command-line backend.

use super::{
	run_command, shim, ContainerRuntime, ContainerState, ContainerStatus, JobFiles, RuntimeError,
};
use std::path::{Path, PathBuf};

/// An OCI runtime driven through its CLI, with its state under `root`.
pub struct OciCliRuntime {
	binary: String,
	root: PathBuf,
	agent_exe: PathBuf,
}

impl OciCliRuntime {
	/// A backend running `binary` (`runc` or `crun`) with state in `root`; `agent_exe` is the
	/// agent binary, started as `agent_exe shim …` to supervise each container.
	pub fn new(binary: impl Into<String>, root: PathBuf, agent_exe: PathBuf) -> Self {
		Self { binary: binary.into(), root, agent_exe }
	}

	fn root_str(&self) -> String {
		self.root.display().to_string()
	}
}

#[async_trait::async_trait]
impl ContainerRuntime for OciCliRuntime {
	fn name(&self) -> &str {
		&self.binary
	}

	async fn start(&self, id: &str, bundle: &Path, files: &JobFiles) -> Result<(), RuntimeError> {
		std::fs::create_dir_all(&self.root)
			.map_err(|err| RuntimeError::Io { context: "create runtime root".into(), err })?;
		shim::spawn(
			&self.agent_exe,
			&shim::ShimArgs {
				runtime: self.binary.clone(),
				root: self.root.clone(),
				id: id.to_string(),
				bundle: bundle.to_path_buf(),
				log: files.log.clone(),
				log_max_bytes: files.log_max_bytes,
				pid_file: files.pid.clone(),
				exit_file: files.exit.clone(),
			},
		)
	}

	async fn state(&self, id: &str) -> Result<Option<ContainerState>, RuntimeError> {
		let root = self.root_str();
		match run_command(&self.binary, &["--root", &root, "state", id]).await {
			Ok(out) => {
				let v: serde_json::Value =
					serde_json::from_str(&out).map_err(|_| RuntimeError::Output {
						command: format!("{} state {id}", self.binary),
						output: out.clone(),
					})?;
				Ok(Some(ContainerState {
					status: ContainerStatus::parse(v["status"].as_str().unwrap_or("")),
					pid: v["pid"].as_u64().unwrap_or(0) as u32,
				}))
			},
			Err(RuntimeError::Command { stderr, .. })
				if stderr.contains("does not exist") || stderr.contains("not found") =>
			{
				Ok(None)
			},
			Err(e) => Err(e),
		}
	}

	async fn kill(&self, id: &str, signal: &str) -> Result<(), RuntimeError> {
		let root = self.root_str();
		match run_command(&self.binary, &["--root", &root, "kill", "--all", id, signal]).await {
			Ok(_) => Ok(()),
			// Already stopped: nothing to kill.
			Err(RuntimeError::Command { stderr, .. })
				if stderr.contains("not running")
					|| stderr.contains("process already finished") =>
			{
				Ok(())
			},
			Err(e) => Err(e),
		}
	}

	async fn set_paused(&self, id: &str, paused: bool) -> Result<(), RuntimeError> {
		let root = self.root_str();
		let verb = if paused { "pause" } else { "resume" };
		run_command(&self.binary, &["--root", &root, verb, id]).await.map(|_| ())
	}

	fn exec_tty(
		&self,
		id: &str,
		console_socket: &Path,
		pid_file: &Path,
		argv: &[String],
	) -> Option<tokio::process::Command> {
		// `exec` takes the container's own process spec (user, capabilities, seccomp,
		// AppArmor, no-new-privileges) and runs in its cgroup: a shell is metered as the job.
		let mut cmd = tokio::process::Command::new(&self.binary);
		cmd.arg("--root")
			.arg(&self.root)
			.arg("exec")
			.arg("--detach")
			.arg("--pid-file")
			.arg(pid_file)
			.arg("--tty")
			.arg("--console-socket")
			.arg(console_socket)
			.arg(id)
			.args(argv)
			.stdin(std::process::Stdio::null())
			.stdout(std::process::Stdio::null())
			.stderr(std::process::Stdio::piped())
			.kill_on_drop(true);
		Some(cmd)
	}

	async fn delete(&self, id: &str) -> Result<(), RuntimeError> {
		// The runtime keeps a container's state in `<root>/<id>`: without it there is nothing
		// to delete, and no process need be spent on finding that out.
		if !self.root.join(id).exists() {
			return Ok(());
		}
		let root = self.root_str();
		match run_command(&self.binary, &["--root", &root, "delete", "--force", id]).await {
			Ok(_) => Ok(()),
			Err(RuntimeError::Command { stderr, .. }) if stderr.contains("does not exist") => {
				Ok(())
			},
			Err(e) => Err(e),
		}
	}
}
