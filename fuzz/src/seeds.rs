//! The seed corpus: inputs that walk the market's paths (register, publish, verify, order,
//! acknowledge, meter, complete, fail with each kind of cause, time out, pause, top up,
//! cancel, rate, dispute, resolve, lapse, reap) so that mutations start from deep states.
//! `uranus-fuzz-seed <dir>` writes them; `fuzz/corpus/runtime` holds them.

use crate::{step, ROOT};
use frame_support::BoundedVec;
use pallet_market::{Prices, Usage};
use pallet_registry::{HardwareProfile, ProviderMeta};
use uranus_primitives::compute::{EndCause, ResourceSpec};
use uranus_runtime::{genesis_config_presets::market_base_prices, RuntimeCall};

/// Origin bytes of the signers (see [`crate::SIGNERS`]).
const BOB: u8 = 1;
const CHARLIE: u8 = 2;
const DAVE: u8 = 3;
const EVE: u8 = 4;

const GIB: u64 = 1 << 30;
/// The seeds' image digest.
const DIGEST: [u8; 32] = [0x5e; 32];

fn bv<T: Clone, S: frame_support::traits::Get<u32>>(v: &[T]) -> BoundedVec<T, S> {
	BoundedVec::truncate_from(v.to_vec())
}

fn spec() -> ResourceSpec {
	ResourceSpec {
		cpu_millicores: 1_000,
		memory_bytes: GIB,
		storage_bytes: GIB,
		bandwidth_bps: 1 << 20,
	}
}

fn caps() -> Prices {
	let b = market_base_prices();
	Prices {
		cpu_core_second: 2 * b.cpu_core_second,
		memory_gib_second: 2 * b.memory_gib_second,
		network_mib: 2 * b.network_mib,
		storage_gib_second: 2 * b.storage_gib_second,
	}
}

fn usage(seconds: u64) -> Usage {
	Usage {
		cpu_micros: seconds * 1_000_000,
		memory_byte_seconds: seconds * GIB,
		net_bytes: seconds << 20,
		wall_millis: seconds * 1_000,
	}
}

/// Bob (and Eve when `two`) register as providers with a machine of four containers each;
/// Charlie publishes the image and root verifies it.
fn providers_and_image(two: bool) -> Vec<u8> {
	use pallet_registry::Call as R;
	let mut input = Vec::new();
	let providers: &[u8] = if two { &[BOB, EVE] } else { &[BOB] };
	for p in providers.iter().copied() {
		let meta = ProviderMeta { name: bv(b"p"), region: bv(b"eu"), labels: bv(&[bv(b"ssd")]) };
		input.extend(step(0, p, RuntimeCall::Registry(R::register_provider { meta })));
		let profile = HardwareProfile {
			cpu_model: bv(b"cpu"),
			arch: bv(b"x86_64"),
			logical_cores: 8,
			cpu_mhz: 3_000,
			memory_bytes: 16 * GIB,
			storage_bytes: 100 * GIB,
			uplink_bps: 100 << 20,
		};
		input.extend(step(0, p, RuntimeCall::Registry(R::register_machine { profile })));
	}
	for (i, p) in providers.iter().copied().enumerate() {
		for _ in 0..4 {
			let add = R::add_container { machine: i as u64, spec: spec() };
			input.extend(step(0, p, RuntimeCall::Registry(add)));
		}
	}
	input.extend(step(
		1,
		CHARLIE,
		RuntimeCall::Registry(R::publish_image {
			name: bv(b"127.0.0.1:5000/busybox"),
			version: bv(b"1.36"),
			digest: DIGEST,
			size_bytes: 2_000_000,
			min_resources: ResourceSpec {
				cpu_millicores: 100,
				memory_bytes: 4 << 20,
				storage_bytes: 1 << 20,
				bandwidth_bps: 0,
			},
			fee: 1_000_000,
		}),
	));
	input.extend(step(
		0,
		ROOT,
		RuntimeCall::Registry(R::verify_image { digest: DIGEST, approve: true }),
	));
	input
}

fn order(replicas: u32, prepaid: u32, labels: &[&[u8]]) -> RuntimeCall {
	RuntimeCall::Market(pallet_market::Call::place_order {
		image: DIGEST,
		spec: spec(),
		command: bv(&[bv(b"/bin/true")]),
		replicas,
		max_blocks: 100,
		prepaid_blocks: prepaid,
		caps: caps(),
		labels: BoundedVec::truncate_from(labels.iter().map(|l| bv(l)).collect()),
		spread: true,
	})
}

fn market(call: pallet_market::Call<uranus_runtime::Runtime>) -> RuntimeCall {
	RuntimeCall::Market(call)
}

