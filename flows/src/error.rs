//! Save-time errors, each with a stable machine `code()` for the API, a human
//! message (`Display`) and, where there is one, the offending name.
//!
//! Codes are part of the public API contract: the host returns them verbatim
//! in 422 bodies, so they never change once released. [`Problem`] is the
//! ready-made JSON form.

use serde::Serialize;
use thiserror::Error;

use crate::condition::Op;
use crate::field::{Field, FieldType};
use crate::template::Variable;

/// A problem with one message template.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// A placeholder names no known variable (`{{scroe}}`).
    #[error(
        "unknown template variable `{name}` at character {position} (known: {})",
        Variable::known_names()
    )]
    UnknownVariable {
        /// The name as written, whitespace trimmed (empty for `{{}}`).
        name: String,
        /// Character offset of the `{{`.
        position: usize,
    },
    /// A `{{` has no `}}` after it.
    #[error("`{{{{` at character {position} is never closed with `}}}}`")]
    UnclosedVariable {
        /// Character offset of the `{{`.
        position: usize,
    },
}

impl TemplateError {
    /// `unknown_variable` or `unclosed_variable`.
    pub fn code(&self) -> &'static str {
        match self {
            TemplateError::UnknownVariable { .. } => "unknown_variable",
            TemplateError::UnclosedVariable { .. } => "unclosed_variable",
        }
    }

    /// The unknown variable's name.
    pub fn name(&self) -> Option<&str> {
        match self {
            TemplateError::UnknownVariable { name, .. } => Some(name),
            TemplateError::UnclosedVariable { .. } => None,
        }
    }

    /// Character offset of the offending `{{`.
    pub fn position(&self) -> usize {
        match self {
            TemplateError::UnknownVariable { position, .. }
            | TemplateError::UnclosedVariable { position } => *position,
        }
    }
}

/// A problem with one condition, independent of where it sits (a rule's
/// index or a graph's node id is added by [`RuleError`] / [`GraphError`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConditionError {
    /// The field is not a known call fact.
    #[error("unknown field `{field}` (known: {})", Field::known_names())]
    UnknownField {
        /// The field as written.
        field: String,
    },
    /// The operator does not apply to the field's type (`lt` on a string).
    #[error("operator `{op}` is not valid for {field_type} field `{field}` (valid: {})", ops_list(*field_type))]
    InvalidOperator {
        /// The field as written.
        field: String,
        /// The operator used.
        op: Op,
        /// The field's type.
        field_type: FieldType,
    },
    /// The value does not fit the field and operator.
    #[error("`{field} {op}` {reason}")]
    InvalidValue {
        /// The field as written.
        field: String,
        /// The operator used.
        op: Op,
        /// What is wrong with the value.
        reason: String,
    },
}

fn ops_list(ty: FieldType) -> String {
    ty.ops()
        .iter()
        .map(|op| op.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl ConditionError {
    /// `unknown_field`, `invalid_operator` or `invalid_value`.
    pub fn code(&self) -> &'static str {
        match self {
            ConditionError::UnknownField { .. } => "unknown_field",
            ConditionError::InvalidOperator { .. } => "invalid_operator",
            ConditionError::InvalidValue { .. } => "invalid_value",
        }
    }

    /// The field as written.
    pub fn name(&self) -> &str {
        match self {
            ConditionError::UnknownField { field }
            | ConditionError::InvalidOperator { field, .. }
            | ConditionError::InvalidValue { field, .. } => field,
        }
    }
}

/// Why a flat rule cannot be saved (and so cannot be compiled).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    /// The name is empty or only whitespace.
    #[error("the rule needs a name")]
    EmptyName,
    /// Neither `telegramChatIds` nor `discordWebhookIds` has an entry.
    #[error("the rule needs at least one destination in telegramChatIds or discordWebhookIds")]
    NoDestination,
    /// A destination id is empty or only whitespace.
    #[error("{list}[{index}] is empty")]
    InvalidDestination {
        /// `telegramChatIds` or `discordWebhookIds`.
        list: &'static str,
        /// Position in that list.
        index: usize,
    },
    /// The message is empty or only whitespace.
    #[error("the message is empty")]
    EmptyMessage,
    /// The message template does not parse.
    #[error("message: {0}")]
    Template(#[from] TemplateError),
    /// Condition number `index` (0-based) is invalid.
    #[error("condition {index}: {source}")]
    Condition {
        /// Position in `conditions`.
        index: usize,
        /// What is wrong with it.
        source: ConditionError,
    },
}

impl RuleError {
    /// The stable machine code: `empty_name`, `no_destination`,
    /// `invalid_destination`, `empty_message`, a [`TemplateError::code`] or a
    /// [`ConditionError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::EmptyName => "empty_name",
            RuleError::NoDestination => "no_destination",
            RuleError::InvalidDestination { .. } => "invalid_destination",
            RuleError::EmptyMessage => "empty_message",
            RuleError::Template(e) => e.code(),
            RuleError::Condition { source, .. } => source.code(),
        }
    }

    /// The offending name: the field of a bad condition, the unknown template
    /// variable, or the destination list.
    pub fn name(&self) -> Option<&str> {
        match self {
            RuleError::InvalidDestination { list, .. } => Some(list),
            RuleError::Template(e) => e.name(),
            RuleError::Condition { source, .. } => Some(source.name()),
            RuleError::EmptyName | RuleError::NoDestination | RuleError::EmptyMessage => None,
        }
    }

    /// The index of the offending condition or destination.
    pub fn index(&self) -> Option<usize> {
        match self {
            RuleError::Condition { index, .. } | RuleError::InvalidDestination { index, .. } => {
                Some(*index)
            }
            _ => None,
        }
    }

    /// The JSON form for an API error body.
    pub fn problem(&self) -> Problem {
        Problem {
            code: self.code(),
            message: self.to_string(),
            name: self.name().map(str::to_owned),
            index: self.index(),
            node: None,
        }
    }
}

