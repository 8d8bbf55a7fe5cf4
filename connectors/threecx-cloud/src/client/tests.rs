//! The operations against a fake 3CX that follows docs/vendor-apis.md.

use std::collections::{HashMap, VecDeque};

use super::*;
use crate::errors::tests::resp;

const NOW: i64 = 1_714_557_600_000;
const BASE: &str = "https://pbx.3cx.eu";

/// Answers queued per path (`/connect/token`, `/xapi/v1/Recordings`); every
/// request recorded.
#[derive(Default)]
struct Fake {
    now: i64,
    state: HashMap<String, String>,
    answers: HashMap<&'static str, VecDeque<Result<Response, HttpError>>>,
    sent: Vec<Req>,
}

impl Fake {
    fn new() -> Self {
        Fake {
            now: NOW,
            ..Fake::default()
        }
    }
    fn on(&mut self, path: &'static str, answer: Result<Response, HttpError>) -> &mut Self {
        self.answers.entry(path).or_default().push_back(answer);
        self
    }
    fn token_ok(&mut self, token: &str) -> &mut Self {
        let body = format!(
            r#"{{"token_type":"Bearer","expires_in":3600,"access_token":"{token}","refresh_token":null}}"#
        );
        self.on("/connect/token", Ok(resp(200, "application/json", &body)))
    }
    fn paths(&self) -> Vec<String> {
        self.sent
            .iter()
            .map(|r| r.url.trim_start_matches(BASE).to_string())
            .collect()
    }
}

impl Host for Fake {
    fn now_ms(&self) -> i64 {
        self.now
    }
    fn state_get(&self, key: &str) -> Option<String> {
        self.state.get(key).cloned()
    }
    fn state_set(&mut self, key: &str, value: &str) {
        self.state.insert(key.into(), value.into());
    }
    fn send(&mut self, req: &Req) -> Result<Response, HttpError> {
        self.sent.push(req.clone());
        let path = req.url.trim_start_matches(BASE);
        let path = path.split(['?', '(']).next().unwrap_or(path);
        let key = self
            .answers
            .keys()
            .find(|k| path == **k)
            .copied()
            .unwrap_or("");
        self.answers
            .get_mut(key)
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(|| Ok(resp(404, "text/html", "<html>404</html>")))
    }
}

fn settings() -> Settings {
    Settings {
        base_url: BASE.into(),
        default_country_code: Some("66".into()),
        sync_from_ms: None,
    }
}

fn creds() -> Credentials {
    Credentials {
        client_id: "switchboard".into(),
        client_secret: "s3cret&x".into(),
    }
}

