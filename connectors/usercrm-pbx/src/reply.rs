//! What we answer the PBX: its own envelope with `code` and `body`.
//!
//! The seed shows the replies to `test` and `get_users`
//! (`{"action", "obj", "code": 200, "body"}`) and `get_contact` (`list`
//! instead of `body`). We add `action_id` when the question had one, as the
//! PBX does in its own replies (`get_domain_user_list`), so a reply can be
//! matched to its question. Events get the `test` reply's shape: the seed
//! does not say what the PBX expects back from them.

use serde_json::{Map, Value, json};
use switchboard_sdk::prelude::*;

use crate::envelope::OBJ;

/// `{"action", "obj": "UserCRM", "action_id"?, "code"}`; the caller adds
/// `body` or `list`.
pub fn envelope(action: &str, action_id: Option<&str>, code: u16) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("action".into(), json!(action));
    map.insert("obj".into(), json!(OBJ));
    if let Some(id) = action_id {
        map.insert("action_id".into(), json!(id));
    }
    map.insert("code".into(), json!(code));
    map
}

/// `{"action": <action>, …, "code": 200, "body": {"success": true}}`: the
/// seed's successful `test` reply, and our acknowledgement of every event.
pub fn success(action: &str, action_id: Option<&str>) -> Value {
    let mut map = envelope(action, action_id, 200);
    map.insert("body".into(), json!({ "success": true }));
    Value::Object(map)
}

/// The HTTP response carrying a reply: always `200` with JSON.
pub fn http(reply: &Value) -> HttpResponse {
    HttpResponse::json(200, reply)
}

/// A vendor id as the seed's `get_contact` reply writes it: a JSON number
/// when it is one (`"id": 1`, `"owner_id": 1004`), otherwise a string (our
/// ids may be UUIDs). Leading zeros and numbers past 2^53 stay strings, so
/// the PBX gets back exactly the digits we have.
pub fn id_value(id: &str) -> Value {
    let numeric = !id.is_empty()
        && id.len() <= 15
        && id.bytes().all(|b| b.is_ascii_digit())
        && (id == "0" || !id.starts_with('0'));
    match id.parse::<u64>() {
        Ok(n) if numeric => json!(n),
        _ => json!(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_with_and_without_action_id() {
        assert_eq!(
            success("test", Some("123")),
            json!({"action": "test", "obj": "UserCRM", "action_id": "123", "code": 200,
                   "body": {"success": true}})
        );
        assert_eq!(
            success("call_held", None),
            json!({"action": "call_held", "obj": "UserCRM", "code": 200, "body": {"success": true}})
        );
    }

    #[test]
    fn ids_are_numbers_only_when_exactly_numbers() {
        assert_eq!(id_value("1004"), json!(1004));
        assert_eq!(id_value("0"), json!(0));
        assert_eq!(id_value("007"), json!("007"));
        assert_eq!(id_value("1234567890123456"), json!("1234567890123456"));
        assert_eq!(id_value("user_crm_30"), json!("user_crm_30"));
        assert_eq!(id_value(""), json!(""));
    }

    #[test]
    fn http_reply_is_json() {
        let r = http(&success("test", None));
        assert_eq!(r.status, 200);
        assert_eq!(find(&r.headers, "content-type"), Some("application/json"));
    }
}
