//! The sync cursor: our own opaque text, persisted by the host after every
//! recording of a page is stored.
//!
//! ```json
//! {"lastId": 1042, "since": "2024-05-01T10:00:00Z"}
//! ```
//!
//! `lastId` is the highest 3CX recording `Id` handed to the host; the next
//! page asks for `Id gt lastId`, so a restart resumes exactly after the last
//! stored page: nothing missed, nothing listed twice. `since` is the start
//! time of that recording, for humans reading the cursor; it is not used.

use serde_json::{Value, json};
use switchboard_sdk::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub last_id: u64,
    pub since_ms: Option<i64>,
}

impl Cursor {
    /// Reads a cursor this connector wrote (a bare number is accepted too).
    pub fn decode(text: &str) -> Result<Cursor, ConnectorError> {
        let text = text.trim();
        if let Ok(last_id) = text.parse::<u64>() {
            return Ok(Cursor {
                last_id,
                since_ms: None,
            });
        }
        let bad = || ConnectorError::Internal(format!("unreadable sync cursor `{text}`"));
        let value: Value = serde_json::from_str(text).map_err(|_| bad())?;
        let last_id = value
            .get("lastId")
            .and_then(crate::recording::as_id)
            .ok_or_else(bad)?;
        let since_ms = value
            .get("since")
            .and_then(Value::as_str)
            .and_then(|s| switchboard_sdk::time::parse_datetime(s, 0));
        Ok(Cursor { last_id, since_ms })
    }

    pub fn encode(&self) -> String {
        let mut value = json!({ "lastId": self.last_id });
        if let Some(ms) = self.since_ms {
            value["since"] = Value::String(crate::odata::iso_utc(ms));
        }
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let c = Cursor {
            last_id: 1042,
            since_ms: Some(1_714_557_600_000),
        };
        let text = c.encode();
        assert_eq!(text, r#"{"lastId":1042,"since":"2024-05-01T10:00:00Z"}"#);
        assert_eq!(Cursor::decode(&text).unwrap(), c);
        let bare = Cursor {
            last_id: 7,
            since_ms: None,
        };
        assert_eq!(bare.encode(), r#"{"lastId":7}"#);
        assert_eq!(Cursor::decode(&bare.encode()).unwrap(), bare);
        assert_eq!(Cursor::decode(" 7 ").unwrap(), bare);
    }

    #[test]
    fn rejects_foreign_text() {
        for bad in ["", "abc", "{}", r#"{"lastId":-1}"#, r#"{"lastId":"x"}"#] {
            assert!(
                matches!(Cursor::decode(bad), Err(ConnectorError::Internal(_))),
                "{bad}"
            );
        }
    }
}
