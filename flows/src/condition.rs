//! A single test on a call fact (`{field, op, value}`) and how several combine.
//!
//! The field is kept as the string the user sent rather than a [`Field`], so
//! that an unknown field reaches [`Condition::check`] and becomes an
//! `unknown_field` error naming it, instead of an anonymous JSON error.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ConditionError;
use crate::field::{Field, FieldType};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// Equal (numbers numerically, strings exactly; for tags: has the tag).
    Eq,
    /// Not equal (for tags: does not have the tag). True when the fact is missing.
    Ne,
    /// Less than (numbers only).
    Lt,
    /// Less than or equal (numbers only).
    Lte,
    /// Greater than (numbers only).
    Gt,
    /// Greater than or equal (numbers only).
    Gte,
    /// Case-insensitive substring (strings); has the tag (tags).
    Contains,
    /// The fact equals one element of the array value (for tags: has any of them).
    In,
}

impl Op {
    /// Every operator, in documentation order.
    pub const ALL: [Op; 8] = [
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
        Op::Contains,
        Op::In,
    ];

    /// The JSON spelling.
    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Contains => "contains",
            Op::In => "in",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a list of conditions combines: every one must hold, or any one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// AND: all conditions must hold (an empty list holds).
    #[default]
    All,
    /// OR: at least one condition must hold.
    Any,
}

/// One test on a call fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// The fact's name (canonical or alias, see [`Field::parse`]).
    pub field: String,
    /// The comparison.
    pub op: Op,
    /// The operand: a number, a string, or for `in` a non-empty array of them.
    /// Missing in the JSON reads as `null`, which [`Condition::check`] rejects.
    #[serde(default)]
    pub value: Value,
}

impl Condition {
    /// Builds a condition; a convenience for callers and tests.
    pub fn new(field: impl Into<String>, op: Op, value: impl Into<Value>) -> Condition {
        Condition {
            field: field.into(),
            op,
            value: value.into(),
        }
    }

    /// Checks the field is known, the operator fits its type and the value
    /// fits both; returns the resolved field.
    pub fn check(&self) -> Result<Field, ConditionError> {
        let field = Field::parse(&self.field).ok_or_else(|| ConditionError::UnknownField {
            field: self.field.clone(),
        })?;
        let ty = field.field_type();
        if !ty.allows(self.op) {
            return Err(ConditionError::InvalidOperator {
                field: self.field.clone(),
                op: self.op,
                field_type: ty,
            });
        }
        let invalid = |reason: String| ConditionError::InvalidValue {
            field: self.field.clone(),
            op: self.op,
            reason,
        };
        if self.op == Op::In {
            let Value::Array(items) = &self.value else {
                return Err(invalid(format!(
                    "`in` needs an array of {}s, got {}",
                    scalar_name(ty),
                    kind_of(&self.value)
                )));
            };
            if items.is_empty() {
                return Err(invalid("`in` needs at least one value".to_owned()));
            }
            if let Some((i, item)) = items.iter().enumerate().find(|(_, v)| !scalar_fits(ty, v)) {
                return Err(invalid(format!(
                    "element {i} of the array must be a {}, got {}",
                    scalar_name(ty),
                    kind_of(item)
                )));
            }
        } else if !scalar_fits(ty, &self.value) {
            return Err(invalid(format!(
                "needs a {} value, got {}",
                scalar_name(ty),
                kind_of(&self.value)
            )));
        }
        Ok(field)
    }

    /// The same condition with the field spelled canonically (`tag` → `tags`).
    /// Unknown fields are left as they are.
    pub fn normalized(&self) -> Condition {
        let field =
            Field::parse(&self.field).map_or_else(|| self.field.clone(), |f| f.name().to_owned());
        Condition {
            field,
            op: self.op,
            value: self.value.clone(),
        }
    }
}

/// The JSON type a single value of a field of type `ty` must have.
fn scalar_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Number => "number",
        FieldType::String | FieldType::StringList => "string",
    }
}

