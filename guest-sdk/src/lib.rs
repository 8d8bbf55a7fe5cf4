//! # switchboard-sdk
//!
//! Write Switchboard connectors as WebAssembly components in plain Rust.
//!
//! A connector is a `cdylib` crate built for `wasm32-wasip2`. It implements one
//! trait per world it serves and calls that world's export macro:
//!
//! | world              | trait                                   | macro                        |
//! |--------------------|-----------------------------------------|------------------------------|
//! | `ingest`           | [`ingest::Ingest`]                      | [`export_ingest!`]           |
//! | `recording-source` | [`recording_source::RecordingSource`]   | [`export_recording_source!`] |
//! | `channel`          | [`channel::Channel`]                    | [`export_channel!`]          |
//! | `call-control`     | [`call_control::CallControl`]           | [`export_call_control!`]     |
//! | `analyzer`         | [`analyzer::Analyzer`]                  | [`export_analyzer!`]         |
//!
//! A component may serve several worlds (a PBX connector is often `ingest` and
//! `call-control`): implement both traits and call both macros.
//!
//! Everything a connector may do outside its own memory goes through [`host`]:
//! HTTP (allow-listed by the host), logging, the clock, per-installation state,
//! configuration and secrets, and the tenant's directory.
//!
//! ```ignore
//! use switchboard_sdk::prelude::*;
//!
//! struct Hello;
//!
//! impl Ingest for Hello {
//!     fn handle(_inst: Installation, req: HttpRequest) -> Result<IngestReply, ConnectorError> {
//!         let id = req.param("id").ok_or_else(|| ConnectorError::BadRequest("missing id".into()))?;
//!         let call = CallRef::single(id);
//!         let event = Event::new(format!("ring:{id}"), EventBody::Call(CallEvent::new(call, CallPhase::Ringing)));
//!         Ok(IngestReply { response: HttpResponse::ok_text("OK"), events: vec![event] })
//!     }
//! }
//!
//! switchboard_sdk::export_ingest!(Hello);
//! ```

#[doc(hidden)]
pub mod bindings;

pub mod analyzer;
pub mod call_control;
pub mod channel;
pub mod host;
pub mod ingest;
pub mod phone;
pub mod query;
pub mod recording_source;
pub mod secret;
pub mod text;
pub mod time;
pub mod types;
pub mod url;

/// The WIT package version this SDK implements, as `[major, minor, patch]`
/// big-endian u16s. Written into every component by the export macros.
#[doc(hidden)]
pub const API_VERSION_BYTES: [u8; 6] = *include_bytes!(concat!(env!("OUT_DIR"), "/api_version"));

/// Everything a typical connector needs, in one `use`.
pub mod prelude {
    pub use crate::analyzer::{AnalysisResult, Analyzer, Audio, CallContext, Upload, UploadReply};
    pub use crate::call_control::{
        CallControl, DialRequest, DialResult, HistoryQuery, HoldRequest,
    };
    pub use crate::channel::{
        Channel, Destination, Failure, Notification, Outcome, Retry, Severity,
    };
    pub use crate::ingest::{Ingest, IngestReply};
    pub use crate::recording_source::{
        ConnectionInfo, Download, RecordingPage, RecordingSource, RemoteRecording,
    };
    pub use crate::types::*;
}

/// Writes the API version into the component's `switchboard:api-version`
/// custom section. Each export macro invokes it; the section is emitted in the
/// connector's own crate so the linker can never drop it. When a component
/// exports several worlds the section holds the same six bytes several times,
/// which the host accepts.
#[doc(hidden)]
#[macro_export]
macro_rules! __stamp_api_version {
    () => {
        const _: () = {
            #[cfg(target_arch = "wasm32")]
            #[unsafe(link_section = "switchboard:api-version")]
            #[used]
            static SWITCHBOARD_API_VERSION: [u8; 6] = $crate::API_VERSION_BYTES;
        };
    };
}
