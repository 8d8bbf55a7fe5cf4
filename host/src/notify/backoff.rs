//! The retry schedule of the outbox, documented in docs/api.md: attempt `n`
//! (1-based) failed transiently → wait `min(5 s × 2^(n-1), 1 h)`, ±20 %
//! jitter so a burst of failures does not retry in lockstep. A channel's own
//! "retry after" (a 429's `retry_after`) wins when it is longer. After
//! [`MAX_ATTEMPTS`] the notification fails with `retries_exhausted`.

use rand::Rng;

pub const MAX_ATTEMPTS: i64 = 10;
const BASE_MS: u64 = 5_000;
const CAP_MS: u64 = 3_600_000;
/// The longest "retry after" honoured: a channel that asks for more (or
/// sends nonsense) is retried after a day.
const MAX_RETRY_AFTER_MS: u64 = 24 * 3_600_000;

/// The delay before attempt `attempts + 1`, given `attempts` already made.
pub fn delay_ms(attempts: i64, retry_after_ms: u64) -> u64 {
    let exp = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
    let base = BASE_MS.saturating_mul(1u64 << exp.min(20)).min(CAP_MS);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    let scheduled = (base as f64 * jitter) as u64;
    scheduled.max(self::retry_after_ms(retry_after_ms))
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
        assert_eq!(delay_ms(1, u64::MAX), MAX_RETRY_AFTER_MS);
    }

    #[test]
    fn grows_then_caps_and_honours_retry_after() {
        let first = delay_ms(1, 0);
        assert!((4_000..=6_000).contains(&first), "{first}");
        let third = delay_ms(3, 0);
        assert!((16_000..=24_000).contains(&third), "{third}");
        assert!(delay_ms(25, 0) <= 4_320_000);
        assert_eq!(delay_ms(1, 60_000), 60_000);
    }
}
