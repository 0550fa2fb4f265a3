//! Mail through the operator's SMTP relay, with the same address checks as every other
//! request (the crate docs): the relay's name is resolved here, every address it stands for is
//! checked against the policy (a relay on the office network or on this machine must be in
//! `outbound_allow`, like any other internal receiver), and the SMTP connection is opened to a
//! checked address — never to what a second lookup might return. TLS still verifies the
//! certificate for the relay's *name*.
//!
//! Messages are built with [`lettre`] (re-exported, so callers build them with this version)
//! and sent one connection each: mail here is a handful of messages a minute, not a stream.

use std::net::SocketAddr;
use std::time::Duration;

pub use lettre;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{Outbound, Refused};

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or a closed network (and refused
    /// together with credentials, which would cross in clear).
    None,
}

impl Security {
    pub fn parse(s: &str) -> Option<Security> {
        match s {
            "starttls" => Some(Security::StartTls),
            "tls" => Some(Security::Tls),
            "none" => Some(Security::None),
            _ => None,
        }
    }

    /// The port a relay address without one gets.
    pub fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// Where and how mail is handed over.
#[derive(Debug, Clone)]
pub struct Relay {
    /// A name or an address literal.
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// User name and password for `AUTH`, when the relay wants them.
    pub credentials: Option<(String, String)>,
    /// The name Ronda gives itself in `EHLO`.
    pub hello_name: String,
    /// The whole conversation, connection included.
    pub timeout: Duration,
}

impl Relay {
    /// Reads `host:port`, `[v6]:port`, or a bare host (the security's default port).
    pub fn parse_address(s: &str, security: Security) -> Result<(String, u16), String> {
        let s = s.trim();
        if let Ok(sa) = s.parse::<SocketAddr>() {
            return Ok((sa.ip().to_string(), sa.port()));
        }
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
                let port = p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("`{s}`: `{p}` is not a port"))?;
                (h, port)
            }
            _ => (s, security.default_port()),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
        if name_ok {
            Ok((host.to_string(), port))
        } else {
            Err(format!(
                "`{s}` is not a relay address (`mail.example.go.id:587`, `127.0.0.1:25`)"
            ))
        }
    }
}

/// Why a message did not go out.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("refused: {0}")]
    Refused(#[from] Refused),
    /// The relay could not be reached or said no. `permanent`: it answered 5xx, so trying the
    /// same message again will not help.
    #[error("{message}")]
    Relay { message: String, permanent: bool },
}

impl MailError {
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            MailError::Relay {
                permanent: true,
                ..
            }
        )
    }
}

impl Outbound {
    /// Hands `message` to the relay (see the module docs). Each checked address of the relay
    /// is tried in turn until one answers; an answer, good or bad, ends the attempt.
    pub async fn send_mail(&self, relay: &Relay, message: Message) -> Result<(), MailError> {
        let addrs = self.resolve_checked(&relay.host, Some(relay.port)).await?;
        let tls = |host: &str| {
            TlsParameters::new(host.to_string()).map_err(|e| MailError::Relay {
                message: format!("TLS set-up for `{host}`: {e}"),
                permanent: false,
            })
        };
        let mut last = None;
        for addr in addrs {
            let security = match relay.security {
                Security::StartTls => Tls::Required(tls(&relay.host)?),
                Security::Tls => Tls::Wrapper(tls(&relay.host)?),
                Security::None => Tls::None,
            };
            let mut builder =
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
                    .port(relay.port)
                    .tls(security)
                    .timeout(Some(relay.timeout))
                    .hello_name(ClientId::Domain(relay.hello_name.clone()));
            if let Some((user, pass)) = &relay.credentials {
                builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
            }
            let transport = builder.build();
            let sent = tokio::time::timeout(relay.timeout, transport.send(message.clone())).await;
            match sent {
                Ok(Ok(_)) => return Ok(()),
                Ok(Err(e)) if e.is_permanent() || e.is_transient() => {
                    return Err(MailError::Relay {
                        message: relay_message(&e),
                        permanent: e.is_permanent(),
                    });
                }
                Ok(Err(e)) => last = Some(relay_message(&e)),
                Err(_) => last = Some("timed out".into()),
            }
        }
        Err(MailError::Relay {
            message: last.unwrap_or_else(|| "the relay has no address".into()),
            permanent: false,
        })
    }
}

/// The relay's error in a few words (its own reply text when it gave one).
fn relay_message(e: &lettre::transport::smtp::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut m = e.to_string();
    if let Some(code) = e.status() {
        m = format!("{code}: {m}");
    }
    m.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    #[test]
    fn relay_addresses_parse_with_and_without_a_port() {
        let p = |s| Relay::parse_address(s, Security::StartTls);
        assert_eq!(
            p("mail.example.go.id:2525"),
            Ok(("mail.example.go.id".into(), 2525))
        );
        assert_eq!(
            p("mail.example.go.id"),
            Ok(("mail.example.go.id".into(), 587))
        );
        assert_eq!(p("127.0.0.1:25"), Ok(("127.0.0.1".into(), 25)));
        assert_eq!(p("[::1]:25"), Ok(("::1".into(), 25)));
        assert_eq!(p("::1"), Ok(("::1".into(), 587)));
        assert_eq!(
            Relay::parse_address("relay", Security::Tls),
            Ok(("relay".into(), 465))
        );
        assert!(p("mail.example:0").is_err());
        assert!(p("mail.example:smtp").is_err());
        assert!(p("smtp://mail.example").is_err());
        assert!(p("").is_err());
    }

    /// A relay on a loopback port that is not allow-listed is refused before any connection
    /// (nothing listens there; a connection attempt would fail differently).
    #[tokio::test]
    async fn a_relay_outside_the_policy_is_refused_before_connecting() {
        let out = Outbound::new(Policy {
            allow: vec!["127.0.0.1:2600".parse().expect("allow")],
            public: false,
            ..Policy::default()
        })
        .expect("client");
        let message = Message::builder()
            .from("Ronda <ronda@example.org>".parse().expect("from"))
            .to("warga@example.org".parse().expect("to"))
            .subject("test")
            .body("test".to_string())
            .expect("message");
        let relay = |host: &str, port| Relay {
            host: host.into(),
            port,
            security: Security::None,
            credentials: None,
            hello_name: "ronda.test".into(),
            timeout: Duration::from_secs(2),
        };
        for (host, port) in [
            ("127.0.0.1", 2601),
            ("10.0.0.5", 25),
            ("relay.internal", 25),
        ] {
            let e = out.send_mail(&relay(host, port), message.clone()).await;
            assert!(
                matches!(e, Err(MailError::Refused(_))),
                "{host}:{port}: {e:?}"
            );
        }
        // The allow-listed port is let through to the connection (which fails: nothing listens).
        let e = out.send_mail(&relay("127.0.0.1", 2600), message).await;
        assert!(
            matches!(
                e,
                Err(MailError::Relay {
                    permanent: false,
                    ..
                })
            ),
            "{e:?}"
        );
    }
}
