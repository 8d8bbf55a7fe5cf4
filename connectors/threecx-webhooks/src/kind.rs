//! Which event a request is, from its `event` name.
//!
//! The vendor document spells the call events (`ringing`, `hangupincoming`,
//! `hangupoutgoing`, `incoming`, `outgoing`) but not the recording, analytics
//! or status ones, so those accept several plausible names (see the README's
//! table). Names are matched after [`normalise`], so `queue_login`,
//! `queue-login` and `QueueLogin` are one name.

use switchboard_sdk::prelude::*;

use crate::fields;
use crate::params::{Params, normalise};

/// What a request reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A phone rings at an extension (or each agent of a queue).
    Ringing,
    /// "Call started": someone picked up.
    Answered(Direction),
    /// "Call ended": this leg is over.
    Ended(Direction),
    /// The later POST with mp3 links.
    Recordings,
    /// The later POST with transcript and summary.
    Analysis,
    /// An extension or queue change.
    Agent(AgentKind),
}

/// Status events either name the change (`queue_login`) or carry it in a
/// `status` value (`queue_status` + `status=login`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentKind {
    Fixed(AgentEventKind),
    /// Global queue login/logout, decided by the status value.
    QueuesStatus,
    /// Login/logout of one queue, decided by the status value.
    QueueStatus,
}

/// Accepted names, normalised. The first five rows are the vendor's own.
const NAMES: &[(&str, Kind)] = &[
    ("ringing", Kind::Ringing),
    ("hangupincoming", Kind::Answered(Direction::Inbound)),
    ("hangupoutgoing", Kind::Answered(Direction::Outbound)),
    ("incoming", Kind::Ended(Direction::Inbound)),
    ("outgoing", Kind::Ended(Direction::Outbound)),
    // Spellings of a public Postman collection of the same module.
    ("incomingcallstarted", Kind::Answered(Direction::Inbound)),
    ("outgoingcallstarted", Kind::Answered(Direction::Outbound)),
    ("ring", Kind::Ringing),
    ("record", Kind::Recordings),
    ("records", Kind::Recordings),
    ("recording", Kind::Recordings),
    ("recordings", Kind::Recordings),
    ("analytics", Kind::Analysis),
    ("analysis", Kind::Analysis),
    ("speech", Kind::Analysis),
    ("speechanalytics", Kind::Analysis),
    ("transcript", Kind::Analysis),
    ("transcription", Kind::Analysis),
    (
        "forwarding",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::Forwarding)),
    ),
    (
        "forwardingstatus",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::Forwarding)),
    ),
    (
        "extensionstatus",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::Forwarding)),
    ),
    (
        "queueslogin",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueuesLogin)),
    ),
    (
        "globallogin",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueuesLogin)),
    ),
    (
        "globalqueuelogin",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueuesLogin)),
    ),
    (
        "queueslogout",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueuesLogout)),
    ),
    (
        "globallogout",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueuesLogout)),
    ),
    (
        "globalqueuelogout",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueuesLogout)),
    ),
    ("queuesstatus", Kind::Agent(AgentKind::QueuesStatus)),
    ("globalstatus", Kind::Agent(AgentKind::QueuesStatus)),
    ("globalqueuestatus", Kind::Agent(AgentKind::QueuesStatus)),
    (
        "queuelogin",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueueLogin)),
    ),
    (
        "queuelogout",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueueLogout)),
    ),
    ("queuestatus", Kind::Agent(AgentKind::QueueStatus)),
    (
        "extensionadded",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::ExtensionAdded)),
    ),
    (
        "extensioncreated",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::ExtensionAdded)),
    ),
    (
        "newextension",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::ExtensionAdded)),
    ),
    (
        "extensionremoved",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::ExtensionRemoved)),
    ),
    (
        "extensiondeleted",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::ExtensionRemoved)),
    ),
    (
        "queuememberadded",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueueMemberAdded)),
    ),
    (
        "agentadded",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueueMemberAdded)),
    ),
    (
        "queueagentadded",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueueMemberAdded)),
    ),
    (
        "queuememberremoved",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueueMemberRemoved)),
    ),
    (
        "agentremoved",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueueMemberRemoved)),
    ),
    (
        "queueagentremoved",
        Kind::Agent(AgentKind::Fixed(AgentEventKind::QueueMemberRemoved)),
    ),
];

