//! The one request a notification becomes. Pure: the clock reading comes in
//! as an argument, so the exact bytes are tested natively.
//!
//! ```text
//! POST {url}
//! content-type: application/json
//! user-agent: Switchboard-Webhooks/0.1.0
//! webhook-id: {notification.id}
//! webhook-timestamp: {unix seconds}
//! webhook-signature: v1,{base64} [v1,{base64 with previousSecret}]
//!
//! {"type":…,"timestamp":…,"data":{…}}
//! ```

use switchboard_sdk::prelude::*;

use crate::payload;
use crate::settings::Settings;
use crate::signature::signature_header;

pub const USER_AGENT: &str = concat!("Switchboard-Webhooks/", env!("CARGO_PKG_VERSION"));

/// A request ready for `host::http`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRequest {
    pub url: String,
    /// Lower-case names, in sending order.
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl OutgoingRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The POST for `notification` at `now_ms` (the host clock). The
/// notification id is the `webhook-id`: the host keeps it across retries,
/// so receivers can drop duplicates. Errors are about the notification,
/// never about a secret.
pub fn build(
    settings: &Settings,
    notification: &Notification,
    now_ms: i64,
) -> Result<OutgoingRequest, String> {
    let id = notification.id.as_str();
    if id.trim().is_empty() {
        return Err("the notification has no id (needed as `webhook-id`)".into());
    }
    if id.chars().any(char::is_control) {
        return Err("the notification id contains control characters".into());
    }
    let timestamp = now_ms.div_euclid(1000);
    let body = payload::body(notification, timestamp);
    let signature = signature_header(settings.keys(), id, timestamp, &body)?;
    Ok(OutgoingRequest {
        url: settings.url.clone(),
        headers: vec![
            ("content-type", "application/json".into()),
            ("user-agent", USER_AGENT.into()),
            ("webhook-id", id.into()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ],
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{generate_secret_from, sign};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn notification() -> Notification {
        Notification {
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek".into(),
            title: "Missed call".into(),
            body: "From +84901234567".into(),
            link: None,
            severity: Severity::Critical,
            attributes: pairs([("event.type", "call.missed"), ("call.id", "c-17")]),
        }
    }

    #[test]
    fn builds_the_signed_post() {
        let settings =
            Settings::new(Some("https://hooks.example.com/in"), Some(SECRET), None).unwrap();
        let request = build(&settings, &notification(), 1_614_265_330_999).unwrap();
        assert_eq!(request.url, "https://hooks.example.com/in");
        let names: Vec<&str> = request.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "content-type",
                "user-agent",
                "webhook-id",
                "webhook-timestamp",
                "webhook-signature"
            ]
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(
            request.header("webhook-id"),
            Some("msg_p5jXN8AQM9LWM0D4loKWxJek")
        );
        // Milliseconds are dropped, not rounded.
        assert_eq!(request.header("webhook-timestamp"), Some("1614265330"));
        assert_eq!(
            String::from_utf8(request.body.clone()).unwrap(),
            r#"{"type":"call.missed","timestamp":"2021-02-25T15:02:10Z","data":{"id":"msg_p5jXN8AQM9LWM0D4loKWxJek","title":"Missed call","body":"From +84901234567","link":null,"severity":"critical","attributes":{"call.id":"c-17"}}}"#
        );
        let expected = sign(
            SECRET,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            &request.body,
        )
        .unwrap();
        assert_eq!(request.header("webhook-signature"), Some(expected.as_str()));
    }

    #[test]
    fn signs_with_both_secrets_during_rotation() {
        let previous = generate_secret_from([42; 32]);
        let settings = Settings::new(
            Some("https://hooks.example.com/in"),
            Some(SECRET),
            Some(&previous),
        )
        .unwrap();
        let request = build(&settings, &notification(), 1_000).unwrap();
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let expected = format!(
            "{} {}",
            sign(SECRET, id, 1, &request.body).unwrap(),
            sign(&previous, id, 1, &request.body).unwrap()
        );
        assert_eq!(request.header("webhook-signature"), Some(expected.as_str()));
    }

    #[test]
    fn retries_carry_the_same_id() {
        let settings =
            Settings::new(Some("https://hooks.example.com/in"), Some(SECRET), None).unwrap();
        let first = build(&settings, &notification(), 1_000_000).unwrap();
        let retry = build(&settings, &notification(), 61_000_000).unwrap();
        assert_eq!(first.header("webhook-id"), retry.header("webhook-id"));
        assert_ne!(
            first.header("webhook-timestamp"),
            retry.header("webhook-timestamp")
        );
    }

    #[test]
    fn refuses_a_notification_without_a_usable_id() {
        let settings =
            Settings::new(Some("https://hooks.example.com/in"), Some(SECRET), None).unwrap();
        for id in ["", "  ", "a\r\nx-injected: 1"] {
            let mut n = notification();
            n.id = id.into();
            assert!(build(&settings, &n, 0).is_err(), "{id:?}");
        }
    }
}
