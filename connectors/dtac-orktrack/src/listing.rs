//! The recordings listing: the reply's shape and one `recordingDto` as a
//! [`RemoteRecording`].

use serde_json::{Map, Value};
use switchboard_sdk::phone::to_e164;
use switchboard_sdk::prelude::*;
use switchboard_sdk::time::parse_datetime;

use crate::errors::{self, Step};
use crate::settings::Settings;

/// The attribute that keeps the audio URL for `download-request`.
pub const RECORDING_URL: &str = "recordingURL";

/// One page of the vendor's listing.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorPage {
    pub objects: Vec<Map<String, Value>>,
    /// Whether the vendor has another page of this window.
    pub more: bool,
}

/// Reads `{objects: [...], nextPageUri, limitReached, page, pageSize,
/// resultCount}`. A bare JSON array is accepted too.
pub fn parse_list(
    host: &str,
    status: u16,
    body: &[u8],
    requested_page_size: u32,
) -> Result<VendorPage, ConnectorError> {
    if !(200..300).contains(&status) {
        return Err(errors::status(Step::List, host, status));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| errors::shape(Step::List, host, errors::describe_body(body)))?;
    let (items, envelope): (&[Value], _) = match &value {
        Value::Array(items) => (items.as_slice(), None),
        Value::Object(o) => match o.get("objects") {
            Some(Value::Array(items)) => (items.as_slice(), Some(o)),
            Some(Value::Null) => (&[], Some(o)),
            _ => return Err(errors::shape(Step::List, host, "JSON without `objects`")),
        },
        _ => {
            return Err(errors::shape(
                Step::List,
                host,
                "JSON that is not a listing",
            ));
        }
    };
    let objects: Vec<Map<String, Value>> = items
        .iter()
        .filter_map(|v| v.as_object().cloned())
        .collect();
    let more = has_more(envelope, items.len(), requested_page_size);
    Ok(VendorPage { objects, more })
}

/// `nextPageUri` decides when present (non-empty: more); otherwise
/// `page * pageSize < resultCount`; otherwise a full page means more.
fn has_more(envelope: Option<&Map<String, Value>>, count: usize, page_size: u32) -> bool {
    if let Some(env) = envelope {
        if let Some(next) = env.get("nextPageUri") {
            return next.as_str().is_some_and(|s| !s.trim().is_empty());
        }
        let num = |k: &str| env.get(k).and_then(number);
        if let (Some(page), Some(size), Some(total)) =
            (num("page"), num("pageSize"), num("resultCount"))
        {
            return page.saturating_mul(size) < total;
        }
    }
    count > 0 && count >= page_size as usize
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_f64().map(|f| f as i64))
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The record's start time, ms UTC: `timestamp` as `YYYY-MM-DD HH:MM:SS`
/// (UTC) or a number of ms (or seconds, when small).
pub fn started_at(record: &Map<String, Value>) -> Option<i64> {
    let v = record.get("timestamp")?;
    match v {
        Value::Number(_) => {
            let n = number(v)?;
            Some(if n < 100_000_000_000 { n * 1000 } else { n })
        }
        Value::String(s) => parse_datetime(s.trim(), 0),
        _ => None,
    }
}

/// The vendor id, as text; `None` for a record we cannot identify.
pub fn record_id(record: &Map<String, Value>) -> Option<String> {
    record.get("id").and_then(text)
}

fn direction(raw: Option<&str>) -> Direction {
    match raw.map(str::to_ascii_uppercase).as_deref() {
        Some("IN" | "INBOUND" | "INCOMING") => Direction::Inbound,
        Some("OUT" | "OUTBOUND" | "OUTGOING") => Direction::Outbound,
        Some("INTERNAL" | "LOCAL") => Direction::Internal,
        _ => Direction::Unknown,
    }
}

/// `audio/wav`, `audio/mpeg`, … from the file extension of the URL or name.
pub fn mime_type(name: &str) -> Option<String> {
    let path = name.split(['?', '#']).next().unwrap_or(name);
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    let mime = match ext.as_str() {
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "ogg" | "opus" => "audio/ogg",
        "gsm" => "audio/gsm",
        "m4a" => "audio/mp4",
        _ => return None,
    };
    Some(mime.to_string())
}

