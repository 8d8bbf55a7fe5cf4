//! `get_users`: the tenant's users, which the PBX maps its own users onto.
//! The `id` we answer is the one the PBX sends back as `crm_user` in events
//! and that `make_call` / `switch_call_hold` take as `crm_user_id`: our
//! directory id.

use serde_json::{Value, json};
use switchboard_sdk::prelude::*;

use crate::action::Action;
use crate::reply;

/// `{"action": "get_users", "obj": "UserCRM", "action_id"?, "code": 200,
/// "body": [{"id": "1", "name": "Менеджер Рита"}, …]}`, in directory order.
/// Ids are strings, as in the seed.
pub fn reply(action_id: Option<&str>, users: &[DirectoryUser]) -> Value {
    let body: Vec<Value> = users
        .iter()
        .map(|u| json!({ "id": u.id, "name": u.name }))
        .collect();
    let mut map = reply::envelope(Action::GetUsers.name(), action_id, 200);
    map.insert("body".into(), Value::Array(body));
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_users_is_an_empty_list() {
        assert_eq!(
            reply(None, &[]),
            json!({"action": "get_users", "obj": "UserCRM", "code": 200, "body": []})
        );
    }
}
