//! `uranus-node`: the Uranus blockchain node (the library `uranus_node` is all of it).

fn main() -> sc_cli::Result<()> {
	uranus_node::command::run()
}
