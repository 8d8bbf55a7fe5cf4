//! # threecx-webhooks
//!
//! Ingest connector for the 3CX "webhooks" add-on module (seed 003): a
//! service beside the PBX that calls our URL when a phone rings, a call
//! starts or ends, a recording is ready, speech analytics are done, or an
//! extension's or queue's status changes.
//!
//! [`parse`] turns one request into normalised events without touching the
//! host, so it is tested and benchmarked natively; [`ThreeCx`] adds the
//! `token` check and the reply. What the vendor document leaves open (field
//! names of the later POSTs, the encoding) is read tolerantly; the README
//! lists every assumption.

mod analysis;
mod call;
pub mod callid;
mod duration;
mod fields;
mod kind;
pub mod params;
mod parties;
mod recordings;
mod settings;
mod status;

#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod test_support;

use switchboard_sdk::prelude::*;
use switchboard_sdk::time::parse_datetime;

use kind::Kind;
use params::Params;
pub use settings::Settings;

/// The component.
pub struct ThreeCx;

/// The events of one request. Pure: no host calls.
pub fn parse(request: &HttpRequest, settings: &Settings) -> Result<Vec<Event>, ConnectorError> {
    let params = Params::from_request(request)?;
    let call = |phase, direction| call_event(&params, settings, phase, direction).map(|e| vec![e]);
    let mut events = match kind::resolve(&params, &request.path)? {
        Kind::Ringing => call(CallPhase::Ringing, Direction::Inbound)?,
        Kind::Answered(direction) => call(CallPhase::Answered, direction)?,
        Kind::Ended(direction) => ended(&params, settings, direction)?,
        Kind::Recordings => vec![recordings::build(&params, settings, None)?],
        Kind::Analysis => vec![analysis::build(&params, settings)?],
        Kind::Agent(agent_kind) => vec![status::build(&params, agent_kind)?],
    };
    // The documented events carry no time of their own; use one if sent.
    let occurred_at = params
        .get(fields::TIME)
        .and_then(|t| parse_datetime(t, settings.utc_offset_minutes));
    for event in &mut events {
        event.occurred_at = occurred_at;
    }
    Ok(events)
}

/// A call event keyed `{phase}:{id}:{user}`: one id rings several agents of
/// a queue, and every leg of a chain has its own id.
fn call_event(
    params: &Params,
    settings: &Settings,
    phase: CallPhase,
    direction: Direction,
) -> Result<Event, ConnectorError> {
    let call = call::build(params, settings, phase, direction)?;
    let prefix = match phase {
        CallPhase::Ringing => "ringing",
        CallPhase::Answered => "answered",
        _ => "ended",
    };
    let user = call.extension.as_deref().unwrap_or("");
    let key = format!("{prefix}:{}:{user}", call.call.external_id);
    Ok(Event::new(key, EventBody::Call(call)))
}

/// The call-ended event. A recording POST configured to repeat the
/// call-ended fields may repeat the event name too: then the ended event has
/// the key of the one already received (so it is stored once) and the links
/// become a recordings event rather than being lost.
fn ended(
    params: &Params,
    settings: &Settings,
    direction: Direction,
) -> Result<Vec<Event>, ConnectorError> {
    let mut out = vec![call_event(params, settings, CallPhase::Ended, direction)?];
    if !recordings::links(params).is_empty() {
        out.push(recordings::build(params, settings, Some(direction))?);
    }
    Ok(out)
}

/// Checks the `token` query parameter against the configured secret, in
/// constant time. No secret (or an empty one) means the URL alone is the
/// credential: the module's ini file has nowhere else to put one.
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

impl Ingest for ThreeCx {
    fn handle(
        installation: Installation,
        request: HttpRequest,
    ) -> Result<IngestReply, ConnectorError> {
        let secret = switchboard_sdk::host::config::secret("token");
        authorize(secret.as_deref(), &request)?;
        let settings = Settings::from_installation(&installation)?;
        let events = parse(&request, &settings)?;
        Ok(IngestReply {
            response: HttpResponse::ok_text("OK"),
            events,
        })
    }
}

// Only components export: natively the crate is an rlib for tests and
// benchmarks, and the exported names (`cabi_post_switchboard:connector/…`)
// cannot be linked into a native cdylib.
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_ingest!(ThreeCx);
