//! # timelines-whatsapp
//!
//! Ingest connector for TimelinesAI's outgoing WhatsApp webhooks (seed 004):
//! TimelinesAI POSTs JSON to our URL whenever a message is sent or received
//! in any WhatsApp account of the workspace, either one message per request
//! (`message`) or aggregated per chat every 1/6/12/24 hours (`messages`, with
//! a pre-rendered HTML `aggregation`).
//!
//! [`parse`] turns one request into one `message-event` per message without
//! touching the host, so it is tested natively; [`Timelines`] adds the
//! optional `token` check, the clock and the reply. TimelinesAI disables a
//! hook after more than ten consecutive non-200 answers, so valid input is
//! always answered 200, and only a body that is not one of the two shapes is
//! refused. The README lists every mapping and assumption.

mod body;
mod bundle;
mod chat;
pub mod dedup;
mod delivery;
mod fields;
mod json;
mod message;
mod party;
mod sent_at;
mod settings;

#[cfg(test)]
mod scenarios;
/// The vendor document's example payloads, verbatim; public so the host's
/// end-to-end tests post exactly the same bytes.
#[doc(hidden)]
pub mod seed;
#[cfg(test)]
mod test_support;

use switchboard_sdk::host::{clock, config, log};
use switchboard_sdk::prelude::*;

use delivery::{Delivery, Origin};
pub use settings::Settings;

/// The component.
pub struct Timelines;

/// What a request produced: the events, and the bundle entries left out
/// because they were meaningless (with the reason, `messages[2]: …`).
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub events: Vec<Event>,
    pub skipped: Vec<String>,
}

/// The events of one request. Pure: no host calls.
pub fn parse(request: &HttpRequest, settings: &Settings) -> Result<Vec<Event>, ConnectorError> {
    parse_detailed(request, settings).map(|parsed| parsed.events)
}

/// [`parse`], also saying which bundle entries were skipped.
///
/// - An empty body is a ping: no events.
/// - A body that is not a JSON object, or has neither `message` nor
///   `messages`, is `BadRequest`.
/// - A single `message` that is meaningless (not an object, or neither
///   `message_id` nor `text`) is `BadRequest`; in a bundle such an entry is
///   skipped, unless every entry is, which is `BadRequest` again.
pub fn parse_detailed(
    request: &HttpRequest,
    settings: &Settings,
) -> Result<Parsed, ConnectorError> {
    let Some(root) = body::read(request)? else {
        return Ok(Parsed::default());
    };
    let delivery = Delivery::read(&root, settings)?;
    let mut parsed = Parsed::default();
    let mut first_of_bundle = true;
    for entry in &delivery.entries {
        let extra = match (entry.origin, &delivery.bundle) {
            (Origin::Bundle(index), Some(bundle)) => bundle.attributes(index, first_of_bundle),
            _ => Vec::new(),
        };
        match (
            message::build(entry.value, &delivery, settings, extra),
            entry.origin,
        ) {
            (Ok(event), origin) => {
                if matches!(origin, Origin::Bundle(_)) {
                    first_of_bundle = false;
                }
                parsed.events.push(event);
            }
            (Err(reason), Origin::Single) => {
                return Err(ConnectorError::BadRequest(format!("`message`: {reason}")));
            }
            (Err(reason), Origin::Bundle(index)) => {
                parsed.skipped.push(format!("messages[{index}]: {reason}"));
            }
        }
    }
    if parsed.events.is_empty() && !parsed.skipped.is_empty() {
        return Err(ConnectorError::BadRequest(format!(
            "no usable message: {}",
            parsed.skipped.join("; ")
        )));
    }
    Ok(parsed)
}

/// The answer to every accepted request: `200` with
/// `{"ok":true,"events":N}`, plus `"skipped":[…]` when bundle entries were
/// left out (TimelinesAI's request log shows the body, which helps whoever
/// debugs the sending side).
pub fn reply(parsed: &Parsed) -> HttpResponse {
    let mut body = serde_json::json!({ "ok": true, "events": parsed.events.len() });
    if !parsed.skipped.is_empty() {
        body["skipped"] = serde_json::json!(parsed.skipped);
    }
    HttpResponse::json(200, &body)
}

/// Checks the `token` query parameter against the configured secret, in
/// constant time. No secret (or an empty one) means the unguessable inbound
/// URL alone is the credential: TimelinesAI sends no headers of our choosing.
pub fn authorize(configured: Option<&str>, request: &HttpRequest) -> Result<(), ConnectorError> {
    let configured = configured.filter(|s| !s.is_empty());
    if switchboard_sdk::secret::check(configured, request.query_param("token")) {
        Ok(())
    } else {
        Err(ConnectorError::Unauthorized(
            "missing or wrong `token` query parameter".into(),
        ))
    }
}

impl Ingest for Timelines {
    fn handle(
        installation: Installation,
        request: HttpRequest,
    ) -> Result<IngestReply, ConnectorError> {
        let secret = config::secret("token");
        authorize(secret.as_deref(), &request)?;
        if let Some(raw) = Settings::invalid_country_code(&installation) {
            log::log(
                log::Level::Warn,
                "ignoring defaultCountryCode: not a calling code",
                &[("value", &raw)],
            );
        }
        let settings = Settings::from_installation(&installation, clock::now_ms());
        let parsed = parse_detailed(&request, &settings)?;
        for reason in &parsed.skipped {
            log::log(
                log::Level::Warn,
                "skipped a TimelinesAI bundle entry",
                &[("reason", reason)],
            );
        }
        Ok(IngestReply {
            response: reply(&parsed),
            events: parsed.events,
        })
    }
}

// Only components export: natively the crate is an rlib for tests, and the
// exported names (`cabi_post_switchboard:connector/…`) cannot be linked into
// a native cdylib.
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_ingest!(Timelines);
