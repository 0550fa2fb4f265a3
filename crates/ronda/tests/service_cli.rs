//! The real `ronda` binary, run as an operator would: first start, kill -9 durability, graceful
//! shutdown, token management, audit verification against tampering, bulk import, bad config.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_ronda");

/// Where a test's data lives: a data dir, and for PostgreSQL a fresh schema's URL.
struct Place {
    dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Place {
    fn sqlite() -> Place {
        Place {
            dir: tempfile::tempdir().unwrap(),
            database_url: None,
        }
    }

    fn postgres() -> Place {
        let (url, _schema) = ronda_store::testing::fresh_pg_schema();
        Place {
            dir: tempfile::tempdir().unwrap(),
            database_url: Some(url),
        }
    }

    fn args(&self) -> Vec<String> {
        let mut a = vec![
            "--data-dir".to_string(),
            self.dir.path().display().to_string(),
        ];
        if let Some(u) = &self.database_url {
            a.push("--database-url".into());
            a.push(u.clone());
        }
        a
    }

    fn ronda(&self, sub: &[&str]) -> Output {
        Command::new(BIN)
            .args(sub)
            .args(self.args())
            .env_remove("RONDA_CONFIG")
            .output()
            .unwrap()
    }
}

struct Server {
    child: Child,
    base: String,
    lines: mpsc::Receiver<String>,
    first_token: Option<String>,
    /// Whether a token was printed on standard output.
    printed_token: bool,
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failed assertion must not leave a server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(place: &Place) -> Server {
        let child = Command::new(BIN)
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(place.args())
            .env("RONDA_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let mut server = Server {
            child,
            base: String::new(),
            lines: rx,
            first_token: None,
            printed_token: false,
        };
        let out = server.child.stdout.take().unwrap();
        let err = server.child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(format!("stderr: {l}"));
            }
        });
        loop {
            let line = server
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("server did not start");
            if line.starts_with("rnd_") {
                server.printed_token = true;
            }
            // The first start names the token file; the token is read from there.
            if let Some(rest) = line.strip_prefix("First start: created an admin token in ") {
                let path = rest.split(" (mode").next().unwrap();
                server.first_token =
                    Some(std::fs::read_to_string(path).unwrap().trim().to_string());
            }
            if let Some(rest) = line.strip_prefix("ronda listening on http://") {
                let addr = rest.split_whitespace().next().unwrap();
                server.base = format!("http://{addr}/api/v1");
                return server;
            }
        }
    }

    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        let lines: Vec<String> = self.lines.try_iter().collect();
        (exit, lines)
    }
}

