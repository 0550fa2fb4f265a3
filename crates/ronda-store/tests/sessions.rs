//! Console sessions on both backends, on a manual clock: a started session serves its user
//! until sign-out, idle time or its absolute lifetime; use is written at most once a minute and
//! keeps an active session alive; disabling the user or resetting their password ends it; only
//! the secret's hash is stored; start and end are audited under the user. Sign-in attempts are
//! throttled per user: five failures in a row lock the account for a while (audited).

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::sync::Arc;

use ronda_core::clock::ManualClock;
use ronda_core::model::Role;
use ronda_store::sessions::{SessionPolicy, TOUCH_EVERY_MS};
use ronda_store::testing::TestDb;
use ronda_store::users::{Lockout, NewUser, PasswordChoice, SignIn, User};

const MIN: i64 = 60_000;
const POLICY: SessionPolicy = SessionPolicy {
    idle_ms: 30 * MIN,
    absolute_ms: 12 * 60 * MIN,
};

fn with_clock(backend: fn(Arc<ManualClock>) -> TestDb, check: fn(&TestDb, &ManualClock)) {
    let clock = Arc::new(ManualClock::new(1_780_000_000_000));
    let db = backend(clock.clone());
    check(&db, &clock);
}

fn sqlite(c: Arc<ManualClock>) -> TestDb {
    ronda_store::testing::sqlite_with(c)
}

fn postgres(c: Arc<ManualClock>) -> TestDb {
    ronda_store::testing::postgres_with(c)
}

fn analyst(db: &TestDb, name: &str) -> User {
    let new = NewUser {
        name: name.into(),
        role: Role::Analyst,
        platform: None,
        unit: None,
    };
    db.store
        .create_user_blocking(
            "admin:ayu",
            new,
            PasswordChoice::Chosen("a long password".into()),
        )
        .unwrap()
        .0
}

fn lives_while_used_and_ends_idle_or_at_its_lifetime(db: &TestDb, clock: &ManualClock) {
    let s = &db.store;
    let u = analyst(db, "rina");
    let started = s.start_session_blocking(u.id, &u.name, POLICY).unwrap();
    let live = s
        .session_blocking(&started.secret, POLICY)
        .unwrap()
        .unwrap();
    assert_eq!(
        (live.user_id, live.csrf_token.as_str()),
        (u.id, started.csrf_token.as_str())
    );
    assert_eq!(s.user_by_id(live.user_id).unwrap().unwrap().name, "rina");
    assert!(
        s.session_blocking("rnd_not_a_session", POLICY)
            .unwrap()
            .is_none()
    );
    // Only the hash is stored.
    let stored: String = s
        .read(|c| {
            c.query_one(
                "SELECT token_hash FROM sessions WHERE id = $1",
                &[started.id.into()],
            )?
            .string(0)
        })
        .unwrap();
    assert_ne!(stored, started.secret);

    // Used every 20 minutes, it outlives the 30-minute idle limit many times over...
    for _ in 0..30 {
        clock.advance_ms(20 * MIN);
        assert!(
            s.session_blocking(&started.secret, POLICY)
                .unwrap()
                .is_some()
        );
    }
    // ...but not its 12-hour lifetime: alive at 11 h 40 min, ended at 12 h.
    for _ in 0..5 {
        clock.advance_ms(20 * MIN);
        assert!(
            s.session_blocking(&started.secret, POLICY)
                .unwrap()
                .is_some()
        );
    }
    clock.advance_ms(20 * MIN);
    assert!(
        s.session_blocking(&started.secret, POLICY)
            .unwrap()
            .is_none(),
        "past its lifetime"
    );

    // Left alone past the idle time, a session ends.
    let idle = s.start_session_blocking(u.id, &u.name, POLICY).unwrap();
    clock.advance_ms(29 * MIN);
    assert!(s.session_blocking(&idle.secret, POLICY).unwrap().is_some());
    clock.advance_ms(30 * MIN);
    assert!(
        s.session_blocking(&idle.secret, POLICY).unwrap().is_none(),
        "idle"
    );

    // Use within a minute is not written again.
    let quick = s.start_session_blocking(u.id, &u.name, POLICY).unwrap();
    clock.advance_ms(TOUCH_EVERY_MS / 2);
    let seen = s.session_blocking(&quick.secret, POLICY).unwrap().unwrap();
    assert_eq!(seen.last_seen_at, seen.expires_at - POLICY.absolute_ms);
    clock.advance_ms(TOUCH_EVERY_MS);
    let seen = s.session_blocking(&quick.secret, POLICY).unwrap().unwrap();
    assert_eq!(seen.last_seen_at, s.now_ms());
}

