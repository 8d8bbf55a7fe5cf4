//! Placeholder: being written.

use switchboard_sdk::prelude::*;

pub struct ThreecxCloud;

impl RecordingSource for ThreecxCloud {
    fn test_connection(_installation: Installation) -> Result<ConnectionInfo, ConnectorError> {
        Err(ConnectorError::Unsupported("not yet".into()))
    }
    fn list_recordings(
        _installation: Installation,
        _cursor: Option<String>,
        _page_size: u32,
    ) -> Result<RecordingPage, ConnectorError> {
        Err(ConnectorError::Unsupported("not yet".into()))
    }
    fn download_request(
        _installation: Installation,
        _recording: RemoteRecording,
    ) -> Result<Download, ConnectorError> {
        Err(ConnectorError::Unsupported("not yet".into()))
    }
}

#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_recording_source!(ThreecxCloud);
