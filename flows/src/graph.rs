//! The flow graph: the stored form of every automation.
//!
//! A graph is a list of nodes and a list of directed edges, so a node can have
//! several successors (a condition with a `then` and an `else` path, a branch
//! fanning out to many actions) and several predecessors (two paths into one
//! action). That is what lets the CRK UI build automations a flat rule cannot
//! express; the rules API compiles into the same form.
//!
//! Node kinds:
//! - `trigger`: where control starts when `event` happens. Exactly one.
//! - `condition`: one `{field, op, value}` test.
//! - `branch`: AND (`match: "all"`) / OR (`"any"`) of its `children`, which are
//!   condition or branch nodes used as operands (nested AND/OR).
//! - `action`: send `message` through a channel. Actions are sinks.
//!
//! Condition and branch nodes are either *steps* (reached by edges; control
//! leaves through their `then` edges when they hold, `else` edges when not) or
//! *operands* (listed in one branch's `children`; no edges of their own).
//! [`Graph::validate`](crate::Graph::validate) enforces the rules.

use serde::{Deserialize, Serialize};

use crate::condition::{Condition, Match};
use crate::delivery::{Digest, Severity};

/// The only event a trigger can listen to today.
pub const TRIGGER_EVENT: &str = "call.analysis.finished";

/// A flow graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// The automation's name (the flat rule's `name`).
    pub name: String,
    /// Every node, in a stable order (firings are reported in this order).
    pub nodes: Vec<Node>,
    /// Directed edges between step nodes.
    #[serde(default)]
    pub edges: Vec<Edge>,
}

impl Graph {
    /// The first node with `id`, if any.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// A node: an id unique in the graph plus its kind-specific content, which
/// serializes flat beside `"id"` and `"type"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Unique within the graph; edges and branch children refer to it.
    pub id: String,
    /// What the node is.
    #[serde(flatten)]
    pub kind: NodeKind,
}

impl Node {
    /// A trigger on [`TRIGGER_EVENT`].
    pub fn trigger(id: impl Into<String>) -> Node {
        Node {
            id: id.into(),
            kind: NodeKind::Trigger {
                event: TRIGGER_EVENT.to_owned(),
            },
        }
    }

    /// A condition node.
    pub fn condition(id: impl Into<String>, condition: Condition) -> Node {
        Node {
            id: id.into(),
            kind: NodeKind::Condition(condition),
        }
    }

    /// A branch over `children` (ids of condition/branch nodes).
    pub fn branch(id: impl Into<String>, match_mode: Match, children: Vec<String>) -> Node {
        Node {
            id: id.into(),
            kind: NodeKind::Branch {
                match_mode,
                children,
            },
        }
    }

    /// An action node.
    pub fn action(id: impl Into<String>, action: Action) -> Node {
        Node {
            id: id.into(),
            kind: NodeKind::Action(action),
        }
    }
}

/// The kind of a node, tagged by `"type"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeKind {
    /// Entry point: `{"type": "trigger", "event": "call.analysis.finished"}`.
    Trigger {
        /// The event that starts the flow.
        event: String,
    },
    /// `{"type": "condition", "field": ..., "op": ..., "value": ...}`.
    Condition(Condition),
    /// `{"type": "branch", "match": "all"|"any", "children": [ids]}`.
    Branch {
        /// AND or OR.
        #[serde(rename = "match", default)]
        match_mode: Match,
        /// Operand node ids, in order.
        children: Vec<String>,
    },
    /// `{"type": "action", "channel": ..., <target>, "message", "severity", "digest"}`.
    Action(Action),
}

/// Send a message through a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Where to send; serializes flat as `"channel"` plus the target key.
    #[serde(flatten)]
    pub channel: Channel,
    /// The message template.
    pub message: String,
    /// Severity of the notification.
    #[serde(default)]
    pub severity: Severity,
    /// Digest window, or `null` to send at once.
    #[serde(default)]
    pub digest: Option<Digest>,
}

/// A delivery channel and its target, tagged by `"channel"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum Channel {
    /// `{"channel": "telegram", "chatId": ...}`: a Telegram chat row id.
    Telegram {
        /// The chat row id (from `/telegram/chats`).
        #[serde(rename = "chatId")]
        chat_id: String,
    },
    /// `{"channel": "discord", "webhookId": ...}`: a connected Discord webhook.
    Discord {
        /// The webhook id (from `/notifications/destinations`).
        #[serde(rename = "webhookId")]
        webhook_id: String,
    },
    /// `{"channel": "in_app"}`: the business's in-platform feed.
    InApp,
    /// `{"channel": "webhook", "endpointId"?: ...}`: an outgoing webhook
    /// endpoint; without an id, the business's default endpoint(s).
    Webhook {
        /// The endpoint id.
        #[serde(
            rename = "endpointId",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        endpoint_id: Option<String>,
    },
}

impl Channel {
    /// The channel without its target.
    pub fn kind(&self) -> ChannelKind {
        match self {
            Channel::Telegram { .. } => ChannelKind::Telegram,
            Channel::Discord { .. } => ChannelKind::Discord,
            Channel::InApp => ChannelKind::InApp,
            Channel::Webhook { .. } => ChannelKind::Webhook,
        }
    }

    /// The target id, when the channel has one.
    pub fn target(&self) -> Option<&str> {
        match self {
            Channel::Telegram { chat_id } => Some(chat_id),
            Channel::Discord { webhook_id } => Some(webhook_id),
            Channel::InApp => None,
            Channel::Webhook { endpoint_id } => endpoint_id.as_deref(),
        }
    }
}

