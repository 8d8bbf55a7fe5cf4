//! # webhook-channel
//!
//! A delivery channel that POSTs each notification, signed, to a URL of the
//! tenant's choosing, following the Standard Webhooks specification
//! (<https://www.standardwebhooks.com>): `webhook-id`, `webhook-timestamp`
//! and `webhook-signature` headers, `v1,` HMAC-SHA256 signatures with
//! `whsec_` secrets, several signatures during a secret rotation.
//!
//! Everything that decides something is pure and tested natively:
//! [`Settings::new`] checks a destination, [`request::build`] writes the exact
//! request, [`signature::sign`] signs, [`outcome::interpret`] reads the answer.
//! [`WebhookChannel`] only reads settings and the clock from the host and
//! sends. The README describes the request and how a receiver verifies it.

pub mod endpoint;
pub mod outcome;
pub mod payload;
pub mod request;
pub mod settings;
pub mod signature;
pub mod time;

use switchboard_sdk::host::{clock, config, http};
use switchboard_sdk::prelude::*;

pub use settings::Settings;
pub use signature::{generate_secret_from, sign};

/// The component.
pub struct WebhookChannel;

impl WebhookChannel {
    /// The destination's settings as the host holds them: `url` from the
    /// destination (else the installation), secrets only through
    /// `config.secret`.
    fn settings(destination: &Destination) -> Result<Settings, String> {
        let url = settings::url_from(&destination.config, || config::get(settings::URL));
        let secret = config::secret(settings::SECRET);
        let previous = config::secret(settings::PREVIOUS_SECRET);
        Settings::new(url.as_deref(), secret.as_deref(), previous.as_deref())
    }
}

impl Channel for WebhookChannel {
    fn validate_destination(destination: Destination) -> Result<Vec<Pair>, ConnectorError> {
        let settings = Self::settings(&destination).map_err(ConnectorError::BadRequest)?;
        Ok(settings::normalised_config(
            destination.config,
            &settings.url,
        ))
    }

    fn send(destination: Destination, notification: Notification) -> Outcome {
        let settings = match Self::settings(&destination) {
            Ok(settings) => settings,
            Err(reason) => {
                return Outcome::Failed(Failure {
                    code: "config_invalid".into(),
                    message: reason,
                    destination_gone: false,
                });
            }
        };
        let outgoing = match request::build(&settings, &notification, clock::now_ms()) {
            Ok(outgoing) => outgoing,
            Err(reason) => {
                return Outcome::Failed(Failure {
                    code: "bad_request".into(),
                    message: reason,
                    destination_gone: false,
                });
            }
        };
        let mut call = http::Request::post(&outgoing.url);
        for (name, value) in &outgoing.headers {
            call = call.header(name, value);
        }
        match call.body(outgoing.body).send() {
            Ok(response) => outcome::interpret(
                response.status,
                &response.headers,
                &response.body,
                clock::now_ms(),
            ),
            Err(error) => outcome::transport(&error),
        }
    }
}

// Only components export: natively the crate is an rlib for tests, and the
// exported names cannot be linked into a native cdylib.
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_channel!(WebhookChannel);
