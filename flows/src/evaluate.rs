//! Running a flow graph against one call: which actions fire, with what.
//!
//! Control starts at the trigger (only if its event is
//! [`TRIGGER_EVENT`]) and follows edges: every edge out of the trigger;
//! out of a condition or branch step, its `then` edges when it holds and its
//! `else` edges when it does not. Every action reached fires once, however
//! many paths lead to it, so two paths into one action act as an OR.
//! Firings come back in node order with the message already rendered, which
//! is all a dry run needs to show.
//!
//! Evaluation is pure and total. It expects a graph that passed
//! [`Graph::validate`], but never panics or loops on one that did not:
//! cycles are cut, invalid conditions do not hold, and a template that does
//! not parse is sent verbatim.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::condition::Match;
use crate::delivery::{Digest, Severity};
use crate::facts::CallFacts;
use crate::graph::{ChannelKind, EdgePath, Graph, Node, NodeKind, TRIGGER_EVENT};
use crate::template;

/// One notification an action would send for the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Firing {
    /// The action node's id.
    pub node_id: String,
    /// The channel to send through.
    pub channel: ChannelKind,
    /// The chat / webhook / endpoint id; `None` for in-app and for webhook
    /// actions without an endpoint.
    pub target: Option<String>,
    /// The action's severity.
    pub severity: Severity,
    /// The action's digest window, if it batches.
    pub digest: Option<Digest>,
    /// The rendered message.
    pub message: String,
}

/// The actions `graph` fires for a call with `facts`, in node order.
pub fn evaluate(graph: &Graph, facts: &CallFacts) -> Vec<Firing> {
    let Some(trigger) = graph
        .nodes
        .iter()
        .find(|n| matches!(n.kind, NodeKind::Trigger { .. }))
    else {
        return Vec::new();
    };
    if !matches!(&trigger.kind, NodeKind::Trigger { event } if event == TRIGGER_EVENT) {
        return Vec::new();
    }
    let mut run = Run::new(graph, facts);
    let reached = run.walk(&trigger.id);
    let mut fired = HashSet::new();
    graph
        .nodes
        .iter()
        .filter(|n| reached.contains(n.id.as_str()) && fired.insert(n.id.as_str()))
        .filter_map(|n| match &n.kind {
            NodeKind::Action(action) => Some(Firing {
                node_id: n.id.clone(),
                channel: action.channel.kind(),
                target: action.channel.target().map(str::to_owned),
                severity: action.severity,
                digest: action.digest,
                message: template::render(&action.message, facts)
                    .unwrap_or_else(|_| action.message.clone()),
            }),
            _ => None,
        })
        .collect()
}

/// One evaluation's state: node lookup and memoized predicate results.
struct Run<'g> {
    facts: &'g CallFacts,
    by_id: HashMap<&'g str, &'g Node>,
    outgoing: HashMap<&'g str, Vec<(&'g str, EdgePath)>>,
    results: HashMap<&'g str, bool>,
    /// Predicates being evaluated, to cut cycles through branch children.
    pending: HashSet<&'g str>,
}

impl<'g> Run<'g> {
    fn new(graph: &'g Graph, facts: &'g CallFacts) -> Self {
        let mut by_id = HashMap::new();
        for node in &graph.nodes {
            by_id.entry(node.id.as_str()).or_insert(node);
        }
        let mut outgoing: HashMap<&str, Vec<(&str, EdgePath)>> = HashMap::new();
        for edge in &graph.edges {
            outgoing
                .entry(edge.from.as_str())
                .or_default()
                .push((edge.to.as_str(), edge.path));
        }
        Run {
            facts,
            by_id,
            outgoing,
            results: HashMap::new(),
            pending: HashSet::new(),
        }
    }

