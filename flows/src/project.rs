//! Graph → rule: shows a stored automation in the flat rules API.
//!
//! Only canonical graphs project, i.e. exactly what [`compile`] produces for
//! some rule (same node ids, order and edges). That makes the round trip
//! exact by construction: whenever `project(g)` is `Some(r)`,
//! `compile(&r) == Ok(g)`. Anything else — nested AND/OR, `else` paths,
//! in-app or webhook actions, differing messages/severities/digests per
//! action, several branches, or simply a graph drawn in the UI with its own
//! node ids — projects to `None`, which the API reports as
//! `rule: null, advanced: true`.

use crate::compile::compile;
use crate::graph::{Channel, Graph, NodeKind};
use crate::rule::Rule;

/// The flat rule `graph` was compiled from, or `None` when it is not a
/// canonical rule graph.
pub fn project(graph: &Graph) -> Option<Rule> {
    let candidate = extract(graph)?;
    let canonical = compile(&candidate).ok()?;
    (canonical == *graph).then_some(candidate)
}

/// Reads a candidate rule off the graph, assuming the canonical shape;
/// [`project`] then checks the assumption by recompiling.
fn extract(graph: &Graph) -> Option<Rule> {
    let mut rule = Rule {
        name: graph.name.clone(),
        conditions: Vec::new(),
        match_mode: Default::default(),
        message: String::new(),
        telegram_chat_ids: Vec::new(),
        discord_webhook_ids: Vec::new(),
        severity: Default::default(),
        digest: None,
    };
    if let Some((match_mode, children)) = graph.nodes.iter().find_map(|n| match &n.kind {
        NodeKind::Branch {
            match_mode,
            children,
        } => Some((*match_mode, children)),
        _ => None,
    }) {
        rule.match_mode = match_mode;
        for child in children {
            match &graph.node(child)?.kind {
                NodeKind::Condition(c) => rule.conditions.push(c.clone()),
                _ => return None,
            }
        }
    }
    let mut first = true;
    for node in &graph.nodes {
        let NodeKind::Action(action) = &node.kind else {
            continue;
        };
        if first {
            rule.message.clone_from(&action.message);
            rule.severity = action.severity;
            rule.digest = action.digest;
            first = false;
        }
        match &action.channel {
            Channel::Telegram { chat_id } => rule.telegram_chat_ids.push(chat_id.clone()),
            Channel::Discord { webhook_id } => rule.discord_webhook_ids.push(webhook_id.clone()),
            Channel::InApp | Channel::Webhook { .. } => return None,
        }
    }
    Some(rule)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::condition::{Condition, Match, Op};
    use crate::graph::{Action, Edge, Node};

    fn rule() -> Rule {
        serde_json::from_value(json!({
            "name": "Hot",
            "conditions": [
                {"field": "score", "op": "gte", "value": 80},
                {"field": "tags", "op": "contains", "value": "vip"}
            ],
            "message": "Score {{score}}",
            "telegramChatIds": ["tg1", "tg2"],
            "discordWebhookIds": ["dw1"]
        }))
        .unwrap()
    }

    fn graph() -> Graph {
        compile(&rule()).unwrap()
    }

    fn action_mut<'g>(g: &'g mut Graph, id: &str) -> &'g mut Action {
        match g.nodes.iter_mut().find(|n| n.id == id).map(|n| &mut n.kind) {
            Some(NodeKind::Action(a)) => a,
            _ => panic!("no action {id}"),
        }
    }

    #[test]
    fn canonical_graphs_project_back() {
        assert_eq!(project(&graph()), Some(rule()));
        let tag_alias = Rule {
            conditions: vec![Condition::new("tag", Op::Contains, "vip")],
            ..rule()
        };
        assert_eq!(
            project(&compile(&tag_alias).unwrap()),
            Some(tag_alias.normalized())
        );
        let no_conditions = Rule {
            conditions: vec![],
            ..rule()
        };
        assert_eq!(
            project(&compile(&no_conditions).unwrap()),
            Some(no_conditions)
        );
    }

    #[test]
    fn nested_branches_are_advanced() {
        let mut g = graph();
        g.nodes
            .push(Node::branch("inner", Match::Any, vec!["c2".into()]));
        g.nodes.push(Node::condition(
            "c2",
            Condition::new("direction", Op::Eq, "inbound"),
        ));
        if let NodeKind::Branch { children, .. } = &mut g.nodes[1].kind {
            children.push("inner".into());
        }
        assert_eq!(g.validate(), Ok(()));
        assert_eq!(project(&g), None);
    }

    #[test]
    fn else_edges_are_advanced() {
        let mut g = graph();
        g.edges.push(Edge::otherwise("branch", "a2"));
        assert_eq!(project(&g), None);
    }

    #[test]
    fn in_app_and_webhook_actions_are_advanced() {
        let mut g = graph();
        action_mut(&mut g, "a2").channel = Channel::InApp;
        assert_eq!(project(&g), None);
        let mut g = graph();
        action_mut(&mut g, "a0").channel = Channel::Webhook {
            endpoint_id: Some("e".into()),
        };
        assert_eq!(project(&g), None);
    }

    #[test]
    fn differing_actions_are_advanced() {
        let mut g = graph();
        action_mut(&mut g, "a1").message = "Other {{score}}".into();
        assert_eq!(project(&g), None);
        let mut g = graph();
        action_mut(&mut g, "a2").severity = crate::Severity::Critical;
        assert_eq!(project(&g), None);
    }

    #[test]
    fn several_branch_paths_are_advanced() {
        let mut g = graph();
        g.nodes
            .insert(2, Node::branch("branch2", Match::All, vec!["c1".into()]));
        if let NodeKind::Branch { children, .. } = &mut g.nodes[1].kind {
            children.pop();
        }
        g.edges.push(Edge::then("trigger", "branch2"));
        g.edges.push(Edge::then("branch2", "a0"));
        assert_eq!(g.validate(), Ok(()));
        assert_eq!(project(&g), None);
    }

    #[test]
    fn non_canonical_ids_or_order_are_advanced() {
        let mut g = graph();
        g.nodes[0].id = "start".into();
        for e in &mut g.edges {
            if e.from == "trigger" {
                e.from = "start".into();
            }
        }
        assert_eq!(g.validate(), Ok(()));
        assert_eq!(project(&g), None);
        let mut g = graph();
        g.nodes.swap(4, 5);
        assert_eq!(project(&g), None);
        let mut g = graph();
        g.name = " Hot".into();
        assert_eq!(project(&g), None);
    }

    #[test]
    fn invalid_canonical_looking_graphs_do_not_project() {
        let mut g = graph();
        action_mut(&mut g, "a0").message = "{{nope}}".into();
        action_mut(&mut g, "a1").message = "{{nope}}".into();
        action_mut(&mut g, "a2").message = "{{nope}}".into();
        assert_eq!(project(&g), None);
    }
}
