//! `Pbx.Recording` (XAPI) to `remote-recording`, and one list page to a
//! `recording-page`.

use serde_json::{Map, Value};
use switchboard_sdk::phone::to_e164;
use switchboard_sdk::prelude::*;
use switchboard_sdk::time::parse_datetime;

use crate::cursor::Cursor;
use crate::errors::check_baseurl;

/// What the download of a recording returns (public clients read WAV).
pub const DEFAULT_MIME: &str = "audio/wav";

/// An `Id`: a JSON number, or a string of digits.
pub fn as_id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One page of `GET /xapi/v1/Recordings`: `{"@odata.context": .., "value": [..],
/// "@odata.nextLink"?: ..}`. `after` is the cursor the page was asked with;
/// `top` the `$top` sent.
pub fn page(
    body: &Value,
    after: Option<&Cursor>,
    top: u32,
    country: Option<&str>,
    host: &str,
) -> Result<RecordingPage, ConnectorError> {
    let items = body
        .get("value")
        .and_then(Value::as_array)
        .ok_or_else(|| check_baseurl(host, "the recordings list has no `value` array"))?;
    let last = after.map_or(0, |c| c.last_id);
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let obj = item
            .as_object()
            .ok_or_else(|| check_baseurl(host, "a recording is not a JSON object"))?;
        let id = obj
            .get("Id")
            .and_then(as_id)
            .ok_or_else(|| check_baseurl(host, "a recording has no numeric `Id`"))?;
        // A server that ignored `$filter` must not make us list twice.
        if after.is_some() && id <= last {
            continue;
        }
        rows.push((id, obj));
    }
    // A server that ignored `$orderby` must not move the cursor past a gap
    // inside the page.
    rows.sort_by_key(|(id, _)| *id);
    let full = items.len() as u64 >= u64::from(top.max(1));
    let next_link = body.get("@odata.nextLink").is_some_and(|v| !v.is_null());
    let recordings: Vec<RemoteRecording> = rows
        .iter()
        .map(|(id, obj)| map(*id, obj, country))
        .collect();
    let next_cursor = match rows.last() {
        Some((id, obj)) => Some(Cursor {
            last_id: *id,
            since_ms: obj
                .get("StartTime")
                .and_then(Value::as_str)
                .and_then(|s| parse_datetime(s, 0)),
        }),
        None => after.copied(),
    };
    Ok(RecordingPage {
        // Nothing new although the page was full: stop rather than loop.
        has_more: !rows.is_empty() && (full || next_link),
        next_cursor: next_cursor.map(|c| c.encode()),
        recordings,
    })
}

