//! What Telegram's answer (or the lack of one) means for the host. Pure.
//!
//! Every reply of the Bot API is `{"ok": true, "result": …}` or
//! `{"ok": false, "error_code": …, "description": "…", "parameters": {…}}`,
//! where `parameters` may say `retry_after` (seconds, on 429) or
//! `migrate_to_chat_id` (the group became a supergroup).

use serde_json::{Map, Value};
use switchboard_sdk::channel::{failed, map_outcome_text, retry};
use switchboard_sdk::host::http::HttpError;
use switchboard_sdk::prelude::Outcome;

/// Telegram's descriptions are short; anything longer is cut to this.
const DESCRIPTION_LIMIT: usize = 300;

/// The outcome of a reply with this status and body.
pub fn interpret(status: u16, body: &[u8]) -> Outcome {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let reply = json.as_ref().and_then(Value::as_object);

    if let Some(reply) = reply
        && (200..300).contains(&status)
        && reply.get("ok").and_then(Value::as_bool) == Some(true)
    {
        let id = reply
            .get("result")
            .and_then(|r| r.get("message_id"))
            .and_then(id_text);
        return Outcome::Delivered(id);
    }

    let code = reply
        .and_then(|r| r.get("error_code"))
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(status);
    let description = reply.map(description).unwrap_or_default();
    let parameters = reply
        .and_then(|r| r.get("parameters"))
        .and_then(Value::as_object);
    let said = |fallback: &str| {
        if description.is_empty() {
            format!("Telegram: {fallback}")
        } else {
            format!("Telegram: {description}")
        }
    };

    if let Some(new_id) = parameters
        .and_then(|p| p.get("migrate_to_chat_id"))
        .and_then(id_text)
    {
        return failed(
            "chat_migrated",
            format!(
                "{}; the chat migrated to {new_id}",
                said("group upgraded to a supergroup")
            ),
            true,
        );
    }
    let retry_after = parameters
        .and_then(|p| p.get("retry_after"))
        .and_then(Value::as_f64);
    if code == 429 || retry_after.is_some() {
        let seconds = retry_after.or_else(|| retry_after_in(&description));
        return retry(
            seconds_to_ms(seconds.unwrap_or(0.0)),
            said("too many requests"),
        );
    }

    let lower = description.to_ascii_lowercase();
    match code {
        200..=299 => retry(
            0,
            format!("Telegram answered {status} without a readable reply"),
        ),
        401 | 404 => failed(
            "bot_token_invalid",
            said("the bot token was refused"),
            false,
        ),
        403 => {
            let blocked = ["bot was blocked", "user is deactivated", "bot was kicked"]
                .iter()
                .any(|s| lower.contains(s));
            let code = if blocked {
                "bot_blocked"
            } else {
                "chat_forbidden"
            };
            failed(code, said("the bot may not write to this chat"), true)
        }
        400 if no_rights(&lower) => failed("chat_forbidden", said("not enough rights"), true),
        400 if chat_gone(&lower) => failed("chat_not_found", said("chat not found"), true),
        400..=499 => failed("bad_request", said(&format!("error {code}")), false),
        500..=599 => retry(0, said(&format!("error {code}"))),
        _ => failed(
            "unexpected_status",
            format!("Telegram answered HTTP {status}"),
            false,
        ),
    }
}

/// The outcome of a request that got no reply.
pub fn transport(error: &HttpError) -> Outcome {
    match error {
        HttpError::Timeout => retry(0, "Telegram did not answer in time".into()),
        HttpError::Connect(m) => retry(0, format!("could not reach Telegram: {m}")),
        HttpError::TooLarge(n) => retry(0, format!("Telegram's reply was too large ({n} bytes)")),
        HttpError::InvalidRequest(m) => failed(
            "bad_request",
            format!("the request to Telegram is invalid: {m}"),
            false,
        ),
    }
}

/// `text` with every occurrence of `secret` (raw or with `:` percent-encoded)
/// replaced. An empty secret changes nothing.
pub fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_string();
    }
    let mut out = text.replace(secret, "<redacted>");
    for encoded in [secret.replace(':', "%3A"), secret.replace(':', "%3a")] {
        if encoded != secret {
            out = out.replace(&encoded, "<redacted>");
        }
    }
    out
}

