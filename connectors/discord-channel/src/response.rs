//! What Discord's answer (or the lack of one) means for the host. Pure.
//!
//! Errors come as `{"message": "Unknown Webhook", "code": 10015}`; a 429 as
//! `{"message": "You are being rate limited.", "retry_after": 1.5,
//! "global": false}` (seconds, fractional) and/or a `retry-after` header
//! (seconds).

use serde_json::{Map, Value};
use switchboard_sdk::channel::{failed, map_outcome_text, retry};
use switchboard_sdk::host::http::HttpError;
use switchboard_sdk::prelude::Outcome;
use switchboard_sdk::types::{Pair, find};

/// Discord's messages are short; anything longer is cut to this.
const MESSAGE_LIMIT: usize = 300;

/// The outcome of a reply with this status, headers (lower-case names) and body.
pub fn interpret(status: u16, headers: &[Pair], body: &[u8]) -> Outcome {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let reply = json.as_ref().and_then(Value::as_object);

    match status {
        200..=299 => {
            let id = reply.and_then(|r| r.get("id")).and_then(id_text);
            Outcome::Delivered(id)
        }
        429 => {
            let seconds = reply
                .and_then(|r| r.get("retry_after"))
                .and_then(Value::as_f64)
                .or_else(|| header_seconds(headers, "retry-after"))
                .or_else(|| header_seconds(headers, "x-ratelimit-reset-after"));
            let global = reply
                .and_then(|r| r.get("global"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let mut reason = said(reply, "rate limited", status);
            if global {
                reason.push_str(" (global)");
            }
            retry(seconds.map_or(0, seconds_to_ms), reason)
        }
        404 => failed(
            "webhook_unknown",
            said(reply, "Unknown Webhook", status),
            true,
        ),
        401 | 403 => failed(
            "webhook_unauthorized",
            said(reply, "the webhook refused us", status),
            true,
        ),
        400..=499 => failed("bad_request", said(reply, "request refused", status), false),
        500..=599 => retry(0, said(reply, "server error", status)),
        _ => failed(
            "unexpected_status",
            format!("Discord answered HTTP {status}"),
            false,
        ),
    }
}

/// The outcome of a request that got no reply.
pub fn transport(error: &HttpError) -> Outcome {
    match error {
        HttpError::Timeout => retry(0, "Discord did not answer in time".into()),
        HttpError::Connect(m) => retry(0, format!("could not reach Discord: {m}")),
        HttpError::TooLarge(n) => retry(0, format!("Discord's reply was too large ({n} bytes)")),
        HttpError::InvalidRequest(m) => failed(
            "bad_request",
            format!("the request to Discord is invalid: {m}"),
            false,
        ),
    }
}

/// `text` with every occurrence of `secret` replaced. An empty secret
/// changes nothing.
pub fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_string()
    } else {
        text.replace(secret, "<redacted>")
    }
}

/// [`scrub`] applied to an outcome's text.
pub fn scrub_outcome(outcome: Outcome, secret: &str) -> Outcome {
    map_outcome_text(outcome, |text| scrub(text, secret))
}

