//! The call log's `recording` field to recording links.

use serde_json::Value;
use switchboard_sdk::prelude::*;

/// Links from `recording`: one URL (the document's case), several separated
/// by commas, semicolons or whitespace, or a JSON array of them. An absolute
/// `http(s)://` URL is used as it is; a path starting with `/` is joined to
/// the origin of `pbx_url` when one is configured (the document says the
/// link points at the PBX: `https://ip_tong_dai/link_file_ghi_am`). Anything
/// else is not a link. Whenever the links do not reproduce the text exactly,
/// the text is kept in `raw.recording`.
pub fn links(
    value: Option<&Value>,
    pbx_url: Option<&str>,
    attributes: &mut Vec<Pair>,
) -> Vec<RecordingLink> {
    let Some(value) = value else {
        return Vec::new();
    };
    let (raw, pieces): (String, Vec<String>) = match value {
        Value::String(s) => (s.clone(), split(s)),
        Value::Array(items) => (
            value.to_string(),
            items
                .iter()
                .filter_map(Value::as_str)
                .flat_map(split)
                .collect(),
        ),
        other => (other.to_string(), Vec::new()),
    };
    let origin = pbx_url.and_then(origin);
    let mut out: Vec<RecordingLink> = Vec::new();
    let mut exact = true;
    for piece in &pieces {
        let url = if is_http(piece) {
            piece.clone()
        } else if let (Some(origin), true) = (origin, piece.starts_with('/')) {
            exact = false;
            format!("{origin}{piece}")
        } else {
            exact = false;
            continue;
        };
        if !out.iter().any(|l| l.url == url) {
            out.push(RecordingLink::from_url(&url));
        }
    }
    if !exact || pieces.len() != 1 || pieces[0] != raw {
        attributes.push(Pair {
            name: "raw.recording".into(),
            value: raw,
        });
    }
    out
}

fn split(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn is_http(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// `https://pbx.example.vn:8443` of `https://pbx.example.vn:8443/any/path`,
/// or `None` when the setting is not an `http(s)` URL.
pub fn origin(url: &str) -> Option<&str> {
    let url = url.trim();
    if !is_http(url) {
        return None;
    }
    let after_scheme = url.find("://")? + 3;
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    (end > after_scheme).then(|| &url[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;
    use serde_json::json;

    fn urls(links: &[RecordingLink]) -> Vec<&str> {
        links.iter().map(|l| l.url.as_str()).collect()
    }

    #[test]
    fn one_absolute_url() {
        let mut a = Vec::new();
        let l = links(
            Some(&json!("https://10.0.0.5/rec/2019/08/16/c1.mp3")),
            None,
            &mut a,
        );
        assert_eq!(urls(&l), vec!["https://10.0.0.5/rec/2019/08/16/c1.mp3"]);
        assert_eq!(l[0].mime_type.as_deref(), Some("audio/mpeg"));
        assert!(a.is_empty());
    }

    #[test]
    fn several_links_in_text_or_array_without_duplicates() {
        let mut a = Vec::new();
        let l = links(
            Some(&json!(
                "https://pbx/a.wav, https://pbx/b.wav;https://pbx/a.wav"
            )),
            None,
            &mut a,
        );
        assert_eq!(urls(&l), vec!["https://pbx/a.wav", "https://pbx/b.wav"]);
        let l = links(
            Some(&json!(["https://pbx/a.wav", "https://pbx/b.mp3"])),
            None,
            &mut a,
        );
        assert_eq!(urls(&l), vec!["https://pbx/a.wav", "https://pbx/b.mp3"]);
        assert_eq!(l[0].mime_type.as_deref(), Some("audio/wav"));
        // Several pieces are not the text itself: the text is kept.
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn paths_join_the_pbx_origin() {
        let mut a = Vec::new();
        let l = links(
            Some(&json!("/monitor/2019/08/16/c1.wav")),
            Some("https://pbx.example.vn:8443/base/"),
            &mut a,
        );
        assert_eq!(
            urls(&l),
            vec!["https://pbx.example.vn:8443/monitor/2019/08/16/c1.wav"]
        );
        assert_eq!(
            attrs(&a),
            vec![("raw.recording", "/monitor/2019/08/16/c1.wav")]
        );
    }

    #[test]
    fn non_links_are_kept_as_text() {
        for (value, pbx) in [
            (json!("/monitor/c1.wav"), None),
            (json!("out-101-0904824242.wav"), Some("https://pbx")),
            (json!("{https://ip_tong_dai/link_file_ghi_am}"), None),
            (json!(17), None),
        ] {
            let mut a = Vec::new();
            assert!(links(Some(&value), pbx, &mut a).is_empty(), "{value}");
            assert_eq!(a.len(), 1, "{value}");
            assert_eq!(a[0].name, "raw.recording");
        }
        let mut a = Vec::new();
        assert!(links(None, None, &mut a).is_empty());
        assert!(a.is_empty());
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin("https://pbx.example.vn/x/y"),
            Some("https://pbx.example.vn")
        );
        assert_eq!(origin("HTTP://10.0.0.5:8080"), Some("HTTP://10.0.0.5:8080"));
        assert_eq!(origin("http://h?x=1"), Some("http://h"));
        assert_eq!(origin("pbx.example.vn"), None);
        assert_eq!(origin("https://"), None);
    }
}
