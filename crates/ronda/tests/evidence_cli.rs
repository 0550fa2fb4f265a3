//! Evidence bundles with the real binary: export from the store, verify offline, and every kind
//! of tampering named with a non-zero exit; the signing key; retention and referrals commands.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ronda_core::evidence::public_key_hex;
use ronda_server::evidence_zip::{read_zip, write_zip};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_ronda");

fn ronda(data: &Path, sub: &[&str]) -> Output {
    Command::new(BIN)
        .args(sub)
        .arg("--data-dir")
        .arg(data)
        .env_remove("RONDA_CONFIG")
        .output()
        .unwrap()
}

/// `ronda evidence verify`, which takes no store options: it works offline.
fn verify(zip: &Path, key: Option<&str>) -> Output {
    let mut c = Command::new(BIN);
    c.args(["evidence", "verify"]).arg(zip);
    if let Some(k) = key {
        c.args(["--public-key", k]);
    }
    c.env_remove("RONDA_CONFIG").output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A data dir with two reports (one case) about `rina` and one about `sari`.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    let lines = [
        json!({"source": "public", "platform": "michat", "target": {"account": "rina"},
               "text": "ready open bo", "reporter": {"name": "Warga Satu", "contact": "warga1@example.org"}}),
        json!({"source": "patrol", "platform": "michat", "target": {"account": "rina"}, "text": "avail malam ini"}),
        json!({"source": "patrol", "platform": "michat", "target": {"account": "sari"}, "text": "slot kosong"}),
    ]
    .map(|l| l.to_string())
    .join("\n");
    std::fs::write(&file, lines).unwrap();
    let out = ronda(dir.path(), &["import", "reports", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

/// A bundle's entries as read from its zip.
type Entries = Vec<(String, Vec<u8>)>;
/// A named way of tampering with a bundle, and what `verify` must then say.
type Tamper = (&'static str, Box<dyn FnOnce(&mut Entries)>, &'static str);

fn rezip(from: &Path, to: &Path, edit: impl FnOnce(&mut Entries)) -> PathBuf {
    let mut entries = read_zip(&std::fs::read(from).unwrap()).unwrap();
    edit(&mut entries);
    std::fs::write(to, write_zip(&entries).unwrap()).unwrap();
    to.to_path_buf()
}

#[test]
fn a_bundle_is_exported_verified_offline_and_every_tampering_is_named() {
    let dir = setup();
    let data = dir.path();
    let zip = data.join("case1.zip");
    let out = ronda(
        data,
        &[
            "evidence",
            "export",
            "--case",
            "1",
            "--out",
            zip.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("manifest SHA-256"),
        "{}",
        text(&out.stdout)
    );

    // The key: created once, 0600, its public half printed by `keys show`.
    let key_file = data.join("signing.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let shown = ronda(data, &["keys", "show"]);
    let key = text(&shown.stdout).trim().to_string();
    let seed: [u8; 32] = std::fs::read(&key_file).unwrap().try_into().unwrap();
    assert_eq!(key, public_key_hex(&seed));

    // Intact: pinned and not pinned.
    let ok = verify(&zip, Some(&key));
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(
        text(&ok.stdout).contains("bundle intact"),
        "{}",
        text(&ok.stdout)
    );
    assert!(text(&ok.stdout).contains("(the pinned key)"));
    // Without a pinned key, who signed is not checked: exit 3 unless the embedded key is
    // trusted on purpose; the signer is named either way.
    let unpinned = verify(&zip, None);
    assert_eq!(
        unpinned.status.code(),
        Some(3),
        "{}",
        text(&unpinned.stderr)
    );
    assert!(text(&unpinned.stdout).contains(&format!("signed by {key}, a key the bundle names")));
    assert!(text(&unpinned.stderr).contains("--trust-embedded-key"));
    let trusted = Command::new(BIN)
        .args(["evidence", "verify", "--trust-embedded-key"])
        .arg(&zip)
        .env_remove("RONDA_CONFIG")
        .output()
        .unwrap();
    assert_eq!(trusted.status.code(), Some(0), "{}", text(&trusted.stderr));

    // Edited and re-signed with another key: intact as a bundle, but not ours.
    let forged = rezip(&zip, &data.join("forged.zip"), |e| {
        let manifest: ronda_core::evidence::Manifest = serde_json::from_slice(&e[0].1).unwrap();
        let files: Vec<(String, Vec<u8>)> = e
            .drain(2..)
            .map(|(p, b)| {
                if p == "cases/1/case.json" {
                    (p, b"{\"status\":\"rejected\"}".to_vec())
                } else {
                    (p, b)
                }
            })
            .collect();
        let header = ronda_core::evidence::Header {
            subject: manifest.subject,
            generated_at: manifest.generated_at,
            generated_by: manifest.generated_by,
            reporter_identity: manifest.reporter_identity,
            cases: manifest.cases,
        };
        *e = ronda_core::evidence::seal(header, files, &[1; 32]).unwrap();
    });
    let out = verify(&forged, None);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&public_key_hex(&[1; 32])));
    let out = verify(&forged, Some(&key));
    assert_eq!(out.status.code(), Some(1));

    // Data stored under a directory entry is a file the manifest does not list.
    let smuggled = rezip(&zip, &data.join("smuggled.zip"), |e| {
        e.push(("smuggled_dir/".to_string(), b"hidden".to_vec()));
    });
    let out = verify(&smuggled, Some(&key));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("smuggled_dir/"),
        "{}",
        text(&out.stderr)
    );

    // Reporter identity stays out unless asked for.
    let entries = read_zip(&std::fs::read(&zip).unwrap()).unwrap();
    let all: Vec<u8> = entries.iter().flat_map(|(_, b)| b.clone()).collect();
    assert!(!text(&all).contains("warga1@example.org"));
    let with = data.join("with.zip");
    let out = ronda(
        data,
        &[
            "evidence",
            "export",
            "--case",
            "1",
            "--out",
            with.to_str().unwrap(),
            "--include-reporters",
        ],
    );
    assert!(out.status.success());
    let entries = read_zip(&std::fs::read(&with).unwrap()).unwrap();
    let all: Vec<u8> = entries.iter().flat_map(|(_, b)| b.clone()).collect();
    assert!(text(&all).contains("warga1@example.org"));

    let cases: [Tamper; 4] = [
        (
            "altered",
            Box::new(|e| {
                let f = e
                    .iter_mut()
                    .find(|(p, _)| p == "cases/1/case.json")
                    .unwrap();
                f.1 = text(&f.1).replace("michat", "whatsapp").into_bytes();
            }),
            "file altered: cases/1/case.json",
        ),
        (
            "added",
            Box::new(|e| e.push(("cases/1/planted.json".into(), b"{}".to_vec()))),
            "file added: cases/1/planted.json",
        ),
        (
            "removed",
            Box::new(|e| e.retain(|(p, _)| p != "cases/1/audit.json")),
            "file removed: cases/1/audit.json",
        ),
        (
            "manifest",
            Box::new(|e| {
                let m = e.iter_mut().find(|(p, _)| p == "manifest.json").unwrap();
                m.1 = text(&m.1).replace("cli:", "cli:someone-else-").into_bytes();
            }),
            "manifest altered",
        ),
    ];
    for (name, edit, expected) in cases {
        let bad = rezip(&zip, &data.join(format!("{name}.zip")), edit);
        let out = verify(&bad, Some(&key));
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = text(&out.stderr);
        assert!(
            err.contains("bundle NOT intact") && err.contains(expected),
            "{name}: {err}"
        );
    }

    // A key other than the pinned one.
    let other = public_key_hex(&[1; 32]);
    let out = verify(&zip, Some(&other));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!("wrong key: signed by {key}, expected {other}")),
        "{}",
        text(&out.stderr)
    );
    // Not a key, not a zip: a message and a non-zero exit.
    let out = verify(&zip, Some("xyz"));
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("--public-key"));
    let junk = data.join("junk.zip");
    std::fs::write(&junk, b"not a zip").unwrap();
    let out = verify(&junk, None);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("not a readable zip"),
        "{}",
        text(&out.stderr)
    );
    // An unknown case.
    let out = ronda(
        data,
        &["evidence", "export", "--case", "99", "--out", "/dev/null"],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("case 99 not found"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_actor_bundle_covers_the_cases_of_its_accounts() {
    let dir = setup();
    let data = dir.path();
    // Both accounts in one actor (whatever linking decided on its own from their texts).
    let db = rusqlite::Connection::open(data.join("ronda.db")).unwrap();
    db.execute_batch(
        "INSERT OR IGNORE INTO actors (id, created_at) VALUES (1, 0); UPDATE accounts SET actor_id = 1;",
    )
    .unwrap();
    drop(db);
    let zip = data.join("actor.zip");
    let out = ronda(
        data,
        &[
            "evidence",
            "export",
            "--actor",
            "1",
            "--out",
            zip.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("2 cases"),
        "{}",
        text(&out.stdout)
    );
    let ok = verify(&zip, None);
    assert_eq!(ok.status.code(), Some(3), "{}", text(&ok.stderr));
    let names: Vec<String> = read_zip(&std::fs::read(&zip).unwrap())
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(names.contains(&"cases/1/case.json".to_string()));
    assert!(names.contains(&"cases/2/case.json".to_string()));
    let out = ronda(data, &["evidence", "export", "--out", "/dev/null"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap: --case or --actor is required"
    );
}

#[test]
fn retention_and_referrals_from_the_cli() {
    let dir = setup();
    let data = dir.path();
    let off = ronda(data, &["retention", "run"]);
    assert!(off.status.success());
    assert!(text(&off.stdout).contains("retention is off"));
    let config = data.join("ronda.toml");
    std::fs::write(
        &config,
        "[retention]\ncontent_days = 30\nreporter_contact_days = 90\n",
    )
    .unwrap();
    let dry = ronda(
        data,
        &[
            "retention",
            "run",
            "--dry-run",
            "--now",
            "2099-01-01T00:00:00Z",
            "--config",
            config.to_str().unwrap(),
        ],
    );
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    // Nothing is closed yet: the cases are open.
    assert!(
        text(&dry.stdout).contains(
            "would remove: 0 content snapshots, 0 reporter identities, in 0 closed cases"
        ),
        "{}",
        text(&dry.stdout)
    );
    let bad = ronda(
        data,
        &[
            "retention",
            "run",
            "--now",
            "yesterday",
            "--config",
            config.to_str().unwrap(),
        ],
    );
    assert_ne!(bad.status.code(), Some(0));
    assert!(text(&bad.stderr).contains("--now"));
    let list = ronda(data, &["referrals", "list"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    assert_eq!(text(&list.stdout), "");
}
