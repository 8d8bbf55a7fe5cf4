//! Placeholder: being written.

use switchboard_sdk::prelude::*;

pub struct DiscordChannel;

impl Channel for DiscordChannel {
    fn send(_destination: Destination, _notification: Notification) -> Outcome {
        Outcome::Failed(Failure {
            code: "not_implemented".into(),
            message: "not yet".into(),
            destination_gone: false,
        })
    }
}

#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_channel!(DiscordChannel);
