//! A destination's settings: `apiBase`, and the `webhookUrl` secret's key.
//! Pure: the caller passes what it read from the host.

use switchboard_sdk::types::Pair;
use switchboard_sdk::url::base_url;

use crate::webhook;

/// Where requests go instead of the stored URL's scheme and host (optional;
/// tests point it at a local fake).
pub const API_BASE: &str = "apiBase";
/// The webhook URL (secret, required).
pub const WEBHOOK_URL: &str = "webhookUrl";

/// The base when `apiBase` is not set.
pub const DEFAULT_API_BASE: &str = "https://discord.com";

/// The base URL to use: the destination's `apiBase`, else `fallback`'s
/// (the installation's settings on the host), else the default.
pub fn resolve_api_base(
    config: &[Pair],
    fallback: impl Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let own = switchboard_sdk::types::find(config, API_BASE)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    api_base(own.or_else(|| fallback(API_BASE)).as_deref())
}

/// The destination's config checked and normalised for storing: `apiBase`
/// trimmed without a trailing `/` (dropped when blank); a `webhookUrl` that
/// arrives among the settings is checked and trimmed too; every other pair
/// unchanged.
pub fn normalise(config: &[Pair]) -> Result<Vec<Pair>, String> {
    let mut out = Vec::with_capacity(config.len());
    for pair in config {
        let value = pair.value.trim();
        match pair.name.as_str() {
            API_BASE if value.is_empty() => {}
            API_BASE => out.push(Pair {
                name: pair.name.clone(),
                value: api_base(Some(value))?,
            }),
            WEBHOOK_URL => {
                webhook::parse(value)?;
                out.push(Pair {
                    name: pair.name.clone(),
                    value: value.to_string(),
                });
            }
            _ => out.push(pair.clone()),
        }
    }
    Ok(out)
}

/// The base URL: `http(s)://host[:port][/path]`, trimmed, without a trailing
/// `/`; the default when absent or blank (see [`base_url`]).
pub fn api_base(raw: Option<&str>) -> Result<String, String> {
    base_url(raw, DEFAULT_API_BASE, API_BASE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_sdk::types::pairs;

    fn tuples(list: &[Pair]) -> Vec<(&str, &str)> {
        list.iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect()
    }

    #[test]
    fn default_base_and_override() {
        assert_eq!(
            resolve_api_base(&[], |_| None).unwrap(),
            "https://discord.com"
        );
        let config = pairs([("apiBase", " http://127.0.0.1:5000/ ")]);
        assert_eq!(
            resolve_api_base(&config, |_| None).unwrap(),
            "http://127.0.0.1:5000"
        );
        // The destination wins over the installation.
        assert_eq!(
            resolve_api_base(&config, |_| Some("https://other.example".into())).unwrap(),
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            resolve_api_base(&pairs([("apiBase", " ")]), |_| Some(
                "https://other.example".into()
            ))
            .unwrap(),
            "https://other.example"
        );
    }

    #[test]
    fn bad_bases_are_refused() {
        for bad in [
            "discord.com",
            "ftp://discord.com",
            "https://",
            "https://u@discord.com",
            "https://discord.com?x",
            "https://disc ord.com",
        ] {
            assert!(api_base(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn normalise_trims_and_checks() {
        let url = "https://discord.com/api/webhooks/1/tok";
        let config = pairs([
            ("apiBase", " https://discord.com/ "),
            ("webhookUrl", &format!(" {url} ")),
            ("label", " x "),
        ]);
        assert_eq!(
            tuples(&normalise(&config).unwrap()),
            [
                ("apiBase", "https://discord.com"),
                ("webhookUrl", url),
                ("label", " x "),
            ]
        );
        assert!(tuples(&normalise(&pairs([("apiBase", "")])).unwrap()).is_empty());
        assert!(normalise(&pairs([("apiBase", "nope")])).is_err());
        assert!(
            normalise(&pairs([(
                "webhookUrl",
                "https://evil.com/api/webhooks/1/t"
            )]))
            .is_err()
        );
    }
}
