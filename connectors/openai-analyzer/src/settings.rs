//! The installation's settings, read once per call so everything below works
//! on plain values.

use switchboard_sdk::prelude::*;
use switchboard_sdk::types::unquote_setting as unquote;

/// Chat model when `model` is empty.
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
/// Speech-to-text model when `sttModel` is empty.
pub const DEFAULT_STT_MODEL: &str = "whisper-1";

/// Endpoint paths people paste into `baseUrl` by mistake; dropped.
const ENDPOINT_SUFFIXES: [&str; 2] = ["/chat/completions", "/audio/transcriptions"];

/// What the connector needs to know about the installation (the key is read
/// apart, through [`api_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `https://api.openai.com/v1`: scheme, host (and port) and path, no
    /// trailing `/`.
    pub base_url: String,
    /// Chat model for the analysis.
    pub model: String,
    /// Speech-to-text model.
    pub stt_model: String,
    /// ISO-639-1 language of the calls, lower-case, when set.
    pub language: Option<String>,
}

impl Settings {
    /// Reads `baseUrl` (required), `model`, `sttModel` and `language`.
    /// Values that are not strings arrive as JSON text, so quotes and stray
    /// spaces are ignored.
    pub fn from_installation(installation: &Installation) -> Result<Self, ConnectorError> {
        let text = |key: &str| {
            installation
                .setting(key)
                .map(unquote)
                .filter(|v| !v.is_empty())
        };
        let raw = text("baseUrl")
            .ok_or_else(|| ConnectorError::Config("setting `baseUrl` is missing".into()))?;
        let base_url = normalise_base_url(raw)?;
        let model = text("model").unwrap_or(DEFAULT_MODEL).to_string();
        let stt_model = text("sttModel").unwrap_or(DEFAULT_STT_MODEL).to_string();
        let language = text("language").map(normalise_language).transpose()?;
        Ok(Settings {
            base_url,
            model,
            stt_model,
            language,
        })
    }

    /// The host (and port) of `base_url`, for messages.
    pub fn host(&self) -> &str {
        let rest = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, rest)| rest);
        rest.split('/').next().unwrap_or(rest)
    }

    /// `{baseUrl}{path}`; `path` starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// Lower-cases scheme and host, keeps the path (`/v1`), drops trailing `/`
