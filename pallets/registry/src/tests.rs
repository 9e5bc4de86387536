//! Unit tests: every call, every error, deposits, heartbeats, the offline sweep and the PoC
//! hand-off.

use crate::{mock::*, *};
use frame_support::traits::Get;
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, InspectHold},
		Contains,
	},
	BoundedVec,
};
use pallet_poc::Scheduler;
use sp_runtime::DispatchError;

fn held(who: AccountId) -> Balance {
	<Balances as InspectHold<AccountId>>::total_balance_on_hold(&who)
}

/// Provider 1 with machine 0 (8 cores, 16 GiB).
fn provider_with_machine() {
	assert_ok!(Registry::register_provider(RuntimeOrigin::signed(1), meta("one")));
	assert_ok!(Registry::register_machine(RuntimeOrigin::signed(1), profile(8, 16)));
}

#[test]
fn providers_register_with_a_deposit_and_leave_after_a_cool_down() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Registry::register_provider(RuntimeOrigin::none(), meta("x")),
			DispatchError::BadOrigin
		);
		assert_ok!(Registry::register_provider(RuntimeOrigin::signed(1), meta("one")));
		assert_eq!(held(1), 100);
		assert_noop!(
			Registry::register_provider(RuntimeOrigin::signed(1), meta("again")),
			Error::<Test>::AlreadyProvider
		);
		assert_ok!(Registry::update_provider(RuntimeOrigin::signed(1), meta("renamed")));
		assert_eq!(Providers::<Test>::get(1).unwrap().meta.name.to_vec(), b"renamed".to_vec());
		assert_noop!(
			Registry::update_provider(RuntimeOrigin::signed(2), meta("x")),
			Error::<Test>::NotProvider
		);
		assert_noop!(
			Registry::withdraw_provider(RuntimeOrigin::signed(1)),
			Error::<Test>::CoolDownPending
		);
		assert_ok!(Registry::deregister_provider(RuntimeOrigin::signed(1)));
		assert!(registry_events().contains(&Event::ProviderLeaving { who: 1, at: 21 }));
		assert_noop!(
			Registry::register_machine(RuntimeOrigin::signed(1), profile(4, 8)),
			Error::<Test>::ProviderLeaving
		);
		run_to(20);
		assert_noop!(
			Registry::withdraw_provider(RuntimeOrigin::signed(1)),
			Error::<Test>::CoolDownPending
		);
		run_to(21);
		assert_ok!(Registry::withdraw_provider(RuntimeOrigin::signed(1)));
		assert_eq!(held(1), 0);
		assert_eq!(Balances::balance(&1), 1_000, "nothing lost");
		assert!(Providers::<Test>::get(1).is_none());
	});
}

fn gateway(url: &str) -> GatewayOf<Test> {
	Gateway { url: BoundedVec::truncate_from(url.as_bytes().to_vec()), tls_sha256: [9; 32] }
}

#[test]
fn providers_announce_a_pinned_https_gateway_that_leaves_with_them() {
	new_test_ext().execute_with(|| {
		let g = gateway("https://203.0.113.7:8443");
		assert_noop!(
			Registry::set_gateway(RuntimeOrigin::none(), Some(g.clone())),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Registry::set_gateway(RuntimeOrigin::signed(1), Some(g.clone())),
			Error::<Test>::NotProvider
		);
		assert_ok!(Registry::register_provider(RuntimeOrigin::signed(1), meta("one")));
		for bad in ["http://203.0.113.7:8443", "https://", "https:///x", "https://a b", "ftp://x"] {
			assert_noop!(
				Registry::set_gateway(RuntimeOrigin::signed(1), Some(gateway(bad))),
				Error::<Test>::BadGatewayUrl
			);
		}
		assert_ok!(Registry::set_gateway(RuntimeOrigin::signed(1), Some(g.clone())));
		assert_eq!(Gateways::<Test>::get(1), Some(g.clone()));
		assert!(registry_events().contains(&Event::GatewaySet { who: 1, gateway: Some(g) }));
		assert_ok!(Registry::do_try_state());
		assert_ok!(Registry::set_gateway(RuntimeOrigin::signed(1), None));
		assert_eq!(Gateways::<Test>::get(1), None);
		assert_ok!(Registry::set_gateway(
			RuntimeOrigin::signed(1),
			Some(gateway("https://gw.example:443"))
		));
		// Leaving removes it with the provider record.
		assert_ok!(Registry::deregister_provider(RuntimeOrigin::signed(1)));
		run_to(21);
		assert_ok!(Registry::withdraw_provider(RuntimeOrigin::signed(1)));
		assert_eq!(Gateways::<Test>::get(1), None);
		assert_ok!(Registry::do_try_state());
	});
}