/// Parameter names that carry the event name.
pub const EVENT: &[&str] = &["event"];

/// The kind a (not yet normalised) event name stands for.
pub fn lookup(name: &str) -> Option<Kind> {
    let name = normalise(name);
    NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, kind)| *kind)
}

/// The event of a request: the `event` parameter; failing that, the key of a
/// `{"<event>": {...}}` JSON body or the last segment of the path
/// (`/hooks/{id}/ringing` arrives as `/ringing`), when either is a known name;
/// failing those, recording links or analytics text in the request.
pub fn resolve(params: &Params, path: &str) -> Result<Kind, ConnectorError> {
    if let Some(name) = params.get(EVENT) {
        return lookup(name)
            .ok_or_else(|| ConnectorError::BadRequest(format!("unknown event `{name}`")));
    }
    let from_path = path.rsplit('/').find(|s| !s.is_empty());
    params
        .wrapper()
        .and_then(lookup)
        .or_else(|| from_path.and_then(lookup))
        .or_else(|| infer(params))
        .ok_or_else(|| ConnectorError::BadRequest("missing `event` parameter".into()))
}

/// The document does not say the recording and analytics POSTs name their
/// event at all; what they carry does.
fn infer(params: &Params) -> Option<Kind> {
    if !crate::recordings::links(params).is_empty() {
        Some(Kind::Recordings)
    } else if params
        .get(fields::TRANSCRIPT)
        .or_else(|| params.get(fields::SUMMARY))
        .is_some()
    {
        Some(Kind::Analysis)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_names_and_spellings() {
        assert_eq!(lookup("ringing"), Some(Kind::Ringing));
        assert_eq!(
            lookup("HangupIncoming"),
            Some(Kind::Answered(Direction::Inbound))
        );
        assert_eq!(
            lookup("incomingcall_started"),
            Some(Kind::Answered(Direction::Inbound))
        );
        assert_eq!(lookup("outgoing"), Some(Kind::Ended(Direction::Outbound)));
        assert_eq!(
            lookup("queue-login"),
            Some(Kind::Agent(AgentKind::Fixed(AgentEventKind::QueueLogin)))
        );
        assert_eq!(lookup("hangup"), None);
    }

    #[test]
    fn every_name_is_normalised_and_unique() {
        for (i, (name, _)) in NAMES.iter().enumerate() {
            assert_eq!(normalise(name), *name);
            assert!(
                NAMES[..i].iter().all(|(other, _)| other != name),
                "{name} twice"
            );
        }
    }

    #[test]
    fn resolves_from_param_wrapper_or_path() {
        let p = Params::from_pairs([("event", "recording")]);
        assert_eq!(resolve(&p, "/ringing").unwrap(), Kind::Recordings);
        let none = Params::default();
        assert_eq!(resolve(&none, "/x/ringing").unwrap(), Kind::Ringing);
        let err = resolve(&none, "/").unwrap_err();
        assert!(matches!(err, ConnectorError::BadRequest(ref m) if m.contains("missing `event`")));
        let links = Params::from_pairs([("FILES", "https://pbx/a.mp3")]);
        assert_eq!(resolve(&links, "/").unwrap(), Kind::Recordings);
        let text = Params::from_pairs([("summary", "ok")]);
        assert_eq!(resolve(&text, "/").unwrap(), Kind::Analysis);
        let err = resolve(&Params::from_pairs([("event", "callback")]), "/").unwrap_err();
        assert!(matches!(err, ConnectorError::BadRequest(ref m) if m.contains("`callback`")));
    }
}
