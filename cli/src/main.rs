//! `uranus`: the Uranus command line for compute users.
//!
//! Orders are placed and managed on chain (subxt, from the node's metadata); a lease's logs,
//! shell and outputs come from its provider's gateway over TLS pinned to the certificate the
//! provider registered on chain, every request signed by the user's key.
//!
//! Providers announce their gateway with `uranus provider set-gateway`.
//!
//! Exit codes: 0 done, 1 other error, 2 bad usage, 3 chain unreachable, 4 transaction
//! refused, 5 not found, 6 gateway refused or untrusted, 7 verification failed, 8 declined.

mod chain;
mod error;
mod gateway;
mod keys;
mod leases;
mod orders;
mod providers;

use clap::{Parser, Subcommand};
use error::CliError;
use keys::Key;
use std::path::PathBuf;
use uranus_primitives::gateway::Scheme;

#[derive(Parser)]
#[command(
	name = "uranus",
	version,
	about = "Rent compute on Uranus: orders, leases, logs, shells and results"
)]
struct Cli {
	/// The node's WebSocket RPC URL.
	#[arg(long, global = true, env = "URANUS_URL", default_value = "ws://127.0.0.1:9944")]
	url: String,
	/// The account's secret URI (`//Alice`, a mnemonic, a seed). Prefer the URANUS_SURI
	/// environment variable or --key-file: a flag shows in the process list.
	#[arg(long, global = true, env = "URANUS_SURI", hide_env_values = true)]
	suri: Option<String>,
	/// A file whose first line is the secret URI (mode 600).
	#[arg(long, global = true, env = "URANUS_KEY_FILE")]
	key_file: Option<PathBuf>,
	/// The key's scheme: sr25519 or ed25519.
	#[arg(long, global = true, default_value = "sr25519", value_parser = ["sr25519", "ed25519"])]
	scheme: String,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Orders: place, status, cancel, top-up.
	#[command(subcommand)]
	Order(OrderCommand),
	/// Leases: status, logs, shell, fetch, rate, dispute.
	#[command(subcommand)]
	Lease(LeaseCommand),
	/// Providers: announce or withdraw the lease gateway.
	#[command(subcommand)]
	Provider(ProviderCommand),
	/// Print the account the key is (never the secret).
	Whoami,
}

#[derive(Subcommand)]
enum ProviderCommand {
	/// Announce the lease gateway (`uranus-agent run --gateway-listen …`) and its certificate's
	/// fingerprint, which users' clients pin. The account must be a registered provider.
	SetGateway {
		/// The gateway's URL as users reach it: `https://host:port` (`--url` is the node's).
		#[arg(long)]
		gateway_url: String,
		/// The certificate's SHA-256, as `uranus-agent gateway-fingerprint` prints it.
		#[arg(long)]
		tls_sha256: String,
	},
	/// Withdraw the lease gateway (users can no longer reach logs, shells or outputs).
	ClearGateway,
}

#[derive(Subcommand)]
enum OrderCommand {
	/// Place an order (shows the quote and asks first, unless --yes). Prints its id.
	Place {
		/// The image's manifest digest, sha256:<64 hex digits> (a verified app-store image).
		#[arg(long)]
		image: String,
		/// CPU in millicores (1000 = one core).
		#[arg(long)]
		cpu: u32,
		/// Memory, e.g. 256Mi, 1Gi or bytes.
		#[arg(long, value_parser = parse_size)]
		memory: u64,
		/// Scratch storage (and the room for /out), e.g. 64Mi.
		#[arg(long, value_parser = parse_size, default_value = "64Mi")]
		storage: u64,
		/// Most blocks the job may run.
		#[arg(long)]
		blocks: u32,
		/// Blocks paid into escrow now (top up later for more).
		#[arg(long)]
		prepaid: u32,
		/// Replicas.
		#[arg(long, default_value_t = 1)]
		replicas: u32,
		/// Price caps as a multiple of today's prices.
		#[arg(long, default_value_t = 2)]
		cap_factor: u32,
		/// Do not ask for confirmation.
		#[arg(long, short)]
		yes: bool,
		/// The command (instead of the image's), after `--`.
		#[arg(last = true)]
		cmd: Vec<String>,
	},
	/// Show an order and its leases.
	Status {
		/// The order id.
		id: u64,
	},
	/// Cancel an order (running replicas stop; unspent escrow comes back).
	Cancel {
		/// The order id.
		id: u64,
	},
	/// Prepay more blocks.
	TopUp {
		/// The order id.
		id: u64,
		/// Blocks to add.
		#[arg(long)]
		blocks: u32,
	},
}

#[derive(Subcommand)]
enum LeaseCommand {
	/// The lease on chain and, with a key, its job through the gateway.
	Status {
		/// The lease id.
		id: u64,
	},
	/// The job's output log.
	Logs {
		/// The lease id.
		id: u64,
		/// Keep printing new output until the job ends.
		#[arg(long, short)]
		follow: bool,
		/// Bytes of the log's end to print first.
		#[arg(long, default_value_t = 65536)]
		tail: u64,
	},
	/// Run a command (a shell by default) on a terminal inside the running container.
	Shell {
		/// The lease id.
		id: u64,
		/// The command, after `--`.
		#[arg(last = true)]
		cmd: Vec<String>,
	},
	/// Download the job's outputs (/out), verify them against the chain and unpack them.
	Fetch {
		/// The lease id.
		id: u64,
		/// Where to unpack.
		#[arg(long, short, default_value = ".")]
		output: PathBuf,
	},
	/// Rate a finished lease (1 to 5 stars).
	Rate {
		/// The lease id.
		id: u64,
		/// Stars.
		#[arg(value_parser = clap::value_parser!(u8).range(1..=5))]
		stars: u8,
	},
	/// Dispute a lease's charge, claiming `amount` planck back.
	Dispute {
		/// The lease id.
		id: u64,
		/// The amount disputed, in planck.
		amount: u128,
	},
}

