//! The XAPI list request: OData query options, built and encoded by hand.
//!
//! Paging is by key, not by `$skip`: every page asks for `Id gt {lastId}`
//! ordered by `Id asc`, so recordings added (or deleted) while a sync runs
//! cannot shift a page boundary.

use switchboard_sdk::query::encode;

use crate::cursor::Cursor;

/// The most recordings asked for in one page, whatever the host asks.
pub const MAX_PAGE: u32 = 500;

/// `$filter` for the page after `cursor`, limited to calls started at or
/// after `sync_from_ms`. Only integers and normalised UTC date-times go into
/// it, so no vendor or user text can change the expression.
pub fn filter(cursor: Option<&Cursor>, sync_from_ms: Option<i64>) -> Option<String> {
    let mut terms = Vec::new();
    if let Some(c) = cursor {
        terms.push(format!("Id gt {}", c.last_id));
    }
    if let Some(ms) = sync_from_ms {
        // OData v4 Edm.DateTimeOffset literals are unquoted.
        terms.push(format!("StartTime ge {}", iso_utc(ms)));
    }
    (!terms.is_empty()).then(|| terms.join(" and "))
}

/// `{base}/xapi/v1/Recordings?$top=..&$orderby=Id asc[&$filter=..]`, each
/// value percent-encoded (the `$` of the option names stays literal).
pub fn list_url(base_url: &str, top: u32, filter: Option<&str>) -> String {
    let mut url = format!(
        "{base_url}/xapi/v1/Recordings?$top={}&$orderby={}",
        top.clamp(1, MAX_PAGE),
        encode("Id asc")
    );
    if let Some(f) = filter {
        url.push_str("&$filter=");
        url.push_str(&encode(f));
    }
    url
}

/// The cheapest authenticated call: one recording id.
pub fn probe_url(base_url: &str) -> String {
    format!("{base_url}/xapi/v1/Recordings?$top=1&$select=Id")
}

/// The audio of one recording (`recId` is the recording's `Id`).
pub fn download_url(base_url: &str, id: u64) -> String {
    format!("{base_url}/xapi/v1/Recordings/Pbx.DownloadRecording(recId={id})")
}

/// `2024-05-01T10:00:00Z` (milliseconds kept only when not zero).
pub fn iso_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s) = (tod / 3600, tod % 3600 / 60, tod % 60);
    if millis == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{millis:03}Z")
    }
}

/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_sdk::time::parse_datetime;

    #[test]
    fn iso_round_trips() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T23:59:59Z",
            "2024-05-01T10:00:00.123Z",
            "2100-12-31T12:00:00Z",
        ] {
            assert_eq!(iso_utc(parse_datetime(s, 0).unwrap()), s);
        }
    }

    #[test]
    fn first_page_without_filter() {
        assert_eq!(filter(None, None), None);
        assert_eq!(
            list_url("https://pbx.3cx.eu", 50, None),
            "https://pbx.3cx.eu/xapi/v1/Recordings?$top=50&$orderby=Id%20asc"
        );
    }

    #[test]
    fn next_page_filters_by_id_and_start() {
        let c = Cursor {
            last_id: 1042,
            since_ms: None,
        };
        let from = parse_datetime("2024-01-31T00:00:00+07:00", 0);
        let f = filter(Some(&c), from).unwrap();
        assert_eq!(f, "Id gt 1042 and StartTime ge 2024-01-30T17:00:00Z");
        assert_eq!(
            list_url("https://pbx.3cx.eu", 100_000, Some(&f)),
            "https://pbx.3cx.eu/xapi/v1/Recordings?$top=500&$orderby=Id%20asc\
             &$filter=Id%20gt%201042%20and%20StartTime%20ge%202024-01-30T17%3A00%3A00Z"
        );
        assert!(list_url("https://pbx.3cx.eu", 0, None).contains("$top=1&"));
    }

    #[test]
    fn fixed_urls() {
        assert_eq!(
            probe_url("https://pbx.3cx.eu"),
            "https://pbx.3cx.eu/xapi/v1/Recordings?$top=1&$select=Id"
        );
        assert_eq!(
            download_url("https://pbx.3cx.eu", 77),
            "https://pbx.3cx.eu/xapi/v1/Recordings/Pbx.DownloadRecording(recId=77)"
        );
    }
}
