//! The `call-control` world: dial, hold and read history on a PBX.

use crate::bindings::call_control::exports::switchboard::connector::pbx_control::Guest;
pub use crate::bindings::call_control::exports::switchboard::connector::pbx_control::{
    DialRequest, DialResult, HistoryQuery, HoldRequest,
};
use crate::types::{CallEvent, ConnectorError, Installation};

/// Implement this and call [`crate::export_call_control!`]. Every method has a
/// default that answers `unsupported`, so a PBX that only dials implements
/// only `click_to_call`.
pub trait CallControl {
    fn click_to_call(
        _installation: Installation,
        _request: DialRequest,
    ) -> Result<DialResult, ConnectorError> {
        Err(ConnectorError::Unsupported(
            "click-to-call is not supported by this PBX".into(),
        ))
    }
    fn hold(_installation: Installation, _request: HoldRequest) -> Result<(), ConnectorError> {
        Err(ConnectorError::Unsupported(
            "hold is not supported by this PBX".into(),
        ))
    }
    fn call_history(
        _installation: Installation,
        _query: HistoryQuery,
    ) -> Result<Vec<CallEvent>, ConnectorError> {
        Err(ConnectorError::Unsupported(
            "call history is not supported by this PBX".into(),
        ))
    }
}

impl<T: CallControl> Guest for T {
    fn click_to_call(
        installation: Installation,
        request: DialRequest,
    ) -> Result<DialResult, ConnectorError> {
        <T as CallControl>::click_to_call(installation, request)
    }
    fn hold(installation: Installation, request: HoldRequest) -> Result<(), ConnectorError> {
        <T as CallControl>::hold(installation, request)
    }
    fn call_history(
        installation: Installation,
        query: HistoryQuery,
    ) -> Result<Vec<CallEvent>, ConnectorError> {
        <T as CallControl>::call_history(installation, query)
    }
}

/// Exports a type implementing [`CallControl`] as this component's
/// `call-control` world.
#[macro_export]
macro_rules! export_call_control {
    ($t:ident) => {
        $crate::__stamp_api_version!();
        // The canonical-ABI exports only link on wasm; natively the crate is a
        // plain library (unit tests, benchmarks).
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::call_control::export_call_control_world!($t with_types_in $crate::bindings::call_control);
    };
}
