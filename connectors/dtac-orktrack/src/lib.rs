//! # dtac-orktrack
//!
//! Recording source for DTAC "orktrack" (seed 000): an OrecX OrkTrack
//! server, by default `https://onecallvoicerecord.dtac.co.th`. It logs in with
//! the installation's username and password, lists recordings by time window
//! and page, and tells the host how to download each file with the access
//! token.
//!
//! Requests are built in [`api`] and replies read in [`auth`] and
//! [`listing`], all pure and tested natively; [`cursor`] plans the paging;
//! `client` is the only part that calls the host. The README lists the
//! requests, the cursor and every assumption about the vendor's API.

pub mod api;
pub mod auth;
mod base64;
mod client;
pub mod cursor;
pub mod errors;
pub mod listing;
pub mod settings;

use switchboard_sdk::host::clock;
use switchboard_sdk::prelude::*;

use api::ListQuery;
use client::Client;
use cursor::Cursor;

/// The component.
pub struct DtacOrktrack;

/// The cheap call of `test-connection`: the last hour, one record.
const TEST_WINDOW_MS: i64 = 3600 * 1000;

impl RecordingSource for DtacOrktrack {
    fn test_connection(installation: Installation) -> Result<ConnectionInfo, ConnectorError> {
        let client = Client::new(&installation)?;
        // Always a real login: the point is to check the credentials.
        let token = client.login()?;
        let now = clock::now_ms();
        let query = ListQuery {
            since_ms: now - TEST_WINDOW_MS,
            until_ms: now,
            page: 1,
            page_size: 1,
        };
        client.list(&token.value, &query, false)?;
        Ok(ConnectionInfo {
            message: format!("Connected to DTAC orktrack as {}", client.username),
        })
    }

    fn list_recordings(
        installation: Installation,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<RecordingPage, ConnectorError> {
        let client = Client::new(&installation)?;
        let now = clock::now_ms();
        let cursor = match cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(raw) => Cursor::decode(raw)?,
            None => Cursor::initial(now),
        };
        let until = cursor.until_at(now);
        if until <= cursor.since {
            // Nothing new can have been filed yet.
            return Ok(RecordingPage {
                recordings: Vec::new(),
                next_cursor: Some(cursor.encode()),
                has_more: false,
            });
        }
        let size = cursor.page_size_for(page_size);
        let query = ListQuery {
            since_ms: cursor.since,
            until_ms: until,
            page: cursor.page,
            page_size: size,
        };
        let token = client.token()?;
        let page = client.list(&token, &query, true)?;
        let cursor = Cursor {
            page_size: Some(size),
            ..cursor
        };
        Ok(cursor::advance(&cursor, until, &page, &client.settings))
    }

    fn download_request(
        installation: Installation,
        recording: RemoteRecording,
    ) -> Result<Download, ConnectorError> {
        let client = Client::new(&installation)?;
        let token = client.token()?;
        Ok(download(&client.settings, &token, &recording))
    }
}

/// `GET {recordingURL}` with the access token as `Authorization`. Pure.
pub fn download(
    settings: &settings::Settings,
    token: &str,
    recording: &RemoteRecording,
) -> Download {
    let url = api::audio_url(
        &settings.base_url,
        find(&recording.attributes, listing::RECORDING_URL),
        &recording.id,
    );
    Download {
        method: "GET".into(),
        url,
        headers: api::token_headers(token)
            .into_iter()
            .map(|(name, value)| Pair { name, value })
            .collect(),
    }
}

// Only components export: natively the crate is an rlib for tests.
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_recording_source!(DtacOrktrack);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_uses_the_recording_url_and_the_token() {
        let settings = settings::Settings::new(None, None).unwrap();
        let recording = RemoteRecording {
            id: "48214".into(),
            call: None,
            direction: Direction::Outbound,
            customer_phone: None,
            extension: None,
            did: None,
            started_at: None,
            duration_sec: None,
            size_bytes: None,
            mime_type: None,
            attributes: pairs([(listing::RECORDING_URL, "/orkweb/stream/48214.mp3")]),
        };
        let d = download(&settings, "tok-guid", &recording);
        assert_eq!(d.method, "GET");
        assert_eq!(
            d.url,
            "https://onecallvoicerecord.dtac.co.th/orkweb/stream/48214.mp3"
        );
        let headers: Vec<_> = d
            .headers
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(headers, [("authorization", "tok-guid")]);
    }
}
