//! The two date formats this channel meets: RFC 3339 for the payload's
//! `timestamp`, and HTTP dates in a `Retry-After` header.

use switchboard_sdk::time::days_from_civil;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// `2021-02-24T15:02:10Z` for Unix seconds (UTC, whole seconds).
pub fn rfc3339(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, the inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Unix seconds of an HTTP date in any of the three forms RFC 9110 asks a
/// recipient to accept:
///
/// - `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate, what senders use)
/// - `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850; two-digit years below 70 are 20xx)
/// - `Sun Nov  6 08:49:37 1994` (asctime)
///
/// The weekday is ignored; a zone other than `GMT`/`UTC` is refused.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let cleaned: String = text
        .chars()
        .map(|c| if c == ',' || c == '-' { ' ' } else { c })
        .collect();
    let (mut day, mut month, mut year, mut time) = (None, None, None, None);
    for token in cleaned.split_whitespace() {
        let lower = token.to_ascii_lowercase();
        if let Some(index) = MONTHS.iter().position(|m| *m == lower) {
            month = Some(index as u32 + 1);
        } else if token.contains(':') {
            time = Some(parse_time(token)?);
        } else if token.chars().all(|c| c.is_ascii_digit()) {
            let n: i64 = token.parse().ok()?;
            if day.is_none() {
                day = Some(n);
            } else if year.is_none() {
                year = Some(match (token.len(), n) {
                    (2, n) if n < 70 => 2000 + n,
                    (2, n) => 1900 + n,
                    (4, n) => n,
                    _ => return None,
                });
            } else {
                return None;
            }
        } else if lower == "gmt" || lower == "utc" || is_weekday(&lower) {
            continue;
        } else {
            return None;
        }
    }
    let (day, month, year, seconds) = (day?, month?, year?, time?);
    if !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day as u32);
    // `days_from_civil` accepts 31 February; reject it by round trip.
    if civil_from_days(days) != (year, month, day as u32) {
        return None;
    }
    Some(days * 86_400 + seconds)
}

fn parse_time(token: &str) -> Option<i64> {
    let mut parts = token.split(':');
    let mut next = |max: i64| -> Option<i64> {
        let part = parts.next()?;
        if part.len() != 2 {
            return None;
        }
        part.parse::<i64>().ok().filter(|v| (0..=max).contains(v))
    };
    // 60 for a leap second, as RFC 9110 allows.
    let (h, m, s) = (next(23)?, next(59)?, next(60)?);
    if parts.next().is_some() {
        return None;
    }
    Some(h * 3600 + m * 60 + s)
}

fn is_weekday(token: &str) -> bool {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    DAYS.iter().any(|d| token.starts_with(d)) && token.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_614_265_330), "2021-02-25T15:02:10Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn civil_from_days_inverts_days_from_civil() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn parses_the_three_http_date_forms() {
        let expected = Some(784_111_777);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), expected);
        assert_eq!(
            parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(1_445_412_480)
        );
        assert_eq!(
            parse_http_date("Thursday, 01-Jan-26 00:00:00 GMT"),
            Some(1_767_225_600)
        );
    }

    #[test]
    fn refuses_what_is_not_an_http_date() {
        for bad in [
            "",
            "120",
            "soon",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }
}
