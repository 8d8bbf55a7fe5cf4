//! The `ingest` world: one request from the PBX to a question or events, and
//! the reply. Everything here is pure; the directory comes in through the
//! [`Directory`] trait, so whole requests are tested natively.

use switchboard_sdk::prelude::*;
use switchboard_sdk::secret::constant_time_eq;

use crate::action::Action;
use crate::envelope::{self, Envelope};
use crate::{Settings, agent, call, cdr, contacts, reply, users};

/// The tenant's directory, as `get_users` and `get_contact` need it.
pub trait Directory {
    fn users(&self) -> Vec<DirectoryUser>;
    /// Contacts and companies with this E.164 number.
    fn contacts(&self, phone_e164: &str) -> Vec<Contact>;
}

/// The host's directory (`switchboard_sdk::host::directory`).
pub struct HostDirectory;

impl Directory for HostDirectory {
    fn users(&self) -> Vec<DirectoryUser> {
        switchboard_sdk::host::directory::list_users()
    }
    fn contacts(&self, phone_e164: &str) -> Vec<Contact> {
        switchboard_sdk::host::directory::find_contacts(phone_e164)
    }
}

/// One accepted request.
#[derive(Debug, Clone)]
pub enum Inbound {
    /// `test`: answered with success.
    Test { action_id: Option<String> },
    /// `get_users`: answered with the directory's users.
    GetUsers { action_id: Option<String> },
    /// `get_contact`: the E.164 numbers to look up, best first (possibly none).
    GetContact {
        action_id: Option<String>,
        phones: Vec<String>,
    },
    /// An event: acknowledged, and stored.
    Events {
        action: Action,
        action_id: String,
        events: Vec<Event>,
    },
}

/// Authenticates and parses one request, in that order: a wrong key is
/// `unauthorized` before anything is read.
///
/// The key is `Authorization: Bearer <crmApiKey>`, compared in constant
/// time. A request with no `Authorization` header at all is accepted only
/// when it is a `test` (the seed's URL check is shown without one); anything
/// else without it, malformed bodies included, is `unauthorized`. No
/// `crmApiKey` configured is a `config` error.
pub fn accept(
    configured_key: Option<&str>,
    request: &HttpRequest,
    installation: &Installation,
) -> Result<Inbound, ConnectorError> {
    let key = configured_key
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ConnectorError::Config("secret `crmApiKey` is missing".into()))?;
    let Some(header) = request.header("authorization") else {
        let missing =
            || ConnectorError::Unauthorized("missing `Authorization: Bearer <crmApiKey>`".into());
        return match envelope::parse(request) {
            Ok(e) if e.action == Action::Test => Ok(Inbound::Test {
                action_id: e.action_id,
            }),
            _ => Err(missing()),
        };
    };
    if !bearer(header).is_some_and(|presented| constant_time_eq(key, presented)) {
        return Err(ConnectorError::Unauthorized(
            "wrong bearer key in `Authorization`".into(),
        ));
    }
    let settings = Settings::from_installation(installation)?;
    parse(request, &settings)
}

