//! The one operation that reaches the network itself, `analyze`, written
//! against a small [`Host`] trait so the request, the retry without a
//! refused parameter and the error mapping run natively in tests with a fake
//! API. [`crate::OpenAiAnalyzer`] plugs in the real host.

use switchboard_sdk::host::http::{HttpError, Response};
use switchboard_sdk::prelude::*;

use crate::analysis::{self, Options};
use crate::errors::{ApiError, Endpoint, api_status, transport};
use crate::settings::Settings;

/// A chat completion over a long transcript takes a while; the host caps
/// this with its own limit.
pub const ANALYZE_TIMEOUT_MS: u32 = 60_000;

/// One outbound request.
#[derive(Clone, PartialEq, Eq)]
pub struct Req {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub timeout_ms: u32,
}

/// Without the headers: they carry the key.
impl std::fmt::Debug for Req {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Req")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("body_bytes", &self.body.len())
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

/// What the connector needs from the host.
pub trait Host {
    fn send(&mut self, req: &Req) -> Result<Response, HttpError>;
}

/// Summary, score, sentiment and tags of `call` from a chat completion.
pub fn analyze<H: Host>(
    host: &mut H,
    settings: &Settings,
    api_key: &str,
    call: CallContext,
) -> Result<AnalysisResult, ConnectorError> {
    if !analysis::has_material(&call) {
        return Err(ConnectorError::BadRequest(
            "nothing to analyse: the call has no transcript".into(),
        ));
    }
    let api_host = settings.host();
    let mut options = Options::default();
    loop {
        let body = analysis::request_body(&settings.model, &call, options);
        let req = Req {
            method: "POST",
            url: settings.url(Endpoint::ChatCompletions.path()),
            headers: vec![
                ("authorization", format!("Bearer {api_key}")),
                ("content-type", "application/json".into()),
                ("accept", "application/json".into()),
            ],
            body: body.to_string().into_bytes(),
            timeout_ms: ANALYZE_TIMEOUT_MS,
        };
        let resp = host.send(&req).map_err(|e| transport(e, api_host))?;
        if resp.status == 400
            && let Some(next) = without_refused_parameter(options, &resp.body)
        {
            options = next;
            continue;
        }
        if !resp.is_success() {
            return Err(api_status(
                resp.status,
                &resp.headers,
                &resp.body,
                api_host,
                Endpoint::ChatCompletions,
            ));
        }
        let content = analysis::completion_content(&resp.headers, &resp.body, api_host)?;
        return analysis::parse_content(&content, call.transcript);
    }
}

/// The options without the parameter a 400 answer refuses, if it names one
/// still sent: `temperature` (reasoning models accept only the default) or
/// `response_format` (servers without JSON mode). Each is dropped at most
/// once, so this asks at most three times.
fn without_refused_parameter(options: Options, body: &[u8]) -> Option<Options> {
    let err = ApiError::parse(body)?;
    let names = |param: &str| {
        err.param.as_deref() == Some(param)
            || err.message.as_deref().is_some_and(|m| m.contains(param))
    };
    if options.temperature && names("temperature") {
        return Some(Options {
            temperature: false,
            ..options
        });
    }
    if options.json_mode && names("response_format") {
        return Some(Options {
            json_mode: false,
            ..options
        });
    }
    None
}

#[cfg(test)]
mod tests;
