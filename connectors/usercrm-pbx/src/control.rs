//! The `call-control` world: thin glue from the trait to the pure request
//! builders and reply readers, through the host's HTTP client.

use std::hash::{BuildHasher, Hasher};

use serde_json::Value;
use switchboard_sdk::host::{clock, config, directory, http};
use switchboard_sdk::prelude::*;

use crate::pbx::{self, PbxRequest};
use crate::{Settings, UserCrm, commands, history};

/// The PBX must answer within this (the host may cut it shorter).
const TIMEOUT_MS: u32 = 10_000;

impl CallControl for UserCrm {
    fn click_to_call(
        installation: Installation,
        request: DialRequest,
    ) -> Result<DialResult, ConnectorError> {
        let (endpoint, key) = target(&installation)?;
        let crm_user = commands::crm_user_id(&request, directory::find_user_by_extension)?;
        let call = commands::make_call(&endpoint, &new_action_id(), &crm_user, &request.phone)?;
        let reply = send("make_call", &call, &key)?;
        Ok(commands::dial_result(reply.as_ref()))
    }

    fn hold(installation: Installation, request: HoldRequest) -> Result<(), ConnectorError> {
        let (endpoint, key) = target(&installation)?;
        let call = commands::switch_call_hold(&endpoint, &new_action_id(), &request)?;
        send("switch_call_hold", &call, &key).map(|_| ())
    }

    fn call_history(
        installation: Installation,
        query: HistoryQuery,
    ) -> Result<Vec<CallEvent>, ConnectorError> {
        let settings = Settings::from_installation(&installation)?;
        let (endpoint, key) = target(&installation)?;
        let call = history::get_cdr(&endpoint, &new_action_id(), &query);
        let reply = send("get_cdr", &call, &key)?;
        history::events(reply.as_ref(), &settings)
    }
}

/// The endpoint (from `pbxUrl`) and the key (`pbxApiKey`); either missing
/// is a `config` error.
fn target(installation: &Installation) -> Result<(String, String), ConnectorError> {
    let settings = Settings::from_installation(installation)?;
    let endpoint = pbx::endpoint(settings.pbx_url.as_deref())?;
    let key = config::require_secret("pbxApiKey")?;
    Ok((endpoint, key))
}

/// POSTs the request as JSON with the bearer key. Timeouts and failed
/// connections are `unreachable`; the reply is read by [`pbx::check`].
fn send(action: &str, request: &PbxRequest, key: &str) -> Result<Option<Value>, ConnectorError> {
    let response = http::Request::post(&request.url)
        .bearer(key)
        .header("accept", "application/json")
        .json(&request.body)
        .timeout_ms(TIMEOUT_MS)
        .send()
        .map_err(http::HttpError::into_connector_error)?;
    pbx::check(action, response.status, &response.body)
}

/// A fresh `action_id` for one request.
fn new_action_id() -> String {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    action_id(clock::now_ms(), random)
}

/// `sb-<ms since epoch>-<8 hex digits>`: unique enough to tell our requests
/// apart in the PBX's logs (the seed's examples use `"123"`).
pub fn action_id(now_ms: i64, random: u64) -> String {
    format!("sb-{now_ms}-{:08x}", random & 0xffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_ids() {
        assert_eq!(
            action_id(1_633_333_012_000, 0xdead_beef_0000_00ff),
            "sb-1633333012000-000000ff"
        );
    }
}