/// Fields mapped into the model; everything else goes to `attributes`.
const MAPPED: &[&str] = &[
    "id",
    "nativeCallId",
    "nativecallid",
    "direction",
    "remoteParty",
    "localParty",
    "localEntryPoint",
    "timestamp",
    "duration",
    "size",
    "fileSize",
    "filesize",
];

/// One `recordingDto` as a [`RemoteRecording`]; `None` without an `id`.
pub fn to_remote(record: &Map<String, Value>, settings: &Settings) -> Option<RemoteRecording> {
    let id = record_id(record)?;
    let field = |k: &str| record.get(k).and_then(text);
    let country = Some(settings.country_code.as_str());
    let mut attributes = Vec::new();
    for (name, value) in record {
        if MAPPED.contains(&name.as_str()) {
            continue;
        }
        let value = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        attributes.push(Pair {
            name: name.clone(),
            value,
        });
    }
    let remote = field("remoteParty");
    let customer_phone = remote.as_deref().and_then(|r| to_e164(r, country));
    // Kept raw when it differs from the E.164 form or is not a phone number
    // (an extension on an internal call).
    if let Some(raw) = &remote
        && customer_phone.as_ref() != Some(raw)
    {
        attributes.push(Pair {
            name: "raw.remoteParty".into(),
            value: raw.clone(),
        });
    }
    let entry = field("localEntryPoint");
    let did = entry
        .as_deref()
        .map(|e| to_e164(e, country).unwrap_or_else(|| e.to_string()));
    if let Some(raw) = &entry {
        attributes.push(Pair {
            name: "raw.localEntryPoint".into(),
            value: raw.clone(),
        });
    }
    let call = field("nativeCallId")
        .or_else(|| field("nativecallid"))
        .map(|c| CallRef::single(&c));
    let duration_sec = record
        .get("duration")
        .and_then(number)
        .and_then(|d| u32::try_from(d).ok());
    let size_bytes = ["size", "fileSize", "filesize"]
        .iter()
        .find_map(|k| record.get(*k).and_then(number))
        .and_then(|n| u64::try_from(n).ok());
    let mime = field(RECORDING_URL)
        .and_then(|u| mime_type(&u))
        .or_else(|| field("filename").and_then(|f| mime_type(&f)));
    Some(RemoteRecording {
        id,
        call,
        direction: direction(field("direction").as_deref()),
        customer_phone,
        extension: field("localParty"),
        did,
        started_at: started_at(record),
        duration_sec,
        size_bytes,
        mime_type: mime,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "onecallvoicerecord.dtac.co.th";

    pub const PAGE: &str = r#"{
      "objects": [
        {"type": "recordingDto", "id": 48213, "timestamp": "2024-05-01 03:15:42",
         "duration": 127, "localParty": "2101", "remoteParty": "0812345678",
         "direction": "IN",
         "recordingURL": "https://onecallvoicerecord.dtac.co.th/orktrack/rest/recordings/48213/audio.wav",
         "tags": [{"name": "sales"}], "metadata": {"campaign": "may"}},
        {"type": "recordingDto", "id": "48214", "timestamp": "2024-05-01 03:20:00",
         "duration": "45", "localParty": "2102", "remoteParty": "+66 2 123 4567",
         "direction": "OUT", "recordingURL": "/orkweb/stream/2024/05/01/48214.mp3"}
      ],
      "nextPageUri": "/orktrack/rest/recordings?range=custom&page=2&pagesize=2",
      "limitReached": false, "page": 1, "pageSize": 2, "resultCount": 5
    }"#;

    fn settings() -> Settings {
        Settings::new(None, None).unwrap()
    }

    #[test]
    fn parses_a_page_and_its_paging() {
        let page = parse_list(HOST, 200, PAGE.as_bytes(), 2).unwrap();
        assert_eq!(page.objects.len(), 2);
        assert!(page.more);
    }

    #[test]
    fn last_page_has_no_next_uri() {
        let body =
            br#"{"objects":[{"id":1}],"nextPageUri":null,"page":3,"pageSize":2,"resultCount":5}"#;
        assert!(!parse_list(HOST, 200, body, 2).unwrap().more);
        let body = br#"{"objects":[],"nextPageUri":""}"#;
        assert!(!parse_list(HOST, 200, body, 2).unwrap().more);
    }

    #[test]
    fn paging_without_next_uri_falls_back_to_counts() {
        let body = br#"{"objects":[{"id":1},{"id":2}],"page":1,"pageSize":2,"resultCount":3}"#;
        assert!(parse_list(HOST, 200, body, 2).unwrap().more);
        let body = br#"{"objects":[{"id":1},{"id":2}]}"#;
        assert!(parse_list(HOST, 200, body, 2).unwrap().more);
        assert!(!parse_list(HOST, 200, body, 3).unwrap().more);
        assert!(
            !parse_list(HOST, 200, br#"{"objects":null}"#, 3)
                .unwrap()
                .more
        );
        assert_eq!(
            parse_list(HOST, 200, br#"[{"id":1}]"#, 3)
                .unwrap()
                .objects
                .len(),
            1
        );
    }

    #[test]
    fn wrong_shapes_point_at_base_url() {
        for body in [&b"<html></html>"[..], br#"{"error":"x"}"#, b"42"] {
            let e = parse_list(HOST, 200, body, 2).unwrap_err();
            assert!(
                matches!(&e, ConnectorError::Upstream(m) if m.contains("check baseUrl")),
                "{e:?}"
            );
        }
        assert!(matches!(
            parse_list(HOST, 500, b"", 2),
            Err(ConnectorError::Upstream(_))
        ));
    }

    #[test]
    fn maps_an_inbound_recording() {
        let page = parse_list(HOST, 200, PAGE.as_bytes(), 2).unwrap();
        let r = to_remote(&page.objects[0], &settings()).unwrap();
        assert_eq!(r.id, "48213");
        assert_eq!(r.direction, Direction::Inbound);
        assert_eq!(r.customer_phone.as_deref(), Some("+66812345678"));
        assert_eq!(r.extension.as_deref(), Some("2101"));
        assert_eq!(r.started_at, Some(1_714_533_342_000));
        assert_eq!(r.duration_sec, Some(127));
        assert_eq!(r.mime_type.as_deref(), Some("audio/wav"));
        assert!(r.call.is_none());
        let attr = |n: &str| find(&r.attributes, n).map(str::to_string);
        assert_eq!(attr("raw.remoteParty").as_deref(), Some("0812345678"));
        assert_eq!(attr("type").as_deref(), Some("recordingDto"));
        assert_eq!(attr("tags").as_deref(), Some(r#"[{"name":"sales"}]"#));
        assert!(attr(RECORDING_URL).unwrap().ends_with("audio.wav"));
        assert!(attr("id").is_none());
    }

    #[test]
    fn maps_an_outbound_recording_with_string_numbers() {
        let page = parse_list(HOST, 200, PAGE.as_bytes(), 2).unwrap();
        let r = to_remote(&page.objects[1], &settings()).unwrap();
        assert_eq!(r.id, "48214");
        assert_eq!(r.direction, Direction::Outbound);
        assert_eq!(r.customer_phone.as_deref(), Some("+6621234567"));
        assert_eq!(r.duration_sec, Some(45));
        assert_eq!(r.mime_type.as_deref(), Some("audio/mpeg"));
    }

    #[test]
    fn oreka_fields_map_too() {
        let v: Value = serde_json::from_str(
            r#"{"id":"9","nativeCallId":"abc-1","direction":"UNKN","remoteParty":"2105",
                "localEntryPoint":"021234567","filename":"2024/05/01/9.wav","timestamp":1714533342000,"size":20480}"#,
        )
        .unwrap();
        let r = to_remote(v.as_object().unwrap(), &settings()).unwrap();
        assert_eq!(
            r.call.as_ref().map(|c| c.external_id.as_str()),
            Some("abc-1")
        );
        assert_eq!(r.direction, Direction::Unknown);
        assert_eq!(r.customer_phone, None, "an extension is not a customer");
        assert_eq!(find(&r.attributes, "raw.remoteParty"), Some("2105"));
        assert_eq!(r.did.as_deref(), Some("+6621234567"));
        assert_eq!(r.started_at, Some(1_714_533_342_000));
        assert_eq!(r.size_bytes, Some(20480));
        assert_eq!(r.mime_type.as_deref(), Some("audio/wav"));
    }

    #[test]
    fn records_without_id_are_skipped() {
        let v: Value = serde_json::from_str(r#"{"timestamp":"2024-05-01 03:15:42"}"#).unwrap();
        assert!(to_remote(v.as_object().unwrap(), &settings()).is_none());
    }
}
