//! The OrkTrack REST requests, built without touching the host so they are
//! tested natively. `client.rs` sends them.

use crate::base64;

/// Path of the login call; its query asks for the same extras the vendor's
/// own web client asks for.
pub const LOGIN_PATH: &str =
    "/orktrack/rest/user/login?version=orktrack&accesspolicy=all&licenseinfo=true";
/// Path of the recordings listing.
pub const RECORDINGS_PATH: &str = "/orktrack/rest/recordings";

/// One HTTP request, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
}

impl ApiRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `POST {base}/orktrack/rest/user/login?…` with Basic credentials and an
/// empty body.
pub fn login_request(base_url: &str, username: &str, password: &str) -> ApiRequest {
    let basic = base64::encode(format!("{username}:{password}").as_bytes());
    ApiRequest {
        method: "POST",
        url: format!("{base_url}{LOGIN_PATH}"),
        headers: vec![
            ("authorization".into(), format!("Basic {basic}")),
            ("accept".into(), "application/json".into()),
        ],
    }
}

/// A time window `[since_ms, until_ms)` and one page of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListQuery {
    pub since_ms: i64,
    pub until_ms: i64,
    /// 1-based, as OrkTrack counts.
    pub page: u32,
    pub page_size: u32,
}

/// `GET {base}/orktrack/rest/recordings?range=custom&startdate=…&enddate=…
/// &party=&sort=&page=N&pagesize=M&maxresults=-1&includetags=true
/// &includemetadata=true` with the bare token as `Authorization`.
pub fn list_request(base_url: &str, token: &str, query: &ListQuery) -> ApiRequest {
    let url = format!(
        "{base_url}{RECORDINGS_PATH}?range=custom&startdate={}&enddate={}&party=&sort=&page={}&pagesize={}&maxresults=-1&includetags=true&includemetadata=true",
        orktrack_time(query.since_ms),
        orktrack_time(query.until_ms),
        query.page,
        query.page_size,
    );
    ApiRequest {
        method: "GET",
        url,
        headers: token_headers(token),
    }
}

/// OrkTrack takes the access token as the whole `Authorization` value, no
/// `Bearer` prefix.
pub fn token_headers(token: &str) -> Vec<(String, String)> {
    vec![("authorization".into(), token.to_string())]
}

/// The audio URL: the record's `recordingURL` (absolute, or relative to the
/// base URL), else the guessed `/orktrack/rest/recordings/{id}/audio`.
pub fn audio_url(base_url: &str, recording_url: Option<&str>, id: &str) -> String {
    match recording_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => u.to_string(),
        Some(u) if u.starts_with('/') => format!("{base_url}{u}"),
        Some(u) => format!("{base_url}/{u}"),
        None => format!("{base_url}{RECORDINGS_PATH}/{}/audio", encode_segment(id)),
    }
}

/// Percent-encodes everything but unreserved characters.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `YYYYMMDD_HHMMSS` in UTC, the format of `startdate`/`enddate`.
pub fn orktrack_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}_{:02}{:02}{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 → (y, m, d).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
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

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://onecallvoicerecord.dtac.co.th";

    #[test]
    fn login_is_a_basic_auth_post() {
        let r = login_request(BASE, "admin", "secret");
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.url,
            "https://onecallvoicerecord.dtac.co.th/orktrack/rest/user/login?version=orktrack&accesspolicy=all&licenseinfo=true"
        );
        assert_eq!(r.header("Authorization"), Some("Basic YWRtaW46c2VjcmV0"));
    }

    #[test]
    fn list_carries_window_page_and_bare_token() {
        let q = ListQuery {
            since_ms: 1_714_521_600_000, // 2024-05-01 00:00:00 UTC
            until_ms: 1_714_525_199_000, // 2024-05-01 00:59:59 UTC
            page: 3,
            page_size: 50,
        };
        let r = list_request(BASE, "8d3f0c1e-guid", &q);
        assert_eq!(r.method, "GET");
        assert_eq!(
            r.url,
            "https://onecallvoicerecord.dtac.co.th/orktrack/rest/recordings?range=custom&startdate=20240501_000000&enddate=20240501_005959&party=&sort=&page=3&pagesize=50&maxresults=-1&includetags=true&includemetadata=true"
        );
        assert_eq!(r.header("authorization"), Some("8d3f0c1e-guid"));
    }

    #[test]
    fn time_format_handles_leap_days_and_epoch() {
        assert_eq!(orktrack_time(0), "19700101_000000");
        assert_eq!(orktrack_time(951_782_400_000), "20000229_000000");
        assert_eq!(orktrack_time(1_735_689_599_999), "20241231_235959");
    }

    #[test]
    fn audio_url_resolves_relative_and_falls_back_to_the_guess() {
        assert_eq!(
            audio_url(BASE, Some("https://cdn.example/a.wav"), "1"),
            "https://cdn.example/a.wav"
        );
        assert_eq!(
            audio_url(BASE, Some("/orkweb/stream/2024/05/01/a.wav"), "1"),
            format!("{BASE}/orkweb/stream/2024/05/01/a.wav")
        );
        assert_eq!(
            audio_url(BASE, Some("orkweb/x.mp3"), "1"),
            format!("{BASE}/orkweb/x.mp3")
        );
        assert_eq!(
            audio_url(BASE, None, "12 3"),
            format!("{BASE}/orktrack/rest/recordings/12%203/audio")
        );
    }
}
