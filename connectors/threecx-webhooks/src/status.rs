//! Extension and queue changes: forwarding status, global queue login/logout,
//! login/logout of one queue, extensions added/removed, agents added to or
//! removed from a queue.

use switchboard_sdk::prelude::*;
use switchboard_sdk::query::encode;

use crate::fields;
use crate::kind::{self, AgentKind};
use crate::params::{Params, normalise};

/// The agent event. Status events carry no id, so the key is the event and
/// every parameter, sorted: a retry repeats them exactly. A genuine repeat
/// with identical parameters (logout, login, logout again) collides too,
/// unless the module sends a time with it (see the README).
pub fn build(params: &Params, agent_kind: AgentKind) -> Result<Event, ConnectorError> {
    let status = params.get(fields::STATUS);
    let kind = match agent_kind {
        AgentKind::Fixed(kind) => kind,
        AgentKind::QueuesStatus => login_or_logout(
            status,
            AgentEventKind::QueuesLogin,
            AgentEventKind::QueuesLogout,
        )?,
        AgentKind::QueueStatus => login_or_logout(
            status,
            AgentEventKind::QueueLogin,
            AgentEventKind::QueueLogout,
        )?,
    };
    let event = AgentEvent {
        kind,
        extension: params.get(fields::AGENT).map(str::to_string),
        user_id: None,
        queue: params.get(fields::QUEUE).map(str::to_string),
        status: status.map(str::to_string),
        attributes: params.rest(&[kind::EVENT, fields::AGENT, fields::QUEUE, fields::STATUS]),
    };
    let mut parts: Vec<String> = params
        .iter()
        .filter(|p| !kind::EVENT.contains(&p.key.as_str()))
        .map(|p| format!("{}={}", encode(&p.key), encode(p.value.trim())))
        .collect();
    parts.sort();
    let key = format!("agent:{}:{}", label(kind), parts.join("&"));
    Ok(Event::new(key, EventBody::Agent(event)))
}

/// Reads a login/logout status value.
fn login_or_logout(
    status: Option<&str>,
    login: AgentEventKind,
    logout: AgentEventKind,
) -> Result<AgentEventKind, ConnectorError> {
    match status.map(normalise).as_deref() {
        Some("login" | "loggedin" | "in" | "on" | "true" | "1" | "yes") => Ok(login),
        Some("logout" | "loggedout" | "out" | "off" | "false" | "0" | "no") => Ok(logout),
        _ => Err(ConnectorError::BadRequest(format!(
            "queue status must be login or logout (in `status`), got `{}`",
            status.unwrap_or("")
        ))),
    }
}

/// A stable name for dedup keys (the WIT enum's own spelling).
fn label(kind: AgentEventKind) -> &'static str {
    match kind {
        AgentEventKind::Status => "status",
        AgentEventKind::AgentStatus => "agent-status",
        AgentEventKind::Forwarding => "forwarding",
        AgentEventKind::QueuesLogin => "queues-login",
        AgentEventKind::QueuesLogout => "queues-logout",
        AgentEventKind::QueueLogin => "queue-login",
        AgentEventKind::QueueLogout => "queue-logout",
        AgentEventKind::QueueMemberAdded => "queue-member-added",
        AgentEventKind::QueueMemberRemoved => "queue-member-removed",
        AgentEventKind::ExtensionAdded => "extension-added",
        AgentEventKind::ExtensionRemoved => "extension-removed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(e: &Event) -> &AgentEvent {
        match &e.body {
            EventBody::Agent(a) => a,
            _ => panic!("not an agent event"),
        }
    }

    #[test]
    fn status_value_decides_login_or_logout() {
        let p = Params::from_pairs([
            ("event", "queue_status"),
            ("user", "101"),
            ("queue", "800"),
            ("status", "LoggedOut"),
        ]);
        let e = build(&p, AgentKind::QueueStatus).unwrap();
        assert_eq!(agent(&e).kind, AgentEventKind::QueueLogout);
        assert_eq!(agent(&e).queue.as_deref(), Some("800"));
        assert_eq!(
            e.dedup_key,
            "agent:queue-logout:queue=800&status=LoggedOut&user=101"
        );
    }

    #[test]
    fn unclear_status_is_a_bad_request() {
        let p = Params::from_pairs([("user", "101"), ("status", "maybe")]);
        let err = build(&p, AgentKind::QueuesStatus).unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.contains("maybe")),
            "{err:?}"
        );
    }

    #[test]
    fn parameter_order_does_not_change_the_key() {
        let a = Params::from_pairs([("user", "101"), ("queue", "800")]);
        let b = Params::from_pairs([("queue", "800"), ("User", "101")]);
        let kind = AgentKind::Fixed(AgentEventKind::QueueMemberAdded);
        assert_eq!(
            build(&a, kind).unwrap().dedup_key,
            build(&b, kind).unwrap().dedup_key
        );
        let c = Params::from_pairs([("queue", "801"), ("user", "101")]);
        assert_ne!(
            build(&a, kind).unwrap().dedup_key,
            build(&c, kind).unwrap().dedup_key
        );
    }
}