/// and a pasted endpoint path (`/chat/completions`).
pub fn normalise_base_url(raw: &str) -> Result<String, ConnectorError> {
    let raw = raw.trim();
    let lower = raw.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err(ConnectorError::Config(format!(
            "setting `baseUrl` must start with https:// (e.g. `https://api.openai.com/v1`), got `{raw}`"
        )));
    }
    let (scheme, rest) = raw.split_once("://").unwrap_or(("https", raw));
    if rest.contains(['?', '#']) || rest.contains(char::is_whitespace) {
        return Err(ConnectorError::Config(format!(
            "setting `baseUrl` must be a plain URL without spaces, query or fragment, got `{raw}`"
        )));
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.is_empty() || authority.contains('@') {
        return Err(ConnectorError::Config(format!(
            "setting `baseUrl` has no usable host: `{raw}`"
        )));
    }
    let mut path = path.trim_end_matches('/');
    for suffix in ENDPOINT_SUFFIXES {
        if path.to_ascii_lowercase().ends_with(suffix) {
            path = path[..path.len() - suffix.len()].trim_end_matches('/');
        }
    }
    Ok(format!(
        "{}://{}{path}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    ))
}

/// `th`, `TH`, `th-TH` and `th_TH` all read as `th`; anything else that is
/// not two or three letters is a `config` error (the API would refuse it on
/// every recording).
fn normalise_language(raw: &str) -> Result<String, ConnectorError> {
    let code = raw.split(['-', '_']).next().unwrap_or(raw).trim();
    if (2..=3).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(code.to_ascii_lowercase())
    } else {
        Err(ConnectorError::Config(format!(
            "setting `language` must be an ISO-639-1 code such as `en`, `th` or `vi`, got `{raw}`"
        )))
    }
}

/// The `apiKey` secret, trimmed; a pasted `Bearer ` prefix is dropped.
pub fn api_key(secret: Option<String>) -> Result<String, ConnectorError> {
    let secret = secret.unwrap_or_default();
    let mut key = secret.trim();
    if let Some(prefix) = key.get(..7)
        && prefix.eq_ignore_ascii_case("bearer ")
    {
        key = key[7..].trim_start();
    }
    if key.is_empty() {
        return Err(ConnectorError::Config("secret `apiKey` is missing".into()));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConnectorError::Config(
            "secret `apiKey` contains spaces or line breaks".into(),
        ));
    }
    Ok(key.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    pub fn installation(config: &[(&str, &str)]) -> Installation {
        Installation {
            id: "i1".into(),
            business_id: "b1".into(),
            kind: "openai-analyzer".into(),
            config: pairs(config.iter().copied()),
        }
    }

    #[test]
    fn defaults() {
        let s = Settings::from_installation(&installation(&[(
            "baseUrl",
            "https://api.openai.com/v1/",
        )]))
        .unwrap();
        assert_eq!(
            s,
            Settings {
                base_url: "https://api.openai.com/v1".into(),
                model: "gpt-4o-mini".into(),
                stt_model: "whisper-1".into(),
                language: None,
            }
        );
        assert_eq!(s.host(), "api.openai.com");
        assert_eq!(
            s.url("/chat/completions"),
            "https://api.openai.com/v1/chat/completions"
        );
    }

    #[test]
    fn reads_and_normalises() {
        let s = Settings::from_installation(&installation(&[
            ("baseUrl", " \"HTTP://LLM.Example.com:8080/openai/v1//\" "),
            ("model", "\"gpt-4.1-mini\""),
            ("sttModel", " gpt-4o-transcribe "),
            ("language", "th-TH"),
        ]))
        .unwrap();
        assert_eq!(s.base_url, "http://llm.example.com:8080/openai/v1");
        assert_eq!(s.host(), "llm.example.com:8080");
        assert_eq!(s.model, "gpt-4.1-mini");
        assert_eq!(s.stt_model, "gpt-4o-transcribe");
        assert_eq!(s.language.as_deref(), Some("th"));

        // Empty optional values fall back to the defaults.
        let s = Settings::from_installation(&installation(&[
            ("baseUrl", "https://api.openai.com"),
            ("model", ""),
            ("sttModel", "\"\""),
            ("language", " "),
        ]))
        .unwrap();
        assert_eq!(s.base_url, "https://api.openai.com");
        assert_eq!(s.host(), "api.openai.com");
        assert_eq!(s.model, DEFAULT_MODEL);
        assert_eq!(s.stt_model, DEFAULT_STT_MODEL);
        assert_eq!(s.language, None);
    }

    #[test]
    fn drops_pasted_endpoint_paths() {
        for raw in [
            "https://api.openai.com/v1/chat/completions",
            "https://api.openai.com/v1/audio/transcriptions/",
            "https://api.openai.com/v1/",
        ] {
            assert_eq!(
                normalise_base_url(raw).unwrap(),
                "https://api.openai.com/v1"
            );
        }
    }

    #[test]
    fn rejects_missing_or_bad_values() {
        for config in [
            vec![],
            vec![("baseUrl", "")],
            vec![("baseUrl", "api.openai.com/v1")],
            vec![("baseUrl", "ftp://api.openai.com/v1")],
            vec![("baseUrl", "https://")],
            vec![("baseUrl", "https:///v1")],
            vec![("baseUrl", "https://user:pw@evil.example/v1")],
            vec![("baseUrl", "https://api.openai.com/v1?x=1")],
            vec![("baseUrl", "https://api.openai .com/v1")],
            vec![
                ("baseUrl", "https://api.openai.com/v1"),
                ("language", "Thai"),
            ],
        ] {
            let err = Settings::from_installation(&installation(&config)).unwrap_err();
            assert!(
                matches!(err, ConnectorError::Config(_)),
                "{config:?}: {err:?}"
            );
        }
    }

    #[test]
    fn api_keys() {
        assert_eq!(api_key(Some(" sk-abc \n".into())).unwrap(), "sk-abc");
        assert_eq!(api_key(Some("Bearer sk-abc".into())).unwrap(), "sk-abc");
        for bad in [
            None,
            Some(String::new()),
            Some("  ".into()),
            Some("sk a".into()),
        ] {
            assert!(matches!(api_key(bad), Err(ConnectorError::Config(_))));
        }
    }
}
