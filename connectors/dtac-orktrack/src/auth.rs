//! The login reply and the cached access token.

use serde_json::{Value, json};
use switchboard_sdk::prelude::*;

use crate::errors::{self, Step};

/// How long a token is reused when the login reply gives no lifetime
/// (**guess**: OrkTrack sessions are assumed to last at least this long; a
/// 401 before then triggers one re-login anyway).
pub const DEFAULT_TTL_MS: i64 = 15 * 60 * 1000;
/// Tokens are renewed this long before they expire.
const SAFETY_MS: i64 = 60 * 1000;
/// The installation-state key of the cached token.
pub const STATE_KEY: &str = "orktrack.token";

/// An access token and when to stop using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub value: String,
    pub expires_at_ms: i64,
}

/// Reads the login reply: 2xx JSON with `accesstoken` (a GUID). Also
/// accepted: `accessToken`, `access_token`, `token`. A lifetime in seconds is
/// taken from `expiresin`/`expiresIn`/`expires_in` when present.
pub fn parse_login(
    host: &str,
    status: u16,
    body: &[u8],
    now_ms: i64,
) -> Result<Token, ConnectorError> {
    if !(200..300).contains(&status) {
        return Err(errors::status(Step::Login, host, status));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| errors::shape(Step::Login, host, errors::describe_body(body)))?;
    let token = ["accesstoken", "accessToken", "access_token", "token"]
        .iter()
        .find_map(|k| value.get(k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| errors::shape(Step::Login, host, "JSON without an `accesstoken`"))?;
    let ttl_ms = ["expiresin", "expiresIn", "expires_in"]
        .iter()
        .find_map(|k| value.get(k).and_then(seconds))
        .filter(|s| *s > 0)
        .map(|s| s.saturating_mul(1000))
        .unwrap_or(DEFAULT_TTL_MS);
    Ok(Token {
        value: token.to_string(),
        expires_at_ms: now_ms.saturating_add(ttl_ms),
    })
}

fn seconds(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Identifies whose token it is, so a changed base URL or username never
/// reuses an old token.
pub fn owner(base_url: &str, username: &str) -> String {
    format!("{base_url} {username}")
}

pub fn encode_cache(token: &Token, owner: &str) -> String {
    json!({"token": token.value, "expiresAt": token.expires_at_ms, "owner": owner}).to_string()
}

/// The cached token, if it belongs to `owner` and is not about to expire.
pub fn decode_cache(raw: &str, owner: &str, now_ms: i64) -> Option<Token> {
    let v: Value = serde_json::from_str(raw).ok()?;
    if v.get("owner")?.as_str()? != owner {
        return None;
    }
    let token = Token {
        value: v.get("token")?.as_str()?.to_string(),
        expires_at_ms: v.get("expiresAt")?.as_i64()?,
    };
    (token.expires_at_ms - SAFETY_MS > now_ms).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::BAD_CREDENTIALS;

    const HOST: &str = "onecallvoicerecord.dtac.co.th";

    #[test]
    fn reads_the_access_token() {
        let body = br#"{"accesstoken":"3f2b8c1a-5d4e-4f6a-9b7c-0e1d2c3b4a59","username":"admin","licenseinfo":{"maxchannels":30},"accesspolicy":[]}"#;
        let t = parse_login(HOST, 200, body, 1_000).unwrap();
        assert_eq!(t.value, "3f2b8c1a-5d4e-4f6a-9b7c-0e1d2c3b4a59");
        assert_eq!(t.expires_at_ms, 1_000 + DEFAULT_TTL_MS);
    }

    #[test]
    fn uses_a_lifetime_when_given() {
        let t = parse_login(HOST, 200, br#"{"accessToken":"x","expiresIn":"600"}"#, 0).unwrap();
        assert_eq!(t.expires_at_ms, 600_000);
    }

    #[test]
    fn rejected_credentials() {
        let e = parse_login(HOST, 401, b"", 0).unwrap_err();
        assert!(matches!(&e, ConnectorError::BadCredentials(m) if m == BAD_CREDENTIALS));
    }

    #[test]
    fn html_or_other_json_means_wrong_base_url() {
        let e = parse_login(HOST, 200, b"<html><body>Welcome</body></html>", 0).unwrap_err();
        assert!(
            matches!(&e, ConnectorError::Upstream(m) if m.contains("HTML") && m.contains("check baseUrl"))
        );
        let e = parse_login(HOST, 200, br#"{"status":"ok"}"#, 0).unwrap_err();
        assert!(matches!(&e, ConnectorError::Upstream(m) if m.contains("accesstoken")));
        let e = parse_login(HOST, 404, b"Not Found", 0).unwrap_err();
        assert!(matches!(&e, ConnectorError::Upstream(m) if m.contains("check baseUrl")));
    }

    #[test]
    fn cache_round_trips_and_expires() {
        let t = Token {
            value: "abc".into(),
            expires_at_ms: 10 * 60_000,
        };
        let raw = encode_cache(&t, "o");
        assert_eq!(decode_cache(&raw, "o", 0), Some(t));
        assert_eq!(decode_cache(&raw, "other", 0), None);
        // Within a minute of expiry it is renewed.
        assert_eq!(decode_cache(&raw, "o", 9 * 60_000 + 1), None);
        assert_eq!(decode_cache("garbage", "o", 0), None);
    }
}
