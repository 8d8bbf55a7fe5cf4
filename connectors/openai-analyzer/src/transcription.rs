//! Speech-to-text: the multipart upload the host performs, and the
//! transcript in its reply. The audio never enters the component.

use serde_json::Value;
use switchboard_sdk::prelude::*;

use crate::errors::{Endpoint, api_status, check_baseurl, looks_like_html};
use crate::settings::Settings;

/// The part the audio goes in (OpenAI's `file`).
pub const FILE_FIELD: &str = "file";

/// `POST {baseUrl}/audio/transcriptions` as `multipart/form-data`: `model`,
/// `response_format=json` and, when set, `language`, then the audio as
/// `file`.
pub fn upload(settings: &Settings, api_key: &str) -> Upload {
    let mut fields = vec![
        ("model", settings.stt_model.clone()),
        ("response_format", "json".to_string()),
    ];
    if let Some(language) = &settings.language {
        fields.push(("language", language.clone()));
    }
    Upload {
        url: settings.url(Endpoint::Transcriptions.path()),
        headers: pairs([
            ("authorization", format!("Bearer {api_key}")),
            ("accept", "application/json".to_string()),
        ]),
        file_field: FILE_FIELD.to_string(),
        fields: pairs(fields),
    }
}

/// The transcript (trimmed) of a `{"text": "..."}` reply. A silent recording
/// gives an empty transcript, which is not an error.
pub fn read(reply: &UploadReply, host: &str) -> Result<String, ConnectorError> {
    if !(200..300).contains(&reply.status) {
        return Err(api_status(
            reply.status,
            &reply.headers,
            &reply.body,
            host,
            Endpoint::Transcriptions,
        ));
    }
    if looks_like_html(&reply.headers, &reply.body) {
        return Err(check_baseurl(
            host,
            "an HTML page from /audio/transcriptions",
        ));
    }
    let body: Value = serde_json::from_slice(&reply.body)
        .map_err(|_| check_baseurl(host, "/audio/transcriptions did not answer JSON"))?;
    body.get("text")
        .and_then(Value::as_str)
        .map(|t| t.trim().to_string())
        .ok_or_else(|| check_baseurl(host, "a transcription without `text`"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::errors::tests::headers;

    const H: &str = "api.openai.com";

    fn settings(language: Option<&str>) -> Settings {
        Settings {
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            stt_model: "whisper-1".into(),
            language: language.map(str::to_string),
        }
    }

    fn list(pairs: &[Pair]) -> Vec<(&str, &str)> {
        pairs
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect()
    }

    fn reply(status: u16, content_type: &str, body: &str) -> UploadReply {
        UploadReply {
            status,
            headers: headers(content_type),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn upload_without_language() {
        let u = upload(&settings(None), "sk-test");
        assert_eq!(u.url, "https://api.openai.com/v1/audio/transcriptions");
        assert_eq!(
            list(&u.headers),
            [
                ("authorization", "Bearer sk-test"),
                ("accept", "application/json")
            ]
        );
        assert_eq!(u.file_field, "file");
        assert_eq!(
            list(&u.fields),
            [("model", "whisper-1"), ("response_format", "json")]
        );
    }

    #[test]
    fn upload_with_language_and_custom_model() {
        let mut s = settings(Some("th"));
        s.stt_model = "gpt-4o-transcribe".into();
        s.base_url = "http://stt.example.com:9000".into();
        let u = upload(&s, "k");
        assert_eq!(u.url, "http://stt.example.com:9000/audio/transcriptions");
        assert_eq!(
            list(&u.fields),
            [
                ("model", "gpt-4o-transcribe"),
                ("response_format", "json"),
                ("language", "th")
            ]
        );
    }

    #[test]
    fn reads_the_text() {
        let r = reply(
            200,
            "application/json",
            r#"{"text":"  Hello, this is Anna from Switchboard.\n","usage":{"type":"duration","seconds":12}}"#,
        );
        assert_eq!(
            read(&r, H).unwrap(),
            "Hello, this is Anna from Switchboard."
        );
        // Silence is an empty transcript, not an error.
        assert_eq!(
            read(&reply(200, "application/json", r#"{"text":""}"#), H).unwrap(),
            ""
        );
    }

    #[test]
    fn status_classes() {
        for s in [401, 403] {
            let err = read(&reply(s, "application/json", "{}"), H).unwrap_err();
            assert!(
                matches!(err, ConnectorError::BadCredentials(ref m) if m == "the API rejected the key"),
                "{err:?}"
            );
        }
        for s in [429, 500, 503] {
            let err = read(&reply(s, "text/plain", "busy"), H).unwrap_err();
            assert!(
                matches!(err, ConnectorError::Upstream(ref m) if m.contains(&format!("answered HTTP {s}")) && m.ends_with("try again later")),
                "{err:?}"
            );
        }
        let err = read(
            &reply(
                400,
                "application/json",
                r#"{"error":{"message":"Audio file is too short. Minimum audio length is 0.1 seconds.","type":"invalid_request_error","param":"file","code":"audio_too_short"}}"#,
            ),
            H,
        )
        .unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.ends_with("Audio file is too short. Minimum audio length is 0.1 seconds.")),
            "{err:?}"
        );
        for s in [413, 415] {
            assert!(matches!(
                read(&reply(s, "application/json", "{}"), H),
                Err(ConnectorError::BadRequest(_))
            ));
        }
    }

    #[test]
    fn not_an_openai_api() {
        for r in [
            reply(200, "text/html", "<!DOCTYPE html><html>Welcome</html>"),
            reply(200, "text/plain", "Hello there"),
            reply(200, "application/json", r#"{"transcript":"hi"}"#),
            reply(200, "application/json", r#"{"text":42}"#),
            reply(200, "application/json", ""),
            reply(404, "text/html", "<html>Not Found</html>"),
        ] {
            let err = read(&r, H).unwrap_err();
            assert!(
                matches!(err, ConnectorError::Upstream(ref m) if m.contains("does not answer like an OpenAI-compatible API") && m.ends_with("check baseUrl")),
                "{}: {err:?}",
                r.status
            );
        }
    }
}
