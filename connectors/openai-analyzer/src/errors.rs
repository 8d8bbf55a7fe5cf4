//! What a failed call means: a rejected key, a refused request, a busy API,
//! an unreachable host, or a base URL that is not an OpenAI-compatible API.
//! Speech-to-text and chat completions share this mapping.

use serde_json::Value;
use switchboard_sdk::host::http::HttpError;
use switchboard_sdk::prelude::*;

/// Longest piece of an API error message put into our own error text.
const MAX_API_MESSAGE_CHARS: usize = 300;

/// The endpoint an answer came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Transcriptions,
    ChatCompletions,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Transcriptions => "/audio/transcriptions",
            Endpoint::ChatCompletions => "/chat/completions",
        }
    }

    /// The setting that names the model this endpoint runs.
    fn model_setting(self) -> &'static str {
        match self {
            Endpoint::Transcriptions => "sttModel",
            Endpoint::ChatCompletions => "model",
        }
    }
}

/// "The server answered, but not as an OpenAI-compatible API would": almost
/// always a wrong `baseUrl`.
pub fn check_baseurl(host: &str, what: &str) -> ConnectorError {
    ConnectorError::Upstream(format!(
        "{host} does not answer like an OpenAI-compatible API ({what}): check baseUrl"
    ))
}

/// The model answered, but not with the JSON the prompt asks for.
pub fn bad_content(what: &str) -> ConnectorError {
    ConnectorError::Upstream(format!(
        "the model did not return the expected JSON: {what}"
    ))
}

/// A request that got no answer.
pub fn transport(err: HttpError, host: &str) -> ConnectorError {
    match err {
        HttpError::Connect(m) => ConnectorError::Unreachable(format!("cannot reach {host}: {m}")),
        HttpError::Timeout => ConnectorError::Unreachable(format!("{host} did not answer in time")),
        HttpError::TooLarge(n) => check_baseurl(host, &format!("a reply over {n} bytes")),
        HttpError::InvalidRequest(m) => {
            ConnectorError::Config(format!("baseUrl gives an invalid request: {m}"))
        }
    }
}

/// Whether a reply is an HTML page (a web server, a login portal, a proxy)
/// rather than an API answer.
pub fn looks_like_html(headers: &[Pair], body: &[u8]) -> bool {
    find(headers, "content-type").is_some_and(|ct| ct.to_ascii_lowercase().contains("html"))
        || body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'<')
}

/// The `error` object of an OpenAI error body:
/// `{"error": {"message", "type", "param", "code"}}`. A bare
/// `{"error": "text"}` (some compatible servers) is read as its message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiError {
    pub message: Option<String>,
    pub code: Option<String>,
    pub param: Option<String>,
}

impl ApiError {
    pub fn parse(body: &[u8]) -> Option<ApiError> {
        let v: Value = serde_json::from_slice(body).ok()?;
        let text = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .map(tidy)
                .filter(|s| !s.is_empty())
        };
        match v.get("error")? {
            Value::String(s) => Some(ApiError {
                message: Some(tidy(s)).filter(|s| !s.is_empty()),
                ..ApiError::default()
            }),
            e @ Value::Object(_) => Some(ApiError {
                message: text(e.get("message")),
                code: text(e.get("code")),
                param: text(e.get("param")),
            }),
            _ => None,
        }
    }

    /// `: <message>` when there is one.
    fn colon(&self) -> String {
        self.message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default()
    }

    /// ` (<message>)` when there is one.
    fn parens(&self) -> String {
        self.message
            .as_deref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default()
    }

    /// The error is about the model (unknown, not allowed, wrong endpoint).
    fn about_model(&self) -> bool {
        self.code.as_deref() == Some("model_not_found") || self.param.as_deref() == Some("model")
    }
}

