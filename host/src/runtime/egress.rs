//! Where a component may send HTTP.
//!
//! Two independent checks, both before any byte leaves the host:
//!
//! 1. **Allow-list** (per installation): the URL's host must match one of the
//!    patterns the manifest requested (or the installation narrowed it to).
//!    An empty list denies everything.
//!
//!    | pattern            | matches                                  |
//!    |--------------------|------------------------------------------|
//!    | `api.example.com`  | that host, any port                      |
//!    | `*.example.com`    | any subdomain (not `example.com` itself) |
//!    | `example.com:8443` | that host on that port only              |
//!    | `127.0.0.1`        | that address literal                     |
//!    | `*`                | anything (only for trusted components)   |
//!
//! 2. **Address guard** (operator-wide): after DNS resolution, loopback,
//!    private, link-local (including cloud metadata `169.254.169.254`),
//!    carrier-grade NAT, unique-local, multicast and unspecified addresses are
//!    refused, unless the operator allowed a range with
//!    `SWITCHBOARD_EGRESS_ALLOW_PRIVATE` (tests allow `127.0.0.0/8`). The check
//!    runs inside the HTTP client's resolver, on the addresses it will dial, so
//!    a DNS answer that changes between check and connect cannot slip through.
//!    IPv6 addresses that carry an IPv4 one (mapped, compatible, NAT64, 6to4)
//!    are judged as that IPv4 address. The client ignores the environment's
//!    proxy variables: through a proxy, the guard would see only the proxy.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// One allow-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    host: String,
    wildcard: bool,
    port: Option<u16>,
}

impl HostPattern {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err("empty egress pattern".into());
        }
        if s == "*" {
            return Ok(HostPattern {
                host: String::new(),
                wildcard: true,
                port: None,
            });
        }
        let (host, port) = split_host_port(&s)?;
        let (host, wildcard) = match host.strip_prefix("*.") {
            Some(rest) => (rest.to_string(), true),
            None => (host.to_string(), false),
        };
        if host.is_empty() || host.contains(['/', '@', '*', '?', '#']) {
            return Err(format!("invalid egress pattern `{s}`"));
        }
        Ok(HostPattern {
            host,
            wildcard,
            port,
        })
    }

    pub fn matches(&self, host: &str, port: u16) -> bool {
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if self.wildcard && self.host.is_empty() {
            return true;
        }
        if self.wildcard {
            host.len() > self.host.len() + 1
                && host.ends_with(&self.host)
                && host[..host.len() - self.host.len()].ends_with('.')
        } else {
            host == self.host.trim_start_matches('[').trim_end_matches(']')
        }
    }
}

fn split_host_port(s: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| format!("invalid egress pattern `{s}`"))?;
        let port = match &rest[end + 1..] {
            "" => None,
            p => Some(parse_port(p.trim_start_matches(':'), s)?),
        };
        return Ok((&s[..end + 2], port));
    }
    match s.rsplit_once(':') {
        // More than one colon without brackets: a bare IPv6 literal.
        Some((h, _)) if h.contains(':') => Ok((s, None)),
        Some((h, p)) => Ok((h, Some(parse_port(p, s)?))),
        None => Ok((s, None)),
    }
}

fn parse_port(p: &str, whole: &str) -> Result<u16, String> {
    p.parse()
        .map_err(|_| format!("invalid port in egress pattern `{whole}`"))
}

/// The allow-list of one installation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    patterns: Vec<HostPattern>,
}

impl AllowList {
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let patterns = entries
            .iter()
            .map(|e| HostPattern::parse(e.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(AllowList { patterns })
    }

    pub fn allows(&self, host: &str, port: u16) -> bool {
        self.patterns.iter().any(|p| p.matches(host, port))
    }
}

/// Whether a component may set header `name` on outbound HTTP. Not `Host`:
/// it comes from the URL, or a shared front end (a CDN, an ingress) would
/// route the request to a site the allow-list never saw.
pub fn guest_may_set_header(name: &str) -> bool {
    !name.trim().eq_ignore_ascii_case("host")
}

/// The operator-wide address guard.
#[derive(Debug, Clone, Default)]
pub struct AddressGuard {
    allowed_private: Arc<Vec<IpNet>>,
}

impl AddressGuard {
    pub fn new(allowed_private: Vec<IpNet>) -> Self {
        AddressGuard {
            allowed_private: Arc::new(allowed_private),
        }
    }

    /// Parses `SWITCHBOARD_EGRESS_ALLOW_PRIVATE`-style text: comma-separated CIDRs.
    pub fn parse_ranges(text: &str) -> Result<Vec<IpNet>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("invalid CIDR `{s}`"))
            })
            .collect()
    }

    /// Why `ip` may not be dialled, or `None` when it may.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let ip = canonical(ip);
        let reason = forbidden_reason(ip)?;
        if self.allowed_private.iter().any(|net| net.contains(&ip)) {
            return None;
        }
        Some(reason)
    }
}

/// An IPv6 address that reaches an IPv4 one is judged as that IPv4 address:
/// IPv4-mapped (`::ffff:10.0.0.1`), IPv4-compatible (`::10.0.0.1`), the
/// NAT64 well-known prefix (`64:ff9b::10.0.0.1`, which a NAT64 gateway
/// dials as 10.0.0.1) and 6to4 (`2002:0a00:0001::`, relayed to 10.0.0.1).
fn canonical(ip: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = ip else {
        return ip;
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return IpAddr::V4(v4);
    }
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    };
    match s {
        // `::` and `::1` are themselves, not 0.0.0.0 and 0.0.0.1.
        [0, 0, 0, 0, 0, 0, 0, 0 | 1] => ip,
        [0, 0, 0, 0, 0, 0, hi, lo] | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => v4(hi, lo),
        [0x2002, hi, lo, ..] => v4(hi, lo),
        _ => ip,
    }
}

fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some("loopback address")
            } else if o == [169, 254, 169, 254] {
                Some("cloud metadata address")
            } else if v4.is_link_local() {
                Some("link-local address")
            } else if v4.is_private() {
                Some("private address")
            } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
                Some("carrier-grade NAT address")
            } else if v4.is_unspecified() || o[0] == 0 {
                Some("unspecified address")
            } else if (o[0], o[1], o[2]) == (192, 0, 0) || (o[0] == 198 && (o[1] & 0xfe) == 18) {
                // IETF protocol assignments, benchmarking: nothing public.
                Some("reserved address")
            } else if v4.is_multicast() || v4.is_broadcast() || o[0] >= 240 {
                Some("multicast or reserved address")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if v6.is_loopback() {
                Some("loopback address")
            } else if v6.is_unspecified() {
                Some("unspecified address")
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some("link-local address")
            } else if (s[0] & 0xfe00) == 0xfc00 {
                Some("unique-local address")
            } else if v6.is_multicast() {
                Some("multicast address")
            } else if s[0] == 0xfd00 && s[1] == 0x0ec2 {
                Some("cloud metadata address")
            } else if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
                // Local-use NAT64 (RFC 8215): where the IPv4 address sits
                // depends on the operator's prefix length, so none is safe.
                Some("NAT64 address")
            } else if s[0] == 0x2001 && s[1] == 0 {
                Some("Teredo tunnel address")
            } else {
                None
            }
        }
    }
}

/// Raised inside the HTTP client's resolver; the HTTP capability finds it in
/// the error chain and reports an egress breach instead of a connect error.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {ip}, a {reason}")]
pub struct AddressRefused {
    pub host: String,
    pub ip: IpAddr,
    pub reason: &'static str,
}

/// A `reqwest` resolver that drops refused addresses; if none is left the
/// connection fails with [`AddressRefused`].
pub struct GuardedResolver {
    pub guard: AddressGuard,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match guard.refusal(a.ip()) {
                    Some(reason) => {
                        refused = Some(AddressRefused {
                            host: host.clone(),
                            ip: a.ip(),
                            reason,
                        });
                        false
                    }
                    None => true,
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(r)) => Err(Box::new(r) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

/// Finds an [`AddressRefused`] anywhere in an error's source chain.
pub fn find_refusal<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a AddressRefused> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<AddressRefused>() {
            return Some(r);
        }
        cur = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let l = AllowList::parse(&[
            "api.example.com",
            "*.vendor.io",
            "pbx.local:8443",
            "[::1]:9000",
        ])
        .unwrap();
        assert!(l.allows("api.example.com", 443));
        assert!(l.allows("API.EXAMPLE.COM.", 80));
        assert!(!l.allows("evil-api.example.com", 443));
        assert!(!l.allows("example.com", 443));
        assert!(l.allows("eu.vendor.io", 443));
        assert!(l.allows("a.b.vendor.io", 443));
        assert!(!l.allows("vendor.io", 443));
        assert!(!l.allows("xvendor.io", 443));
        assert!(l.allows("pbx.local", 8443));
        assert!(!l.allows("pbx.local", 443));
        assert!(l.allows("[::1]", 9000));
        assert!(
            !AllowList::default().allows("api.example.com", 443),
            "empty denies all"
        );
        assert!(
            AllowList::parse(&["*"])
                .unwrap()
                .allows("anything.at.all", 1)
        );
        assert!(HostPattern::parse("http://x/").is_err());
        assert!(HostPattern::parse("x:notaport").is_err());
    }

    #[test]
    fn address_guard_refuses_internal_ranges() {
        let g = AddressGuard::default();
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.3.4",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "fd00:ec2::254",
            "::10.0.0.5",
            "64:ff9b::a00:5",
            "64:ff9b::7f00:1",
            "64:ff9b:1::a00:5",
            "2002:a00:5::1",
            "2002:a9fe:a9fe::",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "192.0.0.8",
            "198.18.0.1",
            "198.19.255.1",
        ] {
            assert!(
                g.refusal(ip.parse().unwrap()).is_some(),
                "{ip} must be refused"
            );
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "198.20.0.1",
        ] {
            assert_eq!(g.refusal(ip.parse().unwrap()), None, "{ip} is public");
        }
        assert_eq!(
            g.refusal("169.254.169.254".parse().unwrap()),
            Some("cloud metadata address")
        );
        // Through a 6to4 relay, the metadata address is still that.
        assert_eq!(
            g.refusal("2002:a9fe:a9fe::".parse().unwrap()),
            Some("cloud metadata address")
        );
    }

    #[test]
    fn the_host_header_is_the_urls() {
        assert!(!guest_may_set_header("Host"));
        assert!(!guest_may_set_header("host"));
        assert!(guest_may_set_header("Authorization"));
        assert!(guest_may_set_header("X-Host"));
    }

    #[test]
    fn operator_can_allow_a_range() {
        let g = AddressGuard::new(AddressGuard::parse_ranges("127.0.0.0/8, ::1").unwrap());
        assert_eq!(g.refusal("127.0.0.1".parse().unwrap()), None);
        assert_eq!(g.refusal("::1".parse().unwrap()), None);
        assert!(g.refusal("10.0.0.1".parse().unwrap()).is_some());
        assert!(AddressGuard::parse_ranges("10.0.0.0/33").is_err());
    }
}
