//! The installation's settings, read once per call so everything below works
//! on plain values.

use switchboard_sdk::prelude::*;
use switchboard_sdk::time::parse_datetime;
use switchboard_sdk::types::unquote_setting as unquote;

/// What the connector needs to know about the installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `https://mycompany.3cx.eu`: scheme and host (and port), no trailing `/`.
    pub base_url: String,
    /// Calling code (`66`, `84`) used to read national caller ids.
    pub default_country_code: Option<String>,
    /// Only recordings of calls started at or after this instant (ms), when set.
    pub sync_from_ms: Option<i64>,
}

impl Settings {
    /// Reads `baseUrl` (required), `defaultCountryCode` and `syncFrom`.
    /// Values that are not strings arrive as JSON text, so `"66"` and `66` both work.
    pub fn from_installation(installation: &Installation) -> Result<Self, ConnectorError> {
        let raw = installation
            .setting("baseUrl")
            .map(unquote)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ConnectorError::Config("setting `baseUrl` is missing".into()))?;
        let base_url = normalise_base_url(raw)?;
        let default_country_code = installation
            .setting("defaultCountryCode")
            .map(unquote)
            .map(|c| c.trim_start_matches('+'))
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let sync_from_ms = match installation.setting("syncFrom").map(unquote) {
            None | Some("") => None,
            Some(v) => Some(parse_sync_from(v).ok_or_else(|| {
                ConnectorError::Config(format!(
                    "setting `syncFrom` must be a date like `2024-01-31` or `2024-01-31T00:00:00Z`, got `{v}`"
                ))
            })?),
        };
        Ok(Settings {
            base_url,
            default_country_code,
            sync_from_ms,
        })
    }

    /// The host (and port) of `base_url`, for messages.
    pub fn host(&self) -> &str {
        self.base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, rest)| rest)
    }
}

/// Keeps scheme, host and port; drops a trailing `/`, and the API paths
/// people paste by mistake (`/xapi/v1`, `/#/office`).
pub fn normalise_base_url(raw: &str) -> Result<String, ConnectorError> {
    let raw = raw.trim();
    let lower = raw.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err(ConnectorError::Config(format!(
            "setting `baseUrl` must start with https:// (e.g. `https://mycompany.3cx.eu`), got `{raw}`"
        )));
    }
    let (scheme, rest) = raw.split_once("://").unwrap_or(("https", raw));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
        return Err(ConnectorError::Config(format!(
            "setting `baseUrl` has no usable host: `{raw}`"
        )));
    }
    Ok(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    ))
}

/// `2024-01-31` (midnight UTC) or any date-time `parse_datetime` reads (UTC
/// when no zone is given).
fn parse_sync_from(v: &str) -> Option<i64> {
    if v.len() == 10 {
        return parse_datetime(&format!("{v}T00:00:00Z"), 0);
    }
    parse_datetime(v, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn installation(config: &[(&str, &str)]) -> Installation {
        Installation {
            id: "i1".into(),
            business_id: "b1".into(),
            kind: "threecx-cloud".into(),
            config: pairs(config.iter().copied()),
        }
    }

    #[test]
    fn reads_and_normalises() {
        let s = Settings::from_installation(&installation(&[
            ("baseUrl", "https://MyCompany.3cx.eu/xapi/v1/"),
            ("defaultCountryCode", "\"+66\""),
            ("syncFrom", "2024-01-31"),
        ]))
        .unwrap();
        assert_eq!(s.base_url, "https://mycompany.3cx.eu");
        assert_eq!(s.host(), "mycompany.3cx.eu");
        assert_eq!(s.default_country_code.as_deref(), Some("66"));
        assert_eq!(s.sync_from_ms, Some(1_706_659_200_000));
        let s = Settings::from_installation(&installation(&[(
            "baseUrl",
            "\"http://pbx.example.com:5001\"",
        )]))
        .unwrap();
        assert_eq!(s.base_url, "http://pbx.example.com:5001");
        assert_eq!(s.host(), "pbx.example.com:5001");
        assert_eq!(s.sync_from_ms, None);
    }

    #[test]
    fn rejects_missing_or_bad_values() {
        for config in [
            vec![],
            vec![("baseUrl", "")],
            vec![("baseUrl", "mycompany.3cx.eu")],
            vec![("baseUrl", "https://")],
            vec![("baseUrl", "https://user@evil.example")],
            vec![("baseUrl", "https://a.3cx.eu"), ("syncFrom", "last week")],
        ] {
            let err = Settings::from_installation(&installation(&config)).unwrap_err();
            assert!(
                matches!(err, ConnectorError::Config(_)),
                "{config:?}: {err:?}"
            );
        }
    }
}