/// `Discord: {message} ({code})`, or the fallback and the HTTP status.
fn said(reply: Option<&Map<String, Value>>, fallback: &str, status: u16) -> String {
    let message = reply
        .and_then(|r| r.get("message"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(cut);
    let code = reply.and_then(|r| r.get("code")).and_then(Value::as_u64);
    match (message, code) {
        (Some(m), Some(c)) => format!("Discord: {m} ({c})"),
        (Some(m), None) => format!("Discord: {m}"),
        (None, _) => format!("Discord: {fallback} (HTTP {status})"),
    }
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MESSAGE_LIMIT) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

fn header_seconds(headers: &[Pair], name: &str) -> Option<f64> {
    find(headers, name)?.trim().parse::<f64>().ok()
}

/// Whole milliseconds, rounded up; negative or not finite is 0.
fn seconds_to_ms(seconds: f64) -> u64 {
    if seconds.is_finite() && seconds > 0.0 {
        // `as` saturates at u64::MAX.
        (seconds * 1000.0).ceil() as u64
    } else {
        0
    }
}

/// A JSON id (string or number) as text.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_sdk::types::pairs;

    fn failure(outcome: Outcome) -> (String, String, bool) {
        match outcome {
            Outcome::Failed(f) => (f.code, f.message, f.destination_gone),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    fn retry_of(outcome: Outcome) -> (u64, String) {
        match outcome {
            Outcome::RetryAfter(r) => (r.after_ms, r.reason),
            other => panic!("expected a retry, got {other:?}"),
        }
    }

    #[test]
    fn delivered_with_the_message_id() {
        let body = br#"{"id":"1234567890123456789","type":0,"content":"x","channel_id":"1"}"#;
        assert!(
            matches!(interpret(200, &[], body), Outcome::Delivered(Some(id)) if id == "1234567890123456789")
        );
        assert!(matches!(interpret(204, &[], b""), Outcome::Delivered(None)));
        assert!(matches!(
            interpret(200, &[], b"not json"),
            Outcome::Delivered(None)
        ));
    }

    #[test]
    fn rate_limits_use_the_bodys_fractional_seconds() {
        let body = br#"{"message":"You are being rate limited.","retry_after":1.5,"global":false}"#;
        let headers = pairs([("retry-after", "2")]);
        let (after, reason) = retry_of(interpret(429, &headers, body));
        assert_eq!(after, 1_500);
        assert_eq!(reason, "Discord: You are being rate limited.");
        let body =
            br#"{"message":"You are being rate limited.","retry_after":0.3331,"global":true}"#;
        let (after, reason) = retry_of(interpret(429, &[], body));
        assert_eq!(after, 334);
        assert!(reason.ends_with("(global)"));
    }

    #[test]
    fn rate_limits_fall_back_to_headers() {
        let (after, _) = retry_of(interpret(429, &pairs([("retry-after", "3")]), b"<html>"));
        assert_eq!(after, 3_000);
        let headers = pairs([("x-ratelimit-reset-after", "0.25")]);
        assert_eq!(retry_of(interpret(429, &headers, b"")).0, 250);
        assert_eq!(retry_of(interpret(429, &[], b"")).0, 0);
    }

    #[test]
    fn unknown_webhooks_are_gone() {
        let body = br#"{"message":"Unknown Webhook","code":10015}"#;
        let (code, message, gone) = failure(interpret(404, &[], body));
        assert_eq!(code, "webhook_unknown");
        assert_eq!(message, "Discord: Unknown Webhook (10015)");
        assert!(gone);
        assert_eq!(failure(interpret(404, &[], b"")).0, "webhook_unknown");
    }

    #[test]
    fn refused_tokens_are_gone() {
        for status in [401, 403] {
            let body = br#"{"message":"Invalid Webhook Token","code":50027}"#;
            let (code, message, gone) = failure(interpret(status, &[], body));
            assert_eq!(code, "webhook_unauthorized");
            assert_eq!(message, "Discord: Invalid Webhook Token (50027)");
            assert!(gone);
        }
    }

    #[test]
    fn other_client_errors_are_bad_requests() {
        let body = br#"{"message":"Invalid Form Body","code":50035,"errors":{"content":{}}}"#;
        let (code, message, gone) = failure(interpret(400, &[], body));
        assert_eq!(code, "bad_request");
        assert_eq!(message, "Discord: Invalid Form Body (50035)");
        assert!(!gone);
        let (code, message, _) = failure(interpret(413, &[], b""));
        assert_eq!(code, "bad_request");
        assert_eq!(message, "Discord: request refused (HTTP 413)");
    }

    #[test]
    fn server_errors_are_retried_on_the_hosts_schedule() {
        for status in [500, 502, 503, 504] {
            let (after, reason) = retry_of(interpret(status, &[], b"<html>"));
            assert_eq!(after, 0);
            assert_eq!(reason, format!("Discord: server error (HTTP {status})"));
        }
    }

    #[test]
    fn redirects_are_unexpected() {
        let (code, _, gone) = failure(interpret(301, &[], b""));
        assert_eq!(code, "unexpected_status");
        assert!(!gone);
    }

    #[test]
    fn long_messages_are_cut() {
        let body = serde_json::json!({"message": "m".repeat(5_000), "code": 1}).to_string();
        let (_, message, _) = failure(interpret(400, &[], body.as_bytes()));
        assert!(message.chars().count() < 400);
    }

    #[test]
    fn transport_errors() {
        assert_eq!(retry_of(transport(&HttpError::Timeout)).0, 0);
        assert_eq!(
            retry_of(transport(&HttpError::Connect("tls".into()))),
            (0, "could not reach Discord: tls".to_string())
        );
        assert_eq!(retry_of(transport(&HttpError::TooLarge(1 << 24))).0, 0);
        let (code, _, gone) = failure(transport(&HttpError::InvalidRequest("bad".into())));
        assert_eq!(code, "bad_request");
        assert!(!gone);
    }

    #[test]
    fn scrub_hides_the_token() {
        let token = "tok_EN-secret";
        let outcome = transport(&HttpError::InvalidRequest(format!(
            "bad url https://discord.com/api/webhooks/1/{token}?wait=true"
        )));
        let (_, message, _) = failure(scrub_outcome(outcome, token));
        assert!(!message.contains(token));
        assert!(message.contains("/api/webhooks/1/<redacted>"));
        assert_eq!(scrub("x", ""), "x");
    }
}
