//! The `uranus` binary as a user runs it, before any chain is involved: help everywhere,
//! usage errors with exit code 2, a missing key or an unreachable node with their own codes,
//! and secrets never echoed.

use std::process::{Command, Output};

fn uranus(args: &[&str], env: &[(&str, &str)]) -> Output {
	let mut cmd = Command::new(env!("CARGO_BIN_EXE_uranus"));
	cmd.args(args).env_remove("URANUS_SURI").env_remove("URANUS_KEY_FILE").env_remove("URANUS_URL");
	for (k, v) in env {
		cmd.env(k, v);
	}
	cmd.output().expect("uranus runs")
}

fn text(o: &Output) -> String {
	format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn every_command_has_help() {
	for args in [
		vec!["--help"],
		vec!["order", "place", "--help"],
		vec!["order", "top-up", "--help"],
		vec!["lease", "logs", "--help"],
		vec!["lease", "shell", "--help"],
		vec!["lease", "fetch", "--help"],
		vec!["provider", "set-gateway", "--help"],
	] {
		let o = uranus(&args, &[]);
		assert!(o.status.success(), "{args:?}: {}", text(&o));
		assert!(text(&o).contains("Usage:"), "{args:?}: {}", text(&o));
	}
}

#[test]
fn bad_usage_exits_2_before_touching_the_network() {
	// Port 9 (discard) on loopback: nothing there; a usage error must not even try.
	let url = ("URANUS_URL", "ws://127.0.0.1:9");
	for args in [
		vec!["lease", "rate", "1", "6"],
		vec!["order", "place", "--memory", "lots"],
		vec![
			"provider",
			"set-gateway",
			"--gateway-url",
			"http://plain:80",
			"--tls-sha256",
			&"ab".repeat(32),
		],
		vec!["provider", "set-gateway", "--gateway-url", "https://gw:8443", "--tls-sha256", "abcd"],
	] {
		let o = uranus(&args, &[url]);
		assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
	}
}

#[test]
fn no_key_or_no_node_have_their_own_codes_and_secrets_are_never_printed() {
	let o = uranus(&["whoami"], &[]);
	assert_eq!(o.status.code(), Some(8), "{}", text(&o));
	assert!(text(&o).contains("no key"));
	let secret = "//Eve";
	let o = uranus(&["whoami"], &[("URANUS_SURI", secret)]);
	assert!(o.status.success(), "{}", text(&o));
	// Eve's well-known address, and nothing of the secret.
	assert_eq!(
		String::from_utf8_lossy(&o.stdout).trim(),
		"5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw"
	);
	assert!(!text(&o).contains(secret));
	let o = uranus(&["order", "status", "1"], &[("URANUS_URL", "ws://127.0.0.1:9")]);
	assert_eq!(o.status.code(), Some(3), "{}", text(&o));
}
