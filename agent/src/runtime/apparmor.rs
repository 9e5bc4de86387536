//! AppArmor confinement of jobs, where the host has AppArmor: every job's processes run
//! under the profile `deploy/apparmor/uranus-job` (no mounts, no writes to kernel knobs in
//! `/proc` and `/sys`, no tracing outside the job), on top of the seccomp allow-list, user
//! namespace and capabilities. On a host with AppArmor enabled the agent refuses to start
//! unless the profile is loaded; on a host without it there is nothing to apply.

use std::path::Path;

/// The profile the agent applies by default.
pub const DEFAULT_PROFILE: &str = "uranus-job";

/// Whether the kernel under `sys` (`/sys`) has AppArmor enabled.
pub fn host_enabled(sys: &Path) -> bool {
	std::fs::read_to_string(sys.join("module/apparmor/parameters/enabled"))
		.map(|s| s.trim() == "Y")
		.unwrap_or(false)
}

/// Whether profile `name` is loaded (`<sys>/kernel/security/apparmor/profiles` lists it).
pub fn profile_loaded(sys: &Path, name: &str) -> bool {
	std::fs::read_to_string(sys.join("kernel/security/apparmor/profiles"))
		.map(|s| s.lines().any(|l| l.rsplit_once(' ').map(|(n, _)| n) == Some(name) || l == name))
		.unwrap_or(false)
}

/// The profile jobs run under on the host whose `/sys` is `sys`, for the operator's choice
/// `requested` (empty: none): `None` where AppArmor is off; the profile where it is on and
/// loaded; an error (the agent does not start) where it is on and the profile is missing.
pub fn resolve(sys: &Path, requested: &str) -> Result<Option<String>, String> {
	if !host_enabled(sys) {
		return Ok(None);
	}
	if requested.is_empty() {
		tracing::warn!(
			"AppArmor is enabled but --apparmor-profile is empty: jobs run unconfined by it"
		);
		return Ok(None);
	}
	if !profile_loaded(sys, requested) {
		return Err(format!(
			"AppArmor is enabled on this host but profile {requested} is not loaded: load it \
			 with `apparmor_parser -r -W deploy/apparmor/uranus-job` (scripts/setup.sh does) or \
			 name a loaded one with --apparmor-profile"
		));
	}
	Ok(Some(requested.to_string()))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn sys(enabled: Option<&str>, profiles: &str) -> tempfile::TempDir {
		let d = tempfile::tempdir().unwrap();
		if let Some(e) = enabled {
			std::fs::create_dir_all(d.path().join("module/apparmor/parameters")).unwrap();
			std::fs::write(d.path().join("module/apparmor/parameters/enabled"), e).unwrap();
			std::fs::create_dir_all(d.path().join("kernel/security/apparmor")).unwrap();
			std::fs::write(d.path().join("kernel/security/apparmor/profiles"), profiles).unwrap();
		}
		d
	}

	#[test]
	fn the_profile_applies_only_where_apparmor_is_on_and_a_missing_one_stops_the_agent() {
		let none = sys(None, "");
		assert_eq!(resolve(none.path(), DEFAULT_PROFILE), Ok(None), "no AppArmor: nothing");
		let off = sys(Some("N\n"), "");
		assert_eq!(resolve(off.path(), DEFAULT_PROFILE), Ok(None));
		let loaded = sys(Some("Y\n"), "docker-default (enforce)\nuranus-job (enforce)\n");
		assert_eq!(resolve(loaded.path(), DEFAULT_PROFILE), Ok(Some("uranus-job".into())));
		let missing = sys(Some("Y\n"), "docker-default (enforce)\nuranus-job-old (enforce)\n");
		assert!(resolve(missing.path(), DEFAULT_PROFILE).unwrap_err().contains("not loaded"));
		assert_eq!(resolve(missing.path(), ""), Ok(None), "the operator opted out");
	}

	#[test]
	fn the_shipped_profile_is_named_as_the_agent_expects() {
		let text = include_str!("../../../deploy/apparmor/uranus-job");
		assert!(text.contains(&format!("profile {DEFAULT_PROFILE} ")));
		assert!(text.contains("deny mount,") && text.contains("deny @{PROC}/sys/** w,"));
	}
}
