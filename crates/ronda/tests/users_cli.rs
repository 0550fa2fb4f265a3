//! `ronda user …` as an operator runs it, on SQLite and PostgreSQL: a generated one-time
//! password alone on the last line, a chosen one read from standard input (refused with a
//! message and exit 1 when too short, and then nothing is created), platform and police users
//! bound to their platform or unit, disable and reset-password, every change audited under the
//! operator's name with no password in the log.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use ronda_core::clock::SystemClock;
use ronda_store::users::{Lockout, SignIn, User};
use ronda_store::{Store, StoreError};

/// A sign-in as the console will make it, with a lock-out no test here reaches.
trait SignInExt {
    fn sign_in(&self, name: &str, password: &str) -> Result<Option<User>, StoreError>;
}

impl SignInExt for Store {
    fn sign_in(&self, name: &str, password: &str) -> Result<Option<User>, StoreError> {
        let lockout = Lockout {
            max_failures: 100,
            lock_ms: 60_000,
        };
        Ok(
            match self.sign_in_blocking(name, password, None, lockout)? {
                SignIn::Accepted(u) => Some(u),
                SignIn::Refused | SignIn::Locked { .. } | SignIn::CodeRequired => None,
            },
        )
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_ronda");

struct Place {
    dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Place {
    fn args(&self) -> Vec<String> {
        let mut a = vec![
            "--data-dir".to_string(),
            self.dir.path().display().to_string(),
        ];
        if let Some(u) = &self.database_url {
            a.extend(["--database-url".to_string(), u.clone()]);
        }
        a
    }

    fn ronda(&self, sub: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(BIN)
            .args(sub)
            .args(self.args())
            .env_remove("RONDA_CONFIG")
            .env("USER", "operator1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }

    /// The store as the CLI opened it (its data dir's key).
    fn store(&self) -> ronda_store::Store {
        let config = ronda_service::config::Config {
            data_dir: self.dir.path().to_path_buf(),
            database_url: self.database_url.clone(),
            ..Default::default()
        };
        ronda_service::bootstrap::open_store(&config, std::sync::Arc::new(SystemClock)).unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn users_are_managed_from_the_cli(place: &Place) {
    // A generated password: alone on the last line of standard output.
    let out = place.ronda(
        &["user", "create", "--name", "Rina", "--role", "analyst"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let password = stdout.lines().last().unwrap().to_string();
    assert_eq!(password.len(), 20, "{stdout}");
    assert!(
        text(&out.stderr).contains("one-time password"),
        "{}",
        text(&out.stderr)
    );

    // A chosen password from standard input; too short is refused and creates nothing.
    let out = place.ronda(
        &[
            "user",
            "create",
            "--name",
            "budi",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("at least 12 characters"),
        "{}",
        text(&out.stderr)
    );
    let out = place.ronda(
        &[
            "user",
            "create",
            "--name",
            "budi",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        Some("kata sandi yang panjang\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("kata sandi"));

    // Platform and police users belong to their platform or unit.
    let out = place.ronda(
        &["user", "create", "--name", "mod1", "--role", "platform"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--platform"),
        "{}",
        text(&out.stderr)
    );
    let out = place.ronda(
        &[
            "user",
            "create",
            "--name",
            "mod1",
            "--role",
            "platform",
            "--platform",
            "michat",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = place.ronda(
        &[
            "user",
            "create",
            "--name",
            "sari",
            "--role",
            "police",
            "--unit",
            "Polda Metro Jaya",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = place.ronda(&["user", "disable", "rina"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = place.ronda(&["user", "reset-password", "budi"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let reset = text(&out.stdout).lines().last().unwrap().to_string();
    let out = place.ronda(&["user", "reset-password", "nobody"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not found"),
        "{}",
        text(&out.stderr)
    );

    let out = place.ronda(&["user", "list"], None);
    let list = text(&out.stdout);
    let row = |name: &str| list.lines().find(|l| l.contains(name)).unwrap().to_string();
    assert!(row("rina").contains("disabled"), "{list}");
    assert!(row("budi").contains("password to be changed"), "{list}");
    assert!(row("mod1").contains("michat"), "{list}");
    assert!(row("sari").contains("Polda Metro Jaya"), "{list}");
    assert!(
        !list.contains(&password) && !list.contains("argon2"),
        "{list}"
    );

    // What the store holds: passwords that verify, a disabled user who does not, the audit.
    let store = place.store();
    assert!(store.sign_in("rina", &password).unwrap().is_none());
    assert!(
        store
            .sign_in("budi", "kata sandi yang panjang")
            .unwrap()
            .is_none()
    );
    assert!(store.sign_in("budi", &reset).unwrap().is_some());
    let users = store.list_users().unwrap();
    let budi = users.iter().find(|u| u.name == "budi").unwrap();
    let events = store
        .audit_events_for(&format!("user:{}", budi.id))
        .unwrap();
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("cli:operator1", "user.created"),
            ("cli:operator1", "user.password_reset")
        ]
    );
    for e in &events {
        let after = e.after.clone().unwrap_or_default();
        assert!(
            !after.contains("kata sandi") && !after.contains(&reset),
            "{after}"
        );
    }

    // A second factor set up in the console, turned off from the CLI (a lost phone).
    let key = ronda_core::totp::base32_encode(b"a phone that was lost");
    let bytes = ronda_core::totp::base32_decode(&key).unwrap();
    let code = format!(
        "{:06}",
        ronda_core::totp::code_at(&bytes, ronda_core::totp::step_of(store.now_ms()), 6)
    );
    store.enable_totp_blocking(budi.id, &key, &code).unwrap();
    store.close();
    let out = place.ronda(&["user", "list"], None);
    assert!(
        text(&out.stdout).contains("second factor on"),
        "{}",
        text(&out.stdout)
    );
    let out = place.ronda(&["user", "disable-totp", "budi"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("second factor off for user"));
    let out = place.ronda(&["user", "disable-totp", "nobody"], None);
    assert!(!out.status.success());
    let store = place.store();
    assert!(
        store.sign_in("budi", &reset).unwrap().is_some(),
        "the password alone again"
    );
    store.close();
}

#[test]
fn users_on_sqlite() {
    users_are_managed_from_the_cli(&Place {
        dir: tempfile::tempdir().unwrap(),
        database_url: None,
    });
}

#[test]
fn users_on_postgres() {
    let (url, _schema) = ronda_store::testing::fresh_pg_schema();
    users_are_managed_from_the_cli(&Place {
        dir: tempfile::tempdir().unwrap(),
        database_url: Some(url),
    });
}
