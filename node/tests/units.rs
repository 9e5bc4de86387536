//! Tests of the node's own logic that need no running node: the transaction pool choice, the
//! RPC modules' shared helpers and the live chain spec generator. (They were unit tests of the
//! binary; here they link the node library that the binary and the other tests link too.)

use clap::Parser;
use sp_core::{crypto::Ss58Codec, ed25519, sr25519, Pair};
use sp_keyring::Sr25519Keyring;
use uranus_node::{
	cli::Cli,
	command::choose_transaction_pool,
	live_spec::LiveSpecCmd,
	rpc_common::{limit, parse_digest, Api, DEFAULT_LIMIT},
};

mod transaction_pool {
	use super::*;

	fn pool_of(args: &[&str]) -> sc_cli::TransactionPoolType {
		let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
		let mut cli = Cli::parse_from(args.clone());
		choose_transaction_pool(&mut cli, args.into_iter());
		cli.run.pool_config.pool_type
	}

	#[test]
	fn the_single_state_pool_is_the_default_and_an_explicit_choice_stands() {
		use sc_cli::TransactionPoolType::*;
		assert!(matches!(pool_of(&["uranus-node", "--dev"]), SingleState));
		assert!(matches!(
			pool_of(&["uranus-node", "--dev", "--pool-type", "fork-aware"]),
			ForkAware
		));
		assert!(matches!(pool_of(&["uranus-node", "--pool-type=fork-aware"]), ForkAware));
		assert!(matches!(pool_of(&["uranus-node", "--pool-type", "single-state"]), SingleState));
	}
}

mod rpc_common {
	use super::*;

	#[test]
	fn digests_parse_in_both_spellings_and_nothing_else() {
		let hex = "ab".repeat(32);
		assert_eq!(parse_digest(&format!("sha256:{hex}")).unwrap(), [0xab; 32]);
		assert_eq!(parse_digest(&format!("0x{hex}")).unwrap(), [0xab; 32]);
		assert!(parse_digest("sha256:abcd").is_err());
		assert!(parse_digest(&format!("sha256:{}", "zz".repeat(32))).is_err());
	}

	#[test]
	fn limits_default_and_are_capped() {
		assert_eq!(limit(None), DEFAULT_LIMIT);
		assert_eq!(limit(Some(3)), 3);
		assert_eq!(limit(Some(u32::MAX)), pallet_registry::views::MAX_PAGE);
	}

	#[test]
	fn errors_name_their_module() {
		let e = Api { code: 9300, name: "market" }.error("boom");
		assert_eq!((e.code(), e.message()), (9300, "market runtime API call failed"));
	}
}

mod live_spec {
	use super::*;

	fn fresh_sr() -> String {
		sr25519::Pair::generate().0.public().to_ss58check()
	}

	fn fresh_ed() -> String {
		format!("0x{}", hex::encode(ed25519::Pair::generate().0.public().0))
	}

	fn cmd(validator: String, sudo: String) -> LiveSpecCmd {
		LiveSpecCmd::parse_from([
			"live-spec",
			"--name",
			"Uranus Test",
			"--id",
			"uranus_t",
			"--validator",
			&validator,
			"--sudo",
			&sudo,
			"--validator-count",
			"4",
		])
	}

	#[test]
	fn the_well_known_dev_keys_are_refused_for_a_live_chain() {
		let alice = Sr25519Keyring::Alice.to_account_id().to_ss58check();
		let alice_stash =
			sr25519::Pair::from_string("//Alice//stash", None).unwrap().public().to_ss58check();
		let alice_ed = format!(
			"0x{}",
			hex::encode(ed25519::Pair::from_string("//Alice", None).unwrap().public().0)
		);
		let good = format!("{},{},{}", fresh_sr(), fresh_sr(), fresh_ed());
		// Alice as sudo, as a stash, as a BABE key, as a GRANDPA key: each refused.
		for (validator, sudo) in [
			(good.clone(), alice.clone()),
			(format!("{alice_stash},{},{}", fresh_sr(), fresh_ed()), fresh_sr()),
			(format!("{},{alice},{}", fresh_sr(), fresh_ed()), fresh_sr()),
			(format!("{},{},{alice_ed}", fresh_sr(), fresh_sr()), fresh_sr()),
		] {
			let err = cmd(validator, sudo).generate().unwrap_err();
			assert!(err.contains("well-known development key"), "{err}");
		}
		let bob = Sr25519Keyring::Bob.to_account_id().to_ss58check();
		assert!(cmd(good.clone(), bob).generate().is_err());
	}

	#[test]
	fn operator_keys_make_a_live_spec() {
		let stash = fresh_sr();
		let sudo = fresh_sr();
		let json = cmd(format!("{stash},{},{}", fresh_sr(), fresh_ed()), sudo.clone())
			.generate()
			.expect("fresh keys are accepted");
		let spec: serde_json::Value = serde_json::from_str(&json).unwrap();
		assert_eq!(spec["chainType"], "Live");
		let patch = &spec["genesis"]["runtimeGenesis"]["patch"];
		assert_eq!(patch["sudo"]["key"], sudo);
		assert_eq!(patch["session"]["keys"][0][0], stash);
		assert_eq!(patch["staking"]["validatorCount"], 4);
		// Malformed input is refused with a reason.
		assert!(cmd("x,y".into(), fresh_sr()).generate().unwrap_err().contains("expected"));
		assert!(cmd(format!("{stash},0x12,{}", fresh_ed()), fresh_sr())
			.generate()
			.unwrap_err()
			.contains("not 32 bytes"));
	}
}

mod agent_token_file {
	use std::os::unix::fs::PermissionsExt;
	use uranus_node::worker_config::{read_token_file, TokenFileError};

	#[test]
	fn the_node_reads_a_token_only_from_a_file_no_one_else_may_read() {
		let dir = std::env::temp_dir().join(format!("uranus-token-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let file = dir.join("agent.token");
		assert!(matches!(read_token_file(&file), Err(TokenFileError::Unreadable { .. })));
		std::fs::write(&file, "ab12\n").unwrap();
		for mode in [0o644, 0o640, 0o604, 0o666] {
			std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
			let err = read_token_file(&file).unwrap_err();
			assert!(matches!(err, TokenFileError::TooOpen { mode: m, .. } if m == mode), "{err}");
			assert!(err.to_string().contains("chmod 600"), "{err}");
		}
		for mode in [0o600, 0o400] {
			std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
			assert_eq!(read_token_file(&file).unwrap(), b"ab12".to_vec(), "{mode:o}");
		}
		std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
		std::fs::write(&file, " \n").unwrap();
		assert!(matches!(read_token_file(&file), Err(TokenFileError::Empty(_))));
		let _ = std::fs::remove_dir_all(&dir);
	}
}
