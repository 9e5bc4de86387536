//! `RegistryApi`: providers, machines, containers and images for the node's `registry_*` RPC.

use crate::{
	types::{ImageDigest, MachineId},
	views::{ContainerView, ImageView, MachineView, ProviderView},
};
use alloc::vec::Vec;
use uranus_primitives::compute::ContainerId;

sp_api::decl_runtime_apis! {
	/// Read access to the registry. Lists return at most 256 records per call; page with
	/// `after` (the last key of the previous page).
	pub trait RegistryApi<AccountId> where AccountId: codec::Codec {
		/// One provider.
		fn provider(who: AccountId) -> Option<ProviderView<AccountId>>;
		/// Providers after `after`, in storage order.
		fn providers(after: Option<AccountId>, limit: u32) -> Vec<ProviderView<AccountId>>;
		/// One machine with its containers.
		fn machine(id: MachineId) -> Option<MachineView<AccountId>>;
		/// Machines with ids above `after`, only `owner`'s when given.
		fn machines(owner: Option<AccountId>, after: Option<MachineId>, limit: u32) -> Vec<MachineView<AccountId>>;
		/// One container.
		fn container(id: ContainerId) -> Option<ContainerView>;
		/// One image.
		fn image(digest: ImageDigest) -> Option<ImageView<AccountId>>;
		/// Images after `after`, in digest order.
		fn images(after: Option<ImageDigest>, limit: u32) -> Vec<ImageView<AccountId>>;
	}
}