    /// Every node control reaches from `start`.
    fn walk(&mut self, start: &'g str) -> HashSet<&'g str> {
        let mut reached = HashSet::from([start]);
        let mut queue = vec![start];
        while let Some(id) = queue.pop() {
            let Some(node) = self.by_id.get(id).copied() else {
                continue;
            };
            let taken = match &node.kind {
                NodeKind::Trigger { .. } => EdgePath::Then,
                NodeKind::Condition(_) | NodeKind::Branch { .. } => {
                    if self.holds(id) {
                        EdgePath::Then
                    } else {
                        EdgePath::Else
                    }
                }
                NodeKind::Action(_) => continue,
            };
            let next = self.outgoing.get(id).map_or(&[][..], Vec::as_slice);
            for &(to, path) in next {
                if path == taken && reached.insert(to) {
                    queue.push(to);
                }
            }
        }
        reached
    }

    /// Whether the condition or branch `id` holds (memoized).
    fn holds(&mut self, id: &'g str) -> bool {
        if let Some(&known) = self.results.get(id) {
            return known;
        }
        if !self.pending.insert(id) {
            return false; // a cycle: treat the inner occurrence as not holding
        }
        let node: Option<&'g Node> = self.by_id.get(id).copied();
        let result = match node.map(|n| &n.kind) {
            Some(NodeKind::Condition(c)) => c.matches(self.facts),
            Some(NodeKind::Branch {
                match_mode,
                children,
            }) => {
                let mut each = children.iter().map(|c| self.holds(c));
                match match_mode {
                    Match::All => each.all(|b| b),
                    Match::Any => each.any(|b| b),
                }
            }
            _ => false,
        };
        self.pending.remove(id);
        self.results.insert(id, result);
        result
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::condition::{Condition, Op};
    use crate::graph::{Action, Channel, Edge};

    fn act(id: &str, channel: Channel, message: &str) -> Node {
        Node::action(
            id,
            Action {
                channel,
                message: message.into(),
                severity: Severity::Warning,
                digest: Some(Digest::Hour1),
            },
        )
    }

    /// trigger → hot? then telegram, else (vip-or-negative? then in_app, else nothing);
    /// both paths also lead into the webhook action.
    fn graph() -> Graph {
        Graph {
            name: "g".into(),
            nodes: vec![
                Node::trigger("t"),
                Node::condition("hot", Condition::new("score", Op::Gte, 80)),
                Node::branch("either", Match::Any, vec!["vip".into(), "neg".into()]),
                Node::condition("vip", Condition::new("tags", Op::Contains, "vip")),
                Node::condition("neg", Condition::new("sentiment", Op::Eq, "negative")),
                act(
                    "tg",
                    Channel::Telegram {
                        chat_id: "42".into(),
                    },
                    "Hot {{score}} {{customer_phone}}",
                ),
                act("feed", Channel::InApp, "Check {{call_id}}"),
                act("hook", Channel::Webhook { endpoint_id: None }, "{{score}}"),
            ],
            edges: vec![
                Edge::then("t", "hot"),
                Edge::then("hot", "tg"),
                Edge::otherwise("hot", "either"),
                Edge::then("either", "feed"),
                Edge::then("hot", "hook"),
                Edge::then("either", "hook"),
            ],
        }
    }

    fn fired(facts: serde_json::Value) -> Vec<String> {
        evaluate(&graph(), &CallFacts::from_json(&facts))
            .into_iter()
            .map(|f| f.node_id)
            .collect()
    }

    #[test]
    fn sample_graph_is_valid() {
        assert_eq!(graph().validate(), Ok(()));
    }

    #[test]
    fn then_path_fires_with_rendered_message() {
        let firings = evaluate(
            &graph(),
            &CallFacts::from_json(&json!({"score": 91, "customer_phone": "081"})),
        );
        assert_eq!(
            firings[0],
            Firing {
                node_id: "tg".into(),
                channel: ChannelKind::Telegram,
                target: Some("42".into()),
                severity: Severity::Warning,
                digest: Some(Digest::Hour1),
                message: "Hot 91 081".into(),
            }
        );
        assert_eq!(firings.len(), 2);
        assert_eq!(
            (firings[1].node_id.as_str(), firings[1].target.as_deref()),
            ("hook", None)
        );
    }

    #[test]
    fn else_path_and_nested_or() {
        assert_eq!(
            fired(json!({"score": 50, "tags": ["VIP"]})),
            vec!["feed", "hook"]
        );
        assert_eq!(
            fired(json!({"score": 50, "sentiment": "negative"})),
            vec!["feed", "hook"]
        );
        assert_eq!(
            fired(json!({"score": 50, "sentiment": "positive"})),
            Vec::<String>::new()
        );
        assert_eq!(
            fired(json!({})),
            Vec::<String>::new(),
            "missing score takes the else path"
        );
    }

    #[test]
    fn firing_serializes_camel_case() {
        let firings = evaluate(
            &graph(),
            &CallFacts::from_json(&json!({"score": 50, "tags": "vip", "call_id": "c1"})),
        );
        assert_eq!(
            serde_json::to_value(&firings[0]).unwrap(),
            json!({"nodeId": "feed", "channel": "in_app", "target": null, "severity": "warning",
                   "digest": "1h", "message": "Check c1"})
        );
    }

    #[test]
    fn other_events_fire_nothing() {
        let mut g = graph();
        g.nodes[0].kind = NodeKind::Trigger {
            event: "call.started".into(),
        };
        assert!(evaluate(&g, &CallFacts::default()).is_empty());
        g.nodes.remove(0);
        assert!(evaluate(&g, &CallFacts::default()).is_empty());
    }

    #[test]
    fn invalid_graphs_do_not_loop_or_panic() {
        let mut g = graph();
        g.edges.push(Edge::then("tg", "t"));
        g.edges.push(Edge::then("feed", "either"));
        g.nodes
            .push(Node::branch("self", Match::All, vec!["self".into()]));
        g.edges.push(Edge::otherwise("t", "self"));
        g.edges.push(Edge::then("hot", "self"));
        g.edges.push(Edge::otherwise("self", "ghost"));
        g.nodes[5] = act(
            "tg",
            Channel::Telegram {
                chat_id: "42".into(),
            },
            "broken {{",
        );
        let firings = evaluate(&g, &CallFacts::from_json(&json!({"score": 99})));
        let ids: Vec<_> = firings.iter().map(|f| f.node_id.as_str()).collect();
        assert_eq!(ids, vec!["tg", "hook"]);
        assert_eq!(firings[0].message, "broken {{");
    }
}