/// One line, at most [`MAX_API_MESSAGE_CHARS`] characters.
fn tidy(s: &str) -> String {
    let line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(MAX_API_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// A non-2xx answer of either endpoint.
pub fn api_status(
    status: u16,
    headers: &[Pair],
    body: &[u8],
    host: &str,
    endpoint: Endpoint,
) -> ConnectorError {
    let api = ApiError::parse(body);
    let path = endpoint.path();
    match (status, &api) {
        // The 401 message of OpenAI quotes part of the key: not repeated.
        (401 | 403, _) => ConnectorError::BadCredentials("the API rejected the key".into()),
        (429, Some(e)) if e.code.as_deref() == Some("insufficient_quota") => {
            ConnectorError::Upstream(format!(
                "the API at {host} answered HTTP 429{}: the account's quota is used up; check its plan and billing",
                e.parens()
            ))
        }
        (429 | 500..=599, _) => ConnectorError::Upstream(format!(
            "the API at {host} answered HTTP {status}{}; try again later",
            api.as_ref().map(ApiError::parens).unwrap_or_default()
        )),
        (400 | 404 | 422, Some(e)) if e.about_model() => ConnectorError::Config(format!(
            "the API refused the model (HTTP {status}{}): check the `{}` setting",
            e.colon(),
            endpoint.model_setting()
        )),
        (413, _) => ConnectorError::BadRequest(format!(
            "the API refused the request as too large (HTTP 413){}",
            api.as_ref().map(ApiError::colon).unwrap_or_default()
        )),
        (400 | 415 | 422, Some(e)) => ConnectorError::BadRequest(format!(
            "the API refused the request (HTTP {status}){}",
            e.colon()
        )),
        (400 | 415 | 422, None) if looks_like_html(headers, body) => check_baseurl(
            host,
            &format!("an HTML page with HTTP {status} from {path}"),
        ),
        (400 | 415 | 422, None) => {
            ConnectorError::BadRequest(format!("the API refused the request (HTTP {status})"))
        }
        _ => check_baseurl(host, &format!("HTTP {status} from {path}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub mod tests {
    use super::*;

    const H: &str = "api.openai.com";

    pub fn headers(content_type: &str) -> Vec<Pair> {
        pairs([("content-type", content_type)])
    }

    fn status(status: u16, content_type: &str, body: &str) -> ConnectorError {
        api_status(
            status,
            &headers(content_type),
            body.as_bytes(),
            H,
            Endpoint::ChatCompletions,
        )
    }

    fn openai_error(message: &str, code: &str, param: &str) -> String {
        serde_json::json!({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}).to_string()
    }

    #[test]
    fn rejected_key() {
        for (s, body) in [
            (
                401,
                openai_error(
                    "Incorrect API key provided: sk-abc***xyz.",
                    "invalid_api_key",
                    "",
                ),
            ),
            (403, String::new()),
        ] {
            let err = status(s, "application/json", &body);
            assert!(
                matches!(err, ConnectorError::BadCredentials(ref m) if m == "the API rejected the key"),
                "{err:?}"
            );
        }
    }

    #[test]
    fn busy_or_failing() {
        for s in [429, 500, 502, 503] {
            let err = status(s, "text/plain", "");
            assert!(
                matches!(err, ConnectorError::Upstream(ref m) if m == &format!("the API at {H} answered HTTP {s}; try again later")),
                "{err:?}"
            );
        }
        let err = status(
            429,
            "application/json",
            &openai_error("Rate limit reached for requests", "rate_limit_exceeded", ""),
        );
        assert!(
            matches!(err, ConnectorError::Upstream(ref m) if m.contains("(Rate limit reached for requests); try again later")),
            "{err:?}"
        );
        let err = status(
            429,
            "application/json",
            &openai_error("You exceeded your current quota.", "insufficient_quota", ""),
        );
        assert!(
            matches!(err, ConnectorError::Upstream(ref m) if m.contains("quota") && m.contains("billing")),
            "{err:?}"
        );
    }

    #[test]
    fn refused_requests() {
        let err = status(
            400,
            "application/json",
            &openai_error("Invalid file format.", "", "file"),
        );
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m == "the API refused the request (HTTP 400): Invalid file format."),
            "{err:?}"
        );
        let err = status(413, "text/html", "<html>Request Entity Too Large</html>");
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.contains("too large")),
            "{err:?}"
        );
        let err = status(415, "text/plain", "unsupported");
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m == "the API refused the request (HTTP 415)"),
            "{err:?}"
        );
        let err = status(
            422,
            "application/json",
            r#"{"error":"audio could not be decoded"}"#,
        );
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.ends_with(": audio could not be decoded")),
            "{err:?}"
        );
        // A 400 HTML page is a web server, not the API.
        let err = status(400, "text/html", "<html>400 Bad Request</html>");
        assert!(
            matches!(err, ConnectorError::Upstream(ref m) if m.contains("check baseUrl")),
            "{err:?}"
        );
    }

    #[test]
    fn unknown_model_is_a_setting_problem() {
        let body = openai_error(
            "The model `gpt-9` does not exist or you do not have access to it.",
            "model_not_found",
            "",
        );
        let err = status(404, "application/json", &body);
        assert!(
            matches!(err, ConnectorError::Config(ref m) if m.contains("`model` setting") && m.contains("gpt-9")),
            "{err:?}"
        );
        let err = api_status(
            400,
            &headers("application/json"),
            openai_error("Invalid model.", "", "model").as_bytes(),
            H,
            Endpoint::Transcriptions,
        );
        assert!(
            matches!(err, ConnectorError::Config(ref m) if m.contains("`sttModel` setting")),
            "{err:?}"
        );
    }

    #[test]
    fn not_an_api() {
        for (s, ct, body) in [
            (404, "text/html", "<html>Not Found</html>"),
            (404, "application/json", r#"{"detail":"Not Found"}"#),
            (405, "text/plain", ""),
            (301, "text/html", ""),
        ] {
            let err = status(s, ct, body);
            assert!(
                matches!(err, ConnectorError::Upstream(ref m) if m.contains("does not answer like an OpenAI-compatible API") && m.contains("check baseUrl")),
                "{s}: {err:?}"
            );
        }
    }

    #[test]
    fn transport_failures() {
        assert!(matches!(
            transport(HttpError::Connect("dns error".into()), H),
            ConnectorError::Unreachable(m) if m.contains("dns error") && m.contains(H)
        ));
        assert!(matches!(
            transport(HttpError::Timeout, H),
            ConnectorError::Unreachable(m) if m.contains(H)
        ));
        assert!(matches!(
            transport(HttpError::TooLarge(9), H),
            ConnectorError::Upstream(_)
        ));
        assert!(matches!(
            transport(HttpError::InvalidRequest("x".into()), H),
            ConnectorError::Config(_)
        ));
    }

    #[test]
    fn api_error_messages_are_one_short_line() {
        let long = "x".repeat(1000);
        let e = ApiError::parse(
            serde_json::json!({"error": {"message": format!("a\n  b {long}")}})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        let m = e.message.unwrap();
        assert!(m.starts_with("a b x"));
        assert_eq!(m.chars().count(), MAX_API_MESSAGE_CHARS + 1);
        assert_eq!(ApiError::parse(b"not json"), None);
        assert_eq!(ApiError::parse(br#"{"detail":"x"}"#), None);
    }

    #[test]
    fn html_detection() {
        assert!(looks_like_html(&headers("text/html; charset=utf-8"), b""));
        assert!(looks_like_html(&headers(""), b"  <!doctype html>"));
        assert!(!looks_like_html(&headers("application/json"), b"{}"));
    }
}
