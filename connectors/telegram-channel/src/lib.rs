//! # telegram-channel
//!
//! Delivery channel for Telegram: one notification becomes one `sendMessage`
//! call of the Bot API, to the destination's `chatId`, as the bot whose token
//! is the destination's `botToken` secret.
//!
//! The work is in pure functions tested natively: [`render::render`] (the
//! HTML text, cut to Telegram's 4096 characters), [`request::send_message`]
//! (URL and body) and [`response::interpret`] / [`response::transport`]
//! (what the answer means for the host). [`TelegramChannel`] reads the
//! settings, sends once and scrubs the token from whatever it returns. The
//! host owns retries, backoff and rate limits.

pub mod render;
pub mod request;
pub mod response;
pub mod settings;

use switchboard_sdk::channel::failed;
use switchboard_sdk::host::{config, http, log};
use switchboard_sdk::prelude::*;

use response::scrub_outcome;
use settings::{BOT_TOKEN, Settings};

/// The component.
pub struct TelegramChannel;

impl Channel for TelegramChannel {
    fn validate_destination(destination: Destination) -> Result<Vec<Pair>, ConnectorError> {
        let normalised =
            settings::normalise(&destination.config).map_err(ConnectorError::BadRequest)?;
        // The token is checked only when the host already holds it.
        if let Some(token) = config::secret(BOT_TOKEN) {
            settings::check_token(token.trim()).map_err(ConnectorError::BadRequest)?;
        }
        Ok(normalised)
    }

    fn send(destination: Destination, notification: Notification) -> Outcome {
        let settings = match Settings::resolve(&destination.config, config::get) {
            Ok(s) => s,
            Err(e) => return failed("config_invalid", e, false),
        };
        let token = config::secret(BOT_TOKEN)
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        if token.is_empty() {
            return failed(
                "config_invalid",
                format!("secret `{BOT_TOKEN}` is missing"),
                false,
            );
        }
        if let Err(e) = settings::check_token(&token) {
            return failed("bot_token_invalid", e, false);
        }

        let text = render::render(&notification);
        let call = request::send_message(&settings, &token, &text);
        let outcome = match http::Request::post(&call.url).json(&call.body).send() {
            Ok(reply) => {
                log::log(
                    log::Level::Debug,
                    "telegram replied",
                    &[
                        ("destination", &destination.id),
                        ("notification", &notification.id),
                        ("status", &reply.status.to_string()),
                    ],
                );
                response::interpret(reply.status, &reply.body)
            }
            Err(e) => response::transport(&e),
        };
        scrub_outcome(outcome, &token)
    }
}

// Only components export: natively the crate is an rlib for tests.
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_channel!(TelegramChannel);