/// One recording. Vendor fields are kept in `attributes` under their own names.
pub fn map(id: u64, obj: &Map<String, Value>, country: Option<&str>) -> RemoteRecording {
    let text = |k: &str| {
        obj.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let direction = direction(text("CallType"));
    let (customer_field, extension_field) = match direction {
        Direction::Inbound => (Some("FromCallerNumber"), Some("ToDn")),
        Direction::Outbound => (Some("ToCallerNumber"), Some("FromDn")),
        Direction::Internal => (None, Some("FromDn")),
        Direction::Unknown => (None, None),
    };
    let raw_customer = customer_field.and_then(text);
    let customer_phone = raw_customer.and_then(|raw| to_e164(raw, country));
    let extension = extension_field.and_then(text).map(str::to_string);
    let started_at = text("StartTime").and_then(|s| parse_datetime(s, 0));
    let ended_at = text("EndTime").and_then(|s| parse_datetime(s, 0));
    let duration_sec = match (started_at, ended_at) {
        (Some(s), Some(e)) if e >= s => u32::try_from((e - s + 500) / 1000).ok(),
        _ => None,
    };
    let mime_type = text("RecordingUrl")
        .and_then(|u| RecordingLink::from_url(u).mime_type)
        .unwrap_or_else(|| DEFAULT_MIME.to_string());
    let call = ["CallId", "CallID", "CallHistoryId"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(scalar_text))
        .map(|id| call_ref(&id));

    let mut attributes = Vec::new();
    for (k, v) in obj {
        if k == "Id" || k.starts_with('@') {
            continue;
        }
        if let Some(value) = scalar_text(v) {
            attributes.push(Pair {
                name: k.clone(),
                value,
            });
        }
    }
    if let Some(raw) = raw_customer
        && customer_phone.as_deref() != Some(raw)
    {
        attributes.push(Pair {
            name: "raw.customer-phone".into(),
            value: raw.to_string(),
        });
    }

    RemoteRecording {
        id: id.to_string(),
        call,
        direction,
        customer_phone,
        extension,
        did: None,
        started_at,
        duration_sec,
        size_bytes: None,
        mime_type: Some(mime_type),
        attributes,
    }
}

/// `CallType`: `InboundExternal | OutboundExternal | Local` (other spellings
/// read by their stem).
pub fn direction(call_type: Option<&str>) -> Direction {
    let Some(t) = call_type.map(str::to_ascii_lowercase) else {
        return Direction::Unknown;
    };
    if t.starts_with("inbound") || t == "incoming" {
        Direction::Inbound
    } else if t.starts_with("outbound") || t == "outgoing" {
        Direction::Outbound
    } else if t == "local" || t.starts_with("internal") {
        Direction::Internal
    } else {
        Direction::Unknown
    }
}

/// 3CX call ids `210701165649_698-2` are leg 2 of chain `210701165649_698`.
fn call_ref(id: &str) -> CallRef {
    if let Some((chain, leg)) = id.rsplit_once('-')
        && !chain.is_empty()
        && let Ok(leg) = leg.parse::<u32>()
    {
        return CallRef {
            external_id: id.to_string(),
            chain_id: chain.to_string(),
            leg,
        };
    }
    CallRef::single(id)
}

/// Strings as they are, numbers and booleans as JSON text, objects and
/// arrays as compact JSON; `null` and empty strings as nothing.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A page as the XAPI sends it (fields per the public swagger).
    pub fn sample_page() -> Value {
        json!({
            "@odata.context": "https://pbx.3cx.eu/xapi/v1/$metadata#Recordings",
            "value": [
                {
                    "Id": 1041,
                    "StartTime": "2024-05-01T10:00:00Z",
                    "EndTime": "2024-05-01T10:02:05.400Z",
                    "CallType": "InboundExternal",
                    "FromCallerNumber": "0812345678",
                    "FromDisplayName": "Somchai",
                    "FromDn": "10000",
                    "ToCallerNumber": "101",
                    "ToDisplayName": "Sales 101",
                    "ToDn": "101",
                    "RecordingUrl": "/recordings/101/[Somchai]_0812345678-101_20240501100000(12).wav",
                    "IsArchived": false,
                    "ArchivedUrl": null,
                    "IsTranscribed": true,
                    "Transcription": "hello",
                    "Summary": "asked for a quote",
                    "SentimentScore": 4
                },
                {
                    "Id": 1042,
                    "StartTime": "2024-05-01T11:30:00+07:00",
                    "EndTime": "2024-05-01T11:31:00+07:00",
                    "CallType": "OutboundExternal",
                    "FromCallerNumber": "102",
                    "FromDn": "102",
                    "ToCallerNumber": "+66 2 123 4567",
                    "ToDn": "10001"
                }
            ]
        })
    }

    fn attr<'a>(r: &'a RemoteRecording, name: &str) -> Option<&'a str> {
        find(&r.attributes, name)
    }

    #[test]
    fn maps_a_full_page() {
        let p = page(&sample_page(), None, 2, Some("66"), "pbx.3cx.eu").unwrap();
        assert!(p.has_more);
        assert_eq!(
            p.next_cursor.as_deref(),
            Some(r#"{"lastId":1042,"since":"2024-05-01T04:30:00Z"}"#)
        );
        let [a, b] = &p.recordings[..] else {
            panic!("two recordings")
        };
        assert_eq!(a.id, "1041");
        assert_eq!(a.direction, Direction::Inbound);
        assert_eq!(a.customer_phone.as_deref(), Some("+66812345678"));
        assert_eq!(a.extension.as_deref(), Some("101"));
        assert_eq!(a.started_at, Some(1_714_557_600_000));
        assert_eq!(a.duration_sec, Some(125));
        assert_eq!(a.mime_type.as_deref(), Some("audio/wav"));
        assert!(a.call.is_none());
        assert_eq!(attr(a, "Summary"), Some("asked for a quote"));
        assert_eq!(attr(a, "SentimentScore"), Some("4"));
        assert_eq!(attr(a, "IsArchived"), Some("false"));
        assert_eq!(attr(a, "ArchivedUrl"), None);
        assert_eq!(attr(a, "raw.customer-phone"), Some("0812345678"));
        assert_eq!(attr(a, "@odata.context"), None);

        assert_eq!(b.direction, Direction::Outbound);
        assert_eq!(b.customer_phone.as_deref(), Some("+6621234567"));
        assert_eq!(b.extension.as_deref(), Some("102"));
        assert_eq!(b.duration_sec, Some(60));
    }

    #[test]
    fn short_page_is_caught_up_unless_next_link() {
        let p = page(&sample_page(), None, 50, None, "h").unwrap();
        assert!(!p.has_more);
        let mut body = sample_page();
        body["@odata.nextLink"] = json!("https://pbx.3cx.eu/xapi/v1/Recordings?$skip=2");
        assert!(page(&body, None, 50, None, "h").unwrap().has_more);
    }

    #[test]
    fn empty_page_keeps_the_cursor() {
        let c = Cursor {
            last_id: 1042,
            since_ms: None,
        };
        let p = page(&json!({"value": []}), Some(&c), 50, None, "h").unwrap();
        assert!(p.recordings.is_empty());
        assert!(!p.has_more);
        assert_eq!(p.next_cursor.as_deref(), Some(r#"{"lastId":1042}"#));
        let p = page(&json!({"value": []}), None, 50, None, "h").unwrap();
        assert_eq!(p.next_cursor, None);
    }

    #[test]
    fn ignores_rows_at_or_before_the_cursor_and_sorts() {
        // A server that ignored $filter and $orderby: no duplicates, no loop.
        let c = Cursor {
            last_id: 1041,
            since_ms: None,
        };
        let mut body = sample_page();
        body["value"].as_array_mut().unwrap().reverse();
        let p = page(&body, Some(&c), 2, None, "h").unwrap();
        assert_eq!(p.recordings.len(), 1);
        assert_eq!(p.recordings[0].id, "1042");
        let stale = Cursor {
            last_id: 5000,
            since_ms: None,
        };
        let p = page(&sample_page(), Some(&stale), 2, None, "h").unwrap();
        assert!(p.recordings.is_empty());
        assert!(!p.has_more);
    }

    #[test]
    fn unexpected_json_points_at_base_url() {
        for body in [
            json!({"error": "nope"}),
            json!([1, 2]),
            json!({"value": [{"Name": "x"}]}),
            json!({"value": [3]}),
        ] {
            let err = page(&body, None, 5, None, "pbx.3cx.eu").unwrap_err();
            assert!(
                matches!(&err, ConnectorError::Upstream(m) if m.contains("check baseUrl")),
                "{err:?}"
            );
        }
    }

    #[test]
    fn directions_and_call_ids() {
        assert_eq!(direction(Some("Local")), Direction::Internal);
        assert_eq!(direction(Some("InboundExternal")), Direction::Inbound);
        assert_eq!(direction(Some("OutboundExternal")), Direction::Outbound);
        assert_eq!(direction(Some("Weird")), Direction::Unknown);
        assert_eq!(direction(None), Direction::Unknown);
        let obj = json!({"CallId": "210701165649_698-2", "CallType": "Local", "FromDn": "101", "ToDn": "102"});
        let r = map(9, obj.as_object().unwrap(), None);
        let call = r.call.unwrap();
        assert_eq!(call.chain_id, "210701165649_698");
        assert_eq!(call.leg, 2);
        assert!(r.customer_phone.is_none());
        assert_eq!(r.extension.as_deref(), Some("101"));
        let obj = json!({"CallId": 5512, "RecordingUrl": "x.mp3"});
        let r = map(10, obj.as_object().unwrap(), None);
        assert_eq!(r.call.unwrap().external_id, "5512");
        assert_eq!(r.mime_type.as_deref(), Some("audio/mpeg"));
        assert_eq!(r.direction, Direction::Unknown);
    }

    #[test]
    fn ids_as_numbers_or_strings() {
        assert_eq!(as_id(&json!(5)), Some(5));
        assert_eq!(as_id(&json!("5")), Some(5));
        assert_eq!(as_id(&json!(-5)), None);
        assert_eq!(as_id(&json!(1.5)), None);
    }
}
