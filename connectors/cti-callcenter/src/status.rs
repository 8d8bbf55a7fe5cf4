//! The call log's `status` (Asterisk dispositions) to an outcome.

use switchboard_sdk::prelude::*;

/// `ANSWERED`, `NO ANSWER`, `BUSY`, `FAILED`, … (the document lists
/// "ANSWERED, NO ANSER, BUSY, ..."). Case, spaces, `_` and `-` do not
/// matter. A value outside the list is not worth refusing the call log for:
/// it is `unknown`, with the text kept in `raw.status`.
pub fn outcome(raw: &str, attributes: &mut Vec<Pair>) -> CallOutcome {
    let key: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    match key.as_str() {
        "ANSWERED" | "ANSWER" => CallOutcome::Answered,
        // `NO ANSER` is the document's own spelling.
        "NOANSWER" | "NOANSER" => CallOutcome::NoAnswer,
        "BUSY" => CallOutcome::Busy,
        "FAILED" | "FAIL" | "CONGESTION" | "CHANUNAVAIL" => CallOutcome::Failed,
        "CANCEL" | "CANCELED" | "CANCELLED" => CallOutcome::Cancelled,
        "MISSED" => CallOutcome::Missed,
        _ => {
            attributes.push(Pair {
                name: "raw.status".into(),
                value: raw.to_string(),
            });
            CallOutcome::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;

    #[test]
    fn every_documented_status() {
        let mut a = Vec::new();
        for (raw, want) in [
            ("ANSWERED", CallOutcome::Answered),
            ("answered", CallOutcome::Answered),
            ("NO ANSWER", CallOutcome::NoAnswer),
            ("NO ANSER", CallOutcome::NoAnswer),
            ("NO_ANSWER", CallOutcome::NoAnswer),
            ("NOANSWER", CallOutcome::NoAnswer),
            ("BUSY", CallOutcome::Busy),
            ("FAILED", CallOutcome::Failed),
            ("CONGESTION", CallOutcome::Failed),
            ("CHANUNAVAIL", CallOutcome::Failed),
            ("CANCEL", CallOutcome::Cancelled),
            ("CANCELLED", CallOutcome::Cancelled),
            ("MISSED", CallOutcome::Missed),
        ] {
            assert_eq!(outcome(raw, &mut a), want, "{raw}");
        }
        assert!(a.is_empty());
    }

    #[test]
    fn unknown_status_is_kept() {
        let mut a = Vec::new();
        assert_eq!(outcome("VOICEMAIL", &mut a), CallOutcome::Unknown);
        assert_eq!(attrs(&a), vec![("raw.status", "VOICEMAIL")]);
    }
}
