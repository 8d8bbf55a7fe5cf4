//! The connectors compiled into the binary (see `build.rs`). A component of
//! the same name in the components directory replaces the bundled one.

pub struct Bundled {
    pub manifest: &'static str,
    pub wasm: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
