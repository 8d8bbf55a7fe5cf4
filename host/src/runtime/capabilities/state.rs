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
        self.store_call()?;
        let services = std::sync::Arc::clone(&self.env.services);
        // A read that failed (the database) ends the call (ours,
        // `internal`: retried by whoever retries it) rather than answering
        // "no value": a connector whose cursor read as missing would sync
        // again from the start, or one whose seen-ids did would emit
        // duplicates, and report success.
        services
            .state_get(&self.ctx.installation_id, &key)
            .await
            .map_err(|e| wasmtime::Error::from_anyhow(e.context("state read failed")))
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
        self.store_call()?;
        let services = std::sync::Arc::clone(&self.env.services);
        let max_keys = self.limits.max_state_keys;
        Ok(
            match services
                .state_set(&self.ctx.installation_id, &key, &value, max_keys)
                .await
            {
                Ok(true) => Ok(()),
                // Refused, not a breach: the call goes on, and a connector
                // that caches per caller can drop old keys and try again.
                Ok(false) => Err(format!(
                    "state is full: an installation keeps at most {max_keys} keys \
                     (delete some first)"
                )),
                Err(e) => Err(format!("state write failed: {e}")),
            },
        )
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<(), String>> {
        if key.starts_with(HOST_PREFIX) {
            return Ok(Err(format!(
                "keys starting with `{HOST_PREFIX}` belong to the host"
            )));
        }
        self.store_call()?;
        let services = std::sync::Arc::clone(&self.env.services);
        Ok(services
            .state_delete(&self.ctx.installation_id, &key)
            .await
            .map_err(|e| format!("state delete failed: {e}")))
    }
}
