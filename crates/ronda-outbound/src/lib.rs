//! The one client for every request Ronda sends out: webhook deliveries, mail to the operator's
//! relay ([`mail`]) and the pages the patrol reads ([`fetch`]). A URL someone else chose must never reach what sits behind the
//! server: its own database port, a cloud metadata address, the office network.
//!
//! What [`Outbound`] guarantees, for every request:
//! 1. **Only http and https**, with a host.
//! 2. **Every address is checked** — the literal in the URL, or every address the name resolves
//!    to — against [`blocked_rule`]: loopback, private (RFC 1918, IPv6 unique local),
//!    link-local, CGNAT (100.64.0.0/10), multicast, broadcast, unspecified, documentation,
//!    benchmarking and reserved ranges, and IPv6 forms that carry an IPv4 address (IPv4-mapped,
//!    IPv4-compatible, NAT64, 6to4, Teredo) are refused, unless the operator allow-listed the
//!    address (`outbound_allow = ["127.0.0.1:9000"]`: one address and port, or an address with
//!    every port). A name with one blocked address among its answers is refused whole.
//! 3. **It connects to the address it checked.** Name resolution goes through this crate's
//!    resolver, which applies the same check to what it returns, so a DNS answer that changes
//!    between the check and the connection (rebinding) cannot slip a private address in. (The
//!    resolver does not see the port: a name resolving to an allow-listed address is let
//!    through on that address's allowed ports by the check, and on any port by the resolver —
//!    the allow-list holds the operator's own receivers, so this is accepted.)
//! 4. **No redirect is followed by the client**: a 3xx is the answer (a 307 would re-send a
//!    POST's body elsewhere). [`Outbound::fetch`] follows a GET's redirects itself, checking
//!    each hop as in point 2.
//! 5. **Time is capped** (connect and whole request). A delivery's answer body is never read
//!    (it needs the status only, so nothing of what a receiver says travels back into Ronda's
//!    logs or API); a fetched page's is read within a size cap (see [`fetch`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

pub mod fetch;
pub mod mail;

pub use fetch::{ContentKind, FetchError, FetchRequest, Fetched};

/// Why an address may not be contacted: a stable name and the range it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub range: &'static str,
}

const fn rule(name: &'static str, range: &'static str) -> Option<Rule> {
    Some(Rule { name, range })
}

/// The rule that blocks `ip`, or `None` for an address on the public internet.
pub fn blocked_rule(ip: IpAddr) -> Option<Rule> {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => blocked_v6(v6),
    }
}

fn blocked_v4(ip: Ipv4Addr) -> Option<Rule> {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (0, _, _) => rule("unspecified", "0.0.0.0/8"),
        (127, _, _) => rule("loopback", "127.0.0.0/8"),
        (10, _, _) => rule("private", "10.0.0.0/8"),
        (172, 16..=31, _) => rule("private", "172.16.0.0/12"),
        (192, 168, _) => rule("private", "192.168.0.0/16"),
        (169, 254, _) => rule("link_local", "169.254.0.0/16"),
        (100, 64..=127, _) => rule("cgnat", "100.64.0.0/10"),
        (192, 0, 0) => rule("reserved", "192.0.0.0/24"),
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => rule(
            "documentation",
            "192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24",
        ),
        (198, 18..=19, _) => rule("benchmarking", "198.18.0.0/15"),
        (224..=239, _, _) => rule("multicast", "224.0.0.0/4"),
        _ if ip == Ipv4Addr::BROADCAST => rule("broadcast", "255.255.255.255"),
        (240..=255, _, _) => rule("reserved", "240.0.0.0/4"),
        _ => None,
    }
}

