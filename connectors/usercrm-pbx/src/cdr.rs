//! Call detail records: the `cdr_append` event, and each row `get_cdr`
//! returns (the seed says its filters are those of ReportCallsHistory, so
//! the rows are read as the same record).

use switchboard_sdk::prelude::*;

use crate::Settings;
use crate::fields::{Fields, pair};
use crate::outcome::{Answered, outcome};
use crate::parties::{self, is_extension};

/// The `summary` call event of one CDR.
///
/// | field | from |
/// |---|---|
/// | call | `uniqueid` (else `id`) as id and chain |
/// | started-at | `dt` (Unix seconds) |
/// | duration-sec, talk-sec | `duration`, `billsec` |
/// | ended-at | `dt` + `duration` |
/// | answered-at | ended-at − `billsec`, when `billsec` > 0 |
/// | direction | `direction` code (see settings); our extension calling a phone is outbound, a phone calling our extension inbound, two extensions internal |
/// | extension, customer-phone | `src`/`dst` by direction |
/// | did | `gateway_number` |
/// | hangup-cause | `bridge_hangup_cause` |
/// | outcome | `billsec` and the cause (see `outcome`) |
/// | recordings | `link` |
pub fn build(mut row: Fields, settings: &Settings) -> Result<CallEvent, ConnectorError> {
    let country = settings.default_country_code.as_str();
    let mut attributes = Vec::new();
    let id = row.text("id");
    let uniqueid = row.text("uniqueid");
    let call_id = uniqueid
        .clone()
        .or_else(|| id.clone())
        .ok_or_else(|| row.missing("uniqueid"))?;
    if let Some(id) = &id {
        attributes.push(pair("id", id));
    }

    let mut event = CallEvent::new(CallRef::single(&call_id), CallPhase::Summary);
    event.started_at = row.unix_time_ms("dt", settings.utc_offset_minutes);
    event.duration_sec = row.seconds("duration");
    event.talk_sec = row.seconds("billsec");
    if let (Some(start), Some(duration)) = (event.started_at, event.duration_sec) {
        let end = start + i64::from(duration) * 1000;
        event.ended_at = Some(end);
        event.answered_at = event
            .talk_sec
            .filter(|talk| *talk > 0 && *talk <= duration)
            .map(|talk| end - i64::from(talk) * 1000);
    }

    let code = row.text("direction");
    let mut direction = code
        .as_deref()
        .map_or(Direction::Unknown, |c| settings.direction(c));
    if let Some(code) = code {
        attributes.push(pair("direction", code));
    }
    let src = row.text("src");
    let dst = row.text("dst");
    let src_ext = src.as_deref().is_some_and(is_extension);
    let dst_ext = dst.as_deref().is_some_and(is_extension);
    if src_ext && dst_ext {
        direction = Direction::Internal;
    } else if direction == Direction::Unknown && src_ext {
        direction = Direction::Outbound;
    } else if direction == Direction::Unknown && dst_ext {
        direction = Direction::Inbound;
    }
    event.direction = direction;
    let ((ours, ours_field), (theirs, theirs_field)) = if direction == Direction::Inbound {
        ((dst, "dst"), (src, "src"))
    } else {
        ((src, "src"), (dst, "dst"))
    };
    match ours {
        Some(ext) if is_extension(&ext) => event.extension = Some(ext),
        Some(other) => attributes.push(pair(ours_field, other)),
        None => {}
    }
    let party = parties::party(theirs.as_deref(), theirs_field, country, &mut attributes);
    event.customer_phone = party.phone;

    let gateway = row.text("gateway_number");
    event.did = parties::did(
        gateway.as_deref(),
        "gateway_number",
        country,
        &mut attributes,
    );
    event.hangup_cause = row.text("bridge_hangup_cause");
    let answered = match event.talk_sec {
        Some(0) => Answered::No,
        Some(_) => Answered::Yes,
        None => Answered::Unknown,
    };
    event.outcome = Some(outcome(answered, event.hangup_cause.as_deref(), direction));

    if let Some(link) = row.text("link") {
        if link.starts_with("http://") || link.starts_with("https://") {
            event.recordings.push(RecordingLink::from_url(&link));
        } else {
            attributes.push(pair("link", link));
        }
    }
    row.into_attributes(&mut attributes);
    event.attributes = attributes;
    Ok(event)
}

