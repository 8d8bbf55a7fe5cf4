//! A notification as the text of one Telegram message (`parse_mode: HTML`).
//!
//! ```text
//! 🚨 <b>Missed call</b>
//! +84 90 123 4567 called the sales queue &amp; nobody answered.
//! <a href="https://switchboard.example/calls/17">https://switchboard.example/calls/17</a>
//! ```
//!
//! Telegram allows 4096 characters *after entity parsing*: tags do not
//! count, `&amp;` counts as one. We count UTF-16 code units (what Telegram
//! measures entities in; never fewer than characters, so the text fits
//! either way) of the visible text, and cut the raw text before escaping, so
//! a cut never falls inside an entity or a tag.

use switchboard_sdk::prelude::{Notification, Severity};
use switchboard_sdk::text::{utf16_len as units, utf16_prefix as prefix};

/// Telegram's limit for a message's text.
pub const LIMIT: usize = 4096;
/// Appended to a body that was cut.
pub const TRUNCATED: &str = "… [truncated]";
/// A link's visible text is cut to this many units (the `href` keeps it
/// whole), so a monstrous URL cannot crowd out the message.
const LINK_TEXT_LIMIT: usize = 1024;

/// The marker that starts every message.
pub fn marker(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "ℹ️",
        Severity::Warning => "⚠️",
        Severity::Critical => "🚨",
    }
}

/// The message text: marker and bold title, body, link; at most [`LIMIT`]
/// visible UTF-16 units.
pub fn render(n: &Notification) -> String {
    let marker = marker(n.severity);
    let link = n
        .link
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(Link::new);
    let (title, body) = fit(marker, n.title.trim(), &n.body, link.as_ref());

    let mut out = String::from(marker);
    if !title.is_empty() {
        out.push_str(" <b>");
        out.push_str(&escape(&title));
        out.push_str("</b>");
    }
    if !body.text.is_empty() || body.cut {
        out.push('\n');
        out.push_str(&escape(body.text));
        if body.cut {
            out.push_str(TRUNCATED);
        }
    }
    if let Some(link) = &link {
        out.push('\n');
        out.push_str(&link.html());
    }
    out
}

/// A body, and whether it was cut (then [`TRUNCATED`] follows it).
struct Body<'a> {
    text: &'a str,
    cut: bool,
}

/// The title and body that fit: the body is cut first; only when the title
/// and link alone leave no room is the title cut too (with `…`), and then the
/// body is nothing but the truncation marker.
fn fit<'a>(
    marker: &str,
    title: &'a str,
    body: &'a str,
    link: Option<&Link>,
) -> (std::borrow::Cow<'a, str>, Body<'a>) {
    let line = |s: &str| if s.is_empty() { 0 } else { 1 + units(s) };
    let head = units(marker);
    let link_len = link.map_or(0, |l| 1 + units(&l.text));
    if head + line(title) + line(body) + link_len <= LIMIT {
        return (
            title.into(),
            Body {
                text: body,
                cut: false,
            },
        );
    }
    // Room for "\n… [truncated]" is always kept.
    let marker_line = 1 + units(TRUNCATED);
    let title_room = LIMIT - head - link_len - marker_line;
    let title: std::borrow::Cow<str> = if line(title) <= title_room {
        title.into()
    } else {
        // " " + title + "…" must fit.
        let cut = prefix(title, title_room.saturating_sub(2)).trim_end();
        format!("{cut}…").into()
    };
    let body_room = LIMIT - head - line(&title) - link_len - marker_line;
    let text = prefix(body, body_room).trim_end();
    (title, Body { text, cut: true })
}

/// A link: an anchor for http(s) and `tg:` URLs, plain text otherwise.
struct Link {
    url: String,
    /// What is shown (the URL, cut to [`LINK_TEXT_LIMIT`]).
    text: String,
}

impl Link {
    fn new(url: &str) -> Link {
        let text = if units(url) <= LINK_TEXT_LIMIT {
            url.to_string()
        } else {
            format!("{}…", prefix(url, LINK_TEXT_LIMIT - 1))
        };
        Link {
            url: url.to_string(),
            text,
        }
    }

    fn html(&self) -> String {
        let lower = self.url.to_ascii_lowercase();
        if ["http://", "https://", "tg://"]
            .iter()
            .any(|s| lower.starts_with(s))
        {
            format!(
                "<a href=\"{}\">{}</a>",
                escape_attr(&self.url),
                escape(&self.text)
            )
        } else {
            escape(&self.text)
        }
    }
}

