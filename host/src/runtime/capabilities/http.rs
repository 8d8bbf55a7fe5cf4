//! Outbound HTTP for components.
//!
//! Order of checks, all before anything is sent: URL and scheme; the
//! installation's allow-list; a literal IP against the address guard (the
//! resolver never sees literals); the call's request budget; the byte budget
//! for the request body. The resolver then applies the address guard to every
//! DNS answer. The shared client follows no redirects. The response body is
//! read in chunks and abandoned at the size cap, so a hostile server cannot
//! make the host buffer more than the cap.

use crate::runtime::call_state::CallState;
use crate::runtime::egress::{self, find_refusal};
use crate::runtime::limits::Breach;
use crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::http_client::{
    Error, Host, Request, Response,
};
use crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::types::Pair;
use std::net::IpAddr;
use std::time::Duration;

impl Host for CallState {
    async fn send(&mut self, request: Request) -> wasmtime::Result<Result<Response, Error>> {
        let url = match url::Url::parse(&request.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            Ok(u) => {
                return Ok(Err(Error::InvalidRequest(format!(
                    "scheme `{}` is not allowed",
                    u.scheme()
                ))));
            }
            Err(e) => return Ok(Err(Error::InvalidRequest(format!("invalid URL: {e}")))),
        };
        let Some(host) = url.host_str().map(str::to_string) else {
            return Ok(Err(Error::InvalidRequest("URL has no host".into())));
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let destination = format!("{host}:{port}");

        let extra = self
            .ctx
            .egress_extra
            .as_ref()
            .is_some_and(|e| e.allows(&host, port));
        if !self.allow_list.allows(&host, port) && !extra {
            return Err(self.breach(Breach::EgressDenied {
                destination,
                reason: "not on the component's egress allow-list".into(),
            }));
        }
        if self
            .ctx
            .egress_narrowing
            .as_ref()
            .is_some_and(|n| !n.allows(&host, port))
        {
            return Err(self.breach(Breach::EgressDenied {
                destination,
                reason: "not on the installation's egress allow-list".into(),
            }));
        }
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        if let Some(reason) = literal.and_then(|ip| self.env.guard.refusal(ip)) {
            return Err(self.breach(Breach::EgressDenied {
                destination,
                reason: reason.to_string(),
            }));
        }

        self.http_requests += 1;
        if self.http_requests > self.limits.http_requests_per_call {
            return Err(self.breach(Breach::HttpRequests {
                limit: self.limits.http_requests_per_call,
            }));
        }
        // The request line and headers move too: a budget of bodies alone
        // let 16 requests carry megabytes each in header values.
        let head: usize = request.url.len()
            + request
                .headers
                .iter()
                .map(|h| h.name.len() + h.value.len())
                .sum::<usize>();
        self.http_bytes += (head + request.body.len()) as u64;
        if self.http_bytes > self.limits.http_bytes_per_call {
            return Err(self.breach(Breach::HttpBytes {
                limit: self.limits.http_bytes_per_call,
            }));
        }

        let method =
            match reqwest::Method::from_bytes(request.method.to_ascii_uppercase().as_bytes()) {
                Ok(m) => m,
                Err(_) => {
                    return Ok(Err(Error::InvalidRequest(format!(
                        "invalid method `{}`",
                        request.method
                    ))));
                }
            };
        let timeout = request
            .timeout_ms
            .map(|ms| Duration::from_millis(u64::from(ms)))
            .unwrap_or(self.env.http_timeout)
            .min(self.env.http_timeout);
        if let Some(h) = request
            .headers
            .iter()
            .find(|h| !egress::guest_may_set_header(&h.name))
        {
            return Ok(Err(Error::InvalidRequest(format!(
                "header `{}` is set from the URL; a component may not set it",
                h.name
            ))));
        }
        let mut builder = self
            .env
            .http
            .request(method, url)
            .timeout(timeout)
            .body(request.body);
        for h in &request.headers {
            builder = builder.header(h.name.as_str(), h.value.as_str());
        }

        let mut response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                if let Some(refused) = find_refusal(&e) {
                    let reason = format!("{} ({})", refused.reason, refused.ip);
                    return Err(self.breach(Breach::EgressDenied {
                        destination,
                        reason,
                    }));
                }
                if e.is_timeout() {
                    return Ok(Err(Error::Timeout));
                }
                if e.is_builder() {
                    return Ok(Err(Error::InvalidRequest(without_url(e))));
                }
                return Ok(Err(Error::Connect(without_url(e))));
            }
        };

        let status = response.status().as_u16();
        let headers: Vec<Pair> = response
            .headers()
            .iter()
            .map(|(n, v)| Pair {
                name: n.as_str().to_string(),
                value: String::from_utf8_lossy(v.as_bytes()).into_owned(),
            })
            .collect();
        self.http_bytes += headers
            .iter()
            .map(|h| (h.name.len() + h.value.len()) as u64)
            .sum::<u64>();
        if self.http_bytes > self.limits.http_bytes_per_call {
            return Err(self.breach(Breach::HttpBytes {
                limit: self.limits.http_bytes_per_call,
            }));
        }
        let cap = self.env.http_max_response_bytes;
        let mut body = Vec::new();
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Ok(Err(Error::Timeout)),
                Err(e) => return Ok(Err(Error::Connect(without_url(e)))),
            };
            if (body.len() + chunk.len()) as u64 > cap {
                return Ok(Err(Error::TooLarge((body.len() + chunk.len()) as u64)));
            }
            self.http_bytes += chunk.len() as u64;
            if self.http_bytes > self.limits.http_bytes_per_call {
                return Err(self.breach(Breach::HttpBytes {
                    limit: self.limits.http_bytes_per_call,
                }));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Ok(Response {
            status,
            headers,
            body,
        }))
    }
}

/// A reqwest error as text, with its causes, without the URL: reqwest
/// writes the whole URL into its message, query and all, and a URL can carry
/// a credential (`?apikey=`, a signed recording link). The text reaches the
/// guest, and from there API replies, incidents and sync errors.
pub(crate) fn without_url(e: reqwest::Error) -> String {
    error_chain(&e.without_url())
}

/// reqwest's top-level message is vague ("error sending request"); the cause
/// is further down the chain.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.join(": ")
}
