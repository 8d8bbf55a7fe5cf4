//! Unknown keys in a graph's JSON.
//!
//! Nodes and actions deserialize through `#[serde(flatten)]`, which cannot
//! refuse keys it does not know, so a typo would be dropped without a word:
//! `"endpointID"` would make a webhook action with no endpoint (every
//! default endpoint gets it), `"Path": "else"` a `then` edge, `"mode"` an
//! `all` branch. [`unknown_key`] finds such a key before the graph is read.

use serde_json::{Map, Value};

/// Where the first key the graph's JSON does not define is, and what was
/// expected there (`nodes[2]: unknown key "endpointID"; expected …`), or
/// `None`. Shapes that are wrong in other ways are left to deserializing.
pub fn unknown_key(graph: &Value) -> Option<String> {
    let top = graph.as_object()?;
    if let Some(message) = extra(top, &["name", "nodes", "edges"], "the graph") {
        return Some(message);
    }
    let nodes = top.get("nodes").and_then(Value::as_array);
    for (i, node) in nodes.into_iter().flatten().enumerate() {
        let Some(node) = node.as_object() else {
            continue;
        };
        // An unknown type is left to deserializing, which names the type.
        let Some(allowed) = node_keys(node) else {
            continue;
        };
        if let Some(message) = extra(node, &allowed, &format!("nodes[{i}]")) {
            return Some(message);
        }
    }
    let edges = top.get("edges").and_then(Value::as_array);
    for (i, edge) in edges.into_iter().flatten().enumerate() {
        let Some(edge) = edge.as_object() else {
            continue;
        };
        if let Some(message) = extra(edge, &["from", "to", "path"], &format!("edges[{i}]")) {
            return Some(message);
        }
    }
    None
}

/// The keys a node of its `type` (and, for an action, its `channel`) may
/// carry; `None` for a type that does not exist.
fn node_keys(node: &Map<String, Value>) -> Option<Vec<&'static str>> {
    let mut keys = vec!["id", "type"];
    match node.get("type").and_then(Value::as_str)? {
        "trigger" => keys.push("event"),
        "condition" => keys.extend(["field", "op", "value"]),
        "branch" => keys.extend(["match", "children"]),
        "action" => {
            keys.extend(["channel", "message", "severity", "digest"]);
            match node.get("channel").and_then(Value::as_str) {
                Some("telegram") => keys.push("chatId"),
                Some("discord") => keys.push("webhookId"),
                Some("webhook") => keys.push("endpointId"),
                _ => {}
            }
        }
        _ => return None,
    }
    Some(keys)
}

fn extra(object: &Map<String, Value>, allowed: &[&str], place: &str) -> Option<String> {
    let key = object.keys().find(|k| !allowed.contains(&k.as_str()))?;
    let expected = allowed
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!(
        "{place}: unknown key \"{key}\"; expected {expected}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn graph(node: Value, edge: Value) -> Value {
        json!({"name": "n", "nodes": [{"id": "t", "type": "trigger", "event": "call.analysis.finished"}, node],
               "edges": [edge]})
    }

    #[test]
    fn a_misspelt_key_anywhere_is_named_with_its_place() {
        let fine = graph(
            json!({"id": "a", "type": "action", "channel": "webhook", "endpointId": "ep", "message": "m",
                   "severity": "info", "digest": null}),
            json!({"from": "t", "to": "a", "path": "then"}),
        );
        assert_eq!(unknown_key(&fine), None);
        let typo = graph(
            json!({"id": "a", "type": "action", "channel": "webhook", "endpointID": "ep", "message": "m"}),
            json!({"from": "t", "to": "a"}),
        );
        let message = unknown_key(&typo).unwrap();
        assert!(
            message.starts_with("nodes[1]: unknown key \"endpointID\""),
            "{message}"
        );
        let edge = graph(
            json!({"id": "c", "type": "condition", "field": "score", "op": "lt", "value": 50}),
            json!({"from": "t", "to": "c", "Path": "else"}),
        );
        assert!(
            unknown_key(&edge)
                .unwrap()
                .starts_with("edges[0]: unknown key \"Path\"")
        );
        let branch = graph(
            json!({"id": "b", "type": "branch", "mode": "any", "children": []}),
            json!({"from": "t", "to": "b"}),
        );
        assert!(unknown_key(&branch).unwrap().contains("\"mode\""));
        // A chat id on a Discord action is somebody's mistake too.
        let crossed = graph(
            json!({"id": "a", "type": "action", "channel": "discord", "chatId": "c", "message": "m"}),
            json!({"from": "t", "to": "a"}),
        );
        assert!(unknown_key(&crossed).unwrap().contains("\"chatId\""));
        let top = json!({"name": "n", "nodes": [], "edge": []});
        assert!(
            unknown_key(&top)
                .unwrap()
                .starts_with("the graph: unknown key \"edge\"")
        );
    }

    #[test]
    fn an_unknown_type_is_left_to_the_deserializer() {
        let odd = graph(
            json!({"id": "x", "type": "loop", "times": 3}),
            json!({"from": "t", "to": "x"}),
        );
        assert_eq!(unknown_key(&odd), None);
    }
}
