//! The POST with recording links that follows a finished call.
//!
//! The document says it carries one or several mp3 links and the call id,
//! and optionally everything the call-ended event carried; it does not name
//! the fields, so links are taken from any of [`fields::LINKS`].

use switchboard_sdk::prelude::*;

use crate::params::Params;
use crate::{Settings, call, fields};

/// Parameters that are the call-ended information, when the module is
/// configured to repeat it in the recording POST.
const DETAILS: &[&[&str]] = &[
    fields::CALLER,
    fields::DID,
    fields::USER,
    fields::FINISH_TYPE,
    fields::TRANSFERRED,
    fields::TITLE,
];

/// The recording links of a request, in order, without duplicates. Only
/// `http(s)://` pieces count: a field such as `record=1` is not a link.
pub fn links(params: &Params) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in params.all(fields::LINKS) {
        for piece in split(value) {
            let is_link = ["http://", "https://"].iter().any(|scheme| {
                piece
                    .get(..scheme.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
            });
            if is_link && !out.contains(&piece) {
                out.push(piece);
            }
        }
    }
    out
}

/// One field value as links: JSON array text (`["a","b"]` sent in a form
/// field), or a list separated by commas, semicolons or whitespace.
fn split(value: &str) -> Vec<String> {
    let value = value.trim();
    if value.starts_with('[')
        && let Ok(items) = serde_json::from_str::<Vec<String>>(value)
    {
        return items.into_iter().flat_map(|item| split(&item)).collect();
    }
    value
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|piece| !piece.is_empty())
        .map(str::to_string)
        .collect()
}

/// The recordings event. `direction` is what the event name said, when the
/// recording POST came as a call-ended event with links (see the README);
/// otherwise a `direction`/`calltype` field is read.
pub fn build(
    params: &Params,
    settings: &Settings,
    direction: Option<Direction>,
) -> Result<Event, ConnectorError> {
    let (raw_id, id) = call::id(params, settings)?;
    let links = links(params);
    if links.is_empty() {
        return Err(ConnectorError::BadRequest(format!(
            "no recording links (looked for http(s) URLs in {})",
            fields::LINKS.join(", ")
        )));
    }
    let recordings: Vec<RecordingLink> = links.iter().map(|l| RecordingLink::from_url(l)).collect();
    let details = if DETAILS.iter().any(|aliases| params.has(aliases)) {
        let direction = direction.unwrap_or_else(|| direction_field(params.get(fields::DIRECTION)));
        let mut details = call::build(params, settings, CallPhase::Ended, direction)?;
        details.recordings = recordings.clone();
        // The links already have their place in `recordings`.
        details
            .attributes
            .retain(|a| !fields::LINKS.contains(&crate::params::normalise(&a.name).as_str()));
        Some(details)
    } else {
        None
    };
    let mut sorted = links;
    sorted.sort();
    // A retry carries the same links; a later POST with more links (a file
    // that appeared late) is new information and gets its own key.
    let key = format!("recordings:{raw_id}:{}", sorted.join(" "));
    Ok(Event::new(
        key,
        EventBody::Recordings(RecordingsEvent {
            call: id.call,
            recordings,
            details,
        }),
    ))
}

fn direction_field(raw: Option<&str>) -> Direction {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        Some("incoming" | "inbound" | "in") => Direction::Inbound,
        Some("outgoing" | "outbound" | "out") => Direction::Outbound,
        Some("internal" | "local") => Direction::Internal,
        _ => Direction::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_in_every_shape() {
        let p = Params::from_pairs([
            (
                "url",
                "https://pbx:5001/webapi/recording/a.mp3, https://pbx:5001/webapi/recording/b.mp3",
            ),
            ("FileUrls", "[\"https://pbx/c.mp3\"]"),
            (
                "links",
                "https://pbx/d.mp3\nHTTP://pbx/e.mp3;https://pbx/a.mp3",
            ),
            ("file", "https://pbx:5001/webapi/recording/a.mp3"),
            ("record", "1"),
        ]);
        assert_eq!(
            links(&p),
            [
                "https://pbx:5001/webapi/recording/a.mp3",
                "https://pbx:5001/webapi/recording/b.mp3",
                "https://pbx/c.mp3",
                "https://pbx/d.mp3",
                "HTTP://pbx/e.mp3",
                "https://pbx/a.mp3",
            ]
        );
    }

    #[test]
    fn no_links_is_a_bad_request() {
        let p = Params::from_pairs([("id", "210701165649_698-1"), ("record", "yes")]);
        let err = build(&p, &Settings::default(), None).unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.contains("fileurls")),
            "{err:?}"
        );
    }

    #[test]
    fn direction_field_spellings() {
        assert_eq!(direction_field(Some("Incoming")), Direction::Inbound);
        assert_eq!(direction_field(Some("out")), Direction::Outbound);
        assert_eq!(direction_field(None), Direction::Unknown);
    }
}
