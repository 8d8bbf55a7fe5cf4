//! The live call events: `call_ringing`, `call_answer`, `call_hangup`,
//! `call_held`, `call_active`.
//!
//! One builder serves all five: every field any of them carries is mapped
//! whatever the action, so a field the PBX adds to an event the seed did not
//! show is still used.

use switchboard_sdk::prelude::*;

use crate::action::Action;
use crate::fields::{Fields, pair};
use crate::outcome::{Answered, outcome};
use crate::{Settings, parties};

/// The event of one live call message. `body` is the message's `body`;
/// `extra` the envelope fields worth keeping.
pub fn build(
    action: Action,
    action_id: &str,
    mut body: Fields,
    extra: Vec<Pair>,
    settings: &Settings,
) -> Result<Event, ConnectorError> {
    let phase = match action {
        Action::CallRinging => CallPhase::Ringing,
        Action::CallAnswer => CallPhase::Answered,
        Action::CallHangup => CallPhase::Ended,
        Action::CallHeld => CallPhase::Held,
        Action::CallActive => CallPhase::Resumed,
        other => {
            return Err(ConnectorError::Internal(format!(
                "`{}` is not a call event",
                other.name()
            )));
        }
    };
    let call_id = body.require("call_id")?;
    let country = settings.default_country_code.as_str();
    let mut attributes = vec![pair("action_id", action_id)];

    // Legs share a session (the held example has call_id == session_id):
    // the session is the chain, so every leg of it is one call here.
    let session = body.text("session_id");
    let mut event = CallEvent::new(
        CallRef {
            external_id: call_id.clone(),
            chain_id: session.clone().unwrap_or_else(|| call_id.clone()),
            leg: 0,
        },
        phase,
    );
    if let Some(session) = session {
        attributes.push(pair("session_id", session));
    }
    // Ringing/answer/hangup name our side `domain_user`, held/active `user_uid`.
    event.extension = body.text("domain_user").or_else(|| body.text("user_uid"));
    event.user_id = body.text("crm_user");

    if let Some(code) = body.text("direction") {
        event.direction = settings.direction(&code);
        attributes.push(pair("direction", code));
    }
    let other_leg = body.text("other_leg");
    let party = parties::party(other_leg.as_deref(), "other_leg", country, &mut attributes);
    if party.internal {
        event.direction = Direction::Internal;
    }
    event.customer_phone = party.phone;

    let mut answered = Answered::Unknown;
    if let Some(seconds) = body.seconds("variable_answersec") {
        // FreeSWITCH's answersec: seconds from the start to the answer,
        // 0 when not answered (or answered within a second). Not talk time.
        if seconds > 0 {
            answered = Answered::Yes;
        }
        attributes.push(pair("variable_answersec", seconds.to_string()));
    }
    let mut rt_vars = body.object("rt_vars");
    if let Some(rt) = rt_vars.as_mut() {
        let gateway = rt.text("gateway_number");
        event.did = parties::did(
            gateway.as_deref(),
            "rt_vars.gateway_number",
            country,
            &mut attributes,
        );
        event.hangup_cause = rt.text("hangup_cause");
    }
    if phase == CallPhase::Ended {
        event.outcome = Some(outcome(
            answered,
            event.hangup_cause.as_deref(),
            event.direction,
        ));
    }

    if let Some(rt) = rt_vars {
        rt.into_attributes(&mut attributes);
    }
    body.into_attributes(&mut attributes);
    attributes.extend(extra);
    event.attributes = attributes;

    // A retry repeats the message: same action, action_id, call and user.
    // The seed gives ringing, answer and hangup of one call one action_id,
    // so the action is part of the key; a queue rings several users on one
    // call, so the user is too.
    let user = event
        .extension
        .as_deref()
        .or(event.user_id.as_deref())
        .unwrap_or("");
    let key = format!("{}:{action_id}:{call_id}:{user}", action.name());
    Ok(Event::new(key, EventBody::Call(event)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{attr, fields};
    use serde_json::json;

    fn call(e: &Event) -> &CallEvent {
        match &e.body {
            EventBody::Call(c) => c,
            other => panic!("not a call event: {other:?}"),
        }
    }

    fn hangup(body: serde_json::Value) -> CallEvent {
        let e = build(
            Action::CallHangup,
            "a1",
            fields(body),
            Vec::new(),
            &Settings::default(),
        )
        .unwrap();
        call(&e).clone()
    }

    #[test]
    fn missing_call_id_is_named() {
        let err = build(
            Action::CallRinging,
            "a1",
            fields(json!({"domain_user": "9022"})),
            Vec::new(),
            &Settings::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.contains("`body.call_id`")),
            "{err:?}"
        );
    }

    #[test]
    fn hangup_outcomes() {
        let answered = hangup(
            json!({"call_id": "c", "direction": 1, "variable_answersec": "9",
            "rt_vars": {"hangup_cause": "ORIGINATOR_CANCEL"}}),
        );
        assert_eq!(answered.outcome, Some(CallOutcome::Answered));
        let missed = hangup(
            json!({"call_id": "c", "direction": 1, "variable_answersec": "0",
            "rt_vars": {"hangup_cause": "ORIGINATOR_CANCEL"}}),
        );
        assert_eq!(missed.outcome, Some(CallOutcome::Missed));
        assert_eq!(attr(&missed.attributes, "variable_answersec"), Some("0"));
        let busy = hangup(
            json!({"call_id": "c", "direction": 0, "rt_vars": {"hangup_cause": "USER_BUSY"}}),
        );
        assert_eq!(busy.outcome, Some(CallOutcome::Busy));
        let bare = hangup(json!({"call_id": "c"}));
        assert_eq!(bare.outcome, Some(CallOutcome::Unknown));
        assert_eq!(bare.direction, Direction::Unknown);
        assert_eq!(bare.call.chain_id, "c");
    }

    #[test]
    fn internal_call_and_unknown_direction_code() {
        let e = hangup(json!({"call_id": "c", "other_leg": "1022", "direction": 5,
            "variable_answersec": "n/a"}));
        assert_eq!(e.direction, Direction::Internal);
        assert_eq!(e.customer_phone, None);
        assert_eq!(attr(&e.attributes, "internal.other_leg"), Some("1022"));
        assert_eq!(attr(&e.attributes, "direction"), Some("5"));
        assert_eq!(attr(&e.attributes, "variable_answersec"), Some("n/a"));
    }

    #[test]
    fn key_separates_users_ringing_on_one_call() {
        let ring = |user: &str| {
            build(
                Action::CallRinging,
                "a1",
                fields(json!({"call_id": "c", "domain_user": user})),
                Vec::new(),
                &Settings::default(),
            )
            .unwrap()
            .dedup_key
        };
        assert_eq!(ring("9022"), "call_ringing:a1:c:9022");
        assert_ne!(ring("9022"), ring("9023"));
    }
}
