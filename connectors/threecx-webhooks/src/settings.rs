//! The installation's non-secret settings, read once per request so the
//! parsing itself never talks to the host.

use switchboard_sdk::prelude::*;
use switchboard_sdk::types::unquote_setting as unquote;

/// Call ids carry the PBX's wall-clock time; no real zone is further than
/// ±14 h from UTC, so anything beyond ±18 h is a typo, not a zone.
const MAX_OFFSET_MINUTES: i32 = 18 * 60;

/// What [`crate::parse`] needs to know about the installation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Calling code (`7`, `84`) used to read national caller ids.
    pub default_country_code: Option<String>,
    /// The PBX's offset east of UTC, in minutes.
    pub utc_offset_minutes: i32,
}

impl Settings {
    /// Reads `defaultCountryCode` and `utcOffsetMinutes`. Installation values
    /// that are not strings arrive as JSON text, so `180` and `"180"` both work.
    pub fn from_installation(installation: &Installation) -> Result<Self, ConnectorError> {
        let default_country_code = installation
            .setting("defaultCountryCode")
            .map(unquote)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let utc_offset_minutes = match installation.setting("utcOffsetMinutes").map(unquote) {
            None | Some("") => 0,
            Some(raw) => raw
                .parse::<i32>()
                .ok()
                .filter(|m| m.abs() <= MAX_OFFSET_MINUTES)
                .ok_or_else(|| {
                    ConnectorError::Config(format!(
                        "setting `utcOffsetMinutes` must be minutes east of UTC (e.g. 180), got `{raw}`"
                    ))
                })?,
        };
        Ok(Settings {
            default_country_code,
            utc_offset_minutes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installation(config: &[(&str, &str)]) -> Installation {
        Installation {
            id: "i1".into(),
            business_id: "b1".into(),
            kind: "threecx-webhooks".into(),
            config: pairs(config.iter().copied()),
        }
    }

    #[test]
    fn reads_settings_as_text_or_json() {
        let s = Settings::from_installation(&installation(&[
            ("defaultCountryCode", "\"7\""),
            ("utcOffsetMinutes", "180"),
        ]))
        .unwrap();
        assert_eq!(s.default_country_code.as_deref(), Some("7"));
        assert_eq!(s.utc_offset_minutes, 180);
        let s = Settings::from_installation(&installation(&[("utcOffsetMinutes", "\"-300\"")]))
            .unwrap();
        assert_eq!(
            s,
            Settings {
                default_country_code: None,
                utc_offset_minutes: -300
            }
        );
    }

    #[test]
    fn defaults_and_rejects_nonsense() {
        assert_eq!(
            Settings::from_installation(&installation(&[])).unwrap(),
            Settings::default()
        );
        for bad in ["three hours", "5000"] {
            let err = Settings::from_installation(&installation(&[("utcOffsetMinutes", bad)]))
                .unwrap_err();
            assert!(
                matches!(err, ConnectorError::Config(ref m) if m.contains(bad)),
                "{err:?}"
            );
        }
    }
}
