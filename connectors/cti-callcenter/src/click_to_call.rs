//! §2.1 click-to-call: the CRM asks the PBX to ring an extension and then
//! dial a number.
//!
//! ```text
//! GET https://{ip_tong_dai}/wsapi/{customer}/click2call.php?secret={secret}&extension={extension}&phone={phone}&userfield={userfield}
//! ```
//!
//! The document gives the request only: not the reply, nor how errors look.
//! [`result`] reads the reply tolerantly (see its doc). Everything here is
//! pure; the `CallControl` impl in `lib.rs` does the host calls.

use serde_json::Value;
use switchboard_sdk::host::http::HttpError;
use switchboard_sdk::prelude::*;
use switchboard_sdk::query::encode;

use crate::Settings;
use crate::recording::origin;

/// The PBX may wait for the extension to pick up before answering; the host
/// caps every request at its own limit (10 s by default) anyway.
pub const TIMEOUT_MS: u32 = 10_000;

/// Longest piece of a PBX reply quoted in a message.
const QUOTE_CHARS: usize = 200;

/// The request to send: always a `GET` with everything in the query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbxRequest {
    pub method: &'static str,
    pub url: String,
}

/// Builds the click-to-call request. `secret` is the one the PBX issued
/// (`pbxSecret`, else `secret`), `extension` the one [`extension`] chose.
/// Parameters go in the document's order; `userfield` is always sent, empty
/// when the dial request has none (a PHP script reading it unguarded would
/// otherwise print a warning into its reply).
pub fn request(
    settings: &Settings,
    secret: &str,
    extension: &str,
    dial: &DialRequest,
) -> Result<PbxRequest, ConnectorError> {
    let base = base_url(settings.pbx_url.as_deref())?;
    let customer = settings.customer.as_deref().ok_or_else(|| {
        ConnectorError::Config("setting `customer` is missing (the PBX's customer code)".into())
    })?;
    let phone = dial_number(&dial.phone, &settings.default_country_code)?;
    let userfield = dial.userfield.as_deref().unwrap_or("");
    let url = format!(
        "{base}/wsapi/{}/click2call.php?secret={}&extension={}&phone={}&userfield={}",
        encode(customer),
        encode(secret),
        encode(extension),
        encode(&phone),
        encode(userfield),
    );
    Ok(PbxRequest { method: "GET", url })
}

/// `pbxUrl` without a trailing `/`: an `http(s)` URL with a host and no
/// query or fragment (`https://pbx.example.vn`, `http://10.0.0.5:8080/pbx`).
fn base_url(pbx_url: Option<&str>) -> Result<&str, ConnectorError> {
    let raw = pbx_url.ok_or_else(|| {
        ConnectorError::Config("setting `pbxUrl` is missing (the PBX's base URL)".into())
    })?;
    let base = raw.trim().trim_end_matches('/');
    if origin(base).is_none() || base.contains(['?', '#']) {
        return Err(ConnectorError::Config(format!(
            "setting `pbxUrl` must be the PBX's base URL such as `https://pbx.example.vn`, got `{raw}`"
        )));
    }
    Ok(base)
}

/// The number as the PBX dials it. The document shows national numbers
/// (`090xxxxxxx`), so E.164 in the installation's country becomes
/// `0` + the national number (`+84904824242` → `0904824242`) and other
/// E.164 numbers get the `00` international prefix (`+6621234567` →
/// `006621234567`). Anything without `+` is dialled as given, minus spaces,
/// dashes, dots and brackets.
pub fn dial_number(phone: &str, country: &str) -> Result<String, ConnectorError> {
    let cleaned: String = phone
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '/' | '\u{a0}'))
        .collect();
    let (plus, digits) = match cleaned.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    if digits.is_empty() {
        return Err(ConnectorError::BadRequest(
            "click-to-call needs a `phone` to dial".into(),
        ));
    }
    let allowed = |c: char| c.is_ascii_digit() || (!plus && matches!(c, '*' | '#'));
    if !digits.chars().all(allowed) {
        return Err(ConnectorError::BadRequest(format!(
            "`phone` is not a number the PBX can dial: `{phone}`"
        )));
    }
    Ok(match (plus, digits.strip_prefix(country)) {
        (true, Some(national)) if !national.is_empty() => format!("0{national}"),
        (true, _) => format!("00{digits}"),
        (false, _) => digits.to_string(),
    })
}

