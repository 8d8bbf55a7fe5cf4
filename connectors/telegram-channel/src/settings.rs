//! A destination's settings: `chatId`, `apiBase`, and the shape of the
//! `botToken` secret. Pure: the caller passes what it read from the host.

use switchboard_sdk::types::Pair;
use switchboard_sdk::url::base_url;

/// The chat to write to (required).
pub const CHAT_ID: &str = "chatId";
/// The Bot API's base URL (optional; tests point it at a local fake).
pub const API_BASE: &str = "apiBase";
/// The bot's token (secret, required).
pub const BOT_TOKEN: &str = "botToken";

/// Where requests go when `apiBase` is not set.
pub const DEFAULT_API_BASE: &str = "https://api.telegram.org";

/// What [`crate::TelegramChannel`] needs from the destination to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Trimmed, not empty: a numeric id (`-1001234567890`) or `@channelname`.
    pub chat_id: String,
    /// Without a trailing `/`.
    pub api_base: String,
}

impl Settings {
    /// Reads the settings from the destination's config; `fallback` answers
    /// for keys it lacks (the installation's settings, on the host).
    pub fn resolve(
        config: &[Pair],
        fallback: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, String> {
        let get = |key: &str| value(config, key).or_else(|| non_blank(fallback(key)));
        let chat_id = get(CHAT_ID).ok_or_else(|| format!("setting `{CHAT_ID}` is missing"))?;
        let api_base = api_base(get(API_BASE).as_deref())?;
        Ok(Settings { chat_id, api_base })
    }
}

/// The destination's config checked and normalised for storing: `chatId`
/// required and trimmed, `apiBase` trimmed without a trailing `/` (dropped
/// when blank), every other pair unchanged.
pub fn normalise(config: &[Pair]) -> Result<Vec<Pair>, String> {
    if value(config, CHAT_ID).is_none() {
        return Err(format!("setting `{CHAT_ID}` is required"));
    }
    let mut out = Vec::with_capacity(config.len());
    for pair in config {
        match pair.name.as_str() {
            CHAT_ID => out.push(Pair {
                name: pair.name.clone(),
                value: pair.value.trim().to_string(),
            }),
            API_BASE if pair.value.trim().is_empty() => {}
            API_BASE => out.push(Pair {
                name: pair.name.clone(),
                value: api_base(Some(&pair.value))?,
            }),
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

/// The token goes into the URL path (`/bot{token}/sendMessage`): refuse
/// anything that could change the path. Real tokens are `123456:ABC-def_…`.
/// The error never repeats the token.
pub fn check_token(token: &str) -> Result<(), String> {
    if token.is_empty() {
        return Err(format!("secret `{BOT_TOKEN}` is empty"));
    }
    let ok = token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.' | '~'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "secret `{BOT_TOKEN}` has characters a Telegram bot token cannot have"
        ))
    }
}

/// A pair's value, trimmed; `None` when absent or blank.
fn value(config: &[Pair], key: &str) -> Option<String> {
    non_blank(switchboard_sdk::types::find(config, key).map(str::to_string))
}

fn non_blank(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_sdk::types::pairs;

    fn none(_: &str) -> Option<String> {
        None
    }

    fn tuples(list: &[Pair]) -> Vec<(&str, &str)> {
        list.iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect()
    }

    #[test]
    fn resolves_chat_id_and_default_base() {
        let s = Settings::resolve(&pairs([("chatId", "  -1001234567890 ")]), none).unwrap();
        assert_eq!(s.chat_id, "-1001234567890");
        assert_eq!(s.api_base, "https://api.telegram.org");
    }

    #[test]
    fn api_base_override_loses_its_trailing_slash() {
        let config = pairs([("chatId", "42"), ("apiBase", " http://127.0.0.1:8081/ ")]);
        let s = Settings::resolve(&config, none).unwrap();
        assert_eq!(s.api_base, "http://127.0.0.1:8081");
    }

    #[test]
    fn falls_back_to_installation_settings() {
        let s = Settings::resolve(&[], |k| (k == "chatId").then(|| "@news".to_string())).unwrap();
        assert_eq!(s.chat_id, "@news");
        // The destination wins over the fallback.
        let s = Settings::resolve(&pairs([("chatId", "7")]), |k| {
            (k == "chatId").then(|| "8".to_string())
        })
        .unwrap();
        assert_eq!(s.chat_id, "7");
    }

    #[test]
    fn missing_or_blank_chat_id_is_an_error() {
        assert!(Settings::resolve(&[], none).is_err());
        assert!(Settings::resolve(&pairs([("chatId", "   ")]), none).is_err());
    }

    #[test]
    fn bad_api_bases_are_refused() {
        for bad in [
            "ftp://api.telegram.org",
            "api.telegram.org",
            "https://",
            "https:///path",
            "https://user@api.telegram.org",
            "https://api.telegram.org/?x=1",
            "https://api.telegram.org/#x",
            "https://api telegram.org",
        ] {
            assert!(api_base(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            api_base(Some("HTTPS://proxy.example/tg/")).unwrap(),
            "HTTPS://proxy.example/tg"
        );
        assert_eq!(api_base(Some("  ")).unwrap(), DEFAULT_API_BASE);
        assert_eq!(api_base(None).unwrap(), DEFAULT_API_BASE);
    }

    #[test]
    fn normalise_trims_and_keeps_other_pairs() {
        let config = pairs([
            ("chatId", " 123 "),
            ("apiBase", "https://api.telegram.org/"),
            ("label", " keep me "),
        ]);
        let out = normalise(&config).unwrap();
        assert_eq!(
            tuples(&out),
            [
                ("chatId", "123"),
                ("apiBase", "https://api.telegram.org"),
                ("label", " keep me "),
            ]
        );
        let out = normalise(&pairs([("chatId", "1"), ("apiBase", " ")])).unwrap();
        assert_eq!(tuples(&out), [("chatId", "1")]);
    }

    #[test]
    fn normalise_requires_a_chat_id() {
        assert!(normalise(&pairs([("chatId", "")])).is_err());
        assert!(normalise(&pairs([("apiBase", "https://x.example")])).is_err());
        assert!(normalise(&pairs([("chatId", "1"), ("apiBase", "nope")])).is_err());
    }

    #[test]
    fn tokens_that_would_bend_the_url_are_refused() {
        assert!(check_token("123456:ABC-def_GHI").is_ok());
        for bad in ["", "123/../x", "12 34", "a?b", "a#b", "a%2f", "tok\n"] {
            let err = check_token(bad).unwrap_err();
            assert!(bad.is_empty() || !err.contains(bad), "{err}");
        }
    }
}