/// A channel's name, as reported in a [`crate::Firing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Telegram.
    Telegram,
    /// Discord.
    Discord,
    /// In-app feed.
    InApp,
    /// Outgoing webhook.
    Webhook,
}

impl ChannelKind {
    /// The JSON spelling.
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::Telegram => "telegram",
            ChannelKind::Discord => "discord",
            ChannelKind::InApp => "in_app",
            ChannelKind::Webhook => "webhook",
        }
    }
}

/// A directed edge. From a condition or branch step, `path` says which
/// outcome it follows; from the trigger it must be `then` (the default,
/// omitted from JSON).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edge {
    /// Source node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// `then` (taken when the source holds; default) or `else`.
    #[serde(default, skip_serializing_if = "EdgePath::is_then")]
    pub path: EdgePath,
}

impl Edge {
    /// A `then` edge.
    pub fn then(from: impl Into<String>, to: impl Into<String>) -> Edge {
        Edge {
            from: from.into(),
            to: to.into(),
            path: EdgePath::Then,
        }
    }

    /// An `else` edge.
    pub fn otherwise(from: impl Into<String>, to: impl Into<String>) -> Edge {
        Edge {
            from: from.into(),
            to: to.into(),
            path: EdgePath::Else,
        }
    }
}

/// Which outcome of its source an edge follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgePath {
    /// Taken when the source condition/branch holds (always, from the trigger).
    #[default]
    Then,
    /// Taken when the source condition/branch does not hold.
    Else,
}

impl EdgePath {
    /// For `skip_serializing_if`.
    pub fn is_then(&self) -> bool {
        *self == EdgePath::Then
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::condition::Op;

    fn sample() -> Graph {
        Graph {
            name: "VIP follow-up".into(),
            nodes: vec![
                Node::trigger("t"),
                Node::condition("vip", Condition::new("tags", Op::Contains, "vip")),
                Node::action(
                    "tg",
                    Action {
                        channel: Channel::Telegram {
                            chat_id: "42".into(),
                        },
                        message: "VIP {{customer_phone}}".into(),
                        severity: Severity::Warning,
                        digest: None,
                    },
                ),
                Node::action(
                    "feed",
                    Action {
                        channel: Channel::InApp,
                        message: "Call {{call_id}}".into(),
                        severity: Severity::Info,
                        digest: Some(Digest::Hours24),
                    },
                ),
                Node::action(
                    "hook",
                    Action {
                        channel: Channel::Webhook { endpoint_id: None },
                        message: "x".into(),
                        severity: Severity::Info,
                        digest: None,
                    },
                ),
            ],
            edges: vec![
                Edge::then("t", "vip"),
                Edge::then("vip", "tg"),
                Edge::otherwise("vip", "feed"),
            ],
        }
    }

    #[test]
    fn serializes_flat_nodes_and_terse_edges() {
        let v = serde_json::to_value(sample()).unwrap();
        assert_eq!(
            v,
            json!({
                "name": "VIP follow-up",
                "nodes": [
                    {"id": "t", "type": "trigger", "event": "call.analysis.finished"},
                    {"id": "vip", "type": "condition", "field": "tags", "op": "contains", "value": "vip"},
                    {"id": "tg", "type": "action", "channel": "telegram", "chatId": "42",
                     "message": "VIP {{customer_phone}}", "severity": "warning", "digest": null},
                    {"id": "feed", "type": "action", "channel": "in_app",
                     "message": "Call {{call_id}}", "severity": "info", "digest": "24h"},
                    {"id": "hook", "type": "action", "channel": "webhook",
                     "message": "x", "severity": "info", "digest": null}
                ],
                "edges": [
                    {"from": "t", "to": "vip"},
                    {"from": "vip", "to": "tg"},
                    {"from": "vip", "to": "feed", "path": "else"}
                ]
            })
        );
        let back: Graph = serde_json::from_value(v).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn branch_and_webhook_round_trip_with_defaults() {
        let v = json!({
            "name": "n",
            "nodes": [
                {"id": "b", "type": "branch", "children": ["x"]},
                {"id": "w", "type": "action", "channel": "webhook", "endpointId": "ep1", "message": "m"}
            ]
        });
        let g: Graph = serde_json::from_value(v).unwrap();
        assert_eq!(
            g.nodes[0].kind,
            NodeKind::Branch {
                match_mode: Match::All,
                children: vec!["x".into()]
            }
        );
        let NodeKind::Action(a) = &g.nodes[1].kind else {
            panic!("not an action")
        };
        assert_eq!(a.channel.target(), Some("ep1"));
        assert_eq!(a.channel.kind(), ChannelKind::Webhook);
        assert_eq!(a.severity, Severity::Info);
        assert!(g.edges.is_empty());
        let back: Graph = serde_json::from_value(serde_json::to_value(&g).unwrap()).unwrap();
        assert_eq!(back, g);
    }

    #[test]
    fn rejects_unknown_node_types_and_channels() {
        let bad_type = json!({"name": "n", "nodes": [{"id": "x", "type": "loop"}]});
        assert!(serde_json::from_value::<Graph>(bad_type).is_err());
        let bad_channel = json!({"name": "n", "nodes": [{"id": "x", "type": "action", "channel": "sms", "message": "m"}]});
        assert!(serde_json::from_value::<Graph>(bad_channel).is_err());
        let missing_target = json!({"name": "n", "nodes": [{"id": "x", "type": "action", "channel": "telegram", "message": "m"}]});
        assert!(serde_json::from_value::<Graph>(missing_target).is_err());
    }
}
