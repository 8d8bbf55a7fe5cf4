//! A notification as a Discord message's `content` (Markdown).
//!
//! ```text
//! 🚨 **Missed call**
//! +84 90 123 4567 called the sales queue and nobody answered.
//! https://switchboard.example/calls/17
//! ```
//!
//! Nothing is escaped: Markdown in titles and bodies renders. Mentions
//! (`@everyone`, `<@id>`) show as text but ping nobody: the request sends
//! `allowed_mentions: {parse: []}`.
//!
//! Discord allows 2000 characters of content. We count UTF-16 code units
//! (never fewer than characters, so the content fits however Discord
//! counts) and cut the body first, visibly.

use switchboard_sdk::prelude::{Notification, Severity};
use switchboard_sdk::text::{utf16_len as units, utf16_prefix as prefix};

/// Discord's limit for `content`.
pub const LIMIT: usize = 2000;
/// Appended to a body that was cut.
pub const TRUNCATED: &str = "… [truncated]";
/// A link longer than this is shown cut (it will not work, but the message
/// keeps its body).
const LINK_LIMIT: usize = 512;

/// The marker that starts every message.
pub fn marker(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "ℹ️",
        Severity::Warning => "⚠️",
        Severity::Critical => "🚨",
    }
}

/// The content: marker and bold title, body, link; at most [`LIMIT`] UTF-16 units.
pub fn render(n: &Notification) -> String {
    let marker = marker(n.severity);
    let link = n
        .link
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            if units(l) <= LINK_LIMIT {
                l.to_string()
            } else {
                format!("{}…", prefix(l, LINK_LIMIT - 1))
            }
        });
    let title = n.title.trim();
    let (title, body, cut) = fit(marker, title, &n.body, link.as_deref());

    let mut out = String::from(marker);
    if !title.is_empty() {
        out.push_str(" **");
        out.push_str(&title);
        out.push_str("**");
    }
    if !body.is_empty() || cut {
        out.push('\n');
        out.push_str(body);
        if cut {
            out.push_str(TRUNCATED);
        }
    }
    if let Some(link) = &link {
        out.push('\n');
        out.push_str(link);
    }
    out
}

/// The title and body that fit, and whether the body was cut: the body is
/// cut first; only when title and link alone leave no room is the title cut
/// too (with `…`), and the body is then only the truncation marker.
fn fit<'a>(
    marker: &str,
    title: &'a str,
    body: &'a str,
    link: Option<&str>,
) -> (std::borrow::Cow<'a, str>, &'a str, bool) {
    // " **" + title + "**"
    let title_line = |s: &str| if s.is_empty() { 0 } else { 5 + units(s) };
    let line = |s: &str| if s.is_empty() { 0 } else { 1 + units(s) };
    let head = units(marker);
    let link_len = link.map_or(0, line);
    if head + title_line(title) + line(body) + link_len <= LIMIT {
        return (title.into(), body, false);
    }
    let marker_line = 1 + units(TRUNCATED);
    let title_room = LIMIT - head - link_len - marker_line;
    let title: std::borrow::Cow<str> = if title_line(title) <= title_room {
        title.into()
    } else {
        // " **" + title + "…" + "**" must fit.
        let cut = prefix(title, title_room.saturating_sub(6)).trim_end();
        format!("{cut}…").into()
    };
    let body_room = LIMIT - head - title_line(&title) - link_len - marker_line;
    (title, prefix(body, body_room).trim_end(), true)
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
            "🚨 **Missed call**\nNobody answered\nhttps://sb.example/calls/1"
        );
    }

    #[test]
    fn each_severity_has_its_marker() {
        let text = |s| render(&note(s, "T", "b", None));
        assert_eq!(text(Severity::Info), "ℹ️ **T**\nb");
        assert_eq!(text(Severity::Warning), "⚠️ **T**\nb");
        assert_eq!(text(Severity::Critical), "🚨 **T**\nb");
    }

    #[test]
    fn empty_parts_are_left_out() {
        assert_eq!(render(&note(Severity::Info, "", "body", None)), "ℹ️\nbody");
        assert_eq!(render(&note(Severity::Info, "  ", "", Some(" "))), "ℹ️");
        assert_eq!(
            render(&note(Severity::Info, "T", "", Some("https://x.example"))),
            "ℹ️ **T**\nhttps://x.example"
        );
    }

    #[test]
    fn markdown_and_mentions_pass_through_unescaped() {
        let n = note(
            Severity::Info,
            "<b>&",
            "@everyone _see_ `this` <@123>",
            None,
        );
        assert_eq!(render(&n), "ℹ️ **<b>&**\n@everyone _see_ `this` <@123>");
    }

    #[test]
    fn a_long_body_is_cut_to_fit() {
        let body = "x".repeat(10_000);
        let content = render(&note(
            Severity::Warning,
            "Long",
            &body,
            Some("https://sb.example/1"),
        ));
        assert_eq!(units(&content), LIMIT);
        assert!(content.starts_with("⚠️ **Long**\nxxx"));
        assert!(content.ends_with("xxx… [truncated]\nhttps://sb.example/1"));
    }

    #[test]
    fn exactly_the_limit_is_not_cut() {
        let head = units("ℹ️ **T**\n");
        let fits = "y".repeat(LIMIT - head);
        let content = render(&note(Severity::Info, "T", &fits, None));
        assert_eq!(units(&content), LIMIT);
        assert!(!content.contains(TRUNCATED));
        let over = "y".repeat(LIMIT - head + 1);
        let content = render(&note(Severity::Info, "T", &over, None));
        assert_eq!(units(&content), LIMIT);
        assert!(content.ends_with(TRUNCATED));
    }

    #[test]
    fn wide_characters_are_never_split() {
        let body = "😀".repeat(3_000);
        let content = render(&note(Severity::Info, "TT", &body, None));
        assert!(units(&content) <= LIMIT);
        assert!(content.ends_with(&format!("😀{TRUNCATED}")));
    }

    #[test]
    fn a_huge_title_is_cut_too() {
        let title = "T".repeat(5_000);
        let content = render(&note(
            Severity::Info,
            &title,
            "body",
            Some("https://a.example"),
        ));
        assert_eq!(units(&content), LIMIT);
        assert!(content.contains("TT…**\n… [truncated]\nhttps://a.example"));
    }

    #[test]
    fn a_huge_link_is_shown_cut() {
        let link = format!("https://a.example/{}", "p".repeat(3_000));
        let content = render(&note(Severity::Info, "T", &"b".repeat(3_000), Some(&link)));
        assert!(units(&content) <= LIMIT);
        assert!(content.ends_with("p…"));
        assert!(content.contains(TRUNCATED));
    }
}
