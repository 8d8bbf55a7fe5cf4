//! Settings and secrets of the installation the call is for. Secrets are
//! decrypted by the caller for this call only and read one at a time, so a
//! component never sees the whole secret set at once.

use crate::runtime::call_state::CallState;
use crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::config::Host;

impl Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self
            .ctx
            .config
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone()))
    }

    async fn secret(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.ctx.secrets.get(&key).cloned())
    }
}
