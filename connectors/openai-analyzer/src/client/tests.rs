//! `analyze` against a fake OpenAI-compatible API.

#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;

use serde_json::{Value, json};

use super::*;
use crate::analysis::tests::call;
use crate::errors::tests::headers;

/// Answers in order; every request recorded. Out of answers: a 404 page.
#[derive(Default)]
struct Fake {
    answers: VecDeque<Result<Response, HttpError>>,
    sent: Vec<Req>,
}

impl Fake {
    fn answer(mut self, answer: Result<Response, HttpError>) -> Self {
        self.answers.push_back(answer);
        self
    }
    fn status(self, status: u16, content_type: &str, body: &str) -> Self {
        self.answer(Ok(Response {
            status,
            headers: headers(content_type),
            body: body.as_bytes().to_vec(),
        }))
    }
    /// A chat completion whose message content is `content`.
    fn completion(self, content: &str) -> Self {
        let body = json!({
            "id": "chatcmpl-abc",
            "object": "chat.completion",
            "created": 1_714_557_600,
            "model": "gpt-4o-mini-2024-07-18",
            "system_fingerprint": "fp_1",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 912, "completion_tokens": 85, "total_tokens": 997}
        });
        self.status(200, "application/json", &body.to_string())
    }
    fn body(&self, i: usize) -> Value {
        serde_json::from_slice(&self.sent[i].body).unwrap()
    }
}

impl Host for Fake {
    fn send(&mut self, req: &Req) -> Result<Response, HttpError> {
        self.sent.push(req.clone());
        self.answers.pop_front().unwrap_or_else(|| {
            Ok(Response {
                status: 404,
                headers: headers("text/html"),
                body: b"<html>404</html>".to_vec(),
            })
        })
    }
}

fn settings() -> Settings {
    Settings {
        base_url: "https://api.openai.com/v1".into(),
        model: "gpt-4o-mini".into(),
        stt_model: "whisper-1".into(),
        language: None,
    }
}

const ANSWER: &str = r#"{"summary":"Asked for a quote; a callback is agreed.","score":78,"sentiment":"positive","tags":["pricing","callback"],"language":"en","model":"gpt-4o","cost":0.01}"#;

fn run(fake: &mut Fake, transcript: Option<&str>) -> Result<AnalysisResult, ConnectorError> {
    analyze(fake, &settings(), "sk-test", call(transcript, None))
}

#[test]
fn exact_request_and_result() {
    let mut fake = Fake::default().completion(ANSWER);
    let r = run(&mut fake, Some("Hello, I need a quote for 20 chairs.")).unwrap();

    assert_eq!(fake.sent.len(), 1);
    let req = &fake.sent[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.url, "https://api.openai.com/v1/chat/completions");
    assert_eq!(
        req.headers,
        [
            ("authorization", "Bearer sk-test".to_string()),
            ("content-type", "application/json".to_string()),
            ("accept", "application/json".to_string()),
        ]
    );
    assert_eq!(req.timeout_ms, 60_000);
    let body = fake.body(0);
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["temperature"], 0);
    assert_eq!(body["response_format"]["type"], "json_object");
    assert!(
        body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .ends_with("Transcript:\nHello, I need a quote for 20 chairs.\n")
    );

    assert_eq!(
        r.transcript.as_deref(),
        Some("Hello, I need a quote for 20 chairs.")
    );
    assert_eq!(
        r.summary.as_deref(),
        Some("Asked for a quote; a callback is agreed.")
    );
    assert_eq!(r.score, Some(78.0));
    assert_eq!(r.sentiment.as_deref(), Some("positive"));
    assert_eq!(r.tags, ["pricing", "callback"]);
    // The reply's model and usage, and the answer's own model and cost, are
    // nowhere in the result.
    let names: Vec<&str> = r.attributes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["language"]);
    assert!(
        r.attributes
            .iter()
            .all(|p| !p.value.contains("gpt") && !p.value.contains("997"))
    );
}

#[test]
fn configured_model_is_sent() {
    let mut fake = Fake::default().completion(ANSWER);
    let mut s = settings();
    s.model = "llama-3.1-70b".into();
    s.base_url = "http://llm.example.com:8000/v1".into();
    analyze(&mut fake, &s, "k", call(Some("hi"), None)).unwrap();
    assert_eq!(
        fake.sent[0].url,
        "http://llm.example.com:8000/v1/chat/completions"
    );
    assert_eq!(fake.body(0)["model"], "llama-3.1-70b");
}

#[test]
fn summary_only_is_analysed_and_no_transcript_is_passed_on() {
    let mut fake = Fake::default().completion(ANSWER);
    let r = analyze(
        &mut fake,
        &settings(),
        "k",
        call(None, Some("Customer asked about delivery times.")),
    )
    .unwrap();
    assert_eq!(r.transcript, None);
    let user = fake.body(0)["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(user.contains("Summary by the phone system:\nCustomer asked about delivery times."));
}

#[test]
fn nothing_to_analyse() {
    for transcript in [None, Some(""), Some("  \n ")] {
        let mut fake = Fake::default();
        let err = run(&mut fake, transcript).unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m == "nothing to analyse: the call has no transcript"),
            "{err:?}"
        );
        assert!(fake.sent.is_empty());
    }
}

