//! The `analyzer` world: speech-to-text of a call's recordings, then a
//! summary, score, sentiment and tags. The host uploads the audio itself:
//! describe the upload in [`Analyzer::transcription_request`] and read the
//! reply in [`Analyzer::read_transcription`]; do the analysis through
//! [`crate::host::http`] in [`Analyzer::analyze`].

use crate::bindings::analyzer::exports::switchboard::connector::analysis::Guest;
pub use crate::bindings::analyzer::exports::switchboard::connector::analysis::{
    AnalysisResult, Audio, CallContext, Upload, UploadReply,
};
use crate::types::{ConnectorError, Installation};

/// Implement this and call [`crate::export_analyzer!`]. Every method has a
/// default that answers `unsupported`.
pub trait Analyzer {
    /// The multipart upload that transcribes `audio`.
    fn transcription_request(
        _installation: Installation,
        _audio: Audio,
    ) -> Result<Upload, ConnectorError> {
        Err(ConnectorError::Unsupported(
            "transcription-request is not implemented".into(),
        ))
    }

    /// The transcript in the speech-to-text endpoint's reply.
    fn read_transcription(
        _installation: Installation,
        _reply: UploadReply,
    ) -> Result<String, ConnectorError> {
        Err(ConnectorError::Unsupported(
            "read-transcription is not implemented".into(),
        ))
    }

    /// Summary, score, sentiment and tags of the call.
    fn analyze(
        _installation: Installation,
        _call: CallContext,
    ) -> Result<AnalysisResult, ConnectorError> {
        Err(ConnectorError::Unsupported(
            "analyze is not implemented".into(),
        ))
    }
}

impl<T: Analyzer> Guest for T {
    fn transcription_request(
        installation: Installation,
        audio: Audio,
    ) -> Result<Upload, ConnectorError> {
        <T as Analyzer>::transcription_request(installation, audio)
    }
    fn read_transcription(
        installation: Installation,
        reply: UploadReply,
    ) -> Result<String, ConnectorError> {
        <T as Analyzer>::read_transcription(installation, reply)
    }
    fn analyze(
        installation: Installation,
        call: CallContext,
    ) -> Result<AnalysisResult, ConnectorError> {
        <T as Analyzer>::analyze(installation, call)
    }
}

/// Exports a type implementing [`Analyzer`] as this component's `analyzer`
/// world.
#[macro_export]
macro_rules! export_analyzer {
    ($t:ident) => {
        $crate::__stamp_api_version!();
        // The canonical-ABI exports only link on wasm; natively the crate is a
        // plain library (unit tests, benchmarks).
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::analyzer::export_analyzer_world!($t with_types_in $crate::bindings::analyzer);
    };
}
