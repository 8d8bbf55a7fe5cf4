//! `user_change` (a PBX user's registration: DomainUser `status`,
//! `protocol`) and `agent_change` (a call-center agent's status: DomainAgent
//! `base_status`, `extra_status`, `status_name`). The seed does not say what
//! the codes mean, so they are kept as sent.

use switchboard_sdk::prelude::*;

use crate::action::Action;
use crate::fields::{Fields, pair};

/// The agent event of one message.
///
/// | field | `user_change` | `agent_change` |
/// |---|---|---|
/// | kind | `status` | `agent-status` |
/// | extension | `user_uid` | `user_uid` |
/// | user-id | `crm_user` | `crm_user` |
/// | status | `status` | `status_name`, else `base_status` |
/// | attributes | `protocol`, the rest | `base_status`, `extra_status`, the rest |
pub fn build(
    action: Action,
    action_id: &str,
    mut body: Fields,
    extra: Vec<Pair>,
) -> Result<Event, ConnectorError> {
    let kind = match action {
        Action::UserChange => AgentEventKind::Status,
        Action::AgentChange => AgentEventKind::AgentStatus,
        other => {
            return Err(ConnectorError::Internal(format!(
                "`{}` is not an agent event",
                other.name()
            )));
        }
    };
    let extension = body.text("user_uid");
    let user_id = body.text("crm_user");
    if extension.is_none() && user_id.is_none() {
        return Err(body.missing("user_uid"));
    }
    let status = if kind == AgentEventKind::AgentStatus {
        body.text("status_name")
            .or_else(|| body.text("base_status"))
    } else {
        body.text("status")
    };
    let mut attributes = vec![pair("action_id", action_id)];
    body.into_attributes(&mut attributes);
    attributes.extend(extra);

    // A retry repeats the message; the user is part of the key in case the
    // PBX gives one id to a change that touches several users.
    let who = extension.as_deref().or(user_id.as_deref()).unwrap_or("");
    let key = format!("{}:{action_id}:{who}", action.name());
    let event = AgentEvent {
        kind,
        extension,
        user_id,
        queue: None,
        status,
        attributes,
    };
    Ok(Event::new(key, EventBody::Agent(event)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{attrs, fields};
    use serde_json::json;

    fn agent(e: &Event) -> &AgentEvent {
        match &e.body {
            EventBody::Agent(a) => a,
            other => panic!("not an agent event: {other:?}"),
        }
    }

    #[test]
    fn agent_change_without_a_status_name_uses_the_base_status() {
        let e = build(
            Action::AgentChange,
            "a1",
            fields(json!({"crm_user": "2", "base_status": -1, "extra_status": 1})),
            Vec::new(),
        )
        .unwrap();
        let a = agent(&e);
        assert_eq!(a.status.as_deref(), Some("-1"));
        assert_eq!(a.extension, None);
        assert_eq!(a.user_id.as_deref(), Some("2"));
        assert_eq!(
            attrs(&a.attributes),
            [("action_id", "a1"), ("extra_status", "1")]
        );
        assert_eq!(e.dedup_key, "agent_change:a1:2");
    }

    #[test]
    fn nobody_is_a_bad_request() {
        let err = build(
            Action::UserChange,
            "a1",
            fields(json!({"status": 1})),
            Vec::new(),
        )
        .unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.contains("`body.user_uid`")),
            "{err:?}"
        );
    }
}
