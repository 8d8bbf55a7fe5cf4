//! Rule → graph: the only way the rules API writes automations.
//!
//! The output is canonical (fixed node ids, fixed order) so that storing,
//! reading back ([`crate::project`]) and recompiling is an exact round trip:
//!
//! ```text
//! nodes: trigger, [branch, c0, c1, …], a0, a1, …
//! edges: trigger → branch, branch → a0, branch → a1, …
//!        (no conditions: trigger → a0, trigger → a1, …)
//! ```
//!
//! `branch` carries the rule's `match` and lists `c0…` as children; one
//! action per destination, Telegram chats first then Discord webhooks, all
//! with the rule's message, severity and digest.

use crate::error::RuleError;
use crate::graph::{Action, Channel, Edge, Graph, Node};
use crate::rule::Rule;

/// Id of the canonical trigger node.
pub const TRIGGER_ID: &str = "trigger";
/// Id of the canonical branch node.
pub const BRANCH_ID: &str = "branch";

/// Id of the canonical node for condition `index`: `c0`, `c1`, ….
pub fn condition_id(index: usize) -> String {
    format!("c{index}")
}

/// Id of the canonical node for destination `index` (Telegram chats first,
/// then Discord webhooks): `a0`, `a1`, ….
pub fn action_id(index: usize) -> String {
    format!("a{index}")
}

/// Validates `rule` and compiles its normalized form (see
/// [`Rule::normalized`]) into the canonical graph.
pub fn compile(rule: &Rule) -> Result<Graph, RuleError> {
    rule.validate()?;
    let rule = rule.normalized();

    let mut nodes = vec![Node::trigger(TRIGGER_ID)];
    let mut edges = Vec::new();
    let source = if rule.conditions.is_empty() {
        TRIGGER_ID
    } else {
        let children = (0..rule.conditions.len()).map(condition_id).collect();
        nodes.push(Node::branch(BRANCH_ID, rule.match_mode, children));
        nodes.extend(
            rule.conditions
                .iter()
                .enumerate()
                .map(|(i, c)| Node::condition(condition_id(i), c.clone())),
        );
        edges.push(Edge::then(TRIGGER_ID, BRANCH_ID));
        BRANCH_ID
    };

    let telegram = rule.telegram_chat_ids.iter().map(|id| Channel::Telegram {
        chat_id: id.clone(),
    });
    let discord = rule.discord_webhook_ids.iter().map(|id| Channel::Discord {
        webhook_id: id.clone(),
    });
    for (i, channel) in telegram.chain(discord).enumerate() {
        let action = Action {
            channel,
            message: rule.message.clone(),
            severity: rule.severity,
            digest: rule.digest,
        };
        nodes.push(Node::action(action_id(i), action));
        edges.push(Edge::then(source, action_id(i)));
    }

    Ok(Graph {
        name: rule.name,
        nodes,
        edges,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::condition::{Condition, Match, Op};
    use crate::delivery::{Digest, Severity};

    fn rule() -> Rule {
        serde_json::from_value(json!({
            "name": " Hot leads ",
            "conditions": [
                {"field": "score", "op": "gte", "value": 80},
                {"field": "tag", "op": "contains", "value": "vip"}
            ],
            "match": "any",
            "message": "🔥 {{score}} {{customer_phone}}",
            "telegramChatIds": ["tg1", "tg1"],
            "discordWebhookIds": ["dw1"],
            "severity": "critical",
            "digest": "6h"
        }))
        .unwrap()
    }

    #[test]
    fn compiles_to_the_canonical_shape() {
        let g = compile(&rule()).unwrap();
        let action = |channel| Action {
            channel,
            message: "🔥 {{score}} {{customer_phone}}".into(),
            severity: Severity::Critical,
            digest: Some(Digest::Hours6),
        };
        assert_eq!(
            g,
            Graph {
                name: "Hot leads".into(),
                nodes: vec![
                    Node::trigger("trigger"),
                    Node::branch("branch", Match::Any, vec!["c0".into(), "c1".into()]),
                    Node::condition("c0", Condition::new("score", Op::Gte, 80)),
                    Node::condition("c1", Condition::new("tags", Op::Contains, "vip")),
                    Node::action(
                        "a0",
                        action(Channel::Telegram {
                            chat_id: "tg1".into()
                        })
                    ),
                    Node::action(
                        "a1",
                        action(Channel::Discord {
                            webhook_id: "dw1".into()
                        })
                    ),
                ],
                edges: vec![
                    Edge::then("trigger", "branch"),
                    Edge::then("branch", "a0"),
                    Edge::then("branch", "a1")
                ],
            }
        );
        assert_eq!(g.validate(), Ok(()));
    }

    #[test]
    fn no_conditions_wire_the_trigger_to_the_actions() {
        let r = Rule {
            conditions: vec![],
            ..rule()
        };
        let g = compile(&r).unwrap();
        let ids: Vec<_> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, vec!["trigger", "a0", "a1"]);
        assert_eq!(
            g.edges,
            vec![Edge::then("trigger", "a0"), Edge::then("trigger", "a1")]
        );
        assert_eq!(g.validate(), Ok(()));
    }

    #[test]
    fn invalid_rules_do_not_compile() {
        let r = Rule {
            message: "{{ nope }}".into(),
            ..rule()
        };
        let err = compile(&r).unwrap_err();
        assert_eq!((err.code(), err.name()), ("unknown_variable", Some("nope")));
        let r = Rule {
            conditions: vec![Condition::new("score", Op::Gte, "80")],
            ..rule()
        };
        let err = compile(&r).unwrap_err();
        assert_eq!((err.code(), err.index()), ("invalid_value", Some(0)));
    }
}