fn blocked_v6(ip: Ipv6Addr) -> Option<Rule> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return rule("unspecified", "::");
    }
    if ip.is_loopback() {
        return rule("loopback", "::1");
    }
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => rule("ipv4_mapped", "::ffff:0:0/96"),
        [0, 0, 0, 0, 0, 0, _, _] => rule("ipv4_compatible", "::/96"),
        [0x64, 0xff9b, ..] => rule("nat64", "64:ff9b::/96"),
        [0x2002, ..] => rule("6to4", "2002::/16"),
        [0x2001, 0, ..] => rule("teredo", "2001::/32"),
        [0x2001, 0xdb8, ..] => rule("documentation", "2001:db8::/32"),
        [x, ..] if x & 0xfe00 == 0xfc00 => rule("private", "fc00::/7"),
        [x, ..] if x & 0xffc0 == 0xfe80 => rule("link_local", "fe80::/10"),
        [x, ..] if x & 0xff00 == 0xff00 => rule("multicast", "ff00::/8"),
        _ => None,
    }
}

/// One allow-listed destination: an address and a port, or an address with every port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allow {
    pub ip: IpAddr,
    pub port: Option<u16>,
}

impl FromStr for Allow {
    type Err = String;

    /// `127.0.0.1:9000`, `[::1]:9000`, `127.0.0.1` or `::1` (every port).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(sa) = s.parse::<SocketAddr>() {
            return Ok(Allow {
                ip: sa.ip(),
                port: Some(sa.port()),
            });
        }
        s.trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map(|ip| Allow { ip, port: None })
            .map_err(|_| {
                format!("`{s}` is not an address (`127.0.0.1:9000`, `[::1]:9000` or `127.0.0.1`)")
            })
    }
}

/// What [`Outbound`] may do.
#[derive(Debug, Clone)]
pub struct Policy {
    pub allow: Vec<Allow>,
    /// Whether public addresses may be contacted (`outbound_public`, default true). When
    /// false, only the allow-list is, and only by address: names are not resolved at all (an
    /// instance on a closed network, or under a fuzzer, sends nothing anywhere else — not
    /// even a DNS query).
    pub public: bool,
    /// The whole request, connection included.
    pub timeout: Duration,
    /// Opening the connection.
    pub connect_timeout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allow: Vec::new(),
            public: true,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl Policy {
    fn allows(&self, ip: IpAddr, port: Option<u16>) -> bool {
        self.allow.iter().any(|a| {
            a.ip == ip
                && match (a.port, port) {
                    (None, _) | (_, None) => true,
                    (Some(x), Some(y)) => x == y,
                }
        })
    }

    /// Refuses `ip` unless it is public or allow-listed: what a connection to it would be told
    /// (a configuration names an address this way before anything is sent).
    pub fn permits(&self, ip: IpAddr, port: Option<u16>) -> Result<(), Refused> {
        self.check(ip, port)
    }

    /// Refuses `addr` unless it is public or allow-listed (`port: None`: any allowed port).
    fn check(&self, ip: IpAddr, port: Option<u16>) -> Result<(), Refused> {
        match blocked_rule(ip) {
            Some(rule) if !self.allows(ip, port) => Err(Refused::Address { ip, rule }),
            None if !self.public && !self.allows(ip, port) => Err(Refused::NotListed(ip)),
            _ => Ok(()),
        }
    }
}

/// Why a URL or a request was refused before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not a URL: {0}")]
    Invalid(String),
    #[error("only http and https URLs are allowed")]
    Scheme,
    #[error("the URL has no host")]
    NoHost,
    #[error("the host `{0}` does not resolve")]
    Unresolved(String),
    #[error(
        "{ip} is {} ({}): Ronda does not send requests there unless `outbound_allow` lists it",
        rule.name.replace('_', "-"),
        rule.range
    )]
    Address { ip: IpAddr, rule: Rule },
    #[error("{0} is not in `outbound_allow`, and `outbound_public = false` allows nothing else")]
    NotListed(IpAddr),
    #[error(
        "`outbound_public = false`: names are not resolved; use an allow-listed address instead of `{0}`"
    )]
    Name(String),
}

/// A failed request: refused before sending, or failed on the way.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("refused: {0}")]
    Refused(#[from] Refused),
    #[error("{0}")]
    Transport(String),
}

/// The SSRF-safe client (see the crate docs). Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: Arc<Policy>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("policy", &self.policy)
            .finish()
    }
}

