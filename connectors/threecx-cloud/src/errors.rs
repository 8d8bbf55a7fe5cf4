//! What a failed call means, told apart the way "Test connection" needs:
//! bad credentials, an unreachable host, or a base URL that is not a 3CX.

use switchboard_sdk::host::http::{HttpError, Response};
use switchboard_sdk::prelude::*;

/// "The vendor answered, but not as a 3CX would": almost always a wrong `baseUrl`.
pub fn check_baseurl(host: &str, what: &str) -> ConnectorError {
    ConnectorError::Upstream(format!(
        "{host} does not answer like a 3CX v20 XAPI ({what}): check baseUrl"
    ))
}

/// A request that got no answer.
pub fn transport(err: HttpError, host: &str) -> ConnectorError {
    match err {
        HttpError::Connect(m) => ConnectorError::Unreachable(format!("cannot reach {host}: {m}")),
        HttpError::Timeout => ConnectorError::Unreachable(format!("{host} did not answer in time")),
        HttpError::TooLarge(n) => check_baseurl(host, &format!("response over {n} bytes")),
        HttpError::InvalidRequest(m) => {
            ConnectorError::Config(format!("baseUrl gives an invalid request: {m}"))
        }
    }
}

/// The `error` of an OAuth error body (`{"error": "invalid_client", ..}`).
fn oauth_error(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("error")?.as_str().map(str::to_string)
}

pub fn looks_like_html(resp: &Response) -> bool {
    resp.header("content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("html"))
        || resp
            .body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'<')
}

/// A non-2xx answer of `POST /connect/token`.
pub fn token_status(resp: &Response, host: &str) -> ConnectorError {
    let status = resp.status;
    let oauth = oauth_error(&resp.body);
    let rejected = matches!(
        oauth.as_deref(),
        Some("invalid_client" | "unauthorized_client" | "invalid_grant")
    );
    match status {
        401 => bad_credentials(),
        400 if rejected => bad_credentials(),
        400 if oauth.is_some() => ConnectorError::Upstream(format!(
            "3CX at {host} refused the token request ({}); check the API client settings",
            oauth.unwrap_or_default()
        )),
        429 | 500..=599 => ConnectorError::Upstream(format!(
            "3CX at {host} answered HTTP {status} to the token request; try again later"
        )),
        _ => check_baseurl(host, &format!("HTTP {status} from /connect/token")),
    }
}

pub fn bad_credentials() -> ConnectorError {
    ConnectorError::BadCredentials("3CX rejected the client id or secret".into())
}

/// A non-2xx answer of the XAPI (after the one retry with a new token).
pub fn api_status(resp: &Response, host: &str) -> ConnectorError {
    let status = resp.status;
    match status {
        401 => ConnectorError::BadCredentials(
            "3CX refused a fresh access token (HTTP 401): check the API client in 3CX".into(),
        ),
        403 => ConnectorError::BadCredentials(
            "the 3CX API client may not read recordings (HTTP 403): give it an admin role with access to recordings"
                .into(),
        ),
        429 | 500..=599 => ConnectorError::Upstream(format!(
            "3CX at {host} answered HTTP {status}; try again later"
        )),
        _ => check_baseurl(host, &format!("HTTP {status} from /xapi/v1/Recordings")),
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn resp(status: u16, content_type: &str, body: &str) -> Response {
        Response {
            status,
            headers: pairs([("content-type", content_type)]),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn token_failures() {
        let h = "pbx.3cx.eu";
        for r in [
            resp(
                400,
                "application/json",
                r#"{"error":"invalid_client","error_description":"The specified client credentials are invalid."}"#,
            ),
            resp(401, "application/json", r#"{"error":"invalid_client"}"#),
            resp(401, "text/plain", ""),
        ] {
            assert!(
                matches!(token_status(&r, h), ConnectorError::BadCredentials(ref m) if m == "3CX rejected the client id or secret")
            );
        }
        assert!(matches!(
            token_status(&resp(400, "application/json", r#"{"error":"unsupported_grant_type"}"#), h),
            ConnectorError::Upstream(m) if m.contains("unsupported_grant_type")
        ));
        for r in [
            resp(404, "text/html", "<html>Not found</html>"),
            resp(405, "text/plain", ""),
            resp(302, "text/html", ""),
            resp(400, "text/html", "<html>Bad Request</html>"),
        ] {
            assert!(
                matches!(token_status(&r, h), ConnectorError::Upstream(ref m) if m.contains("check baseUrl")),
                "{}",
                r.status
            );
        }
        assert!(matches!(
            token_status(&resp(503, "text/plain", ""), h),
            ConnectorError::Upstream(m) if m.contains("try again")
        ));
    }

    #[test]
    fn api_failures() {
        let h = "pbx.3cx.eu";
        assert!(matches!(
            api_status(&resp(401, "", ""), h),
            ConnectorError::BadCredentials(_)
        ));
        assert!(matches!(
            api_status(&resp(403, "", ""), h),
            ConnectorError::BadCredentials(_)
        ));
        assert!(
            matches!(api_status(&resp(404, "", ""), h), ConnectorError::Upstream(m) if m.contains("check baseUrl"))
        );
        assert!(
            matches!(api_status(&resp(502, "", ""), h), ConnectorError::Upstream(m) if m.contains("try again"))
        );
    }

    #[test]
    fn transport_failures() {
        let h = "pbx.3cx.eu";
        assert!(matches!(
            transport(HttpError::Connect("dns error".into()), h),
            ConnectorError::Unreachable(m) if m.contains("dns error") && m.contains(h)
        ));
        assert!(matches!(
            transport(HttpError::Timeout, h),
            ConnectorError::Unreachable(_)
        ));
        assert!(matches!(
            transport(HttpError::TooLarge(9), h),
            ConnectorError::Upstream(_)
        ));
        assert!(matches!(
            transport(HttpError::InvalidRequest("x".into()), h),
            ConnectorError::Config(_)
        ));
    }

    #[test]
    fn html_detection() {
        assert!(looks_like_html(&resp(200, "text/html; charset=utf-8", "")));
        assert!(looks_like_html(&resp(200, "", "  <!doctype html>")));
        assert!(!looks_like_html(&resp(200, "application/json", "{}")));
    }
}
