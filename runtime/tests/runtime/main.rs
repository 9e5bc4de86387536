//! Runtime tests: genesis from every preset, blocks executed through `frame-executive`
//! (transfers and fees, session rotation, era elections) and equivocation slashing.

mod attest;
mod chain;
mod equivocation;
mod governance;
mod integrity;
mod market;
mod poc;
mod presets;
mod registry;
mod rewards;
mod staking;
mod transfers;
#[cfg(feature = "try-runtime")]
mod upgrade;
mod weights;
mod worker;
