//! The `recording-source` world: list a vendor's recordings and say how to
//! download each one. The host does the download and streams it to storage.

use crate::bindings::recording_source::exports::switchboard::connector::recordings::Guest;
pub use crate::bindings::recording_source::exports::switchboard::connector::recordings::{
    ConnectionInfo, Download, RecordingPage, RemoteRecording,
};
use crate::types::{ConnectorError, Installation};

/// Implement this and call [`crate::export_recording_source!`]. Every method
/// has a default that answers `unsupported`.
pub trait RecordingSource {
    /// Log in and report whether the credentials and base URL work. Tell bad
    /// credentials ([`ConnectorError::BadCredentials`]) from an unreachable host
    /// ([`ConnectorError::Unreachable`]) from a wrong base URL
    /// ([`ConnectorError::Upstream`]).
    fn test_connection(_installation: Installation) -> Result<ConnectionInfo, ConnectorError> {
        Err(ConnectorError::Unsupported(
            "test-connection is not implemented".into(),
        ))
    }

    /// One page of recordings after `cursor` (none on the first sync).
    fn list_recordings(
        _installation: Installation,
        _cursor: Option<String>,
        _page_size: u32,
    ) -> Result<RecordingPage, ConnectorError> {
        Err(ConnectorError::Unsupported(
            "list-recordings is not implemented".into(),
        ))
    }

    /// The HTTP request that fetches this recording's audio.
    fn download_request(
        _installation: Installation,
        _recording: RemoteRecording,
    ) -> Result<Download, ConnectorError> {
        Err(ConnectorError::Unsupported(
            "download-request is not implemented".into(),
        ))
    }
}

impl<T: RecordingSource> Guest for T {
    fn test_connection(installation: Installation) -> Result<ConnectionInfo, ConnectorError> {
        <T as RecordingSource>::test_connection(installation)
    }
    fn list_recordings(
        installation: Installation,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<RecordingPage, ConnectorError> {
        <T as RecordingSource>::list_recordings(installation, cursor, page_size)
    }
    fn download_request(
        installation: Installation,
        recording: RemoteRecording,
    ) -> Result<Download, ConnectorError> {
        <T as RecordingSource>::download_request(installation, recording)
    }
}

/// Exports a type implementing [`RecordingSource`] as this component's
/// `recording-source` world.
#[macro_export]
macro_rules! export_recording_source {
    ($t:ident) => {
        $crate::__stamp_api_version!();
        // The canonical-ABI exports only link on wasm; natively the crate is a
        // plain library (unit tests, benchmarks).
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::recording_source::export_recording_source_world!($t with_types_in $crate::bindings::recording_source);
    };
}
