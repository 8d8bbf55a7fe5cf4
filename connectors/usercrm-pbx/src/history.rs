//! `get_cdr`: call history for a customer card, read back as `summary`
//! call events.

use serde_json::{Map, Value, json};
use switchboard_sdk::prelude::*;

use crate::fields::Fields;
use crate::pbx::{self, PbxRequest};
use crate::{Settings, cdr};

/// Rows asked for when the query says `limit: 0`.
pub const DEFAULT_LIMIT: u32 = 50;

/// Where a reply may keep its rows inside `body` (or at the top level),
/// after `body` itself being the list.
const LIST_FIELDS: [&str; 7] = ["data", "items", "list", "rows", "result", "records", "cdr"];

/// The seed's request:
///
/// ```json
/// {"action": "get_cdr", "obj": "UserCRM", "action_id": "…",
///  "sort": {"dt": "+"}, "limit": 10, "offset": 0,
///  "params": {"start_dt": "1633074025", "end_dt": "1633074725",
///             "src_or_dst_list": ["+74951343060", "+74952523060"]}}
/// ```
///
/// Times are Unix seconds as text (start rounded down, end up, so the range
/// covers the query's); absent bounds and an empty phone list are left out.
pub fn get_cdr(endpoint: &str, action_id: &str, query: &HistoryQuery) -> PbxRequest {
    let mut params = Map::new();
    if let Some(start) = query.start {
        params.insert("start_dt".into(), json!(start.div_euclid(1000).to_string()));
    }
    if let Some(end) = query.end {
        let seconds = end.div_euclid(1000) + i64::from(end.rem_euclid(1000) != 0);
        params.insert("end_dt".into(), json!(seconds.to_string()));
    }
    if !query.phones.is_empty() {
        params.insert("src_or_dst_list".into(), json!(query.phones));
    }
    let mut body = pbx::envelope("get_cdr", action_id, params);
    body.insert("sort".into(), json!({ "dt": "+" }));
    let limit = if query.limit == 0 {
        DEFAULT_LIMIT
    } else {
        query.limit
    };
    body.insert("limit".into(), json!(limit));
    body.insert("offset".into(), json!(query.offset));
    PbxRequest {
        url: endpoint.to_string(),
        body: Value::Object(body),
    }
}

/// The CDRs of a reply, each as a `summary` call event (see `cdr::build`).
/// The seed does not show the reply; the rows are taken from `body` when it
/// is a list (the PBX's envelope, as in `get_domain_user_list`), else from
/// a list under `body.data`/`items`/`list`/`rows`/`result`/`records`/`cdr`,
/// else from the same names at the top level. No list, a row that is not an
/// object, or a row without a call id is `upstream`.
pub fn events(
    reply: Option<&Value>,
    settings: &Settings,
) -> Result<Vec<CallEvent>, ConnectorError> {
    let reply = reply.ok_or_else(|| {
        ConnectorError::Upstream("the PBX answered `get_cdr` without JSON".into())
    })?;
    let rows = rows(reply).ok_or_else(|| {
        ConnectorError::Upstream("the PBX's `get_cdr` reply has no list of CDRs".into())
    })?;
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let Value::Object(map) = row else {
                return Err(ConnectorError::Upstream(format!(
                    "`get_cdr` row {i} is not an object"
                )));
            };
            cdr::build(Fields::new(map.clone(), &format!("body[{i}]")), settings).map_err(|e| {
                ConnectorError::Upstream(format!("`get_cdr` row {i}: {}", e.message()))
            })
        })
        .collect()
}

fn rows(reply: &Value) -> Option<&Vec<Value>> {
    fn listed(scope: &Value) -> Option<&Vec<Value>> {
        LIST_FIELDS
            .iter()
            .find_map(|name| scope.get(name).and_then(Value::as_array))
    }
    match reply.get("body") {
        Some(Value::Array(rows)) => Some(rows),
        Some(body @ Value::Object(_)) => listed(body),
        _ => None,
    }
    .or_else(|| listed(reply))
    .or_else(|| reply.as_array())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(start: Option<i64>, end: Option<i64>, phones: &[&str], limit: u32) -> HistoryQuery {
        HistoryQuery {
            start,
            end,
            phones: phones.iter().map(|p| p.to_string()).collect(),
            limit,
            offset: 20,
        }
    }

    #[test]
    fn empty_query() {
        let r = get_cdr(
            "https://pbx/integration/usercrm/",
            "a",
            &query(None, None, &[], 0),
        );
        assert_eq!(
            r.body,
            json!({"action": "get_cdr", "obj": "UserCRM", "action_id": "a",
                   "sort": {"dt": "+"}, "limit": 50, "offset": 20, "params": {}})
        );
    }

    #[test]
    fn bounds_round_outwards() {
        let r = get_cdr(
            "u",
            "a",
            &query(Some(1_633_074_025_999), Some(1_633_074_725_001), &[], 5),
        );
        assert_eq!(r.body["params"]["start_dt"], json!("1633074025"));
        assert_eq!(r.body["params"]["end_dt"], json!("1633074726"));
    }

    #[test]
    fn rows_wherever_they_are() {
        let row = json!({"uniqueid": "u1"});
        for reply in [
            json!({"code": 200, "body": [row]}),
            json!({"code": 200, "body": {"data": [row], "total": 1}}),
            json!({"code": 200, "list": [row]}),
            json!([row]),
        ] {
            let got = events(Some(&reply), &Settings::default()).unwrap();
            assert_eq!(got.len(), 1, "{reply}");
            assert_eq!(got[0].call.external_id, "u1");
        }
        assert!(
            events(
                Some(&json!({"code": 200, "body": []})),
                &Settings::default()
            )
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn bad_replies_are_upstream_errors() {
        for reply in [
            None,
            Some(json!({"code": 200, "body": {"success": true}})),
            Some(json!({"body": ["x"]})),
            Some(json!({"body": [{"src": "9022"}]})),
        ] {
            let err = events(reply.as_ref(), &Settings::default()).unwrap_err();
            assert!(
                matches!(err, ConnectorError::Upstream(_)),
                "{reply:?}: {err:?}"
            );
        }
    }
}
