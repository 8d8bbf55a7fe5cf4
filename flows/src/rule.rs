//! The flat rule: the shape external systems use through
//! `/notifications/automations`, without knowing about flow graphs.
//!
//! A rule is "when a call's analysis finishes and these conditions hold, send
//! this message to these Telegram chats and Discord webhooks". The host stores
//! the compiled graph (see [`crate::compile`]) and shows the rule again via
//! [`crate::project`].

use serde::{Deserialize, Serialize};

use crate::condition::{Condition, Match};
use crate::delivery::{Digest, Severity};
use crate::error::RuleError;
use crate::template;

/// An automation rule as the REST API sends and returns it (camelCase JSON).
///
/// Every key may be omitted: `name` and `message` default to `""` (which
/// [`Rule::validate`] rejects with `empty_name` / `empty_message`, a better
/// 422 than a JSON error), `conditions`, `telegramChatIds` and
/// `discordWebhookIds` to empty, `match` to `"all"`, `severity` to `"info"`,
/// `digest` to `null`. An unknown key is an error: a misspelt `condition`
/// read as no conditions would make a rule that fires on every call. (The
/// host takes its own `enabled` out of the body before reading the rule.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// Shown in lists and notifications' footers.
    #[serde(default)]
    pub name: String,
    /// Tests on the call; empty means every call.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// Whether all conditions must hold or any one.
    #[serde(default, rename = "match")]
    pub match_mode: Match,
    /// The message template (see [`crate::template`]).
    #[serde(default)]
    pub message: String,
    /// Telegram chat row ids (opaque here; the host checks ownership).
    #[serde(default)]
    pub telegram_chat_ids: Vec<String>,
    /// Discord webhook ids (opaque here; the host checks ownership).
    #[serde(default)]
    pub discord_webhook_ids: Vec<String>,
    /// Severity of the notifications sent.
    #[serde(default)]
    pub severity: Severity,
    /// Batch messages per destination into one per window; `null` sends at once.
    #[serde(default)]
    pub digest: Option<Digest>,
}

impl Rule {
    /// Checks everything the API must reject with 422, stopping at the first
    /// problem: name, destinations, message template, then conditions in order.
    pub fn validate(&self) -> Result<(), RuleError> {
        if self.name.trim().is_empty() {
            return Err(RuleError::EmptyName);
        }
        if self.telegram_chat_ids.is_empty() && self.discord_webhook_ids.is_empty() {
            return Err(RuleError::NoDestination);
        }
        for (list, ids) in [
            ("telegramChatIds", &self.telegram_chat_ids),
            ("discordWebhookIds", &self.discord_webhook_ids),
        ] {
            if let Some(index) = ids.iter().position(|id| id.trim().is_empty()) {
                return Err(RuleError::InvalidDestination { list, index });
            }
        }
        if self.message.trim().is_empty() {
            return Err(RuleError::EmptyMessage);
        }
        template::validate(&self.message)?;
        for (index, condition) in self.conditions.iter().enumerate() {
            condition
                .check()
                .map_err(|source| RuleError::Condition { index, source })?;
        }
        Ok(())
    }

    /// The canonical form of the rule, which is what a stored rule reads back
    /// as: name trimmed, condition fields spelled canonically (`tag` →
    /// `tags`), repeated destination ids dropped (first one kept), and
    /// `match` reset to `all` when there are no conditions (it means nothing
    /// then). The message is kept verbatim.
    pub fn normalized(&self) -> Rule {
        Rule {
            name: self.name.trim().to_owned(),
            conditions: self.conditions.iter().map(Condition::normalized).collect(),
            match_mode: if self.conditions.is_empty() {
                Match::All
            } else {
                self.match_mode
            },
            message: self.message.clone(),
            telegram_chat_ids: dedup(&self.telegram_chat_ids),
            discord_webhook_ids: dedup(&self.discord_webhook_ids),
            severity: self.severity,
            digest: self.digest,
        }
    }
}

/// Free-function form of [`Rule::normalized`].
pub fn normalize(rule: &Rule) -> Rule {
    rule.normalized()
}

