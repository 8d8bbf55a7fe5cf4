//! The three operations, written against a small [`Host`] trait so the token
//! cache, the one retry on 401 and the error mapping run natively in tests
//! with a fake 3CX. [`crate::ThreecxCloud`] plugs in the real host.

use serde_json::Value;
use switchboard_sdk::host::http::{HttpError, Response};
use switchboard_sdk::prelude::*;

use crate::cursor::Cursor;
use crate::errors::{api_status, check_baseurl, looks_like_html, transport};
use crate::settings::Settings;
use crate::token::{self, Token};
use crate::{odata, recording};

/// Timeouts (the host caps them with its own limit).
const TOKEN_TIMEOUT_MS: u32 = 15_000;
const API_TIMEOUT_MS: u32 = 30_000;

/// One outbound request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Req {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub timeout_ms: u32,
}

/// What the connector needs from the host.
pub trait Host {
    fn now_ms(&self) -> i64;
    fn state_get(&self, key: &str) -> Option<String>;
    /// Failing to cache only costs a login later: not an error.
    fn state_set(&mut self, key: &str, value: &str);
    fn send(&mut self, req: &Req) -> Result<Response, HttpError>;
}

/// The installation's credentials.
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

pub struct Client<'a, H: Host> {
    pub host: &'a mut H,
    pub settings: &'a Settings,
    pub credentials: &'a Credentials,
}

impl<H: Host> Client<'_, H> {
    fn owner(&self) -> String {
        token::owner(&self.settings.base_url, &self.credentials.client_id)
    }

    /// The cached token when still good, else a new one (cached).
    pub fn token(&mut self, fresh: bool) -> Result<String, ConnectorError> {
        let owner = self.owner();
        if !fresh
            && let Some(t) = self
                .host
                .state_get(token::STATE_KEY)
                .and_then(|s| Token::decode(&s))
            && t.usable(self.host.now_ms(), &owner)
        {
            return Ok(t.access_token);
        }
        let req = Req {
            method: "POST",
            url: format!("{}/connect/token", self.settings.base_url),
            headers: vec![
                ("content-type", "application/x-www-form-urlencoded".into()),
                ("accept", "application/json".into()),
            ],
            body: token::form_body(&self.credentials.client_id, &self.credentials.client_secret)
                .into_bytes(),
            timeout_ms: TOKEN_TIMEOUT_MS,
        };
        let now = self.host.now_ms();
        let resp = self
            .host
            .send(&req)
            .map_err(|e| transport(e, self.settings.host()))?;
        let t = token::parse(&resp, now, &owner, self.settings.host())?;
        self.host.state_set(token::STATE_KEY, &t.encode());
        Ok(t.access_token)
    }

    /// `GET url` with the bearer token, as JSON. A 401 gets one new token and
    /// one retry.
    pub fn get_json(&mut self, url: &str, fresh_token: bool) -> Result<Value, ConnectorError> {
        let mut token = self.token(fresh_token)?;
        let mut retried = false;
        loop {
            let req = Req {
                method: "GET",
                url: url.to_string(),
                headers: vec![
                    ("authorization", format!("Bearer {token}")),
                    ("accept", "application/json".into()),
                ],
                body: Vec::new(),
                timeout_ms: API_TIMEOUT_MS,
            };
            let host = self.settings.host();
            let resp = self.host.send(&req).map_err(|e| transport(e, host))?;
            if resp.status == 401 && !retried {
                retried = true;
                token = self.token(true)?;
                continue;
            }
            if !resp.is_success() {
                return Err(api_status(&resp, host));
            }
            if looks_like_html(&resp) {
                return Err(check_baseurl(host, "HTML instead of JSON from /xapi/v1"));
            }
            return serde_json::from_slice(&resp.body)
                .map_err(|_| check_baseurl(host, "/xapi/v1 did not answer JSON"));
        }
    }

    /// A new token (proves the credentials) and one recording id (proves the
    /// XAPI answers and the client may read recordings).
    pub fn test_connection(&mut self) -> Result<ConnectionInfo, ConnectorError> {
        let url = odata::probe_url(&self.settings.base_url);
        let body = self.get_json(&url, true)?;
        if !body.get("value").is_some_and(Value::is_array) {
            return Err(check_baseurl(
                self.settings.host(),
                "the recordings list has no `value` array",
            ));
        }
        Ok(ConnectionInfo {
            message: format!("Connected to 3CX at {}", self.settings.host()),
        })
    }

    pub fn list(
        &mut self,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<RecordingPage, ConnectorError> {
        let after = cursor.map(Cursor::decode).transpose()?;
        let top = page_size.clamp(1, odata::MAX_PAGE);
        let filter = odata::filter(after.as_ref(), self.settings.sync_from_ms);
        let url = odata::list_url(&self.settings.base_url, top, filter.as_deref());
        let body = self.get_json(&url, false)?;
        recording::page(
            &body,
            after.as_ref(),
            top,
            self.settings.default_country_code.as_deref(),
            self.settings.host(),
        )
    }

    pub fn download(&mut self, recording_id: &str) -> Result<Download, ConnectorError> {
        let id: u64 = recording_id.trim().parse().map_err(|_| {
            ConnectorError::BadRequest(format!(
                "`{recording_id}` is not a 3CX recording id (a number)"
            ))
        })?;
        let token = self.token(false)?;
        Ok(Download {
            method: "GET".into(),
            url: odata::download_url(&self.settings.base_url, id),
            headers: pairs([("authorization", format!("Bearer {token}"))]),
        })
    }
}

#[cfg(test)]
mod tests;
