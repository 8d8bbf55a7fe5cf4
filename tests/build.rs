//! Builds the fixture components (and the bundled connectors, so tests can
//! load them from files too) and generates path constants for them.

const COMPONENTS: &[(&str, &str)] = &[
    ("TRIVIAL", "tests/fixtures/trivial"),
    ("MISBEHAVE", "tests/fixtures/misbehave"),
    ("THREECX_WEBHOOKS", "connectors/threecx-webhooks"),
];

fn main() {
    let dirs: Vec<&str> = COMPONENTS.iter().map(|(_, d)| *d).collect();
    let built = switchboard_build::build(&dirs);
    let mut code = String::new();
    for ((konst, _), b) in COMPONENTS.iter().zip(&built) {
        code.push_str(&format!(
            "pub const {konst}: Fixture = Fixture {{ wasm: {:?}, manifest: {:?} }};\n",
            b.wasm.display().to_string(),
            b.crate_dir.join("switchboard.toml").display().to_string()
        ));
    }
    let out = std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    std::fs::write(std::path::Path::new(&out).join("components.rs"), code)
        .unwrap_or_else(|e| panic!("{e}"));
}