#[test]
fn a_provider_without_funds_cannot_register() {
	new_test_ext().execute_with(|| {
		assert!(Registry::register_provider(RuntimeOrigin::signed(42), meta("poor")).is_err());
		assert!(Providers::<Test>::get(42).is_none());
	});
}

#[test]
fn machines_are_owned_versioned_and_bounded() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Registry::register_machine(RuntimeOrigin::signed(1), profile(8, 16)),
			Error::<Test>::NotProvider
		);
		provider_with_machine();
		assert_eq!(held(1), 110);
		let m = Machines::<Test>::get(0).unwrap();
		assert_eq!((m.owner, m.version, m.online), (1, 1, true));
		assert_noop!(
			Registry::register_machine(RuntimeOrigin::signed(1), profile(0, 16)),
			Error::<Test>::EmptyProfile
		);
		assert_noop!(
			Registry::update_machine(RuntimeOrigin::signed(2), 0, profile(16, 32)),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Registry::update_machine(RuntimeOrigin::signed(1), 7, profile(16, 32)),
			Error::<Test>::UnknownMachine
		);
		assert_ok!(Registry::update_machine(RuntimeOrigin::signed(1), 0, profile(16, 32)));
		assert_eq!(Machines::<Test>::get(0).unwrap().version, 2);
		assert!(registry_events().contains(&Event::MachineUpdated {
			id: 0,
			version: 2,
			profile: profile(16, 32)
		}));
		assert_ok!(Registry::register_machine(RuntimeOrigin::signed(1), profile(1, 1)));
		assert_ok!(Registry::register_machine(RuntimeOrigin::signed(1), profile(1, 1)));
		assert_noop!(
			Registry::register_machine(RuntimeOrigin::signed(1), profile(1, 1)),
			Error::<Test>::TooManyMachines
		);
		assert_noop!(
			Registry::deregister_provider(RuntimeOrigin::signed(1)),
			Error::<Test>::HasMachines
		);
	});
}

