//! Writes the sample files of `assets/` from the demo generator (fixed seeds and times, so
//! the files come out the same every time; `tests/demo.rs` checks that they do).
//!
//!     cargo run --example make_assets

use std::io::Write;

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join("samples");
    for s in vpctop::demo::samples::samples() {
        let path = dir.join(s.name);
        if s.gzip {
            let file = std::fs::File::create(&path)?;
            let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
            gz.write_all(s.text.as_bytes())?;
            gz.finish()?;
        } else {
            std::fs::write(&path, &s.text)?;
        }
        println!("{} ({} lines)", path.display(), s.text.lines().count());
    }
    let inventory = dir.join("inventory");
    std::fs::create_dir_all(&inventory)?;
    for (name, text) in vpctop::demo::samples::sample_inventory() {
        let path = inventory.join(name);
        std::fs::write(&path, &text)?;
        println!("{} ({} bytes)", path.display(), text.len());
    }
    Ok(())
}
