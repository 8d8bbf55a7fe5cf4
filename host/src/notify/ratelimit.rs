//! Per-destination send limits, as each channel documents them: Telegram
//! about one message a second per chat (and 20 a minute in a group), Discord
//! five requests per two seconds per webhook. A sliding window per
//! destination; asking reserves a slot or says when one frees up.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `max` sends in any `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub max: usize,
    pub per: Duration,
}

pub const TELEGRAM_CHAT: &[Rule] = &[
    Rule {
        max: 1,
        per: Duration::from_secs(1),
    },
    Rule {
        max: 20,
        per: Duration::from_secs(60),
    },
];
pub const DISCORD_WEBHOOK: &[Rule] = &[Rule {
    max: 5,
    per: Duration::from_secs(2),
}];

#[derive(Default)]
pub struct RateLimiter {
    sent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// Reserves a send to `key` now, or returns how long to wait.
    pub fn reserve(&self, key: &str, rules: &[Rule], now: Instant) -> Result<(), Duration> {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        let times = sent.entry(key.to_owned()).or_default();
        let longest = rules.iter().map(|r| r.per).max().unwrap_or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= longest)
        {
            times.pop_front();
        }
        let mut wait = Duration::ZERO;
        for rule in rules {
            let in_window: Vec<&Instant> = times
                .iter()
                .filter(|t| now.duration_since(**t) < rule.per)
                .collect();
            if in_window.len() >= rule.max {
                // The oldest send in the window must age out first.
                let oldest = in_window[in_window.len() - rule.max];
                wait = wait.max(rule.per - now.duration_since(*oldest));
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_allows_five_per_two_seconds_exactly() {
        let rl = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..5 {
            assert!(rl.reserve("w", DISCORD_WEBHOOK, t0).is_ok());
        }
        let wait = rl.reserve("w", DISCORD_WEBHOOK, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(2));
        assert!(
            rl.reserve("other", DISCORD_WEBHOOK, t0).is_ok(),
            "per destination"
        );
        assert!(
            rl.reserve("w", DISCORD_WEBHOOK, t0 + Duration::from_millis(1999))
                .is_err()
        );
        assert!(
            rl.reserve("w", DISCORD_WEBHOOK, t0 + Duration::from_secs(2))
                .is_ok()
        );
    }

    #[test]
    fn telegram_is_one_per_second_and_twenty_per_minute() {
        let rl = RateLimiter::default();
        let t0 = Instant::now();
        assert!(rl.reserve("c", TELEGRAM_CHAT, t0).is_ok());
        assert_eq!(
            rl.reserve("c", TELEGRAM_CHAT, t0 + Duration::from_millis(400)),
            Err(Duration::from_millis(600))
        );
        for i in 1..20 {
            assert!(
                rl.reserve("c", TELEGRAM_CHAT, t0 + Duration::from_secs(i))
                    .is_ok(),
                "{i}"
            );
        }
        let wait = rl
            .reserve("c", TELEGRAM_CHAT, t0 + Duration::from_secs(20))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
    }
}
