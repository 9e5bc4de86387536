//! Images the market may lease.

use crate::{pallet::*, ImageDigest, ImageStatus};
use frame_support::ensure;

impl<T: Config> Pallet<T> {
	/// The image an order may run: known and verified.
	pub fn leasable_image(digest: &ImageDigest) -> Result<ImageOf<T>, Error<T>> {
		let image = Images::<T>::get(digest).ok_or(Error::<T>::UnknownImage)?;
		ensure!(image.status == ImageStatus::Verified, Error::<T>::ImageNotVerified);
		Ok(image)
	}
}