fn post(base: &str, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let resp = reqwest::blocking::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

fn get(base: &str, token: &str, path: &str) -> (u16, Value) {
    let resp = reqwest::blocking::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

fn report(i: usize) -> Value {
    json!({"source": "patrol", "platform": "michat", "target": {"account": format!("k9_{}", i % 7)}, "text": format!("open bo {i}")})
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn token_from(o: &Output) -> String {
    assert!(o.status.success(), "{}", stderr(o));
    stdout(o).lines().last().unwrap().to_string()
}

fn survives_kill_9(place: &Place) {
    let server = Server::start(place);
    let admin = server
        .first_token
        .clone()
        .expect("first start prints a token");
    let mut accepted = Vec::new();
    for i in 0..60 {
        let (s, v) = post(&server.base, &admin, "/reports", &report(i));
        assert_eq!(s, 201, "{v}");
        accepted.push(v);
    }
    let (s, v) = post(
        &server.base,
        &admin,
        "/reports:batch",
        &json!({"reports": (60..160).map(report).collect::<Vec<_>>()}),
    );
    assert_eq!(s, 200);
    accepted.extend(v["results"].as_array().unwrap().iter().cloned());
    server.kill9();

    let server = Server::start(place);
    assert!(
        server.first_token.is_none(),
        "a restart creates no new admin token"
    );
    let mut totals = std::collections::BTreeMap::new();
    for a in &accepted {
        *totals.entry(a["case_id"].as_i64().unwrap()).or_insert(0) += 1;
    }
    for (case_id, n) in &totals {
        let (s, case) = get(&server.base, &admin, &format!("/cases/{case_id}"));
        assert_eq!(s, 200);
        assert_eq!(
            case["reports"]["total"].as_i64().unwrap(),
            *n,
            "case {case_id}"
        );
    }
    assert_eq!(totals.values().sum::<i64>(), 160);
    let (exit, _) = server.terminate();
    assert!(exit.success());
    let v = place.ronda(&["audit", "verify"]);
    assert!(v.status.success(), "{}", stderr(&v));
}

#[test]
fn a_report_answered_2xx_survives_kill_9_on_sqlite() {
    survives_kill_9(&Place::sqlite());
}

#[test]
fn a_report_answered_2xx_survives_kill_9_on_postgres() {
    survives_kill_9(&Place::postgres());
}

#[test]
fn first_start_writes_the_admin_token_once_with_mode_0600() {
    let place = Place::sqlite();
    let server = Server::start(&place);
    let printed = server.first_token.clone().unwrap();
    assert!(
        !server.printed_token,
        "the token is not printed: stdout ends up in logs"
    );
    let path = place.dir.path().join("admin.token");
    assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), printed);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        // The data directory and the embedded database are the owner's only.
        assert_eq!(mode(place.dir.path()), 0o700);
        for f in ["ronda.db", "ronda.db-wal"] {
            let p = place.dir.path().join(f);
            if p.exists() {
                assert_eq!(mode(&p), 0o600, "{f}");
            }
        }
        assert!(place.dir.path().join("ronda.db").exists());
    }
    let (s, v) = get(&server.base, &printed, "/platforms");
    assert_eq!(s, 200);
    assert!(
        v["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "michat")
    );
    // SIGTERM: a clean, successful exit.
    let (exit, lines) = server.terminate();
    assert!(exit.success(), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("stopped cleanly")),
        "{lines:?}"
    );
}

