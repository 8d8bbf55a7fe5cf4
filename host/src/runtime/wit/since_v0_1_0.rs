//! Bindings for `switchboard:connector@0.1.0` — the only `bindgen!` in the host.
//!
//! `capabilities` generates the import side once; each world maps those
//! interfaces back with `with`, so every WIT type has exactly one Rust type and
//! one linker serves all worlds. Frozen with the WIT it was generated from:
//! a new WIT version gets a new sibling module, never edits to this one.

#![allow(missing_docs, clippy::all)]

pub mod capabilities {
    wasmtime::component::bindgen!({
        path: "../wit/since_v0.1.0",
        world: "capabilities",
        imports: { default: async | trappable },
        additional_derives: [serde::Serialize, serde::Deserialize],
    });
}

macro_rules! world {
    ($module:ident, $world:literal) => {
        pub mod $module {
            wasmtime::component::bindgen!({
                path: "../wit/since_v0.1.0",
                world: $world,
                imports: { default: async | trappable },
                exports: { default: async },
                additional_derives: [serde::Serialize, serde::Deserialize],
                with: {
                    "switchboard:connector/types": crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::types,
                    "switchboard:connector/http-client": crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::http_client,
                    "switchboard:connector/log": crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::log,
                    "switchboard:connector/clock": crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::clock,
                    "switchboard:connector/state": crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::state,
                    "switchboard:connector/config": crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::config,
                    "switchboard:connector/directory": crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::directory,
                },
            });
        }
    };
}

world!(ingest, "ingest");
world!(recording_source, "recording-source");
world!(channel, "channel");
world!(call_control, "call-control");
world!(analyzer, "analyzer");

pub use capabilities::switchboard::connector::types;