/// Text for Telegram's HTML: `&`, `<`, `>` as entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value: [`escape`] and `"` too.
pub fn escape_attr(text: &str) -> String {
    escape(text).replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(severity: Severity, title: &str, body: &str, link: Option<&str>) -> Notification {
        Notification {
            id: "n-1".into(),
            title: title.into(),
            body: body.into(),
            link: link.map(str::to_string),
            severity,
            attributes: vec![],
        }
    }

    /// What Telegram would show: tags dropped, entities decoded.
    fn visible(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    }

    #[test]
    fn renders_marker_title_body_and_link() {
        let n = note(
            Severity::Critical,
            "Missed call",
            "Nobody answered",
            Some("https://sb.example/calls/1"),
        );
        assert_eq!(
            render(&n),
            "🚨 <b>Missed call</b>\nNobody answered\n\
             <a href=\"https://sb.example/calls/1\">https://sb.example/calls/1</a>"
        );
    }

    #[test]
    fn each_severity_has_its_marker() {
        let text = |s| render(&note(s, "T", "b", None));
        assert_eq!(text(Severity::Info), "ℹ️ <b>T</b>\nb");
        assert_eq!(text(Severity::Warning), "⚠️ <b>T</b>\nb");
        assert_eq!(text(Severity::Critical), "🚨 <b>T</b>\nb");
    }

    #[test]
    fn empty_title_body_and_link_are_left_out() {
        assert_eq!(
            render(&note(Severity::Info, "", "just a body", None)),
            "ℹ️\njust a body"
        );
        assert_eq!(
            render(&note(Severity::Info, "Only", "", Some("  "))),
            "ℹ️ <b>Only</b>"
        );
        assert_eq!(render(&note(Severity::Info, "  ", "b", None)), "ℹ️\nb");
    }

    #[test]
    fn escapes_html_in_title_body_and_link() {
        let n = note(
            Severity::Warning,
            "<script> & co",
            "a < b && c > d \"quoted\"",
            Some("https://x.example/?a=1&b=\"2\"<"),
        );
        assert_eq!(
            render(&n),
            "⚠️ <b>&lt;script&gt; &amp; co</b>\na &lt; b &amp;&amp; c &gt; d \"quoted\"\n\
             <a href=\"https://x.example/?a=1&amp;b=&quot;2&quot;&lt;\">\
             https://x.example/?a=1&amp;b=\"2\"&lt;</a>"
        );
    }

    #[test]
    fn links_that_are_not_web_links_are_plain_text() {
        let n = note(Severity::Info, "T", "b", Some("javascript:alert(1)"));
        assert_eq!(render(&n), "ℹ️ <b>T</b>\nb\njavascript:alert(1)");
        let n = note(Severity::Info, "T", "b", Some("tg://resolve?domain=x"));
        assert!(
            render(&n).ends_with("<a href=\"tg://resolve?domain=x\">tg://resolve?domain=x</a>")
        );
    }

    #[test]
    fn a_10000_character_body_is_cut_to_fit() {
        let body = "x".repeat(10_000);
        let n = note(Severity::Info, "Long", &body, Some("https://sb.example/1"));
        let html = render(&n);
        let shown = visible(&html);
        assert_eq!(units(&shown), LIMIT);
        assert!(html.starts_with("ℹ️ <b>Long</b>\nxxx"));
        assert!(html.ends_with(
            "xxx… [truncated]\n<a href=\"https://sb.example/1\">https://sb.example/1</a>"
        ));
    }

    #[test]
    fn a_cut_never_splits_an_entity() {
        // Every character becomes a 5-byte entity: the escaped text is far
        // longer than the visible one, and only the visible one counts.
        let body = "&".repeat(10_000);
        let html = render(&note(Severity::Info, "T", &body, None));
        let shown = visible(&html);
        assert_eq!(units(&shown), LIMIT);
        let cut = html.strip_suffix(TRUNCATED).expect("ends with the marker");
        assert!(cut.ends_with("&amp;"));
        assert_eq!(
            cut.matches("&amp;").count(),
            LIMIT - units("ℹ️ T\n") - units(TRUNCATED)
        );
        assert!(!cut.replace("&amp;", "").contains('&'));
    }

    #[test]
    fn a_cut_never_splits_a_surrogate_pair() {
        // 😀 is two UTF-16 units; the room left is odd.
        let body = "😀".repeat(5_000);
        let html = render(&note(Severity::Info, "TT", &body, None));
        let shown = visible(&html);
        assert!(units(&shown) <= LIMIT);
        assert!(units(&shown) >= LIMIT - 1);
        assert!(html.ends_with(&format!("😀{TRUNCATED}")));
    }

    #[test]
    fn text_that_fits_exactly_is_not_cut() {
        let head = units("ℹ️ T\n");
        let body = "y".repeat(LIMIT - head);
        let html = render(&note(Severity::Info, "T", &body, None));
        assert!(!html.contains(TRUNCATED));
        assert_eq!(units(&visible(&html)), LIMIT);
        let body = "y".repeat(LIMIT - head + 1);
        let html = render(&note(Severity::Info, "T", &body, None));
        assert!(html.ends_with(TRUNCATED));
        assert_eq!(units(&visible(&html)), LIMIT);
    }

    #[test]
    fn a_huge_title_is_cut_too() {
        let title = "T".repeat(9_000);
        let html = render(&note(
            Severity::Critical,
            &title,
            "body",
            Some("https://a.example"),
        ));
        let shown = visible(&html);
        assert_eq!(units(&shown), LIMIT);
        assert!(html.contains("TTT…</b>\n… [truncated]\n<a href"));
    }

    #[test]
    fn a_huge_link_shows_cut_but_links_whole() {
        let link = format!("https://a.example/{}", "p".repeat(6_000));
        let html = render(&note(Severity::Info, "T", &"b".repeat(5_000), Some(&link)));
        assert!(units(&visible(&html)) <= LIMIT);
        assert!(html.contains(&format!("href=\"{link}\"")));
        assert!(html.ends_with("p…</a>"));
    }

    #[test]
    fn trailing_whitespace_before_the_marker_is_dropped() {
        let body = format!("{}{}", "w".repeat(4_070), " ".repeat(100));
        let html = render(&note(Severity::Info, "T", &body, None));
        assert!(html.ends_with(&format!("w{TRUNCATED}")));
    }
}
