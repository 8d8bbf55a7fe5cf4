//! The installation's non-secret settings, read once per call so parsing and
//! request building never talk to the host.

use switchboard_sdk::prelude::*;
use switchboard_sdk::time::parse_offset;
use switchboard_sdk::types::unquote_setting as unquote;

/// The vendor is Vietnamese (seed 001): numbers like `090xxxxxxx` are national.
pub const DEFAULT_COUNTRY_CODE: &str = "84";
/// Vietnam is UTC+7 all year; `calldate` is PBX local time.
pub const DEFAULT_UTC_OFFSET_MINUTES: i32 = 7 * 60;
/// No real zone is further than ±14 h from UTC; beyond ±18 h is a typo.
const MAX_OFFSET_MINUTES: i32 = 18 * 60;

/// What the pure functions of this crate need to know about the installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The vendor's customer code (`{customer}` in `/wsapi/{customer}/…`).
    pub customer: Option<String>,
    /// Calling code (`84`) used to read national numbers and to dial them.
    pub default_country_code: String,
    /// The PBX's offset east of UTC, in minutes, for `calldate`.
    pub utc_offset_minutes: i32,
    /// Base URL of the PBX (`https://pbx.example.vn`), for click-to-call and
    /// for recording links the PBX sends as paths. Checked when used, so a
    /// bad value never stops inbound events.
    pub pbx_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            customer: None,
            default_country_code: DEFAULT_COUNTRY_CODE.into(),
            utc_offset_minutes: DEFAULT_UTC_OFFSET_MINUTES,
            pbx_url: None,
        }
    }
}

impl Settings {
    /// Reads `customer`, `defaultCountryCode`, `utcOffsetMinutes` and
    /// `pbxUrl`. Values that are not strings arrive as JSON text, so `420`
    /// and `"420"` both work; blank values count as absent.
    pub fn from_installation(installation: &Installation) -> Result<Self, ConnectorError> {
        let get = |key: &str| {
            installation
                .setting(key)
                .map(unquote)
                .filter(|v| !v.is_empty())
        };
        let default_country_code = match get("defaultCountryCode") {
            None => DEFAULT_COUNTRY_CODE.to_string(),
            Some(raw) => country_code(raw)?,
        };
        let utc_offset_minutes = match get("utcOffsetMinutes") {
            None => DEFAULT_UTC_OFFSET_MINUTES,
            Some(raw) => offset(raw)?,
        };
        Ok(Settings {
            customer: get("customer").map(str::to_string),
            default_country_code,
            utc_offset_minutes,
            pbx_url: get("pbxUrl").map(str::to_string),
        })
    }
}

/// `84` or `+84`: one to three digits.
fn country_code(raw: &str) -> Result<String, ConnectorError> {
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    if (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits.to_string())
    } else {
        Err(ConnectorError::Config(format!(
            "setting `defaultCountryCode` must be a calling code such as `84`, got `{raw}`"
        )))
    }
}

/// `420`, `-300`, or a zone written `+07:00` / `+0700`.
fn offset(raw: &str) -> Result<i32, ConnectorError> {
    raw.parse::<i32>()
        .ok()
        .or_else(|| parse_offset(raw))
        .filter(|m| m.abs() <= MAX_OFFSET_MINUTES)
        .ok_or_else(|| {
            ConnectorError::Config(format!(
                "setting `utcOffsetMinutes` must be minutes east of UTC (e.g. 420), got `{raw}`"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::installation;

    #[test]
    fn defaults_are_vietnam() {
        let s = Settings::from_installation(&installation(&[])).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.default_country_code, "84");
        assert_eq!(s.utc_offset_minutes, 420);
        assert_eq!((s.customer, s.pbx_url), (None, None));
    }

    #[test]
    fn reads_text_json_and_zones() {
        let s = Settings::from_installation(&installation(&[
            ("customer", "\"ACME\""),
            ("defaultCountryCode", "+66"),
            ("utcOffsetMinutes", "\"-300\""),
            ("pbxUrl", " https://pbx.example.vn "),
        ]))
        .unwrap();
        assert_eq!(
            s,
            Settings {
                customer: Some("ACME".into()),
                default_country_code: "66".into(),
                utc_offset_minutes: -300,
                pbx_url: Some("https://pbx.example.vn".into()),
            }
        );
        let s =
            Settings::from_installation(&installation(&[("utcOffsetMinutes", "+07:00")])).unwrap();
        assert_eq!(s.utc_offset_minutes, 420);
    }

    #[test]
    fn blank_values_fall_back() {
        let s = Settings::from_installation(&installation(&[
            ("customer", ""),
            ("defaultCountryCode", "\"\""),
            ("utcOffsetMinutes", " "),
            ("pbxUrl", ""),
        ]))
        .unwrap();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn rejects_nonsense() {
        for (key, bad) in [
            ("utcOffsetMinutes", "seven hours"),
            ("utcOffsetMinutes", "5000"),
            ("defaultCountryCode", "Vietnam"),
            ("defaultCountryCode", "8400"),
        ] {
            let err = Settings::from_installation(&installation(&[(key, bad)])).unwrap_err();
            assert!(
                matches!(err, ConnectorError::Config(ref m) if m.contains(key) && m.contains(bad)),
                "{err:?}"
            );
        }
    }
}
