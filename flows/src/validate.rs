//! Save-time checks for flow graphs.
//!
//! Validation reports every problem at once (a graph editor wants to mark all
//! bad nodes, not the first one), in a stable order: graph name and triggers,
//! then each node, then each edge, then cycles and reachability.

use std::collections::{HashMap, HashSet};

use crate::error::{GraphError, GraphErrors};
use crate::graph::{Action, EdgePath, Graph, Node, NodeKind, TRIGGER_EVENT};
use crate::template;

impl Graph {
    /// Checks the graph can be stored and run: one trigger on
    /// [`TRIGGER_EVENT`], unique non-empty node ids, valid conditions and
    /// templates, actions with targets, at least one action, edges and
    /// branch children that name existing nodes of the right kinds, no
    /// cycles, and every node reachable from the trigger.
    pub fn validate(&self) -> Result<(), GraphErrors> {
        let mut v = Validator::new(self);
        v.check_name_and_triggers();
        v.check_nodes();
        v.check_edges();
        v.check_cycles_and_reachability();
        if v.errors.is_empty() {
            Ok(())
        } else {
            Err(GraphErrors(v.errors))
        }
    }
}

struct Validator<'g> {
    graph: &'g Graph,
    /// First node for each id.
    by_id: HashMap<&'g str, &'g Node>,
    /// Operand id → the branch that lists it (the first, if several do).
    parent: HashMap<&'g str, &'g str>,
    errors: Vec<GraphError>,
}

impl<'g> Validator<'g> {
    fn new(graph: &'g Graph) -> Self {
        let mut by_id = HashMap::new();
        for node in &graph.nodes {
            by_id.entry(node.id.as_str()).or_insert(node);
        }
        Validator {
            graph,
            by_id,
            parent: HashMap::new(),
            errors: Vec::new(),
        }
    }