fn sign_out_disable_and_reset_end_sessions(db: &TestDb, _clock: &ManualClock) {
    let s = &db.store;
    let u = analyst(db, "budi");
    let a = s.start_session_blocking(u.id, &u.name, POLICY).unwrap();
    let b = s.start_session_blocking(u.id, &u.name, POLICY).unwrap();
    s.end_session_blocking(&a.secret).unwrap();
    assert!(s.session_blocking(&a.secret, POLICY).unwrap().is_none());
    assert!(
        s.end_session_blocking(&a.secret).is_err(),
        "an ended session is not found"
    );
    assert!(s.session_blocking(&b.secret, POLICY).unwrap().is_some());
    s.reset_user_password_blocking("admin:ayu", "budi", PasswordChoice::Generated)
        .unwrap();
    assert!(
        s.session_blocking(&b.secret, POLICY).unwrap().is_none(),
        "a reset ends sessions"
    );
    let c = s.start_session_blocking(u.id, &u.name, POLICY).unwrap();
    s.disable_user_blocking("admin:ayu", "budi").unwrap();
    assert!(
        s.session_blocking(&c.secret, POLICY).unwrap().is_none(),
        "disabling ends sessions"
    );
    let actions: Vec<(String, String)> = s
        .audit_events_for(&format!("user:{}", u.id))
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action))
        .collect();
    let by_user: Vec<&str> = actions
        .iter()
        .filter(|(actor, _)| actor == "user:budi")
        .map(|(_, a)| a.as_str())
        .collect();
    assert_eq!(
        by_user,
        [
            "session.started",
            "session.started",
            "session.ended",
            "session.started"
        ]
    );
}

const LOCKOUT: Lockout = Lockout {
    max_failures: 5,
    lock_ms: 15 * MIN,
};

fn repeated_failures_lock_the_account_for_a_while(db: &TestDb, clock: &ManualClock) {
    let s = &db.store;
    let u = analyst(db, "sari");
    assert!(
        matches!(s.sign_in_blocking("SARI", "a long password", None, LOCKOUT).unwrap(), SignIn::Accepted(ref a) if a.id == u.id)
    );
    // Four failures, a success: the count starts again.
    for _ in 0..4 {
        assert_eq!(
            s.sign_in_blocking("sari", "wrong guess", None, LOCKOUT)
                .unwrap(),
            SignIn::Refused
        );
    }
    assert!(matches!(
        s.sign_in_blocking("sari", "a long password", None, LOCKOUT)
            .unwrap(),
        SignIn::Accepted(_)
    ));
    for _ in 0..4 {
        assert_eq!(
            s.sign_in_blocking("sari", "wrong guess", None, LOCKOUT)
                .unwrap(),
            SignIn::Refused
        );
    }
    // The fifth failure in a row locks it; then even the right password is refused.
    let until = s.now_ms() + 15 * MIN;
    assert_eq!(
        s.sign_in_blocking("sari", "wrong guess", None, LOCKOUT)
            .unwrap(),
        SignIn::Locked { until }
    );
    clock.advance_ms(14 * MIN);
    assert_eq!(
        s.sign_in_blocking("sari", "a long password", None, LOCKOUT)
            .unwrap(),
        SignIn::Locked { until }
    );
    clock.advance_ms(MIN);
    assert!(matches!(
        s.sign_in_blocking("sari", "a long password", None, LOCKOUT)
            .unwrap(),
        SignIn::Accepted(_)
    ));
    let locks = s
        .audit_events_for(&format!("user:{}", u.id))
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "user.locked")
        .count();
    assert_eq!(locks, 1);
    // A reset unlocks at once; unknown and disabled users are refused like a wrong password.
    for _ in 0..5 {
        s.sign_in_blocking("sari", "wrong guess", None, LOCKOUT)
            .unwrap();
    }
    s.reset_user_password_blocking(
        "admin:ayu",
        "sari",
        PasswordChoice::Chosen("another long one".into()),
    )
    .unwrap();
    assert!(matches!(
        s.sign_in_blocking("sari", "another long one", None, LOCKOUT)
            .unwrap(),
        SignIn::Accepted(_)
    ));
    assert_eq!(
        s.sign_in_blocking("nobody", "a long password", None, LOCKOUT)
            .unwrap(),
        SignIn::Refused
    );
    assert_eq!(
        s.sign_in_blocking("not a name!", "a long password", None, LOCKOUT)
            .unwrap(),
        SignIn::Refused
    );
    s.disable_user_blocking("admin:ayu", "sari").unwrap();
    assert_eq!(
        s.sign_in_blocking("sari", "another long one", None, LOCKOUT)
            .unwrap(),
        SignIn::Refused
    );
}

#[test]
fn sqlite_repeated_failures_lock_the_account_for_a_while() {
    with_clock(sqlite, repeated_failures_lock_the_account_for_a_while);
}

#[test]
fn postgres_repeated_failures_lock_the_account_for_a_while() {
    with_clock(postgres, repeated_failures_lock_the_account_for_a_while);
}

