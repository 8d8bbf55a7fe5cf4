//! Builds the bundled connectors for wasm32-wasip2 and generates
//! `bundled.rs`: each connector's manifest and component bytes, compiled into
//! the binary so `switchboard serve` needs no files beside it.

use std::fmt::Write as _;

/// The connectors shipped inside the binary.
const BUNDLED: &[&str] = &[
    "connectors/threecx-webhooks",
    "connectors/cti-callcenter",
    "connectors/usercrm-pbx",
    "connectors/timelines-whatsapp",
    "connectors/telegram-channel",
    "connectors/discord-channel",
    "connectors/webhook-channel",
    "connectors/dtac-orktrack",
    "connectors/threecx-cloud",
    "connectors/openai-analyzer",
];

fn main() {
    // sqlx::migrate! embeds the migrations; edits to them must rebuild.
    println!("cargo:rerun-if-changed=migrations");
    let built = switchboard_build::build(BUNDLED);
    let mut code = String::from(
        "/// Connectors compiled into the binary.\npub static BUNDLED: &[Bundled] = &[\n",
    );
    for b in &built {
        let manifest = b.crate_dir.join("switchboard.toml");
        println!("cargo:rerun-if-changed={}", manifest.display());
        let _ = writeln!(
            code,
            "    Bundled {{ manifest: include_str!({:?}), wasm: include_bytes!({:?}) }},",
            manifest.display().to_string(),
            b.wasm.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    std::fs::write(std::path::Path::new(&out).join("bundled.rs"), code)
        .unwrap_or_else(|e| panic!("writing bundled.rs: {e}"));
}