#[test]
fn containers_fit_their_machine_and_reach_poc() {
	new_test_ext().execute_with(|| {
		provider_with_machine();
		assert_noop!(
			Registry::add_container(RuntimeOrigin::signed(1), 0, spec(0, 1)),
			Error::<Test>::EmptyContainer
		);
		assert_noop!(
			Registry::add_container(RuntimeOrigin::signed(2), 0, spec(1_000, 1)),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Registry::add_container(RuntimeOrigin::signed(1), 0, spec(9_000, 1)),
			Error::<Test>::DoesNotFit
		);
		assert_ok!(Registry::add_container(RuntimeOrigin::signed(1), 0, spec(4_000, 8)));
		assert_ok!(Registry::add_container(RuntimeOrigin::signed(1), 0, spec(4_000, 8)));
		// The machine is full now (8 cores, 16 GiB).
		assert_noop!(
			Registry::add_container(RuntimeOrigin::signed(1), 0, spec(1, 1)),
			Error::<Test>::DoesNotFit
		);
		assert_eq!(held(1), 110 + 2 * 5);
		let c = Containers::<Test>::get(1_000).unwrap();
		assert_eq!((c.machine, c.state, c.capacity.cpu_mhz), (0, ContainerState::Idle, 2_500));
		assert!(registry_events().contains(&Event::ContainerAdded {
			id: 1_001,
			machine: 0,
			capacity: c.capacity
		}));
		// PoC scored both (4 gradients × 10 points at σ = 1) and schedules them.
		assert_eq!(pallet_poc::Pallet::<Test>::score_view(1_000).unwrap().basic, 40);
		assert_eq!(
			pallet_poc::Pallet::<Test>::next_candidates(&spec(4_000, 8), 2),
			vec![1_000, 1_001]
		);
		// A smaller profile than the containers is refused.
		assert_noop!(
			Registry::update_machine(RuntimeOrigin::signed(1), 0, profile(4, 16)),
			Error::<Test>::ProfileTooSmall
		);
		// Removing one frees room and its deposit, and it leaves scheduling.
		assert_ok!(Registry::remove_container(RuntimeOrigin::signed(1), 1_000));
		assert_eq!(held(1), 115);
		assert!(pallet_poc::Pallet::<Test>::score_view(1_000).is_none(), "PoC forgot it");
		assert_noop!(
			Registry::remove_container(RuntimeOrigin::signed(1), 1_000),
			Error::<Test>::UnknownContainer
		);
		assert_ok!(Registry::add_container(RuntimeOrigin::signed(1), 0, spec(4_000, 8)));
	});
}

#[test]
fn busy_containers_cannot_be_removed() {
	new_test_ext().execute_with(|| {
		provider_with_machine();
		assert_ok!(Registry::add_container(RuntimeOrigin::signed(1), 0, spec(1_000, 1)));
		Containers::<Test>::mutate(1_000, |c| {
			c.as_mut().unwrap().state = ContainerState::Serving(7)
		});
		assert!(!IdleContainers::<Test>::contains(&1_000));
		assert_noop!(
			Registry::remove_container(RuntimeOrigin::signed(1), 1_000),
			Error::<Test>::ContainerBusy
		);
		assert_noop!(
			Registry::remove_machine(RuntimeOrigin::signed(1), 0),
			Error::<Test>::ContainerBusy
		);
	});
}

#[test]
fn removing_a_machine_releases_every_deposit() {
	new_test_ext().execute_with(|| {
		provider_with_machine();
		for _ in 0..4 {
			assert_ok!(Registry::add_container(RuntimeOrigin::signed(1), 0, spec(1_000, 1)));
		}
		assert_noop!(
			Registry::add_container(RuntimeOrigin::signed(1), 0, spec(1_000, 1)),
			Error::<Test>::TooManyContainers
		);
		assert_noop!(
			Registry::remove_machine(RuntimeOrigin::signed(2), 0),
			Error::<Test>::NotOwner
		);
		assert_ok!(Registry::remove_machine(RuntimeOrigin::signed(1), 0));
		assert_eq!(held(1), 100);
		assert_eq!(Providers::<Test>::get(1).unwrap().machines, 0);
		assert_eq!(Containers::<Test>::iter().count(), 0);
		assert_eq!(pallet_poc::Supply::<Test>::get(), [0; 4]);
	});
}

#[test]
fn heartbeats_are_rate_limited_and_accrue_contribution() {
	new_test_ext().execute_with(|| {
		provider_with_machine();
		assert_ok!(Registry::add_container(RuntimeOrigin::signed(1), 0, spec(1_000, 1)));
		assert_noop!(Registry::heartbeat(RuntimeOrigin::signed(1), 0), Error::<Test>::TooFrequent);
		assert_noop!(Registry::heartbeat(RuntimeOrigin::signed(2), 0), Error::<Test>::NotOwner);
		run_to(10);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(1), 0));
		// One more PoC period (10 blocks): 40 more points.
		assert_eq!(pallet_poc::Pallet::<Test>::score_view(1_000).unwrap().basic, 80);
		run_to(14);
		assert_noop!(Registry::heartbeat(RuntimeOrigin::signed(1), 0), Error::<Test>::TooFrequent);
	});
}