    fn check_name_and_triggers(&mut self) {
        if self.graph.name.trim().is_empty() {
            self.errors.push(GraphError::EmptyName);
        }
        let triggers: Vec<String> = self
            .graph
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Trigger { .. }))
            .map(|n| n.id.clone())
            .collect();
        match triggers.len() {
            0 => self.errors.push(GraphError::MissingTrigger),
            1 => {}
            _ => self
                .errors
                .push(GraphError::MultipleTriggers { ids: triggers }),
        }
        if !self
            .graph
            .nodes
            .iter()
            .any(|n| matches!(n.kind, NodeKind::Action(_)))
        {
            self.errors.push(GraphError::NoAction);
        }
    }

    fn check_nodes(&mut self) {
        let mut seen = HashSet::new();
        let mut reported = HashSet::new();
        for node in &self.graph.nodes {
            let id = node.id.as_str();
            if id.trim().is_empty() {
                self.invalid_node(id, "node ids must not be empty".to_owned());
            }
            if !seen.insert(id) && reported.insert(id) {
                self.errors
                    .push(GraphError::DuplicateNode { id: id.to_owned() });
            }
            match &node.kind {
                NodeKind::Trigger { event } => {
                    if event != TRIGGER_EVENT {
                        self.invalid_node(id, format!("unknown trigger event `{event}` (the only one is `{TRIGGER_EVENT}`)"));
                    }
                }
                NodeKind::Condition(condition) => {
                    if let Err(source) = condition.check() {
                        self.errors.push(GraphError::Condition {
                            node: id.to_owned(),
                            source,
                        });
                    }
                }
                NodeKind::Branch { children, .. } => self.check_children(id, children),
                NodeKind::Action(action) => self.check_action(id, action),
            }
        }
    }

    fn check_action(&mut self, id: &str, action: &Action) {
        // Telegram/Discord targets are required by deserialization; an
        // explicit but blank id (including a webhook endpointId) is caught here.
        if action.channel.target().is_some_and(|t| t.trim().is_empty()) {
            let reason = format!(
                "the {} action's target id is empty",
                action.channel.kind().name()
            );
            self.invalid_node(id, reason);
        }
        if action.message.trim().is_empty() {
            self.invalid_node(id, "the message is empty".to_owned());
        } else if let Err(source) = template::validate(&action.message) {
            self.errors.push(GraphError::Template {
                node: id.to_owned(),
                source,
            });
        }
    }

    fn check_children(&mut self, branch: &'g str, children: &'g [String]) {
        if children.is_empty() {
            self.invalid_node(branch, "a branch needs at least one child".to_owned());
        }
        let mut listed = HashSet::new();
        for child in children {
            let child = child.as_str();
            if !listed.insert(child) {
                self.invalid_node(branch, format!("child `{child}` is listed twice"));
                continue;
            }
            let Some(node) = self.by_id.get(child) else {
                self.errors.push(GraphError::DanglingEdge {
                    from: branch.to_owned(),
                    to: child.to_owned(),
                    missing: child.to_owned(),
                });
                continue;
            };
            if !matches!(node.kind, NodeKind::Condition(_) | NodeKind::Branch { .. }) {
                self.invalid_node(
                    branch,
                    format!("child `{child}` must be a condition or branch node"),
                );
                continue;
            }
            if let Some(other) = self.parent.get(child) {
                let reason = format!("`{child}` is already a child of branch `{other}`");
                self.invalid_node(branch, reason);
                continue;
            }
            self.parent.insert(child, branch);
        }
    }

    fn check_edges(&mut self) {
        let mut seen = HashSet::new();
        for edge in &self.graph.edges {
            let (from, to) = (edge.from.as_str(), edge.to.as_str());
            let invalid = |reason: &str| GraphError::InvalidEdge {
                from: from.to_owned(),
                to: to.to_owned(),
                reason: reason.to_owned(),
            };
            let (Some(source), Some(target)) = (self.by_id.get(from), self.by_id.get(to)) else {
                for missing in [from, to]
                    .into_iter()
                    .filter(|id| !self.by_id.contains_key(id))
                {
                    self.errors.push(GraphError::DanglingEdge {
                        from: from.to_owned(),
                        to: to.to_owned(),
                        missing: missing.to_owned(),
                    });
                }
                continue;
            };
            let error = if !seen.insert(edge) {
                Some(invalid("the edge is repeated"))
            } else if matches!(source.kind, NodeKind::Action(_)) {
                Some(invalid("actions have no outgoing edges"))
            } else if matches!(target.kind, NodeKind::Trigger { .. }) {
                Some(invalid("no edge may lead into the trigger"))
            } else if matches!(source.kind, NodeKind::Trigger { .. }) && edge.path == EdgePath::Else
            {
                Some(invalid("the trigger has no else path"))
            } else if let Some((operand, branch)) = [from, to]
                .into_iter()
                .find_map(|id| self.parent.get(id).map(|b| (id, *b)))
            {
                Some(invalid(&format!(
                    "`{operand}` is a child of branch `{branch}` and cannot have edges"
                )))
            } else {
                None
            };
            self.errors.extend(error);
        }
    }

    /// Successors of each node: edge targets and branch children (both must be
    /// acyclic and both make a node reachable).
    fn successors(&self) -> HashMap<&'g str, Vec<&'g str>> {
        let mut next: HashMap<&str, Vec<&str>> = HashMap::new();
        for edge in &self.graph.edges {
            if self.by_id.contains_key(edge.to.as_str()) {
                next.entry(edge.from.as_str())
                    .or_default()
                    .push(edge.to.as_str());
            }
        }
        for node in &self.graph.nodes {
            if let NodeKind::Branch { children, .. } = &node.kind {
                let existing = children
                    .iter()
                    .map(String::as_str)
                    .filter(|c| self.by_id.contains_key(c));
                next.entry(node.id.as_str()).or_default().extend(existing);
            }
        }
        next
    }

    fn check_cycles_and_reachability(&mut self) {
        let next = self.successors();
        let ids: Vec<&str> = self.graph.nodes.iter().map(|n| n.id.as_str()).collect();

        // Iterative three-colour DFS; a grey target closes a cycle.
        let mut colour: HashMap<&str, u8> = HashMap::new(); // 1 = on stack, 2 = done
        let mut on_cycle: Vec<&str> = Vec::new();
        for &start in &ids {
            if colour.contains_key(start) {
                continue;
            }
            colour.insert(start, 1);
            let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
            while let Some((node, i)) = stack.pop() {
                let succ = next.get(node).map_or(&[][..], Vec::as_slice);
                if let Some(&child) = succ.get(i) {
                    stack.push((node, i + 1));
                    match colour.get(child) {
                        None => {
                            colour.insert(child, 1);
                            stack.push((child, 0));
                        }
                        Some(1) if !on_cycle.contains(&child) => on_cycle.push(child),
                        _ => {}
                    }
                } else {
                    colour.insert(node, 2);
                }
            }
        }
        self.errors.extend(
            on_cycle
                .into_iter()
                .map(|n| GraphError::Cycle { node: n.to_owned() }),
        );

        // Reachability from every trigger (one when valid; all when there are
        // several, so that problem is not drowned in follow-on errors).
        let triggers: Vec<&str> = self
            .graph
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Trigger { .. }))
            .map(|n| n.id.as_str())
            .collect();
        if triggers.is_empty() {
            return;
        }
        let mut reached: HashSet<&str> = triggers.iter().copied().collect();
        let mut queue = triggers;
        while let Some(node) = queue.pop() {
            for &child in next.get(node).map_or(&[][..], Vec::as_slice) {
                if reached.insert(child) {
                    queue.push(child);
                }
            }
        }
        let mut reported = HashSet::new();
        for id in ids {
            if !reached.contains(id) && reported.insert(id) {
                self.errors.push(GraphError::UnreachableNode {
                    node: id.to_owned(),
                });
            }
        }
    }

    fn invalid_node(&mut self, node: &str, reason: String) {
        self.errors.push(GraphError::InvalidNode {
            node: node.to_owned(),
            reason,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::{Condition, Match, Op};
    use crate::delivery::Severity;
    use crate::graph::{Channel, Edge};

    fn action(channel: Channel, message: &str) -> Node {
        Node {
            id: String::new(),
            kind: NodeKind::Action(Action {
                channel,
                message: message.into(),
                severity: Severity::Info,
                digest: None,
            }),
        }
    }

    fn with_id(mut node: Node, id: &str) -> Node {
        node.id = id.into();
        node
    }

    fn tg(id: &str) -> Node {
        with_id(
            action(
                Channel::Telegram {
                    chat_id: "1".into(),
                },
                "Score {{score}}",
            ),
            id,
        )
    }

    /// trigger → c (then a1, else a2).
    fn valid() -> Graph {
        Graph {
            name: "g".into(),
            nodes: vec![
                Node::trigger("t"),
                Node::condition("c", Condition::new("score", Op::Gte, 80)),
                tg("a1"),
                with_id(action(Channel::InApp, "low {{score}}"), "a2"),
            ],
            edges: vec![
                Edge::then("t", "c"),
                Edge::then("c", "a1"),
                Edge::otherwise("c", "a2"),
            ],
        }
    }

    fn codes(g: &Graph) -> Vec<&'static str> {
        match g.validate() {
            Ok(()) => vec![],
            Err(e) => e.0.iter().map(GraphError::code).collect(),
        }
    }

    #[test]
    fn accepts_then_else_and_nested_branches() {
        assert_eq!(codes(&valid()), Vec::<&str>::new());
        let mut g = valid();
        g.nodes.push(Node::branch(
            "b",
            Match::Any,
            vec!["inner".into(), "c2".into()],
        ));
        g.nodes
            .push(Node::branch("inner", Match::All, vec!["c3".into()]));
        g.nodes.push(Node::condition(
            "c2",
            Condition::new("tag", Op::Contains, "vip"),
        ));
        g.nodes.push(Node::condition(
            "c3",
            Condition::new("direction", Op::Eq, "inbound"),
        ));
        g.nodes.push(tg("a3"));
        g.edges.push(Edge::then("t", "b"));
        g.edges.push(Edge::then("b", "a3"));
        g.edges.push(Edge::otherwise("b", "a1"));
        assert_eq!(codes(&g), Vec::<&str>::new());
    }

    #[test]
    fn trigger_count_and_event() {
        let mut g = valid();
        g.nodes.remove(0);
        g.edges.remove(0);
        assert_eq!(codes(&g), vec!["missing_trigger"]);

        let mut g = valid();
        g.nodes.push(Node::trigger("t2"));
        g.edges.push(Edge::then("t2", "a1"));
        let errs = g.validate().unwrap_err();
        assert_eq!(
            errs.0,
            vec![GraphError::MultipleTriggers {
                ids: vec!["t".into(), "t2".into()]
            }]
        );

        let mut g = valid();
        g.nodes[0].kind = NodeKind::Trigger {
            event: "call.started".into(),
        };
        assert_eq!(codes(&g), vec!["invalid_node"]);
    }

    #[test]
    fn duplicate_and_empty_ids() {
        let mut g = valid();
        g.nodes.push(tg("a1"));
        assert_eq!(codes(&g), vec!["duplicate_node"]);
        let mut g = valid();
        g.nodes.push(tg(""));
        g.edges.push(Edge::then("c", ""));
        assert_eq!(codes(&g), vec!["invalid_node"]);
    }

    #[test]
    fn dangling_edges_and_children() {
        let mut g = valid();
        g.edges.push(Edge::then("c", "ghost"));
        g.edges.push(Edge::then("phantom", "a1"));
        let errs = g.validate().unwrap_err();
        assert_eq!(
            errs.0[0],
            GraphError::DanglingEdge {
                from: "c".into(),
                to: "ghost".into(),
                missing: "ghost".into()
            }
        );
        assert_eq!(
            (errs.0[0].name(), errs.0[0].node()),
            (Some("ghost"), Some("c"))
        );
        assert_eq!(
            errs.0[1].to_string(),
            "`phantom` → `a1`: there is no node `phantom`"
        );
        assert_eq!(
            (errs.0[1].name(), errs.0[1].node()),
            (Some("phantom"), Some("a1"))
        );

        let mut g = valid();
        g.nodes
            .push(Node::branch("b", Match::All, vec!["nope".into()]));
        g.edges.push(Edge::then("t", "b"));
        assert_eq!(codes(&g), vec!["dangling_edge"]);
    }

    #[test]
    fn cycles_are_found_through_edges_and_children() {
        let mut g = valid();
        g.nodes
            .push(Node::condition("d", Condition::new("score", Op::Lt, 10)));
        g.edges.push(Edge::then("c", "d"));
        g.edges.push(Edge::then("d", "c"));
        assert_eq!(codes(&g), vec!["cycle"]);

        let mut g = valid();
        g.nodes
            .push(Node::branch("b", Match::All, vec!["b".into()]));
        g.edges.push(Edge::then("t", "b"));
        assert!(codes(&g).contains(&"cycle"), "{:?}", codes(&g));
    }

    #[test]
    fn unreachable_nodes() {
        let mut g = valid();
        g.nodes.push(tg("lonely"));
        g.nodes.push(Node::condition(
            "island",
            Condition::new("score", Op::Lt, 10),
        ));
        g.edges.push(Edge::then("island", "lonely"));
        assert_eq!(codes(&g), vec!["unreachable_node", "unreachable_node"]);
    }

    #[test]
    fn invalid_conditions_and_templates_name_the_node() {
        let mut g = valid();
        g.nodes[1].kind = NodeKind::Condition(Condition::new("mood", Op::Eq, "x"));
        g.nodes[2] = with_id(
            action(
                Channel::Telegram {
                    chat_id: "1".into(),
                },
                "{{ scroe }}",
            ),
            "a1",
        );
        g.nodes[3] = with_id(action(Channel::InApp, "oops {{"), "a2");
        let errs = g.validate().unwrap_err();
        let got: Vec<_> = errs
            .0
            .iter()
            .map(|e| (e.code(), e.node(), e.name()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("unknown_field", Some("c"), Some("mood")),
                ("unknown_variable", Some("a1"), Some("scroe")),
                ("unclosed_variable", Some("a2"), None),
            ]
        );
    }

    #[test]
    fn actions_need_targets_and_messages() {
        let mut g = valid();
        g.nodes[2] = with_id(
            action(
                Channel::Discord {
                    webhook_id: " ".into(),
                },
                "m",
            ),
            "a1",
        );
        g.nodes[3] = with_id(action(Channel::Webhook { endpoint_id: None }, " "), "a2");
        assert_eq!(codes(&g), vec!["invalid_node", "invalid_node"]);

        let g = Graph {
            name: "g".into(),
            nodes: vec![Node::trigger("t")],
            edges: vec![],
        };
        assert_eq!(codes(&g), vec!["no_destination"]);
    }

    #[test]
    fn edge_rules() {
        let mut g = valid();
        g.edges.push(Edge::then("a1", "a2"));
        g.edges.push(Edge::then("c", "t"));
        g.edges.push(Edge::otherwise("t", "a1"));
        g.edges.push(Edge::then("c", "a1"));
        assert_eq!(
            codes(&g),
            vec!["invalid_edge"; 4]
                .into_iter()
                .chain(["cycle"])
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn branch_children_rules() {
        let mut g = valid();
        g.nodes.push(Node::branch("b", Match::All, vec![]));
        g.nodes.push(Node::branch(
            "b2",
            Match::All,
            vec!["c".into(), "a1".into(), "x".into(), "x".into()],
        ));
        g.nodes
            .push(Node::condition("x", Condition::new("score", Op::Lt, 10)));
        g.nodes
            .push(Node::branch("b3", Match::All, vec!["x".into()]));
        g.edges.extend([
            Edge::then("t", "b"),
            Edge::then("t", "b2"),
            Edge::then("t", "b3"),
        ]);
        let errs = g.validate().unwrap_err();
        let reasons: Vec<String> = errs.0.iter().map(ToString::to_string).collect();
        assert_eq!(
            reasons,
            vec![
                "node `b`: a branch needs at least one child",
                "node `b2`: child `a1` must be a condition or branch node",
                "node `b2`: child `x` is listed twice",
                "node `b3`: `x` is already a child of branch `b2`",
                "edge `t` → `c`: `c` is a child of branch `b2` and cannot have edges",
                "edge `c` → `a1`: `c` is a child of branch `b2` and cannot have edges",
                "edge `c` → `a2`: `c` is a child of branch `b2` and cannot have edges",
            ]
        );
    }

    #[test]
    fn reports_everything_at_once() {
        let g = Graph {
            name: " ".into(),
            nodes: vec![Node::condition("c", Condition::new("score", Op::Lt, "x"))],
            edges: vec![Edge::then("c", "c")],
        };
        assert_eq!(
            codes(&g),
            vec![
                "empty_name",
                "missing_trigger",
                "no_destination",
                "invalid_value",
                "cycle"
            ]
        );
    }
}
