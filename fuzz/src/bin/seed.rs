//! Writes the seed corpus (see `uranus_fuzz::seeds`) into the directory given as the only
//! argument (default `fuzz/corpus/runtime`).

fn main() -> std::io::Result<()> {
	let dir = std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus/runtime".into());
	std::fs::create_dir_all(&dir)?;
	for (name, input) in uranus_fuzz::seeds::seeds() {
		let path = std::path::Path::new(&dir).join(format!("seed-{name}"));
		std::fs::write(&path, &input)?;
		println!("{} ({} bytes)", path.display(), input.len());
	}
	Ok(())
}
