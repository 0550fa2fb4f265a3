//! Encryption at rest for personal data the service must keep but rarely read (reporter names
//! and contacts): ChaCha20-Poly1305 with a random nonce per value, under a 256-bit key kept in a
//! file next to the data (mode 0600), never in the database.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

use crate::error::{Result, StoreError};

const PREFIX: &str = "s1:";

/// Seals and opens values with the instance key.
#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
    fingerprint: String,
    /// The root of keys for other purposes (see [`Sealer::derived_key`]).
    derive: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key hidden>)")
    }
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"ronda seal key fingerprint v1\0");
        h.update(key);
        let mut d = sha2::Sha256::new();
        d.update(b"ronda derived keys v1\0");
        d.update(key);
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
            fingerprint: hex::encode(&h.finalize()[..8]),
            derive: d.finalize().into(),
        }
    }

    /// A key for `purpose` (the public forms' tokens, say), derived from the instance key by a
    /// domain-separated SHA-256: every instance with the same key derives the same one, and
    /// it tells nothing about the sealing key or another purpose's key.
    pub fn derived_key(&self, purpose: &str) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(self.derive);
        h.update([0]);
        h.update(purpose.as_bytes());
        h.finalize().into()
    }

    /// A short, non-secret name of the key (16 hex digits of a domain-separated SHA-256): what
    /// the database records so that an instance with another key refuses to start.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// A sealer with a fresh random key (tests, throwaway stores).
    pub fn random() -> Self {
        let mut key = [0_u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self::new(&key)
    }

    /// Encrypts `plain` into printable text: `s1:` + base64(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0_u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and nonce cannot fail for in-memory buffers.
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .unwrap_or_default();
        let mut buf = Vec::with_capacity(12 + ct.len());
        buf.extend_from_slice(&nonce);
        buf.extend_from_slice(&ct);
        format!("{PREFIX}{}", STANDARD_NO_PAD.encode(buf))
    }

    /// Decrypts a value made by [`Sealer::seal`] with the same key.
    pub fn open(&self, sealed: &str) -> Result<String> {
        let bad = |m: &str| StoreError::Decode {
            column: 0,
            message: format!("sealed value: {m}"),
        };
        let body = sealed
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad("unknown format"))?;
        let raw = STANDARD_NO_PAD
            .decode(body)
            .map_err(|_| bad("not base64"))?;
        if raw.len() < 12 + 16 {
            return Err(bad("too short"));
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| bad("wrong key or altered value"))?;
        String::from_utf8(plain).map_err(|_| bad("not UTF-8"))
    }
}

/// Reads the 32-byte key at `path`, creating it (mode 0600) when absent.
pub fn load_or_create_key(path: &Path) -> Result<[u8; 32]> {
    match std::fs::read(path) {
        Ok(bytes) => bytes.try_into().map_err(|_| {
            StoreError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not a 32-byte key", path.display()),
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0_u8; 32];
            rand::rng().fill_bytes(&mut key);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            match opts.open(path) {
                Ok(mut f) => {
                    f.write_all(&key)?;
                    f.sync_all()?;
                    Ok(key)
                }
                // Another process created it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create_key(path),
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_detects_tampering() {
        let s = Sealer::random();
        let sealed = s.seal("warga@example.org");
        assert!(sealed.starts_with("s1:") && !sealed.contains("warga"));
        assert_ne!(
            sealed,
            s.seal("warga@example.org"),
            "a fresh nonce each time"
        );
        assert_eq!(s.open(&sealed).unwrap(), "warga@example.org");
        assert!(
            Sealer::random().open(&sealed).is_err(),
            "another key cannot open it"
        );
        let mut altered = sealed.clone();
        altered.replace_range(10..11, if &sealed[10..11] == "A" { "B" } else { "A" });
        assert!(s.open(&altered).is_err());
    }

    #[test]
    fn the_key_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k").join("secret.key");
        let a = load_or_create_key(&p).unwrap();
        assert_eq!(load_or_create_key(&p).unwrap(), a);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::write(&p, b"short").unwrap();
        assert!(load_or_create_key(&p).is_err());
    }
}
