//! Per-destination send limits, as each channel documents them: Telegram
//! about one message a second per chat (and 20 a minute in a group), Discord
//! five requests per two seconds per webhook; and the one platform bot about
//! thirty messages a second in all. A sliding window per destination;
//! asking reserves a slot or says when one frees up. A channel's own 429
//! holds its destination for the time it gave.

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
/// Telegram's limit for one bot across all its chats ("no more than 30
/// messages per second"): the platform has one bot for every business.
pub const TELEGRAM_BOT: &[Rule] = &[Rule {
    max: 30,
    per: Duration::from_secs(1),
}];
pub const TELEGRAM_BOT_KEY: &str = "telegram:bot";

#[derive(Default)]
pub struct RateLimiter {
    state: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    sent: HashMap<String, VecDeque<Instant>>,
    /// Keys the channel itself said to wait for (a 429's `retry_after`):
    /// every send to them waits, not just the one that was refused.
    held: HashMap<String, Instant>,
}

impl RateLimiter {
    /// Reserves a send to `key` now, or returns how long to wait.
    pub fn reserve(&self, key: &str, rules: &[Rule], now: Instant) -> Result<(), Duration> {
        self.reserve_all(&[(key, rules)], now)
    }

    /// Reserves a send that counts against every `(key, rules)` at once (a
    /// chat and the bot it goes through), or none of them: the longest wait.
    pub fn reserve_all(&self, wants: &[(&str, &[Rule])], now: Instant) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = Duration::ZERO;
        for (key, rules) in wants {
            if let Some(until) = state.held.get(*key).copied() {
                if until > now {
                    wait = wait.max(until - now);
                } else {
                    state.held.remove(*key);
                }
            }
            let times = state.sent.entry((*key).to_owned()).or_default();
            wait = wait.max(window_wait(times, rules, now));
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        for (key, _) in wants {
            if let Some(times) = state.sent.get_mut(*key) {
                times.push_back(now);
            }
        }
        Ok(())
    }

    /// Holds every send to `key` until `until`: the channel answered 429.
    pub fn hold(&self, key: &str, until: Instant) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let held = state.held.entry(key.to_owned()).or_insert(until);
        *held = (*held).max(until);
    }
}

/// How long until `times` (sends to one key) leaves room under `rules`;
/// drops the sends too old to matter.
fn window_wait(times: &mut VecDeque<Instant>, rules: &[Rule], now: Instant) -> Duration {
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
    wait
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

    #[test]
    fn the_bot_limit_spans_chats_and_reserving_is_all_or_nothing() {
        let rl = RateLimiter::default();
        let t0 = Instant::now();
        for chat in 0..30 {
            let key = format!("c{chat}");
            assert!(
                rl.reserve_all(
                    &[(&key, TELEGRAM_CHAT), (TELEGRAM_BOT_KEY, TELEGRAM_BOT)],
                    t0
                )
                .is_ok()
            );
        }
        // A 31st chat waits for the bot, and keeps its own slot meanwhile.
        let wait = rl
            .reserve_all(
                &[("c30", TELEGRAM_CHAT), (TELEGRAM_BOT_KEY, TELEGRAM_BOT)],
                t0,
            )
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert!(
            rl.reserve("c30", TELEGRAM_CHAT, t0).is_ok(),
            "its chat slot was not taken"
        );
    }

    #[test]
    fn a_429_holds_every_send_to_the_destination() {
        let rl = RateLimiter::default();
        let t0 = Instant::now();
        rl.hold("w", t0 + Duration::from_secs(30));
        assert_eq!(
            rl.reserve("w", DISCORD_WEBHOOK, t0 + Duration::from_secs(10)),
            Err(Duration::from_secs(20))
        );
        assert!(rl.reserve("other", DISCORD_WEBHOOK, t0).is_ok());
        // A shorter hold later does not shorten it.
        rl.hold("w", t0 + Duration::from_secs(5));
        assert!(
            rl.reserve("w", DISCORD_WEBHOOK, t0 + Duration::from_secs(29))
                .is_err()
        );
        assert!(
            rl.reserve("w", DISCORD_WEBHOOK, t0 + Duration::from_secs(30))
                .is_ok()
        );
    }
}
