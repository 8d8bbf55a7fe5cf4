//! The three call events: ringing, call started, call ended.
//!
//! One builder serves all three (and the call details of a recording POST):
//! every field the request carries is mapped whatever the phase, so a field
//! the module adds to an event the document did not list is still used.

use switchboard_sdk::prelude::*;

use crate::callid::{self, CallId};
use crate::params::Params;
use crate::{Settings, duration, fields, parties};

/// The call id of a request; call events, recordings and analytics need one.
pub fn id(params: &Params, settings: &Settings) -> Result<(String, CallId), ConnectorError> {
    let raw = params
        .get(fields::ID)
        .ok_or_else(|| ConnectorError::BadRequest("missing call `id`".into()))?;
    Ok((
        raw.to_string(),
        callid::parse(raw, settings.utc_offset_minutes),
    ))
}

/// Builds the call event of `phase`. `direction` is the one the event name
/// implies; an extension as the "external" party makes the call internal.
pub fn build(
    params: &Params,
    settings: &Settings,
    phase: CallPhase,
    direction: Direction,
) -> Result<CallEvent, ConnectorError> {
    let (_, id) = id(params, settings)?;
    let country = settings.default_country_code.as_deref();
    let mut attributes = Vec::new();
    let caller = parties::caller(params.get(fields::CALLER), country, &mut attributes);

    let mut event = CallEvent::new(id.call, phase);
    event.started_at = id.started_at;
    event.direction = if caller.internal {
        Direction::Internal
    } else {
        direction
    };
    event.customer_phone = caller.phone;
    event.did = parties::did(params.get(fields::DID), country, &mut attributes);
    event.extension = params.get(fields::USER).map(str::to_string);
    event.extension_kind = extension_kind(params.get(fields::USER_TYPE), &mut attributes);
    event.transfer = transfer_kind(params.get(fields::TRANSFER_TYPE), &mut attributes);
    event.outcome = params
        .get(fields::FINISH_TYPE)
        .map(|raw| outcome(raw, event.direction, &mut attributes));
    event.transferred = params
        .get(fields::TRANSFERRED)
        .is_some_and(|raw| flag(raw, "transfer", &mut attributes));
    event.duration_sec = params
        .get(fields::DURATION)
        .and_then(duration::from_field)
        .or_else(|| params.get(fields::TITLE).and_then(duration::from_title));

    // Everything not mapped above, `title` and `duration` included, stays as
    // the vendor sent it.
    attributes.extend(params.rest(&[
        crate::kind::EVENT,
        fields::ID,
        fields::CALLER,
        fields::DID,
        fields::USER,
        fields::USER_TYPE,
        fields::TRANSFER_TYPE,
        fields::FINISH_TYPE,
        fields::TRANSFERRED,
    ]));
    event.attributes = attributes;
    Ok(event)
}

/// `ext` / `queue` / `other`; absent means an extension (the call-started
/// and call-ended events carry no `usertype`).
fn extension_kind(raw: Option<&str>, attributes: &mut Vec<Pair>) -> EndpointKind {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None | Some("ext" | "extension" | "user") => EndpointKind::Extension,
        Some("queue") => EndpointKind::Queue,
        Some("other") => EndpointKind::Other,
        Some(_) => unknown_value("usertype", raw, attributes, EndpointKind::Other),
    }
}

/// `NotDef` / `Blind` / `Accomp` (accompanied = attended transfer).
fn transfer_kind(raw: Option<&str>, attributes: &mut Vec<Pair>) -> TransferKind {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None | Some("notdef" | "none") => TransferKind::None,
        Some("blind") => TransferKind::Blind,
        Some("accomp" | "accompanied" | "attended") => TransferKind::Attended,
        Some(_) => unknown_value("trtype", raw, attributes, TransferKind::None),
    }
}

