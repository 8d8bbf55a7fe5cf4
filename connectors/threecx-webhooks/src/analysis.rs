//! The speech-analytics POST (Yandex SpeechKit behind the module): the full
//! text of the conversation and a short summary, a few seconds after the
//! recording POST.

use switchboard_sdk::prelude::*;

use crate::params::Params;
use crate::{Settings, call, fields, kind};

/// The analysis event, keyed by call id alone: the module analyses a call
/// once, so a second POST for the same id is a retry.
pub fn build(params: &Params, settings: &Settings) -> Result<Event, ConnectorError> {
    let (raw_id, id) = call::id(params, settings)?;
    let transcript = params.get(fields::TRANSCRIPT).map(str::to_string);
    let summary = params.get(fields::SUMMARY).map(str::to_string);
    if transcript.is_none() && summary.is_none() {
        return Err(ConnectorError::BadRequest(format!(
            "speech analytics without text (looked for {} and {})",
            fields::TRANSCRIPT.join(", "),
            fields::SUMMARY.join(", ")
        )));
    }
    let attributes = params.rest(&[kind::EVENT, fields::ID, fields::TRANSCRIPT, fields::SUMMARY]);
    Ok(Event::new(
        format!("analysis:{raw_id}"),
        EventBody::Analysis(AnalysisEvent {
            call: id.call,
            transcript,
            summary,
            attributes,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_some_text() {
        let p = Params::from_pairs([("id", "210701165649_698-1"), ("sentiment", "0.4")]);
        let err = build(&p, &Settings::default()).unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.contains("transcript")),
            "{err:?}"
        );
    }

    #[test]
    fn summary_alone_is_enough() {
        let p = Params::from_pairs([("id", "x"), ("resume", "Клиент хочет счёт")]);
        let e = build(&p, &Settings::default()).unwrap();
        let EventBody::Analysis(a) = e.body else {
            panic!("not an analysis")
        };
        assert_eq!(a.summary.as_deref(), Some("Клиент хочет счёт"));
        assert_eq!(a.transcript, None);
    }
}
