//! 3CX call ids: `<yyMMddHHmmss>_<n>-<leg>`, e.g. `210701165649_698-2`.
//!
//! Every leg of one transfer chain shares the date-time (when the call reached
//! the PBX, in PBX local time) and the session counter `n`; the leg is 0 while
//! nobody has answered, 1 once someone has, and grows by one per transfer.

use switchboard_sdk::prelude::*;
use switchboard_sdk::time::parse_compact;

/// A parsed call id.
#[derive(Debug, Clone)]
pub struct CallId {
    pub call: CallRef,
    /// When the call reached the PBX, if the id says.
    pub started_at: Option<Timestamp>,
}

/// Parses `id`. An id that is not in the documented shape is still a call
/// id — only not one we can split — so it becomes a single-leg call
/// (chain = id, leg 0) without a start time instead of an error: dropping
/// the event would lose more than not linking it to its chain.
pub fn parse(id: &str, utc_offset_minutes: i32) -> CallId {
    split(id)
        .map(|(stamp, chain, leg)| CallId {
            call: CallRef {
                external_id: id.to_string(),
                chain_id: chain.to_string(),
                leg,
            },
            started_at: parse_compact(stamp, utc_offset_minutes),
        })
        .unwrap_or_else(|| CallId {
            call: CallRef::single(id),
            started_at: None,
        })
}

/// `(stamp, chain, leg)` of a well-formed id.
fn split(id: &str) -> Option<(&str, &str, u32)> {
    let (chain, leg) = id.rsplit_once('-')?;
    let (stamp, counter) = chain.split_once('_')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if stamp.len() != 12 || !digits(stamp) || !digits(counter) || !digits(leg) {
        return None;
    }
    Some((stamp, chain, leg.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_example() {
        let id = parse("210701165649_698-2", 0);
        assert_eq!(id.call.external_id, "210701165649_698-2");
        assert_eq!(id.call.chain_id, "210701165649_698");
        assert_eq!(id.call.leg, 2);
        // 2021-07-01 16:56:49 UTC.
        assert_eq!(id.started_at, Some(1_625_158_609_000));
    }

    #[test]
    fn local_time_is_shifted_to_utc() {
        // Moscow (UTC+3): 16:56:49 local is 13:56:49 UTC.
        let id = parse("210701165649_698-0", 180);
        assert_eq!(id.call.leg, 0);
        assert_eq!(id.started_at, Some(1_625_158_609_000 - 3 * 3_600_000));
    }

    #[test]
    fn malformed_ids_are_single_leg_calls() {
        for raw in [
            "abc",
            "210701165649_698",
            "21070116564_698-1",
            "210701165649_x-1",
            "210701165649_698-",
        ] {
            let id = parse(raw, 0);
            let call = &id.call;
            assert_eq!(
                (call.external_id.as_str(), call.chain_id.as_str(), call.leg),
                (raw, raw, 0),
                "{raw}"
            );
            assert_eq!(id.started_at, None);
        }
    }

    #[test]
    fn well_formed_but_impossible_date_keeps_the_chain() {
        let id = parse("211301165649_5-1", 0);
        assert_eq!(id.call.chain_id, "211301165649_5");
        assert_eq!(id.call.leg, 1);
        assert_eq!(id.started_at, None);
    }
}
