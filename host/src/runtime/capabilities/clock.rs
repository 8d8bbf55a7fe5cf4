use crate::runtime::call_state::CallState;
use crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::clock::Host;

impl Host for CallState {
    async fn now(&mut self) -> wasmtime::Result<i64> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Ok(now)
    }
}