/// `Ok` / `Missed`. The seed's `Missed` is two things: on an incoming call
/// no one at the 3CX side answered (missed), on an outgoing one "no one
/// picked up the phone at the other end" (no answer) — which a missed-call
/// rule must not count.
fn outcome(raw: &str, direction: Direction, attributes: &mut Vec<Pair>) -> CallOutcome {
    match raw.to_ascii_lowercase().as_str() {
        "ok" => CallOutcome::Answered,
        "missed" if direction == Direction::Outbound => CallOutcome::NoAnswer,
        "missed" => CallOutcome::Missed,
        _ => unknown_value("finishtype", Some(raw), attributes, CallOutcome::Unknown),
    }
}

/// `true` / `false` (and the usual other spellings of a boolean).
fn flag(raw: &str, field: &str, attributes: &mut Vec<Pair>) -> bool {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "да" => true,
        "false" | "0" | "no" | "нет" => false,
        _ => unknown_value(field, Some(raw), attributes, false),
    }
}

/// A value outside the documented set is not worth refusing the event for:
/// use `fallback` and keep the text in `raw.<field>`.
fn unknown_value<T>(field: &str, raw: Option<&str>, attributes: &mut Vec<Pair>, fallback: T) -> T {
    if let Some(raw) = raw {
        attributes.push(Pair {
            name: format!("raw.{field}"),
            value: raw.to_string(),
        });
    }
    fallback
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{attr, moscow};

    fn event(items: &[(&str, &str)], phase: CallPhase, direction: Direction) -> CallEvent {
        build(
            &Params::from_pairs(items.iter().copied()),
            &moscow(),
            phase,
            direction,
        )
        .unwrap()
    }

    #[test]
    fn ringing_fields() {
        let e = event(
            &[
                ("callerid", "89161234567"),
                ("did", "74951343060"),
                ("user", "101"),
                ("usertype", "ext"),
                ("id", "210701165649_698-0"),
            ],
            CallPhase::Ringing,
            Direction::Inbound,
        );
        assert_eq!(e.customer_phone.as_deref(), Some("+79161234567"));
        assert_eq!(e.did.as_deref(), Some("+74951343060"));
        assert_eq!(e.extension.as_deref(), Some("101"));
        assert_eq!(e.extension_kind, EndpointKind::Extension);
        assert_eq!(e.direction, Direction::Inbound);
        assert_eq!(e.call.chain_id, "210701165649_698");
        assert_eq!(e.started_at, Some(1_625_158_609_000 - 3 * 3_600_000));
        assert_eq!(attr(&e.attributes, "raw.callerid"), Some("89161234567"));
    }

    #[test]
    fn odd_values_fall_back_and_are_kept() {
        let e = event(
            &[
                ("id", "1"),
                ("usertype", "ivr"),
                ("trtype", "Park"),
                ("finishtype", "Busy"),
                ("transfer", "maybe"),
            ],
            CallPhase::Ended,
            Direction::Outbound,
        );
        assert_eq!(e.extension_kind, EndpointKind::Other);
        assert_eq!(e.transfer, TransferKind::None);
        assert_eq!(e.outcome, Some(CallOutcome::Unknown));
        assert!(!e.transferred);
        assert_eq!(attr(&e.attributes, "raw.usertype"), Some("ivr"));
        assert_eq!(attr(&e.attributes, "raw.trtype"), Some("Park"));
        assert_eq!(attr(&e.attributes, "raw.finishtype"), Some("Busy"));
        assert_eq!(attr(&e.attributes, "raw.transfer"), Some("maybe"));
    }

    #[test]
    fn duration_field_wins_over_title() {
        let e = event(
            &[
                ("id", "1"),
                ("Duration", "00:06"),
                ("title", "длительность 00:01:00"),
            ],
            CallPhase::Ended,
            Direction::Inbound,
        );
        assert_eq!(e.duration_sec, Some(6));
        assert_eq!(attr(&e.attributes, "Duration"), Some("00:06"));
        assert_eq!(attr(&e.attributes, "title"), Some("длительность 00:01:00"));
    }

    #[test]
    fn missing_id_is_a_bad_request() {
        let err = build(
            &Params::from_pairs([("user", "101")]),
            &moscow(),
            CallPhase::Ringing,
            Direction::Inbound,
        )
        .unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.contains("id")),
            "{err:?}"
        );
    }
}
