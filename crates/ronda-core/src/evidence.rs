//! Evidence bundles: the format, what is signed, and offline verification.
//!
//! A bundle is a set of named files (a zip at the edges; this module never sees one):
//!
//! - `manifest.json`: what the bundle is about, who made it and when, the signer's Ed25519
//!   public key, and every other file with its SHA-256 and size;
//! - `manifest.sig`: the Ed25519 signature over the **exact bytes** of `manifest.json`, as
//!   128 lower-case hex digits;
//! - the files the manifest lists (JSON records of the case, its content snapshots, …).
//!
//! The signature covers the manifest, the manifest covers every file by hash: altering,
//! adding or removing any file, or editing the manifest, is detected by [`verify`] with nothing
//! but the bundle (and, to know *who* signed, the instance's public key from `ronda keys show`).
//!
//! Pure: no IO, no clock (the generation time is passed in), no randomness (keys are 32-byte
//! seeds made elsewhere).

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's file name inside a bundle.
pub const MANIFEST: &str = "manifest.json";
/// The signature's file name inside a bundle.
pub const SIGNATURE: &str = "manifest.sig";
/// The `format` of bundles this module writes and reads.
pub const FORMAT: &str = "ronda-evidence-v1";

/// What a bundle is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// `case` or `actor`.
    pub kind: String,
    pub id: i64,
}

/// One file of the bundle as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub size: u64,
}

/// Who signed: the algorithm and the public key (64 lower-case hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    pub algorithm: String,
    pub public_key: String,
}

/// The signed table of contents of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub subject: Subject,
    /// RFC 3339, UTC.
    pub generated_at: String,
    /// The audit actor that requested the bundle.
    pub generated_by: String,
    /// Whether reporter names and contacts are in the bundle (only for roles allowed them).
    pub reporter_identity: bool,
    /// The cases the bundle covers.
    pub cases: Vec<i64>,
    pub signer: Signer,
    pub files: Vec<FileEntry>,
}

/// Everything about a bundle except its files and signer, chosen by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub subject: Subject,
    pub generated_at: String,
    pub generated_by: String,
    pub reporter_identity: bool,
    pub cases: Vec<i64>,
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The public key (lower-case hex) of a 32-byte Ed25519 seed.
pub fn public_key_hex(seed: &[u8; 32]) -> String {
    hex::encode(SigningKey::from_bytes(seed).verifying_key().to_bytes())
}

/// Parses a public key given as 64 hex digits.
pub fn parse_public_key(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text.trim())
        .map_err(|_| "a public key is 64 hexadecimal digits".to_string())?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "a public key is 64 hexadecimal digits (32 bytes)".to_string())?;
    VerifyingKey::from_bytes(&key).map_err(|_| "not a valid Ed25519 public key".to_string())?;
    Ok(key)
}

/// Builds the bundle's files: `manifest.json`, `manifest.sig` and `files` themselves, in that
/// order. File paths must be unique and must not be the two reserved names.
pub fn seal(
    header: Header,
    files: Vec<(String, Vec<u8>)>,
    seed: &[u8; 32],
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut seen = std::collections::BTreeSet::new();
    for (path, _) in &files {
        if path == MANIFEST || path == SIGNATURE || !seen.insert(path.as_str()) {
            return Err(format!("bundle file `{path}` is reserved or repeated"));
        }
    }
    let key = SigningKey::from_bytes(seed);
    let manifest = Manifest {
        format: FORMAT.to_string(),
        subject: header.subject,
        generated_at: header.generated_at,
        generated_by: header.generated_by,
        reporter_identity: header.reporter_identity,
        cases: header.cases,
        signer: Signer {
            algorithm: "ed25519".to_string(),
            public_key: hex::encode(key.verifying_key().to_bytes()),
        },
        files: files
            .iter()
            .map(|(path, bytes)| FileEntry {
                path: path.clone(),
                sha256: sha256_hex(bytes),
                size: bytes.len() as u64,
            })
            .collect(),
    };
    let mut manifest_bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| format!("manifest: {e}"))?;
    manifest_bytes.push(b'\n');
    let signature = key.sign(&manifest_bytes);
    let mut out = Vec::with_capacity(files.len() + 2);
    out.push((MANIFEST.to_string(), manifest_bytes));
    out.push((
        SIGNATURE.to_string(),
        format!("{}\n", hex::encode(signature.to_bytes())).into_bytes(),
    ));
    out.extend(files);
    Ok(out)
}

