//! # cti-callcenter
//!
//! Connector for a Vietnamese call-center PBX's "CTI API CALLCENTER" (seed
//! 001). The PBX calls the CRM at `https://{domain_crm}/wsapi/{customer}/…`:
//!
//! - `GET /incoming_call?secret=…&phone=…&extension=…&callid=…` when an
//!   extension rings for a call in;
//! - `GET /outgoing_call?…` (same parameters) when an extension calls out;
//! - `POST /call_answered?secret=…` with the call log as JSON when a call ends.
//!
//! And the CRM asks the PBX to dial: `GET https://{pbx}/wsapi/{customer}/
//! click2call.php?secret=…&extension=…&phone=…&userfield=…`.
//!
//! [`parse`] turns one inbound request into events without touching the
//! host; [`click_to_call`] builds the dial request and reads the reply, also
//! without the host. [`CtiCallcenter`] adds the secret check, the reply and
//! the HTTP call. The README lists every assumption.

mod call_log;
pub mod click_to_call;
mod fields;
pub mod params;
mod parties;
mod recording;
mod ringing;
pub mod route;
mod settings;
mod status;

#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod test_support;

use switchboard_sdk::host::{config, directory, http, log};
use switchboard_sdk::prelude::*;

use params::Params;
use route::Route;
pub use settings::Settings;

/// The component: `ingest` and `call-control`.
pub struct CtiCallcenter;

/// The installation's secret for inbound requests (and, unless
/// `pbxSecret` is set, for click-to-call).
pub const SECRET_KEY: &str = "secret";
/// The secret the PBX issued for click-to-call, when it differs.
pub const PBX_SECRET_KEY: &str = "pbxSecret";

/// The events of one inbound request: exactly one call event. Pure: no
/// host calls.
pub fn parse(request: &HttpRequest, settings: &Settings) -> Result<Vec<Event>, ConnectorError> {
    let route = Route::from_path(&request.path)?;
    let params = Params::from_request(request)?;
    let event = match route {
        Route::IncomingCall | Route::OutgoingCall => ringing::build(&params, settings, route)?,
        Route::CallAnswered => call_log::build(&params, settings)?,
    };
    Ok(vec![event])
}

/// Checks the `secret` query parameter (or form field) against the
/// configured one, in constant time. The secret is required: without one
/// configured every request is refused with `config`.
pub fn authorize(configured: Option<&str>, request: &HttpRequest) -> Result<(), ConnectorError> {
    let configured = configured
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ConnectorError::Config(format!("secret `{SECRET_KEY}` is not set")))?;
    match request.param(params::SECRET) {
        None => Err(ConnectorError::Unauthorized(
            "missing `secret` query parameter".into(),
        )),
        Some(presented) if switchboard_sdk::secret::constant_time_eq(configured, &presented) => {
            Ok(())
        }
        Some(_) => Err(ConnectorError::Unauthorized(
            "wrong `secret` query parameter".into(),
        )),
    }
}

/// The reply to every accepted request: the document shows none, so
/// `200 {"status":"ok"}`.
pub fn reply() -> HttpResponse {
    HttpResponse::json(200, &serde_json::json!({ "status": "ok" }))
}

impl Ingest for CtiCallcenter {
    fn handle(
        installation: Installation,
        request: HttpRequest,
    ) -> Result<IngestReply, ConnectorError> {
        let secret = config::secret(SECRET_KEY);
        authorize(secret.as_deref(), &request)?;
        let settings = Settings::from_installation(&installation)?;
        let events = parse(&request, &settings)?;
        Ok(IngestReply {
            response: reply(),
            events,
        })
    }
}

impl CallControl for CtiCallcenter {
    fn click_to_call(
        installation: Installation,
        dial: DialRequest,
    ) -> Result<DialResult, ConnectorError> {
        let settings = Settings::from_installation(&installation)?;
        let secret =
            click_to_call::pick_secret(config::secret(PBX_SECRET_KEY), config::secret(SECRET_KEY))?;
        let extension = click_to_call::extension(&dial, directory::list_users)?;
        let request = click_to_call::request(&settings, &secret, &extension, &dial)?;
        // Never log the URL: its query carries the secret.
        log::log(
            log::Level::Debug,
            "click-to-call",
            &[("extension", &extension)],
        );
        let response = http::Request::new(request.method, &request.url)
            .timeout_ms(click_to_call::TIMEOUT_MS)
            .send()
            .map_err(|e| click_to_call::transport_error(e, &secret))?;
        click_to_call::result(response.status, &response.body, &extension)
    }
}

// Only components export: natively the crate is an rlib for tests, and the
// exported names (`cabi_post_switchboard:connector/…`) cannot be linked into
// a native cdylib. Both macros stamp the same API version; the host accepts
// the repeated stamp.
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_ingest!(CtiCallcenter);
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_call_control!(CtiCallcenter);
