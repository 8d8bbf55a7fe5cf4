//! The `url` setting: where notifications are POSTed.
//!
//! Checked here rather than by the host because a destination is validated
//! before it is saved, and the reasons should name what is wrong. The host
//! checks again when it sends (scheme, egress, private addresses).

/// `raw` as an absolute `http`/`https` URL with a host, no user info and no
/// fragment. Normalised: trimmed, scheme and host lower-cased, an empty path
/// written `/`. The error says what is wrong in words for the person who
/// typed it.
pub fn normalise_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("setting `url` is empty".into());
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("setting `url` must not contain spaces or control characters".into());
    }
    let (scheme, rest) = raw
        .split_once("://")
        .ok_or("setting `url` must be an absolute http or https URL (`https://host/path`)")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "setting `url` must use http or https, not `{scheme}`"
        ));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return Err("setting `url` must not contain a user name or password".into());
    }
    if tail.contains('#') {
        return Err("setting `url` must not have a `#fragment`".into());
    }
    let authority = authority_normalised(authority)?;
    let tail = if tail.starts_with('/') {
        tail.to_string()
    } else {
        format!("/{tail}")
    };
    Ok(format!("{scheme}://{authority}{tail}"))
}

/// `host[:port]` lower-cased, with the port checked.
fn authority_normalised(authority: &str) -> Result<String, String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (inside, after) = v6
            .split_once(']')
            .ok_or("setting `url` has an unclosed `[` in its host")?;
        if inside.is_empty()
            || !inside
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err("setting `url` has an invalid IPv6 address".into());
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or("setting `url` has junk after its IPv6 address")?,
            ),
        };
        (format!("[{}]", inside.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err("setting `url` must have a host".into());
        }
        if !host.is_ascii() {
            return Err(
                "setting `url` has a non-ASCII host: write it in its `xn--` (punycode) form".into(),
            );
        }
        if !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            || host.starts_with('.')
            || host.contains("..")
        {
            return Err(format!("setting `url` has an invalid host `{host}`"));
        }
        (host.to_ascii_lowercase(), port)
    };
    match port {
        None => Ok(host),
        Some(port) => {
            let valid = !port.is_empty()
                && port.chars().all(|c| c.is_ascii_digit())
                && port.parse::<u16>().is_ok_and(|p| p > 0);
            if valid {
                Ok(format!("{host}:{port}"))
            } else {
                Err("setting `url` has an invalid port (1-65535)".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_http_urls() {
        for (raw, normalised) in [
            (
                "https://hooks.example.com/in",
                "https://hooks.example.com/in",
            ),
            (" HTTPS://Hooks.Example.COM ", "https://hooks.example.com/"),
            (
                "http://example.com:8080?a=B",
                "http://example.com:8080/?a=B",
            ),
            (
                "https://[2001:DB8::1]:9000/x/Y",
                "https://[2001:db8::1]:9000/x/Y",
            ),
            (
                "https://203.0.113.7/hook?token=Ab%20c",
                "https://203.0.113.7/hook?token=Ab%20c",
            ),
        ] {
            assert_eq!(normalise_url(raw).unwrap(), normalised, "{raw}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_an_endpoint() {
        for (raw, says) in [
            ("", "empty"),
            ("hooks.example.com/in", "absolute"),
            ("ftp://example.com/", "not `ftp`"),
            ("https://user:pw@example.com/", "user name or password"),
            ("https://token@example.com/", "user name or password"),
            ("https:///path", "must have a host"),
            ("https://:443/", "must have a host"),
            ("https://exa mple.com/", "spaces"),
            ("https://example.com/#frag", "fragment"),
            ("https://example.com:0/", "port"),
            ("https://example.com:70000/", "port"),
            ("https://example.com:/", "port"),
            ("https://example.com:8a/", "port"),
            ("https://exa$mple.com/", "invalid host"),
            ("https://münchen.de/", "punycode"),
            ("https://[::1/", "unclosed"),
            ("https://[zz]/", "IPv6"),
        ] {
            let err = normalise_url(raw).unwrap_err();
            assert!(err.contains(says), "{raw}: {err}");
        }
    }
}
