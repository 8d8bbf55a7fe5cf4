//! Message templates: text with `{{variable}}` placeholders for call facts.
//!
//! Templates are parsed when a rule or graph is saved so that a typo such as
//! `{{scroe}}` is a 422 naming the variable, not a notification with a hole
//! in it. At send time rendering cannot fail: a fact the call did not report
//! renders as the empty string.
//!
//! Syntax: `{{name}}`, with optional whitespace inside the braces
//! (`{{ score }}`). Everything outside placeholders is copied verbatim,
//! including single braces and a stray `}}`. A `{{` without a later `}}` is an
//! error. There is no escape for a literal `{{`.

use std::fmt;

use crate::error::TemplateError;
use crate::facts::{CallFacts, FactValue};
use crate::field::Field;

/// Something a placeholder can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variable {
    /// A call fact (also usable in conditions).
    Field(Field),
    /// The call's id: `{{call_id}}`.
    CallId,
    /// A link to the call: `{{link}}`, alias `{{call_url}}`.
    Link,
}

impl Variable {
    /// Looks a placeholder name up: every field name and alias (see
    /// [`Field::parse`]), `call_id`/`callId`, and `link`/`call_url`/`callUrl`.
    /// Names are case-sensitive.
    pub fn parse(name: &str) -> Option<Variable> {
        match name {
            "call_id" | "callId" => Some(Variable::CallId),
            "link" | "call_url" | "callUrl" => Some(Variable::Link),
            _ => Field::parse(name).map(Variable::Field),
        }
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Variable::Field(f) => f.name(),
            Variable::CallId => "call_id",
            Variable::Link => "link",
        }
    }

    /// The canonical names of every variable, comma-joined, for error messages.
    pub fn known_names() -> String {
        format!("call_id, link, {}", Field::known_names())
    }

    /// Renders the variable's value for `facts`; empty when missing.
    fn render(self, facts: &CallFacts, out: &mut String) {
        match self {
            Variable::CallId => out.push_str(facts.call_id.as_deref().unwrap_or_default()),
            Variable::Link => out.push_str(facts.link.as_deref().unwrap_or_default()),
            Variable::Field(field) => match facts.get(field) {
                None => {}
                Some(FactValue::Text(s)) => out.push_str(s),
                Some(FactValue::Number(n)) => out.push_str(&format_number(n)),
                Some(FactValue::List(items)) => out.push_str(&items.join(", ")),
            },
        }
    }
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Verbatim text.
    Text(String),
    /// A placeholder.
    Variable(Variable),
}

/// A parsed, valid template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

impl Template {
    /// The pieces in order (adjacent text is never split).
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The variables used, in order of first use, for UIs that show them.
    pub fn variables(&self) -> Vec<Variable> {
        let mut seen = Vec::new();
        for segment in &self.segments {
            if let Segment::Variable(v) = segment
                && !seen.contains(v)
            {
                seen.push(*v);
            }
        }
        seen
    }

    /// Fills the placeholders from `facts`. Missing facts render as `""`;
    /// integral numbers render without a fraction (`85`, not `85.0`); tags
    /// render comma-joined (`vip, hot`).
    pub fn render(&self, facts: &CallFacts) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Variable(v) => v.render(facts, &mut out),
            }
        }
        out
    }
}

/// Parses `source`; the error names the first unknown variable or the
/// position of an unclosed `{{`.
pub fn parse(source: &str) -> Result<Template, TemplateError> {
    let mut segments = Vec::new();
    let mut rest = source;
    let mut consumed = 0;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            segments.push(Segment::Text(rest[..open].to_owned()));
        }
        let inner = &rest[open + 2..];
        let Some(close) = inner.find("}}") else {
            return Err(TemplateError::UnclosedVariable {
                position: char_position(source, consumed + open),
            });
        };
        let name = inner[..close].trim();
        let variable = Variable::parse(name).ok_or_else(|| TemplateError::UnknownVariable {
            name: name.to_owned(),
            position: char_position(source, consumed + open),
        })?;
        segments.push(Segment::Variable(variable));
        let advance = open + 2 + close + 2;
        consumed += advance;
        rest = &rest[advance..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Text(rest.to_owned()));
    }
    Ok(Template { segments })
}