/// The extension to ring first: the dial request's own, else the extension
/// of the directory user whose id (or PBX user id) is `user-id`. `users` is
/// called only in the second case.
pub fn extension(
    dial: &DialRequest,
    users: impl FnOnce() -> Vec<DirectoryUser>,
) -> Result<String, ConnectorError> {
    if let Some(ext) = dial
        .extension
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        return Ok(ext.to_string());
    }
    let Some(user_id) = dial
        .user_id
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    else {
        return Err(ConnectorError::BadRequest(
            "click-to-call needs an `extension` (or a `user-id` with an extension in the directory)"
                .into(),
        ));
    };
    users()
        .into_iter()
        .filter(|u| u.id == user_id || u.pbx_user_id.as_deref() == Some(user_id))
        .find_map(|u| u.extension.filter(|e| !e.trim().is_empty()))
        .map(|e| e.trim().to_string())
        .ok_or_else(|| {
            ConnectorError::BadRequest(format!(
                "no extension for user `{user_id}` in the directory"
            ))
        })
}

/// Reads the PBX's reply.
///
/// - `401` / `403` → `bad-credentials`; a `3xx` (redirects are not
///   followed) or any other non-`2xx` → `upstream`.
/// - A `2xx` is a success unless its body says otherwise:
///   - a JSON object with `success`/`ok` false, `status`/`result`/`code` a
///     failure word (`error`, `fail`, `failed`, `failure`, `false`, `denied`,
///     `invalid`, `unauthorized`, `ko`, `nok`) or a number 400–599, or a
///     truthy `error`;
///   - or a text body starting with one of those words (or exactly `0`).
///
///   A failure is `bad-credentials` when it reads like an authentication
///   problem (`secret`, `auth`, `xác thực`, `forbidden`, `denied`, `token`,
///   `key`, a 401/403 code), else `upstream`; its message quotes the PBX.
/// - On success the call id comes from `callid`, `call_id`, `uniqueid`,
///   `linkedid` or `id` when the reply is JSON; the message is the PBX's
///   `message`/`msg`, or the text reply, or a sentence of our own.
pub fn result(status: u16, body: &[u8], extension: &str) -> Result<DialResult, ConnectorError> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match status {
        200..=299 => {}
        401 | 403 => {
            return Err(ConnectorError::BadCredentials(format!(
                "the PBX refused the click-to-call secret (HTTP {status}){}",
                quoted(text)
            )));
        }
        300..=399 => {
            return Err(ConnectorError::Upstream(format!(
                "the PBX redirected click-to-call (HTTP {status}); check `pbxUrl` (http or https?)"
            )));
        }
        _ => {
            return Err(ConnectorError::Upstream(format!(
                "the PBX answered click-to-call with HTTP {status}{}",
                quoted(text)
            )));
        }
    }
    let accepted = || format!("click-to-call accepted by the PBX for extension {extension}");
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => {
            let get = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|n| map.get(*n))
                    .filter(|v| !v.is_null())
            };
            let message = get(&["message", "msg", "description", "reason", "detail"])
                .map(value_text)
                .filter(|m| !m.is_empty());
            let error = get(&["error"]).filter(|v| truthy(v));
            let failed = error.is_some()
                || get(&["success", "ok"]).is_some_and(falsy)
                || get(&["status", "result", "code"]).is_some_and(failure_value);
            if failed {
                let message = message
                    .or_else(|| error.filter(|v| v.is_string()).map(value_text))
                    .unwrap_or_else(|| text.to_string());
                let auth = get(&["status", "result", "code"]).is_some_and(auth_code)
                    || reads_like_auth(&message);
                return Err(failure(auth, &message));
            }
            let external_id = get(&["callid", "call_id", "uniqueid", "linkedid", "id"])
                .filter(|v| v.is_string() || v.is_number())
                .map(value_text)
                .filter(|id| !id.is_empty());
            Ok(DialResult {
                external_id,
                message: message.unwrap_or_else(accepted),
            })
        }
        _ => {
            if failure_text(text) {
                return Err(failure(reads_like_auth(text), text));
            }
            let message = if text.is_empty() {
                accepted()
            } else {
                shorten(text)
            };
            Ok(DialResult {
                external_id: None,
                message,
            })
        }
    }
}

