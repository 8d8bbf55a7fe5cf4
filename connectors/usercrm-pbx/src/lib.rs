//! # usercrm-pbx
//!
//! Connector for a cloud PBX's "custom integration" REST API (seed 002,
//! Runtel-style: `obj: "UserCRM"`). Both sides talk JSON envelopes
//! `{action, obj: "UserCRM", action_id, params | body}` with Bearer keys.
//!
//! - **ingest**: the PBX asks us questions (`test`, `get_users`,
//!   `get_contact`: answered from the tenant's directory) and reports events
//!   (`user_change`, `agent_change`, `call_ringing`, `call_answer`,
//!   `call_hangup`, `cdr_append`, `call_held`, `call_active`: turned into
//!   agent and call events). See [`ingest`].
//! - **call-control**: we ask the PBX to dial (`make_call`), toggle hold
//!   (`switch_call_hold`) and give call history (`get_cdr`). See
//!   [`commands`], [`history`], [`pbx`].
//!
//! Parsing, replies and request bodies are pure functions tested natively;
//! the trait impls only read secrets and call the host. The README lists
//! every assumption.

mod action;
mod agent;
mod call;
mod cdr;
pub mod commands;
mod contacts;
mod control;
mod envelope;
mod fields;
pub mod history;
pub mod ingest;
mod outcome;
mod parties;
pub mod pbx;
mod reply;
mod settings;
mod users;

#[cfg(test)]
mod scenarios;
/// The vendor document's examples, verbatim (single-quoted as printed);
/// public so the host's end-to-end tests send the same messages.
#[doc(hidden)]
pub mod seed;
#[cfg(test)]
mod test_support;

use switchboard_sdk::prelude::*;

pub use action::Action;
pub use control::action_id;
pub use ingest::{Directory, HostDirectory, Inbound, accept, parse, respond};
pub use settings::Settings;

/// The component: both worlds.
pub struct UserCrm;

impl Ingest for UserCrm {
    fn handle(
        installation: Installation,
        request: HttpRequest,
    ) -> Result<IngestReply, ConnectorError> {
        let key = switchboard_sdk::host::config::secret("crmApiKey");
        let inbound = accept(key.as_deref(), &request, &installation)?;
        Ok(respond(inbound, &HostDirectory))
    }
}

// Only components export: natively the crate is an rlib for tests, and the
// exported names (`cabi_post_switchboard:connector/…`) cannot be linked into
// a native cdylib.
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_ingest!(UserCrm);
#[cfg(target_arch = "wasm32")]
switchboard_sdk::export_call_control!(UserCrm);
