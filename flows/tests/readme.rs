//! Keeps the JSON examples in README.md true: they parse, validate and
//! behave as the text says.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use switchboard_flows::{CallFacts, Graph, Rule, compile, evaluate, project};

fn json_blocks() -> Vec<Value> {
    include_str!("../README.md")
        .split("```json\n")
        .skip(1)
        .map(|block| serde_json::from_str(block.split("```").next().unwrap()).unwrap())
        .collect()
}

#[test]
fn rule_example_compiles_and_projects_back() {
    let rule: Rule = serde_json::from_value(json_blocks()[0].clone()).unwrap();
    let graph = compile(&rule).unwrap();
    assert_eq!(project(&graph), Some(rule.clone()));
    assert_eq!(serde_json::to_value(&rule).unwrap(), json_blocks()[0]);
}

#[test]
fn graph_example_is_valid_advanced_and_fires_as_documented() {
    let blocks = json_blocks();
    let graph: Graph = serde_json::from_value(blocks[1].clone()).unwrap();
    assert_eq!(graph.validate(), Ok(()));
    assert_eq!(project(&graph), None);
    assert_eq!(serde_json::to_value(&graph).unwrap(), blocks[1]);

    let hot = CallFacts::from_json(&json!({"score": 91, "customer_phone": "0812345678"}));
    let firings = evaluate(&graph, &hot);
    assert_eq!(firings.len(), 1);
    assert_eq!(serde_json::to_value(&firings[0]).unwrap(), blocks[2]);

    let ids = |facts: Value| -> Vec<String> {
        evaluate(&graph, &CallFacts::from_json(&facts))
            .into_iter()
            .map(|f| f.node_id)
            .collect()
    };
    assert_eq!(
        ids(json!({"score": 40, "tags": ["VIP"]})),
        vec!["feed", "hook"]
    );
    assert_eq!(
        ids(json!({"score": 40, "sentiment": "positive"})),
        Vec::<String>::new()
    );
}
