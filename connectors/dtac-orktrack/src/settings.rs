//! The installation's settings, read once per call so the request builders
//! and parsers never talk to the host.

use switchboard_sdk::prelude::*;

/// Used when `baseUrl` is absent or empty (seed 000).
pub const DEFAULT_BASE_URL: &str = "https://onecallvoicerecord.dtac.co.th";
/// Thailand: national numbers such as `0812345678` become `+66812345678`.
pub const DEFAULT_COUNTRY_CODE: &str = "66";

/// What the pure functions need to know about the installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Scheme, host and optional port/path prefix, without a trailing `/`.
    pub base_url: String,
    /// Calling code used to read national numbers.
    pub country_code: String,
    /// How far back each window re-reads the previous one, in ms: OrkTrack
    /// dates a recording by its call's start and files it when the call
    /// ends, so this bounds the calls whose recordings are found.
    pub overlap_ms: i64,
}

/// `lateFilingMinutes` bounds: below 5 the lag alone could miss a call;
/// a day of overlap is already a day of re-listing per sync.
const LATE_FILING_MINUTES: std::ops::RangeInclusive<i64> = 5..=1440;

impl Settings {
    pub fn from_installation(installation: &Installation) -> Result<Self, ConnectorError> {
        Self::new(
            installation.setting("baseUrl"),
            installation.setting("defaultCountryCode"),
        )?
        .with_late_filing(installation.setting("lateFilingMinutes"))
    }

    /// `lateFilingMinutes`: the longest a recording may be filed after its
    /// call started and still be pulled (default 30).
    pub fn with_late_filing(mut self, raw: Option<&str>) -> Result<Self, ConnectorError> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(self);
        };
        let minutes = raw
            .parse::<i64>()
            .ok()
            .filter(|m| LATE_FILING_MINUTES.contains(m))
            .ok_or_else(|| {
                ConnectorError::Config(format!(
                    "`lateFilingMinutes` must be a whole number of minutes from {} to {}, not `{raw}`",
                    LATE_FILING_MINUTES.start(),
                    LATE_FILING_MINUTES.end()
                ))
            })?;
        self.overlap_ms = minutes * 60_000;
        Ok(self)
    }

    pub fn new(base_url: Option<&str>, country: Option<&str>) -> Result<Self, ConnectorError> {
        let country_code = country
            .map(|c| c.trim().trim_start_matches('+'))
            .filter(|c| !c.is_empty())
            .unwrap_or(DEFAULT_COUNTRY_CODE);
        if !country_code.chars().all(|c| c.is_ascii_digit()) || country_code.len() > 3 {
            return Err(ConnectorError::Config(format!(
                "`defaultCountryCode` must be a calling code such as 66, not `{country_code}`"
            )));
        }
        Ok(Settings {
            base_url: normalise_base_url(base_url)?,
            country_code: country_code.to_string(),
            overlap_ms: crate::cursor::OVERLAP_MS,
        })
    }
}

/// Trims, strips trailing `/`, adds `https://` to a bare host name, and
/// refuses anything that is not http(s).
pub fn normalise_base_url(raw: Option<&str>) -> Result<String, ConnectorError> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty());
    let Some(raw) = raw else {
        return Ok(DEFAULT_BASE_URL.to_string());
    };
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let lower = with_scheme.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err(ConnectorError::Config(format!(
            "`baseUrl` must be an http(s) URL, not `{raw}`"
        )));
    }
    let trimmed = with_scheme.trim_end_matches('/');
    let host = trimmed.split("://").nth(1).unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains(['?', '#']) {
        return Err(ConnectorError::Config(format!(
            "`baseUrl` is not a valid URL: `{raw}`"
        )));
    }
    Ok(trimmed.to_string())
}

/// `host[:port]` of the base URL, for messages.
pub fn host_of(base_url: &str) -> &str {
    let rest = base_url.split("://").nth(1).unwrap_or(base_url);
    rest.split('/').next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_or_empty_base_url_is_the_dtac_default() {
        assert_eq!(normalise_base_url(None).unwrap(), DEFAULT_BASE_URL);
        assert_eq!(normalise_base_url(Some("  ")).unwrap(), DEFAULT_BASE_URL);
    }

    #[test]
    fn base_url_is_normalised() {
        assert_eq!(
            normalise_base_url(Some("onecallvoicerecord.dtac.co.th/")).unwrap(),
            "https://onecallvoicerecord.dtac.co.th"
        );
        assert_eq!(
            normalise_base_url(Some("http://10.0.0.5:8080/")).unwrap(),
            "http://10.0.0.5:8080"
        );
        assert!(matches!(
            normalise_base_url(Some("ftp://x")),
            Err(ConnectorError::Config(_))
        ));
        assert!(matches!(
            normalise_base_url(Some("https://")),
            Err(ConnectorError::Config(_))
        ));
    }

    #[test]
    fn country_defaults_to_thailand() {
        let s = Settings::new(None, None).unwrap();
        assert_eq!(s.country_code, "66");
        assert_eq!(Settings::new(None, Some("+84")).unwrap().country_code, "84");
        assert!(Settings::new(None, Some("abc")).is_err());
    }

    #[test]
    fn host_is_taken_from_the_url() {
        assert_eq!(host_of("https://a.example:8443/x"), "a.example:8443");
    }
}
