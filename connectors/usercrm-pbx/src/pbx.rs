//! Calling the PBX: `POST {pbxUrl}/integration/usercrm/` with
//! `Authorization: Bearer <pbxApiKey>` and the envelope
//! `{"action", "obj": "UserCRM", "action_id", "params", …}`, and reading
//! what comes back.

use serde_json::{Map, Value, json};
use switchboard_sdk::prelude::*;

use crate::envelope::{self, OBJ};

/// The seed's path below `{{v2_host}}`.
pub const PATH: &str = "/integration/usercrm/";

/// Longest part of a PBX reply quoted in an error.
const SNIPPET_CHARS: usize = 200;

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct PbxRequest {
    pub url: String,
    pub body: Value,
}

/// The endpoint for `pbxUrl`: the PBX's base URL (`https://pbx.example.ru`)
/// with the seed's path appended. A URL that already ends in
/// `/integration/usercrm` is used as it is. No `pbxUrl`, or one that is not
/// `http(s)://host…`, is a `config` error.
pub fn endpoint(pbx_url: Option<&str>) -> Result<String, ConnectorError> {
    let raw = pbx_url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ConnectorError::Config("setting `pbxUrl` is missing".into()))?;
    let lower = raw.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    if !rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/')) || raw.contains(['?', '#']) {
        return Err(ConnectorError::Config(format!(
            "setting `pbxUrl` must be the PBX's base URL, like `https://pbx.example.ru`, got `{raw}`"
        )));
    }
    let base = raw.trim_end_matches('/');
    if base
        .to_ascii_lowercase()
        .ends_with(PATH.trim_end_matches('/'))
    {
        Ok(format!("{base}/"))
    } else {
        Ok(format!("{base}{PATH}"))
    }
}

/// `{"action", "obj": "UserCRM", "action_id", "params"}`.
pub fn envelope(action: &str, action_id: &str, params: Map<String, Value>) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("action".into(), json!(action));
    map.insert("obj".into(), json!(OBJ));
    map.insert("action_id".into(), json!(action_id));
    map.insert("params".into(), Value::Object(params));
    map
}

/// Reads the PBX's answer to one of our requests.
///
/// - HTTP 401 or 403 → `bad-credentials`; any other non-2xx → `upstream`
///   (with the status and the start of the body).
/// - 2xx with a JSON body carrying a `code` (the PBX's envelope: `"code":
///   200`): 401/403 → `bad-credentials`, anything outside 200–299 →
///   `upstream`.
/// - Otherwise success: the JSON body, or `None` when it is empty or not
///   JSON (the seed shows no replies to `make_call` and `switch_call_hold`).
pub fn check(action: &str, status: u16, body: &[u8]) -> Result<Option<Value>, ConnectorError> {
    let text = String::from_utf8_lossy(body);
    if status == 401 || status == 403 {
        return Err(ConnectorError::BadCredentials(format!(
            "the PBX refused `pbxApiKey` for `{action}` (HTTP {status})"
        )));
    }
    if !(200..300).contains(&status) {
        return Err(ConnectorError::Upstream(format!(
            "the PBX answered `{action}` with HTTP {status}: {}",
            snippet(&text)
        )));
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Ok(None);
    };
    if let Some(code) = envelope::text(&value, "code") {
        let numeric = code.parse::<f64>().ok();
        if matches!(numeric, Some(c) if c == 401.0 || c == 403.0) {
            return Err(ConnectorError::BadCredentials(format!(
                "the PBX refused `pbxApiKey` for `{action}` (code {code})"
            )));
        }
        if !numeric.is_some_and(|c| (200.0..300.0).contains(&c)) {
            return Err(ConnectorError::Upstream(format!(
                "the PBX answered `{action}` with code {code}: {}",
                snippet(&text)
            )));
        }
    }
    Ok(Some(value))
}

fn snippet(text: &str) -> String {
    let text = text.trim();
    let mut out: String = text.chars().take(SNIPPET_CHARS).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        for (base, want) in [
            (
                "https://pbx.example.ru",
                "https://pbx.example.ru/integration/usercrm/",
            ),
            (
                "https://pbx.example.ru/",
                "https://pbx.example.ru/integration/usercrm/",
            ),
            (
                "http://10.0.0.5:8080",
                "http://10.0.0.5:8080/integration/usercrm/",
            ),
            (
                "https://pbx.example.ru/v2",
                "https://pbx.example.ru/v2/integration/usercrm/",
            ),
            (
                "https://pbx.example.ru/integration/usercrm",
                "https://pbx.example.ru/integration/usercrm/",
            ),
            (
                " https://pbx.example.ru/integration/usercrm/ ",
                "https://pbx.example.ru/integration/usercrm/",
            ),
        ] {
            assert_eq!(endpoint(Some(base)).unwrap(), want, "{base}");
        }
        for bad in [
            None,
            Some(""),
            Some("pbx.example.ru"),
            Some("ftp://x"),
            Some("https://"),
            Some("https:///x"),
            Some("https://x/?a=1"),
        ] {
            let err = endpoint(bad).unwrap_err();
            assert!(
                matches!(err, ConnectorError::Config(ref m) if m.contains("pbxUrl")),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn http_statuses() {
        assert!(matches!(
            check("make_call", 401, b""),
            Err(ConnectorError::BadCredentials(_))
        ));
        assert!(matches!(
            check("make_call", 403, b"no"),
            Err(ConnectorError::BadCredentials(_))
        ));
        let err = check("make_call", 500, b"boom").unwrap_err();
        assert!(
            matches!(err, ConnectorError::Upstream(ref m) if m.contains("500") && m.contains("boom"))
        );
        assert!(matches!(
            check("make_call", 302, b""),
            Err(ConnectorError::Upstream(_))
        ));
        assert_eq!(check("make_call", 200, b"").unwrap(), None);
        assert_eq!(check("make_call", 204, b"OK").unwrap(), None);
    }

    #[test]
    fn envelope_codes() {
        let ok = check("get_cdr", 200, br#"{"code": 200, "body": []}"#).unwrap();
        assert_eq!(ok, Some(json!({"code": 200, "body": []})));
        assert!(check("get_cdr", 200, br#"{"code": "200"}"#).is_ok());
        assert!(check("get_cdr", 200, br#"{"body": []}"#).is_ok());
        assert!(matches!(
            check("get_cdr", 200, br#"{"code": 401}"#),
            Err(ConnectorError::BadCredentials(_))
        ));
        let err = check(
            "get_cdr",
            200,
            br#"{"code": 400, "notifies": ["bad user"]}"#,
        )
        .unwrap_err();
        assert!(
            matches!(err, ConnectorError::Upstream(ref m) if m.contains("bad user")),
            "{err:?}"
        );
        assert!(matches!(
            check("get_cdr", 200, br#"{"code": "error"}"#),
            Err(ConnectorError::Upstream(_))
        ));
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = "x".repeat(1000);
        let err = check("get_cdr", 502, body.as_bytes()).unwrap_err();
        assert!(err.message().chars().count() < 300, "{}", err.message());
    }
}
