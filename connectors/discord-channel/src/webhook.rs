//! Discord webhook URLs: which ones we accept, and where the request goes.
//!
//! A webhook URL is a credential (`https://discord.com/api/webhooks/{id}/{token}`):
//! whoever has it can post. We accept only Discord's own hosts over https,
//! without user info, and only the execute-webhook path, so a stored URL
//! cannot send a notification (and its text) anywhere else. Error messages
//! never repeat the token.

/// Hosts a webhook URL may name.
pub const HOSTS: [&str; 4] = [
    "discord.com",
    "discordapp.com",
    "ptb.discord.com",
    "canary.discord.com",
];

/// A parsed webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// The webhook's id (a snowflake: digits).
    pub id: String,
    /// Its secret token.
    pub token: String,
    /// The API version in the path (`/api/v10/webhooks/…`), if any.
    pub version: Option<u32>,
    /// `?thread_id=…`: post into this thread of a forum or text channel.
    pub thread_id: Option<String>,
}

impl Webhook {
    /// `/api[/v{n}]/webhooks/{id}/{token}`: the stored URL's path.
    pub fn path(&self) -> String {
        match self.version {
            Some(v) => format!("/api/v{v}/webhooks/{}/{}", self.id, self.token),
            None => format!("/api/webhooks/{}/{}", self.id, self.token),
        }
    }

    /// `{api_base}{path}?wait=true` (and the thread): the base replaces the
    /// stored URL's scheme and host, so tests can aim a real-looking URL at
    /// a local fake. `api_base` has no trailing `/`.
    pub fn execute_url(&self, api_base: &str) -> String {
        let mut url = format!("{api_base}{}?wait=true", self.path());
        if let Some(thread) = &self.thread_id {
            url.push_str("&thread_id=");
            url.push_str(thread);
        }
        url
    }
}

/// The webhook's `(id, token)`, or why the URL is not a Discord webhook URL.
pub fn parse_webhook_url(url: &str) -> Result<(String, String), String> {
    parse(url).map(|w| (w.id, w.token))
}

/// The whole URL, thread included. See the module doc for what is accepted.
pub fn parse(url: &str) -> Result<Webhook, String> {
    let url = url.trim();
    let scheme_ok = url
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    if !scheme_ok {
        return Err("the webhook URL must start with https://".into());
    }
    let rest = &url[8..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err("the webhook URL must not contain a user name or password".into());
    }
    let host = match authority.split_once(':') {
        Some((host, "443")) => host,
        Some(_) => return Err("the webhook URL must not name a port".into()),
        None => authority,
    };
    let host = host.to_ascii_lowercase();
    if !HOSTS.contains(&host.as_str()) {
        return Err(format!(
            "the webhook URL must be on {} (not `{host}`)",
            HOSTS.join(", ")
        ));
    }
    if rest.contains('#') {
        return Err("the webhook URL must not have a #fragment".into());
    }
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (id, token, version) = parse_path(path)?;
    let thread_id = parse_query(query)?;
    Ok(Webhook {
        id,
        token,
        version,
        thread_id,
    })
}

const PATH_SHAPE: &str = "the webhook URL's path must be /api/webhooks/{id}/{token}";

/// `/api[/v{n}]/webhooks/{id}/{token}[/]`.
fn parse_path(path: &str) -> Result<(String, String, Option<u32>), String> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let mut segments = path.split('/');
    if segments.next() != Some("") || segments.next() != Some("api") {
        return Err(PATH_SHAPE.into());
    }
    let mut next = segments.next();
    let mut version = None;
    if let Some(v) = next.and_then(|s| s.strip_prefix('v')) {
        version = Some(
            v.parse::<u32>()
                .ok()
                .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                .ok_or(PATH_SHAPE)?,
        );
        next = segments.next();
    }
    if next != Some("webhooks") {
        return Err(PATH_SHAPE.into());
    }
    let id = segments.next().unwrap_or_default();
    let token = segments.next().unwrap_or_default();
    if segments.next().is_some() {
        // `/slack`, `/github` and message paths are other endpoints.
        return Err(PATH_SHAPE.into());
    }
    let id_ok = !id.is_empty()
        && id.len() <= 20
        && id.bytes().all(|b| b.is_ascii_digit())
        && id.parse::<u64>().is_ok();
    if !id_ok {
        return Err("the webhook id in the URL must be a number".into());
    }
    if token.is_empty() {
        return Err("the webhook URL has no token".into());
    }
    let token_ok = token.len() <= 256
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    if !token_ok {
        return Err(
            "the webhook token in the URL has characters Discord tokens do not have".into(),
        );
    }
    Ok((id.to_string(), token.to_string(), version))
}

