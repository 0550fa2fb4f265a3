//! The audit log's hash chain. Each event's hash covers its own fields and the previous event's
//! hash, so changing, inserting or deleting any event breaks every hash after it.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit event's hashed content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFields<'a> {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

/// Computes the chain hash of an event given the previous event's hash (lower-case hex).
///
/// Every field is length-prefixed, so no two different events share an encoding.
pub fn chain_hash(prev_hash: &str, f: &AuditFields<'_>) -> String {
    let mut h = Sha256::new();
    let mut put = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    put(b"ronda-audit-v1");
    put(prev_hash.as_bytes());
    put(&f.seq.to_le_bytes());
    put(&f.at_ms.to_le_bytes());
    put(f.actor.as_bytes());
    put(f.action.as_bytes());
    put(f.target.as_bytes());
    // Absence and the empty string are different facts.
    for part in [f.before, f.after] {
        match part {
            None => put(b"\x00absent"),
            Some(s) => put(s.as_bytes()),
        }
    }
    hex::encode(h.finalize())
}

/// A stored event as read back for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// What is wrong with a chain, naming the first bad event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit event {seq}: its content does not match its hash (the event was altered)")]
    Altered { seq: i64 },
    #[error(
        "audit event {seq}: previous hash does not match event {prev_seq} (an event was removed or replaced)"
    )]
    Broken { seq: i64, prev_seq: i64 },
    #[error("audit event {seq}: expected sequence number {expected} (an event is missing)")]
    Gap { seq: i64, expected: i64 },
}

/// Incremental verifier: feed events in sequence order.
#[derive(Debug)]
pub struct ChainVerifier {
    prev_hash: String,
    prev_seq: i64,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            prev_hash: GENESIS_HASH.to_string(),
            prev_seq: 0,
            checked: 0,
        }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, e: &StoredEvent) -> Result<(), ChainError> {
        if e.seq != self.prev_seq + 1 {
            return Err(ChainError::Gap {
                seq: e.seq,
                expected: self.prev_seq + 1,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainError::Broken {
                seq: e.seq,
                prev_seq: self.prev_seq,
            });
        }
        let fields = AuditFields {
            seq: e.seq,
            at_ms: e.at_ms,
            actor: &e.actor,
            action: &e.action,
            target: &e.target,
            before: e.before.as_deref(),
            after: e.after.as_deref(),
        };
        if chain_hash(&e.prev_hash, &fields) != e.hash {
            return Err(ChainError::Altered { seq: e.seq });
        }
        self.prev_hash.clone_from(&e.hash);
        self.prev_seq = e.seq;
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<StoredEvent> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let after = format!("{{\"n\":{seq}}}");
                let f = AuditFields {
                    seq,
                    at_ms: 1000 + seq,
                    actor: "cli",
                    action: "case.opened",
                    target: "case:1",
                    before: None,
                    after: Some(&after),
                };
                let hash = chain_hash(&prev, &f);
                let e = StoredEvent {
                    seq,
                    at_ms: f.at_ms,
                    actor: f.actor.into(),
                    action: f.action.into(),
                    target: f.target.into(),
                    before: None,
                    after: Some(after.clone()),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn verify(events: &[StoredEvent]) -> Result<u64, ChainError> {
        let mut v = ChainVerifier::default();
        for e in events {
            v.check(e)?;
        }
        Ok(v.checked)
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn an_altered_event_is_named() {
        let mut c = chain(5);
        c[2].after = Some("{\"n\":99}".into());
        assert_eq!(verify(&c), Err(ChainError::Altered { seq: 3 }));
    }

    #[test]
    fn a_removed_event_is_named() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify(&c),
            Err(ChainError::Gap {
                seq: 3,
                expected: 2
            })
        );
    }

    #[test]
    fn a_rehashed_forgery_breaks_the_next_link() {
        let mut c = chain(5);
        c[1].actor = "mallory".into();
        let f = AuditFields {
            seq: 2,
            at_ms: c[1].at_ms,
            actor: "mallory",
            action: &c[1].action.clone(),
            target: &c[1].target.clone(),
            before: None,
            after: c[1].after.as_deref(),
        };
        c[1].hash = chain_hash(&c[1].prev_hash, &f);
        assert_eq!(
            verify(&c),
            Err(ChainError::Broken {
                seq: 3,
                prev_seq: 2
            })
        );
    }

    #[test]
    fn absent_and_empty_differ() {
        let base = AuditFields {
            seq: 1,
            at_ms: 0,
            actor: "a",
            action: "b",
            target: "c",
            before: None,
            after: None,
        };
        let empty = AuditFields {
            before: Some(""),
            ..base.clone()
        };
        assert_ne!(
            chain_hash(GENESIS_HASH, &base),
            chain_hash(GENESIS_HASH, &empty)
        );
    }
}