/// One reason a flow graph is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GraphError {
    /// The graph's name is empty or only whitespace.
    #[error("the flow needs a name")]
    EmptyName,
    /// No trigger node.
    #[error("the flow has no trigger node")]
    MissingTrigger,
    /// More than one trigger node.
    #[error("the flow has more than one trigger node: {}", ids.join(", "))]
    MultipleTriggers {
        /// Every trigger's id.
        ids: Vec<String>,
    },
    /// Two nodes share an id.
    #[error("node id `{id}` is used more than once")]
    DuplicateNode {
        /// The repeated id.
        id: String,
    },
    /// An edge or branch child refers to a node that does not exist.
    #[error("`{from}` → `{to}`: there is no node `{missing}`")]
    DanglingEdge {
        /// The edge's source (or the branch).
        from: String,
        /// The edge's target (or the child).
        to: String,
        /// The id that names no node (`from` or `to`).
        missing: String,
    },
    /// Following edges and branch children from `node` leads back to it.
    #[error("node `{node}` is part of a cycle")]
    Cycle {
        /// A node on the cycle.
        node: String,
    },
    /// No path from the trigger reaches the node.
    #[error("node `{node}` cannot be reached from the trigger")]
    UnreachableNode {
        /// The unreachable node.
        node: String,
    },
    /// An edge that the node types forbid.
    #[error("edge `{from}` → `{to}`: {reason}")]
    InvalidEdge {
        /// The edge's source.
        from: String,
        /// The edge's target.
        to: String,
        /// Why it is not allowed.
        reason: String,
    },
    /// A node whose own content is wrong (other than conditions/templates).
    #[error("node `{node}`: {reason}")]
    InvalidNode {
        /// The node's id.
        node: String,
        /// What is wrong.
        reason: String,
    },
    /// The flow has no action node, so it could never notify anyone.
    #[error("the flow has no action node")]
    NoAction,
    /// A condition node's condition is invalid.
    #[error("node `{node}`: {source}")]
    Condition {
        /// The condition node's id.
        node: String,
        /// What is wrong with it.
        source: ConditionError,
    },
    /// An action node's message template is invalid.
    #[error("node `{node}` message: {source}")]
    Template {
        /// The action node's id.
        node: String,
        /// What is wrong with it.
        source: TemplateError,
    },
}