#[test]
fn refused_parameters_are_dropped_once_each() {
    let mut fake = Fake::default()
        .status(
            400,
            "application/json",
            r#"{"error":{"message":"Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is supported.","type":"invalid_request_error","param":"temperature","code":"unsupported_value"}}"#,
        )
        .status(
            400,
            "application/json",
            r#"{"error":{"message":"response_format is not supported by this server","type":"invalid_request_error","param":null,"code":null}}"#,
        )
        .completion(&format!("```json\n{ANSWER}\n```"));
    let r = run(&mut fake, Some("hi")).unwrap();
    assert_eq!(r.score, Some(78.0));
    assert_eq!(fake.sent.len(), 3);
    assert_eq!(fake.body(0)["temperature"], 0);
    assert!(fake.body(1).get("temperature").is_none());
    assert!(fake.body(1).get("response_format").is_some());
    assert!(fake.body(2).get("temperature").is_none());
    assert!(fake.body(2).get("response_format").is_none());

    // A parameter refused again is not retried a second time.
    let refuse = r#"{"error":{"message":"temperature is not allowed","param":"temperature"}}"#;
    let mut fake = Fake::default()
        .status(400, "application/json", refuse)
        .status(400, "application/json", refuse);
    let err = run(&mut fake, Some("hi")).unwrap_err();
    assert!(
        matches!(err, ConnectorError::BadRequest(ref m) if m.contains("temperature is not allowed"))
    );
    assert_eq!(fake.sent.len(), 2);
}

/// What a failure must look like.
type Check = fn(&ConnectorError) -> bool;

#[test]
fn http_failures() {
    let cases: Vec<(Fake, Check)> = vec![
        (
            Fake::default().status(401, "application/json", r#"{"error":{"message":"Incorrect API key provided: sk-te***st."}}"#),
            |e| matches!(e, ConnectorError::BadCredentials(m) if m == "the API rejected the key"),
        ),
        (
            Fake::default().status(429, "application/json", r#"{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}"#),
            |e| matches!(e, ConnectorError::Upstream(m) if m.contains("HTTP 429") && m.ends_with("try again later")),
        ),
        (
            Fake::default().status(503, "text/html", "<html>Service Unavailable</html>"),
            |e| matches!(e, ConnectorError::Upstream(m) if m == "the API at api.openai.com answered HTTP 503; try again later"),
        ),
        (
            Fake::default().status(400, "application/json", r#"{"error":{"message":"This model's maximum context length is 128000 tokens.","code":"context_length_exceeded"}}"#),
            |e| matches!(e, ConnectorError::BadRequest(m) if m.contains("maximum context length")),
        ),
        (
            Fake::default().status(404, "application/json", r#"{"error":{"message":"The model `gpt-9` does not exist","code":"model_not_found"}}"#),
            |e| matches!(e, ConnectorError::Config(m) if m.contains("`model` setting")),
        ),
        (
            Fake::default().status(404, "text/html", "<html>Not Found</html>"),
            |e| matches!(e, ConnectorError::Upstream(m) if m.ends_with("check baseUrl")),
        ),
        (
            Fake::default().status(200, "text/html", "<!DOCTYPE html><html>Sign in</html>"),
            |e| matches!(e, ConnectorError::Upstream(m) if m.contains("does not answer like an OpenAI-compatible API") && m.ends_with("check baseUrl")),
        ),
        (
            Fake::default().completion("Sorry, I can only answer in prose."),
            |e| matches!(e, ConnectorError::Upstream(m) if m.starts_with("the model did not return the expected JSON: ")),
        ),
        (
            Fake::default().answer(Err(HttpError::Connect("dns error: no such host".into()))),
            |e| matches!(e, ConnectorError::Unreachable(m) if m.contains("api.openai.com") && m.contains("dns error")),
        ),
        (
            Fake::default().answer(Err(HttpError::Timeout)),
            |e| matches!(e, ConnectorError::Unreachable(m) if m == "api.openai.com did not answer in time"),
        ),
    ];
    for (mut fake, expected) in cases {
        let err = run(&mut fake, Some("hi")).unwrap_err();
        assert!(expected(&err), "{err:?}");
        assert_eq!(fake.sent.len(), 1, "{err:?}");
    }
}

#[test]
fn debug_output_hides_the_key() {
    let mut fake = Fake::default().completion(ANSWER);
    run(&mut fake, Some("hi")).unwrap();
    let debug = format!("{:?}", fake.sent[0]);
    assert!(!debug.contains("sk-test"), "{debug}");
    assert!(debug.contains("/chat/completions"));
}