/// Resolves names for the client and drops what the policy blocks (point 3 of the crate docs).
struct CheckedResolver {
    policy: Arc<Policy>,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(Box::new(Refused::Unresolved(host)) as Box<_>);
            }
            for a in &addrs {
                policy.check(a.ip(), None).map_err(Box::new)?;
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl Outbound {
    pub fn new(policy: Policy) -> Result<Outbound, OutboundError> {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(policy.timeout)
            .connect_timeout(policy.connect_timeout)
            .no_proxy()
            .dns_resolver(Arc::new(CheckedResolver {
                policy: policy.clone(),
            }))
            .build()
            .map_err(|e| OutboundError::Transport(e.to_string()))?;
        Ok(Outbound { client, policy })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Checks a URL as a request to it would be checked: scheme, host, and every address it
    /// names or resolves to. Registering a URL (a webhook) calls this, so a refusal is told to
    /// whoever registers it.
    pub async fn check(&self, raw: &str) -> Result<Url, Refused> {
        let url = Url::parse(raw.trim()).map_err(|e| Refused::Invalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused::Scheme);
        }
        let port = url.port_or_known_default();
        match url.host() {
            None => return Err(Refused::NoHost),
            Some(Host::Ipv4(ip)) => self.policy.check(IpAddr::V4(ip), port)?,
            Some(Host::Ipv6(ip)) => self.policy.check(IpAddr::V6(ip), port)?,
            Some(Host::Domain(name)) if !self.policy.public => {
                return Err(Refused::Name(name.to_string()));
            }
            Some(Host::Domain(name)) => {
                self.resolve_checked(name, port).await?;
            }
        }
        Ok(url)
    }

    /// The addresses `host` (a name or an address literal) stands for, every one of them
    /// checked for `port` as a request would be; a name with one refused address is refused
    /// whole. What a connection that is not HTTP (the mail relay) opens is one of these.
    pub async fn resolve_checked(
        &self,
        host: &str,
        port: Option<u16>,
    ) -> Result<Vec<SocketAddr>, Refused> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            self.policy.check(ip, port)?;
            return Ok(vec![SocketAddr::new(ip, port.unwrap_or(0))]);
        }
        if !self.policy.public {
            return Err(Refused::Name(host.to_string()));
        }
        let found = tokio::net::lookup_host((host, port.unwrap_or(0))).await;
        let addrs: Vec<SocketAddr> = match found {
            Ok(a) => a.collect(),
            Err(_) => return Err(Refused::Unresolved(host.to_string())),
        };
        if addrs.is_empty() {
            return Err(Refused::Unresolved(host.to_string()));
        }
        for a in &addrs {
            self.policy.check(a.ip(), port)?;
        }
        Ok(addrs)
    }

    /// POSTs `body` to `url` with `headers`; the answer's status (the body is not read).
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<u16, OutboundError> {
        let url = self.check(url).await?;
        let mut req = self.client.post(url).body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        match req.send().await {
            Ok(resp) => Ok(resp.status().as_u16()),
            Err(e) => {
                // A refusal from the resolver comes back wrapped in the transport error.
                let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
                while let Some(s) = source {
                    if let Some(r) = s.downcast_ref::<Refused>() {
                        return Err(OutboundError::Refused(r.clone()));
                    }
                    source = s.source();
                }
                Err(OutboundError::Transport(transport_message(&e)))
            }
        }
    }
}