/// One thing wrong with a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No `manifest.json`, or it is not a manifest of this format.
    ManifestUnreadable(String),
    /// No `manifest.sig`, or it is not 64 bytes of hex.
    SignatureMissing,
    /// The signature does not verify over the manifest's bytes with the manifest's key: the
    /// manifest was edited after signing.
    ManifestAltered,
    /// The bundle was signed by another key than the pinned one.
    WrongKey { expected: String, found: String },
    /// The file's bytes do not match the SHA-256 (or size) in the manifest.
    FileAltered { path: String },
    /// A file in the bundle that the manifest does not list (or a second copy of one).
    FileAdded { path: String },
    /// A file the manifest lists that is not in the bundle.
    FileRemoved { path: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::ManifestUnreadable(why) => write!(f, "manifest unreadable: {why}"),
            Problem::SignatureMissing => write!(f, "signature missing or malformed ({SIGNATURE})"),
            Problem::ManifestAltered => write!(
                f,
                "manifest altered: the signature does not match {MANIFEST}"
            ),
            Problem::WrongKey { expected, found } => {
                write!(f, "wrong key: signed by {found}, expected {expected}")
            }
            Problem::FileAltered { path } => {
                write!(
                    f,
                    "file altered: {path} (SHA-256 does not match the manifest)"
                )
            }
            Problem::FileAdded { path } => write!(f, "file added: {path} (not in the manifest)"),
            Problem::FileRemoved { path } => {
                write!(f, "file removed: {path} (listed in the manifest, missing)")
            }
        }
    }
}

/// The outcome of verifying a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The manifest, when it could be read.
    pub manifest: Option<Manifest>,
    /// The key the bundle says signed it (hex), when the manifest could be read.
    pub signer: Option<String>,
    /// Whether the signer was checked against a key given by the verifier.
    pub pinned: bool,
    /// Empty when the bundle is intact.
    pub problems: Vec<Problem>,
}

impl Verification {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies a bundle given its entries (name, bytes) in any order. With `pinned`, the bundle
/// must be signed by that key; without it, the key inside the manifest is used and the result
/// says it was not pinned (anyone can sign a bundle with a key of their own).
pub fn verify(entries: &[(String, Vec<u8>)], pinned: Option<&[u8; 32]>) -> Verification {
    let mut out = Verification {
        manifest: None,
        signer: None,
        pinned: pinned.is_some(),
        problems: Vec::new(),
    };
    let mut by_name: BTreeMap<&str, &[u8]> = BTreeMap::new();
    for (name, bytes) in entries {
        if by_name.insert(name.as_str(), bytes.as_slice()).is_some() {
            out.problems.push(Problem::FileAdded { path: name.clone() });
        }
    }
    let Some(manifest_bytes) = by_name.remove(MANIFEST) else {
        out.problems
            .push(Problem::ManifestUnreadable(format!("no {MANIFEST}")));
        return out;
    };
    let manifest: Manifest = match serde_json::from_slice(manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            // An edited manifest that no longer parses is still an altered manifest.
            out.problems
                .push(Problem::ManifestUnreadable(format!("{MANIFEST}: {e}")));
            return out;
        }
    };
    if manifest.format != FORMAT {
        out.problems.push(Problem::ManifestUnreadable(format!(
            "format `{}`, expected `{FORMAT}`",
            manifest.format
        )));
        return out;
    }
    out.signer = Some(manifest.signer.public_key.clone());

