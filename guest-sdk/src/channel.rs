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
