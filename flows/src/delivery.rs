//! How loudly and how often an action notifies: severity and digest window.
//!
//! Both travel with every action (and with the flat rule) so the host's
//! sender can honour users' `minSeverity` preference and batch messages
//! without looking anything else up.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How important a notification is; users can mute below a severity.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Routine (the default).
    #[default]
    Info,
    /// Worth a look.
    Warning,
    /// Needs attention now.
    Critical,
}

impl Severity {
    /// The JSON spelling.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A batching window: instead of one message per call, the host sends one
/// message per destination per window with everything that fired in it.
/// `null` (no digest) means send each message at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Digest {
    /// One batch per hour.
    #[serde(rename = "1h")]
    Hour1,
    /// One batch per 6 hours.
    #[serde(rename = "6h")]
    Hours6,
    /// One batch per 12 hours.
    #[serde(rename = "12h")]
    Hours12,
    /// One batch per day.
    #[serde(rename = "24h")]
    Hours24,
}

impl Digest {
    /// Every window, shortest first.
    pub const ALL: [Digest; 4] = [
        Digest::Hour1,
        Digest::Hours6,
        Digest::Hours12,
        Digest::Hours24,
    ];

    /// The JSON spelling (`"1h"`, `"6h"`, `"12h"`, `"24h"`).
    pub fn name(self) -> &'static str {
        match self {
            Digest::Hour1 => "1h",
            Digest::Hours6 => "6h",
            Digest::Hours12 => "12h",
            Digest::Hours24 => "24h",
        }
    }

    /// The window length in seconds, for the host's scheduler.
    pub fn seconds(self) -> u64 {
        let hours = match self {
            Digest::Hour1 => 1,
            Digest::Hours6 => 6,
            Digest::Hours12 => 12,
            Digest::Hours24 => 24,
        };
        hours * 3600
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn digest_spellings_round_trip() {
        for d in Digest::ALL {
            let v = serde_json::to_value(d).unwrap();
            assert_eq!(v, json!(d.name()));
            assert_eq!(serde_json::from_value::<Digest>(v).unwrap(), d);
        }
        assert_eq!(Digest::Hours6.seconds(), 21_600);
        assert!(serde_json::from_value::<Digest>(json!("2h")).is_err());
    }

    #[test]
    fn severity_orders_by_importance() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Critical);
        assert_eq!(
            serde_json::to_value(Severity::Critical).unwrap(),
            json!("critical")
        );
        assert_eq!(Severity::default(), Severity::Info);
    }
}
