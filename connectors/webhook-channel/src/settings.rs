//! A destination's settings, checked: the endpoint and the signing keys.
//!
//! | key | kind | |
//! |---|---|---|
//! | `url` | setting, required | `http`/`https` endpoint |
//! | `secret` | secret, required | `whsec_…`, signs every request |
//! | `previousSecret` | secret, optional | `whsec_…`, also signs during a rotation |

use std::fmt;

use switchboard_sdk::prelude::*;

use crate::endpoint::normalise_url;
use crate::signature::decode_secret;

pub const URL: &str = "url";
pub const SECRET: &str = "secret";
pub const PREVIOUS_SECRET: &str = "previousSecret";

/// What sending needs. The keys are decoded once; `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// The normalised endpoint.
    pub url: String,
    /// HMAC keys, current first, then the previous one if any.
    keys: Vec<Vec<u8>>,
}

impl Settings {
    /// Checks the raw values. Blank counts as absent. Errors name the
    /// setting and what is wrong with it, never a secret's value.
    pub fn new(
        url: Option<&str>,
        secret: Option<&str>,
        previous_secret: Option<&str>,
    ) -> Result<Self, String> {
        let url = present(url).ok_or_else(|| format!("setting `{URL}` is missing"))?;
        let url = normalise_url(url)?;
        let secret = present(secret).ok_or_else(|| format!("secret `{SECRET}` is missing"))?;
        let mut keys = vec![decode_secret(SECRET, secret)?];
        if let Some(previous) = present(previous_secret) {
            let previous = decode_secret(PREVIOUS_SECRET, previous)?;
            // The same key twice would only repeat a signature.
            if !keys.contains(&previous) {
                keys.push(previous);
            }
        }
        Ok(Settings { url, keys })
    }

    /// The HMAC keys, current first.
    pub fn keys(&self) -> &[Vec<u8>] {
        &self.keys
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("url", &self.url)
            .field("keys", &format_args!("[{} redacted]", self.keys.len()))
            .finish()
    }
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The destination's `url`, else the installation's (read lazily with
/// `installation`), blank counting as absent.
pub fn url_from(
    destination: &[Pair],
    installation: impl FnOnce() -> Option<String>,
) -> Option<String> {
    match find(destination, URL)
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(url) => Some(url.to_string()),
        None => installation().filter(|v| !v.trim().is_empty()),
    }
}

/// The destination's settings with `url` replaced by its normalised form
/// (once, where it first appeared, or appended when it came from the
/// installation). Everything else is returned as given.
pub fn normalised_config(config: Vec<Pair>, url: &str) -> Vec<Pair> {
    let mut out = Vec::with_capacity(config.len() + 1);
    let mut placed = false;
    for pair in config {
        if pair.name != URL {
            out.push(pair);
        } else if !placed {
            out.push(Pair {
                name: URL.into(),
                value: url.into(),
            });
            placed = true;
        }
    }
    if !placed {
        out.push(Pair {
            name: URL.into(),
            value: url.into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::generate_secret_from;

    const URL_OK: &str = "https://hooks.example.com/in";

    #[test]
    fn reads_url_and_keys_current_first() {
        let current = generate_secret_from([1; 32]);
        let previous = generate_secret_from([2; 32]);
        let s = Settings::new(
            Some(" HTTPS://Hooks.example.com/in "),
            Some(&current),
            Some(&previous),
        )
        .unwrap();
        assert_eq!(s.url, URL_OK);
        assert_eq!(s.keys(), &[vec![1; 32], vec![2; 32]]);
        let s = Settings::new(Some(URL_OK), Some(&current), Some(" ")).unwrap();
        assert_eq!(s.keys().len(), 1);
        let s = Settings::new(Some(URL_OK), Some(&current), Some(&current)).unwrap();
        assert_eq!(s.keys().len(), 1);
    }

    #[test]
    fn says_which_setting_is_wrong() {
        let good = generate_secret_from([1; 32]);
        for (url, secret, previous, says) in [
            (None, Some(good.as_str()), None, "setting `url` is missing"),
            (
                Some(" "),
                Some(good.as_str()),
                None,
                "setting `url` is missing",
            ),
            (
                Some("ftp://x.example/"),
                Some(good.as_str()),
                None,
                "http or https",
            ),
            (Some(URL_OK), None, None, "secret `secret` is missing"),
            (
                Some(URL_OK),
                Some("hunter2hunter2"),
                None,
                "secret `secret` must start",
            ),
            (
                Some(URL_OK),
                Some(good.as_str()),
                Some("whsec_c2hvcnQ="),
                "`previousSecret` is too short",
            ),
        ] {
            let err = Settings::new(url, secret, previous).unwrap_err();
            assert!(err.contains(says), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn debug_hides_the_keys() {
        let secret = generate_secret_from([0xAB; 32]);
        let s = Settings::new(Some(URL_OK), Some(&secret), None).unwrap();
        let shown = format!("{s:?}");
        assert!(
            shown.contains(URL_OK) && shown.contains("redacted"),
            "{shown}"
        );
        assert!(!shown.contains("171"), "{shown}");
    }

    #[test]
    fn url_comes_from_the_destination_then_the_installation() {
        let dest = pairs([("url", " https://a.example/ ")]);
        assert_eq!(
            url_from(&dest, || panic!("not asked")).as_deref(),
            Some("https://a.example/")
        );
        let blank = pairs([("url", "")]);
        assert_eq!(
            url_from(&blank, || Some("https://b.example/".into())).as_deref(),
            Some("https://b.example/")
        );
        assert_eq!(url_from(&[], || Some("  ".into())), None);
    }

    fn plain(config: &[Pair]) -> Vec<(&str, &str)> {
        config
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect()
    }

    #[test]
    fn normalises_url_in_place_and_keeps_the_rest() {
        let config = pairs([
            ("url", "HTTPS://A.example"),
            ("name", "CRM"),
            ("url", "dup"),
        ]);
        assert_eq!(
            plain(&normalised_config(config, "https://a.example/")),
            [("url", "https://a.example/"), ("name", "CRM")]
        );
        assert_eq!(
            plain(&normalised_config(
                pairs([("name", "CRM")]),
                "https://a.example/"
            )),
            [("name", "CRM"), ("url", "https://a.example/")]
        );
    }
}
