//! The worker against the real registry: exact calls submitted for each registry state, agent
//! answers built from the agent's own JSON types, one transaction in flight, back-off.

use crate::{mock::*, *};
use frame_support::assert_ok;
use uranus_primitives::worker::{WorkerConfig, CONFIG_KEY};

const URL: &str = "http://127.0.0.1:8700";

fn json(hw: &HardwareInfo) -> Vec<u8> {
	serde_json::to_vec(hw).unwrap()
}

/// The node's configuration: `config` in the off-chain database and the agent token
/// `s3cret`, which the node holds in memory.
fn configure(config: &WorkerConfig) {
	sp_runtime::offchain::storage::StorageValueRef::persistent(CONFIG_KEY).set(config);
	AGENT_TOKEN.with(|t| *t.write().unwrap() = b"s3cret".to_vec());
}

fn token_config() -> WorkerConfig {
	WorkerConfig {
		provider_name: b"lab-7".to_vec(),
		region: b"eu-west".to_vec(),
		labels: vec![b"ssd".to_vec()],
		..Default::default()
	}
}

/// Registers the provider on chain directly (as a landed `register_provider` would).
fn as_provider() {
	assert_ok!(Registry::register_provider(
		RuntimeOrigin::signed(provider()),
		Worker::meta(&token_config())
	));
}

/// Expects one agent request `method path` with `body` (JSON, or none) and the test token,
/// answered with `response`.
fn expect(env: &Env, method: &str, path: &str, body: Vec<u8>, response: Vec<u8>) {
	let mut headers = vec![("Authorization".into(), "Bearer s3cret".into())];
	if !body.is_empty() {
		headers.insert(0, ("Content-Type".into(), "application/json".into()));
	}
	env.http.write().expect_request(sp_core::offchain::testing::PendingRequest {
		method: method.into(),
		uri: format!("{URL}{path}"),
		headers,
		body,
		response: Some(response),
		sent: true,
		..Default::default()
	});
}

/// Lets the last submitted transaction count as included (its nonce is used).
fn include() {
	System::inc_account_nonce(provider());
}

#[test]
fn without_a_provider_key_nothing_happens() {
	let (mut ext, env) = env(false);
	ext.execute_with(|| {
		assert_eq!(ocw(1), Ok(Outcome::NoKey));
	});
	assert!(env.pool.read().transactions.is_empty());
}

#[test]
fn a_new_key_registers_as_provider_with_the_configured_metadata() {
	let (mut ext, env) = env(true);
	ext.execute_with(|| {
		configure(&token_config());
		assert_eq!(ocw(1), Ok(Outcome::Sent(Action::RegisterProvider)));
		let calls = env.submitted();
		assert_eq!(calls.len(), 1);
		assert_eq!(calls[0].0, provider());
		let meta = match &calls[0].1 {
			RuntimeCall::Registry(pallet_registry::Call::register_provider { meta }) => {
				meta.clone()
			},
			other => panic!("unexpected {other:?}"),
		};
		assert_eq!(&meta.name[..], b"lab-7");
		assert_eq!(&meta.region[..], b"eu-west");
		assert_eq!(&meta.labels[0][..], b"ssd");

		// Not included yet: nothing more is sent, even blocks later.
		System::set_block_number(2);
		assert_eq!(ocw(2), Ok(Outcome::Waiting));
		assert!(env.submitted().is_empty());
	});
}

#[test]
fn a_provider_registers_its_machine_with_the_agents_figures() {
	let (mut ext, env) = env(true);
	env.expect_hardware(URL, Some("s3cret"), json(&hardware(16, 64)));
	ext.execute_with(|| {
		configure(&token_config());
		as_provider();
		assert_eq!(ocw(1), Ok(Outcome::Sent(Action::RegisterMachine)));
		let calls = env.submitted();
		let profile = match &calls[..] {
			[(_, RuntimeCall::Registry(pallet_registry::Call::register_machine { profile }))] => {
				profile.clone()
			},
			other => panic!("unexpected {other:?}"),
		};
		assert_eq!(&profile.cpu_model[..], b"AMD EPYC 7B13");
		assert_eq!(&profile.arch[..], b"x86_64");
		assert_eq!(profile.logical_cores, 16);
		assert_eq!(profile.cpu_mhz, 2_450);
		assert_eq!(profile.memory_bytes, 64 * GIB);
		assert_eq!(profile.storage_bytes, 200 * GIB);
		assert_eq!(profile.uplink_bps, 12_500_000);
	});
}

#[test]
fn the_default_configuration_talks_to_the_default_agent_without_a_token() {
	let (mut ext, env) = env(true);
	env.expect_hardware(URL, None, json(&hardware(4, 8)));
	ext.execute_with(|| {
		as_provider();
		assert_eq!(ocw(1), Ok(Outcome::Sent(Action::RegisterMachine)));
	});
}

/// Provider with machine 0 registered from `hardware(16, 64)`.
fn registered(env: &Env) {
	let _ = env;
	as_provider();
	let profile = Worker::profile(&hardware(16, 64));
	assert_ok!(Registry::register_machine(RuntimeOrigin::signed(provider()), profile.clone()));
}

/// [`registered`] with the whole machine as one container (the default single slice).
fn registered_with_one_slice(env: &Env) {
	registered(env);
	let whole = Worker::profile(&hardware(16, 64)).capacity();
	assert_ok!(Registry::add_container(RuntimeOrigin::signed(provider()), 0, whole));
}

