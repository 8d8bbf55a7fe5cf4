//! The JSON envelope every message has, both ways:
//! `{"action", "obj": "UserCRM", "action_id", "params" | "body"}`. Questions
//! (`test`, `get_users`, `get_contact`) carry `params`; events carry `body`
//! beside `code` and `notifies`.

use serde_json::{Map, Value};
use switchboard_sdk::prelude::*;

use crate::action::Action;
use crate::fields::{Fields, pair, scalar_text};

/// The `obj` of every message of this API.
pub const OBJ: &str = "UserCRM";

/// One message from the PBX.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub action: Action,
    /// The vendor's id of the message; events must have one.
    pub action_id: Option<String>,
    /// `params` of a question, `body` of an event (either name is read for
    /// both; the expected one first).
    pub payload: Fields,
    /// Envelope fields worth keeping on events: `code` when not 200,
    /// `notifies` when not empty, and any field the seed does not show.
    pub extra: Vec<Pair>,
}

/// Reads the envelope. Malformed JSON, a missing `action` or `obj`, an
/// `obj` other than `UserCRM`, an unknown action, or an event without
/// `action_id` or `body` is a bad request naming what is wrong.
pub fn parse(request: &HttpRequest) -> Result<Envelope, ConnectorError> {
    let value: Value = serde_json::from_slice(&request.body)
        .map_err(|e| ConnectorError::BadRequest(format!("invalid JSON body: {e}")))?;
    let Value::Object(map) = value else {
        return Err(ConnectorError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut top = Fields::new(map, "");
    let name = top.require("action")?;
    let obj = top.require("obj")?;
    if !obj.eq_ignore_ascii_case(OBJ) {
        return Err(ConnectorError::BadRequest(format!(
            "`obj` must be `{OBJ}`, got `{obj}`"
        )));
    }
    let action = Action::from_name(&name)
        .ok_or_else(|| ConnectorError::BadRequest(format!("unknown action `{name}`")))?;
    let action_id = top.text("action_id");
    let payload = payload(&mut top, action)?;
    let mut extra = Vec::new();
    if let Some(code) = top.text("code").filter(|c| c != "200") {
        extra.push(pair("code", code));
    }
    top.into_attributes(&mut extra);
    if !action.is_request() && action_id.is_none() {
        return Err(ConnectorError::BadRequest("missing `action_id`".into()));
    }
    Ok(Envelope {
        action,
        action_id,
        payload,
        extra,
    })
}

/// `params` or `body`. A question without one has empty parameters (the
/// seed's `test` and `get_users` send `{}`); an event without one is bad.
fn payload(top: &mut Fields, action: Action) -> Result<Fields, ConnectorError> {
    let names = if action.is_request() {
        ["params", "body"]
    } else {
        ["body", "params"]
    };
    for name in names {
        if !top.has(name) {
            continue;
        }
        let inner = top
            .object(name)
            .ok_or_else(|| ConnectorError::BadRequest(format!("`{name}` must be an object")))?;
        return Ok(Fields::new(inner.into_map(), name));
    }
    if action.is_request() {
        Ok(Fields::new(Map::new(), "params"))
    } else {
        Err(ConnectorError::BadRequest("missing `body`".into()))
    }
}

/// The text of an envelope field of a reply from the PBX (`code`).
pub fn text(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(scalar_text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{attrs, post};

    fn bad(body: &str) -> String {
        match parse(&post(body)) {
            Err(ConnectorError::BadRequest(m)) => m,
            other => panic!("expected BadRequest, got {other:?}"),
        }
    }

    #[test]
    fn question_without_params_has_empty_ones() {
        let e = parse(&post(r#"{"action": "get_users", "obj": "UserCRM"}"#)).unwrap();
        assert_eq!(e.action, Action::GetUsers);
        assert_eq!(e.action_id, None);
        assert!(e.extra.is_empty());
    }

    #[test]
    fn event_keeps_odd_envelope_fields() {
        let e = parse(&post(
            r#"{"action": "call_held", "obj": "usercrm", "action_id": 7, "code": 500,
                "notifies": ["x"], "body": {"call_id": "c"}}"#,
        ))
        .unwrap();
        assert_eq!(e.action_id.as_deref(), Some("7"));
        assert_eq!(attrs(&e.extra), [("code", "500"), ("notifies", "[\"x\"]")]);
    }

    #[test]
    fn bad_envelopes_name_the_problem() {
        assert!(bad("{'action': 'test'}").contains("invalid JSON"));
        assert!(bad("[]").contains("JSON object"));
        assert!(bad(r#"{"obj": "UserCRM"}"#).contains("`action`"));
        assert!(bad(r#"{"action": "test"}"#).contains("`obj`"));
        assert!(bad(r#"{"action": "test", "obj": "Deal"}"#).contains("`UserCRM`"));
        assert!(bad(r#"{"action": "fax", "obj": "UserCRM"}"#).contains("unknown action `fax`"));
        assert!(
            bad(r#"{"action": "call_held", "obj": "UserCRM", "body": {}}"#).contains("`action_id`")
        );
        assert!(
            bad(r#"{"action": "call_held", "obj": "UserCRM", "action_id": "1"}"#)
                .contains("missing `body`")
        );
        assert!(
            bad(r#"{"action": "get_contact", "obj": "UserCRM", "params": "x"}"#)
                .contains("`params` must be an object")
        );
    }
}