#[test]
fn tokens_are_managed_from_the_cli_while_the_server_runs() {
    let place = Place::sqlite();
    let server = Server::start(&place);
    let out = place.ronda(&["token", "create", "--role", "intake", "--name", "crawler-1"]);
    let intake = token_from(&out);
    assert!(intake.starts_with("rnd_"));
    let (s, _) = post(&server.base, &intake, "/reports", &report(1));
    assert_eq!(
        s, 201,
        "a token made by the CLI works on the running server at once"
    );
    let list = place.ronda(&["token", "list"]);
    assert!(stdout(&list).contains("crawler-1") && !stdout(&list).contains(&intake));
    let id = stdout(&list)
        .lines()
        .find(|l| l.contains("crawler-1"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    let revoked = place.ronda(&["token", "revoke", &id]);
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    std::thread::sleep(Duration::from_millis(2_100)); // the server's auth cache (2 s by default)
    let (s, _) = post(&server.base, &intake, "/reports", &report(2));
    assert_eq!(s, 401);
    let bad = place.ronda(&["token", "create", "--role", "platform", "--name", "x"]);
    assert!(!bad.status.success() && stderr(&bad).contains("platform"));
    let bad_role = place.ronda(&["token", "create", "--role", "god", "--name", "x"]);
    assert_eq!(
        bad_role.status.code(),
        Some(2),
        "clap rejects an unknown role"
    );
    server.kill9();
}

fn tamper(place: &Place, seq: i64) {
    match &place.database_url {
        None => {
            let db = rusqlite::Connection::open(place.dir.path().join("ronda.db")).unwrap();
            db.execute("UPDATE audit_events SET after_json = replace(after_json, 'report_id', 'rep0rt_id') WHERE seq = ?1", [seq]).unwrap();
        }
        Some(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.execute("UPDATE audit_events SET after_json = replace(after_json, 'report_id', 'rep0rt_id') WHERE seq = $1", &[&seq]).unwrap();
        }
    }
}

fn audit_detects_tampering(place: &Place) {
    let file = place.dir.path().join("in.jsonl");
    let lines: Vec<String> = (0..20).map(|i| report(i).to_string()).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let imp = place.ronda(&["import", "reports", file.to_str().unwrap()]);
    assert!(imp.status.success(), "{}", stderr(&imp));
    let ok = place.ronda(&["audit", "verify"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let n: i64 = stdout(&ok)
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap();
    let target = n - 5;
    tamper(place, target);
    let bad = place.ronda(&["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains(&format!("audit event {target}:")),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn audit_verify_names_an_event_edited_behind_the_services_back_on_sqlite() {
    audit_detects_tampering(&Place::sqlite());
}

#[test]
fn audit_verify_names_an_event_edited_behind_the_services_back_on_postgres() {
    audit_detects_tampering(&Place::postgres());
}

#[test]
fn import_reports_per_line_errors_and_keeps_good_lines() {
    let place = Place::sqlite();
    let file = place.dir.path().join("in.jsonl");
    let content = [
        report(1).to_string(),
        "{not json".to_string(),
        String::new(),
        json!({"source": "patrol", "platform": "nosuch", "target": {"account": "a"}}).to_string(),
        json!({"source": "patrol", "platform": "michat", "target": {"acount": "a"}}).to_string(),
        json!({"source": "patrol", "platform": "michat", "target": {"account": "b"}, "external_id": "x-1"}).to_string(),
    ]
    .join("\n");
    std::fs::write(&file, content).unwrap();
    let out = place.ronda(&["import", "reports", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "refused lines make a non-zero exit"
    );
    let err = stderr(&out);
    for expected in ["line 2:", "line 4: platform", "line 5: target.acount"] {
        assert!(err.contains(expected), "missing {expected:?} in {err}");
    }
    assert!(
        stdout(&out)
            .contains("imported 2 reports (2 new cases); 0 already imported; 3 lines refused"),
        "{}",
        stdout(&out)
    );
    // Importing again: the line with an external_id is recognised.
    let again = place.ronda(&["import", "reports", file.to_str().unwrap()]);
    assert!(
        stdout(&again).contains("1 already imported"),
        "{}",
        stdout(&again)
    );
    let missing = place.ronda(&["import", "reports", "/nonexistent.jsonl"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("cannot read /nonexistent.jsonl"));
}

#[test]
fn a_bad_configuration_is_a_clear_message_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ronda.toml");
    std::fs::write(&bad, "listen = \"127.0.0.1:8080\"\nlisten_port = 5\n").unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(BIN);
        c.args(args).env_remove("RONDA_CONFIG");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let o = run(&["serve", "--config", bad.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("listen_port"), "{}", stderr(&o));
    let o = run(
        &["serve", "--data-dir", dir.path().to_str().unwrap()],
        &[("RONDA_LISTEN", "not-an-address")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).to_lowercase().contains("listen"),
        "{}",
        stderr(&o)
    );
    let o = run(&["token", "list", "--database-url", "mysql://x"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("mysql"), "{}", stderr(&o));
    let o = run(
        &[
            "serve",
            "--config",
            dir.path().join("missing.toml").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let help = run(&["serve", "--help"], &[]);
    assert!(stdout(&help).contains("--database-url") && stdout(&help).contains("--data-dir"));
}

#[test]
fn config_file_and_environment_configure_the_server() {
    let place = Place::sqlite();
    let cfg = place.dir.path().join("ronda.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = \"{}\"\npublic_per_minute = 1\npublic_burst = 1\n",
            place.dir.path().display()
        ),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--config", cfg.to_str().unwrap()])
        .env("RONDA_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut base = String::new();
    for l in out.lines().map_while(Result::ok) {
        if let Some(rest) = l.strip_prefix("ronda listening on http://") {
            base = format!("http://{}/api/v1", rest.split_whitespace().next().unwrap());
            break;
        }
    }
    assert!(Path::new(&place.dir.path().join("ronda.db")).exists());
    let c = reqwest::blocking::Client::new();
    let body = json!({"platform": "michat", "target": {"account": "cfg"}});
    let first = c
        .post(format!("{base}/public/reports"))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(first.status().as_u16(), 201);
    let second = c
        .post(format!("{base}/public/reports"))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(
        second.status().as_u16(),
        429,
        "the file's rate limit applies"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn escalations_run_by_hand_at_a_given_time() {
    let place = Place::sqlite();
    let server = Server::start(&place);
    let admin = server.first_token.clone().unwrap();
    let (_, r) = post(&server.base, &admin, "/reports", &report(1));
    let case = r["case_id"].as_i64().unwrap();
    let (s, _) = post(
        &server.base,
        &admin,
        &format!("/cases/{case}/claim"),
        &json!({}),
    );
    assert_eq!(s, 200);
    let (s, d) = post(
        &server.base,
        &admin,
        &format!("/cases/{case}/decision"),
        &json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"}),
    );
    assert_eq!(s, 200, "{d}");
    let (_, n) = get(
        &server.base,
        &admin,
        &format!("/notices/{}", d["notice_id"]),
    );
    let deadline = n["deadline"].as_str().unwrap().to_string();
    server.kill9();

    let early = place.ronda(&["escalations", "run", "--now", "2000-01-01T00:00:00Z"]);
    assert!(
        stdout(&early).contains("0 escalation steps applied"),
        "{}",
        stderr(&early)
    );
    let due = ronda_core::clock::parse_rfc3339(&deadline).unwrap() + 25 * 3_600_000;
    let at = ronda_core::clock::to_rfc3339(due);
    // A pass in the future escalates for good: refused without --yes, shown by --dry-run.
    let refused = place.ronda(&["escalations", "run", "--now", &at]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("in the future") && stderr(&refused).contains("--dry-run"),
        "{}",
        stderr(&refused)
    );
    let dry = place.ronda(&["escalations", "run", "--now", &at, "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("none -> warning_1")
            && stdout(&dry).contains("warning_1 -> warning_2")
            && stdout(&dry).contains("WIB")
            && stdout(&dry).contains("nothing changed"),
        "{}",
        stdout(&dry)
    );
    let list = place.ronda(&["notices", "list", "--format", "json"]);
    let line: Value = serde_json::from_str(stdout(&list).lines().next().unwrap()).unwrap();
    assert_eq!(line["escalation_step"], "none", "a dry run changes nothing");
    let out = place.ronda(&["escalations", "run", "--now", &at, "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("WIB"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("warning_1") && stdout(&out).contains("warning_2"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("2 escalation steps applied"),
        "{}",
        stdout(&out)
    );
    let list = place.ronda(&["notices", "list", "--format", "json"]);
    let line: Value = serde_json::from_str(stdout(&list).lines().next().unwrap()).unwrap();
    assert_eq!(line["escalation_step"], "warning_2");
    let table = place.ronda(&["notices", "list", "--platform", "michat"]);
    assert!(stdout(&table).contains("WIB") && stdout(&table).contains("warning_2"));
    let bad = place.ronda(&["escalations", "run", "--now", "tomorrow"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("RFC 3339"));
    assert!(place.ronda(&["audit", "verify"]).status.success());
}

#[test]
fn sighup_reloads_detection_rules_and_a_bad_file_is_refused() {
    let place = Place::sqlite();
    let rules = place.dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        include_str!("../../ronda-detect/rules/default.toml"),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(place.args())
        .env("RONDA_DETECT_RULES_FILE", &rules)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in err.lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let wait_for = |needle: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Ok(l) = rx.recv_timeout(Duration::from_millis(200))
                && l.contains(needle)
            {
                return true;
            }
        }
        false
    };
    assert!(wait_for("ronda serving"));
    let hup = || {
        Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .unwrap()
    };
    std::fs::write(&rules, "[[rule]]\nid = \"broken\"\n").unwrap();
    assert!(hup().success());
    assert!(wait_for("reload failed; the previous engine stays"));
    std::fs::write(
        &rules,
        include_str!("../../ronda-detect/rules/default.toml"),
    )
    .unwrap();
    assert!(hup().success());
    assert!(wait_for("SIGHUP: detection rules and model reloaded"));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn an_address_in_use_is_named() {
    let place = Place::sqlite();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args(["serve", "--listen", &addr])
        .args(place.args())
        .env_remove("RONDA_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("cannot listen on {addr}")) && err.contains("--listen"),
        "{err}"
    );
}