#[test]
fn only_verified_hardware_earns_rewards_for_its_basic_contribution() {
	new_test_ext().execute_with(|| {
		let shares = |who: AccountId| pallet_poc::Shares::<Test>::get(who).map(|s| s.score_blocks);
		provider_with_machine();
		assert_ok!(Registry::add_container(RuntimeOrigin::signed(1), 0, spec(1_000, 1)));
		// Unverified (PoC's default share for unverified basic contribution is 0).
		assert_eq!(shares(1), None);
		assert_noop!(
			Registry::set_hardware_verified(RuntimeOrigin::signed(1), 0, true),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			Registry::set_hardware_verified(RuntimeOrigin::root(), 7, true),
			Error::<Test>::UnknownMachine
		);
		assert_ok!(Registry::set_hardware_verified(RuntimeOrigin::root(), 0, true));
		assert!(registry_events().contains(&Event::HardwareVerified { id: 0, version: 1 }));
		run_to(10);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(1), 0));
		// Score 80 over a 10-block period.
		assert_eq!(shares(1), Some(800));

		// A new profile is not the verified hardware any more.
		assert_ok!(Registry::update_machine(RuntimeOrigin::signed(1), 0, profile(16, 16)));
		run_to(20);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(1), 0));
		assert_eq!(shares(1), Some(800), "no share for the unverified profile");

		// Removing the machine forgets the flag.
		assert_ok!(Registry::set_hardware_verified(RuntimeOrigin::root(), 0, true));
		assert_ok!(Registry::remove_machine(RuntimeOrigin::signed(1), 0));
		assert!(VerifiedMachines::<Test>::get(0).is_none());
	});
}

#[test]
fn silent_machines_go_offline_and_come_back() {
	new_test_ext().execute_with(|| {
		provider_with_machine();
		assert_ok!(Registry::add_container(RuntimeOrigin::signed(1), 0, spec(1_000, 1)));
		run_to(31);
		assert!(Machines::<Test>::get(0).unwrap().online, "timeout is 30 blocks");
		run_to(32);
		assert!(!Machines::<Test>::get(0).unwrap().online);
		assert!(registry_events().contains(&Event::MachineOffline { id: 0 }));
		assert!(!IdleContainers::<Test>::contains(&1_000));
		assert!(pallet_poc::Pallet::<Test>::next_candidates(&spec(1, 1), 1).is_empty());
		// A heartbeat brings it back at once (no rate limit while offline).
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(1), 0));
		assert!(registry_events().contains(&Event::MachineOnline { id: 0 }));
		assert!(IdleContainers::<Test>::contains(&1_000));
		assert_eq!(pallet_poc::Pallet::<Test>::next_candidates(&spec(1, 1), 1), vec![1_000]);
	});
}

#[test]
fn the_sweep_checks_a_bounded_number_of_machines_per_block() {
	new_test_ext().execute_with(|| {
		SweepPerBlock::set(2);
		for who in 1..=3 {
			assert_ok!(Registry::register_provider(RuntimeOrigin::signed(who), meta("p")));
			for _ in 0..2 {
				assert_ok!(Registry::register_machine(RuntimeOrigin::signed(who), profile(1, 1)));
			}
		}
		assert_eq!(Registry::sweep(100).0, 2);
		let offline = Machines::<Test>::iter().filter(|(_, m)| !m.online).count();
		assert_eq!(offline, 2, "two machines checked per block");
		assert_eq!(SweepCursor::<Test>::get(), 2);
		Registry::sweep(100);
		Registry::sweep(100);
		assert_eq!(Machines::<Test>::iter().filter(|(_, m)| !m.online).count(), 6);
		Registry::sweep(100);
		assert_eq!(SweepCursor::<Test>::get(), 2, "wraps around");
	});
}