/// A transport error in a few words (no URL: the caller knows it).
fn transport_message(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        let mut m = e.to_string();
        if let Some(u) = e.url() {
            m = m.replace(&format!(" for url ({u})"), "");
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(s: &str) -> Option<&'static str> {
        blocked_rule(s.parse().expect("ip")).map(|r| r.name)
    }

    #[test]
    fn every_internal_range_is_blocked_and_public_addresses_are_not() {
        let cases = [
            ("127.0.0.1", Some("loopback")),
            ("127.255.0.9", Some("loopback")),
            ("0.0.0.0", Some("unspecified")),
            ("10.1.2.3", Some("private")),
            ("172.16.0.1", Some("private")),
            ("172.31.255.255", Some("private")),
            ("192.168.1.1", Some("private")),
            ("169.254.169.254", Some("link_local")),
            ("100.64.0.1", Some("cgnat")),
            ("100.127.255.255", Some("cgnat")),
            ("224.0.0.1", Some("multicast")),
            ("255.255.255.255", Some("broadcast")),
            ("240.0.0.1", Some("reserved")),
            ("192.0.2.10", Some("documentation")),
            ("198.18.0.1", Some("benchmarking")),
            ("::1", Some("loopback")),
            ("::", Some("unspecified")),
            ("::ffff:127.0.0.1", Some("ipv4_mapped")),
            ("::ffff:8.8.8.8", Some("ipv4_mapped")),
            ("::127.0.0.1", Some("ipv4_compatible")),
            ("64:ff9b::a00:1", Some("nat64")),
            ("2002:7f00:1::", Some("6to4")),
            ("2001:0:4136:e378::1", Some("teredo")),
            ("fd00::1", Some("private")),
            ("fe80::1", Some("link_local")),
            ("ff02::1", Some("multicast")),
            ("2001:db8::1", Some("documentation")),
            // Public: never contacted by the tests, only classified.
            ("8.8.8.8", None),
            ("172.32.0.1", None),
            ("100.128.0.1", None),
            ("2606:4700::1111", None),
        ];
        for (ip, want) in cases {
            assert_eq!(rule_of(ip), want, "{ip}");
        }
    }

    #[test]
    fn allow_entries_parse_with_and_without_a_port() {
        assert_eq!(
            "127.0.0.1:9000".parse::<Allow>(),
            Ok(Allow {
                ip: IpAddr::from([127, 0, 0, 1]),
                port: Some(9000)
            })
        );
        assert_eq!("[::1]:80".parse::<Allow>().map(|a| a.port), Ok(Some(80)));
        assert_eq!("::1".parse::<Allow>().map(|a| a.port), Ok(None));
        assert!("localhost:80".parse::<Allow>().is_err());
        let p = Policy {
            allow: vec!["127.0.0.1:9000".parse().expect("allow")],
            ..Policy::default()
        };
        assert!(p.check(IpAddr::from([127, 0, 0, 1]), Some(9000)).is_ok());
        assert!(p.check(IpAddr::from([127, 0, 0, 1]), Some(9001)).is_err());
        assert!(p.check(IpAddr::from([127, 0, 0, 2]), Some(9000)).is_err());
    }

    #[tokio::test]
    async fn literal_forms_of_internal_addresses_are_refused_without_a_connection() {
        let out = Outbound::new(Policy::default()).expect("client");
        for url in [
            "http://127.0.0.1:5432/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::1]:8080/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
        ] {
            let e = out.check(url).await;
            assert!(matches!(e, Err(Refused::Address { .. })), "{url}: {e:?}");
        }
        assert_eq!(out.check("ftp://x.org/").await, Err(Refused::Scheme));
        assert!(matches!(
            out.check("not a url").await,
            Err(Refused::Invalid(_))
        ));
    }

    /// With `public = false` only the allow-list is contacted, by address; no name is looked
    /// up. (The public literals below are only checked, never contacted.)
    #[tokio::test]
    async fn without_public_only_the_allow_list_is_reachable_and_names_are_not_resolved() {
        let out = Outbound::new(Policy {
            allow: vec!["127.0.0.1:9000".parse().expect("allow")],
            public: false,
            ..Policy::default()
        })
        .expect("client");
        assert!(out.check("http://127.0.0.1:9000/hook").await.is_ok());
        assert!(matches!(
            out.check("http://93.184.216.34/").await,
            Err(Refused::NotListed(_))
        ));
        assert!(matches!(
            out.check("http://[2606:4700::1]/").await,
            Err(Refused::NotListed(_))
        ));
        assert!(matches!(
            out.check("http://localhost:9000/").await,
            Err(Refused::Name(_))
        ));
        assert!(matches!(
            out.check("http://127.0.0.1:9001/").await,
            Err(Refused::Address { .. })
        ));
        let default = Outbound::new(Policy::default()).expect("client");
        assert!(default.check("http://93.184.216.34/").await.is_ok());
    }
}