fn run<T>(fake: &mut Fake, f: impl FnOnce(&mut Client<'_, Fake>) -> T) -> T {
    let (s, c) = (settings(), creds());
    let mut client = Client {
        host: fake,
        settings: &s,
        credentials: &c,
    };
    f(&mut client)
}

const ONE: &str = r#"{"@odata.context":"x","value":[{"Id":5}]}"#;
const PAGE: &str = r#"{"value":[{"Id":7,"StartTime":"2024-05-01T10:00:00Z","EndTime":"2024-05-01T10:01:00Z","CallType":"InboundExternal","FromCallerNumber":"0812345678","ToDn":"101"},{"Id":8,"StartTime":"2024-05-01T10:05:00Z","CallType":"Local","FromDn":"101","ToDn":"102"}]}"#;

#[test]
fn test_connection_success_and_exact_requests() {
    let mut fake = Fake::new();
    fake.token_ok("T1").on(
        "/xapi/v1/Recordings",
        Ok(resp(200, "application/json; odata.metadata=minimal", ONE)),
    );
    let info = run(&mut fake, |c| c.test_connection()).unwrap();
    assert_eq!(info.message, "Connected to 3CX at pbx.3cx.eu");
    let token = &fake.sent[0];
    assert_eq!(token.method, "POST");
    assert_eq!(token.url, "https://pbx.3cx.eu/connect/token");
    assert_eq!(
        String::from_utf8(token.body.clone()).unwrap(),
        "client_id=switchboard&client_secret=s3cret%26x&grant_type=client_credentials"
    );
    assert!(
        token
            .headers
            .contains(&("content-type", "application/x-www-form-urlencoded".into()))
    );
    let probe = &fake.sent[1];
    assert_eq!(
        probe.url,
        "https://pbx.3cx.eu/xapi/v1/Recordings?$top=1&$select=Id"
    );
    assert!(
        probe
            .headers
            .contains(&("authorization", "Bearer T1".into()))
    );
    assert!(fake.state.contains_key(crate::token::STATE_KEY));
}

#[test]
fn test_connection_always_logs_in_anew() {
    let mut fake = Fake::new();
    fake.token_ok("T1")
        .token_ok("T2")
        .on(
            "/xapi/v1/Recordings",
            Ok(resp(200, "application/json", ONE)),
        )
        .on(
            "/xapi/v1/Recordings",
            Ok(resp(200, "application/json", ONE)),
        );
    run(&mut fake, |c| c.test_connection()).unwrap();
    run(&mut fake, |c| c.test_connection()).unwrap();
    assert_eq!(
        fake.paths()
            .iter()
            .filter(|p| *p == "/connect/token")
            .count(),
        2
    );
}

#[test]
fn test_connection_failure_modes() {
    // Bad credentials.
    let mut fake = Fake::new();
    fake.on(
        "/connect/token",
        Ok(resp(400, "application/json", r#"{"error":"invalid_client","error_description":"The specified client credentials are invalid."}"#)),
    );
    let err = run(&mut fake, |c| c.test_connection()).unwrap_err();
    assert!(
        matches!(err, ConnectorError::BadCredentials(ref m) if m == "3CX rejected the client id or secret"),
        "{err:?}"
    );
    assert_eq!(fake.sent.len(), 1);

    // Unreachable.
    let mut fake = Fake::new();
    fake.on(
        "/connect/token",
        Err(HttpError::Connect("dns error: no such host".into())),
    );
    let err = run(&mut fake, |c| c.test_connection()).unwrap_err();
    assert!(
        matches!(err, ConnectorError::Unreachable(ref m) if m.contains("pbx.3cx.eu")),
        "{err:?}"
    );
    let mut fake = Fake::new();
    fake.on("/connect/token", Err(HttpError::Timeout));
    assert!(matches!(
        run(&mut fake, |c| c.test_connection()),
        Err(ConnectorError::Unreachable(_))
    ));

    // Not a 3CX: 404 on the token path, an HTML page, or foreign JSON.
    for answer in [
        resp(404, "text/html", "<html>Not Found</html>"),
        resp(200, "text/html", "<!DOCTYPE html><html></html>"),
        resp(200, "application/json", r#"{"hello":"world"}"#),
    ] {
        let mut fake = Fake::new();
        fake.on("/connect/token", Ok(answer));
        let err = run(&mut fake, |c| c.test_connection()).unwrap_err();
        assert!(
            matches!(err, ConnectorError::Upstream(ref m) if m.contains("check baseUrl")),
            "{err:?}"
        );
    }
    // Token works but the XAPI is not there.
    let mut fake = Fake::new();
    fake.token_ok("T1");
    let err = run(&mut fake, |c| c.test_connection()).unwrap_err();
    assert!(
        matches!(err, ConnectorError::Upstream(ref m) if m.contains("check baseUrl")),
        "{err:?}"
    );
    let mut fake = Fake::new();
    fake.token_ok("T1").on(
        "/xapi/v1/Recordings",
        Ok(resp(200, "application/json", r#"{"count":0}"#)),
    );
    let err = run(&mut fake, |c| c.test_connection()).unwrap_err();
    assert!(
        matches!(err, ConnectorError::Upstream(ref m) if m.contains("check baseUrl")),
        "{err:?}"
    );
    // The client may not read recordings.
    let mut fake = Fake::new();
    fake.token_ok("T1").on(
        "/xapi/v1/Recordings",
        Ok(resp(403, "application/json", "{}")),
    );
    assert!(matches!(
        run(&mut fake, |c| c.test_connection()),
        Err(ConnectorError::BadCredentials(_))
    ));
}

#[test]
fn list_reuses_the_cached_token_until_near_expiry() {
    let mut fake = Fake::new();
    fake.token_ok("T1")
        .on(
            "/xapi/v1/Recordings",
            Ok(resp(200, "application/json", PAGE)),
        )
        .on(
            "/xapi/v1/Recordings",
            Ok(resp(200, "application/json", r#"{"value":[]}"#)),
        );
    let page = run(&mut fake, |c| c.list(None, 2)).unwrap();
    assert!(page.has_more);
    assert_eq!(page.recordings.len(), 2);
    let cursor = page.next_cursor.unwrap();
    assert_eq!(cursor, r#"{"lastId":8,"since":"2024-05-01T10:05:00Z"}"#);
    fake.now += 3_000_000;
    let page = run(&mut fake, |c| c.list(Some(&cursor), 2)).unwrap();
    assert!(!page.has_more);
    assert_eq!(page.next_cursor.as_deref(), Some(cursor.as_str()));
    assert_eq!(
        fake.paths(),
        [
            "/connect/token",
            "/xapi/v1/Recordings?$top=2&$orderby=Id%20asc",
            "/xapi/v1/Recordings?$top=2&$orderby=Id%20asc&$filter=Id%20gt%208",
        ]
    );
    // Within a minute of expiry: a new token.
    fake.now = NOW + 3_550_000;
    fake.token_ok("T2").on(
        "/xapi/v1/Recordings",
        Ok(resp(200, "application/json", r#"{"value":[]}"#)),
    );
    run(&mut fake, |c| c.list(Some(&cursor), 2)).unwrap();
    assert_eq!(fake.paths()[3], "/connect/token");
    assert!(
        fake.sent[4]
            .headers
            .contains(&("authorization", "Bearer T2".into()))
    );
}

#[test]
fn a_401_gets_one_new_token_and_one_retry() {
    let mut fake = Fake::new();
    fake.token_ok("T1")
        .token_ok("T2")
        .on("/xapi/v1/Recordings", Ok(resp(401, "", "")))
        .on(
            "/xapi/v1/Recordings",
            Ok(resp(200, "application/json", PAGE)),
        );
    let page = run(&mut fake, |c| c.list(None, 50)).unwrap();
    assert_eq!(page.recordings.len(), 2);
    assert!(!page.has_more);
    assert!(
        fake.sent[3]
            .headers
            .contains(&("authorization", "Bearer T2".into()))
    );

    // Still 401 with the new token: bad credentials, no third try.
    let mut fake = Fake::new();
    fake.token_ok("T1")
        .token_ok("T2")
        .on("/xapi/v1/Recordings", Ok(resp(401, "", "")))
        .on("/xapi/v1/Recordings", Ok(resp(401, "", "")));
    let err = run(&mut fake, |c| c.list(None, 50)).unwrap_err();
    assert!(matches!(err, ConnectorError::BadCredentials(_)), "{err:?}");
    assert_eq!(fake.sent.len(), 4);
}

#[test]
fn credentials_change_invalidates_the_cache() {
    let mut fake = Fake::new();
    fake.token_ok("T1").on(
        "/xapi/v1/Recordings",
        Ok(resp(200, "application/json", r#"{"value":[]}"#)),
    );
    run(&mut fake, |c| c.list(None, 5)).unwrap();
    let (s, c) = (
        settings(),
        Credentials {
            client_id: "other".into(),
            client_secret: "x".into(),
        },
    );
    fake.token_ok("T9");
    let d = Client {
        host: &mut fake,
        settings: &s,
        credentials: &c,
    }
    .download("7")
    .unwrap();
    assert_eq!(find(&d.headers, "authorization"), Some("Bearer T9"));
}

#[test]
fn download_request() {
    let mut fake = Fake::new();
    fake.token_ok("T1");
    let d = run(&mut fake, |c| c.download("1042")).unwrap();
    assert_eq!(d.method, "GET");
    assert_eq!(
        d.url,
        "https://pbx.3cx.eu/xapi/v1/Recordings/Pbx.DownloadRecording(recId=1042)"
    );
    assert_eq!(find(&d.headers, "authorization"), Some("Bearer T1"));
    // The second download reuses the token: no new login.
    run(&mut fake, |c| c.download("1043")).unwrap();
    assert_eq!(fake.sent.len(), 1);
    assert!(matches!(
        run(&mut fake, |c| c.download("../x")),
        Err(ConnectorError::BadRequest(_))
    ));
}

#[test]
fn list_rejects_a_foreign_cursor() {
    let mut fake = Fake::new();
    assert!(matches!(
        run(&mut fake, |c| c.list(Some("nope"), 5)),
        Err(ConnectorError::Internal(_))
    ));
    assert!(fake.sent.is_empty());
}