impl GraphError {
    /// The stable machine code: `empty_name`, `missing_trigger`,
    /// `multiple_triggers`, `duplicate_node`, `dangling_edge`, `cycle`,
    /// `unreachable_node`, `invalid_edge`, `invalid_node`, `no_destination`,
    /// a [`ConditionError::code`] or a [`TemplateError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            GraphError::EmptyName => "empty_name",
            GraphError::MissingTrigger => "missing_trigger",
            GraphError::MultipleTriggers { .. } => "multiple_triggers",
            GraphError::DuplicateNode { .. } => "duplicate_node",
            GraphError::DanglingEdge { .. } => "dangling_edge",
            GraphError::Cycle { .. } => "cycle",
            GraphError::UnreachableNode { .. } => "unreachable_node",
            GraphError::InvalidEdge { .. } => "invalid_edge",
            GraphError::InvalidNode { .. } => "invalid_node",
            GraphError::NoAction => "no_destination",
            GraphError::Condition { source, .. } => source.code(),
            GraphError::Template { source, .. } => source.code(),
        }
    }

    /// The node the problem is about, when there is one.
    pub fn node(&self) -> Option<&str> {
        match self {
            GraphError::DuplicateNode { id: node }
            | GraphError::Cycle { node }
            | GraphError::UnreachableNode { node }
            | GraphError::InvalidNode { node, .. }
            | GraphError::Condition { node, .. }
            | GraphError::Template { node, .. } => Some(node),
            GraphError::DanglingEdge { from, to, missing } => {
                Some(if missing == from { to } else { from })
            }
            GraphError::InvalidEdge { from, .. } => Some(from),
            GraphError::EmptyName
            | GraphError::MissingTrigger
            | GraphError::MultipleTriggers { .. }
            | GraphError::NoAction => None,
        }
    }

    /// The offending name: a condition's field, a template variable, or the
    /// missing node id of a dangling edge.
    pub fn name(&self) -> Option<&str> {
        match self {
            GraphError::Condition { source, .. } => Some(source.name()),
            GraphError::Template { source, .. } => source.name(),
            GraphError::DanglingEdge { missing, .. } => Some(missing),
            _ => None,
        }
    }

    /// The JSON form for an API error body.
    pub fn problem(&self) -> Problem {
        Problem {
            code: self.code(),
            message: self.to_string(),
            name: self.name().map(str::to_owned),
            index: None,
            node: self.node().map(str::to_owned),
        }
    }
}

/// Every problem [`crate::Graph::validate`] found, in a stable order (graph
/// name and triggers, then nodes in order, then edges, then reachability).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid flow graph: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct GraphErrors(pub Vec<GraphError>);

impl GraphErrors {
    /// Always `invalid_graph`; the details carry the specific codes.
    pub fn code(&self) -> &'static str {
        "invalid_graph"
    }

    /// The individual problems.
    pub fn errors(&self) -> &[GraphError] {
        &self.0
    }

    /// The individual problems in JSON form.
    pub fn problems(&self) -> Vec<Problem> {
        self.0.iter().map(GraphError::problem).collect()
    }
}

/// An error as the API reports it: `{"code", "message", "name"?, "index"?, "node"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable machine code.
    pub code: &'static str,
    /// Human message.
    pub message: String,
    /// The offending field, variable or list name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The offending condition's (or destination's) index in a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The offending node's id in a graph.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rule_condition_errors_carry_index_name_and_code() {
        let err = RuleError::Condition {
            index: 2,
            source: ConditionError::UnknownField {
                field: "agent".into(),
            },
        };
        assert_eq!(err.code(), "unknown_field");
        assert_eq!(err.name(), Some("agent"));
        assert_eq!(err.index(), Some(2));
        assert!(
            err.to_string()
                .starts_with("condition 2: unknown field `agent`"),
            "{err}"
        );
        let problem = serde_json::to_value(err.problem()).unwrap();
        assert_eq!(problem["code"], json!("unknown_field"));
        assert_eq!(problem["name"], json!("agent"));
        assert_eq!(problem["index"], json!(2));
        assert!(problem.get("node").is_none());
    }

    #[test]
    fn invalid_operator_lists_the_valid_ones() {
        let err = ConditionError::InvalidOperator {
            field: "sentiment".into(),
            op: Op::Lt,
            field_type: FieldType::String,
        };
        assert_eq!(
            err.to_string(),
            "operator `lt` is not valid for string field `sentiment` (valid: eq, ne, contains, in)"
        );
    }

    #[test]
    fn template_errors_display_braces() {
        let err = TemplateError::UnclosedVariable { position: 4 };
        assert_eq!(
            err.to_string(),
            "`{{` at character 4 is never closed with `}}`"
        );
        let err = RuleError::from(TemplateError::UnknownVariable {
            name: "x".into(),
            position: 0,
        });
        assert_eq!((err.code(), err.name()), ("unknown_variable", Some("x")));
    }

    #[test]
    fn graph_errors_wrap_specific_codes() {
        let errs = GraphErrors(vec![
            GraphError::MissingTrigger,
            GraphError::Template {
                node: "a0".into(),
                source: TemplateError::UnknownVariable {
                    name: "x".into(),
                    position: 0,
                },
            },
        ]);
        assert_eq!(errs.code(), "invalid_graph");
        let problems = errs.problems();
        assert_eq!(problems[0].code, "missing_trigger");
        assert_eq!(problems[1].code, "unknown_variable");
        assert_eq!(problems[1].node.as_deref(), Some("a0"));
        assert_eq!(problems[1].name.as_deref(), Some("x"));
        assert!(errs.to_string().contains("no trigger"), "{errs}");
    }
}
