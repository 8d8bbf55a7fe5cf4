//! Turning what OrkTrack (or the network) answered into a [`ConnectorError`]
//! a person can act on: wrong credentials, a host we cannot reach, or a base
//! URL that is not an OrkTrack server.

use switchboard_sdk::prelude::*;

/// The message for rejected credentials (also what the UI shows).
pub const BAD_CREDENTIALS: &str = "DTAC rejected the username or password";

/// Which call failed, for the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Login,
    List,
}

impl Step {
    fn path(self) -> &'static str {
        match self {
            Step::Login => "/orktrack/rest/user/login",
            Step::List => "/orktrack/rest/recordings",
        }
    }
}

/// A transport failure (`host::http` error), classified without the host
/// types: `timeout`, `connect` (DNS, TCP, TLS), `too-large`, `invalid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Timeout,
    Connect(String),
    TooLarge(u64),
    Invalid(String),
}

pub fn transport(host: &str, failure: Transport) -> ConnectorError {
    match failure {
        Transport::Timeout => {
            ConnectorError::Unreachable(format!("DTAC orktrack at {host} did not answer in time"))
        }
        Transport::Connect(m) => {
            ConnectorError::Unreachable(format!("cannot reach DTAC orktrack at {host}: {m}"))
        }
        Transport::TooLarge(n) => ConnectorError::Upstream(format!(
            "DTAC orktrack at {host} sent a response too large ({n} bytes)"
        )),
        Transport::Invalid(m) => {
            ConnectorError::Config(format!("invalid request to {host} (check baseUrl): {m}"))
        }
    }
}

/// A non-2xx status. Login 401/403 is bad credentials; a 401 on any later
/// call reaches here only after the re-login retry also failed.
pub fn status(step: Step, host: &str, status: u16) -> ConnectorError {
    let path = step.path();
    match status {
        401 | 403 if step == Step::Login => ConnectorError::BadCredentials(BAD_CREDENTIALS.into()),
        401 | 403 => ConnectorError::BadCredentials(format!(
            "DTAC refused the access token for {path} ({status}) right after logging in"
        )),
        300..=399 | 404 | 405 => ConnectorError::Upstream(format!(
            "{host} answered {status} for {path}: not a DTAC orktrack server, check baseUrl"
        )),
        429 => ConnectorError::Upstream(format!(
            "DTAC orktrack at {host} is rate limiting (429); try again later"
        )),
        500..=599 => ConnectorError::Upstream(format!(
            "DTAC orktrack at {host} failed with {status} on {path}"
        )),
        _ => ConnectorError::Upstream(format!(
            "DTAC orktrack at {host} answered {status} for {path}, check baseUrl"
        )),
    }
}

/// A 2xx whose body is not the JSON we expect (an HTML page from a web
/// server or proxy, a different API).
pub fn shape(step: Step, host: &str, what: &str) -> ConnectorError {
    ConnectorError::Upstream(format!(
        "{host} answered {} with {what}: not a DTAC orktrack server, check baseUrl",
        step.path()
    ))
}

/// Describes an unexpected body briefly: HTML, empty, or other text.
pub fn describe_body(body: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(body);
    let t = text.trim_start().to_ascii_lowercase();
    if t.is_empty() {
        "an empty body"
    } else if t.starts_with("<!doctype html") || t.starts_with("<html") || t.starts_with('<') {
        "HTML instead of JSON"
    } else {
        "something that is not JSON"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "onecallvoicerecord.dtac.co.th";

    #[test]
    fn login_401_and_403_are_bad_credentials() {
        for code in [401, 403] {
            assert!(matches!(
                status(Step::Login, HOST, code),
                ConnectorError::BadCredentials(m) if m == BAD_CREDENTIALS
            ));
        }
    }

    #[test]
    fn not_found_and_redirects_point_at_base_url() {
        for code in [301, 302, 404, 405] {
            let e = status(Step::Login, HOST, code);
            assert!(matches!(&e, ConnectorError::Upstream(m) if m.contains("check baseUrl")));
        }
    }

    #[test]
    fn server_errors_are_upstream() {
        let e = status(Step::List, HOST, 503);
        assert!(matches!(&e, ConnectorError::Upstream(m) if m.contains("503")));
    }

    #[test]
    fn transport_failures_are_unreachable() {
        assert!(matches!(
            transport(HOST, Transport::Timeout),
            ConnectorError::Unreachable(_)
        ));
        let e = transport(HOST, Transport::Connect("dns error: no such host".into()));
        assert!(matches!(&e, ConnectorError::Unreachable(m) if m.contains("no such host")));
        assert!(matches!(
            transport(HOST, Transport::Invalid("bad url".into())),
            ConnectorError::Config(_)
        ));
    }

    #[test]
    fn bodies_are_described() {
        assert_eq!(
            describe_body(b"  <!DOCTYPE html><html>"),
            "HTML instead of JSON"
        );
        assert_eq!(describe_body(b""), "an empty body");
        assert_eq!(describe_body(b"OK"), "something that is not JSON");
    }
}