#[test]
fn sqlite_lives_while_used_and_ends_idle_or_at_its_lifetime() {
    with_clock(sqlite, lives_while_used_and_ends_idle_or_at_its_lifetime);
}

#[test]
fn postgres_lives_while_used_and_ends_idle_or_at_its_lifetime() {
    with_clock(postgres, lives_while_used_and_ends_idle_or_at_its_lifetime);
}

#[test]
fn sqlite_sign_out_disable_and_reset_end_sessions() {
    with_clock(sqlite, sign_out_disable_and_reset_end_sessions);
}

#[test]
fn postgres_sign_out_disable_and_reset_end_sessions() {
    with_clock(postgres, sign_out_disable_and_reset_end_sessions);
}

/// The code an authenticator shows for `secret` at `ms`.
fn code(secret: &[u8], ms: i64) -> String {
    use ronda_core::totp::{DIGITS, code_at, step_of};
    format!("{:06}", code_at(secret, step_of(ms), DIGITS))
}

fn a_second_factor_asks_for_a_code_once_per_step(db: &TestDb, clock: &ManualClock) {
    let s = &db.store;
    let u = analyst(db, "sari");
    let secret = b"an authenticator secret";
    let key = ronda_core::totp::base32_encode(secret);
    // Turning it on proves the app holds the key.
    let wrong = if code(secret, s.now_ms()) == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert!(s.enable_totp_blocking(u.id, &key, wrong).is_err());
    s.enable_totp_blocking(u.id, &key, &code(secret, s.now_ms()))
        .unwrap();
    assert!(s.user_by_id(u.id).unwrap().unwrap().totp);
    // The code used to turn it on does not sign in; the password alone asks for a code.
    let pw = "a long password";
    assert_eq!(
        s.sign_in_blocking("sari", pw, Some(&code(secret, s.now_ms())), LOCKOUT)
            .unwrap(),
        SignIn::Refused
    );
    clock.advance_ms(30_000);
    assert_eq!(
        s.sign_in_blocking("sari", pw, None, LOCKOUT).unwrap(),
        SignIn::CodeRequired
    );
    assert_eq!(
        s.sign_in_blocking("sari", pw, Some(""), LOCKOUT).unwrap(),
        SignIn::CodeRequired
    );
    let now_code = code(secret, s.now_ms());
    // A wrong password with the right code is refused like any wrong password.
    assert_eq!(
        s.sign_in_blocking("sari", "wrong guess", Some(&now_code), LOCKOUT)
            .unwrap(),
        SignIn::Refused
    );
    assert!(matches!(
        s.sign_in_blocking("sari", pw, Some(&now_code), LOCKOUT)
            .unwrap(),
        SignIn::Accepted(_)
    ));
    // The same code again: refused (a replay).
    assert_eq!(
        s.sign_in_blocking("sari", pw, Some(&now_code), LOCKOUT)
            .unwrap(),
        SignIn::Refused
    );
    // Wrong codes count towards the lock-out (the replay was the first of five).
    clock.advance_ms(30_000);
    let wrong = if code(secret, s.now_ms()) == "123456" {
        "654321"
    } else {
        "123456"
    };
    for _ in 0..3 {
        assert_eq!(
            s.sign_in_blocking("sari", pw, Some(wrong), LOCKOUT)
                .unwrap(),
            SignIn::Refused
        );
    }
    assert!(matches!(
        s.sign_in_blocking("sari", pw, Some(wrong), LOCKOUT)
            .unwrap(),
        SignIn::Locked { .. }
    ));
    // Turned off (a lost phone): the password alone signs in again, once unlocked.
    s.reset_user_password_blocking("admin", "sari", PasswordChoice::Chosen(pw.into()))
        .unwrap();
    s.disable_totp_blocking("admin", "sari").unwrap();
    assert!(
        matches!(s.sign_in_blocking("sari", pw, None, LOCKOUT).unwrap(), SignIn::Accepted(ref a) if !a.totp)
    );
    let actions: Vec<String> = s
        .audit_events_for(&format!("user:{}", u.id))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"user.totp_enabled".to_string())
            && actions.contains(&"user.totp_disabled".to_string()),
        "{actions:?}"
    );
    // The secret is stored sealed, never as typed.
    assert!(
        !s.audit_events_for(&format!("user:{}", u.id))
            .unwrap()
            .iter()
            .any(|e| e.after.as_deref().is_some_and(|a| a.contains(&key)))
    );
}

#[test]
fn sqlite_a_second_factor_asks_for_a_code_once_per_step() {
    with_clock(sqlite, a_second_factor_asks_for_a_code_once_per_step);
}

#[test]
fn postgres_a_second_factor_asks_for_a_code_once_per_step() {
    with_clock(postgres, a_second_factor_asks_for_a_code_once_per_step);
}
