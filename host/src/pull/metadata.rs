//! What a listed recording says about its call, as the one normalised event
//! the call model already folds: a `recordings` event whose details describe
//! the finished call (parties, direction, start, duration). Feeding it
//! through the same fold means a call made from a recording and one made
//! from webhooks are the same kind of record, and merge the same way.

use crate::calls::event_kind;
use crate::runtime::wit::since_v0_1_0::recording_source::exports::switchboard::connector::recordings::RemoteRecording;
use crate::runtime::wit::since_v0_1_0::types::{
    CallEvent, CallOutcome, CallPhase, CallRef, EndpointKind, Event, EventBody, RecordingsEvent,
    TransferKind,
};
use crate::store::{EventTarget, NewEvent};

/// The chain a recording's call is keyed by: the vendor's own chain when
/// the source names the call, else one of its own per recording.
pub fn chain_of(recording: &RemoteRecording) -> String {
    match &recording.call {
        Some(call) if !call.chain_id.trim().is_empty() => call.chain_id.clone(),
        _ => format!("recording:{}", recording.id),
    }
}

/// The event that makes (or adds to) the recording's call.
pub fn call_event(recording: &RemoteRecording) -> Result<NewEvent, serde_json::Error> {
    let chain_id = chain_of(recording);
    let call = recording.call.clone().unwrap_or(CallRef {
        external_id: chain_id.clone(),
        chain_id: chain_id.clone(),
        leg: 0,
    });
    let ended_at = recording
        .started_at
        .zip(recording.duration_sec)
        .map(|(start, secs)| start + i64::from(secs) * 1000);
    let details = CallEvent {
        call: call.clone(),
        // A recording exists once the call is over.
        phase: CallPhase::Summary,
        direction: recording.direction,
        customer_phone: recording.customer_phone.clone(),
        extension: recording.extension.clone(),
        extension_kind: EndpointKind::Extension,
        did: recording.did.clone(),
        user_id: None,
        transfer: TransferKind::None,
        transferred: false,
        // Someone talked, or there would be nothing recorded.
        outcome: Some(CallOutcome::Answered),
        hangup_cause: None,
        started_at: recording.started_at,
        answered_at: recording.started_at,
        ended_at,
        duration_sec: recording.duration_sec,
        talk_sec: recording.duration_sec,
        recordings: Vec::new(),
        attributes: recording.attributes.clone(),
    };
    let event = Event {
        dedup_key: format!("recording:{}", recording.id),
        occurred_at: recording.started_at,
        body: EventBody::Recordings(RecordingsEvent {
            call,
            recordings: Vec::new(),
            details: Some(details),
        }),
    };
    Ok(NewEvent {
        dedup_key: event.dedup_key.clone(),
        kind: event_kind(&event),
        payload: serde_json::to_string(&event)?,
        target: EventTarget::Call { chain_id },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::calls::fold::fold;
    use crate::runtime::wit::since_v0_1_0::types::{Direction, Pair};

    fn listed(call: Option<CallRef>) -> RemoteRecording {
        RemoteRecording {
            id: "1042".into(),
            call,
            direction: Direction::Inbound,
            customer_phone: Some("+66812345678".into()),
            extension: Some("101".into()),
            did: None,
            started_at: Some(1_714_557_600_000),
            duration_sec: Some(95),
            size_bytes: None,
            mime_type: Some("audio/wav".into()),
            attributes: vec![Pair {
                name: "FromDisplayName".into(),
                value: "Somchai".into(),
            }],
        }
    }

    #[test]
    fn a_recording_folds_into_a_finished_answered_call() {
        let e = call_event(&listed(None)).unwrap();
        assert_eq!(
            e.target,
            EventTarget::Call {
                chain_id: "recording:1042".into()
            }
        );
        let p = fold(&[e.payload]);
        assert_eq!(p.direction, "inbound");
        assert_eq!(p.customer_phone.as_deref(), Some("+66812345678"));
        assert_eq!(p.extension.as_deref(), Some("101"));
        assert_eq!(p.started_at, Some(1_714_557_600_000));
        assert_eq!(p.ended_at, Some(1_714_557_600_000 + 95_000));
        assert_eq!(p.duration_sec, Some(95));
        assert_eq!(p.status, "ended");
    }

    #[test]
    fn a_named_call_keys_by_the_vendor_chain() {
        let r = listed(Some(CallRef {
            external_id: "00000191_698-2".into(),
            chain_id: "00000191_698".into(),
            leg: 2,
        }));
        assert_eq!(chain_of(&r), "00000191_698");
        assert_eq!(
            call_event(&r).unwrap().target,
            EventTarget::Call {
                chain_id: "00000191_698".into()
            }
        );
    }
}