/// A failed request, without the secret: a transport error's text may
/// quote the URL, whose query carries it.
pub fn transport_error(err: HttpError, secret: &str) -> ConnectorError {
    let redact = |m: String| {
        if secret.is_empty() {
            m
        } else {
            m.replace(&encode(secret), "***").replace(secret, "***")
        }
    };
    match err.into_connector_error() {
        ConnectorError::Unreachable(m) => ConnectorError::Unreachable(redact(m)),
        ConnectorError::Upstream(m) => ConnectorError::Upstream(redact(m)),
        ConnectorError::Config(m) => ConnectorError::Config(redact(m)),
        other => other,
    }
}

/// The secret to send: `pbxSecret` when set, else the inbound `secret`
/// (many installations use one shared value). Blank counts as unset.
pub fn pick_secret(
    pbx_secret: Option<String>,
    secret: Option<String>,
) -> Result<String, ConnectorError> {
    pbx_secret
        .filter(|s| !s.is_empty())
        .or(secret.filter(|s| !s.is_empty()))
        .ok_or_else(|| {
            ConnectorError::Config(
                "secret `pbxSecret` (or `secret`) is missing: click-to-call needs the PBX's secret"
                    .into(),
            )
        })
}

fn failure(auth: bool, message: &str) -> ConnectorError {
    let message = format!("the PBX refused click-to-call: {}", shorten(message));
    if auth {
        ConnectorError::BadCredentials(message)
    } else {
        ConnectorError::Upstream(message)
    }
}

const FAILURE_WORDS: &[&str] = &[
    "error",
    "fail",
    "failed",
    "failure",
    "false",
    "denied",
    "invalid",
    "unauthorized",
    "unauthorised",
    "ko",
    "nok",
];

fn failure_value(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_u64().is_some_and(|n| (400..=599).contains(&n)),
        Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            FAILURE_WORDS.contains(&s.as_str())
                || s.parse::<u64>().is_ok_and(|n| (400..=599).contains(&n))
        }
        _ => false,
    }
}

fn auth_code(v: &Value) -> bool {
    let s = value_text(v).to_ascii_lowercase();
    matches!(
        s.as_str(),
        "401" | "403" | "unauthorized" | "unauthorised" | "denied"
    )
}

fn failure_text(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let first = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("");
    lower == "0" || FAILURE_WORDS.contains(&first) || first.starts_with("unauthori")
}

fn reads_like_auth(text: &str) -> bool {
    let lower = text.to_lowercase();
    [
        "secret",
        "auth",
        "xác thực",
        "forbidden",
        "denied",
        "token",
        "key",
        "password",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

fn falsy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "false" | "0" | "no"),
        _ => false,
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "false" | "no" | "none" | "null"
        ),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    }
}

fn quoted(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(": {}", shorten(text))
    }
}

fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(QUOTE_CHARS).collect();
    if text.chars().count() > QUOTE_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::vietnam;

    fn dial(extension: Option<&str>, phone: &str, userfield: Option<&str>) -> DialRequest {
        DialRequest {
            extension: extension.map(str::to_string),
            user_id: None,
            phone: phone.into(),
            userfield: userfield.map(str::to_string),
        }
    }

    fn configured() -> Settings {
        Settings {
            customer: Some("ACME".into()),
            pbx_url: Some("https://pbx.example.vn/".into()),
            ..vietnam()
        }
    }

    fn user(id: &str, pbx_user_id: Option<&str>, extension: Option<&str>) -> DirectoryUser {
        DirectoryUser {
            id: id.into(),
            name: id.into(),
            email: None,
            extension: extension.map(str::to_string),
            pbx_user_id: pbx_user_id.map(str::to_string),
        }
    }

    #[test]
    fn request_shape() {
        let r = request(
            &configured(),
            "s3cr3t",
            "101",
            &dial(Some("101"), "+84904824242", Some("order-77")),
        )
        .unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(
            r.url,
            "https://pbx.example.vn/wsapi/ACME/click2call.php?secret=s3cr3t&extension=101&phone=0904824242&userfield=order-77"
        );
    }

    #[test]
    fn request_encodes_and_sends_an_empty_userfield() {
        let settings = Settings {
            customer: Some("khách hàng".into()),
            pbx_url: Some("http://10.0.0.5:8080/pbx".into()),
            ..vietnam()
        };
        let r = request(
            &settings,
            "a&b=c d",
            "101",
            &dial(Some("101"), "0904824242", None),
        )
        .unwrap();
        assert_eq!(
            r.url,
            "http://10.0.0.5:8080/pbx/wsapi/kh%C3%A1ch%20h%C3%A0ng/click2call.php?secret=a%26b%3Dc%20d&extension=101&phone=0904824242&userfield="
        );
    }

    #[test]
    fn request_needs_its_settings() {
        let d = dial(Some("101"), "0904824242", None);
        for (settings, needle) in [
            (
                Settings {
                    pbx_url: None,
                    ..configured()
                },
                "`pbxUrl` is missing",
            ),
            (
                Settings {
                    pbx_url: Some("pbx.example.vn".into()),
                    ..configured()
                },
                "`pbxUrl` must be",
            ),
            (
                Settings {
                    pbx_url: Some("https://pbx/?x=1".into()),
                    ..configured()
                },
                "`pbxUrl` must be",
            ),
            (
                Settings {
                    customer: None,
                    ..configured()
                },
                "`customer` is missing",
            ),
        ] {
            let err = request(&settings, "s", "101", &d).unwrap_err();
            assert!(
                matches!(err, ConnectorError::Config(ref m) if m.contains(needle)),
                "{settings:?}: {err:?}"
            );
        }
    }

    #[test]
    fn numbers_to_dial() {
        for (phone, want) in [
            ("+84904824242", "0904824242"),
            ("+84 90 482 42 42", "0904824242"),
            ("0904824242", "0904824242"),
            ("090-482.4242", "0904824242"),
            ("+6621234567", "006621234567"),
            ("102", "102"),
            ("*97", "*97"),
        ] {
            assert_eq!(dial_number(phone, "84").unwrap(), want, "{phone}");
        }
        for phone in ["", "  ", "+", "abc", "+84*1", "090 xxx"] {
            let err = dial_number(phone, "84").unwrap_err();
            assert!(
                matches!(err, ConnectorError::BadRequest(ref m) if m.contains("phone")),
                "{phone}: {err:?}"
            );
        }
    }

    #[test]
    fn extension_from_the_request_or_the_directory() {
        let no_directory = || -> Vec<DirectoryUser> { panic!("directory not needed") };
        assert_eq!(
            extension(&dial(Some(" 101 "), "1", None), no_directory).unwrap(),
            "101"
        );

        let directory = || {
            vec![
                user("u-1", None, None),
                user("u-2", Some("pbx-7"), Some("107")),
                user("u-3", None, Some("103")),
            ]
        };
        let mut d = dial(None, "0904824242", None);
        d.user_id = Some("u-3".into());
        assert_eq!(extension(&d, directory).unwrap(), "103");
        d.user_id = Some("pbx-7".into());
        assert_eq!(extension(&d, directory).unwrap(), "107");
        d.extension = Some(" ".into());
        assert_eq!(extension(&d, directory).unwrap(), "107");

        d.user_id = Some("u-1".into());
        let err = extension(&d, directory).unwrap_err();
        assert!(matches!(err, ConnectorError::BadRequest(ref m) if m.contains("`u-1`")));
        d.user_id = None;
        let err = extension(&d, directory).unwrap_err();
        assert!(matches!(err, ConnectorError::BadRequest(ref m) if m.contains("`extension`")));
    }

    #[test]
    fn successful_replies() {
        let ok = |body: &str| result(200, body.as_bytes(), "101").unwrap();
        let r = ok("");
        assert_eq!(r.external_id, None);
        assert_eq!(
            r.message,
            "click-to-call accepted by the PBX for extension 101"
        );
        assert_eq!(ok("OK").message, "OK");
        assert_eq!(ok("1").message, "1");
        let r = ok(r#"{"status":"success","message":"Calling","callid":"1565944170.123"}"#);
        assert_eq!(r.external_id.as_deref(), Some("1565944170.123"));
        assert_eq!(r.message, "Calling");
        let r = ok(r#"{"success":true,"uniqueid":1565944170.5,"error":""}"#);
        assert_eq!(r.external_id.as_deref(), Some("1565944170.5"));
        assert_eq!(ok(r#"{"code":0,"id":""}"#).external_id, None);
        assert_eq!(ok(r#"{"status":200}"#).external_id, None);
        assert!(result(204, b"", "101").is_ok());
    }

    #[test]
    fn http_failures() {
        let err = result(401, b"Unauthorized", "101").unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadCredentials(ref m) if m.contains("401") && m.contains("Unauthorized")),
            "{err:?}"
        );
        assert!(matches!(
            result(403, b"", "101"),
            Err(ConnectorError::BadCredentials(_))
        ));
        let err = result(301, b"", "101").unwrap_err();
        assert!(
            matches!(err, ConnectorError::Upstream(ref m) if m.contains("pbxUrl")),
            "{err:?}"
        );
        for status in [400, 404, 500, 502] {
            let err = result(status, b"<html>boom</html>", "101").unwrap_err();
            assert!(
                matches!(err, ConnectorError::Upstream(ref m) if m.contains(&status.to_string()) && m.contains("boom")),
                "{err:?}"
            );
        }
        let long = "x".repeat(1000);
        let err = result(500, long.as_bytes(), "101").unwrap_err();
        assert!(err.message().chars().count() < 300);
    }

    #[test]
    fn failures_inside_a_200() {
        let upstream = |body: &str| match result(200, body.as_bytes(), "101") {
            Err(ConnectorError::Upstream(m)) => m,
            other => panic!("{body}: expected upstream, got {other:?}"),
        };
        let credentials = |body: &str| match result(200, body.as_bytes(), "101") {
            Err(ConnectorError::BadCredentials(m)) => m,
            other => panic!("{body}: expected bad-credentials, got {other:?}"),
        };
        assert!(
            upstream(r#"{"status":"error","message":"Extension 101 is offline"}"#)
                .contains("offline")
        );
        assert!(upstream(r#"{"success":false}"#).contains("success"));
        assert!(upstream(r#"{"result":"FAILED","msg":"busy"}"#).contains("busy"));
        assert!(upstream(r#"{"error":"extension not registered"}"#).contains("not registered"));
        assert!(upstream(r#"{"code":500}"#).contains("500"));
        assert!(upstream("Error: extension not found").contains("not found"));
        assert!(upstream("0").contains('0'));
        assert!(upstream("false").contains("false"));
        assert!(
            credentials(r#"{"status":"error","message":"Invalid secret"}"#)
                .contains("Invalid secret")
        );
        assert!(credentials(r#"{"status":401}"#).contains("401"));
        assert!(credentials(r#"{"error":"Sai mã xác thực"}"#).contains("xác thực"));
        assert!(credentials("Unauthorized").contains("Unauthorized"));
        assert!(credentials("invalid secret").contains("secret"));
    }

    #[test]
    fn transport_errors_hide_the_secret() {
        let err = transport_error(
            HttpError::Connect("connect to https://pbx/x?secret=a%26b failed (a&b)".into()),
            "a&b",
        );
        assert!(
            matches!(err, ConnectorError::Unreachable(ref m) if !m.contains("a&b") && !m.contains("a%26b") && m.contains("***")),
            "{err:?}"
        );
        assert!(matches!(
            transport_error(HttpError::Timeout, "s"),
            ConnectorError::Unreachable(_)
        ));
        assert!(matches!(
            transport_error(HttpError::TooLarge(9), "s"),
            ConnectorError::Upstream(_)
        ));
        let err = transport_error(
            HttpError::InvalidRequest("bad url https://x?secret=s3cr3t".into()),
            "s3cr3t",
        );
        assert!(
            matches!(err, ConnectorError::Config(ref m) if !m.contains("s3cr3t")),
            "{err:?}"
        );
    }

    #[test]
    fn secrets_to_send() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(pick_secret(s("pbx"), s("in")).unwrap(), "pbx");
        assert_eq!(pick_secret(s(""), s("in")).unwrap(), "in");
        assert_eq!(pick_secret(None, s("in")).unwrap(), "in");
        assert!(matches!(
            pick_secret(None, s("")),
            Err(ConnectorError::Config(_))
        ));
        assert!(matches!(
            pick_secret(None, None),
            Err(ConnectorError::Config(_))
        ));
    }
}
