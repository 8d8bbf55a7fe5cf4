//! The host's capabilities, wrapped for Rust: the only way a connector reaches
//! anything outside its own memory.

use crate::bindings::capabilities::switchboard::connector as caps;

pub mod http {
    //! Outbound HTTP through the host. The host enforces the installation's
    //! egress allow-list, refuses private addresses, follows no redirects and
    //! caps sizes. A refused destination ends the call (a limit breach the
    //! host reports), so there is nothing to handle for it here.

    use super::caps::http_client;
    use crate::types::{ConnectorError, Pair};

    pub use http_client::{Error as HttpError, Response};

    /// A request being built.
    #[derive(Debug, Clone)]
    pub struct Request {
        inner: http_client::Request,
    }

    impl Request {
        pub fn new(method: &str, url: &str) -> Self {
            Request {
                inner: http_client::Request {
                    method: method.to_string(),
                    url: url.to_string(),
                    headers: Vec::new(),
                    body: Vec::new(),
                    timeout_ms: None,
                },
            }
        }
        pub fn get(url: &str) -> Self {
            Self::new("GET", url)
        }
        pub fn post(url: &str) -> Self {
            Self::new("POST", url)
        }
        pub fn header(mut self, name: &str, value: &str) -> Self {
            self.inner.headers.push(Pair {
                name: name.to_string(),
                value: value.to_string(),
            });
            self
        }
        pub fn bearer(self, token: &str) -> Self {
            self.header("authorization", &format!("Bearer {token}"))
        }
        pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
            self.inner.body = body.into();
            self
        }
        pub fn json(self, value: &serde_json::Value) -> Self {
            self.header("content-type", "application/json")
                .body(value.to_string())
        }
        pub fn timeout_ms(mut self, ms: u32) -> Self {
            self.inner.timeout_ms = Some(ms);
            self
        }
        pub fn send(&self) -> Result<Response, HttpError> {
            http_client::send(&self.inner)
        }
    }

    impl Response {
        pub fn is_success(&self) -> bool {
            (200..300).contains(&self.status)
        }
        pub fn header(&self, name: &str) -> Option<&str> {
            crate::types::find(&self.headers, name)
        }
        pub fn text(&self) -> String {
            String::from_utf8_lossy(&self.body).into_owned()
        }
        pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConnectorError> {
            serde_json::from_slice(&self.body)
                .map_err(|e| ConnectorError::Upstream(format!("invalid JSON from vendor: {e}")))
        }
    }

    impl HttpError {
        /// The natural [`ConnectorError`] for a failed request.
        pub fn into_connector_error(self) -> ConnectorError {
            match self {
                HttpError::TooLarge(n) => {
                    ConnectorError::Upstream(format!("response too large ({n} bytes)"))
                }
                HttpError::Timeout => ConnectorError::Unreachable("request timed out".into()),
                HttpError::Connect(m) => ConnectorError::Unreachable(m),
                HttpError::InvalidRequest(m) => {
                    ConnectorError::Config(format!("invalid request: {m}"))
                }
            }
        }
    }
}

pub mod log {
    //! Structured logs, tagged by the host with tenant, installation and component.

    pub use super::caps::log::Level;
    use crate::types::pairs;

    pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
        super::caps::log::log(level, message, &pairs(fields.iter().copied()));
    }
    pub fn debug(message: &str) {
        log(Level::Debug, message, &[]);
    }
    pub fn info(message: &str) {
        log(Level::Info, message, &[]);
    }
    pub fn warn(message: &str) {
        log(Level::Warn, message, &[]);
    }
    pub fn error(message: &str) {
        log(Level::Error, message, &[]);
    }
}

pub mod clock {
    /// Milliseconds since the Unix epoch, UTC.
    pub fn now_ms() -> i64 {
        super::caps::clock::now()
    }
}

pub mod state {
    //! Per-installation key-value state (cursors, cached tokens).

    pub fn get(key: &str) -> Option<String> {
        super::caps::state::get(key)
    }
    pub fn set(key: &str, value: &str) -> Result<(), String> {
        super::caps::state::set(key, value)
    }
    pub fn delete(key: &str) -> Result<(), String> {
        super::caps::state::delete(key)
    }
}

pub mod config {
    //! The installation's settings and secrets.

    use crate::types::ConnectorError;

    pub fn get(key: &str) -> Option<String> {
        super::caps::config::get(key)
    }
    pub fn secret(key: &str) -> Option<String> {
        super::caps::config::secret(key)
    }
    /// A setting that must be present.
    pub fn require(key: &str) -> Result<String, ConnectorError> {
        get(key).ok_or_else(|| ConnectorError::Config(format!("setting `{key}` is missing")))
    }
    /// A secret that must be present.
    pub fn require_secret(key: &str) -> Result<String, ConnectorError> {
        secret(key).ok_or_else(|| ConnectorError::Config(format!("secret `{key}` is missing")))
    }
}

pub mod directory {
    //! The tenant's people and customers.

    use crate::types::{Contact, DirectoryUser};

    pub fn list_users() -> Vec<DirectoryUser> {
        super::caps::directory::list_users()
    }
    /// Contacts and companies with this E.164 number.
    pub fn find_contacts(phone_e164: &str) -> Vec<Contact> {
        super::caps::directory::find_contacts(phone_e164)
    }
    pub fn find_user_by_extension(extension: &str) -> Option<DirectoryUser> {
        super::caps::directory::find_user_by_extension(extension)
    }
}
