//! How a call finished, from what the PBX says: whether it was answered and
//! its FreeSWITCH hangup cause (`NORMAL_CLEARING`, `USER_BUSY`, …; the PBX
//! is FreeSWITCH underneath: `variable_answersec`, `bind_digit_action`).

use switchboard_sdk::prelude::*;

/// What the event says about the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// Certainly answered (`billsec` > 0, `variable_answersec` > 0).
    Yes,
    /// Certainly not (`billsec` = 0 in a CDR).
    No,
    /// The event cannot tell (`variable_answersec` = 0 also means "answered
    /// within a second").
    Unknown,
}

/// The outcome of a finished call or leg.
///
/// | answered | cause | outcome |
/// |---|---|---|
/// | yes | any | answered |
/// | — | `USER_BUSY`, `CALL_REJECTED` | busy |
/// | — | `NO_ANSWER`, `NO_USER_RESPONSE`, `ALLOTTED_TIMEOUT`, `PROGRESS_TIMEOUT` | no-answer |
/// | — | `ORIGINATOR_CANCEL` | missed (inbound), cancelled (otherwise) |
/// | — | `LOSE_RACE`, `PICKED_OFF` | cancelled (someone else answered) |
/// | unknown | `NORMAL_CLEARING`, `SUCCESS` | answered |
/// | no | `NORMAL_CLEARING`, `SUCCESS`, none | missed (inbound), no-answer (otherwise) |
/// | unknown, no | any other cause (`UNALLOCATED_NUMBER`, …) | failed |
/// | unknown | none | unknown |
pub fn outcome(answered: Answered, cause: Option<&str>, direction: Direction) -> CallOutcome {
    if answered == Answered::Yes {
        return CallOutcome::Answered;
    }
    let unanswered = if direction == Direction::Inbound {
        CallOutcome::Missed
    } else {
        CallOutcome::NoAnswer
    };
    let cause = cause.map(str::to_ascii_uppercase);
    match cause.as_deref() {
        Some("USER_BUSY" | "CALL_REJECTED") => CallOutcome::Busy,
        Some("NO_ANSWER" | "NO_USER_RESPONSE" | "ALLOTTED_TIMEOUT" | "PROGRESS_TIMEOUT") => {
            CallOutcome::NoAnswer
        }
        Some("ORIGINATOR_CANCEL") if direction == Direction::Inbound => CallOutcome::Missed,
        Some("ORIGINATOR_CANCEL" | "LOSE_RACE" | "PICKED_OFF") => CallOutcome::Cancelled,
        Some("NORMAL_CLEARING" | "SUCCESS") | None if answered == Answered::No => unanswered,
        Some("NORMAL_CLEARING" | "SUCCESS") => CallOutcome::Answered,
        Some(_) => CallOutcome::Failed,
        None => CallOutcome::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table() {
        use Answered as A;
        use CallOutcome as O;
        use Direction as D;
        let cases = [
            (A::Yes, Some("USER_BUSY"), D::Inbound, O::Answered),
            (A::Unknown, Some("user_busy"), D::Outbound, O::Busy),
            (A::No, Some("CALL_REJECTED"), D::Inbound, O::Busy),
            (A::Unknown, Some("NO_ANSWER"), D::Inbound, O::NoAnswer),
            (A::No, Some("ALLOTTED_TIMEOUT"), D::Outbound, O::NoAnswer),
            (A::Unknown, Some("ORIGINATOR_CANCEL"), D::Inbound, O::Missed),
            (
                A::Unknown,
                Some("ORIGINATOR_CANCEL"),
                D::Outbound,
                O::Cancelled,
            ),
            (A::Unknown, Some("LOSE_RACE"), D::Inbound, O::Cancelled),
            (A::Unknown, Some("NORMAL_CLEARING"), D::Inbound, O::Answered),
            (A::No, Some("NORMAL_CLEARING"), D::Inbound, O::Missed),
            (A::No, Some("NORMAL_CLEARING"), D::Outbound, O::NoAnswer),
            (A::No, None, D::Unknown, O::NoAnswer),
            (
                A::Unknown,
                Some("UNALLOCATED_NUMBER"),
                D::Outbound,
                O::Failed,
            ),
            (A::No, Some("UNALLOCATED_NUMBER"), D::Outbound, O::Failed),
            (A::Unknown, None, D::Inbound, O::Unknown),
        ];
        for (answered, cause, direction, want) in cases {
            assert_eq!(
                outcome(answered, cause, direction),
                want,
                "{answered:?} {cause:?} {direction:?}"
            );
        }
    }
}
