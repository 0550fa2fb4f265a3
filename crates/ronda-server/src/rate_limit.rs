//! Token buckets: per client address for the unauthenticated public endpoints, per token for
//! costly authenticated ones (image hashing).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use ronda_service::config::{Config, IpNet};

#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: std::hash::Hash + Eq + Copy> RateLimiter<K> {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_sec: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; `Err(secs)` says how long to wait when none is left.
    pub fn check(&self, key: K) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: K, now: Instant) -> Result<(), u64> {
        let mut map = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            // Forget full buckets: a client at rest has nothing to remember.
            let (rate, burst) = (self.per_sec, self.burst);
            map.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = map.entry(key).or_insert((self.burst, now));
        let refilled =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_sec).min(self.burst);
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            *at = now;
            Ok(())
        } else {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "small positive seconds"
            )]
            let wait = ((1.0 - refilled) / self.per_sec).ceil() as u64;
            Err(wait.max(1))
        }
    }
}

/// The client's address: the socket peer; with `trust_forwarded_for`, the rightmost
/// `X-Forwarded-For` address that is not a trusted proxy (the leftmost entries are whatever
/// the client chose to send).
pub fn client_ip(config: &Config, extensions: &Extensions, headers: &HeaderMap) -> IpAddr {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    if !config.trust_forwarded_for {
        return peer;
    }
    let trusted: Vec<IpNet> = config
        .trusted_proxies
        .iter()
        .filter_map(|p| IpNet::parse(p))
        .collect();
    forwarded_client(
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok()),
        &trusted,
    )
    .unwrap_or(peer)
}

/// The rightmost address of the `X-Forwarded-For` values (in order) that no trusted proxy
/// holds; `None` when there is none (or a hop does not parse: the chain cannot be followed).
fn forwarded_client<'a>(
    values: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let hops: Vec<&str> = values.flat_map(|v| v.split(',')).collect();
    for hop in hops.iter().rev() {
        let ip: IpAddr = hop.trim().parse().ok()?;
        if !trusted.iter().any(|t| t.contains(ip)) {
            return Some(ip);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate() {
        let l: RateLimiter = RateLimiter::new(60, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at(ip, t0).is_ok());
        }
        assert_eq!(l.check_at(ip, t0), Err(1));
        // Another address has its own bucket.
        assert!(l.check_at("192.0.2.2".parse().unwrap(), t0).is_ok());
        assert!(l.check_at(ip, t0 + Duration::from_millis(1100)).is_ok());
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let none: Vec<IpNet> = Vec::new();
        assert_eq!(
            forwarded_client(["6.6.6.6, 127.0.0.1"].into_iter(), &none),
            Some(ip("127.0.0.1"))
        );
        let proxies = vec![
            IpNet::parse("10.0.0.0/8").unwrap(),
            IpNet::parse("127.0.0.1").unwrap(),
        ];
        assert_eq!(
            forwarded_client(
                ["6.6.6.6, 203.0.113.9, 10.1.2.3", "127.0.0.1"].into_iter(),
                &proxies
            ),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(forwarded_client(["10.0.0.1"].into_iter(), &proxies), None);
        assert_eq!(
            forwarded_client(["junk, 10.0.0.1"].into_iter(), &proxies),
            None
        );
        assert!(IpNet::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(!IpNet::parse("10.0.0.0/8").unwrap().contains(ip("11.0.0.1")));
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(IpNet::parse("10.0.0.0/33").is_none());
    }
}
