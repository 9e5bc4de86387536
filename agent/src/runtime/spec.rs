//! The OCI runtime spec of a job, built on `oci-spec`'s defaults (runc's template: namespaces,
//! masked and read-only paths, the minimal capability set) and tightened:
//!
//! - read-only root filesystem (the shared image cache), writable `/scratch` volume and a
//!   small `/tmp`; an empty read-only `/sys`;
//! - CPU quota, memory limit (no swap), pids limit;
//! - the job's own network namespace, owned by its user namespace, holding its end of a veth
//!   pair to the host and nothing else (moved in by a `createRuntime` hook, see
//!   [`super::network`]);
//! - a user namespace: the container's ids map to the agent's unprivileged host range
//!   ([`crate::userns`]); the job runs as its image's `User`;
//! - `no_new_privileges`, capabilities limited to `KILL`, `NET_BIND_SERVICE`, `AUDIT_WRITE`;
//! - the seccomp allow-list of [`super::seccomp`];
//! - runc's masked paths (`/proc/kcore`, `/proc/keys`, `/sys/firmware`, …) and read-only
//!   paths (`/proc/sys`, `/proc/sysrq-trigger`, …); only the OCI default devices.

use super::RuntimeError;
use crate::{image::store::ImageRunConfig, userns::IdMap};
use oci_spec::runtime::Spec;
use serde_json::{json, Value};
use std::path::Path;
use uranus_primitives::agent::ResourceLimits;

/// CFS period used for CPU quotas, in microseconds.
pub const CPU_PERIOD_US: u64 = 100_000;

/// Everything the spec of one job depends on.
pub struct JobSpecInput<'a> {
	/// Container hostname.
	pub hostname: &'a str,
	/// The read-only root filesystem.
	pub rootfs: &'a Path,
	/// The image's run configuration.
	pub image: &'a ImageRunConfig,
	/// Command overriding the image's (empty: the image's entrypoint + cmd).
	pub command: &'a [String],
	/// Extra environment.
	pub env: &'a [String],
	/// Limits.
	pub limits: &'a ResourceLimits,
	/// The writable scratch directory mounted at `/scratch`.
	pub scratch: &'a Path,
	/// The job's network (none: an empty network namespace).
	pub network: Option<JobNetwork<'a>>,
	/// cgroup path (relative: nested under the agent's own cgroup).
	pub cgroups_path: &'a str,
	/// The user namespace's id mapping.
	pub ids: IdMap,
	/// The AppArmor profile of its processes (where the host has AppArmor).
	pub apparmor_profile: Option<&'a str>,
}

/// What puts a job's network into its namespace.
pub struct JobNetwork<'a> {
	/// The job's network.
	pub alloc: &'a super::network::NetAlloc,
	/// The agent binary, which the runtime runs as the hook that moves it in.
	pub agent_exe: &'a Path,
	/// What the job may send, in bytes per second (0: unshaped); the hook shapes the job's
	/// end once it is in the job's namespace (moving an interface resets its queueing).
	pub bandwidth_bps: u64,
}

