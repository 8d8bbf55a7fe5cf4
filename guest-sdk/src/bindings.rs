//! The only place WIT bindings are generated. Connectors never use this
//! module directly: the SDK re-exports a curated set of types and wraps the
//! imports in [`crate::host`].
//!
//! `capabilities` generates the imports (shared by every world); each world
//! module maps those interfaces back to it with `with`, so there is exactly
//! one Rust type per WIT type.

#![allow(missing_docs, clippy::all)]

pub mod capabilities {
    wit_bindgen::generate!({
        world: "capabilities",
        path: "../wit/since_v0.1.0",
        generate_all,
    });
}

macro_rules! world_bindings {
    ($module:ident, $world:literal, $macro_name:literal, $default_module:literal) => {
        pub mod $module {
            wit_bindgen::generate!({
                world: $world,
                path: "../wit/since_v0.1.0",
                with: {
                    "switchboard:connector/types@0.1.0": crate::bindings::capabilities::switchboard::connector::types,
                    "switchboard:connector/http-client@0.1.0": crate::bindings::capabilities::switchboard::connector::http_client,
                    "switchboard:connector/log@0.1.0": crate::bindings::capabilities::switchboard::connector::log,
                    "switchboard:connector/clock@0.1.0": crate::bindings::capabilities::switchboard::connector::clock,
                    "switchboard:connector/state@0.1.0": crate::bindings::capabilities::switchboard::connector::state,
                    "switchboard:connector/config@0.1.0": crate::bindings::capabilities::switchboard::connector::config,
                    "switchboard:connector/directory@0.1.0": crate::bindings::capabilities::switchboard::connector::directory,
                },
                pub_export_macro: true,
                export_macro_name: $macro_name,
                default_bindings_module: $default_module,
            });
        }
    };
}

world_bindings!(
    ingest,
    "ingest",
    "export_ingest_world",
    "::switchboard_sdk::bindings::ingest"
);
world_bindings!(
    recording_source,
    "recording-source",
    "export_recording_source_world",
    "::switchboard_sdk::bindings::recording_source"
);
world_bindings!(
    channel,
    "channel",
    "export_channel_world",
    "::switchboard_sdk::bindings::channel"
);
world_bindings!(
    call_control,
    "call-control",
    "export_call_control_world",
    "::switchboard_sdk::bindings::call_control"
);
world_bindings!(
    analyzer,
    "analyzer",
    "export_analyzer_world",
    "::switchboard_sdk::bindings::analyzer"
);
