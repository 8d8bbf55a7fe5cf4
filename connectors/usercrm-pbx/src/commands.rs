//! `make_call` (click-to-call) and `switch_call_hold` (hold / unhold).

use serde_json::{Map, Value, json};
use switchboard_sdk::prelude::*;

use crate::envelope;
use crate::pbx::{self, PbxRequest};

/// The user the PBX should ring first, as the PBX knows them: the dial
/// request's `user-id` (our directory id, which the PBX mapped from
/// `get_users`), else the directory user with the request's `extension`
/// (looked up by `find_user`). Neither → bad request: the seed's method
/// "works only for users added to the integration".
pub fn crm_user_id(
    request: &DialRequest,
    find_user: impl FnOnce(&str) -> Option<DirectoryUser>,
) -> Result<String, ConnectorError> {
    if let Some(id) = request
        .user_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        return Ok(id.to_string());
    }
    let extension = request
        .extension
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ConnectorError::BadRequest("make_call needs a `user-id` or an `extension`".into())
        })?;
    find_user(extension).map(|u| u.id).ok_or_else(|| {
        ConnectorError::BadRequest(format!(
            "no directory user has extension `{extension}`, so the PBX cannot ring one"
        ))
    })
}

/// `{"action": "make_call", "obj": "UserCRM", "action_id", "params":
/// {"crm_user_id", "dst"}}`. `dst` is the number as given (trimmed): the
/// seed's example is national (`89066800404`), E.164 works as well on
/// FreeSWITCH dial plans that accept `+`. `userfield` has no place in the
/// seed's request and is not sent.
pub fn make_call(
    endpoint: &str,
    action_id: &str,
    crm_user_id: &str,
    phone: &str,
) -> Result<PbxRequest, ConnectorError> {
    let dst = phone.trim();
    if dst.is_empty() {
        return Err(ConnectorError::BadRequest(
            "missing the number to call".into(),
        ));
    }
    let mut params = Map::new();
    params.insert("crm_user_id".into(), json!(crm_user_id));
    params.insert("dst".into(), json!(dst));
    Ok(PbxRequest {
        url: endpoint.to_string(),
        body: Value::Object(pbx::envelope("make_call", action_id, params)),
    })
}

/// `{"action": "switch_call_hold", "obj": "UserCRM", "action_id", "params":
/// {"crm_user_id", "call_id"}}`; `crm_user_id` is left out when the hold
/// request has no user.
pub fn switch_call_hold(
    endpoint: &str,
    action_id: &str,
    request: &HoldRequest,
) -> Result<PbxRequest, ConnectorError> {
    let call_id = request.call_id.trim();
    if call_id.is_empty() {
        return Err(ConnectorError::BadRequest("missing `call-id`".into()));
    }
    let mut params = Map::new();
    if let Some(user) = request
        .user_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        params.insert("crm_user_id".into(), json!(user));
    }
    params.insert("call_id".into(), json!(call_id));
    Ok(PbxRequest {
        url: endpoint.to_string(),
        body: Value::Object(pbx::envelope("switch_call_hold", action_id, params)),
    })
}

/// The result of an accepted `make_call`. The seed shows no reply, so the
/// new call's id is read from wherever a PBX of this family puts one
/// (`body.call_id`, `body.uuid`, `body.session_id`, or the same at the top),
/// and the message from `body.message` / `message` when present.
pub fn dial_result(reply: Option<&Value>) -> DialResult {
    let pick = |names: &[&str]| {
        reply.and_then(|r| {
            [r.get("body"), Some(r)]
                .into_iter()
                .flatten()
                .flat_map(|scope| names.iter().filter_map(move |n| envelope::text(scope, n)))
                .find(|v| !v.trim().is_empty())
        })
    };
    DialResult {
        external_id: pick(&["call_id", "uuid", "session_id"]),
        message: pick(&["message"]).unwrap_or_else(|| "make_call accepted by the PBX".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::user;

    fn dial(user_id: Option<&str>, extension: Option<&str>) -> DialRequest {
        DialRequest {
            extension: extension.map(str::to_string),
            user_id: user_id.map(str::to_string),
            phone: "89066800404".into(),
            userfield: Some("ignored".into()),
        }
    }

    #[test]
    fn user_id_wins_then_extension_lookup() {
        let never = |_: &str| -> Option<DirectoryUser> { panic!("no lookup expected") };
        assert_eq!(
            crm_user_id(&dial(Some("user_crm_30"), Some("101")), never).unwrap(),
            "user_crm_30"
        );
        let found = crm_user_id(&dial(Some(" "), Some("101")), |ext| {
            assert_eq!(ext, "101");
            Some(user("u7", "Рита", None))
        });
        assert_eq!(found.unwrap(), "u7");
        for (req, needle) in [
            (dial(None, Some("555")), "`555`"),
            (dial(None, None), "`user-id`"),
        ] {
            let err = crm_user_id(&req, |_| None).unwrap_err();
            assert!(
                matches!(err, ConnectorError::BadRequest(ref m) if m.contains(needle)),
                "{err:?}"
            );
        }
    }

    #[test]
    fn empty_numbers_and_call_ids_are_refused() {
        assert!(matches!(
            make_call("u", "1", "u1", "  "),
            Err(ConnectorError::BadRequest(_))
        ));
        let hold = HoldRequest {
            call_id: "".into(),
            user_id: None,
        };
        assert!(matches!(
            switch_call_hold("u", "1", &hold),
            Err(ConnectorError::BadRequest(_))
        ));
    }

    #[test]
    fn hold_without_user_leaves_it_out() {
        let hold = HoldRequest {
            call_id: "c1".into(),
            user_id: None,
        };
        let r = switch_call_hold("https://pbx/integration/usercrm/", "a", &hold).unwrap();
        assert_eq!(
            r.body,
            json!({"action": "switch_call_hold", "obj": "UserCRM", "action_id": "a",
                   "params": {"call_id": "c1"}})
        );
    }

    #[test]
    fn dial_results() {
        let r = dial_result(None);
        assert_eq!(r.external_id, None);
        assert_eq!(r.message, "make_call accepted by the PBX");
        let reply = json!({"code": 200, "body": {"call_id": "c-9", "message": "Вызов создан"}});
        let r = dial_result(Some(&reply));
        assert_eq!(r.external_id.as_deref(), Some("c-9"));
        assert_eq!(r.message, "Вызов создан");
        let reply = json!({"code": 200, "uuid": "u-1", "body": []});
        assert_eq!(
            dial_result(Some(&reply)).external_id.as_deref(),
            Some("u-1")
        );
    }
}
