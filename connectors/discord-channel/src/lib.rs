//! # discord-channel
//!
//! Delivery channel for Discord: one notification becomes one execution of
//! the destination's webhook (its `webhookUrl` secret), with nobody pinged.
//!
//! The work is in pure functions tested natively: [`webhook::parse_webhook_url`]
//! (which URLs are Discord webhooks), [`render::render`] (the content, cut to
//! Discord's 2000 characters), [`request::execute`] (URL and body) and
//! [`response::interpret`] / [`response::transport`] (what the answer means
//! for the host). [`DiscordChannel`] reads the settings, sends once and
//! scrubs the token from whatever it returns. The host owns retries, backoff
//! and rate limits.

pub mod render;
pub mod request;
pub mod response;
pub mod settings;
pub mod webhook;

use switchboard_sdk::channel::failed;
use switchboard_sdk::host::{config, http, log};
use switchboard_sdk::prelude::*;

use response::scrub_outcome;
use settings::WEBHOOK_URL;
pub use webhook::parse_webhook_url;

/// The component.
pub struct DiscordChannel;

impl Channel for DiscordChannel {
    fn validate_destination(destination: Destination) -> Result<Vec<Pair>, ConnectorError> {
        let normalised =
            settings::normalise(&destination.config).map_err(ConnectorError::BadRequest)?;
        // The URL is checked only when the host already holds it.
        if let Some(url) = config::secret(WEBHOOK_URL) {
            webhook::parse(&url).map_err(ConnectorError::BadRequest)?;
        }
        Ok(normalised)
    }

    fn send(destination: Destination, notification: Notification) -> Outcome {
        let api_base = match settings::resolve_api_base(&destination.config, config::get) {
            Ok(base) => base,
            Err(e) => return failed("config_invalid", e, false),
        };
        let Some(url) = config::secret(WEBHOOK_URL).filter(|u| !u.trim().is_empty()) else {
            return failed(
                "config_invalid",
                format!("secret `{WEBHOOK_URL}` is missing"),
                false,
            );
        };
        let hook = match webhook::parse(&url) {
            Ok(hook) => hook,
            Err(e) => return failed("webhook_url_invalid", e, false),
        };

        let content = render::render(&notification);
        let call = request::execute(&hook, &api_base, &content);
        let sent = http::Request::post(&call.url)
            .header("user-agent", request::USER_AGENT)
            .json(&call.body)
            .send();
        let outcome = match sent {
            Ok(reply) => {
                log::log(
                    log::Level::Debug,
                    "discord replied",
                    &[
                        ("destination", &destination.id),
                        ("notification", &notification.id),
                        ("status", &reply.status.to_string()),
                    ],
                );
                response::interpret(reply.status, &reply.headers, &reply.body)
            }
            Err(e) => response::transport(&e),
        };
        scrub_outcome(outcome, &hook.token)
    }
}

// Only components export: natively the crate is an rlib for tests.
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_channel!(DiscordChannel);