fn scalar_fits(ty: FieldType, value: &Value) -> bool {
    match ty {
        FieldType::Number => value.is_number(),
        FieldType::String | FieldType::StringList => value.is_string(),
    }
}

/// Describes a JSON value's type for error messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn code(c: Condition) -> &'static str {
        match c.check() {
            Ok(_) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn accepts_every_valid_op_for_each_type() {
        for op in FieldType::Number.ops() {
            let value = if *op == Op::In {
                json!([1, 2.5])
            } else {
                json!(50)
            };
            assert_eq!(
                code(Condition::new("score", *op, value)),
                "ok",
                "score {op}"
            );
        }
        for op in FieldType::String.ops() {
            let value = if *op == Op::In {
                json!(["a", "b"])
            } else {
                json!("a")
            };
            assert_eq!(
                code(Condition::new("sentiment", *op, value)),
                "ok",
                "sentiment {op}"
            );
        }
        for op in FieldType::StringList.ops() {
            let value = if *op == Op::In {
                json!(["vip"])
            } else {
                json!("vip")
            };
            assert_eq!(code(Condition::new("tags", *op, value)), "ok", "tags {op}");
        }
    }

    #[test]
    fn rejects_unknown_field_by_name() {
        let err = Condition::new("agent", Op::Eq, "x").check().unwrap_err();
        assert_eq!(err.code(), "unknown_field");
        assert_eq!(err.name(), "agent");
    }

    #[test]
    fn rejects_ops_that_do_not_fit_the_type() {
        assert_eq!(
            code(Condition::new("sentiment", Op::Lt, "a")),
            "invalid_operator"
        );
        assert_eq!(
            code(Condition::new("score", Op::Contains, 1)),
            "invalid_operator"
        );
        assert_eq!(
            code(Condition::new("tags", Op::Gte, "a")),
            "invalid_operator"
        );
    }

    #[test]
    fn rejects_values_that_do_not_fit() {
        assert_eq!(
            code(Condition::new("score", Op::Gte, "80")),
            "invalid_value"
        );
        assert_eq!(
            code(Condition::new("score", Op::Eq, Value::Null)),
            "invalid_value"
        );
        assert_eq!(
            code(Condition::new("sentiment", Op::Eq, 1)),
            "invalid_value"
        );
        assert_eq!(
            code(Condition::new("tags", Op::Contains, json!(["a"]))),
            "invalid_value"
        );
        assert_eq!(code(Condition::new("score", Op::In, 1)), "invalid_value");
        assert_eq!(
            code(Condition::new("score", Op::In, json!([]))),
            "invalid_value"
        );
        assert_eq!(
            code(Condition::new("score", Op::In, json!([1, "2"]))),
            "invalid_value"
        );
        assert_eq!(
            code(Condition::new("direction", Op::In, "inbound")),
            "invalid_value"
        );
    }

    #[test]
    fn missing_value_reads_as_null_and_is_rejected() {
        let c: Condition = serde_json::from_value(json!({"field": "score", "op": "gt"})).unwrap();
        assert_eq!(c.value, Value::Null);
        let err = c.check().unwrap_err();
        assert_eq!(err.code(), "invalid_value");
        assert!(err.to_string().contains("null"), "{err}");
    }

    #[test]
    fn normalizes_aliases_only() {
        assert_eq!(
            Condition::new("tag", Op::Contains, "vip")
                .normalized()
                .field,
            "tags"
        );
        assert_eq!(
            Condition::new("customerPhone", Op::Eq, "1")
                .normalized()
                .field,
            "customer_phone"
        );
        assert_eq!(
            Condition::new("bogus", Op::Eq, "1").normalized().field,
            "bogus"
        );
    }

    #[test]
    fn serializes_as_field_op_value() {
        let c = Condition::new("score", Op::Gte, 80);
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"field": "score", "op": "gte", "value": 80})
        );
    }
}
