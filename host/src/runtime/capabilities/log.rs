//! Guest logs go to the host's log, tagged so an operator can tell which
//! tenant's which connector said it. Messages are bounded, escaped and
//! counted: a component cannot flood the log, or forge lines, with one call.

use crate::runtime::call_state::CallState;
use crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::log::{Host, Level};
use crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::types::Pair;

const MAX_MESSAGE: usize = 4096;
const MAX_NAME: usize = 64;
/// Lines one call may log; the rest are dropped (one line says so).
pub const MAX_LINES_PER_CALL: u32 = 1_000;

/// `s` cut to `max` bytes, with control characters escaped: a connector
/// logging vendor text must not start a line of its own that reads like
/// another tenant's (`\n... business=other`).
fn bounded(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end]
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

impl Host for CallState {
    async fn log(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<Pair>,
    ) -> wasmtime::Result<()> {
        self.log_lines = self.log_lines.saturating_add(1);
        if self.log_lines > MAX_LINES_PER_CALL {
            if self.log_lines == MAX_LINES_PER_CALL + 1 {
                tracing::warn!(target: "component", business = %self.ctx.business_id,
                    installation = %self.ctx.installation_id, component = %self.component,
                    "more than {MAX_LINES_PER_CALL} log lines in one call; the rest are dropped");
            }
            return Ok(());
        }
        let fields: Vec<String> = fields
            .iter()
            .take(32)
            .map(|p| {
                format!(
                    "{}={}",
                    bounded(&p.name, MAX_NAME),
                    bounded(&p.value, MAX_MESSAGE)
                )
            })
            .collect();
        let fields = fields.join(" ");
        let (business, installation, component) = (
            &self.ctx.business_id,
            &self.ctx.installation_id,
            &self.component,
        );
        let message = bounded(&message, MAX_MESSAGE);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_text_is_cut() {
        assert_eq!(
            bounded("ok\n2026 INFO business=other", 100),
            "ok\\n2026 INFO business=other"
        );
        assert_eq!(bounded("a\rb\u{1b}[31m", 100), "a\\rb\\u{1b}[31m");
        assert_eq!(bounded("ไทย", 4), "ไ");
        assert_eq!(bounded("plain", 100), "plain");
    }
}
