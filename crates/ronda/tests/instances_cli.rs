//! Three `ronda serve` processes on one PostgreSQL database, with a real webhook receiver on
//! loopback that answers slowly: confirmations, platform answers and three concurrent
//! `ronda escalations run` spread over the instances. No notice is made twice, no escalation
//! step is applied twice, no delivery id reaches the receiver twice, no answer is lost.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_ronda");

/// (delivery id, body) of every request the receiver got.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// An HTTP receiver on 127.0.0.1 that answers 204 after `delay`, one thread per connection.
fn receiver(delay: Duration) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut length, mut delivery) = (0usize, String::new());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        match k.to_ascii_lowercase().as_str() {
                            "content-length" => length = v.trim().parse().unwrap_or(0),
                            "x-ronda-delivery" => delivery = v.trim().to_string(),
                            _ => {}
                        }
                    }
                }
                let mut body = vec![0u8; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                std::thread::sleep(delay);
                let _ = stream.write_all(
                    b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                log.lock().unwrap().push((delivery, body));
            });
        }
    });
    (addr, seen)
}

struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(config: &std::path::Path) -> Instance {
    let mut child = Command::new(BIN)
        .args(["serve", "--config", config.to_str().unwrap()])
        .env_remove("RONDA_CONFIG")
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
    assert!(!base.is_empty(), "the instance did not start");
    Instance { child, base }
}

fn call(method: &str, base: &str, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let c = reqwest::blocking::Client::new();
    let req = match method {
        "GET" => c.get(format!("{base}{path}")),
        "PUT" => c.put(format!("{base}{path}")).json(body),
        _ => c.post(format!("{base}{path}")).json(body),
    };
    let resp = req.bearer_auth(token).send().unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

fn token(config: &std::path::Path, role: &str, platform: Option<&str>) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "token", "create", "--role", role, "--name", role, "--config",
    ])
    .arg(config);
    if let Some(p) = platform {
        cmd.args(["--platform", p]);
    }
    let out = cmd.env_remove("RONDA_CONFIG").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string()
}

#[test]
fn three_instances_on_one_database_do_everything_once() {
    const CASES: usize = 10;
    let (url, _schema) = ronda_store::testing::fresh_pg_schema();
    let (receiver_addr, seen) = receiver(Duration::from_millis(300));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ronda.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\ndatabase_url = \"{url}\"\nwebhook_interval_ms = 50\nescalation_interval_secs = 3600\n\
             outbound_allow = [\"{receiver_addr}\"]\n",
            dir.path().display()
        ),
    )
    .unwrap();
    // The instances share one data directory: the same secret and signing keys.
    let instances: Vec<Instance> = (0..3).map(|_| start(&config)).collect();
    let admin = std::fs::read_to_string(dir.path().join("admin.token"))
        .unwrap()
        .trim()
        .to_string();
    let michat = token(&config, "platform", Some("michat"));
    let base = |i: usize| instances[i % 3].base.as_str();

    let (s, v) = call(
        "PUT",
        base(0),
        &michat,
        "/platforms/michat/webhook",
        &json!({"url": format!("http://{receiver_addr}/hook")}),
    );
    assert_eq!(s, 200, "{v}");

    // Reports and confirmations, each through another instance.
    let mut notices = Vec::new();
    for i in 0..CASES {
        let (s, r) = call(
            "POST",
            base(i),
            &admin,
            "/reports",
            &json!({"source": "patrol",
            "platform": "michat", "target": {"account": format!("multi_{i}")}, "text": "open bo"}),
        );
        assert_eq!(s, 201, "{r}");
        let case = r["case_id"].as_i64().unwrap();
        let (s, d) = call(
            "POST",
            base(i + 1),
            &admin,
            &format!("/cases/{case}/decision"),
            &json!({"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"}),
        );
        assert_eq!(s, 200, "{d}");
        notices.push(d["notice_id"].as_i64().unwrap());
    }
    // The platform answers half of them, through the instances in turn.
    for (i, n) in notices.iter().enumerate().take(CASES / 2) {
        let (s, v) = call(
            "POST",
            base(i + 2),
            &michat,
            &format!("/platform/notices/{n}/response"),
            &json!({"action": "acknowledged"}),
        );
        assert_eq!(s, 200, "{v}");
    }
    // Three passes of the ladder at once, a day after the deadlines.
    let (_, first) = call(
        "GET",
        base(0),
        &admin,
        &format!("/notices/{}", notices[0]),
        &Value::Null,
    );
    let deadline = ronda_core::clock::parse_rfc3339(first["deadline"].as_str().unwrap()).unwrap();
    let at = ronda_core::clock::to_rfc3339(deadline + 3_600_000);
    let runs: Vec<_> = (0..3)
        .map(|_| {
            Command::new(BIN)
                .args(["escalations", "run", "--now", &at, "--yes", "--config"])
                .arg(&config)
                .env_remove("RONDA_CONFIG")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for r in runs {
        let out = r.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Every event reaches the receiver: a notice.sent per notice, a notice.escalated per notice
    // (one step each: warning_1 is due at the deadline, warning_2 a day later).
    let expected = CASES * 2;
    let started = Instant::now();
    while seen.lock().unwrap().len() < expected && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500)); // any repeat would arrive now
    let seen = seen.lock().unwrap().clone();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (id, _) in &seen {
        *by_id.entry(id.as_str()).or_default() += 1;
    }
    let repeated: Vec<_> = by_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "delivered more than once: {repeated:?}"
    );
    let mut per_event: HashMap<(String, i64), usize> = HashMap::new();
    for (_, body) in &seen {
        let key = (
            body["event"].as_str().unwrap_or("?").to_string(),
            body["notice_id"].as_i64().unwrap_or(-1),
        );
        *per_event.entry(key).or_default() += 1;
    }
    for n in &notices {
        for event in ["notice.sent", "notice.escalated"] {
            assert_eq!(
                per_event.get(&(event.to_string(), *n)),
                Some(&1),
                "{event} of notice {n}: {per_event:?}"
            );
        }
    }
    assert_eq!(seen.len(), expected, "{per_event:?}");

    // One notice per case, one step per notice, every answer kept.
    let (_, list) = call(
        "GET",
        base(1),
        &admin,
        "/notices?platform=michat",
        &Value::Null,
    );
    let listed = list["notices"].as_array().unwrap();
    assert_eq!(listed.len(), CASES, "{list}");
    for (i, n) in notices.iter().enumerate() {
        let (_, v) = call(
            "GET",
            base(i),
            &admin,
            &format!("/notices/{n}"),
            &Value::Null,
        );
        assert_eq!(v["escalation"]["step"], "warning_1", "{v}");
        if i < CASES / 2 {
            assert_eq!(
                v["response"]["action"], "acknowledged",
                "the answer was kept: {v}"
            );
        }
    }
    eprintln!(
        "3 instances, {CASES} notices: {} deliveries received, {} distinct ids, 0 repeats",
        seen.len(),
        by_id.len()
    );
}