    // The signature: over the manifest bytes, with the pinned key or the manifest's own.
    let signature = by_name
        .remove(SIGNATURE)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|t| hex::decode(t.trim()).ok())
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b));
    let claimed = parse_public_key(&manifest.signer.public_key).ok();
    match signature {
        None => out.problems.push(Problem::SignatureMissing),
        Some(sig) => {
            let key = pinned.copied().or(claimed);
            let valid = key
                .and_then(|k| VerifyingKey::from_bytes(&k).ok())
                .is_some_and(|k| k.verify_strict(manifest_bytes, &sig).is_ok());
            match pinned {
                Some(p) if claimed != Some(*p) => out.problems.push(Problem::WrongKey {
                    expected: hex::encode(p),
                    found: manifest.signer.public_key.clone(),
                }),
                _ if !valid => out.problems.push(Problem::ManifestAltered),
                _ => {}
            }
        }
    }

    // The files: each listed one present with its hash, nothing else present.
    for entry in &manifest.files {
        match by_name.remove(entry.path.as_str()) {
            None => out.problems.push(Problem::FileRemoved {
                path: entry.path.clone(),
            }),
            Some(bytes) => {
                if bytes.len() as u64 != entry.size || sha256_hex(bytes) != entry.sha256 {
                    out.problems.push(Problem::FileAltered {
                        path: entry.path.clone(),
                    });
                }
            }
        }
    }
    for path in by_name.keys() {
        out.problems.push(Problem::FileAdded {
            path: (*path).to_string(),
        });
    }
    out.manifest = Some(manifest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: [u8; 32] = [3; 32];

    fn bundle() -> Vec<(String, Vec<u8>)> {
        seal(
            Header {
                subject: Subject {
                    kind: "case".into(),
                    id: 7,
                },
                generated_at: "2025-01-02T03:04:05Z".into(),
                generated_by: "cli:test".into(),
                reporter_identity: false,
                cases: vec![7],
            },
            vec![
                ("cases/7/case.json".into(), b"{\"id\":7}".to_vec()),
                ("cases/7/audit.json".into(), b"[]".to_vec()),
            ],
            &SEED,
        )
        .unwrap()
    }

    fn problems(entries: &[(String, Vec<u8>)], pinned: Option<&[u8; 32]>) -> Vec<String> {
        verify(entries, pinned)
            .problems
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn an_intact_bundle_verifies_pinned_or_not() {
        let b = bundle();
        assert_eq!(b[0].0, MANIFEST);
        assert_eq!(b[1].0, SIGNATURE);
        let v = verify(&b, None);
        assert!(v.is_ok(), "{:?}", v.problems);
        assert!(!v.pinned);
        assert_eq!(v.signer.as_deref(), Some(public_key_hex(&SEED).as_str()));
        let key = parse_public_key(&public_key_hex(&SEED)).unwrap();
        let v = verify(&b, Some(&key));
        assert!(v.is_ok() && v.pinned);
        assert_eq!(v.manifest.unwrap().files.len(), 2);
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        let mut altered = bundle();
        altered[2].1 = b"{\"id\":8}".to_vec();
        assert_eq!(
            problems(&altered, None),
            ["file altered: cases/7/case.json (SHA-256 does not match the manifest)"]
        );

        let mut added = bundle();
        added.push(("cases/7/extra.json".into(), b"{}".to_vec()));
        assert_eq!(
            problems(&added, None),
            ["file added: cases/7/extra.json (not in the manifest)"]
        );

        let mut removed = bundle();
        removed.remove(3);
        assert_eq!(
            problems(&removed, None),
            ["file removed: cases/7/audit.json (listed in the manifest, missing)"]
        );

        // Editing the manifest (here: hiding that a file was changed) breaks the signature.
        let mut edited = bundle();
        edited[2].1 = b"{\"id\":9}".to_vec();
        let text = String::from_utf8(edited[0].1.clone()).unwrap();
        let old = sha256_hex(b"{\"id\":7}");
        edited[0].1 = text.replace(&old, &sha256_hex(b"{\"id\":9}")).into_bytes();
        assert_eq!(
            problems(&edited, None),
            ["manifest altered: the signature does not match manifest.json"]
        );

        let mut unsigned = bundle();
        unsigned.remove(1);
        assert_eq!(
            problems(&unsigned, None),
            ["signature missing or malformed (manifest.sig)"]
        );

        let mut no_manifest = bundle();
        no_manifest.remove(0);
        assert_eq!(
            problems(&no_manifest, None),
            ["manifest unreadable: no manifest.json"]
        );
    }

    #[test]
    fn a_bundle_re_signed_with_another_key_is_caught_only_when_pinned() {
        // A forger rebuilds the bundle with altered content and their own key.
        let mut forged = seal(
            Header {
                subject: Subject {
                    kind: "case".into(),
                    id: 7,
                },
                generated_at: "2025-01-02T03:04:05Z".into(),
                generated_by: "cli:test".into(),
                reporter_identity: false,
                cases: vec![7],
            },
            vec![("cases/7/case.json".into(), b"{\"id\":8}".to_vec())],
            &[9; 32],
        )
        .unwrap();
        assert!(verify(&forged, None).is_ok(), "self-consistent, unpinned");
        let ours = parse_public_key(&public_key_hex(&SEED)).unwrap();
        let p = problems(&forged, Some(&ours));
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("wrong key: signed by "), "{p:?}");
        // Swapping only the key inside the manifest breaks the signature as well.
        let text = String::from_utf8(forged[0].1.clone()).unwrap();
        forged[0].1 = text
            .replace(&public_key_hex(&[9; 32]), &public_key_hex(&SEED))
            .into_bytes();
        assert_eq!(
            problems(&forged, Some(&ours)),
            ["manifest altered: the signature does not match manifest.json"]
        );
    }

    #[test]
    fn keys_parse_from_hex_only() {
        assert!(parse_public_key(&public_key_hex(&SEED)).is_ok());
        assert!(parse_public_key("abcd").is_err());
        assert!(parse_public_key(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn reserved_and_repeated_names_are_refused() {
        let h = Header {
            subject: Subject {
                kind: "case".into(),
                id: 1,
            },
            generated_at: String::new(),
            generated_by: String::new(),
            reporter_identity: false,
            cases: vec![],
        };
        assert!(seal(h.clone(), vec![(MANIFEST.into(), vec![])], &SEED).is_err());
        assert!(seal(h, vec![("a".into(), vec![]), ("a".into(), vec![1])], &SEED).is_err());
    }
}