fn publish(who: AccountId, digest: ImageDigest, fee: Balance) -> sp_runtime::DispatchResult {
	Registry::publish_image(
		RuntimeOrigin::signed(who),
		BoundedVec::truncate_from(b"127.0.0.1:5000/busybox".to_vec()),
		BoundedVec::truncate_from(b"1.36".to_vec()),
		digest,
		2_000_000,
		spec(100, 1),
		fee,
	)
}

#[test]
fn images_are_published_with_a_deposit_and_leasable_only_once_verified() {
	new_test_ext().execute_with(|| {
		let d = [0xab; 32];
		assert_noop!(
			Registry::publish_image(
				RuntimeOrigin::signed(2),
				BoundedVec::new(),
				BoundedVec::truncate_from(b"1".to_vec()),
				d,
				1,
				spec(100, 1),
				0
			),
			Error::<Test>::EmptyImage
		);
		assert!(matches!(Registry::leasable_image(&d), Err(Error::<Test>::UnknownImage)));
		assert_ok!(publish(2, d, 7));
		assert_eq!(held(2), 20);
		assert_noop!(publish(3, d, 1), Error::<Test>::ImageExists);
		let image = Images::<Test>::get(d).unwrap();
		assert_eq!((image.publisher, image.fee, image.status), (2, 7, ImageStatus::Pending));
		assert!(matches!(Registry::leasable_image(&d), Err(Error::<Test>::ImageNotVerified)));

		assert_noop!(
			Registry::verify_image(RuntimeOrigin::signed(2), d, true),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Registry::verify_image(RuntimeOrigin::root(), [1; 32], true),
			Error::<Test>::UnknownImage
		);
		assert_ok!(Registry::verify_image(RuntimeOrigin::root(), d, false));
		assert!(matches!(Registry::leasable_image(&d), Err(Error::<Test>::ImageNotVerified)));
		assert_ok!(Registry::verify_image(RuntimeOrigin::root(), d, true));
		assert_eq!(Registry::leasable_image(&d).unwrap().fee, 7);
		let events = registry_events();
		assert!(events.contains(&Event::ImageRejected { digest: d }));
		assert!(events.contains(&Event::ImageVerified { digest: d }));
	});
}

#[test]
fn only_the_publisher_changes_the_fee_or_removes_an_image() {
	new_test_ext().execute_with(|| {
		let d = [0xcd; 32];
		assert_noop!(
			Registry::set_image_fee(RuntimeOrigin::signed(2), d, 1),
			Error::<Test>::UnknownImage
		);
		assert_noop!(
			Registry::remove_image(RuntimeOrigin::signed(2), d),
			Error::<Test>::UnknownImage
		);
		assert_ok!(publish(2, d, 7));
		assert_noop!(
			Registry::set_image_fee(RuntimeOrigin::signed(3), d, 1),
			Error::<Test>::NotPublisher
		);
		assert_ok!(Registry::set_image_fee(RuntimeOrigin::signed(2), d, 9));
		assert_eq!(Images::<Test>::get(d).unwrap().fee, 9);
		assert!(registry_events().contains(&Event::ImageFeeChanged { digest: d, fee: 9 }));
		assert_noop!(
			Registry::remove_image(RuntimeOrigin::signed(3), d),
			Error::<Test>::NotPublisher
		);
		assert_ok!(Registry::remove_image(RuntimeOrigin::signed(2), d));
		assert_eq!(held(2), 0);
		assert_eq!(Balances::balance(&2), 1_000);
		assert!(!Images::<Test>::contains_key(d));
	});
}

#[test]
fn a_publisher_without_funds_cannot_publish() {
	new_test_ext().execute_with(|| {
		assert!(publish(42, [1; 32], 0).is_err());
		assert!(!Images::<Test>::contains_key([1; 32]));
	});
}