/// `256Mi`, `1Gi`, `512k`… or plain bytes.
fn parse_size(s: &str) -> Result<u64, String> {
	let (num, mul) = match s.trim() {
		t if t.ends_with("Gi") => (&t[..t.len() - 2], 1u64 << 30),
		t if t.ends_with("Mi") => (&t[..t.len() - 2], 1 << 20),
		t if t.ends_with("Ki") => (&t[..t.len() - 2], 1 << 10),
		t => (t, 1),
	};
	num.parse::<u64>()
		.ok()
		.and_then(|n| n.checked_mul(mul))
		.ok_or_else(|| format!("{s:?} is not a size (bytes, or a number with Ki, Mi or Gi)"))
}

impl Cli {
	fn key(&self) -> Result<Key, CliError> {
		let scheme = Scheme::parse(&self.scheme).expect("clap checked it");
		match (&self.key_file, &self.suri) {
			(Some(path), _) => Ok(Key::from_file(path, scheme)?),
			(None, Some(suri)) => Ok(Key::from_suri(suri, scheme)?),
			(None, None) => Err(CliError::Declined(
				"no key: set URANUS_SURI, or pass --key-file (or --suri)".into(),
			)),
		}
	}
}

async fn run(cli: Cli) -> Result<(), CliError> {
	if let Command::Whoami = cli.command {
		println!("{}", cli.key()?.ss58());
		return Ok(());
	}
	if let Command::Provider(ProviderCommand::SetGateway { gateway_url, tls_sha256 }) = &cli.command
	{
		// Checked before connecting: a typo costs nothing.
		providers::check_url(gateway_url)?;
		providers::parse_fingerprint(tls_sha256)?;
	}
	let chain = chain::Chain::connect(&cli.url).await?;
	match &cli.command {
		Command::Whoami => unreachable!("handled above"),
		Command::Order(OrderCommand::Place {
			image,
			cpu,
			memory,
			storage,
			blocks,
			prepaid,
			replicas,
			cap_factor,
			yes,
			cmd,
		}) => {
			orders::place(
				&chain,
				&cli.key()?,
				orders::PlaceArgs {
					image: image.clone(),
					cpu_millicores: *cpu,
					memory_bytes: *memory,
					storage_bytes: *storage,
					blocks: *blocks,
					prepaid: *prepaid,
					replicas: *replicas,
					cap_factor: *cap_factor,
					cmd: cmd.clone(),
					yes: *yes,
				},
			)
			.await?;
		},
		Command::Order(OrderCommand::Status { id }) => orders::status(&chain, *id).await?,
		Command::Order(OrderCommand::Cancel { id }) => {
			orders::cancel(&chain, &cli.key()?, *id).await?
		},
		Command::Order(OrderCommand::TopUp { id, blocks }) => {
			orders::top_up(&chain, &cli.key()?, *id, *blocks).await?
		},
		Command::Lease(LeaseCommand::Status { id }) => {
			let key = cli.key().ok();
			leases::status(&chain, key.as_ref(), *id).await?
		},
		Command::Lease(LeaseCommand::Logs { id, follow, tail }) => {
			leases::logs(&chain, &cli.key()?, *id, *follow, *tail).await?
		},
		Command::Lease(LeaseCommand::Shell { id, cmd }) => {
			leases::shell(&chain, &cli.key()?, *id, cmd).await?
		},
		Command::Lease(LeaseCommand::Fetch { id, output }) => {
			leases::fetch(&chain, &cli.key()?, *id, output).await?
		},
		Command::Lease(LeaseCommand::Rate { id, stars }) => {
			leases::rate(&chain, &cli.key()?, *id, *stars).await?
		},
		Command::Lease(LeaseCommand::Dispute { id, amount }) => {
			leases::dispute(&chain, &cli.key()?, *id, *amount).await?
		},
		Command::Provider(ProviderCommand::SetGateway { gateway_url, tls_sha256 }) => {
			let fingerprint = providers::parse_fingerprint(tls_sha256)?;
			providers::set_gateway(&chain, &cli.key()?, gateway_url, fingerprint).await?
		},
		Command::Provider(ProviderCommand::ClearGateway) => {
			providers::clear_gateway(&chain, &cli.key()?).await?
		},
	}
	Ok(())
}

fn main() {
	let cli = Cli::parse();
	let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
		Ok(rt) => rt,
		Err(e) => {
			eprintln!("uranus: {e}");
			std::process::exit(1);
		},
	};
	if let Err(e) = rt.block_on(run(cli)) {
		eprintln!("uranus: {e}");
		std::process::exit(e.exit_code());
	}
}

#[cfg(test)]
mod tests {
	#[test]
	fn sizes_read_with_binary_suffixes() {
		assert_eq!(super::parse_size("256Mi"), Ok(256 << 20));
		assert_eq!(super::parse_size("1Gi"), Ok(1 << 30));
		assert_eq!(super::parse_size("4096"), Ok(4096));
		assert!(super::parse_size("lots").is_err());
		assert!(super::parse_size("99999999999999Gi").is_err());
	}
}
