//! Property tests for the rule ↔ graph contract and for evaluation.
//!
//! 1. For every valid rule `r`: `project(compile(r)) == Some(normalize(r))`.
//! 2. For every graph `g` (canonical ones, mutated ones and random ones,
//!    including nested branches, else edges, in-app actions and differing
//!    messages): if `project(g) == Some(r)` then `compile(r) == g`.
//! 3. `evaluate(compile(r), facts)` fires exactly when an independent,
//!    deliberately naive evaluator over the rule says the conditions match,
//!    and then once per distinct destination with the rendered message.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Value, json};
use switchboard_flows::{
    Action, CallFacts, Channel, ChannelKind, Condition, Digest, Edge, Field, FieldType, Graph,
    Match, Node, NodeKind, Op, Rule, Severity, compile, evaluate, normalize, project,
};

const CASES: u32 = 256;

/// Field spellings a rule may use, canonical and aliases.
const FIELD_NAMES: &[&str] = &[
    "score",
    "sentiment",
    "tags",
    "tag",
    "direction",
    "duration",
    "talk_time",
    "talkTime",
    "customer_phone",
    "customerPhone",
    "extension",
    "did",
    "status",
    "outcome",
    "summary",
    "transcript",
    "integration_id",
    "integration_kind",
];

/// A small vocabulary so that generated conditions and facts often agree.
const WORDS: &[&str] = &[
    "positive",
    "negative",
    "Negative",
    "inbound",
    "outbound",
    "vip",
    "VIP",
    "hot",
    "ขาย",
    "a",
    "",
];

const VARIABLES: &[&str] = &[
    "score",
    "sentiment",
    "tags",
    "tag",
    "direction",
    "duration",
    "talk_time",
    "customer_phone",
    "customerPhone",
    "extension",
    "did",
    "status",
    "outcome",
    "summary",
    "transcript",
    "integration_id",
    "integration_kind",
    "call_id",
    "link",
    "call_url",
];

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0i64..=100).prop_map(|n| json!(n)),
        (0u32..=200).prop_map(|n| json!(f64::from(n) / 2.0))
    ]
}

fn word() -> impl Strategy<Value = String> {
    select(WORDS).prop_map(str::to_owned)
}

fn scalar(ty: FieldType) -> BoxedStrategy<Value> {
    match ty {
        FieldType::Number => number().boxed(),
        FieldType::String | FieldType::StringList => word().prop_map(Value::String).boxed(),
    }
}

fn condition() -> impl Strategy<Value = Condition> {
    select(FIELD_NAMES).prop_flat_map(|name| {
        let ty = Field::parse(name).unwrap().field_type();
        select(ty.ops().to_vec()).prop_flat_map(move |op| {
            let value = if op == Op::In {
                prop::collection::vec(scalar(ty), 1..4)
                    .prop_map(Value::Array)
                    .boxed()
            } else {
                scalar(ty)
            };
            value.prop_map(move |v| Condition::new(name, op, v))
        })
    })
}

/// Templates built from brace-free text, harmless lone braces and
/// placeholders with random inner whitespace.
fn message() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-zA-Z0-9 .,!:กขค\n]{0,8}",
        1 => select(&["{ ", " }", "}}", "} "][..]).prop_map(str::to_owned),
        3 => (select(&["", " ", "  ", "\t"][..]), select(VARIABLES), select(&["", " ", "\n"][..]))
            .prop_map(|(a, v, b)| format!("{{{{{a}{v}{b}}}}}")),
    ];
    prop::collection::vec(piece, 1..6)
        .prop_map(|p| p.concat())
        .prop_filter("blank", |m| !m.trim().is_empty())
}

fn ids() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        select(&["1", "2", "-100123", "abc", "x y"][..]).prop_map(str::to_owned),
        0..4,
    )
}

fn severity() -> impl Strategy<Value = Severity> {
    select(&[Severity::Info, Severity::Warning, Severity::Critical][..])
}