/// Builds the spec for a job.
pub fn build(input: &JobSpecInput) -> Result<Spec, RuntimeError> {
	let mut v =
		serde_json::to_value(Spec::default()).map_err(|e| RuntimeError::Spec(e.to_string()))?;

	let args: Vec<String> = if input.command.is_empty() {
		input.image.entrypoint.iter().chain(input.image.cmd.iter()).cloned().collect()
	} else {
		input.command.to_vec()
	};
	if args.is_empty() {
		return Err(RuntimeError::Spec("the job has no command and the image none either".into()));
	}
	let mut env: Vec<String> = input.image.env.clone();
	if !env.iter().any(|e| e.starts_with("PATH=")) {
		env.push("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
	}
	env.extend(input.env.iter().cloned());

	let caps = json!(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
	v["process"]["terminal"] = json!(false);
	v["process"]["args"] = json!(args);
	v["process"]["env"] = json!(env);
	v["process"]["cwd"] = json!(input.image.working_dir.clone().unwrap_or_else(|| "/".into()));
	v["process"]["noNewPrivileges"] = json!(true);
	if let Some(profile) = input.apparmor_profile {
		v["process"]["apparmorProfile"] = json!(profile);
	}
	v["process"]["user"] = json!({ "uid": input.image.uid, "gid": input.image.gid });
	v["process"]["capabilities"] = json!({
		"bounding": caps, "effective": caps, "permitted": caps, "ambient": [], "inheritable": []
	});
	v["process"]["rlimits"] = json!([{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }]);
	v["hostname"] = json!(input.hostname);
	v["root"] = json!({ "path": input.rootfs.display().to_string(), "readonly": true });

	let mounts =
		v["mounts"].as_array_mut().ok_or_else(|| RuntimeError::Spec("no mounts".into()))?;
	// A job has no use for sysfs (devices, kernel objects): it gets an empty read-only /sys.
	mounts.retain(|m| !m["destination"].as_str().is_some_and(|d| d.starts_with("/sys/")));
	for m in mounts.iter_mut().filter(|m| m["destination"] == "/sys") {
		*m = json!({
			"destination": "/sys", "type": "tmpfs", "source": "tmpfs",
			"options": ["nosuid", "noexec", "nodev", "ro", "size=4k"]
		});
	}
	mounts.push(json!({
		"destination": "/scratch", "type": "bind", "source": input.scratch.display().to_string(),
		"options": ["rbind", "rw", "nosuid", "nodev"]
	}));
	// `/out` is a directory of the scratch volume: what the job leaves there is its result
	// (packed after it exits), within the storage it paid for.
	mounts.push(json!({
		"destination": "/out", "type": "bind",
		"source": input.scratch.join(crate::jobs::outputs::OUT_DIR).display().to_string(),
		"options": ["rbind", "rw", "nosuid", "nodev"]
	}));
	mounts.push(json!({
		"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "mode=1777", "size=16m"]
	}));

	let quota = (input.limits.cpu_millicores as u64).saturating_mul(CPU_PERIOD_US) / 1000;
	let linux = v["linux"].as_object_mut().ok_or_else(|| RuntimeError::Spec("no linux".into()))?;
	linux.insert("cgroupsPath".into(), json!(input.cgroups_path));
	let devices = linux
		.get("resources")
		.and_then(|r| r.get("devices"))
		.cloned()
		.unwrap_or_else(|| json!([{ "allow": false, "access": "rwm" }]));
	linux.insert(
		"resources".into(),
		json!({
			"devices": devices,
			"memory": { "limit": input.limits.memory_bytes, "swap": input.limits.memory_bytes },
			"cpu": { "quota": quota.max(1000), "period": CPU_PERIOD_US },
			"pids": { "limit": input.limits.pids }
		}),
	);
	let mut namespaces: Vec<Value> = linux
		.get("namespaces")
		.and_then(|n| n.as_array())
		.cloned()
		.unwrap_or_default()
		.into_iter()
		.filter(|n| n["type"] != "network")
		.collect();
	// A new network namespace, made with the user namespace and so owned by it.
	namespaces.push(json!({ "type": "network" }));
	namespaces.retain(|n| n["type"] != "user");
	namespaces.push(json!({ "type": "user" }));
	linux.insert("namespaces".into(), json!(namespaces));
	let mapping =
		json!([{ "containerID": 0, "hostID": input.ids.base, "size": crate::userns::SIZE }]);
	linux.insert("uidMappings".into(), mapping.clone());
	linux.insert("gidMappings".into(), mapping);
	linux.insert("seccomp".into(), super::seccomp::profile());
	if let Some(net) = &input.network {
		v["hooks"] = json!({
			"createRuntime": [super::network::enter_hook(net.agent_exe, net.alloc, net.bandwidth_bps)]
		});
	}

	serde_json::from_value(v).map_err(|e| RuntimeError::Spec(e.to_string()))
}

/// Writes `spec` as `<bundle>/config.json`.
pub fn save(spec: &Spec, bundle: &Path) -> Result<(), RuntimeError> {
	spec.save(bundle.join("config.json")).map_err(|e| RuntimeError::Spec(e.to_string()))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn input<'a>(
		image: &'a ImageRunConfig,
		limits: &'a ResourceLimits,
		command: &'a [String],
	) -> JobSpecInput<'a> {
		JobSpecInput {
			hostname: "ura-1",
			rootfs: Path::new("/data/images/rootfs/abc"),
			image,
			command,
			env: &[],
			limits,
			scratch: Path::new("/data/jobs/1/scratch"),
			network: Some(JobNetwork {
				alloc: Box::leak(Box::new(crate::runtime::network::NetAlloc::new(1, 1))),
				agent_exe: Path::new("/usr/bin/uranus-agent"),
				bandwidth_bps: 0,
			}),
			cgroups_path: "uranus-agent/ura-1",
			ids: IdMap::default(),
			apparmor_profile: None,
		}
	}

	#[test]
	fn the_spec_carries_limits_isolation_and_the_image_command() {
		let image = ImageRunConfig {
			entrypoint: vec!["/bin/sh".into()],
			cmd: vec!["-c".into(), "echo hi".into()],
			env: vec!["PATH=/bin".into()],
			working_dir: None,
			uid: 1000,
			gid: 1001,
			..Default::default()
		};
		let limits = ResourceLimits {
			cpu_millicores: 500,
			memory_bytes: 64 << 20,
			pids: 64,
			disk_bytes: 1 << 20,
			bandwidth_bps: 0,
		};
		let spec = build(&input(&image, &limits, &[])).unwrap();
		let v = serde_json::to_value(&spec).unwrap();
		assert_eq!(v["process"]["args"], json!(["/bin/sh", "-c", "echo hi"]));
		assert_eq!(v["process"]["noNewPrivileges"], json!(true));
		assert_eq!(v["root"]["readonly"], json!(true));
		assert_eq!(v["linux"]["resources"]["cpu"]["quota"], json!(50_000));
		assert_eq!(v["linux"]["resources"]["memory"]["limit"], json!(64 << 20));
		assert_eq!(v["linux"]["resources"]["pids"]["limit"], json!(64));
		assert_eq!(v["linux"]["cgroupsPath"], json!("uranus-agent/ura-1"));
		let ns = v["linux"]["namespaces"].as_array().unwrap();
		// Its own network namespace (owned by its user namespace), which the hook fills.
		assert!(ns.iter().any(|n| n["type"] == "network" && n.get("path").is_none()));
		let hook = &v["hooks"]["createRuntime"][0];
		assert_eq!(hook["path"], json!("/usr/bin/uranus-agent"));
		assert_eq!(hook["args"][1], json!("net-enter"));
		let alloc: crate::runtime::network::NetAlloc =
			serde_json::from_str(hook["args"][3].as_str().unwrap()).unwrap();
		assert_eq!(alloc, crate::runtime::network::NetAlloc::new(1, 1));
		assert!(ns.iter().any(|n| n["type"] == "pid"));
		let caps = v["process"]["capabilities"]["bounding"].as_array().unwrap();
		assert!(!caps.iter().any(|c| c == "CAP_SYS_ADMIN" || c == "CAP_NET_RAW"));
		let allowed = v["linux"]["seccomp"]["syscalls"][0]["names"].as_array().unwrap();
		assert_eq!(v["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
		assert!(!allowed.iter().any(|s| s == "mount" || s == "ptrace"));
		assert!(ns.iter().any(|n| n["type"] == "user"));
		assert_eq!(v["linux"]["uidMappings"][0]["hostID"], json!(1u64 << 31));
		assert_eq!(v["linux"]["gidMappings"][0]["size"], json!(65_536));
		assert_eq!(v["process"]["user"], json!({ "uid": 1000, "gid": 1001 }));
		assert!(v["process"].get("apparmorProfile").is_none(), "no AppArmor on the host");
		let confined = build(&JobSpecInput {
			apparmor_profile: Some("uranus-job"),
			..input(&image, &limits, &[])
		})
		.unwrap();
		let v = serde_json::to_value(&confined).unwrap();
		assert_eq!(v["process"]["apparmorProfile"], json!("uranus-job"));
		let ro = v["linux"]["readonlyPaths"].as_array().unwrap();
		assert!(
			ro.iter().any(|p| p == "/proc/sys") && ro.iter().any(|p| p == "/proc/sysrq-trigger")
		);
		let masked = v["linux"]["maskedPaths"].as_array().unwrap();
		assert!(masked.iter().any(|p| p == "/proc/kcore"));
		assert!(v["mounts"].as_array().unwrap().iter().any(|m| m["destination"] == "/scratch"));
		assert!(v["mounts"]
			.as_array()
			.unwrap()
			.iter()
			.any(|m| m["destination"] == "/out" && m["source"] == "/data/jobs/1/scratch/out"));
	}

	#[test]
	fn a_job_command_overrides_the_image_and_no_command_is_an_error() {
		let image = ImageRunConfig::default();
		let limits = ResourceLimits {
			cpu_millicores: 1000,
			memory_bytes: 1 << 20,
			pids: 8,
			disk_bytes: 1,
			bandwidth_bps: 0,
		};
		assert!(build(&input(&image, &limits, &[])).is_err());
		let cmd = vec!["sleep".to_string(), "1".to_string()];
		let v = serde_json::to_value(build(&input(&image, &limits, &cmd)).unwrap()).unwrap();
		assert_eq!(v["process"]["args"], json!(["sleep", "1"]));
		assert!(v["process"]["env"]
			.as_array()
			.unwrap()
			.iter()
			.any(|e| e.as_str().unwrap().starts_with("PATH=")));
	}
}