#[test]
fn views_list_what_is_registered() {
	new_test_ext().execute_with(|| {
		provider_with_machine();
		assert_ok!(Registry::register_provider(RuntimeOrigin::signed(2), meta("two")));
		assert_ok!(Registry::register_machine(RuntimeOrigin::signed(2), profile(4, 8)));
		assert_ok!(Registry::register_machine(RuntimeOrigin::signed(1), profile(2, 4)));
		assert_ok!(Registry::add_container(RuntimeOrigin::signed(1), 0, spec(1_000, 2)));
		assert_ok!(publish(3, [5; 32], 11));

		assert_eq!(Registry::machines_of(&1).len(), 2);
		let p = Registry::provider_view(&1).unwrap();
		assert_eq!((p.name.as_str(), p.region.as_str(), p.machines), ("one", "eu-west", 2));
		assert_eq!(p.labels, vec!["ssd".to_string()]);
		assert_eq!(p.deposit, 100);
		assert_eq!(Registry::provider_views(None, 10).len(), 2);
		assert_eq!(Registry::provider_views(None, 1).len(), 1);

		let all = Registry::machine_views(None, None, 10);
		assert_eq!(all.iter().map(|m| m.id).collect::<Vec<_>>(), vec![0, 1, 2]);
		let mine = Registry::machine_views(Some(1), None, 10);
		assert_eq!(mine.iter().map(|m| m.id).collect::<Vec<_>>(), vec![0, 2]);
		assert_eq!(Registry::machine_views(Some(1), Some(0), 10)[0].id, 2);
		let m0 = Registry::machine_view(0).unwrap();
		assert_eq!((m0.logical_cores, m0.memory_bytes, m0.online), (8, 16 * GIB, true));
		assert_eq!(m0.containers.len(), 1);
		assert_eq!(m0.containers[0].spec, spec(1_000, 2));
		assert_eq!(m0.containers[0].lease, None);

		let i = Registry::image_view(&[5; 32]).unwrap();
		assert_eq!(i.digest, format!("sha256:{}", "05".repeat(32)));
		assert_eq!(
			(i.name.as_str(), i.fee, i.status),
			("127.0.0.1:5000/busybox", 11, ImageStatus::Pending)
		);
		assert_eq!(Registry::image_views(None, 10).len(), 1);

		let json = serde_json::to_value(&i).unwrap();
		assert_eq!(json["fee"], "11");
		assert_eq!(json["status"], "pending");
		assert_eq!(json["minResources"]["cpuMillicores"], 100);

		assert_ok!(Registry::remove_machine(RuntimeOrigin::signed(1), 2));
		assert_eq!(Registry::machines_of(&1), vec![0]);
	});
}

/// Defect #18.5: adding and removing a container (its deposit refunded each time) must not
/// use up PoC's `MaxContainers` for everybody: PoC forgets a removed container.
#[test]
fn an_add_remove_loop_does_not_exhaust_containers() {
	new_test_ext().execute_with(|| {
		provider_with_machine();
		let max = <Test as pallet_poc::Config>::MaxContainers::get();
		for _ in 0..=max {
			let id = NextContainerId::<Test>::get();
			assert_ok!(Registry::add_container(RuntimeOrigin::signed(1), 0, spec(1_000, 1)));
			assert_ok!(Registry::remove_container(RuntimeOrigin::signed(1), id));
			assert!(pallet_poc::Pallet::<Test>::score_view(id).is_none(), "PoC forgot {id}");
		}
		assert_ok!(Registry::add_container(RuntimeOrigin::signed(1), 0, spec(1_000, 1)));
		assert_eq!(pallet_poc::Containers::<Test>::count(), 1);
		Registry::do_try_state().unwrap();
		pallet_poc::Pallet::<Test>::do_try_state().unwrap();
	});
}