fn dedup(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::condition::Op;

    fn rule() -> Rule {
        Rule {
            name: "Hot leads".into(),
            conditions: vec![Condition::new("score", Op::Gte, 80)],
            match_mode: Match::All,
            message: "Score {{score}}".into(),
            telegram_chat_ids: vec!["tg1".into()],
            discord_webhook_ids: vec![],
            severity: Severity::Info,
            digest: None,
        }
    }

    #[test]
    fn minimal_json_gets_defaults_and_refuses_unknown_keys() {
        let r: Rule = serde_json::from_value(json!({
            "name": "n", "message": "m", "telegramChatIds": ["1"]
        }))
        .unwrap();
        assert_eq!(r.conditions, vec![]);
        assert_eq!(r.match_mode, Match::All);
        assert_eq!(r.severity, Severity::Info);
        assert_eq!(r.digest, None);
        assert!(r.discord_webhook_ids.is_empty());
        // `condition` for `conditions` would otherwise be a rule with none.
        let err = serde_json::from_value::<Rule>(json!({
            "name": "n", "message": "m", "telegramChatIds": ["1"], "condition": []
        }))
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `condition`"),
            "{err}"
        );
    }

    #[test]
    fn missing_name_and_message_are_validation_errors_not_json_errors() {
        let r: Rule = serde_json::from_value(json!({"telegramChatIds": ["1"]})).unwrap();
        assert_eq!(r.validate().unwrap_err().code(), "empty_name");
        let r: Rule =
            serde_json::from_value(json!({"name": "n", "telegramChatIds": ["1"]})).unwrap();
        assert_eq!(r.validate().unwrap_err().code(), "empty_message");
    }

    #[test]
    fn serializes_camel_case_with_every_key() {
        let v = serde_json::to_value(rule()).unwrap();
        assert_eq!(
            v,
            json!({
                "name": "Hot leads",
                "conditions": [{"field": "score", "op": "gte", "value": 80}],
                "match": "all",
                "message": "Score {{score}}",
                "telegramChatIds": ["tg1"],
                "discordWebhookIds": [],
                "severity": "info",
                "digest": null
            })
        );
        let back: Rule = serde_json::from_value(v).unwrap();
        assert_eq!(back, rule());
    }

    #[test]
    fn validates_in_order() {
        assert_eq!(rule().validate(), Ok(()));
        let code = |r: Rule| r.validate().unwrap_err().code();
        assert_eq!(
            code(Rule {
                name: "  ".into(),
                ..rule()
            }),
            "empty_name"
        );
        assert_eq!(
            code(Rule {
                telegram_chat_ids: vec![],
                ..rule()
            }),
            "no_destination"
        );
        assert_eq!(
            code(Rule {
                discord_webhook_ids: vec![" ".into()],
                ..rule()
            }),
            "invalid_destination"
        );
        assert_eq!(
            code(Rule {
                message: "\n".into(),
                ..rule()
            }),
            "empty_message"
        );
        assert_eq!(
            code(Rule {
                message: "{{nope}}".into(),
                ..rule()
            }),
            "unknown_variable"
        );
        assert_eq!(
            code(Rule {
                message: "{{score".into(),
                ..rule()
            }),
            "unclosed_variable"
        );
        let bad = Rule {
            conditions: vec![
                Condition::new("score", Op::Gt, 1),
                Condition::new("sentiment", Op::Lt, "a"),
            ],
            ..rule()
        };
        let err = bad.validate().unwrap_err();
        assert_eq!(
            (err.code(), err.index(), err.name()),
            ("invalid_operator", Some(1), Some("sentiment"))
        );
    }

    #[test]
    fn normalizes_name_fields_destinations_and_match() {
        let r = Rule {
            name: " Hot ".into(),
            conditions: vec![Condition::new("tag", Op::Contains, "vip")],
            match_mode: Match::Any,
            telegram_chat_ids: vec!["a".into(), "b".into(), "a".into()],
            ..rule()
        };
        let n = r.normalized();
        assert_eq!(n.name, "Hot");
        assert_eq!(n.conditions[0].field, "tags");
        assert_eq!(n.match_mode, Match::Any);
        assert_eq!(n.telegram_chat_ids, vec!["a", "b"]);
        assert_eq!(n.normalized(), n);
        let empty = Rule {
            conditions: vec![],
            match_mode: Match::Any,
            ..rule()
        };
        assert_eq!(normalize(&empty).match_mode, Match::All);
    }
}