fn digest() -> impl Strategy<Value = Option<Digest>> {
    prop_oneof![Just(None), select(&Digest::ALL[..]).prop_map(Some)]
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        "[ ]?[a-zA-Z][a-zA-Z0-9 ]{0,10}",
        prop::collection::vec(condition(), 0..4),
        select(&[Match::All, Match::Any][..]),
        message(),
        ids(),
        ids(),
        severity(),
        digest(),
    )
        .prop_map(
            |(
                name,
                conditions,
                match_mode,
                message,
                telegram_chat_ids,
                discord_webhook_ids,
                severity,
                digest,
            )| {
                Rule {
                    name,
                    conditions,
                    match_mode,
                    message,
                    telegram_chat_ids,
                    discord_webhook_ids,
                    severity,
                    digest,
                }
            },
        )
        .prop_filter("needs a destination", |r| {
            !(r.telegram_chat_ids.is_empty() && r.discord_webhook_ids.is_empty())
        })
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop_oneof![1 => Just(None), 3 => s.prop_map(Some)].boxed()
}

fn facts() -> impl Strategy<Value = CallFacts> {
    let num = || opt(number().prop_map(|v| v.as_f64().unwrap()));
    let text = || opt(word());
    (
        (
            num(),
            num(),
            num(),
            prop::collection::vec(word(), 0..3),
            opt("[a-z0-9-]{1,6}"),
        ),
        (text(), text(), text(), text(), text(), text()),
        (text(), text(), text(), text(), text()),
    )
        .prop_map(
            |(
                (score, duration, talk_time, tags, call_id),
                (sentiment, direction, customer_phone, extension, did, status),
                (outcome, summary, transcript, integration_id, integration_kind),
            )| CallFacts {
                call_id,
                link: None,
                score,
                sentiment,
                tags,
                direction,
                duration,
                talk_time,
                customer_phone,
                extension,
                did,
                status,
                outcome,
                summary,
                transcript,
                integration_id,
                integration_kind,
            },
        )
}

// ---------------------------------------------------------------------------
// An independent, naive reading of the documented semantics.

enum Fact {
    Missing,
    Num(f64),
    Text(String),
    Tags(Vec<String>),
}

fn fact(facts: &CallFacts, name: &str) -> Fact {
    let text = |s: &Option<String>| s.clone().map_or(Fact::Missing, Fact::Text);
    let num = |n: Option<f64>| n.map_or(Fact::Missing, Fact::Num);
    match name {
        "score" => num(facts.score),
        "duration" => num(facts.duration),
        "talk_time" | "talkTime" => num(facts.talk_time),
        "tags" | "tag" => Fact::Tags(facts.tags.clone()),
        "sentiment" => text(&facts.sentiment),
        "direction" => text(&facts.direction),
        "customer_phone" | "customerPhone" => text(&facts.customer_phone),
        "extension" => text(&facts.extension),
        "did" => text(&facts.did),
        "status" => text(&facts.status),
        "outcome" => text(&facts.outcome),
        "summary" => text(&facts.summary),
        "transcript" => text(&facts.transcript),
        "integration_id" => text(&facts.integration_id),
        "integration_kind" => text(&facts.integration_kind),
        "call_id" => text(&facts.call_id),
        "link" | "call_url" => text(&facts.link),
        other => panic!("test vocabulary has no {other}"),
    }
}

fn reference_condition(c: &Condition, facts: &CallFacts) -> bool {
    let values: Vec<&Value> = match &c.value {
        Value::Array(items) => items.iter().collect(),
        v => vec![v],
    };
    match fact(facts, &c.field) {
        Fact::Missing => c.op == Op::Ne,
        Fact::Num(n) => {
            let v = c.value.as_f64().unwrap_or(f64::NAN);
            match c.op {
                Op::Eq => n == v,
                Op::Ne => n != v,
                Op::Lt => n < v,
                Op::Lte => n <= v,
                Op::Gt => n > v,
                Op::Gte => n >= v,
                Op::In => values.iter().any(|x| x.as_f64() == Some(n)),
                Op::Contains => unreachable!(),
            }
        }
        Fact::Text(s) => match c.op {
            Op::Eq => c.value.as_str() == Some(s.as_str()),
            Op::Ne => c.value.as_str() != Some(s.as_str()),
            Op::Contains => s
                .to_lowercase()
                .contains(&c.value.as_str().unwrap().to_lowercase()),
            Op::In => values.iter().any(|x| x.as_str() == Some(s.as_str())),
            _ => unreachable!(),
        },
        Fact::Tags(tags) => {
            let lower: Vec<String> = tags.iter().map(|t| t.to_lowercase()).collect();
            let has = |v: &Value| lower.contains(&v.as_str().unwrap().to_lowercase());
            match c.op {
                Op::Eq | Op::Contains => has(&c.value),
                Op::Ne => !has(&c.value),
                Op::In => values.iter().any(|v| has(v)),
                _ => unreachable!(),
            }
        }
    }
}

