//! Stamps the WIT package version the SDK was generated from, so the export
//! macros can write it into every component's `switchboard:api-version`
//! custom section. The host reads that section before instantiating and
//! picks the matching bindings (or refuses a version it does not know).

use std::{env, fs, path::Path};

const WIT_DIR: &str = "../wit/since_v0.1.0";

fn main() {
    println!("cargo:rerun-if-changed={WIT_DIR}");
    let types = fs::read_to_string(Path::new(WIT_DIR).join("types.wit"))
        .unwrap_or_else(|e| panic!("reading {WIT_DIR}/types.wit: {e}"));
    let version = types
        .lines()
        .find_map(|l| l.trim().strip_prefix("package switchboard:connector@"))
        .and_then(|rest| rest.strip_suffix(';'))
        .unwrap_or_else(|| panic!("no `package switchboard:connector@X.Y.Z;` line in types.wit"));
    let parts: Vec<u16> = version
        .split('.')
        .map(|p| {
            p.parse()
                .unwrap_or_else(|e| panic!("bad version {version}: {e}"))
        })
        .collect();
    assert_eq!(parts.len(), 3, "version {version} is not X.Y.Z");
    // Three big-endian u16s: major, minor, patch (the layout Zed uses).
    let bytes: Vec<u8> = parts.iter().flat_map(|p| p.to_be_bytes()).collect();
    let out = env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    fs::write(Path::new(&out).join("api_version"), bytes)
        .unwrap_or_else(|e| panic!("writing api_version: {e}"));
}
