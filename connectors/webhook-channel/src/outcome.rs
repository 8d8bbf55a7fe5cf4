//! What the endpoint's answer (or the lack of one) means for the host.
//!
//! | answer | outcome |
//! |---|---|
//! | 2xx | `delivered` (no receiver id) |
//! | 410 Gone | `failed` `endpoint_gone`, destination gone |
//! | 408, 429, 5xx | `retry-after` the `Retry-After` header (seconds or HTTP date; absent: 0) |
//! | 3xx | `retry-after` 0, the reason naming the redirect (the host follows none) |
//! | other 4xx | `retry-after` (as above), the reason with a body excerpt |
//! | anything else (1xx, ≥ 600) | `retry-after` 0 |
//! | timeout, connect error, oversized response | `retry-after` 0 |
//! | invalid request | `failed` `bad_request` |
//!
//! `after-ms` 0 means "use the host's own backoff schedule".
//!
//! Only 410 stops at once. A receiver answers 404 while it is being
//! deployed and 401 while its secret is being rolled out, and a redirect or
//! a 4xx is fixed on its side (or by correcting `url`) without telling us:
//! an event dropped on the first such answer could not be got back, so
//! these are retried on the host's webhook schedule (about two days) like
//! any other failure, as Standard Webhooks senders do.

use switchboard_sdk::channel::{failed, retry};
use switchboard_sdk::host::http::HttpError;
use switchboard_sdk::prelude::*;

use crate::time::parse_http_date;

/// Longest excerpt of a response (or error text) put into a message.
pub const EXCERPT_CHARS: usize = 200;

/// A `Retry-After` longer than this is read as this: a day is already far
/// beyond any backoff the host would choose, and a typo must not park a
/// notification for years.
pub const MAX_RETRY_AFTER_MS: u64 = 24 * 60 * 60 * 1000;

/// The outcome of a response. `now_ms` turns a `Retry-After` date into a delay.
pub fn interpret(status: u16, headers: &[Pair], body: &[u8], now_ms: i64) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered(None),
        410 => failed(
            "endpoint_gone",
            "the endpoint answered 410 Gone: it no longer accepts webhooks".into(),
            true,
        ),
        408 | 429 | 500..=599 => retry(
            header(headers, "retry-after").map_or(0, |value| retry_after_ms(value, now_ms)),
            format!("HTTP {status}"),
        ),
        300..=399 => {
            let target = header(headers, "location")
                .map(|l| format!(" to {}", excerpt(l.as_bytes())))
                .unwrap_or_default();
            retry(
                0,
                format!(
                    "HTTP {status}: a redirect{target}, which is not followed; set `url` to the \
                     final address"
                ),
            )
        }
        400..=499 => {
            let text = excerpt(body);
            let reason = if text.is_empty() {
                format!("HTTP {status} with an empty body")
            } else {
                format!("HTTP {status}: {text}")
            };
            retry(
                header(headers, "retry-after").map_or(0, |value| retry_after_ms(value, now_ms)),
                reason,
            )
        }
        _ => retry(0, format!("HTTP {status}")),
    }
}

/// The outcome of a request that got no usable response.
pub fn transport(error: &HttpError) -> Outcome {
    match error {
        HttpError::Timeout => retry(0, "timeout: no response in time".into()),
        HttpError::Connect(message) => {
            retry(0, format!("connect: {}", excerpt(message.as_bytes())))
        }
        // The endpoint answered, but with more than the host accepts; the
        // receiver may have processed it, and it deduplicates by `webhook-id`.
        HttpError::TooLarge(bytes) => retry(0, format!("response too large ({bytes} bytes)")),
        HttpError::InvalidRequest(message) => failed(
            "bad_request",
            format!(
                "the host refused the request: {}",
                excerpt(message.as_bytes())
            ),
            false,
        ),
    }
}

/// A `Retry-After` value in milliseconds: delay-seconds, or an HTTP date
/// relative to `now_ms`. A date in the past, or anything unreadable, is 0.
pub fn retry_after_ms(value: &str, now_ms: i64) -> u64 {
    let value = value.trim();
    let ms = if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) {
        // Too many digits for u64 is "very long": the cap applies.
        value
            .parse::<u64>()
            .map_or(MAX_RETRY_AFTER_MS, |s| s.saturating_mul(1000))
    } else {
        match parse_http_date(value) {
            Some(at) => u64::try_from(at.saturating_mul(1000).saturating_sub(now_ms)).unwrap_or(0),
            None => 0,
        }
    };
    ms.min(MAX_RETRY_AFTER_MS)
}

