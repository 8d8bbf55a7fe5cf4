//! OAuth client credentials against `POST {baseUrl}/connect/token`, and the
//! cached token kept in installation state.
//!
//! 3CX keeps one access token active per API client, so every call of this
//! installation shares one cached token and fetches a new one only when it is
//! about to expire (or the XAPI refused it).

use serde_json::{Value, json};
use switchboard_sdk::host::http::Response;
use switchboard_sdk::prelude::*;
use switchboard_sdk::query::encode;

use crate::errors::{check_baseurl, looks_like_html, token_status};

/// State key of the cached token.
pub const STATE_KEY: &str = "threecx.token";
/// Reuse a token until this long before it expires.
pub const MARGIN_MS: i64 = 60_000;
/// Lifetime assumed when the answer has no `expires_in`.
pub const DEFAULT_LIFETIME_SEC: i64 = 300;

/// `client_id=..&client_secret=..&grant_type=client_credentials`.
pub fn form_body(client_id: &str, client_secret: &str) -> String {
    format!(
        "client_id={}&client_secret={}&grant_type=client_credentials",
        encode(client_id),
        encode(client_secret)
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub access_token: String,
    /// Milliseconds since the epoch.
    pub expires_at: i64,
    /// Which base URL and client it belongs to (never the secret).
    pub owner: String,
}

impl Token {
    /// Usable now: not within [`MARGIN_MS`] (or half its lifetime, for short
    /// ones) of expiry, and issued for this base URL and client.
    pub fn usable(&self, now_ms: i64, owner: &str) -> bool {
        self.owner == owner && now_ms < self.expires_at - MARGIN_MS
    }

    pub fn encode(&self) -> String {
        json!({"accessToken": self.access_token, "expiresAt": self.expires_at, "owner": self.owner})
            .to_string()
    }

    pub fn decode(text: &str) -> Option<Token> {
        let v: Value = serde_json::from_str(text).ok()?;
        Some(Token {
            access_token: v.get("accessToken")?.as_str()?.to_string(),
            expires_at: v.get("expiresAt")?.as_i64()?,
            owner: v.get("owner")?.as_str()?.to_string(),
        })
    }
}

/// Who a token is for: base URL and client id.
pub fn owner(base_url: &str, client_id: &str) -> String {
    format!("{base_url} {client_id}")
}

/// The answer of `POST /connect/token`: `{token_type, expires_in, access_token,
/// refresh_token}`. `expires_in` is seconds (3CX 20.0.9+; earlier versions
/// sent minutes, which this reads as a short lifetime: safe, just more logins).
pub fn parse(
    resp: &Response,
    now_ms: i64,
    owner: &str,
    host: &str,
) -> Result<Token, ConnectorError> {
    if !resp.is_success() {
        return Err(token_status(resp, host));
    }
    if looks_like_html(resp) {
        return Err(check_baseurl(host, "HTML from /connect/token"));
    }
    let v: Value = serde_json::from_slice(&resp.body)
        .map_err(|_| check_baseurl(host, "/connect/token did not answer JSON"))?;
    let access_token = v
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| check_baseurl(host, "no access_token from /connect/token"))?;
    let lifetime_sec = v
        .get("expires_in")
        .and_then(|e| e.as_i64().or_else(|| e.as_str()?.trim().parse().ok()))
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_LIFETIME_SEC);
    // A token shorter-lived than twice the margin is reused for half its life.
    let lifetime_ms = lifetime_sec.saturating_mul(1000);
    let expires_at = if lifetime_ms <= 2 * MARGIN_MS {
        now_ms + lifetime_ms / 2 + MARGIN_MS
    } else {
        now_ms + lifetime_ms
    };
    Ok(Token {
        access_token: access_token.to_string(),
        expires_at,
        owner: owner.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::tests::resp;

    const NOW: i64 = 1_714_557_600_000;

    #[test]
    fn form_is_encoded() {
        assert_eq!(
            form_body("crm api", "s&c=r+t"),
            "client_id=crm%20api&client_secret=s%26c%3Dr%2Bt&grant_type=client_credentials"
        );
    }

    #[test]
    fn parses_and_caches() {
        let body = r#"{"token_type":"Bearer","expires_in":3600,"access_token":"eyJhbGciOi.abc.def","refresh_token":null}"#;
        let t = parse(&resp(200, "application/json", body), NOW, "o", "h").unwrap();
        assert_eq!(t.access_token, "eyJhbGciOi.abc.def");
        assert_eq!(t.expires_at, NOW + 3_600_000);
        assert!(t.usable(NOW, "o"));
        assert!(t.usable(NOW + 3_540_000 - 1, "o"));
        assert!(!t.usable(NOW + 3_540_000, "o"));
        assert!(!t.usable(NOW, "other"));
        assert_eq!(Token::decode(&t.encode()), Some(t));
        assert_eq!(Token::decode("garbage"), None);
    }

    #[test]
    fn short_or_missing_lifetimes() {
        // Minutes (pre-20.0.9): 60 read as seconds, reused for 30 s.
        let t = parse(
            &resp(
                200,
                "application/json",
                r#"{"access_token":"a","expires_in":60}"#,
            ),
            NOW,
            "o",
            "h",
        )
        .unwrap();
        assert!(t.usable(NOW + 29_999, "o"));
        assert!(!t.usable(NOW + 30_000, "o"));
        let t = parse(
            &resp(
                200,
                "application/json",
                r#"{"access_token":"a","expires_in":"120"}"#,
            ),
            NOW,
            "o",
            "h",
        )
        .unwrap();
        assert!(t.usable(NOW + 59_999, "o"));
        let t = parse(
            &resp(200, "application/json", r#"{"access_token":"a"}"#),
            NOW,
            "o",
            "h",
        )
        .unwrap();
        assert_eq!(t.expires_at, NOW + 300_000);
    }

    #[test]
    fn wrong_base_url_answers() {
        for r in [
            resp(
                200,
                "text/html",
                "<!DOCTYPE html><html><body>3CX Web Client</body></html>",
            ),
            resp(200, "application/json", r#"{"status":"ok"}"#),
            resp(200, "application/json", r#"{"access_token":""}"#),
            resp(200, "text/plain", "hello"),
        ] {
            let err = parse(&r, NOW, "o", "h").unwrap_err();
            assert!(
                matches!(&err, ConnectorError::Upstream(m) if m.contains("check baseUrl")),
                "{err:?}"
            );
        }
        let err = parse(
            &resp(400, "application/json", r#"{"error":"invalid_client"}"#),
            NOW,
            "o",
            "h",
        )
        .unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadCredentials(ref m) if m == "3CX rejected the client id or secret")
        );
    }
}