fn reference_rule(rule: &Rule, facts: &CallFacts) -> bool {
    match rule.match_mode {
        Match::All => rule
            .conditions
            .iter()
            .all(|c| reference_condition(c, facts)),
        Match::Any => {
            rule.conditions.is_empty()
                || rule
                    .conditions
                    .iter()
                    .any(|c| reference_condition(c, facts))
        }
    }
}

fn reference_render(template: &str, facts: &CallFacts) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").unwrap() + start;
        out.push_str(&match fact(facts, rest[start + 2..end].trim()) {
            Fact::Missing => String::new(),
            Fact::Num(n) if n.fract() == 0.0 => format!("{}", n as i64),
            Fact::Num(n) => n.to_string(),
            Fact::Text(s) => s,
            Fact::Tags(t) => t.join(", "),
        });
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn unique(ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Graph generation: canonical graphs bent out of shape, and random graphs.

fn actions_mut(g: &mut Graph) -> Vec<&mut Action> {
    g.nodes
        .iter_mut()
        .filter_map(|n| match &mut n.kind {
            NodeKind::Action(a) => Some(a),
            _ => None,
        })
        .collect()
}

fn branch_children(g: &mut Graph) -> Option<(&mut Match, &mut Vec<String>)> {
    g.nodes.iter_mut().find_map(|n| match &mut n.kind {
        NodeKind::Branch {
            match_mode,
            children,
        } => Some((match_mode, children)),
        _ => None,
    })
}

fn in_app(message: &str) -> Action {
    Action {
        channel: Channel::InApp,
        message: message.into(),
        severity: Severity::Info,
        digest: None,
    }
}

/// Applies mutation `kind` using `a`/`b` to pick nodes or edges.
fn mutate(g: &mut Graph, kind: usize, a: Index, b: Index) {
    let n = g.nodes.len();
    match kind {
        // An else path from the branch (or a condition step) to a new action.
        0 => {
            let from = if g.node("branch").is_some() {
                "branch"
            } else {
                "trigger"
            };
            g.nodes
                .push(Node::action("else_action", in_app("no match {{score}}")));
            g.edges.push(Edge::otherwise(from, "else_action"));
        }
        // Switch one action to in-app or webhook.
        1 => {
            let mut actions = actions_mut(g);
            let len = actions.len();
            if len > 0 {
                let action = &mut actions[a.index(len)];
                action.channel = if b.index(2) == 0 {
                    Channel::InApp
                } else {
                    Channel::Webhook { endpoint_id: None }
                };
            }
        }
        // Give one action a different message (sometimes the same one).
        2 => {
            let mut actions = actions_mut(g);
            let len = actions.len();
            if len > 0 {
                let text = if b.index(2) == 0 {
                    "Different {{summary}}".to_owned()
                } else {
                    actions[0].message.clone()
                };
                actions[a.index(len)].message = text;
            }
        }
        // Nest a new OR branch under the branch (or add a first branch).
        3 => {
            g.nodes
                .push(Node::branch("nested", Match::Any, vec!["extra".into()]));
            g.nodes.push(Node::condition(
                "extra",
                Condition::new("direction", Op::Eq, "inbound"),
            ));
            if let Some((_, children)) = branch_children(g) {
                children.push("nested".into());
            } else {
                g.edges.push(Edge::then("trigger", "nested"));
            }
        }
        // Rename a node and everything that refers to it.
        4 => {
            let old = g.nodes[a.index(n)].id.clone();
            let new = format!("n{}", b.index(100));
            for node in &mut g.nodes {
                if node.id == old {
                    node.id.clone_from(&new);
                }
                if let NodeKind::Branch { children, .. } = &mut node.kind {
                    children
                        .iter_mut()
                        .filter(|c| **c == old)
                        .for_each(|c| c.clone_from(&new));
                }
            }
            for edge in &mut g.edges {
                if edge.from == old {
                    edge.from.clone_from(&new);
                }
                if edge.to == old {
                    edge.to.clone_from(&new);
                }
            }
        }
        // Reorder nodes.
        5 => g.nodes.swap(a.index(n), b.index(n)),
        // Drop an edge.
        6 => {
            if !g.edges.is_empty() {
                let i = a.index(g.edges.len());
                g.edges.remove(i);
            }
        }
        // Change one action's severity or digest.
        7 => {
            let mut actions = actions_mut(g);
            let len = actions.len();
            if len > 0 {
                let action = &mut actions[a.index(len)];
                if b.index(2) == 0 {
                    action.severity = Severity::Critical;
                } else {
                    action.digest = Some(Digest::Hours12);
                }
            }
        }
        // A second branch path into the actions.
        8 => {
            g.nodes.push(Node::condition(
                "second",
                Condition::new("score", Op::Lt, 10),
            ));
            g.edges.push(Edge::then("trigger", "second"));
            if let Some(first_action) = g
                .nodes
                .iter()
                .find(|n| matches!(n.kind, NodeKind::Action(_)))
            {
                let to = first_action.id.clone();
                g.edges.push(Edge::then("second", to));
            }
        }
        // Flip the branch's AND/OR, or reverse its children.
        9 => {
            if let Some((match_mode, children)) = branch_children(g) {
                if b.index(2) == 0 {
                    *match_mode = if *match_mode == Match::All {
                        Match::Any
                    } else {
                        Match::All
                    };
                } else {
                    children.reverse();
                }
            }
        }
        // Duplicate an edge.
        10 => {
            if !g.edges.is_empty() {
                let e = g.edges[a.index(g.edges.len())].clone();
                g.edges.push(e);
            }
        }
        // Change a condition's value.
        11 => {
            if let Some(NodeKind::Condition(c)) = g.nodes.get_mut(a.index(n)).map(|n| &mut n.kind) {
                c.value = json!(["changed"]);
            }
        }
        // Pad the name.
        12 => g.name.push(' '),
        // Add a canonical-looking extra telegram action.
        _ => {
            let message = actions_mut(g)
                .first()
                .map(|a| a.message.clone())
                .unwrap_or_default();
            let id = format!(
                "a{}",
                g.nodes
                    .iter()
                    .filter(|n| matches!(n.kind, NodeKind::Action(_)))
                    .count()
            );
            let from = if g.node("branch").is_some() {
                "branch"
            } else {
                "trigger"
            };
            let action = Action {
                channel: Channel::Telegram {
                    chat_id: "new".into(),
                },
                message,
                severity: Severity::Info,
                digest: None,
            };
            g.nodes.push(Node::action(id.clone(), action));
            g.edges.push(Edge::then(from, id));
        }
    }
}

fn mutated_graph() -> impl Strategy<Value = Graph> {
    (
        rule(),
        prop::collection::vec((0usize..14, any::<Index>(), any::<Index>()), 0..4),
    )
        .prop_map(|(r, steps)| {
            let mut g = compile(&r).unwrap();
            for (kind, a, b) in steps {
                mutate(&mut g, kind, a, b);
            }
            g
        })
}

const RANDOM_IDS: &[&str] = &["trigger", "branch", "c0", "c1", "a0", "a1", "x"];

fn random_node() -> impl Strategy<Value = Node> {
    let id = select(RANDOM_IDS).prop_map(str::to_owned);
    let kind = prop_oneof![
        Just(NodeKind::Trigger {
            event: switchboard_flows::TRIGGER_EVENT.into()
        }),
        condition().prop_map(NodeKind::Condition),
        (
            select(&[Match::All, Match::Any][..]),
            prop::collection::vec(select(RANDOM_IDS).prop_map(str::to_owned), 0..3)
        )
            .prop_map(|(match_mode, children)| NodeKind::Branch {
                match_mode,
                children
            }),
        (
            select(&["1", "2"][..]),
            select(&["Hi {{score}}", "Yo"][..]),
            0..3usize
        )
            .prop_map(|(target, message, channel)| {
                let channel = match channel {
                    0 => Channel::Telegram {
                        chat_id: target.into(),
                    },
                    1 => Channel::Discord {
                        webhook_id: target.into(),
                    },
                    _ => Channel::InApp,
                };
                NodeKind::Action(Action {
                    channel,
                    message: message.into(),
                    severity: Severity::Info,
                    digest: None,
                })
            }),
    ];
    (id, kind).prop_map(|(id, kind)| Node { id, kind })
}

fn random_graph() -> impl Strategy<Value = Graph> {
    let edge =
        (select(RANDOM_IDS), select(RANDOM_IDS), any::<bool>()).prop_map(|(from, to, then)| {
            if then {
                Edge::then(from, to)
            } else {
                Edge::otherwise(from, to)
            }
        });
    (
        select(&["g", "Hot"][..]),
        prop::collection::vec(random_node(), 1..7),
        prop::collection::vec(edge, 0..7),
    )
        .prop_map(|(name, nodes, edges)| Graph {
            name: name.into(),
            nodes,
            edges,
        })
}

fn any_graph() -> impl Strategy<Value = Graph> {
    prop_oneof![3 => mutated_graph(), 1 => random_graph()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Property 1.
    #[test]
    fn project_inverts_compile(r in rule()) {
        let g = compile(&r).unwrap();
        prop_assert_eq!(g.validate(), Ok(()));
        prop_assert_eq!(project(&g), Some(normalize(&r)));
        // The JSON forms round-trip too.
        let back: Graph = serde_json::from_value(serde_json::to_value(&g).unwrap()).unwrap();
        prop_assert_eq!(&back, &g);
        let back: Rule = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        prop_assert_eq!(back, r);
    }

    /// Property 2.
    #[test]
    fn compile_inverts_project(g in any_graph()) {
        if let Some(r) = project(&g) {
            prop_assert_eq!(compile(&r), Ok(g.clone()));
            prop_assert_eq!(r.normalized(), r);
            prop_assert_eq!(g.validate(), Ok(()));
        }
        // Whatever the shape, evaluation is total.
        let _ = evaluate(&g, &CallFacts::default());
    }

    /// Property 3, one condition at a time (denser coverage of each op).
    #[test]
    fn conditions_agree_with_a_naive_evaluator(c in condition(), facts in facts()) {
        prop_assert_eq!(c.matches(&facts), reference_condition(&c, &facts));
    }

    /// Property 3.
    #[test]
    fn evaluate_agrees_with_a_naive_evaluator(r in rule(), facts in facts()) {
        let firings = evaluate(&compile(&r).unwrap(), &facts);
        if reference_rule(&r, &facts) {
            let expected: Vec<(ChannelKind, String)> = unique(&r.telegram_chat_ids)
                .into_iter()
                .map(|id| (ChannelKind::Telegram, id))
                .chain(unique(&r.discord_webhook_ids).into_iter().map(|id| (ChannelKind::Discord, id)))
                .collect();
            let got: Vec<(ChannelKind, String)> =
                firings.iter().map(|f| (f.channel, f.target.clone().unwrap())).collect();
            prop_assert_eq!(got, expected);
            let message = reference_render(&r.message, &facts);
            for f in &firings {
                prop_assert_eq!(&f.message, &message);
                prop_assert_eq!(f.severity, r.severity);
                prop_assert_eq!(f.digest, r.digest);
            }
        } else {
            prop_assert!(firings.is_empty(), "fired {:?}", firings);
        }
    }
}

/// Guards property 2 against vacuity: the generator does produce graphs that
/// project (canonical ones and harmless mutations) and ones that do not.
#[test]
fn graph_generator_covers_both_outcomes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = any_graph();
    let (mut projected, mut advanced) = (0, 0);
    for _ in 0..CASES {
        let g = strategy.new_tree(&mut runner).unwrap().current();
        if project(&g).is_some() {
            projected += 1;
        } else {
            advanced += 1;
        }
    }
    assert!(
        projected >= 20,
        "only {projected} of {CASES} generated graphs project"
    );
    assert!(
        advanced >= 20,
        "only {advanced} of {CASES} generated graphs are advanced"
    );
}

/// Guards property 3 against vacuity: rules with conditions both match and
/// miss generated calls often.
#[test]
fn evaluation_generator_covers_both_outcomes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = (
        rule().prop_filter("has conditions", |r| !r.conditions.is_empty()),
        facts(),
    );
    let (mut fire, mut silent) = (0, 0);
    for _ in 0..CASES {
        let (r, facts) = strategy.new_tree(&mut runner).unwrap().current();
        if reference_rule(&r, &facts) {
            fire += 1;
        } else {
            silent += 1;
        }
    }
    assert!(
        fire >= 20 && silent >= 20,
        "{fire} matching and {silent} missing of {CASES}"
    );
}
