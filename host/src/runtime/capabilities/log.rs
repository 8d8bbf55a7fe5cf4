//! Guest logs go to the host's log, tagged so an operator can tell which
//! tenant's which connector said it. Messages are bounded: a component cannot
//! flood the log with one call.

use crate::runtime::call_state::CallState;
use crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::log::{Host, Level};
use crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::types::Pair;

const MAX_MESSAGE: usize = 4096;

fn bounded(s: &str) -> &str {
    if s.len() <= MAX_MESSAGE {
        return s;
    }
    let mut end = MAX_MESSAGE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Host for CallState {
    async fn log(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<Pair>,
    ) -> wasmtime::Result<()> {
        let fields: Vec<String> = fields
            .iter()
            .take(32)
            .map(|p| format!("{}={}", p.name, bounded(&p.value)))
            .collect();
        let fields = fields.join(" ");
        let (business, installation, component) = (
            &self.ctx.business_id,
            &self.ctx.installation_id,
            &self.component,
        );
        let message = bounded(&message);
        match level {
            Level::Trace => {
                tracing::trace!(target: "component", %business, %installation, %component, %fields, "{message}")
            }
            Level::Debug => {
                tracing::debug!(target: "component", %business, %installation, %component, %fields, "{message}")
            }
            Level::Info => {
                tracing::info!(target: "component", %business, %installation, %component, %fields, "{message}")
            }
            Level::Warn => {
                tracing::warn!(target: "component", %business, %installation, %component, %fields, "{message}")
            }
            Level::Error => {
                tracing::error!(target: "component", %business, %installation, %component, %fields, "{message}")
            }
        }
        Ok(())
    }
}