#[test]
fn an_existing_machine_is_adopted_then_slices_are_added_then_heartbeats_follow() {
	let (mut ext, env) = env(true);
	let body = json(&hardware(16, 64));
	for _ in 0..4 {
		env.expect_hardware(URL, Some("s3cret"), body.clone());
	}
	ext.execute_with(|| {
		configure(&WorkerConfig { slices: 2, ..token_config() });
		registered(&env);
		assert_eq!(local::machine(), None);

		// Adopted (same profile), then the first of two equal slices.
		assert_eq!(ocw(1), Ok(Outcome::Sent(Action::AddContainer(0))));
		assert_eq!(local::machine(), Some(0));
		let half = ResourceSpec {
			cpu_millicores: 8_000,
			memory_bytes: 32 * GIB,
			storage_bytes: 100 * GIB,
			bandwidth_bps: 6_250_000,
		};
		assert_eq!(
			env.submitted(),
			vec![(
				provider(),
				RuntimeCall::Registry(pallet_registry::Call::add_container {
					machine: 0,
					spec: half
				})
			)]
		);
		// Landed: the chain has it, the nonce moved.
		assert_ok!(Registry::add_container(RuntimeOrigin::signed(provider()), 0, half));
		include();
		assert_eq!(ocw(2), Ok(Outcome::Sent(Action::AddContainer(0))));
		env.submitted();
		assert_ok!(Registry::add_container(RuntimeOrigin::signed(provider()), 0, half));
		include();

		// Both slices there, heartbeat not due before block 1 + 5.
		System::set_block_number(3);
		assert_eq!(ocw(3), Ok(Outcome::Idle));
		System::set_block_number(6);
		assert_eq!(ocw(6), Ok(Outcome::Sent(Action::Heartbeat(0))));
		assert_eq!(
			env.submitted(),
			vec![(provider(), RuntimeCall::Registry(pallet_registry::Call::heartbeat { id: 0 }))]
		);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(provider()), 0));
		include();
		System::set_block_number(7);
		assert_eq!(ocw(7), Ok(Outcome::Idle));
		System::set_block_number(11);
		assert_eq!(ocw(11), Ok(Outcome::Sent(Action::Heartbeat(0))));
	});
}

#[test]
fn changed_hardware_updates_the_machine() {
	let (mut ext, env) = env(true);
	env.expect_hardware(URL, Some("s3cret"), json(&hardware(16, 64)));
	env.expect_hardware(URL, Some("s3cret"), json(&hardware(32, 128)));
	ext.execute_with(|| {
		configure(&token_config());
		registered_with_one_slice(&env);
		System::set_block_number(6);
		assert_eq!(ocw(6), Ok(Outcome::Sent(Action::Heartbeat(0))));
		env.submitted();
		include();
		System::set_block_number(12);
		assert_eq!(ocw(12), Ok(Outcome::Sent(Action::UpdateMachine(0))));
		assert_eq!(
			env.submitted(),
			vec![(
				provider(),
				RuntimeCall::Registry(pallet_registry::Call::update_machine {
					id: 0,
					profile: Worker::profile(&hardware(32, 128))
				})
			)]
		);
	});
}

