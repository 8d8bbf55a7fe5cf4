//! The call facts a condition can test, and the type of each.
//!
//! Fields are typed so that a rule is checked when it is saved, not when a
//! call arrives: `lt` on a string or a text value on `score` is a mistake the
//! user should hear about at once (422), rather than a rule that silently never
//! fires.

use std::fmt;

use crate::condition::Op;

/// The type of a call fact; it decides which operators and values a condition
/// on the field may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A JSON number (score 0-100, seconds for durations).
    Number,
    /// A string, compared exactly (`eq`/`ne`/`in`) or case-insensitively (`contains`).
    String,
    /// A list of strings (tags), tested for membership case-insensitively.
    StringList,
}

impl FieldType {
    /// The operators a condition on a field of this type may use.
    pub fn ops(self) -> &'static [Op] {
        match self {
            FieldType::Number => &[Op::Eq, Op::Ne, Op::Lt, Op::Lte, Op::Gt, Op::Gte, Op::In],
            FieldType::String => &[Op::Eq, Op::Ne, Op::Contains, Op::In],
            FieldType::StringList => &[Op::Eq, Op::Ne, Op::Contains, Op::In],
        }
    }

    /// Whether `op` may be used on a field of this type.
    pub fn allows(self, op: Op) -> bool {
        self.ops().contains(&op)
    }

    /// The lowercase name used in error messages and docs.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Number => "number",
            FieldType::String => "string",
            FieldType::StringList => "string-list",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A call fact that conditions test and templates print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Analysis score, 0-100.
    Score,
    /// Analyser sentiment (`positive`, `neutral`, `negative`, or whatever it says).
    Sentiment,
    /// Tags attached by the analysis.
    Tags,
    /// `inbound`, `outbound`, `internal` or `unknown`.
    Direction,
    /// Call length in seconds.
    Duration,
    /// Talk time in seconds.
    TalkTime,
    /// The customer's phone number as the PBX reported it.
    CustomerPhone,
    /// The agent's extension.
    Extension,
    /// The dialled number (DID).
    Did,
    /// The call status reported by the PBX.
    Status,
    /// The outcome from the analysis.
    Outcome,
    /// The analysis summary.
    Summary,
    /// The transcript text.
    Transcript,
    /// The id of the integration the call came through.
    IntegrationId,
    /// The kind of that integration (e.g. `threecx-webhooks`).
    IntegrationKind,
}

impl Field {
    /// Every field, in documentation order.
    pub const ALL: [Field; 15] = [
        Field::Score,
        Field::Sentiment,
        Field::Tags,
        Field::Direction,
        Field::Duration,
        Field::TalkTime,
        Field::CustomerPhone,
        Field::Extension,
        Field::Did,
        Field::Status,
        Field::Outcome,
        Field::Summary,
        Field::Transcript,
        Field::IntegrationId,
        Field::IntegrationKind,
    ];

    /// The canonical (snake_case) name, as stored in a normalized rule.
    pub fn name(self) -> &'static str {
        match self {
            Field::Score => "score",
            Field::Sentiment => "sentiment",
            Field::Tags => "tags",
            Field::Direction => "direction",
            Field::Duration => "duration",
            Field::TalkTime => "talk_time",
            Field::CustomerPhone => "customer_phone",
            Field::Extension => "extension",
            Field::Did => "did",
            Field::Status => "status",
            Field::Outcome => "outcome",
            Field::Summary => "summary",
            Field::Transcript => "transcript",
            Field::IntegrationId => "integration_id",
            Field::IntegrationKind => "integration_kind",
        }
    }

    /// Looks a field up by its canonical name or an accepted alias: `tag` for
    /// `tags` (people write "tag contains vip"), and the camelCase spelling of
    /// the multi-word names because the rest of the rule JSON is camelCase.
    pub fn parse(name: &str) -> Option<Field> {
        let alias = match name {
            "tag" => Some(Field::Tags),
            "talkTime" => Some(Field::TalkTime),
            "customerPhone" => Some(Field::CustomerPhone),
            "integrationId" => Some(Field::IntegrationId),
            "integrationKind" => Some(Field::IntegrationKind),
            _ => None,
        };
        alias.or_else(|| Field::ALL.into_iter().find(|f| f.name() == name))
    }

    /// The type of the fact, which fixes the valid operators and values.
    pub fn field_type(self) -> FieldType {
        match self {
            Field::Score | Field::Duration | Field::TalkTime => FieldType::Number,
            Field::Tags => FieldType::StringList,
            _ => FieldType::String,
        }
    }

    /// The canonical names of all fields, comma-joined, for error messages.
    pub fn known_names() -> String {
        Field::ALL.map(Field::name).join(", ")
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_canonical_name_parses_back() {
        for field in Field::ALL {
            assert_eq!(Field::parse(field.name()), Some(field));
        }
    }

    #[test]
    fn aliases_resolve_to_canonical_fields() {
        assert_eq!(Field::parse("tag"), Some(Field::Tags));
        assert_eq!(Field::parse("talkTime"), Some(Field::TalkTime));
        assert_eq!(Field::parse("customerPhone"), Some(Field::CustomerPhone));
        assert_eq!(Field::parse("integrationId"), Some(Field::IntegrationId));
        assert_eq!(
            Field::parse("integrationKind"),
            Some(Field::IntegrationKind)
        );
        assert_eq!(Field::parse("Score"), None);
        assert_eq!(Field::parse("agent"), None);
    }

    #[test]
    fn types_decide_operators() {
        assert_eq!(Field::Score.field_type(), FieldType::Number);
        assert_eq!(Field::Tags.field_type(), FieldType::StringList);
        assert_eq!(Field::Sentiment.field_type(), FieldType::String);
        assert!(FieldType::Number.allows(Op::Lt));
        assert!(!FieldType::Number.allows(Op::Contains));
        assert!(!FieldType::String.allows(Op::Gte));
        assert!(FieldType::StringList.allows(Op::Contains));
        assert!(!FieldType::StringList.allows(Op::Lt));
    }
}
