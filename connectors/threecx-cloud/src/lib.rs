//! # threecx-cloud
//!
//! Recording source for a 3CX v20 PBX (3CX-hosted or self-hosted) through its
//! XAPI (seed 000, "3CX cloud"): OAuth client credentials at
//! `/connect/token`, recordings listed from `/xapi/v1/Recordings` by
//! ascending `Id`, audio fetched by the host from
//! `/xapi/v1/Recordings/Pbx.DownloadRecording(recId={id})`.
//!
//! The request builders and response parsers are pure and unit-tested
//! natively; [`client`] holds the three operations against a small host
//! trait (tested with a fake 3CX); [`ThreecxCloud`] plugs in the real host.
//! The README lists every request and every assumption.

pub mod client;
pub mod cursor;
mod errors;
pub mod odata;
pub mod recording;
mod settings;
pub mod token;

use switchboard_sdk::host::http::{HttpError, Request, Response};
use switchboard_sdk::host::{clock, config, log, state};
use switchboard_sdk::prelude::*;

use client::{Client, Credentials, Host, Req};
pub use settings::Settings;

/// The component.
pub struct ThreecxCloud;

/// The real host.
struct Wasm;

impl Host for Wasm {
    fn now_ms(&self) -> i64 {
        clock::now_ms()
    }
    fn state_get(&self, key: &str) -> Option<String> {
        state::get(key)
    }
    fn state_set(&mut self, key: &str, value: &str) {
        if let Err(e) = state::set(key, value) {
            log::log(
                log::Level::Warn,
                "could not cache the 3CX token",
                &[("error", &e)],
            );
        }
    }
    fn send(&mut self, req: &Req) -> Result<Response, HttpError> {
        let mut r = Request::new(req.method, &req.url).timeout_ms(req.timeout_ms);
        for (name, value) in &req.headers {
            r = r.header(name, value);
        }
        r.body(req.body.clone()).send()
    }
}

fn with_client<T>(
    installation: &Installation,
    f: impl FnOnce(&mut Client<'_, Wasm>) -> Result<T, ConnectorError>,
) -> Result<T, ConnectorError> {
    let settings = Settings::from_installation(installation)?;
    let credentials = Credentials {
        client_id: config::require_secret("clientId")?,
        client_secret: config::require_secret("clientSecret")?,
    };
    let mut host = Wasm;
    let mut client = Client {
        host: &mut host,
        settings: &settings,
        credentials: &credentials,
    };
    f(&mut client)
}

impl RecordingSource for ThreecxCloud {
    fn test_connection(installation: Installation) -> Result<ConnectionInfo, ConnectorError> {
        with_client(&installation, |c| c.test_connection())
    }

    fn list_recordings(
        installation: Installation,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<RecordingPage, ConnectorError> {
        with_client(&installation, |c| c.list(cursor.as_deref(), page_size))
    }

    fn download_request(
        installation: Installation,
        recording: RemoteRecording,
    ) -> Result<Download, ConnectorError> {
        with_client(&installation, |c| c.download(&recording.id))
    }
}

// Only components export: natively the crate is an rlib for tests.
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_recording_source!(ThreecxCloud);
