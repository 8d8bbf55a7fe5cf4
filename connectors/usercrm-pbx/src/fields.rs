//! One JSON object of the vendor's (`body`, `params`, `rt_vars`, a CDR row)
//! read field by field. Every field taken is removed; what is left becomes
//! the event's attributes, so no field the PBX sends is ever dropped.

use serde_json::{Map, Value};
use switchboard_sdk::prelude::*;

/// The fields of one object, under a name used in error messages and as the
/// attribute prefix of nested objects (`rt_vars.hangup_cause`).
#[derive(Debug, Clone, Default)]
pub struct Fields {
    map: Map<String, Value>,
    /// Where the object sits, for messages: `body`, `body.rt_vars`.
    path: String,
    /// Prefix of its leftover fields as attributes: ``, `rt_vars.`.
    prefix: String,
}

impl Fields {
    /// The top-level object of an event or request (`body`, `params`):
    /// leftovers keep their own names.
    pub fn new(map: Map<String, Value>, path: &str) -> Self {
        Fields {
            map,
            path: path.to_string(),
            prefix: String::new(),
        }
    }

    /// A text value, trimmed: strings as they are, numbers and booleans as
    /// their JSON text. Blank strings and `null` are absent and consumed; an
    /// object or array is absent and left in place for the attributes.
    pub fn text(&mut self, name: &str) -> Option<String> {
        if matches!(self.map.get(name)?, Value::Object(_) | Value::Array(_)) {
            return None;
        }
        let text = self.map.remove(name).as_ref().and_then(scalar_text)?;
        let trimmed = text.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_string())
    }

    /// Like [`Self::text`], but a missing value is a bad request naming the
    /// field.
    pub fn require(&mut self, name: &str) -> Result<String, ConnectorError> {
        self.text(name).ok_or_else(|| self.missing(name))
    }

    /// The bad request for a missing field: ``missing `body.call_id` ``.
    pub fn missing(&self, name: &str) -> ConnectorError {
        ConnectorError::BadRequest(format!("missing `{}`", self.name(name)))
    }

    /// A whole number of seconds (`14`, `"14"`, `14.0`). A value that is not
    /// one is left in place, so it reaches the attributes as sent.
    pub fn seconds(&mut self, name: &str) -> Option<u32> {
        let parsed = match self.map.get(name)? {
            Value::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                    .map(|f| f as u64)
            }),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        }
        .and_then(|n| u32::try_from(n).ok())?;
        self.map.remove(name);
        Some(parsed)
    }

    /// A Unix time in seconds, possibly fractional (`1633333012.0`), as
    /// milliseconds; or a date-time text (`2021-10-04 10:36:52`, read in
    /// `offset_minutes` when it has no zone). Left in place when neither.
    pub fn unix_time_ms(&mut self, name: &str, offset_minutes: i32) -> Option<i64> {
        let ms = match self.map.get(name)? {
            Value::Number(n) => n.as_f64().and_then(seconds_to_ms),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(seconds_to_ms)
                .or_else(|| switchboard_sdk::time::parse_datetime(s, offset_minutes)),
            _ => None,
        }?;
        self.map.remove(name);
        Some(ms)
    }

    /// A nested object (`rt_vars`), whose leftovers become `name.<field>`
    /// attributes. A nested value that is not an object is left in place.
    pub fn object(&mut self, name: &str) -> Option<Fields> {
        if !matches!(self.map.get(name), Some(Value::Object(_))) {
            return None;
        }
        let Some(Value::Object(map)) = self.map.remove(name) else {
            return None;
        };
        Some(Fields {
            map,
            path: self.name(name),
            prefix: format!("{}{name}.", self.prefix),
        })
    }

    /// The fields not taken yet.
    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    /// Whether the object has a field of this name (even a blank one).
    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// The leftover fields as attributes, in the vendor's key order (sorted:
    /// `serde_json` keeps keys sorted): strings unchanged, numbers and
    /// booleans as JSON text, nested objects flattened to `outer.inner`,
    /// non-empty arrays as JSON text. `null` and `[]` carry nothing.
    pub fn into_attributes(self, out: &mut Vec<Pair>) {
        for (key, value) in self.map {
            let name = format!("{}{key}", self.prefix);
            match value {
                Value::Null => {}
                Value::Array(ref items) if items.is_empty() => {}
                Value::Object(map) => Fields {
                    map,
                    path: String::new(),
                    prefix: format!("{name}."),
                }
                .into_attributes(out),
                Value::Array(_) => out.push(pair(name, value.to_string())),
                other => {
                    if let Some(text) = scalar_text(&other) {
                        out.push(pair(name, text));
                    }
                }
            }
        }
    }

    /// The full name of a field, for messages: `body.call_id`.
    fn name(&self, field: &str) -> String {
        if self.path.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.path)
        }
    }
}

