//! §1.3 call log (`call_answered`): the PBX's record of a finished call.

use switchboard_sdk::prelude::*;

use crate::params::{self, Params};
use crate::{Settings, fields, parties, recording, status};

/// The call log as a `summary` call event. Only `callid` is required; every
/// other field is used when present and well-formed, and kept raw when not
/// (a call log refused is a call lost). Keyed `answered:{callid}:{extension}`
/// (empty extension when absent): a PBX may log one call per extension.
///
/// Times: `calldate` is the start, in PBX local time; the end is start +
/// `duration`; the answer is end − `billsec` when the call was answered or
/// talk time was billed. `occurred_at` is the end (or the start when
/// `duration` is missing).
pub fn build(params: &Params, settings: &Settings) -> Result<Event, ConnectorError> {
    let callid = params.require(fields::CALLID)?;
    let extension = params.text(fields::EXTENSION);
    let mut attributes = Vec::new();

    let mut call = CallEvent::new(CallRef::single(&callid), CallPhase::Summary);
    call.direction = fields::direction(params, &mut attributes).unwrap_or(Direction::Unknown);
    call.customer_phone = parties::customer_phone(
        params.text(fields::PHONE).as_deref(),
        &settings.default_country_code,
        &mut attributes,
    );
    call.extension = extension.clone();
    call.outcome = params
        .text(fields::STATUS)
        .map(|raw| status::outcome(&raw, &mut attributes));
    call.duration_sec = fields::seconds(params, fields::DURATION, &mut attributes);
    call.talk_sec = fields::seconds(params, fields::BILLSEC, &mut attributes);
    call.started_at = fields::calldate(params, settings.utc_offset_minutes, &mut attributes);
    call.ended_at = call
        .started_at
        .zip(call.duration_sec)
        .map(|(start, d)| start + i64::from(d) * 1000);
    let talked = call.outcome == Some(CallOutcome::Answered) || call.talk_sec.unwrap_or(0) > 0;
    call.answered_at = match (talked, call.ended_at, call.talk_sec) {
        (true, Some(end), Some(talk)) => {
            // Talk time cannot exceed the whole call.
            let talk = call.duration_sec.map_or(talk, |d| talk.min(d));
            Some(end - i64::from(talk) * 1000)
        }
        _ => None,
    };
    call.recordings = recording::links(
        params.value(fields::RECORDING),
        settings.pbx_url.as_deref(),
        &mut attributes,
    );

    let mut mapped = vec![
        params::SECRET,
        fields::CALLID,
        fields::CALLDATE,
        fields::EXTENSION,
        fields::PHONE,
        fields::DURATION,
        fields::BILLSEC,
        fields::STATUS,
        fields::RECORDING,
    ];
    mapped.extend(fields::DIRECTION);
    // `userfield` and anything else the PBX adds, as sent.
    attributes.extend(params.rest(&mapped));
    call.attributes = attributes;

    let key = format!("answered:{callid}:{}", extension.as_deref().unwrap_or(""));
    let occurred_at = call.ended_at.or(call.started_at);
    let mut event = Event::new(key, EventBody::Call(call));
    event.occurred_at = occurred_at;
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{attr, call, vietnam};
    use serde_json::{Value, json};

    /// 2019-08-16 15:29:30 in Vietnam, in UTC ms.
    const START: i64 = 1_565_969_370_000 - 7 * 3_600_000;

    fn params(v: Value) -> Params {
        let Value::Object(map) = v else {
            panic!("not an object")
        };
        Params::from_values(map)
    }

    #[test]
    fn answered_call_times() {
        let e = build(
            &params(json!({
                "callid": "c-1", "calldate": "2019-08-16 15:29:30", "extension": "101",
                "phone": "0904824242", "duration": 23, "billsec": 11, "status": "ANSWERED"
            })),
            &vietnam(),
        )
        .unwrap();
        let c = call(&e);
        assert_eq!(c.started_at, Some(START));
        assert_eq!(c.ended_at, Some(START + 23_000));
        assert_eq!(c.answered_at, Some(START + 12_000));
        assert_eq!(e.occurred_at, Some(START + 23_000));
        assert_eq!(c.direction, Direction::Unknown);
    }

    #[test]
    fn unanswered_call_has_no_answer_time() {
        let e = build(
            &params(json!({
                "callid": "c-2", "calldate": "2019-08-16 15:29:30", "extension": "101",
                "duration": 30, "billsec": 0, "status": "NO ANSWER", "recording": ""
            })),
            &vietnam(),
        )
        .unwrap();
        let c = call(&e);
        assert_eq!(c.outcome, Some(CallOutcome::NoAnswer));
        assert_eq!(c.answered_at, None);
        assert_eq!(c.ended_at, Some(START + 30_000));
        assert!(c.recordings.is_empty());
        assert_eq!(c.talk_sec, Some(0));
        assert!(c.attributes.is_empty(), "{:?}", c.attributes);
    }

    #[test]
    fn only_callid_is_required() {
        let e = build(&params(json!({"callid": 42})), &vietnam()).unwrap();
        assert_eq!(e.dedup_key, "answered:42:");
        assert_eq!(e.occurred_at, None);
        let c = call(&e);
        assert_eq!(c.call.external_id, "42");
        assert_eq!(
            (c.outcome, c.duration_sec, c.started_at),
            (None, None, None)
        );
        let err = build(&params(json!({"extension": "101"})), &vietnam()).unwrap_err();
        assert!(matches!(err, ConnectorError::BadRequest(ref m) if m.contains("`callid`")));
    }

    #[test]
    fn direction_when_the_pbx_sends_one() {
        let e = build(
            &params(json!({"callid": "c-3", "direction": "outbound", "status": "BUSY"})),
            &vietnam(),
        )
        .unwrap();
        assert_eq!(call(&e).direction, Direction::Outbound);
        assert_eq!(call(&e).outcome, Some(CallOutcome::Busy));
        assert_eq!(attr(&call(&e).attributes, "direction"), None);
    }

    #[test]
    fn malformed_values_are_kept_not_refused() {
        let e = build(
            &params(json!({
                "callid": "c-4", "calldate": "yesterday", "duration": "long", "billsec": -1,
                "status": "WEIRD"
            })),
            &vietnam(),
        )
        .unwrap();
        let c = call(&e);
        assert_eq!(
            (c.started_at, c.duration_sec, c.talk_sec),
            (None, None, None)
        );
        assert_eq!(c.outcome, Some(CallOutcome::Unknown));
        assert_eq!(attr(&c.attributes, "raw.calldate"), Some("yesterday"));
        assert_eq!(attr(&c.attributes, "raw.duration"), Some("long"));
        assert_eq!(attr(&c.attributes, "raw.billsec"), Some("-1"));
        assert_eq!(attr(&c.attributes, "raw.status"), Some("WEIRD"));
    }
}