/// The seeds, by name.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
	use pallet_market::Call as M;
	let mut out = Vec::new();

	// Order, acknowledge, meter, complete, rate, dispute, resolve, reap.
	let mut s = providers_and_image(false);
	s.extend(step(1, DAVE, order(1, 100, &[])));
	s.extend(step(1, BOB, market(M::ack_lease { lease: 0 })));
	s.extend(step(3, BOB, market(M::report_metering { lease: 0, seq: 1, usage: usage(6) })));
	s.extend(step(
		3,
		BOB,
		market(M::complete_lease {
			lease: 0,
			seq: 2,
			usage: usage(12),
			exit_code: 0,
			result: bv(b"sha256:feed"),
		}),
	));
	s.extend(step(1, DAVE, market(M::rate_lease { lease: 0, stars: 4 })));
	s.extend(step(0, DAVE, market(M::dispute_lease { lease: 0, amount: u128::MAX })));
	s.extend(step(
		1,
		ROOT,
		market(M::resolve_dispute {
			lease: 0,
			refund: sp_runtime::Perbill::from_percent(50),
			slash: sp_runtime::Perbill::from_percent(10),
		}),
	));
	s.extend(step(31, DAVE, market(M::reap_order { id: 0 })));
	s.extend(step(31, DAVE, market(M::reap_order { id: 0 })));
	s.extend(step(31, DAVE, market(M::reap_order { id: 0 })));
	s.extend(step(31, DAVE, market(M::reap_order { id: 0 })));
	out.push(("settle-dispute-reap", s));

	// Failures of every kind: re-scheduling, refunds without penalty, timeouts.
	let mut s = providers_and_image(true);
	s.extend(step(1, DAVE, order(4, 100, &[])));
	s.extend(step(1, BOB, market(M::ack_lease { lease: 0 })));
	s.extend(step(0, EVE, market(M::ack_lease { lease: 1 })));
	s.extend(step(0, BOB, market(M::fail_lease { lease: 0, cause: EndCause::Lost })));
	s.extend(step(0, EVE, market(M::fail_lease { lease: 1, cause: EndCause::SpecRejected })));
	s.extend(step(0, BOB, market(M::fail_lease { lease: 2, cause: EndCause::ImagePull })));
	s.extend(step(12, EVE, market(M::ack_lease { lease: 3 })));
	s.extend(step(2, DAVE, market(M::cancel_order { id: 0 })));
	out.push(("fail-reschedule-timeout-cancel", s));

	// Low escrow: pause, top up, resume, expire.
	let mut s = providers_and_image(false);
	s.extend(step(1, DAVE, order(2, 8, &[])));
	s.extend(step(1, BOB, market(M::ack_lease { lease: 0 })));
	s.extend(step(0, BOB, market(M::ack_lease { lease: 1 })));
	s.extend(step(4, BOB, market(M::report_metering { lease: 0, seq: 1, usage: usage(40) })));
	s.extend(step(0, DAVE, market(M::top_up { id: 0, blocks: 50 })));
	s.extend(step(4, BOB, market(M::report_metering { lease: 1, seq: 5, usage: usage(70) })));
	s.extend(step(31, DAVE, market(M::top_up { id: 0, blocks: 50 })));
	s.extend(step(31, BOB, market(M::report_metering { lease: 0, seq: 9, usage: usage(300) })));
	s.extend(step(31, BOB, market(M::report_metering { lease: 1, seq: 9, usage: usage(300) })));
	s.extend(step(31, DAVE, market(M::dispute_lease { lease: 1, amount: 1 })));
	s.extend(step(31, BOB, market(M::lapse_dispute { lease: 1 })));
	out.push(("pause-topup-expire-lapse", s));

	// Orders that wait: labels nobody carries, prices above the caps, the match deadline.
	let mut s = providers_and_image(false);
	s.extend(step(1, DAVE, order(2, 100, &[b"gpu"])));
	s.extend(step(0, DAVE, order(1, 100, &[b"ssd"])));
	s.extend(step(
		1,
		ROOT,
		market(M::set_base_prices {
			prices: Prices { cpu_core_second: u128::MAX / 2, ..market_base_prices() },
		}),
	));
	s.extend(step(0, DAVE, order(1, 100, &[])));
	s.extend(step(3, ROOT, market(M::set_base_prices { prices: market_base_prices() })));
	s.extend(step(
		0,
		EVE,
		RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: crate::account_of(&crate::pair("//Ferdie")).into(),
			value: 1_000_000_000,
		}),
	));
	s.extend(step(31, DAVE, market(M::cancel_order { id: 1 })));
	s.extend(step(31, DAVE, market(M::reap_order { id: 0 })));
	out.push(("waiting-prices-deadline", s));
	out
}