/// A scalar's text; `None` for `null`, objects and arrays.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Seconds (possibly fractional) to whole milliseconds; `None` for values no
/// PBX could mean (negative, not finite, past year 9999).
fn seconds_to_ms(seconds: f64) -> Option<i64> {
    (seconds.is_finite() && (0.0..253_402_300_800.0).contains(&seconds))
        .then(|| (seconds * 1000.0).round() as i64)
}

/// One attribute.
pub fn pair(name: impl Into<String>, value: impl Into<String>) -> Pair {
    Pair {
        name: name.into(),
        value: value.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;
    use serde_json::json;

    fn fields(value: Value) -> Fields {
        match value {
            Value::Object(map) => Fields::new(map, "body"),
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn taken_fields_leave_the_rest_as_attributes() {
        let mut f = fields(json!({
            "call_id": "c1",
            "other_leg": {"odd": 1},
            "direction": 0,
            "blank": "",
            "gone": null,
            "notifies": [],
            "list": [1, 2],
            "flag": true,
            "rt_vars": {"gateway_number": "74951343060", "x": {"y": "z"}},
        }));
        assert_eq!(f.text("call_id").as_deref(), Some("c1"));
        assert_eq!(f.text("direction").as_deref(), Some("0"));
        assert_eq!(f.text("blank"), None);
        assert_eq!(f.text("other_leg"), None);
        let mut rt = f.object("rt_vars").unwrap();
        assert_eq!(rt.text("gateway_number").as_deref(), Some("74951343060"));
        let mut out = Vec::new();
        rt.into_attributes(&mut out);
        f.into_attributes(&mut out);
        assert_eq!(
            attrs(&out),
            [
                ("rt_vars.x.y", "z"),
                ("flag", "true"),
                ("list", "[1,2]"),
                ("other_leg.odd", "1"),
            ]
        );
    }

    #[test]
    fn missing_fields_are_named() {
        let mut f = fields(json!({"rt_vars": {}}));
        let mut rt = f.object("rt_vars").unwrap();
        let err = rt.require("hangup_cause").unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.contains("`body.rt_vars.hangup_cause`")),
            "{err:?}"
        );
    }

    #[test]
    fn numbers_in_any_spelling_and_bad_ones_kept() {
        let mut f = fields(json!({
            "duration": 14, "billsec": "3", "hold": 2.0, "bad": "n/a", "neg": -1,
            "dt": 1633333012.0, "dt2": "1633333012.5", "dt3": "2021-10-04 10:36:52", "dt4": "soon",
        }));
        assert_eq!(f.seconds("duration"), Some(14));
        assert_eq!(f.seconds("billsec"), Some(3));
        assert_eq!(f.seconds("hold"), Some(2));
        assert_eq!(f.seconds("bad"), None);
        assert_eq!(f.seconds("neg"), None);
        assert_eq!(f.unix_time_ms("dt", 0), Some(1_633_333_012_000));
        assert_eq!(f.unix_time_ms("dt2", 0), Some(1_633_333_012_500));
        assert_eq!(f.unix_time_ms("dt3", 180), Some(1_633_333_012_000));
        assert_eq!(f.unix_time_ms("dt4", 0), None);
        let mut out = Vec::new();
        f.into_attributes(&mut out);
        assert_eq!(
            attrs(&out),
            [("bad", "n/a"), ("dt4", "soon"), ("neg", "-1")]
        );
    }
}
