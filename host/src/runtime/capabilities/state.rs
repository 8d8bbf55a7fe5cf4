//! Per-installation key-value state. Keys and values are bounded: state is for
//! cursors and tokens, not for storing payloads.

use crate::runtime::call_state::CallState;
use crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::state::Host;

const MAX_KEY: usize = 256;
/// Keys the host keeps in the same state (the sync cursor of a recording
/// source): a component may read them but never change them.
const HOST_PREFIX: &str = "host.";
const MAX_VALUE: usize = 64 * 1024;

impl Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        let _t = self.store_call()?;
        let services = std::sync::Arc::clone(&self.env.services);
        Ok(services.state_get(&self.ctx.installation_id, &key).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, installation = %self.ctx.installation_id, "state read failed");
            None
        }))
    }

    async fn set(&mut self, key: String, value: String) -> wasmtime::Result<Result<(), String>> {
        if key.starts_with(HOST_PREFIX) {
            return Ok(Err(format!(
                "keys starting with `{HOST_PREFIX}` belong to the host"
            )));
        }
        if key.len() > MAX_KEY || value.len() > MAX_VALUE {
            return Ok(Err(format!(
                "state keys are limited to {MAX_KEY} bytes and values to {MAX_VALUE}"
            )));
        }
        let _t = self.store_call()?;
        let services = std::sync::Arc::clone(&self.env.services);
        Ok(services
            .state_set(&self.ctx.installation_id, &key, &value)
            .await
            .map_err(|e| format!("state write failed: {e}")))
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<(), String>> {
        if key.starts_with(HOST_PREFIX) {
            return Ok(Err(format!(
                "keys starting with `{HOST_PREFIX}` belong to the host"
            )));
        }
        let _t = self.store_call()?;
        let services = std::sync::Arc::clone(&self.env.services);
        Ok(services
            .state_delete(&self.ctx.installation_id, &key)
            .await
            .map_err(|e| format!("state delete failed: {e}")))
    }
}