/// Only `wait` (we always send `wait=true`) and `thread_id` (digits).
fn parse_query(query: &str) -> Result<Option<String>, String> {
    let mut thread_id = None;
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        match name {
            "wait" => {}
            "thread_id" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                thread_id = Some(value.to_string());
            }
            "thread_id" => return Err("`thread_id` in the webhook URL must be a number".into()),
            _ => {
                return Err(
                    "the webhook URL may carry only `thread_id` in its query string".into(),
                );
            }
        }
    }
    Ok(thread_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "AbC-dEf_123xyzTOKENtokenTOKENtokenTOKENtokenTOKENtokenTOKENtoken12";

    fn url(host_and_path: &str) -> String {
        format!("https://{host_and_path}")
    }

    #[test]
    fn accepts_discords_hosts() {
        for host in HOSTS {
            let u = url(&format!("{host}/api/webhooks/1234567890123456789/{TOKEN}"));
            assert_eq!(
                parse_webhook_url(&u).unwrap(),
                ("1234567890123456789".to_string(), TOKEN.to_string()),
                "{u}"
            );
        }
    }

    #[test]
    fn accepts_versioned_paths_trailing_slash_and_case() {
        let w = parse(&format!(
            "  HTTPS://Discord.com:443/api/v10/webhooks/42/{TOKEN}/ "
        ))
        .unwrap();
        assert_eq!(w.id, "42");
        assert_eq!(w.version, Some(10));
        assert_eq!(w.path(), format!("/api/v10/webhooks/42/{TOKEN}"));
    }

    #[test]
    fn accepts_wait_and_thread_id() {
        let w = parse(&url(&format!(
            "discord.com/api/webhooks/42/{TOKEN}?wait=true&thread_id=777"
        )))
        .unwrap();
        assert_eq!(w.thread_id.as_deref(), Some("777"));
        assert_eq!(
            w.execute_url("http://127.0.0.1:5000"),
            format!("http://127.0.0.1:5000/api/webhooks/42/{TOKEN}?wait=true&thread_id=777")
        );
    }

    #[test]
    fn the_base_replaces_scheme_and_host() {
        let w = parse(&url(&format!("canary.discord.com/api/webhooks/42/{TOKEN}"))).unwrap();
        assert_eq!(
            w.execute_url("https://discord.com"),
            format!("https://discord.com/api/webhooks/42/{TOKEN}?wait=true")
        );
    }

    #[test]
    fn refuses_everything_else() {
        let path = format!("/api/webhooks/42/{TOKEN}");
        let bad = [
            format!("http://discord.com{path}"),
            format!("discord.com{path}"),
            format!("ftp://discord.com{path}"),
            format!("https://example.com{path}"),
            format!("https://discord.com.evil.com{path}"),
            format!("https://evil.com/discord.com{path}"),
            format!("https://evildiscord.com{path}"),
            format!("https://discord.com.{path}"),
            format!("https://x@discord.com{path}"),
            format!("https://x:y@discord.com{path}"),
            format!("https://discord.com@evil.com{path}"),
            format!("https://discord.com:8443{path}"),
            "https://discord.com/api/webhooks/42".to_string(),
            "https://discord.com/api/webhooks/42/".to_string(),
            format!("https://discord.com/api/webhooks/abc/{TOKEN}"),
            format!("https://discord.com/api/webhooks//{TOKEN}"),
            format!("https://discord.com/api/webhooks/123456789012345678901/{TOKEN}"),
            format!("https://discord.com/webhooks/42/{TOKEN}"),
            format!("https://discord.com/api/vX/webhooks/42/{TOKEN}"),
            format!("https://discord.com/api/channels/42/{TOKEN}"),
            format!("https://discord.com{path}/slack"),
            format!("https://discord.com{path}/messages/1"),
            "https://discord.com/api/webhooks/42/tok%2Fen".to_string(),
            "https://discord.com/api/webhooks/42/tok..en".to_string(),
            format!("https://discord.com{path}?thread_id=abc"),
            format!("https://discord.com{path}?redirect=https://evil.com"),
            format!("https://discord.com{path}#x"),
            String::new(),
        ];
        for u in bad {
            let err = parse_webhook_url(&u).expect_err(&u);
            assert!(!err.contains(TOKEN), "{err}");
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = parse_webhook_url("http://discord.com/api/webhooks/1/t").unwrap_err();
        assert!(err.contains("https://"), "{err}");
        let err = parse_webhook_url("https://discord.com.evil.com/api/webhooks/1/t").unwrap_err();
        assert!(err.contains("discord.com.evil.com"), "{err}");
        let err = parse_webhook_url("https://discord.com/api/webhooks/1").unwrap_err();
        assert!(err.contains("token"), "{err}");
        let err = parse_webhook_url("https://x@discord.com/api/webhooks/1/t").unwrap_err();
        assert!(err.contains("user name"), "{err}");
    }
}
