//! # openai-analyzer
//!
//! Call analysis through an OpenAI-compatible API (OpenAI itself, or any
//! server that speaks its `/v1` dialect): speech-to-text of each recording
//! at `/audio/transcriptions` (the host uploads the audio; the component
//! only describes the upload and reads the reply), then summary, score,
//! sentiment and tags from one chat completion at `/chat/completions`.
//!
//! The request builders and reply parsers are pure and unit-tested
//! natively ([`transcription`], [`analysis`]); [`client`] holds `analyze`
//! against a small host trait (tested with a fake API); [`OpenAiAnalyzer`]
//! plugs in the real host. The README lists every request and every
//! assumption.

pub mod analysis;
pub mod client;
mod errors;
mod settings;
pub mod transcription;

use switchboard_sdk::host::config;
use switchboard_sdk::host::http::{HttpError, Request, Response};
use switchboard_sdk::prelude::*;

use client::{Host, Req};
pub use settings::Settings;

/// The component.
pub struct OpenAiAnalyzer;

/// The real host.
struct Wasm;

impl Host for Wasm {
    fn send(&mut self, req: &Req) -> Result<Response, HttpError> {
        let mut r = Request::new(req.method, &req.url).timeout_ms(req.timeout_ms);
        for (name, value) in &req.headers {
            r = r.header(name, value);
        }
        r.body(req.body.clone()).send()
    }
}

/// The `apiKey` secret, checked.
fn api_key() -> Result<String, ConnectorError> {
    settings::api_key(config::secret("apiKey"))
}

impl Analyzer for OpenAiAnalyzer {
    fn transcription_request(
        installation: Installation,
        _audio: Audio,
    ) -> Result<Upload, ConnectorError> {
        let settings = Settings::from_installation(&installation)?;
        Ok(transcription::upload(&settings, &api_key()?))
    }

    fn read_transcription(
        installation: Installation,
        reply: UploadReply,
    ) -> Result<String, ConnectorError> {
        let settings = Settings::from_installation(&installation)?;
        transcription::read(&reply, settings.host())
    }

    fn analyze(
        installation: Installation,
        call: CallContext,
    ) -> Result<AnalysisResult, ConnectorError> {
        let settings = Settings::from_installation(&installation)?;
        client::analyze(&mut Wasm, &settings, &api_key()?, call)
    }
}

// Only components export: natively the crate is an rlib for tests.
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_analyzer!(OpenAiAnalyzer);
