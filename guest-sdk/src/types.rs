//! The normalised model (WIT interface `types`), with constructors and helpers
//! so connectors rarely spell out every field.

use crate::bindings::capabilities::switchboard::connector::types as wit;

pub use wit::{
    AgentEvent, AgentEventKind, AnalysisEvent, CallEvent, CallOutcome, CallPhase, CallRef,
    ChatParty, ConnectorError, Contact, ContactKind, Direction, DirectoryUser, EndpointKind, Event,
    EventBody, HttpRequest, HttpResponse, Installation, MessageDirection, MessageEvent, Pair,
    RecordingLink, RecordingsEvent, Timestamp, TransferKind,
};

/// Builds a `Vec<Pair>` from `(name, value)` tuples.
pub fn pairs<N: Into<String>, V: Into<String>>(
    items: impl IntoIterator<Item = (N, V)>,
) -> Vec<Pair> {
    items
        .into_iter()
        .map(|(n, v)| Pair {
            name: n.into(),
            value: v.into(),
        })
        .collect()
}

/// The first value named `name` in a list of pairs.
pub fn find<'a>(list: &'a [Pair], name: &str) -> Option<&'a str> {
    list.iter()
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

impl Installation {
    /// A non-secret setting.
    pub fn setting(&self, key: &str) -> Option<&str> {
        find(&self.config, key)
    }
}

/// A setting's text as a person meant it. The host passes settings that are
/// not strings as JSON text, and people paste values with stray spaces, so
/// `"7"`, `7` and ` 7 ` all read as `7`.
pub fn unquote_setting(value: &str) -> &str {
    let value = value.trim();
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
        .trim()
}

impl HttpRequest {
    /// A query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        find(&self.query, name)
    }

    /// A header; `name` must be lower-case (the host lower-cases header names).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str, ConnectorError> {
        std::str::from_utf8(&self.body)
            .map_err(|_| ConnectorError::BadRequest("body is not UTF-8".into()))
    }

    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ConnectorError::BadRequest(format!("invalid JSON body: {e}")))
    }

    /// Whether the body is declared as `application/x-www-form-urlencoded`.
    pub fn is_form(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
    }

    /// A parameter from the query string or, for form posts, the form body.
    /// Vendors mix the two freely (3CX can send either).
    pub fn param(&self, name: &str) -> Option<String> {
        if let Some(v) = self.query_param(name) {
            return Some(v.to_string());
        }
        if self.is_form() || !self.body.first().is_some_and(|b| *b == b'{' || *b == b'[') {
            let body = std::str::from_utf8(&self.body).ok()?;
            return crate::query::parse(body)
                .into_iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v);
        }
        None
    }

    /// All parameters: query first, then form body fields.
    pub fn params(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .query
            .iter()
            .map(|p| (p.name.clone(), p.value.clone()))
            .collect();
        let form_like =
            self.is_form() || !self.body.first().is_some_and(|b| *b == b'{' || *b == b'[');
        if let (true, Ok(body)) = (form_like, std::str::from_utf8(&self.body)) {
            out.extend(crate::query::parse(body));
        }
        out
    }
}

impl HttpResponse {
    /// An empty response with this status.
    pub fn status(status: u16) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `200 OK` with a plain-text body.
    pub fn ok_text(text: &str) -> Self {
        HttpResponse {
            status: 200,
            headers: pairs([("content-type", "text/plain; charset=utf-8")]),
            body: text.as_bytes().to_vec(),
        }
    }

    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        HttpResponse {
            status,
            headers: pairs([("content-type", "application/json")]),
            body: value.to_string().into_bytes(),
        }
    }
}

impl CallRef {
    /// A call without transfer chains: the id is its own chain, leg 0.
    pub fn single(id: &str) -> Self {
        CallRef {
            external_id: id.to_string(),
            chain_id: id.to_string(),
            leg: 0,
        }
    }
}

impl CallEvent {
    /// An event with every optional field empty.
    pub fn new(call: CallRef, phase: CallPhase) -> Self {
        CallEvent {
            call,
            phase,
            direction: Direction::Unknown,
            customer_phone: None,
            extension: None,
            extension_kind: EndpointKind::Extension,
            did: None,
            user_id: None,
            transfer: TransferKind::None,
            transferred: false,
            outcome: None,
            hangup_cause: None,
            started_at: None,
            answered_at: None,
            ended_at: None,
            duration_sec: None,
            talk_sec: None,
            recordings: Vec::new(),
            attributes: Vec::new(),
        }
    }
}

impl RecordingLink {
    /// A link whose MIME type is guessed from the URL's extension.
    pub fn from_url(url: &str) -> Self {
        let path = url
            .split(['?', '#'])
            .next()
            .unwrap_or(url)
            .to_ascii_lowercase();
        let mime = if path.ends_with(".mp3") {
            Some("audio/mpeg")
        } else if path.ends_with(".wav") {
            Some("audio/wav")
        } else if path.ends_with(".ogg") || path.ends_with(".opus") {
            Some("audio/ogg")
        } else {
            None
        };
        RecordingLink {
            url: url.to_string(),
            mime_type: mime.map(str::to_string),
        }
    }
}

impl Event {
    /// An event with no vendor timestamp.
    pub fn new(dedup_key: impl Into<String>, body: EventBody) -> Self {
        Event {
            dedup_key: dedup_key.into(),
            occurred_at: None,
            body,
        }
    }
}

impl ConnectorError {
    /// The human text inside any variant.
    pub fn message(&self) -> &str {
        match self {
            ConnectorError::Unauthorized(m)
            | ConnectorError::BadRequest(m)
            | ConnectorError::Config(m)
            | ConnectorError::BadCredentials(m)
            | ConnectorError::Unreachable(m)
            | ConnectorError::Upstream(m)
            | ConnectorError::Unsupported(m)
            | ConnectorError::Internal(m) => m,
        }
    }
}
