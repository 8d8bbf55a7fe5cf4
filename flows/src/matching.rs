//! What each operator means for each field type: the single place that
//! decides whether a condition holds for a call.
//!
//! - Numbers compare numerically.
//! - Strings: `eq`/`ne`/`in` are exact and case-sensitive; `contains` is a
//!   case-insensitive substring test.
//! - Tags: `eq` and `contains` mean "has the tag", `ne` "does not have it",
//!   `in` "has any of them"; tag comparison is case-insensitive.
//! - A missing fact makes every operator false except `ne`, which is true
//!   ("sentiment is not negative" holds for a call without a sentiment).
//!   No tags counts as an empty list, which gives the same answers.
//! - An invalid condition (unknown field, wrong operator or value) never
//!   holds; validation rejects those at save time anyway.

use serde_json::Value;

use crate::condition::{Condition, Op};
use crate::facts::{CallFacts, FactValue};

impl Condition {
    /// Whether the condition holds for the call.
    pub fn matches(&self, facts: &CallFacts) -> bool {
        let Ok(field) = self.check() else {
            return false;
        };
        match facts.get(field) {
            None => self.op == Op::Ne,
            Some(FactValue::Number(n)) => number(n, self.op, &self.value),
            Some(FactValue::Text(s)) => text(s, self.op, &self.value),
            Some(FactValue::List(items)) => list(items, self.op, &self.value),
        }
    }
}

fn number(fact: f64, op: Op, value: &Value) -> bool {
    if op == Op::In {
        return elements(value).any(|v| v.as_f64() == Some(fact));
    }
    let Some(v) = value.as_f64() else {
        return false;
    };
    match op {
        Op::Eq => fact == v,
        Op::Ne => fact != v,
        Op::Lt => fact < v,
        Op::Lte => fact <= v,
        Op::Gt => fact > v,
        Op::Gte => fact >= v,
        Op::Contains | Op::In => false,
    }
}

fn text(fact: &str, op: Op, value: &Value) -> bool {
    if op == Op::In {
        return elements(value).any(|v| v.as_str() == Some(fact));
    }
    let Some(v) = value.as_str() else {
        return false;
    };
    match op {
        Op::Eq => fact == v,
        Op::Ne => fact != v,
        Op::Contains => fact.to_lowercase().contains(&v.to_lowercase()),
        Op::Lt | Op::Lte | Op::Gt | Op::Gte | Op::In => false,
    }
}

fn list(items: &[String], op: Op, value: &Value) -> bool {
    let has = |tag: &str| {
        let tag = tag.to_lowercase();
        items.iter().any(|item| item.to_lowercase() == tag)
    };
    match op {
        Op::In => elements(value).filter_map(Value::as_str).any(has),
        Op::Eq | Op::Contains => value.as_str().is_some_and(has),
        Op::Ne => value.as_str().is_some_and(|v| !has(v)),
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => false,
    }
}

fn elements(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn facts() -> CallFacts {
        CallFacts {
            score: Some(75.0),
            duration: Some(120.5),
            sentiment: Some("Negative".into()),
            tags: vec!["VIP".into(), "follow-up".into()],
            summary: Some("ลูกค้าสนใจ Condo".into()),
            direction: Some("inbound".into()),
            ..Default::default()
        }
    }

    fn holds(field: &str, op: Op, value: Value) -> bool {
        Condition::new(field, op, value).matches(&facts())
    }

    #[test]
    fn number_ops() {
        assert!(holds("score", Op::Eq, json!(75)));
        assert!(holds("score", Op::Eq, json!(75.0)));
        assert!(!holds("score", Op::Eq, json!(76)));
        assert!(holds("score", Op::Ne, json!(76)));
        assert!(!holds("score", Op::Ne, json!(75)));
        assert!(holds("score", Op::Lt, json!(80)));
        assert!(!holds("score", Op::Lt, json!(75)));
        assert!(holds("score", Op::Lte, json!(75)));
        assert!(!holds("score", Op::Lte, json!(74.9)));
        assert!(holds("score", Op::Gt, json!(74.5)));
        assert!(!holds("score", Op::Gt, json!(75)));
        assert!(holds("score", Op::Gte, json!(75)));
        assert!(!holds("score", Op::Gte, json!(75.1)));
        assert!(holds("score", Op::In, json!([1, 75])));
        assert!(!holds("score", Op::In, json!([1, 2])));
        assert!(holds("duration", Op::Gt, json!(120)));
    }

    #[test]
    fn string_ops() {
        assert!(holds("sentiment", Op::Eq, json!("Negative")));
        assert!(
            !holds("sentiment", Op::Eq, json!("negative")),
            "eq is case-sensitive"
        );
        assert!(holds("sentiment", Op::Ne, json!("negative")));
        assert!(!holds("sentiment", Op::Ne, json!("Negative")));
        assert!(
            holds("sentiment", Op::Contains, json!("NEG")),
            "contains ignores case"
        );
        assert!(holds("summary", Op::Contains, json!("condo")));
        assert!(holds("summary", Op::Contains, json!("สนใจ")));
        assert!(!holds("summary", Op::Contains, json!("house")));
        assert!(holds("direction", Op::In, json!(["outbound", "inbound"])));
        assert!(!holds("direction", Op::In, json!(["Inbound"])));
    }

    #[test]
    fn tag_ops() {
        assert!(
            holds("tags", Op::Contains, json!("vip")),
            "membership ignores case"
        );
        assert!(holds("tag", Op::Eq, json!("Follow-Up")));
        assert!(
            !holds("tags", Op::Contains, json!("fol")),
            "no substring matching on tags"
        );
        assert!(holds("tags", Op::Ne, json!("spam")));
        assert!(!holds("tags", Op::Ne, json!("vip")));
        assert!(holds("tags", Op::In, json!(["spam", "vip"])));
        assert!(!holds("tags", Op::In, json!(["spam"])));
    }

    #[test]
    fn missing_facts_fail_everything_but_ne() {
        let none = CallFacts::default();
        let cases = [
            ("talk_time", json!(1), json!([1])),
            ("outcome", json!("sold"), json!(["sold"])),
            ("tags", json!("vip"), json!(["vip"])),
        ];
        for (field, scalar, array) in cases {
            for op in Op::ALL {
                let value = if op == Op::In {
                    array.clone()
                } else {
                    scalar.clone()
                };
                let c = Condition::new(field, op, value);
                if c.check().is_err() {
                    continue;
                }
                assert_eq!(c.matches(&none), op == Op::Ne, "{field} {op}");
            }
        }
    }

    #[test]
    fn invalid_conditions_never_hold() {
        assert!(!holds("mood", Op::Ne, json!("x")));
        assert!(!holds("sentiment", Op::Lt, json!("x")));
        assert!(!holds("score", Op::Ne, json!("x")));
        assert!(!Condition::new("talk_time", Op::Ne, json!("x")).matches(&CallFacts::default()));
    }
}