#[test]
fn bad_agent_answers_back_off_and_send_nothing() {
	let (mut ext, env) = env(true);
	env.expect_hardware(URL, Some("s3cret"), b"<html>502 Bad Gateway</html>".to_vec());
	env.expect_hardware(URL, Some("s3cret"), br#"{"cpu_model":"x"}"#.to_vec());
	env.expect_hardware(URL, Some("s3cret"), vec![b' '; agent::MAX_BODY + 1]);
	env.expect_hardware(URL, Some("s3cret"), json(&hardware(0, 64)));
	env.expect_hardware(URL, Some("s3cret"), json(&hardware(16, 64)));
	ext.execute_with(|| {
		configure(&token_config());
		as_provider();
		assert_eq!(ocw(1), Err((WorkerError::Agent(AgentError::BadJson), 3)));
		assert_eq!(ocw(2), Ok(Outcome::BackingOff(3)));
		assert_eq!(ocw(3), Err((WorkerError::Agent(AgentError::BadJson), 7)));
		assert_eq!(ocw(7), Err((WorkerError::Agent(AgentError::TooLarge), 15)));
		assert_eq!(ocw(15), Err((WorkerError::EmptyHardware, 31)));
		assert!(env.submitted().is_empty());
		// The agent is back: the machine is registered and the back-off is over.
		assert_eq!(ocw(31), Ok(Outcome::Sent(Action::RegisterMachine)));
		assert_eq!(local::backoff::<u64>(), None);
	});
}

#[test]
fn a_call_that_keeps_failing_on_chain_stops_being_sent() {
	let (mut ext, env) = env(true);
	ext.execute_with(|| {
		configure(&token_config());
		// register_provider lands but fails (say, the deposit cannot be held): the registry
		// does not change while the nonce moves on.
		for n in 1..=3 {
			assert_eq!(ocw(n), Ok(Outcome::Sent(Action::RegisterProvider)));
			assert_eq!(env.submitted().len(), 1);
			include();
		}
		assert_eq!(ocw(4), Err((WorkerError::NoProgress(Action::RegisterProvider), 6)));
		assert!(env.submitted().is_empty());
		assert_eq!(ocw(5), Ok(Outcome::BackingOff(6)));
	});
}

#[test]
fn an_unincluded_transaction_is_sent_again_after_resend_after() {
	let (mut ext, env) = env(true);
	ext.execute_with(|| {
		assert_eq!(ocw(1), Ok(Outcome::Sent(Action::RegisterProvider)));
		assert_eq!(ocw(10), Ok(Outcome::Waiting));
		assert_eq!(ocw(11), Ok(Outcome::Sent(Action::RegisterProvider)));
		assert_eq!(env.submitted().len(), 2);
	});
}

#[test]
fn a_leaving_provider_is_left_alone() {
	let (mut ext, env) = env(true);
	ext.execute_with(|| {
		as_provider();
		assert_ok!(Registry::deregister_provider(RuntimeOrigin::signed(provider())));
		assert_eq!(ocw(1), Ok(Outcome::Idle));
		assert!(env.submitted().is_empty());
	});
}

mod leases {
	use super::*;
	use crate::leases::LeaseAction;
	use pallet_market::{LeaseState, Prices, Usage};
	use uranus_primitives::agent::{
		JobRequest, JobState, JobStatus, MeteringReport, ResourceLimits,
	};

	const IMAGE: [u8; 32] = [0xbb; 32];

	fn job_spec() -> ResourceSpec {
		ResourceSpec {
			cpu_millicores: 500,
			memory_bytes: GIB,
			storage_bytes: GIB,
			bandwidth_bps: 0,
		}
	}

	fn status(state: JobState, exit_code: Option<i32>) -> JobStatus {
		JobStatus {
			lease_id: 0,
			image: format!("127.0.0.1:5000/busybox@sha256:{}", "bb".repeat(32)),
			state,
			exit_code,
			reason: None,
			cause: None,
			created_at_ms: 1,
			started_at_ms: Some(2),
			finished_at_ms: None,
			network: None,
			limits: ResourceLimits {
				cpu_millicores: 500,
				memory_bytes: GIB,
				pids: 512,
				disk_bytes: GIB,
				bandwidth_bps: 0,
			},
			output: None,
			release: None,
		}
	}

	fn report(seq: u64, is_final: bool) -> MeteringReport {
		MeteringReport {
			lease_id: 0,
			seq,
			cpu_micros: 1_000_000 * seq,
			memory_byte_seconds: GIB * seq,
			net_rx_bytes: 100 * seq,
			net_tx_bytes: 50 * seq,
			wall_millis: 1_000 * seq,
			is_final,
			..Default::default()
		}
	}

	/// `p` publishes the busybox image (no fee) and the verifier accepts it.
	fn publish_verified_image(p: RuntimeOrigin) {
		assert_ok!(Registry::publish_image(
			p,
			BoundedVec::truncate_from(b"127.0.0.1:5000/busybox".to_vec()),
			BoundedVec::truncate_from(b"1.36".to_vec()),
			IMAGE,
			1_000,
			ResourceSpec::default(),
			0
		));
		assert_ok!(Registry::verify_image(RuntimeOrigin::root(), IMAGE, true));
	}

	#[test]
	fn an_assigned_lease_is_started_acknowledged_metered_and_completed() {
		let (mut ext, env) = env(true);
		let job = JobRequest {
			lease_id: 0,
			image: format!("127.0.0.1:5000/busybox@sha256:{}", "bb".repeat(32)),
			command: vec!["/bin/sh".into(), "-c".into(), "echo hi".into()],
			env: vec![],
			limits: ResourceLimits {
				cpu_millicores: 500,
				memory_bytes: GIB,
				pids: 512,
				disk_bytes: GIB,
				bandwidth_bps: 0,
			},
		};
		let running = status(JobState::Running, None);
		let exited = JobStatus {
			output: Some(uranus_primitives::agent::JobOutput {
				sha256: "cd".repeat(32),
				size_bytes: 4096,
			}),
			..status(JobState::Exited, Some(0))
		};
		// Run 1: the job is posted (exact body) and the agent's job list checked.
		expect(
			&env,
			"POST",
			"/v1/jobs",
			serde_json::to_vec(&job).unwrap(),
			serde_json::to_vec(&running).unwrap(),
		);
		expect(
			&env,
			"GET",
			"/v1/jobs",
			vec![],
			serde_json::to_vec(&vec![running.clone()]).unwrap(),
		);
		// Run 2: running, metering sample 3.
		expect(&env, "GET", "/v1/jobs/0", vec![], serde_json::to_vec(&running).unwrap());
		expect(
			&env,
			"GET",
			"/v1/jobs/0/metering",
			vec![],
			serde_json::to_vec(&report(3, false)).unwrap(),
		);
		expect(
			&env,
			"GET",
			"/v1/jobs",
			vec![],
			serde_json::to_vec(&vec![running.clone()]).unwrap(),
		);
		// Run 3: exited 0, final sample 5.
		expect(&env, "GET", "/v1/jobs/0", vec![], serde_json::to_vec(&exited).unwrap());
		expect(
			&env,
			"GET",
			"/v1/jobs/0/metering",
			vec![],
			serde_json::to_vec(&report(5, true)).unwrap(),
		);
		expect(&env, "GET", "/v1/jobs", vec![], serde_json::to_vec(&vec![exited.clone()]).unwrap());
		ext.execute_with(|| {
			configure(&token_config());
			registered_with_one_slice(&env);
			local::set_machine(0);
			let p = RuntimeOrigin::signed(provider());
			publish_verified_image(p.clone());
			assert_ok!(Market::place_order(
				p.clone(),
				IMAGE,
				job_spec(),
				BoundedVec::truncate_from(vec![
					BoundedVec::truncate_from(b"/bin/sh".to_vec()),
					BoundedVec::truncate_from(b"-c".to_vec()),
					BoundedVec::truncate_from(b"echo hi".to_vec()),
				]),
				1,
				100,
				100,
				// Base prices are zero here; caps above zero make the escrow non-zero.
				Prices { cpu_core_second: 1, ..Default::default() },
				BoundedVec::new(),
				false
			));

			assert_eq!(ocw(1), Ok(Outcome::SentLeases(vec![LeaseAction::Ack(0)])));
			assert_eq!(
				env.submitted(),
				vec![(
					provider(),
					RuntimeCall::Market(pallet_market::Call::ack_lease { lease: 0 })
				)]
			);
			assert_ok!(Market::ack_lease(p.clone(), 0));
			include();

			System::set_block_number(2);
			assert_eq!(ocw(2), Ok(Outcome::SentLeases(vec![LeaseAction::Report(0, 3)])));
			let usage3 = Usage {
				cpu_micros: 3_000_000,
				memory_byte_seconds: 3 * GIB,
				net_bytes: 450,
				wall_millis: 3_000,
			};
			assert_eq!(
				env.submitted(),
				vec![(
					provider(),
					RuntimeCall::Market(pallet_market::Call::report_metering {
						lease: 0,
						seq: 3,
						usage: usage3
					})
				)]
			);
			assert_ok!(Market::report_metering(p.clone(), 0, 3, usage3));
			include();

			System::set_block_number(3);
			assert_eq!(ocw(3), Ok(Outcome::SentLeases(vec![LeaseAction::Complete(0, 0)])));
			let calls = env.submitted();
			match &calls[..] {
				[(
					_,
					RuntimeCall::Market(pallet_market::Call::complete_lease {
						lease: 0,
						seq: 5,
						usage,
						exit_code: 0,
						result,
					}),
				)] => {
					assert_eq!(usage.cpu_micros, 5_000_000);
					// The packed `/out` digest leads the result, where users verify against it.
					assert_eq!(
						core::str::from_utf8(&result[..]).unwrap(),
						format!("out:sha256:{}:4096 exit 0", "cd".repeat(32))
					);
					assert_ok!(Market::complete_lease(p.clone(), 0, 5, *usage, 0, result.clone()));
				},
				other => panic!("unexpected {other:?}"),
			}
			include();

			// The lease ended on chain at block 3. Within its dispute window (50 blocks) the
			// finished job is kept (its log and final metering may still be wanted); after it,
			// the job is freed: a first DELETE releases its volume, a second has the agent
			// forget it. (The machine heartbeats meanwhile: no heartbeat is due.)
			let beat = |n: u64| {
				pallet_registry::Machines::<Test>::mutate(0, |m| {
					let m = m.as_mut().unwrap();
					m.online = true;
					m.last_heartbeat = n;
				})
			};
			let jobs = serde_json::to_vec(&vec![exited.clone()]).unwrap();
			beat(52);
			expect(&env, "GET", "/v1/jobs", vec![], jobs.clone());
			System::set_block_number(52);
			let _ = ocw(52);
			let released = serde_json::to_vec(&status(JobState::Exited, Some(0))).unwrap();
			for run in [53u64, 54] {
				beat(run);
				expect(&env, "GET", "/v1/jobs", vec![], jobs.clone());
				expect(&env, "DELETE", "/v1/jobs/0", vec![], released.clone());
				System::set_block_number(run);
				let _ = ocw(run);
				assert!(env.submitted().is_empty(), "nothing to send for an ended lease");
			}
			beat(55);
			expect(&env, "GET", "/v1/jobs", vec![], b"[]".to_vec());
			System::set_block_number(55);
			let _ = ocw(55);
		});
	}

	#[test]
	fn a_paused_lease_freezes_its_job_and_a_top_up_thaws_it() {
		let (mut ext, env) = env(true);
		let running = status(JobState::Running, None);
		let paused = status(JobState::Paused, None);
		let to_json = |v: &JobStatus| serde_json::to_vec(v).unwrap();
		// Run 1: the lease is paused on chain: the job is frozen; the sample is not new.
		expect(&env, "GET", "/v1/jobs/0", vec![], to_json(&running));
		expect(&env, "POST", "/v1/jobs/0/pause", vec![], to_json(&paused));
		expect(
			&env,
			"GET",
			"/v1/jobs/0/metering",
			vec![],
			serde_json::to_vec(&report(2, false)).unwrap(),
		);
		expect(&env, "GET", "/v1/jobs", vec![], serde_json::to_vec(&vec![paused.clone()]).unwrap());
		// Run 2: the owner topped up: the job is thawed.
		expect(&env, "GET", "/v1/jobs/0", vec![], to_json(&paused));
		expect(&env, "POST", "/v1/jobs/0/resume", vec![], to_json(&running));
		expect(
			&env,
			"GET",
			"/v1/jobs/0/metering",
			vec![],
			serde_json::to_vec(&report(2, false)).unwrap(),
		);
		expect(
			&env,
			"GET",
			"/v1/jobs",
			vec![],
			serde_json::to_vec(&vec![running.clone()]).unwrap(),
		);
		ext.execute_with(|| {
			configure(&token_config());
			registered_with_one_slice(&env);
			local::set_machine(0);
			let p = RuntimeOrigin::signed(provider());
			publish_verified_image(p.clone());
			let prices = Prices {
				cpu_core_second: 1_000,
				memory_gib_second: 100,
				network_mib: 10,
				storage_gib_second: 1,
			};
			assert_ok!(Market::set_base_prices(RuntimeOrigin::root(), prices));
			// 10 of 100 blocks (30 s) prepaid: 601 per second at worst, 18,030 in all.
			assert_ok!(Market::place_order(
				p.clone(),
				IMAGE,
				job_spec(),
				BoundedVec::new(),
				1,
				100,
				10,
				prices,
				BoundedVec::new(),
				false
			));
			assert_ok!(Market::ack_lease(p.clone(), 0));
			// Ten 3 s blocks later half a core may have used 15 core-seconds.
			System::set_block_number(11);
			// 15 core-seconds charged: 3,030 left < 5 blocks (9,015): paused.
			let heavy = Usage {
				cpu_micros: 15_000_000,
				memory_byte_seconds: 0,
				net_bytes: 0,
				wall_millis: 0,
			};
			assert_ok!(Market::report_metering(p.clone(), 0, 2, heavy));
			assert_eq!(pallet_market::Leases::<Test>::get(0).unwrap().state, LeaseState::Paused);
			// The worker's own schedule (hardware checks) still counts from its first run.
			assert_eq!(ocw(1), Ok(Outcome::Idle));
			assert_ok!(Market::top_up(p.clone(), 0, 90));
			assert_eq!(pallet_market::Leases::<Test>::get(0).unwrap().state, LeaseState::Running);
			System::set_block_number(12);
			assert_eq!(ocw(2), Ok(Outcome::Idle));
		});
	}

	/// Defect #19 (lifecycle): the agent writes `lost: …`; a vanished job must fail its
	/// lease on the provider's side, not complete it with the SLA met. Seen failing with the
	/// old `provider_fault` (which matched `reason == "lost"` only).
	#[test]
	fn a_lost_job_is_the_providers_fault() {
		use crate::leases::failure_cause;
		use uranus_primitives::compute::EndCause;
		// An agent without typed causes.
		let mut lost = status(JobState::Failed, None);
		lost.reason = Some("lost: the container disappeared".into());
		assert_eq!(failure_cause(&lost), Some(EndCause::Lost));
		// Typed causes: the provider's side fails the lease, the job's own doing completes it.
		for (state, cause, expected) in [
			(JobState::Failed, EndCause::Lost, Some(EndCause::Lost)),
			(JobState::Failed, EndCause::HostReboot, Some(EndCause::HostReboot)),
			(JobState::Killed, EndCause::Killed, Some(EndCause::Killed)),
			(JobState::Failed, EndCause::OutOfMemory, None),
			(JobState::Exited, EndCause::CommandFailed, None),
		] {
			let mut s = status(state, Some(1));
			s.cause = Some(cause);
			assert_eq!(failure_cause(&s), expected, "{state:?} {cause:?}");
		}
		assert_eq!(failure_cause(&status(JobState::Exited, Some(0))), None);
		assert_eq!(crate::leases::refusal_cause(400), Some(EndCause::SpecRejected));
		assert_eq!(crate::leases::refusal_cause(422), Some(EndCause::ImageUnusable));
		assert_eq!(crate::leases::refusal_cause(502), None, "a registry outage is retried");
	}

	/// Places a one-replica order of the busybox image on the registered machine (lease 0)
	/// and expects the worker's `POST /v1/jobs` for it, answered with `answer`, then its job
	/// list.
	fn order_and_expect_post(env: &Env, answer: &JobStatus) {
		let p = RuntimeOrigin::signed(provider());
		publish_verified_image(p.clone());
		place_busybox_order(p);
		expect_post(env, answer);
	}

	/// `p` orders one replica of the busybox image (default command, no labels).
	fn place_busybox_order(p: RuntimeOrigin) {
		assert_ok!(Market::place_order(
			p,
			IMAGE,
			job_spec(),
			BoundedVec::new(),
			1,
			100,
			100,
			Prices { cpu_core_second: 1, ..Default::default() },
			BoundedVec::new(),
			false
		));
	}

	fn expect_post(env: &Env, answer: &JobStatus) {
		let job = Worker::job_request(0).unwrap();
		expect(
			env,
			"POST",
			"/v1/jobs",
			serde_json::to_vec(&job).unwrap(),
			serde_json::to_vec(answer).unwrap(),
		);
		expect(env, "GET", "/v1/jobs", vec![], serde_json::to_vec(&vec![answer]).unwrap());
	}

	/// Defect #19 (lifecycle): the agent pulls in the background, so a slow pull never trips
	/// the worker's timeout: a job still pulling is not acknowledged (asked again next run),
	/// and it is once it runs.
	#[test]
	fn a_pulling_job_is_acknowledged_once_it_runs() {
		let (mut ext, env) = env(true);
		let mut pulling = status(JobState::Pulling, None);
		pulling.started_at_ms = None;
		ext.execute_with(|| {
			configure(&token_config());
			registered_with_one_slice(&env);
			local::set_machine(0);
			order_and_expect_post(&env, &pulling);
			assert_eq!(ocw(1), Ok(Outcome::Idle), "nothing to send while the image is pulled");
			assert!(env.submitted().is_empty());
			expect_post(&env, &status(JobState::Running, None));
			System::set_block_number(2);
			assert_eq!(ocw(2), Ok(Outcome::SentLeases(vec![LeaseAction::Ack(0)])));
		});
	}

	/// A pull that failed in the background fails the lease with the agent's cause.
	#[test]
	fn a_failed_pull_fails_the_lease_with_its_cause() {
		use uranus_primitives::compute::EndCause;
		let (mut ext, env) = env(true);
		let mut failed = status(JobState::Failed, None);
		failed.started_at_ms = None;
		failed.cause = Some(EndCause::ImagePull);
		ext.execute_with(|| {
			configure(&token_config());
			registered_with_one_slice(&env);
			local::set_machine(0);
			order_and_expect_post(&env, &failed);
			assert_eq!(
				ocw(1),
				Ok(Outcome::SentLeases(vec![LeaseAction::Fail(0, EndCause::ImagePull)]))
			);
		});
	}

	/// Defect #19 (lifecycle): one lease whose agent requests fail must not stop the others:
	/// its calls are retried next run, the other lease is acknowledged now.
	#[test]
	fn a_failing_lease_does_not_hold_up_the_others() {
		let (mut ext, env) = env(true);
		ext.execute_with(|| {
			configure(&token_config());
			registered(&env);
			let half = ResourceSpec {
				cpu_millicores: 8_000,
				memory_bytes: 32 * GIB,
				storage_bytes: 100 * GIB,
				bandwidth_bps: 0,
			};
			for _ in 0..2 {
				assert_ok!(Registry::add_container(RuntimeOrigin::signed(provider()), 0, half));
			}
			local::set_machine(0);
			let p = RuntimeOrigin::signed(provider());
			publish_verified_image(p.clone());
			for _ in 0..2 {
				place_busybox_order(p.clone());
			}
			// The worker visits the machine's leases in storage order: the first one's start
			// answers garbage, the second one's starts.
			let order: Vec<u64> =
				pallet_market::LeasesOfMachine::<Test>::iter_key_prefix(0).collect();
			assert_eq!(order.len(), 2);
			let (bad, good) = (order[0], order[1]);
			for (id, answer) in [(bad, b"not json".to_vec()), (good, vec![])] {
				let job = Worker::job_request(id).unwrap();
				let mut running = status(JobState::Running, None);
				running.lease_id = id;
				let answer =
					if answer.is_empty() { serde_json::to_vec(&running).unwrap() } else { answer };
				expect(&env, "POST", "/v1/jobs", serde_json::to_vec(&job).unwrap(), answer);
			}
			expect(&env, "GET", "/v1/jobs", vec![], b"[]".to_vec());
			let config = local::config();
			let agent = crate::agent::AgentClient::new(
				&config,
				sp_core::offchain::Duration::from_millis(1_000),
			);
			let work = Worker::lease_calls(0, &agent);
			let acted: Vec<_> = work.calls.iter().map(|(a, _)| a.clone()).collect();
			assert_eq!(acted, vec![LeaseAction::Ack(good)]);
			assert_eq!(work.failed, vec![(bad, crate::agent::AgentError::BadJson)]);
		});
	}
}

/// The worker's part in hardware challenges: the challenged machine's and a verifier's
/// calls, against challenges placed in `pallet-attest`'s storage.
mod attestation {
	use super::*;
	use crate::attestation::{sealed_verdict, AttestAction};
	use frame_support::BoundedVec;
	use pallet_attest::{Challenge, Challenges, Engaged, Lanes, Verdict, VerifierSlot};
	use uranus_primitives::agent::{
		ChallengeSpec, ChallengeState, ChallengeStatus, VerdictKind, VerifyRequest, VerifyResponse,
	};

	fn other() -> AccountId {
		use sp_core::Pair;
		sp_core::sr25519::Pair::from_string("//Other", None).unwrap().public()
	}

	/// Challenge 0 of `machine` (owned by `owner`), verified by `verifiers`.
	fn place(machine: u64, owner: AccountId, verifiers: Vec<(u64, AccountId)>) {
		let c = Challenge {
			machine,
			provider: owner,
			version: 1,
			seed: [5; 32],
			lanes: 2,
			log_n: 10,
			r: 8,
			rounds: 3,
			started: 1,
			probe_by: 8,
			probed_at: Some(1),
			seeded_at: Some(1),
			commit_by: 10,
			reveal_by: 14,
			seal_by: 20,
			judge_by: 24,
			commitment: None,
			committed_at: None,
			picks: BoundedVec::new(),
			revealed: false,
			verifiers: BoundedVec::truncate_from(
				verifiers
					.iter()
					.map(|(m, o)| VerifierSlot {
						machine: *m,
						owner: *o,
						seal: None,
						verdict: None,
					})
					.collect::<Vec<_>>(),
			),
			due: 11,
		};
		Engaged::<Test>::insert(machine, 0);
		for (m, _) in verifiers {
			Engaged::<Test>::insert(m, 0);
		}
		Challenges::<Test>::insert(0, c);
	}

	fn spec() -> ChallengeSpec {
		ChallengeSpec { seed: hex::encode([5u8; 32]), lanes: 2, log_n: 10, r: 8, rounds: 3 }
	}

	fn status(spec: ChallengeSpec, state: ChallengeState) -> Vec<u8> {
		let done = state == ChallengeState::Done;
		serde_json::to_vec(&ChallengeStatus {
			spec,
			state,
			commitment: done.then(|| hex::encode([9u8; 32])),
			lanes: if done { vec![hex::encode([1u8; 32]), hex::encode([2u8; 32])] } else { vec![] },
			parallel: 2,
			elapsed_ms: 10,
			error: None,
		})
		.unwrap()
	}

	/// Expects the agent's current run to be `current` (done), then `spec` started on it.
	fn expect_started(env: &Env, current: ChallengeSpec, spec: ChallengeSpec) {
		expect(env, "GET", "/v1/challenges/current", vec![], status(current, ChallengeState::Done));
		let body = serde_json::to_vec(&spec).unwrap();
		expect(env, "POST", "/v1/challenges", body, status(spec, ChallengeState::Running));
	}

	/// Expects `GET /v1/challenges/current` answered with this test's challenge in `state`.
	fn expect_current(env: &Env, state: ChallengeState) {
		expect(env, "GET", "/v1/challenges/current", vec![], status(spec(), state));
	}

	#[test]
	fn the_challenged_machine_runs_the_workload_commits_then_reveals() {
		let (mut ext, env) = env(true);
		ext.execute_with(|| {
			configure(&token_config());
			registered_with_one_slice(&env);
			local::set_machine(0);
			place(0, provider(), vec![(7, other())]);
			// Run 1: the agent's last challenge is another: this one is started.
			let old = ChallengeSpec { seed: hex::encode([1u8; 32]), ..spec() };
			expect_started(&env, old, spec());
			assert_eq!(ocw(2), Ok(Outcome::Idle));
			// Run 2: still running.
			expect_current(&env, ChallengeState::Running);
			assert_eq!(ocw(3), Ok(Outcome::Idle));
			// Run 3: done: the commitment goes on chain.
			expect_current(&env, ChallengeState::Done);
			assert_eq!(ocw(4), Ok(Outcome::SentAttestation(AttestAction::Commit(0))));
			assert_eq!(
				env.submitted(),
				vec![(
					provider(),
					RuntimeCall::Attest(pallet_attest::Call::commit { id: 0, commitment: [9; 32] })
				)]
			);
			include();
			Challenges::<Test>::mutate(0, |c| {
				let c = c.as_mut().unwrap();
				c.commitment = Some([9; 32]);
				c.committed_at = Some(4);
			});
			// Run 4: the lanes are revealed.
			expect_current(&env, ChallengeState::Done);
			assert_eq!(ocw(5), Ok(Outcome::SentAttestation(AttestAction::Reveal(0))));
			let lanes = BoundedVec::truncate_from(vec![[1u8; 32], [2u8; 32]]);
			assert_eq!(
				env.submitted(),
				vec![(
					provider(),
					RuntimeCall::Attest(pallet_attest::Call::reveal { id: 0, lanes })
				)]
			);
			include();
			// Revealed: nothing more to do, and no agent request.
			Challenges::<Test>::mutate(0, |c| c.as_mut().unwrap().revealed = true);
			assert_eq!(ocw(5), Ok(Outcome::Idle));
		});
	}

	#[test]
	fn the_challenged_machine_runs_its_probe_alone_reports_it_then_waits_for_the_seed() {
		let (mut ext, env) = env(true);
		ext.execute_with(|| {
			configure(&token_config());
			registered_with_one_slice(&env);
			local::set_machine(0);
			place(0, provider(), vec![(7, other())]);
			Challenges::<Test>::mutate(0, |c| {
				let c = c.as_mut().unwrap();
				(c.probed_at, c.seeded_at) = (None, None);
			});
			// Run 1: the probe, one lane of the claim's size from the first seed, is started.
			let probe = ChallengeSpec { lanes: 1, ..spec() };
			let old = ChallengeSpec { seed: hex::encode([1u8; 32]), ..spec() };
			expect_started(&env, old, probe.clone());
			assert_eq!(ocw(2), Ok(Outcome::Idle));
			// Run 2: done: reported.
			expect(
				&env,
				"GET",
				"/v1/challenges/current",
				vec![],
				status(probe.clone(), ChallengeState::Done),
			);
			assert_eq!(ocw(3), Ok(Outcome::SentAttestation(AttestAction::Probe(0))));
			assert_eq!(
				env.submitted(),
				vec![(provider(), RuntimeCall::Attest(pallet_attest::Call::probe { id: 0 }))]
			);
			include();
			// Probed, the lanes' seed not drawn yet: no agent request, nothing to send.
			Challenges::<Test>::mutate(0, |c| c.as_mut().unwrap().probed_at = Some(3));
			assert_eq!(ocw(4), Ok(Outcome::Idle));
			// Seeded: the lanes start (the agent's current run is the probe).
			Challenges::<Test>::mutate(0, |c| c.as_mut().unwrap().seeded_at = Some(5));
			expect_started(&env, probe, spec());
			assert_eq!(ocw(5), Ok(Outcome::Idle));
			assert!(env.submitted().is_empty());
		});
	}

	#[test]
	fn a_machine_past_its_commit_deadline_sends_nothing() {
		let (mut ext, env) = env(true);
		ext.execute_with(|| {
			configure(&token_config());
			registered_with_one_slice(&env);
			local::set_machine(0);
			place(0, provider(), vec![(7, other())]);
			Challenges::<Test>::mutate(0, |c| c.as_mut().unwrap().commit_by = 2);
			// Past `commit_by` without a commitment: no agent request, no call.
			assert_eq!(ocw(3), Ok(Outcome::Idle));
			assert!(env.submitted().is_empty());
		});
	}

	#[test]
	fn a_verifier_recomputes_seals_then_reveals_its_verdict() {
		let (mut ext, env) = env(true);
		ext.execute_with(|| {
			configure(&token_config());
			registered_with_one_slice(&env);
			local::set_machine(0);
			// Machine 5 of another provider is challenged; ours (0) verifies with machine 6.
			place(5, other(), vec![(0, provider()), (6, other())]);
			// Nothing to verify before the lanes are revealed and picked.
			assert_eq!(ocw(2), Ok(Outcome::Idle));
			let lanes: pallet_attest::LanesOf =
				BoundedVec::truncate_from(vec![[1u8; 32], [2u8; 32]]);
			Challenges::<Test>::mutate(0, |c| {
				let c = c.as_mut().unwrap();
				c.commitment = Some([9; 32]);
				c.committed_at = Some(2);
				c.picks = BoundedVec::truncate_from(vec![1]);
				c.revealed = true;
			});
			Lanes::<Test>::insert(0, lanes);
			let request = VerifyRequest {
				spec: spec(),
				commitment: hex::encode([9u8; 32]),
				revealed: vec![hex::encode([1u8; 32]), hex::encode([2u8; 32])],
				picks: vec![1],
			};
			let answer =
				VerifyResponse { verdict: VerdictKind::WrongLane, lane: Some(1), elapsed_ms: 40 };
			expect(
				&env,
				"POST",
				"/v1/challenges/verify",
				serde_json::to_vec(&request).unwrap(),
				serde_json::to_vec(&answer).unwrap(),
			);
			assert_eq!(
				ocw(3),
				Ok(Outcome::SentAttestation(AttestAction::Seal(0, Verdict::Invalid)))
			);
			let kept = sealed_verdict(0).expect("kept for the reveal");
			assert_eq!(kept.verdict, Verdict::Invalid);
			let seal = pallet_attest::verdict_seal(0, 0, Verdict::Invalid, &kept.salt);
			assert_eq!(
				env.submitted(),
				vec![(
					provider(),
					RuntimeCall::Attest(pallet_attest::Call::seal_verdict { id: 0, seal })
				)]
			);
			include();
			Challenges::<Test>::mutate(0, |c| c.as_mut().unwrap().verifiers[0].seal = Some(seal));
			// The other verifier has not sealed and `seal_by` (20) has not passed: wait.
			assert_eq!(ocw(4), Ok(Outcome::Idle));
			// It sealed: the verdict is revealed with the kept salt.
			Challenges::<Test>::mutate(0, |c| {
				c.as_mut().unwrap().verifiers[1].seal = Some([3; 32])
			});
			assert_eq!(ocw(5), Ok(Outcome::SentAttestation(AttestAction::RevealVerdict(0))));
			assert_eq!(
				env.submitted(),
				vec![(
					provider(),
					RuntimeCall::Attest(pallet_attest::Call::reveal_verdict {
						id: 0,
						verdict: Verdict::Invalid,
						salt: kept.salt
					})
				)]
			);
			include();
			// Revealed on chain: the kept verdict is forgotten.
			Challenges::<Test>::mutate(0, |c| {
				c.as_mut().unwrap().verifiers[0].verdict = Some(Verdict::Invalid)
			});
			assert_eq!(ocw(5), Ok(Outcome::Idle));
			assert_eq!(sealed_verdict(0), None);
		});
	}

	/// A long verification ends many blocks after the run that started it began: the seal it
	/// sends may still be in the pool when the next run reads the chain. That run must send
	/// the same seal again, not recompute the verdict under a new salt: the kept salt must
	/// stay the one sealed on chain, or the verdict can never be revealed (the verifier of a
	/// challenge on a fast Intel Xeon sealed at #112 and was absent at #153, issue #45).
	#[test]
	fn a_seal_still_in_flight_is_sent_again_unchanged_and_its_verdict_revealed() {
		let (mut ext, env) = env(true);
		ext.execute_with(|| {
			configure(&token_config());
			registered_with_one_slice(&env);
			local::set_machine(0);
			place(5, other(), vec![(0, provider())]);
			Challenges::<Test>::mutate(0, |c| {
				let c = c.as_mut().unwrap();
				c.commitment = Some([9; 32]);
				c.committed_at = Some(2);
				c.picks = BoundedVec::truncate_from(vec![1]);
				c.revealed = true;
				c.seal_by = 40;
				c.judge_by = 44;
			});
			Lanes::<Test>::insert(0, BoundedVec::truncate_from(vec![[1u8; 32], [2u8; 32]]));
			let request = VerifyRequest {
				spec: spec(),
				commitment: hex::encode([9u8; 32]),
				revealed: vec![hex::encode([1u8; 32]), hex::encode([2u8; 32])],
				picks: vec![1],
			};
			let answer =
				VerifyResponse { verdict: VerdictKind::Valid, lane: None, elapsed_ms: 40_000 };
			expect(
				&env,
				"POST",
				"/v1/challenges/verify",
				serde_json::to_vec(&request).unwrap(),
				serde_json::to_vec(&answer).unwrap(),
			);
			assert_eq!(ocw(3), Ok(Outcome::SentAttestation(AttestAction::Seal(0, Verdict::Valid))));
			let first = env.submitted();
			let kept = sealed_verdict(0).expect("kept for the reveal");
			// The run took longer than `ResendAfter` blocks: the next run, at block 14, does
			// not see the seal on chain yet (still in the pool). No agent request is expected
			// (a heartbeat landed meanwhile: none is due).
			System::set_block_number(13);
			assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(provider()), 0));
			assert_eq!(
				ocw(14),
				Ok(Outcome::SentAttestation(AttestAction::Seal(0, Verdict::Valid)))
			);
			assert_eq!(env.submitted(), first, "the same seal, sent again");
			assert_eq!(sealed_verdict(0), Some(kept), "the kept salt is the one sealed");
			// The first seal lands: the verdict is revealed with the salt it was sealed with.
			include();
			let seal = pallet_attest::verdict_seal(0, 0, Verdict::Valid, &kept.salt);
			Challenges::<Test>::mutate(0, |c| c.as_mut().unwrap().verifiers[0].seal = Some(seal));
			assert_eq!(ocw(15), Ok(Outcome::SentAttestation(AttestAction::RevealVerdict(0))));
			assert_eq!(
				env.submitted(),
				vec![(
					provider(),
					RuntimeCall::Attest(pallet_attest::Call::reveal_verdict {
						id: 0,
						verdict: Verdict::Valid,
						salt: kept.salt
					})
				)]
			);
		});
	}
}
