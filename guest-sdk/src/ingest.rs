//! The `ingest` world: answer a vendor's inbound request and emit events.

use crate::bindings::ingest::exports::switchboard::connector::ingest_handler::Guest;
pub use crate::bindings::ingest::exports::switchboard::connector::ingest_handler::IngestReply;
use crate::types::{ConnectorError, HttpRequest, Installation};

/// Implement this and call [`crate::export_ingest!`].
pub trait Ingest {
    /// Handle one inbound request for `installation`. Authenticate it (with
    /// [`crate::host::config::secret`]), parse it, and return the reply to send
    /// and the events to store. The host stores the events before it replies.
    fn handle(
        installation: Installation,
        request: HttpRequest,
    ) -> Result<IngestReply, ConnectorError>;
}

impl<T: Ingest> Guest for T {
    fn handle(
        installation: Installation,
        request: HttpRequest,
    ) -> Result<IngestReply, ConnectorError> {
        <T as Ingest>::handle(installation, request)
    }
}

/// Exports a type implementing [`Ingest`] as this component's `ingest` world.
#[macro_export]
macro_rules! export_ingest {
    ($t:ident) => {
        $crate::__stamp_api_version!();
        // The canonical-ABI exports only link on wasm; natively the crate is a
        // plain library (unit tests, benchmarks).
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::ingest::export_ingest_world!($t with_types_in $crate::bindings::ingest);
    };
}
