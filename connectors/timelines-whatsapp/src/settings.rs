//! What [`crate::parse`] needs besides the request, gathered once per call so
//! the parsing itself never talks to the host.

use switchboard_sdk::prelude::*;
use switchboard_sdk::types::unquote_setting as unquote;

/// The installation's non-secret settings, and the time the request arrived.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Calling code (`84`, `972`) used to read national numbers. WhatsApp
    /// numbers are international, so this only matters for a sender that
    /// strips the `+`/country code.
    pub default_country_code: Option<String>,
    /// When the host received the request (ms since the epoch): the `sent-at`
    /// of a message whose own timestamp is missing or unreadable.
    pub received_at_ms: i64,
}

impl Settings {
    /// Reads `defaultCountryCode` (text or JSON: `84`, `"84"`, `"+84"`).
    ///
    /// A value that is not a calling code (1–3 digits) is **ignored** rather
    /// than refused: it only refines phone normalisation, and refusing would
    /// make TimelinesAI count errors and disable the hook. [`Settings::invalid_country_code`]
    /// names it so the component can log it.
    pub fn from_installation(installation: &Installation, received_at_ms: i64) -> Self {
        Settings {
            default_country_code: country_code(installation).and_then(Result::ok),
            received_at_ms,
        }
    }

    /// The configured `defaultCountryCode` when it is not a calling code.
    pub fn invalid_country_code(installation: &Installation) -> Option<String> {
        country_code(installation).and_then(Result::err)
    }
}

/// `None` when unset or blank; `Err(raw)` when not 1–3 digits.
fn country_code(installation: &Installation) -> Option<Result<String, String>> {
    let raw = installation.setting("defaultCountryCode")?;
    let code = unquote(raw).trim_start_matches('+');
    if code.is_empty() {
        return None;
    }
    let valid = (1..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit());
    Some(if valid {
        Ok(code.to_string())
    } else {
        Err(raw.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installation(config: &[(&str, &str)]) -> Installation {
        Installation {
            id: "i1".into(),
            business_id: "b1".into(),
            kind: "timelines-whatsapp".into(),
            config: pairs(config.iter().copied()),
        }
    }

    #[test]
    fn reads_country_code_as_text_or_json() {
        for raw in ["972", "\"972\"", "+972", " \"+972\" "] {
            let i = installation(&[("defaultCountryCode", raw)]);
            let s = Settings::from_installation(&i, 7);
            assert_eq!(s.default_country_code.as_deref(), Some("972"), "{raw}");
            assert_eq!(s.received_at_ms, 7);
            assert_eq!(Settings::invalid_country_code(&i), None);
        }
    }

    #[test]
    fn unset_blank_and_nonsense_are_no_country() {
        assert_eq!(
            Settings::from_installation(&installation(&[]), 0),
            Settings::default()
        );
        let blank = installation(&[("defaultCountryCode", "\"\"")]);
        assert_eq!(
            Settings::from_installation(&blank, 0).default_country_code,
            None
        );
        assert_eq!(Settings::invalid_country_code(&blank), None);
        for bad in ["Israel", "97250", "8 4"] {
            let i = installation(&[("defaultCountryCode", bad)]);
            assert_eq!(
                Settings::from_installation(&i, 0).default_country_code,
                None
            );
            assert_eq!(Settings::invalid_country_code(&i).as_deref(), Some(bad));
        }
    }
}
