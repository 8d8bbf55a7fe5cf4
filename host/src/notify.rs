//! The notification gateway's engine: the outbox worker, delivery through
//! channel components with per-destination rate limits and a retry schedule,
//! the in-app feed's realtime fan-out (across servers too), and the Telegram
//! bot's `/start` flow.

pub mod backoff;
pub mod deliver;
pub mod events;
pub mod feed_hub;
pub mod feed_relay;
pub mod ratelimit;
pub mod telegram_bot;
pub mod worker;