/// The `cdr_append` event. The CDR's own `id` is its identity (a retry
/// repeats it, two CDRs never share it); without one, the call and the
/// message id.
pub fn event(
    action_id: &str,
    body: Fields,
    extra: Vec<Pair>,
    settings: &Settings,
) -> Result<Event, ConnectorError> {
    let mut call = build(body, settings)?;
    let key = match find(&call.attributes, "id") {
        Some(id) => format!("cdr_append:{id}"),
        None => format!("cdr_append:{}:{action_id}", call.call.external_id),
    };
    call.attributes.insert(0, pair("action_id", action_id));
    call.attributes.extend(extra);
    let occurred_at = call.ended_at.or(call.started_at);
    Ok(Event {
        dedup_key: key,
        occurred_at,
        body: EventBody::Call(call),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{attr, fields};
    use serde_json::json;

    fn cdr(row: serde_json::Value) -> CallEvent {
        build(fields(row), &Settings::default()).unwrap()
    }

    #[test]
    fn inbound_missed_cdr() {
        let c = cdr(
            json!({"uniqueid": "u1", "dt": 1633333012, "src": "89161234567",
            "dst": "9022", "duration": 20, "billsec": 0, "direction": 1,
            "bridge_hangup_cause": "NORMAL_CLEARING", "link": ""}),
        );
        assert_eq!(c.direction, Direction::Inbound);
        assert_eq!(c.extension.as_deref(), Some("9022"));
        assert_eq!(c.customer_phone.as_deref(), Some("+79161234567"));
        assert_eq!(c.outcome, Some(CallOutcome::Missed));
        assert_eq!(c.answered_at, None);
        assert_eq!(c.ended_at, Some(1_633_333_032_000));
        assert!(c.recordings.is_empty());
        assert_eq!(attr(&c.attributes, "raw.src"), Some("89161234567"));
    }

    #[test]
    fn direction_from_the_numbers_when_the_code_is_unknown() {
        let c =
            cdr(json!({"uniqueid": "u1", "src": "9022", "dst": "+74952523060", "direction": 7}));
        assert_eq!(c.direction, Direction::Outbound);
        assert_eq!(attr(&c.attributes, "direction"), Some("7"));
        let c = cdr(json!({"uniqueid": "u1", "src": "9022", "dst": "1022", "direction": 0}));
        assert_eq!(c.direction, Direction::Internal);
        assert_eq!(c.extension.as_deref(), Some("9022"));
        assert_eq!(attr(&c.attributes, "internal.dst"), Some("1022"));
        let c = cdr(json!({"uniqueid": "u1", "src": "+74951111111", "dst": "+74952222222"}));
        assert_eq!(c.direction, Direction::Unknown);
        assert_eq!(c.extension, None);
        assert_eq!(attr(&c.attributes, "src"), Some("+74951111111"));
        assert_eq!(c.customer_phone.as_deref(), Some("+74952222222"));
        assert_eq!(c.outcome, Some(CallOutcome::Unknown));
    }

    #[test]
    fn id_stands_in_for_uniqueid_and_neither_is_bad() {
        let c = cdr(json!({"id": 5}));
        assert_eq!(c.call.external_id, "5");
        let err = build(fields(json!({"src": "9022"})), &Settings::default()).unwrap_err();
        assert!(matches!(err, ConnectorError::BadRequest(ref m) if m.contains("`body.uniqueid`")));
    }

    #[test]
    fn key_without_cdr_id() {
        let e = event(
            "a9",
            fields(json!({"uniqueid": "u1"})),
            Vec::new(),
            &Settings::default(),
        )
        .unwrap();
        assert_eq!(e.dedup_key, "cdr_append:u1:a9");
        assert_eq!(e.occurred_at, None);
    }
}