/// [`scrub`] applied to an outcome's text.
pub fn scrub_outcome(outcome: Outcome, secret: &str) -> Outcome {
    map_outcome_text(outcome, |text| scrub(text, secret))
}

/// `description`, trimmed and cut to [`DESCRIPTION_LIMIT`] characters.
fn description(reply: &Map<String, Value>) -> String {
    let text = reply
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim();
    match text.char_indices().nth(DESCRIPTION_LIMIT) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// Rights errors come as 400 (`not enough rights to send text messages to
/// the chat`, `have no rights to send a message`) as well as 403.
fn no_rights(lower: &str) -> bool {
    [
        "not enough rights",
        "have no rights",
        "chat_write_forbidden",
    ]
    .iter()
    .any(|s| lower.contains(s))
}

fn chat_gone(lower: &str) -> bool {
    [
        "chat not found",
        "peer_id_invalid",
        "group chat was deactivated",
    ]
    .iter()
    .any(|s| lower.contains(s))
}

/// "Too Many Requests: retry after 5" without `parameters`.
fn retry_after_in(description: &str) -> Option<f64> {
    let lower = description.to_ascii_lowercase();
    let rest = &lower[lower.find("retry after ")? + "retry after ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
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

/// A JSON id (number or string) as text.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (code, message, gone) of a failure; panics otherwise.
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

    fn error(code: u16, description: &str) -> (u16, Vec<u8>) {
        let body = serde_json::json!({"ok": false, "error_code": code, "description": description});
        (code, body.to_string().into_bytes())
    }

    #[test]
    fn ok_is_delivered_with_the_message_id() {
        let body =
            br#"{"ok":true,"result":{"message_id":123,"chat":{"id":-100},"date":1,"text":"x"}}"#;
        assert!(matches!(interpret(200, body), Outcome::Delivered(Some(id)) if id == "123"));
        let body = br#"{"ok":true,"result":true}"#;
        assert!(matches!(interpret(200, body), Outcome::Delivered(None)));
    }

    #[test]
    fn unreadable_success_is_retried() {
        for body in [&b"<html>proxy</html>"[..], b"", br#"{"ok":false}"#, b"[1]"] {
            let (after, reason) = retry_of(interpret(200, body));
            assert_eq!(after, 0);
            assert!(reason.contains("200"), "{reason}");
        }
    }

    #[test]
    fn an_error_body_under_status_200_is_read_by_its_error_code() {
        let body = br#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#;
        assert_eq!(failure(interpret(200, body)).0, "bot_blocked");
    }

    #[test]
    fn too_many_requests_retries_after_the_given_seconds() {
        let body = br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}"#;
        let (after, reason) = retry_of(interpret(429, body));
        assert_eq!(after, 5_000);
        assert_eq!(reason, "Telegram: Too Many Requests: retry after 5");
        // Without parameters: read from the description.
        let (status, body) = error(429, "Too Many Requests: retry after 31");
        assert_eq!(retry_of(interpret(status, &body)).0, 31_000);
        // Without either: the host's schedule.
        assert_eq!(retry_of(interpret(429, b"")).0, 0);
    }

    #[test]
    fn blocked_kicked_and_deactivated_are_gone() {
        for d in [
            "Forbidden: bot was blocked by the user",
            "Forbidden: user is deactivated",
            "Forbidden: bot was kicked from the supergroup chat",
        ] {
            let (status, body) = error(403, d);
            let (code, message, gone) = failure(interpret(status, &body));
            assert_eq!(code, "bot_blocked");
            assert_eq!(message, format!("Telegram: {d}"));
            assert!(gone);
        }
    }

    #[test]
    fn missing_rights_are_gone() {
        for (status, d) in [
            (
                403,
                "Forbidden: not enough rights to send text messages to the chat",
            ),
            (
                400,
                "Bad Request: not enough rights to send text messages to the chat",
            ),
            (400, "Bad Request: have no rights to send a message"),
            (403, "Forbidden: bot is not a member of the channel chat"),
            (
                403,
                "Forbidden: bot can't initiate conversation with a user",
            ),
        ] {
            let (s, body) = error(status, d);
            let (code, _, gone) = failure(interpret(s, &body));
            assert_eq!(code, "chat_forbidden", "{d}");
            assert!(gone);
        }
    }

    #[test]
    fn unknown_chats_are_gone() {
        for d in [
            "Bad Request: chat not found",
            "Bad Request: PEER_ID_INVALID",
        ] {
            let (status, body) = error(400, d);
            let (code, _, gone) = failure(interpret(status, &body));
            assert_eq!(code, "chat_not_found");
            assert!(gone);
        }
    }

    #[test]
    fn a_migrated_group_names_its_new_id() {
        let body = br#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234567890}}"#;
        let (code, message, gone) = failure(interpret(400, body));
        assert_eq!(code, "chat_migrated");
        assert!(message.ends_with("migrated to -1001234567890"), "{message}");
        assert!(gone);
    }

    #[test]
    fn a_refused_token_is_not_the_destinations_fault() {
        for status in [401, 404] {
            let (s, body) = error(status, "Unauthorized");
            let (code, _, gone) = failure(interpret(s, &body));
            assert_eq!(code, "bot_token_invalid");
            assert!(!gone);
        }
        // A bare 404 from something else at the URL reads the same.
        assert_eq!(failure(interpret(404, b"Not Found")).0, "bot_token_invalid");
    }

    #[test]
    fn other_client_errors_are_bad_requests() {
        let (status, body) = error(400, "Bad Request: can't parse entities: unexpected end tag");
        let (code, message, gone) = failure(interpret(status, &body));
        assert_eq!(code, "bad_request");
        assert!(message.contains("can't parse entities"));
        assert!(!gone);
        let (code, message, _) = failure(interpret(413, b""));
        assert_eq!(code, "bad_request");
        assert_eq!(message, "Telegram: error 413");
    }

    #[test]
    fn server_errors_are_retried_on_the_hosts_schedule() {
        for status in [500, 502, 503, 504] {
            let (after, reason) = retry_of(interpret(status, b"<html>bad gateway</html>"));
            assert_eq!(after, 0);
            assert_eq!(reason, format!("Telegram: error {status}"));
        }
        let (status, body) = error(502, "Bad Gateway");
        assert_eq!(
            retry_of(interpret(status, &body)).1,
            "Telegram: Bad Gateway"
        );
    }

    #[test]
    fn redirects_are_unexpected() {
        let (code, _, gone) = failure(interpret(302, b""));
        assert_eq!(code, "unexpected_status");
        assert!(!gone);
    }

    #[test]
    fn long_descriptions_are_cut() {
        let (status, body) = error(400, &"z".repeat(5_000));
        let (_, message, _) = failure(interpret(status, &body));
        assert!(message.chars().count() < 400);
    }

    #[test]
    fn transport_errors() {
        assert_eq!(retry_of(transport(&HttpError::Timeout)).0, 0);
        let (after, reason) = retry_of(transport(&HttpError::Connect("dns".into())));
        assert_eq!(
            (after, reason.as_str()),
            (0, "could not reach Telegram: dns")
        );
        assert_eq!(retry_of(transport(&HttpError::TooLarge(9_000_000))).0, 0);
        let (code, _, gone) = failure(transport(&HttpError::InvalidRequest("bad url".into())));
        assert_eq!(code, "bad_request");
        assert!(!gone);
    }

    #[test]
    fn scrub_hides_the_token() {
        let token = "123456:ABC-def";
        let text = "connect to https://api.telegram.org/bot123456:ABC-def/sendMessage \
                    (bot123456%3AABC-def) failed";
        let clean = scrub(text, token);
        assert!(!clean.contains("ABC-def"), "{clean}");
        assert_eq!(scrub("nothing here", ""), "nothing here");

        let outcome = transport(&HttpError::InvalidRequest(format!("bad url /bot{token}/x")));
        let (_, message, _) = failure(scrub_outcome(outcome, token));
        assert_eq!(
            message,
            "the request to Telegram is invalid: bad url /bot<redacted>/x"
        );
        let outcome = transport(&HttpError::Connect(format!("refused /bot{token}")));
        assert!(!retry_of(scrub_outcome(outcome, token)).1.contains(token));
    }

    #[test]
    fn fractional_and_odd_retry_afters() {
        assert_eq!(seconds_to_ms(1.5), 1_500);
        assert_eq!(seconds_to_ms(0.0001), 1);
        assert_eq!(seconds_to_ms(-3.0), 0);
        assert_eq!(seconds_to_ms(f64::NAN), 0);
        assert_eq!(seconds_to_ms(1e300), u64::MAX);
    }
}
