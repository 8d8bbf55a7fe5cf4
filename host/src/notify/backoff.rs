//! The retry schedules of the outbox, documented in docs/api.md, one per
//! kind of receiver. ±20 % jitter so a burst of failures does not retry in
//! lockstep; a channel's own "retry after" (a 429's `retry_after`) wins
//! when it is longer. After the schedule's last attempt the notification
//! fails with `retries_exhausted`.
//!
//! - People (Telegram, Discord): attempt `n` failed → wait
//!   `min(5 s × 2^(n-1), 1 h)`, 10 attempts (about 45 minutes): a message
//!   to a person that arrives hours late is worse than none.
//! - Systems (outgoing webhooks): 5 s, 1 min, 5 min, 30 min, 2 h, 5 h, then
//!   10 h four times, 11 attempts over about two days, as Standard Webhooks
//!   senders do: a receiver down for a deploy, a weekend's outage or a
//!   rolled secret still gets every event, and it deduplicates by id.

use rand::Rng;

/// How often and for how long a failed notification is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    People,
    Systems,
}

const BASE_MS: u64 = 5_000;
const CAP_MS: u64 = 3_600_000;
const PEOPLE_ATTEMPTS: i64 = 10;
/// The wait after each failed attempt of an outgoing webhook, in seconds.
const SYSTEMS_WAITS_S: [u64; 10] = [
    5,
    60,
    5 * 60,
    30 * 60,
    2 * 3_600,
    5 * 3_600,
    10 * 3_600,
    10 * 3_600,
    10 * 3_600,
    10 * 3_600,
];
/// The longest "retry after" honoured: a channel that asks for more (or
/// sends nonsense) is retried after a day.
const MAX_RETRY_AFTER_MS: u64 = 24 * 3_600_000;

impl Schedule {
    /// The schedule of a notification's channel.
    pub fn of(channel: &str) -> Schedule {
        match channel {
            "webhook" => Schedule::Systems,
            _ => Schedule::People,
        }
    }

    /// Attempts in all, the first included.
    pub fn max_attempts(self) -> i64 {
        match self {
            Schedule::People => PEOPLE_ATTEMPTS,
            Schedule::Systems => SYSTEMS_WAITS_S.len() as i64 + 1,
        }
    }

    /// The delay before attempt `attempts + 1`, given `attempts` already
    /// made (at least 1).
    pub fn delay_ms(self, attempts: i64, retry_after_ms: u64) -> u64 {
        let base = match self {
            Schedule::People => {
                let exp = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
                BASE_MS.saturating_mul(1u64 << exp.min(20)).min(CAP_MS)
            }
            Schedule::Systems => {
                let i = usize::try_from(attempts.max(1) - 1).unwrap_or(0);
                SYSTEMS_WAITS_S[i.min(SYSTEMS_WAITS_S.len() - 1)] * 1_000
            }
        };
        let jitter = rand::thread_rng().gen_range(0.8..1.2);
        let scheduled = (base as f64 * jitter) as u64;
        scheduled.max(self::retry_after_ms(retry_after_ms))
    }
}

/// A channel's "retry after", as honoured: at most a day.
pub fn retry_after_ms(asked_ms: u64) -> u64 {
    asked_ms.min(MAX_RETRY_AFTER_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absurd_retry_after_is_a_day() {
        assert_eq!(Schedule::People.delay_ms(1, u64::MAX), MAX_RETRY_AFTER_MS);
        assert_eq!(Schedule::Systems.delay_ms(1, u64::MAX), MAX_RETRY_AFTER_MS);
    }

    #[test]
    fn people_grows_then_caps_and_honours_retry_after() {
        let s = Schedule::of("telegram");
        assert_eq!(s, Schedule::People);
        assert_eq!(s.max_attempts(), 10);
        let first = s.delay_ms(1, 0);
        assert!((4_000..=6_000).contains(&first), "{first}");
        let third = s.delay_ms(3, 0);
        assert!((16_000..=24_000).contains(&third), "{third}");
        assert!(s.delay_ms(25, 0) <= 4_320_000);
        assert_eq!(s.delay_ms(1, 60_000), 60_000);
    }

    #[test]
    fn systems_are_retried_for_about_two_days() {
        let s = Schedule::of("webhook");
        assert_eq!(s, Schedule::Systems);
        // Every wait of a notification that fails each attempt, at the
        // jitter's two ends.
        let total: u64 = (1..s.max_attempts()).map(|n| s.delay_ms(n, 0)).sum();
        let day = 24 * 3_600_000;
        assert!((day * 3 / 2..=day * 5 / 2).contains(&total), "{total}");
        let first = s.delay_ms(1, 0);
        assert!((4_000..=6_000).contains(&first), "{first}");
        let last = s.delay_ms(s.max_attempts() - 1, 0);
        assert!((28_800_000..=43_200_000).contains(&last), "{last}");
        assert_eq!(s.delay_ms(1, 60_000), 60_000);
    }
}
