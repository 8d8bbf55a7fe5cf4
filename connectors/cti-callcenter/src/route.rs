//! Which event a request is, from its path.
//!
//! The PBX calls `https://{domain_crm}/wsapi/{customer}/{event}`; the host
//! maps `/wsapi/{customer}` to the installation, so the connector sees
//! `/incoming_call`, `/outgoing_call` or `/call_answered`.

use switchboard_sdk::prelude::*;

/// The three events of the document (§1.1–1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// §1.1: a call to the PBX rings an extension.
    IncomingCall,
    /// §1.2: an extension (IP phone, softphone, smartphone) calls out.
    OutgoingCall,
    /// §1.3: the call log, sent when a call ends.
    CallAnswered,
}

impl Route {
    /// The route of `path`: the last segment, ASCII case-insensitively, with
    /// or without a trailing `/` or a `.php` suffix. Anything else is a
    /// `bad-request` naming the path.
    pub fn from_path(path: &str) -> Result<Self, ConnectorError> {
        let segment = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        let lower = segment.to_ascii_lowercase();
        match lower.strip_suffix(".php").unwrap_or(&lower) {
            "incoming_call" => Ok(Route::IncomingCall),
            "outgoing_call" => Ok(Route::OutgoingCall),
            "call_answered" => Ok(Route::CallAnswered),
            _ => Err(ConnectorError::BadRequest(format!(
                "unknown event path `{path}`: expected /incoming_call, /outgoing_call or /call_answered"
            ))),
        }
    }

    /// The prefix of this route's dedup keys.
    pub fn key_prefix(self) -> &'static str {
        match self {
            Route::IncomingCall => "incoming",
            Route::OutgoingCall => "outgoing",
            Route::CallAnswered => "answered",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_paths() {
        assert_eq!(
            Route::from_path("/incoming_call").unwrap(),
            Route::IncomingCall
        );
        assert_eq!(
            Route::from_path("/outgoing_call/").unwrap(),
            Route::OutgoingCall
        );
        assert_eq!(
            Route::from_path("/Call_Answered").unwrap(),
            Route::CallAnswered
        );
        assert_eq!(
            Route::from_path("/call_answered.php").unwrap(),
            Route::CallAnswered
        );
        assert_eq!(
            Route::from_path("/wsapi/ACME/incoming_call").unwrap(),
            Route::IncomingCall
        );
    }

    #[test]
    fn anything_else_is_a_bad_request() {
        for path in [
            "/",
            "",
            "/click2call.php",
            "/incoming",
            "/incoming_call/extra",
        ] {
            let err = Route::from_path(path).unwrap_err();
            assert!(
                matches!(err, ConnectorError::BadRequest(ref m) if m.contains("unknown event path")),
                "{path}: {err:?}"
            );
        }
    }
}
