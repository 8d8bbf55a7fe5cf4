//! URLs given as settings.

/// A base URL read from the setting named `setting`:
/// `http(s)://host[:port][/path]`, trimmed, without a trailing `/`; `default`
/// (returned as it is) when absent or blank.
///
/// Refused: another scheme or none, an empty host, user info (`user@`), a
/// query or fragment (`?`, `#`), whitespace or control characters. The error
/// names the setting and the default as an example, never more of the value:
/// ``setting `apiBase` must be an http(s) base URL like https://api.example``.
pub fn base_url(raw: Option<&str>, default: &str, setting: &str) -> Result<String, String> {
    let raw = raw.map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Ok(default.to_string());
    }
    let lower = raw.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let bad = || format!("setting `{setting}` must be an http(s) base URL like {default}");
    let rest = rest.ok_or_else(bad)?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty()
        || host.contains('@')
        || raw.contains(['?', '#'])
        || raw.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok(raw.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "https://api.example";

    fn base(raw: Option<&str>) -> Result<String, String> {
        base_url(raw, DEFAULT, "apiBase")
    }

    #[test]
    fn absent_or_blank_is_the_default() {
        assert_eq!(base(None).unwrap(), DEFAULT);
        assert_eq!(base(Some("")).unwrap(), DEFAULT);
        assert_eq!(base(Some(" \t ")).unwrap(), DEFAULT);
    }

    #[test]
    fn accepted_bases_are_trimmed_without_trailing_slashes() {
        assert_eq!(
            base(Some(" http://127.0.0.1:8081/ ")).unwrap(),
            "http://127.0.0.1:8081"
        );
        // The scheme is matched in any case and kept as written.
        assert_eq!(
            base(Some("HTTPS://proxy.example/tg//")).unwrap(),
            "HTTPS://proxy.example/tg"
        );
        assert_eq!(
            base(Some("https://[::1]:9000/a/b")).unwrap(),
            "https://[::1]:9000/a/b"
        );
    }

    #[test]
    fn refused_bases_name_the_setting_and_the_default() {
        for bad in [
            "api.example",
            "ftp://api.example",
            "https://",
            "https:///path",
            "https://user@api.example",
            "https://api.example/?x=1",
            "https://api.example#x",
            "https://api example",
            "https://api.example/\u{7}",
        ] {
            assert_eq!(
                base(Some(bad)).unwrap_err(),
                "setting `apiBase` must be an http(s) base URL like https://api.example",
                "{bad}"
            );
        }
        assert_eq!(
            base_url(Some("nope"), "https://x.example", "baseUrl").unwrap_err(),
            "setting `baseUrl` must be an http(s) base URL like https://x.example"
        );
    }
}