/// The token of `Bearer <token>` (scheme in any case).
fn bearer(header: &str) -> Option<&str> {
    let header = header.trim();
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Reads one request. No host calls.
pub fn parse(request: &HttpRequest, settings: &Settings) -> Result<Inbound, ConnectorError> {
    let Envelope {
        action,
        action_id,
        mut payload,
        extra,
    } = envelope::parse(request)?;
    let country = settings.default_country_code.as_str();
    match action {
        Action::Test => return Ok(Inbound::Test { action_id }),
        Action::GetUsers => return Ok(Inbound::GetUsers { action_id }),
        Action::GetContact => {
            let phones = contacts::phones(&mut payload, country)?;
            return Ok(Inbound::GetContact { action_id, phones });
        }
        _ => {}
    }
    // `envelope::parse` refuses events without an id.
    let action_id = action_id.unwrap_or_default();
    let event = match action {
        Action::UserChange | Action::AgentChange => {
            agent::build(action, &action_id, payload, extra)?
        }
        Action::CdrAppend => cdr::event(&action_id, payload, extra, settings)?,
        _ => call::build(action, &action_id, payload, extra, settings)?,
    };
    Ok(Inbound::Events {
        action,
        action_id,
        events: vec![event],
    })
}

/// The reply to an accepted request, asking `directory` only what it needs:
/// `get_users` lists users; `get_contact` looks the numbers up, and lists
/// users only when a contact has an owner.
pub fn respond(inbound: Inbound, directory: &impl Directory) -> IngestReply {
    let (body, events) = match inbound {
        Inbound::Test { action_id } => (
            reply::success(Action::Test.name(), action_id.as_deref()),
            Vec::new(),
        ),
        Inbound::GetUsers { action_id } => (
            users::reply(action_id.as_deref(), &directory.users()),
            Vec::new(),
        ),
        Inbound::GetContact { action_id, phones } => {
            let found = contacts::lookup(&phones, |p| directory.contacts(p));
            let owners = if contacts::needs_users(&found) {
                directory.users()
            } else {
                Vec::new()
            };
            (
                contacts::reply(action_id.as_deref(), &found, &owners),
                Vec::new(),
            )
        }
        Inbound::Events {
            action,
            action_id,
            events,
        } => (reply::success(action.name(), Some(&action_id)), events),
    };
    IngestReply {
        response: reply::http(&body),
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{installation, post, with_auth};

    fn accept_with(key: Option<&str>, request: &HttpRequest) -> Result<Inbound, ConnectorError> {
        accept(key, request, &installation(&[]))
    }

    const GET_USERS: &str =
        r#"{"action": "get_users", "obj": "UserCRM", "action_id": "1", "params": {}}"#;
    const TEST: &str = r#"{"action": "test", "obj": "UserCRM", "action_id": "1", "params": {}}"#;

    #[test]
    fn right_key_in_any_scheme_case() {
        for header in ["Bearer k3y", "bearer k3y", "  BEARER   k3y "] {
            let r = accept_with(Some("k3y"), &with_auth(GET_USERS, header));
            assert!(matches!(r, Ok(Inbound::GetUsers { .. })), "{header}: {r:?}");
        }
    }

    #[test]
    fn wrong_or_missing_key_is_unauthorized() {
        for request in [
            with_auth(GET_USERS, "Bearer nope"),
            with_auth(GET_USERS, "Basic k3y"),
            with_auth(GET_USERS, "k3y"),
            with_auth(GET_USERS, "Bearer "),
            with_auth(TEST, "Bearer nope"),
            post(GET_USERS),
            post("not json"),
        ] {
            let r = accept_with(Some("k3y"), &request);
            assert!(matches!(r, Err(ConnectorError::Unauthorized(_))), "{r:?}");
        }
    }

    #[test]
    fn wrong_key_is_refused_before_the_body_is_read() {
        let r = accept_with(Some("k3y"), &with_auth("not json", "Bearer nope"));
        assert!(matches!(r, Err(ConnectorError::Unauthorized(_))), "{r:?}");
        let r = accept_with(Some("k3y"), &with_auth("not json", "Bearer k3y"));
        assert!(matches!(r, Err(ConnectorError::BadRequest(_))), "{r:?}");
    }

    #[test]
    fn test_without_any_header_is_answered() {
        let r = accept_with(Some("k3y"), &post(TEST));
        assert!(matches!(r, Ok(Inbound::Test { .. })), "{r:?}");
    }

    #[test]
    fn no_configured_key_is_a_config_error() {
        for key in [None, Some("")] {
            let r = accept_with(key, &with_auth(TEST, "Bearer "));
            assert!(matches!(r, Err(ConnectorError::Config(ref m)) if m.contains("crmApiKey")));
        }
    }

    #[test]
    fn bad_settings_are_config_errors_after_auth() {
        let bad = installation(&[("utcOffsetMinutes", "lots")]);
        let r = accept(Some("k3y"), &with_auth(TEST, "Bearer k3y"), &bad);
        assert!(matches!(r, Err(ConnectorError::Config(_))), "{r:?}");
        let r = accept(Some("k3y"), &with_auth(TEST, "Bearer nope"), &bad);
        assert!(matches!(r, Err(ConnectorError::Unauthorized(_))), "{r:?}");
    }
}
