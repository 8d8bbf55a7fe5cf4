//! A message's `timestamp`.
//!
//! The document's format is ISO 8601 with a numeric zone and no colon,
//! `2021-02-24T16:25:29+0000`, and says it is UTC. Also read: `Z`, `+00:00`,
//! fractions of a second, no zone at all (read as UTC, as documented), and
//! epoch numbers (seconds, or milliseconds when that large).

use serde_json::Value;
use switchboard_sdk::time::parse_datetime;

/// Epoch values at or above this are milliseconds (this many seconds is the
/// year 5138; this many milliseconds is March 1973).
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// What a message says about when it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentAt {
    /// Milliseconds since the epoch, UTC.
    Read(i64),
    /// A value we cannot read, as sent.
    Unreadable(String),
    Missing,
}

impl SentAt {
    pub fn read(value: Option<&Value>) -> SentAt {
        let Some(value) = value else {
            return SentAt::Missing;
        };
        let parsed = match value {
            Value::String(s) if s.trim().is_empty() => return SentAt::Missing,
            Value::String(s) => {
                let s = s.trim();
                parse_datetime(s, 0).or_else(|| s.parse::<i64>().ok().map(epoch))
            }
            Value::Number(n) => n
                .as_i64()
                .map(epoch)
                // Float seconds, e.g. 1614183929.5; `as` saturates on nonsense.
                .or_else(|| n.as_f64().map(|f| (f * 1000.0).round() as i64)),
            _ => None,
        };
        match parsed {
            Some(ms) => SentAt::Read(ms),
            None => SentAt::Unreadable(crate::json::attribute_value(value).unwrap_or_default()),
        }
    }

    /// The part of the dedup key that pins the message in time: whole
    /// seconds (so a copy with or without milliseconds still matches), the
    /// text as sent when unreadable, nothing when missing.
    pub fn key_part(&self) -> Option<String> {
        match self {
            SentAt::Read(ms) => Some(ms.div_euclid(1000).to_string()),
            SentAt::Unreadable(raw) => Some(raw.clone()),
            SentAt::Missing => None,
        }
    }
}

fn epoch(n: i64) -> i64 {
    if n.abs() >= MILLIS_THRESHOLD {
        n
    } else {
        n.saturating_mul(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// 2021-02-24T16:25:29Z.
    const T: i64 = 1_614_183_929_000;

    fn read(v: Value) -> SentAt {
        SentAt::read(Some(&v))
    }

    #[test]
    fn the_documented_format_is_utc() {
        assert_eq!(read(json!("2021-02-24T16:25:29+0000")), SentAt::Read(T));
        assert_eq!(
            read(json!("2021-02-24T06:25:29+0000")),
            SentAt::Read(T - 10 * 3_600_000)
        );
    }

    #[test]
    fn other_spellings_of_the_same_instant() {
        for v in [
            json!("2021-02-24T16:25:29Z"),
            json!("2021-02-24T16:25:29"),
            json!("2021-02-24 16:25:29"),
            json!("2021-02-24T18:25:29+02:00"),
            json!(" 2021-02-24T16:25:29+0000 "),
            json!(1_614_183_929),
            json!("1614183929"),
            json!(T),
            json!(1_614_183_929.0),
        ] {
            assert_eq!(read(v.clone()), SentAt::Read(T), "{v}");
        }
        assert_eq!(
            read(json!("2021-02-24T16:25:29.250Z")),
            SentAt::Read(T + 250)
        );
    }

    #[test]
    fn missing_and_unreadable() {
        assert_eq!(SentAt::read(None), SentAt::Missing);
        assert_eq!(read(json!("  ")), SentAt::Missing);
        assert_eq!(
            read(json!("yesterday")),
            SentAt::Unreadable("yesterday".into())
        );
        assert_eq!(read(json!(true)), SentAt::Unreadable("true".into()));
    }

    #[test]
    fn key_part_is_whole_seconds() {
        assert_eq!(
            SentAt::Read(T + 250).key_part().as_deref(),
            Some("1614183929")
        );
        assert_eq!(SentAt::Read(T).key_part().as_deref(), Some("1614183929"));
        assert_eq!(
            SentAt::Unreadable("x".into()).key_part().as_deref(),
            Some("x")
        );
        assert_eq!(SentAt::Missing.key_part(), None);
    }
}
