//! The installation's non-secret settings, read once per call so parsing and
//! request building never talk to the host.

use switchboard_sdk::prelude::*;
use switchboard_sdk::types::unquote_setting as unquote;

/// The seed is a Russian cloud PBX: national numbers are Russian unless the
/// installation says otherwise.
pub const DEFAULT_COUNTRY_CODE: &str = "7";

/// The seed never says what `direction` codes mean. Its examples settle one:
/// the CDR with `direction: 0` has our extension `9022` as `src` and a phone
/// as `dst`, and the held call with `direction: 0` is the `make_call`
/// example's number. `1` for inbound is the only other code a two-way PBX
/// needs; both are overridable with `directionCodes`.
pub const DEFAULT_DIRECTION_CODES: &str = "0=outbound,1=inbound";

/// No real zone is further than ±14 h from UTC; ±18 h is a typo guard.
const MAX_OFFSET_MINUTES: i32 = 18 * 60;

/// What parsing and request building need to know about the installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Calling code (`7`) used to read national numbers.
    pub default_country_code: String,
    /// Vendor `direction` code → direction, in the order configured.
    pub direction_codes: Vec<(String, Direction)>,
    /// Offset east of UTC for date-times without a zone (none in the seed:
    /// its times are Unix seconds).
    pub utc_offset_minutes: i32,
    /// `pbxUrl`, for call control; absent on ingest-only installations.
    pub pbx_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_country_code: DEFAULT_COUNTRY_CODE.into(),
            // The default table parses; an empty list would only make every
            // direction `unknown`.
            direction_codes: parse_direction_codes(DEFAULT_DIRECTION_CODES).unwrap_or_default(),
            utc_offset_minutes: 0,
            pbx_url: None,
        }
    }
}

impl Settings {
    /// Reads `defaultCountryCode`, `directionCodes`, `utcOffsetMinutes` and
    /// `pbxUrl`. Values that are not strings arrive as JSON text, so `7` and
    /// `"7"` both work.
    pub fn from_installation(installation: &Installation) -> Result<Self, ConnectorError> {
        let mut settings = Settings::default();
        if let Some(raw) = present(installation, "defaultCountryCode") {
            let code = raw.trim_start_matches('+');
            if !(1..=3).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ConnectorError::Config(format!(
                    "setting `defaultCountryCode` must be a calling code such as `7`, got `{raw}`"
                )));
            }
            settings.default_country_code = code.to_string();
        }
        if let Some(raw) = installation.setting("directionCodes") {
            // Not unquoted first: a JSON object arrives as JSON text.
            let raw = raw.trim();
            if !raw.is_empty() && raw != "\"\"" {
                settings.direction_codes = parse_direction_codes(raw)?;
            }
        }
        if let Some(raw) = present(installation, "utcOffsetMinutes") {
            settings.utc_offset_minutes = raw
                .parse::<i32>()
                .ok()
                .filter(|m| m.abs() <= MAX_OFFSET_MINUTES)
                .ok_or_else(|| {
                    ConnectorError::Config(format!(
                        "setting `utcOffsetMinutes` must be minutes east of UTC (e.g. 180), got `{raw}`"
                    ))
                })?;
        }
        settings.pbx_url = present(installation, "pbxUrl").map(str::to_string);
        Ok(settings)
    }

    /// The direction a vendor code stands for; `unknown` for codes not
    /// configured.
    pub fn direction(&self, code: &str) -> Direction {
        self.direction_codes
            .iter()
            .find(|(c, _)| c == code.trim())
            .map_or(Direction::Unknown, |(_, d)| *d)
    }
}

/// A setting with surrounding quotes and blanks removed; blank is absent.
fn present<'a>(installation: &'a Installation, key: &str) -> Option<&'a str> {
    installation
        .setting(key)
        .map(unquote)
        .filter(|v| !v.is_empty())
}

/// `0=outbound,1=inbound` (also `;` as separator and `:` for `=`), or a JSON
/// object `{"0": "outbound", "1": "inbound"}`. Directions: `inbound`,
/// `outbound`, `internal`, `unknown` (and `in`, `out`, `incoming`,
/// `outgoing`, `local`).
pub fn parse_direction_codes(raw: &str) -> Result<Vec<(String, Direction)>, ConnectorError> {
    let bad = |what: &str| {
        ConnectorError::Config(format!(
            "setting `directionCodes` must look like `0=outbound,1=inbound`: {what}"
        ))
    };
    let entries: Vec<(String, String)> = if raw.trim_start().starts_with('{') {
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(raw).map_err(|e| bad(&e.to_string()))?;
        object
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect()
    } else {
        unquote(raw)
            .split([',', ';'])
            .filter(|part| !part.trim().is_empty())
            .map(|part| {
                part.split_once(['=', ':'])
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .ok_or_else(|| bad(&format!("`{}` has no `=`", part.trim())))
            })
            .collect::<Result<_, _>>()?
    };
    entries
        .into_iter()
        .map(|(code, name)| {
            let direction = match name.to_ascii_lowercase().as_str() {
                "inbound" | "in" | "incoming" => Direction::Inbound,
                "outbound" | "out" | "outgoing" => Direction::Outbound,
                "internal" | "local" => Direction::Internal,
                "unknown" => Direction::Unknown,
                _ => return Err(bad(&format!("unknown direction `{name}`"))),
            };
            Ok((code, direction))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::installation;

    #[test]
    fn defaults() {
        let s = Settings::from_installation(&installation(&[])).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.default_country_code, "7");
        assert_eq!(s.direction("0"), Direction::Outbound);
        assert_eq!(s.direction("1"), Direction::Inbound);
        assert_eq!(s.direction("2"), Direction::Unknown);
        assert_eq!(s.utc_offset_minutes, 0);
        assert_eq!(s.pbx_url, None);
    }

    #[test]
    fn reads_settings_as_text_or_json() {
        let s = Settings::from_installation(&installation(&[
            ("defaultCountryCode", "\"+84\""),
            (
                "directionCodes",
                "{\"0\": \"inbound\", \"1\": \"outbound\", \"2\": \"internal\"}",
            ),
            ("utcOffsetMinutes", "180"),
            ("pbxUrl", "\"https://pbx.example.ru\""),
        ]))
        .unwrap();
        assert_eq!(s.default_country_code, "84");
        assert_eq!(s.direction("0"), Direction::Inbound);
        assert_eq!(s.direction("2"), Direction::Internal);
        assert_eq!(s.utc_offset_minutes, 180);
        assert_eq!(s.pbx_url.as_deref(), Some("https://pbx.example.ru"));

        let s =
            Settings::from_installation(&installation(&[("directionCodes", "1 = in; 2: local")]))
                .unwrap();
        assert_eq!(
            s.direction_codes,
            vec![
                ("1".to_string(), Direction::Inbound),
                ("2".to_string(), Direction::Internal)
            ]
        );
        assert_eq!(s.direction("0"), Direction::Unknown);
    }

    #[test]
    fn rejects_nonsense() {
        for (key, bad) in [
            ("defaultCountryCode", "Russia"),
            ("directionCodes", "0=sideways"),
            ("directionCodes", "outbound"),
            ("directionCodes", "{\"0\": "),
            ("utcOffsetMinutes", "5000"),
        ] {
            let err = Settings::from_installation(&installation(&[(key, bad)])).unwrap_err();
            assert!(
                matches!(err, ConnectorError::Config(ref m) if m.contains(key)),
                "{key}={bad}: {err:?}"
            );
        }
    }
}
