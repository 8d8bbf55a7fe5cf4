//! Field names of the document, and readers for the typed ones.

use serde_json::Value;
use switchboard_sdk::prelude::*;
use switchboard_sdk::time::parse_datetime;

use crate::params::Params;

/// `{callid}`: the PBX's id of the call.
pub const CALLID: &str = "callid";
/// `{phone}`: the customer's number (caller or callee).
pub const PHONE: &str = "phone";
/// `{extension}`: our side.
pub const EXTENSION: &str = "extension";
/// `{calldate}`: `Y-m-d H:i:s`, PBX local time, when the call started.
pub const CALLDATE: &str = "calldate";
/// `{duration}`: seconds, ringing included.
pub const DURATION: &str = "duration";
/// `{billsec}`: seconds of conversation.
pub const BILLSEC: &str = "billsec";
/// `{status}`: `ANSWERED`, `NO ANSWER`, `BUSY`, …
pub const STATUS: &str = "status";
/// `{recording}`: link to the recording.
pub const RECORDING: &str = "recording";
/// Not in the document; read when a PBX adds it to the call log, which
/// otherwise does not say which way the call went.
pub const DIRECTION: &[&str] = &["direction", "calltype"];

/// `calldate` as UTC milliseconds. A value in another format leaves the
/// time empty and is kept in `raw.calldate`, rather than refusing the event.
pub fn calldate(params: &Params, offset_minutes: i32, attributes: &mut Vec<Pair>) -> Option<i64> {
    let raw = params.text(CALLDATE)?;
    let ms = parse_datetime(&raw, offset_minutes);
    if ms.is_none() {
        keep_raw(CALLDATE, raw, attributes);
    }
    ms
}

/// Whole seconds from a JSON number or numeric text (`23`, `"23"`, `23.0`).
/// Anything else (negative, words) leaves the field empty and is kept in
/// `raw.<name>`.
pub fn seconds(params: &Params, name: &str, attributes: &mut Vec<Pair>) -> Option<u32> {
    let value = params.value(name)?;
    let parsed = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite() && *f >= 0.0 && *f <= f64::from(u32::MAX))
    .map(|f| f.round() as u32);
    if parsed.is_none() {
        keep_raw(name, params.text(name).unwrap_or_default(), attributes);
    }
    parsed
}

/// `direction` / `calltype` when the PBX sends one: `inbound`/`incoming`/`in`,
/// `outbound`/`outgoing`/`out`, `internal`/`local`. Other values are kept in
/// `raw.direction`.
pub fn direction(params: &Params, attributes: &mut Vec<Pair>) -> Option<Direction> {
    let raw = DIRECTION.iter().find_map(|name| params.text(name))?;
    match raw.to_ascii_lowercase().as_str() {
        "in" | "inbound" | "incoming" | "incoming_call" => Some(Direction::Inbound),
        "out" | "outbound" | "outgoing" | "outgoing_call" => Some(Direction::Outbound),
        "internal" | "local" => Some(Direction::Internal),
        _ => {
            keep_raw("direction", raw, attributes);
            None
        }
    }
}

fn keep_raw(name: &str, value: String, attributes: &mut Vec<Pair>) {
    attributes.push(Pair {
        name: format!("raw.{name}"),
        value,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;
    use serde_json::json;

    #[test]
    fn calldate_in_pbx_time() {
        let mut a = Vec::new();
        let p = Params::from_values([(CALLDATE, json!("2019-08-16 15:29:30"))]);
        // 2019-08-16 15:29:30 UTC is 1565969370; Vietnam is 7 h ahead.
        assert_eq!(
            calldate(&p, 420, &mut a),
            Some(1_565_969_370_000 - 7 * 3_600_000)
        );
        let p = Params::from_values([(CALLDATE, json!("16/08/2019 15:29"))]);
        assert_eq!(calldate(&p, 420, &mut a), None);
        assert_eq!(attrs(&a), vec![("raw.calldate", "16/08/2019 15:29")]);
    }

    #[test]
    fn seconds_from_numbers_and_text() {
        let mut a = Vec::new();
        for (v, want) in [
            (json!(23), Some(23)),
            (json!("11"), Some(11)),
            (json!(" 7 "), Some(7)),
            (json!(4.6), Some(5)),
            (json!(0), Some(0)),
        ] {
            let p = Params::from_values([(DURATION, v.clone())]);
            assert_eq!(seconds(&p, DURATION, &mut a), want, "{v}");
        }
        assert!(a.is_empty());
        for v in [json!(-3), json!("abc"), json!(true), json!([1])] {
            let p = Params::from_values([(BILLSEC, v.clone())]);
            assert_eq!(seconds(&p, BILLSEC, &mut a), None, "{v}");
        }
        assert_eq!(a.len(), 4);
        assert!(a.iter().all(|p| p.name == "raw.billsec"));
        assert_eq!(seconds(&Params::default(), BILLSEC, &mut a), None);
    }

    #[test]
    fn directions() {
        let mut a = Vec::new();
        for (v, want) in [
            ("inbound", Some(Direction::Inbound)),
            ("OUTGOING", Some(Direction::Outbound)),
            ("local", Some(Direction::Internal)),
            ("sideways", None),
        ] {
            let p = Params::from_values([("calltype", json!(v))]);
            assert_eq!(direction(&p, &mut a), want, "{v}");
        }
        assert_eq!(attrs(&a), vec![("raw.direction", "sideways")]);
        assert_eq!(direction(&Params::default(), &mut a), None);
    }
}
