//! The `channel` world: render and send one notification.

use crate::bindings::channel::exports::switchboard::connector::delivery::Guest;
pub use crate::bindings::channel::exports::switchboard::connector::delivery::{
    Destination, Failure, Notification, Outcome, Retry, Severity,
};
use crate::types::{ConnectorError, Pair};

/// Implement this and call [`crate::export_channel!`].
pub trait Channel {
    /// Check a destination's settings before they are saved and return them
    /// normalised. The default accepts them unchanged.
    fn validate_destination(destination: Destination) -> Result<Vec<Pair>, ConnectorError> {
        Ok(destination.config)
    }

    /// Send once. Say `RetryAfter` for transient trouble (429, 5xx, timeouts):
    /// the host owns retries, backoff and rate limits.
    fn send(destination: Destination, notification: Notification) -> Outcome;
}

/// A failure with this `code` and `message`. `destination_gone` says the
/// destination will never work again (blocked, deleted, unknown), so the host
/// may disable it; a problem with the component's own settings is not that.
pub fn failed(code: &str, message: String, destination_gone: bool) -> Outcome {
    Outcome::Failed(Failure {
        code: code.into(),
        message,
        destination_gone,
    })
}

/// Send again after `after_ms` milliseconds (0: on the host's own backoff
/// schedule), for `reason`.
pub fn retry(after_ms: u64, reason: String) -> Outcome {
    Outcome::RetryAfter(Retry { after_ms, reason })
}

/// `outcome` with `f` applied to its text: a retry's reason and a failure's
/// message. Everything else (the delivered id, codes, delays, whether the
/// destination is gone) is kept. For scrubbing a secret from what a component
/// returns: `map_outcome_text(outcome, |text| scrub(text, &token))`.
pub fn map_outcome_text(outcome: Outcome, f: impl Fn(&str) -> String) -> Outcome {
    match outcome {
        Outcome::Delivered(id) => Outcome::Delivered(id),
        Outcome::RetryAfter(r) => Outcome::RetryAfter(Retry {
            after_ms: r.after_ms,
            reason: f(&r.reason),
        }),
        Outcome::Failed(failure) => Outcome::Failed(Failure {
            code: failure.code,
            message: f(&failure.message),
            destination_gone: failure.destination_gone,
        }),
    }
}

impl<T: Channel> Guest for T {
    fn validate_destination(destination: Destination) -> Result<Vec<Pair>, ConnectorError> {
        <T as Channel>::validate_destination(destination)
    }
    fn send(destination: Destination, notification: Notification) -> Outcome {
        <T as Channel>::send(destination, notification)
    }
}

/// Exports a type implementing [`Channel`] as this component's `channel` world.
#[macro_export]
macro_rules! export_channel {
    ($t:ident) => {
        $crate::__stamp_api_version!();
        // The canonical-ABI exports only link on wasm; natively the crate is a
        // plain library (unit tests, benchmarks).
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::channel::export_channel_world!($t with_types_in $crate::bindings::channel);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_and_retry_build_outcomes() {
        match failed("chat_not_found", "gone".into(), true) {
            Outcome::Failed(f) => {
                assert_eq!(f.code, "chat_not_found");
                assert_eq!(f.message, "gone");
                assert!(f.destination_gone);
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        match retry(1_500, "busy".into()) {
            Outcome::RetryAfter(r) => assert_eq!((r.after_ms, r.reason.as_str()), (1_500, "busy")),
            other => panic!("expected a retry, got {other:?}"),
        }
    }

    #[test]
    fn map_outcome_text_changes_only_reasons_and_messages() {
        let shout = |text: &str| text.to_uppercase();
        match map_outcome_text(Outcome::Delivered(Some("id-7".into())), shout) {
            Outcome::Delivered(id) => assert_eq!(id.as_deref(), Some("id-7")),
            other => panic!("expected delivered, got {other:?}"),
        }
        assert!(matches!(
            map_outcome_text(Outcome::Delivered(None), shout),
            Outcome::Delivered(None)
        ));
        match map_outcome_text(retry(30_000, "slow down".into()), shout) {
            Outcome::RetryAfter(r) => {
                assert_eq!((r.after_ms, r.reason.as_str()), (30_000, "SLOW DOWN"));
            }
            other => panic!("expected a retry, got {other:?}"),
        }
        for gone in [true, false] {
            match map_outcome_text(failed("bad_request", "no such chat".into(), gone), shout) {
                Outcome::Failed(f) => {
                    assert_eq!(f.code, "bad_request");
                    assert_eq!(f.message, "NO SUCH CHAT");
                    assert_eq!(f.destination_gone, gone);
                }
                other => panic!("expected a failure, got {other:?}"),
            }
        }
    }
}