fn header<'a>(headers: &'a [Pair], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// At most [`EXCERPT_CHARS`] characters of `bytes` as text, whitespace
/// runs collapsed to one space, `…` when cut.
pub fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let words: Vec<&str> = text.split_whitespace().collect();
    let flat = words.join(" ");
    if flat.chars().count() <= EXCERPT_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(EXCERPT_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_445_412_480_000; // Wed, 21 Oct 2015 07:28:00 GMT

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Outcome {
        interpret(
            status,
            &pairs(headers.iter().copied()),
            body.as_bytes(),
            NOW,
        )
    }

    fn retry(outcome: Outcome) -> Retry {
        match outcome {
            Outcome::RetryAfter(r) => r,
            other => panic!("expected retry-after, got {other:?}"),
        }
    }

    fn failure(outcome: Outcome) -> Failure {
        match outcome {
            Outcome::Failed(f) => f,
            other => panic!("expected failed, got {other:?}"),
        }
    }

    #[test]
    fn success_is_delivered() {
        for status in [200, 201, 202, 204, 299] {
            assert!(matches!(
                answer(status, &[], "ok"),
                Outcome::Delivered(None)
            ));
        }
    }

    #[test]
    fn gone_marks_the_destination_gone() {
        let f = failure(answer(410, &[], "bye"));
        assert_eq!(f.code, "endpoint_gone");
        assert!(f.destination_gone);
    }

    #[test]
    fn throttling_and_server_errors_are_retried_per_retry_after() {
        let r = retry(answer(429, &[("retry-after", "30")], ""));
        assert_eq!((r.after_ms, r.reason.as_str()), (30_000, "HTTP 429"));
        let r = retry(answer(
            503,
            &[("Retry-After", "Wed, 21 Oct 2015 07:28:05 GMT")],
            "",
        ));
        assert_eq!((r.after_ms, r.reason.as_str()), (5_000, "HTTP 503"));
        let r = retry(answer(500, &[], "stack trace"));
        assert_eq!((r.after_ms, r.reason.as_str()), (0, "HTTP 500"));
        let r = retry(answer(408, &[], ""));
        assert_eq!((r.after_ms, r.reason.as_str()), (0, "HTTP 408"));
        assert_eq!(retry(answer(599, &[], "")).reason, "HTTP 599");
    }

    #[test]
    fn reads_retry_after_defensively() {
        assert_eq!(retry_after_ms(" 0 ", NOW), 0);
        assert_eq!(retry_after_ms("120", NOW), 120_000);
        assert_eq!(retry_after_ms("Wed, 21 Oct 2015 07:27:00 GMT", NOW), 0);
        assert_eq!(
            retry_after_ms("Wednesday, 21-Oct-15 07:29:00 GMT", NOW),
            60_000
        );
        for junk in ["", "-5", "1.5", "soon"] {
            assert_eq!(retry_after_ms(junk, NOW), 0, "{junk}");
        }
        assert_eq!(retry_after_ms("999999999", NOW), MAX_RETRY_AFTER_MS);
        assert_eq!(
            retry_after_ms("99999999999999999999999", NOW),
            MAX_RETRY_AFTER_MS
        );
        assert_eq!(
            retry_after_ms("Fri, 01 Jan 2100 00:00:00 GMT", NOW),
            MAX_RETRY_AFTER_MS
        );
    }

    #[test]
    fn redirects_are_retried_naming_their_target() {
        let r = retry(answer(301, &[("location", "https://new.example/in")], ""));
        assert_eq!(r.after_ms, 0);
        assert!(
            r.reason
                .starts_with("HTTP 301: a redirect to https://new.example/in"),
            "{}",
            r.reason
        );
        assert!(retry(answer(307, &[], "")).reason.starts_with("HTTP 307"));
    }

    #[test]
    fn other_client_errors_are_retried_with_an_excerpt() {
        let r = retry(answer(400, &[], "{\"error\":\n  \"bad signature\"}"));
        assert_eq!(
            (r.after_ms, r.reason.as_str()),
            (0, "HTTP 400: {\"error\": \"bad signature\"}")
        );
        assert_eq!(
            retry(answer(404, &[], "")).reason,
            "HTTP 404 with an empty body"
        );
        assert_eq!(
            retry(answer(401, &[("retry-after", "60")], "")).after_ms,
            60_000
        );
        let long = "x".repeat(5000);
        let r = retry(answer(401, &[], &long));
        let excerpt = r.reason.trim_start_matches("HTTP 401: ");
        assert_eq!(excerpt.chars().count(), EXCERPT_CHARS);
        assert!(excerpt.ends_with('…'));
    }

    #[test]
    fn unexpected_statuses_are_retried() {
        assert_eq!(retry(answer(101, &[], "")).after_ms, 0);
        assert_eq!(retry(answer(600, &[], "")).reason, "HTTP 600");
    }

    #[test]
    fn transport_errors_retry_on_the_hosts_schedule() {
        for error in [
            HttpError::Timeout,
            HttpError::Connect("connection refused".into()),
            HttpError::TooLarge(9_000_000),
        ] {
            assert_eq!(retry(transport(&error)).after_ms, 0, "{error:?}");
        }
        assert!(
            retry(transport(&HttpError::Connect("dns failed".into())))
                .reason
                .contains("dns failed")
        );
        let f = failure(transport(&HttpError::InvalidRequest("bad header".into())));
        assert_eq!(f.code, "bad_request");
        assert!(!f.destination_gone);
    }

    #[test]
    fn excerpts_are_short_and_valid_text() {
        assert_eq!(excerpt(b"  a \n\t b "), "a b");
        assert_eq!(excerpt(&[0xff, b'o', b'k']), "\u{fffd}ok");
        let cut = excerpt("é".repeat(300).as_bytes());
        assert_eq!(cut.chars().count(), EXCERPT_CHARS);
    }
}
