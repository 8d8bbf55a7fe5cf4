//! Builds component crates for `wasm32-wasip2` from a build script.
//!
//! The host bundles its connectors and the tests load fixture components; both
//! must be built from source in the same `cargo build`/`cargo test`, on a fresh
//! machine, with nothing installed by hand. So a build script calls
//! [`build`], which installs the target with rustup when it is missing and runs
//! a nested `cargo build` into its own target directory (the outer cargo holds
//! the lock on `target/debug`, so the nested one must not share it).
//!
//! Build scripts may panic: a panic here is a build error with its message.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::{
    env,
    path::{Path, PathBuf},
    process::Command,
};

pub const TARGET: &str = "wasm32-wasip2";

/// A built component.
#[derive(Debug, Clone)]
pub struct Built {
    /// The crate's directory (holds `switchboard.toml`, its manifest).
    pub crate_dir: PathBuf,
    /// The `.wasm` component.
    pub wasm: PathBuf,
}

/// Builds the crates at `crate_dirs` (relative to the workspace root) in release
/// mode and returns where their components are.
pub fn build(crate_dirs: &[&str]) -> Vec<Built> {
    let root = workspace_root();
    ensure_target();
    let target_dir = root.join("target").join("components");
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(&root)
        .args(["build", "--release", "--target", TARGET, "--target-dir"])
        .arg(&target_dir);
    let mut names = Vec::new();
    for dir in crate_dirs {
        let name = package_name(&root.join(dir));
        cmd.args(["-p", &name]);
        names.push((dir, name));
    }
    // The outer cargo's settings are for the host target and tools; none of
    // them may leak into the wasm build (clippy wrappers, host RUSTFLAGS, ...).
    for var in [
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CLIPPY_ARGS",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    // Debug info only bloats components the host compiles at load.
    cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    let status = cmd.status().expect("running cargo for wasm components");
    assert!(
        status.success(),
        "building wasm components failed ({status}); run the same `cargo build --target {TARGET}` by hand to see why"
    );

    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("guest-sdk").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    names
        .into_iter()
        .map(|(dir, name)| {
            let crate_dir = root.join(dir);
            println!("cargo:rerun-if-changed={}", crate_dir.display());
            let wasm = target_dir
                .join(TARGET)
                .join("release")
                .join(format!("{}.wasm", name.replace('-', "_")));
            assert!(wasm.exists(), "{} was not produced", wasm.display());
            Built { crate_dir, wasm }
        })
        .collect()
}

/// The workspace root: the nearest ancestor of the calling crate whose
/// `Cargo.toml` declares `[workspace]`.
pub fn workspace_root() -> PathBuf {
    let start = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    start
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .map(|t| t.contains("[workspace]"))
                .unwrap_or(false)
        })
        .expect("no workspace root above CARGO_MANIFEST_DIR")
        .to_path_buf()
}

/// Installs the wasm target once; later builds find it in the sysroot and
/// never touch the network.
fn ensure_target() {
    let sysroot = Command::new(env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .expect("running rustc --print sysroot");
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    if Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .exists()
    {
        return;
    }
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .expect("running rustup (needed to install the wasm32-wasip2 target)");
    assert!(status.success(), "`rustup target add {TARGET}` failed");
}

fn package_name(crate_dir: &Path) -> String {
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml"))
        .unwrap_or_else(|e| panic!("reading {}/Cargo.toml: {e}", crate_dir.display()));
    manifest
        .lines()
        .find_map(|l| {
            let l = l.trim();
            let v = l
                .strip_prefix("name")?
                .trim_start()
                .strip_prefix('=')?
                .trim();
            Some(v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| panic!("no package name in {}/Cargo.toml", crate_dir.display()))
}