/// Checks `source` parses, for save-time validation.
pub fn validate(source: &str) -> Result<(), TemplateError> {
    parse(source).map(|_| ())
}

/// Parses and renders in one step.
pub fn render(source: &str, facts: &CallFacts) -> Result<String, TemplateError> {
    parse(source).map(|t| t.render(facts))
}

/// Character (not byte) offset, because messages are often Thai and the
/// position is shown to people.
fn char_position(source: &str, byte: usize) -> usize {
    source[..byte].chars().count()
}

/// Whole numbers without `.0`; others in Rust's shortest round-trip form.
fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> CallFacts {
        CallFacts {
            call_id: Some("c-9".into()),
            link: Some("https://app/calls/c-9".into()),
            score: Some(85.0),
            duration: Some(61.5),
            tags: vec!["vip".into(), "hot".into()],
            customer_phone: Some("0812345678".into()),
            summary: Some("สนใจบ้านเดี่ยว".into()),
            ..Default::default()
        }
    }

    #[test]
    fn renders_fields_with_optional_whitespace() {
        let out = render(
            "Score {{score}} / {{ customer_phone }} / {{\tsummary\n}} / {{tags}} / {{duration}}s",
            &facts(),
        )
        .unwrap();
        assert_eq!(
            out,
            "Score 85 / 0812345678 / สนใจบ้านเดี่ยว / vip, hot / 61.5s"
        );
    }

    #[test]
    fn renders_call_id_link_and_aliases() {
        let out = render(
            "{{call_id}} {{link}} {{call_url}} {{tag}} {{customerPhone}}",
            &facts(),
        )
        .unwrap();
        assert_eq!(
            out,
            "c-9 https://app/calls/c-9 https://app/calls/c-9 vip, hot 0812345678"
        );
    }

    #[test]
    fn missing_facts_render_empty() {
        let out = render(
            "[{{sentiment}}] [{{talk_time}}] [{{tags}}]",
            &CallFacts::default(),
        )
        .unwrap();
        assert_eq!(out, "[] [] []");
    }

    #[test]
    fn text_outside_placeholders_is_verbatim() {
        let src = "a { b } c }} d {x} ";
        assert_eq!(render(src, &facts()).unwrap(), src);
        assert_eq!(render("", &facts()).unwrap(), "");
    }

    #[test]
    fn unknown_variable_is_named() {
        let err = validate("Hi {{ scroe }}").unwrap_err();
        assert_eq!(err.code(), "unknown_variable");
        assert_eq!(err.name(), Some("scroe"));
        assert_eq!(err.position(), 3);
        assert!(err.to_string().contains("scroe"), "{err}");
        assert_eq!(validate("{{}}").unwrap_err().name(), Some(""));
        assert_eq!(
            validate("{{Score}}").unwrap_err().code(),
            "unknown_variable"
        );
    }

    #[test]
    fn unclosed_braces_are_an_error_with_a_char_position() {
        let err = validate("สวัสดี {{score").unwrap_err();
        assert_eq!(err.code(), "unclosed_variable");
        assert_eq!(err.name(), None);
        assert_eq!(err.position(), 7);
        assert_eq!(
            validate("{{score}} {{").unwrap_err().code(),
            "unclosed_variable"
        );
        assert_eq!(
            validate("{{score} }").unwrap_err().code(),
            "unclosed_variable"
        );
    }

    #[test]
    fn lists_variables_once_in_order() {
        let t = parse("{{score}} {{tags}} {{score}} {{tag}}").unwrap();
        assert_eq!(
            t.variables(),
            vec![Variable::Field(Field::Score), Variable::Field(Field::Tags)]
        );
        assert_eq!(t.segments().len(), 7);
    }

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(-3.0), "-3");
        assert_eq!(format_number(0.25), "0.25");
    }
}
