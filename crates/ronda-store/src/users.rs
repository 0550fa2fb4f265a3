//! People who sign in with a password: a sign-in name, a role (the API's roles) and, for
//! platform and police users, the platform or police unit they belong to.
//!
//! Passwords are kept only as Argon2id PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$…`: the
//! OWASP minimum of 19 MiB, two passes, one lane; the parameters travel in the string, so raising
//! them later leaves old hashes verifiable). A password Ronda generated (`ronda user create`
//! without `--password-stdin`, `reset-password`) is shown once and marked to be changed at the
//! first sign-in. A disabled user is kept (the audit log names them) and signs in no more;
//! disabling a user or resetting their password ends their sessions (`sessions.rs`).
//! Every change is audited under the person who made it; no password or hash reaches the log.
//! Sign-in is throttled per user ([`Store::sign_in_blocking`]): a run of failures locks the
//! account for a while, audited as `user.locked`; per-address limits belong to the HTTP edge.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use ronda_core::model::Role;
use ronda_core::report::FieldError;
use serde_json::json;

use crate::db::{Conn, Row};
use crate::error::{Result, StoreError};
use crate::params;
use crate::store::{Store, Tx};

/// The shortest password a person may choose.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest (Argon2 takes any length; this bounds the work one sign-in may ask for).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A user as listed (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub platform: Option<String>,
    pub unit: Option<String>,
    pub password_must_change: bool,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    /// Whether signing in also asks for a TOTP code.
    pub totp: bool,
}

/// Who a new user is.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    /// Required for (and only for) platform users.
    pub platform: Option<String>,
    /// Required for (and only for) police users: the unit they belong to.
    pub unit: Option<String>,
}

/// How a password is set: chosen by the person (checked against the policy) or generated
/// (returned once, to be changed at the first sign-in).
#[derive(Debug, Clone)]
pub enum PasswordChoice {
    Chosen(String),
    Generated,
}

const USER_COLUMNS: &str = "u.id, u.name, u.role, p.name, u.unit, u.password_must_change, u.created_at, u.disabled_at, \
     CASE WHEN u.totp_secret IS NULL THEN 0 ELSE 1 END";

fn user_from_row(r: &Row) -> Result<User> {
    Ok(User {
        id: r.i64(0)?,
        name: r.string(1)?,
        role: r.parse(2)?,
        platform: r.opt_string(3)?,
        unit: r.opt_string(4)?,
        password_must_change: r.i64(5)? == 1,
        created_at: r.i64(6)?,
        disabled_at: r.opt_i64(7)?,
        totp: r.i64(8)? == 1,
    })
}

fn argon2() -> Argon2<'static> {
    // The crate's defaults are these values; written out so that they cannot drift unseen.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The Argon2id PHC string of `password`, with a random 16-byte salt.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0_u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Conflict(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Conflict(format!("hashing a password: {e}")))
}

/// Whether `password` matches the PHC string `phc` (false for a string that does not parse).
pub fn password_matches(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

/// A generated password: 20 characters from an alphabet without look-alikes (`0O1lI`), about
/// 113 bits.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Refuses a chosen password outside the policy (length only: NIST SP 800-63B).
pub fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(
            "too_short",
            "password",
            format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
        )
        .into());
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(
            "too_long",
            "password",
            format!("a password has at most {MAX_PASSWORD_CHARS} characters"),
        )
        .into());
    }
    if password.chars().any(char::is_control) {
        return Err(FieldError::new(
            "invalid_value",
            "password",
            "a password holds no control characters",
        )
        .into());
    }
    Ok(())
}

/// A sign-in name: 2 to 64 of `a-z 0-9 . _ -`, starting with a letter (lower-cased first).
pub fn normalize_name(name: &str) -> Result<String> {
    let n = name.trim().to_ascii_lowercase();
    let ok = (2..=64).contains(&n.len())
        && n.starts_with(|c: char| c.is_ascii_lowercase())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(FieldError::new(
            "invalid",
            "name",
            "a user name is 2 to 64 of a-z, 0-9, `.`, `_`, `-`, starting with a letter",
        )
        .into());
    }
    Ok(n)
}

/// The password to store and, when generated, the one to show.
fn resolve(choice: PasswordChoice) -> Result<(String, bool, Option<String>)> {
    match choice {
        PasswordChoice::Chosen(p) => {
            check_password(&p)?;
            Ok((hash_password(&p)?, false, None))
        }
        PasswordChoice::Generated => {
            let p = generate_password();
            Ok((hash_password(&p)?, true, Some(p)))
        }
    }
}

/// A user by name, with what signing in needs: the password hash, the failed attempts in a
/// row and the end of a lock-out.
struct Account {
    user: User,
    phc: String,
    failed_sign_ins: i64,
    locked_until: Option<i64>,
    /// The sealed TOTP secret (base32) and the last step a code was accepted for.
    totp: Option<(String, Option<i64>)>,
}

fn find(conn: &mut dyn Conn, name: &str) -> Result<Option<Account>> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, u.password_hash, u.failed_sign_ins, u.locked_until, u.totp_secret, u.totp_last_step \
         FROM users u LEFT JOIN platforms p ON p.id = u.platform_id WHERE u.name = $1"
    );
    conn.query_opt(&sql, params![name])?
        .map(|r| {
            Ok(Account {
                user: user_from_row(&r)?,
                phc: r.string(9)?,
                failed_sign_ins: r.i64(10)?,
                locked_until: r.opt_i64(11)?,
                totp: r
                    .opt_string(12)?
                    .map(|t| Ok::<_, StoreError>((t, r.opt_i64(13)?)))
                    .transpose()?,
            })
        })
        .transpose()
}

/// A user by id.
fn by_id(conn: &mut dyn Conn, id: i64) -> Result<Option<User>> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users u LEFT JOIN platforms p ON p.id = u.platform_id WHERE u.id = $1"
    );
    conn.query_opt(&sql, params![id])?
        .map(|r| user_from_row(&r))
        .transpose()
}

fn create(
    tx: &mut Tx<'_>,
    actor: &str,
    new: &NewUser,
    password_hash: &str,
    must_change: bool,
) -> Result<User> {
    let platform_id =
        crate::platforms::bound_platform(tx, new.role, new.platform.as_deref(), "user")?;
    match (new.role, new.unit.as_deref()) {
        (Role::Police, None) => {
            return Err(FieldError::new(
                "required",
                "unit",
                "a police user belongs to a unit (--unit)",
            )
            .into());
        }
        (Role::Police, Some(_)) | (_, None) => {}
        (_, Some(_)) => {
            return Err(
                FieldError::new("invalid", "unit", "only police users belong to a unit").into(),
            );
        }
    }
    if find(tx.conn(), &new.name)?.is_some() {
        return Err(StoreError::Conflict(format!(
            "a user named `{}` exists",
            new.name
        )));
    }
    let now = tx.now_ms();
    let id = tx.conn().insert_id(
        "INSERT INTO users (name, role, platform_id, unit, password_hash, password_must_change, password_changed_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        params![
            new.name.as_str(),
            new.role.as_str(),
            platform_id,
            new.unit.as_deref(),
            password_hash,
            i64::from(must_change),
            now,
            now
        ],
    )?;
    let after = json!({"name": new.name, "role": new.role, "platform": new.platform,
        "unit": new.unit, "password_must_change": must_change});
    tx.audit(
        actor,
        "user.created",
        &format!("user:{id}"),
        None,
        Some(&after.to_string()),
    )?;
    Ok(User {
        id,
        name: new.name.clone(),
        role: new.role,
        platform: new.platform.clone(),
        unit: new.unit.clone(),
        password_must_change: must_change,
        created_at: now,
        disabled_at: None,
        totp: false,
    })
}

impl Store {
    /// Creates a user; returns it and, for a generated password, that password (shown once).
    pub fn create_user_blocking(
        &self,
        actor: &str,
        new: NewUser,
        password: PasswordChoice,
    ) -> Result<(User, Option<String>)> {
        let new = NewUser {
            name: normalize_name(&new.name)?,
            platform: new.platform.map(|p| p.trim().to_ascii_lowercase()),
            unit: new
                .unit
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty()),
            role: new.role,
        };
        if let Some(u) = &new.unit {
            ronda_core::report::check_chars(u, "unit")?;
            if u.chars().count() > 128 {
                return Err(FieldError::new("too_long", "unit", "at most 128 characters").into());
            }
        }
        // Hashing takes tens of milliseconds: done before the write transaction.
        let (hash, must_change, shown) = resolve(password)?;
        let actor = actor.to_string();
        let user =
            self.write_blocking(1, move |tx| create(tx, &actor, &new, &hash, must_change))?;
        Ok((user, shown))
    }

    /// A user by id (a session's user).
    pub fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        self.read(|conn| by_id(conn, id))
    }

    /// Every user, by id.
    pub fn list_users(&self) -> Result<Vec<User>> {
        self.read(|conn| {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users u LEFT JOIN platforms p ON p.id = u.platform_id ORDER BY u.id"
            );
            conn.query(&sql, params![])?
                .iter()
                .map(user_from_row)
                .collect()
        })
    }

    /// Disables a user: they verify no password any more. Disabling a disabled user is a
    /// conflict.
    pub fn disable_user_blocking(&self, actor: &str, name: &str) -> Result<User> {
        let name = normalize_name(name)?;
        let actor = actor.to_string();
        self.write_blocking(1, move |tx| {
            let user = find(tx.conn(), &name)?
                .ok_or_else(|| StoreError::NotFound(format!("user `{name}`")))?
                .user;
            if user.disabled_at.is_some() {
                return Err(StoreError::Conflict(format!(
                    "user `{name}` is already disabled"
                )));
            }
            let now = tx.now_ms();
            tx.conn().execute(
                "UPDATE users SET disabled_at = $2 WHERE id = $1",
                params![user.id, now],
            )?;
            crate::sessions::end_all(tx, user.id)?;
            tx.audit(
                &actor,
                "user.disabled",
                &format!("user:{}", user.id),
                Some(r#"{"disabled":false}"#),
                Some(r#"{"disabled":true}"#),
            )?;
            Ok(User {
                disabled_at: Some(now),
                ..user
            })
        })
    }

    /// Sets a new password; returns the generated one when asked for (to be changed at the
    /// next sign-in).
    pub fn reset_user_password_blocking(
        &self,
        actor: &str,
        name: &str,
        password: PasswordChoice,
    ) -> Result<Option<String>> {
        let name = normalize_name(name)?;
        let (hash, must_change, shown) = resolve(password)?;
        let actor = actor.to_string();
        self.write_blocking(1, move |tx| {
            let user = find(tx.conn(), &name)?
                .ok_or_else(|| StoreError::NotFound(format!("user `{name}`")))?
                .user;
            let now = tx.now_ms();
            tx.conn().execute(
                "UPDATE users SET password_hash = $2, password_must_change = $3, password_changed_at = $4, \
                 failed_sign_ins = 0, locked_until = NULL WHERE id = $1",
                params![user.id, hash.as_str(), i64::from(must_change), now],
            )?;
            crate::sessions::end_all(tx, user.id)?;
            tx.audit(
                &actor,
                "user.password_reset",
                &format!("user:{}", user.id),
                None,
                Some(&json!({"password_must_change": must_change}).to_string()),
            )
        })?;
        Ok(shown)
    }
}

impl Store {
    /// A user changes their own password, proving the current one: the new one must follow
    /// the policy and differ from it; the must-change mark goes, and every other session of
    /// the user ends (`keep_session` is the one they are using). Audited under the user.
    /// A wrong current password is `invalid` (`current_password`).
    pub fn change_own_password_blocking(
        &self,
        user_id: i64,
        keep_session: i64,
        current: &str,
        new: &str,
    ) -> Result<()> {
        check_password(new)?;
        if current == new {
            return Err(FieldError::new(
                "invalid",
                "new_password",
                "the new password is the current one",
            )
            .into());
        }
        let user = self
            .read(|conn| by_id(conn, user_id))?
            .ok_or_else(|| StoreError::NotFound("user".into()))?;
        let phc = self
            .read(|conn| find(conn, &user.name))?
            .map(|a| a.phc)
            .unwrap_or_default();
        if !password_matches(&phc, current) {
            return Err(FieldError::new(
                "invalid",
                "current_password",
                "the current password is not right",
            )
            .into());
        }
        let hash = hash_password(new)?;
        let actor = format!("user:{}", user.name);
        self.write_blocking(1, move |tx| {
            let now = tx.now_ms();
            tx.conn().execute(
                "UPDATE users SET password_hash = $2, password_must_change = 0, password_changed_at = $3 \
                 WHERE id = $1",
                params![user_id, hash.as_str(), now],
            )?;
            crate::sessions::end_others(tx, user_id, keep_session)?;
            tx.audit(
                &actor,
                "user.password_changed",
                &format!("user:{user_id}"),
                None,
                None,
            )?;
            Ok(())
        })
    }
}

impl Store {
    /// Turns on the second factor for a user who proved, with `code`, that their
    /// authenticator holds `secret` (base32). Audited under the user.
    pub fn enable_totp_blocking(&self, user_id: i64, secret: &str, code: &str) -> Result<()> {
        let bytes = ronda_core::totp::base32_decode(secret)
            .filter(|b| b.len() >= 16)
            .ok_or_else(|| {
                FieldError::new(
                    "invalid",
                    "secret",
                    "not a base32 secret of at least 128 bits",
                )
            })?;
        let step = ronda_core::totp::verify(&bytes, code, self.now_ms(), None)
            .ok_or_else(|| FieldError::new("invalid", "code", "the code does not match"))?;
        let canonical = ronda_core::totp::base32_encode(&bytes);
        self.write_blocking(1, move |tx| {
            let user =
                by_id(tx.conn(), user_id)?.ok_or_else(|| StoreError::NotFound("user".into()))?;
            if user.totp {
                return Err(StoreError::Conflict(
                    "the second factor is already on".into(),
                ));
            }
            let sealed = tx.seal(&canonical);
            tx.conn().execute(
                "UPDATE users SET totp_secret = $2, totp_last_step = $3 WHERE id = $1",
                params![user_id, sealed.as_str(), step],
            )?;
            tx.audit(
                &format!("user:{}", user.name),
                "user.totp_enabled",
                &format!("user:{user_id}"),
                None,
                None,
            )?;
            Ok(())
        })
    }

    /// Turns a user's second factor off (they lost their device); they set it up again at the
    /// next sign-in when it is required. Ends their sessions. Audited under `actor`.
    pub fn disable_totp_blocking(&self, actor: &str, name: &str) -> Result<User> {
        let name = normalize_name(name)?;
        let actor = actor.to_string();
        self.write_blocking(1, move |tx| {
            let user = find(tx.conn(), &name)?
                .ok_or_else(|| StoreError::NotFound(format!("user `{name}`")))?
                .user;
            tx.conn().execute(
                "UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1",
                params![user.id],
            )?;
            crate::sessions::end_all(tx, user.id)?;
            tx.audit(
                &actor,
                "user.totp_disabled",
                &format!("user:{}", user.id),
                None,
                None,
            )?;
            Ok(User {
                totp: false,
                ..user
            })
        })
    }
}

/// How many failed sign-ins in a row lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub max_failures: u32,
    pub lock_ms: i64,
}

/// What a sign-in attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// The password is right: the user (their failed attempts are forgotten).
    Accepted(User),
    /// A wrong name or password, or a disabled user (not told apart).
    Refused,
    /// Too many failures in a row: every password is refused until `until` (epoch ms).
    Locked { until: i64 },
    /// The password is right but the user has a second factor and no code came: ask for it
    /// (nothing is counted).
    CodeRequired,
}

impl Store {
    /// A sign-in attempt, throttled per user: `lockout.max_failures` wrong passwords (or wrong
    /// second-factor codes) in a row lock the account for `lockout.lock_ms` (audited as
    /// `user.locked`), during which even the right password is refused; a success forgets the
    /// failures; a password reset unlocks. A user with a TOTP secret also gives `code`
    /// (`ronda_core::totp`: a code is accepted once). Unknown names, disabled users and locked
    /// accounts cost a hash too.
    pub fn sign_in_blocking(
        &self,
        name: &str,
        password: &str,
        code: Option<&str>,
        lockout: Lockout,
    ) -> Result<SignIn> {
        let found = match normalize_name(name) {
            Ok(name) => self.read(|conn| find(conn, &name))?,
            Err(_) => None,
        };
        let Some(Account {
            user,
            phc,
            failed_sign_ins: failed,
            locked_until,
            totp,
        }) = found
        else {
            let _ = password_matches(DUMMY_PHC, password);
            return Ok(SignIn::Refused);
        };
        let now = self.now_ms();
        if let Some(until) = locked_until.filter(|u| *u > now) {
            let _ = password_matches(DUMMY_PHC, password);
            return Ok(SignIn::Locked { until });
        }
        let ok = password_matches(&phc, password);
        if user.disabled_at.is_some() {
            return Ok(SignIn::Refused);
        }
        let id = user.id;
        // The second factor, when the user has one: a wrong code counts as a failure, like a
        // wrong password; a missing one only asks for it.
        let step = match (&totp, ok) {
            (_, false) => Err(()),
            (None, true) => Ok(None),
            (Some((sealed, last)), true) => {
                let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
                    return Ok(SignIn::CodeRequired);
                };
                let secret =
                    ronda_core::totp::base32_decode(&self.unseal(sealed)?).unwrap_or_default();
                ronda_core::totp::verify(&secret, code, now, *last)
                    .map(Some)
                    .ok_or(())
            }
        };
        if let Ok(step) = step {
            if failed > 0 || locked_until.is_some() || step.is_some() {
                let fresh = self.write_blocking(1, move |tx| {
                    let changed = tx.conn().execute(
                        "UPDATE users SET failed_sign_ins = 0, locked_until = NULL, \
                         totp_last_step = COALESCE(CAST($2 AS BIGINT), totp_last_step) \
                         WHERE id = $1 AND (CAST($2 AS BIGINT) IS NULL OR totp_last_step IS NULL \
                              OR totp_last_step < CAST($2 AS BIGINT))",
                        params![id, step],
                    )?;
                    Ok(changed == 1)
                })?;
                // Another sign-in took this code a moment ago: it does not sign in twice.
                if !fresh {
                    return Ok(SignIn::Refused);
                }
            }
            return Ok(SignIn::Accepted(user));
        }
        let actor = format!("user:{}", user.name);
        let max = i64::from(lockout.max_failures.max(1));
        let locked = self.write_blocking(1, move |tx| {
            tx.conn().execute(
                "UPDATE users SET failed_sign_ins = failed_sign_ins + 1 WHERE id = $1",
                params![id],
            )?;
            let n = tx
                .conn()
                .query_one(
                    "SELECT failed_sign_ins FROM users WHERE id = $1",
                    params![id],
                )?
                .i64(0)?;
            if n < max {
                return Ok(None);
            }
            let until = tx.now_ms().saturating_add(lockout.lock_ms);
            tx.conn().execute(
                "UPDATE users SET failed_sign_ins = 0, locked_until = $2 WHERE id = $1",
                params![id, until],
            )?;
            tx.audit(
                &actor,
                "user.locked",
                &format!("user:{id}"),
                None,
                Some(&json!({"failed_sign_ins": n, "locked_until": until}).to_string()),
            )?;
            Ok(Some(until))
        })?;
        Ok(match locked {
            Some(until) => SignIn::Locked { until },
            None => SignIn::Refused,
        })
    }
}

/// A valid Argon2id string of the same cost, verified against for unknown names.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Uo4UgbqzWDsNvBcRntl0UDqJc6rjQkmXbWUGuvP2tKs";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash_password("correct horse battery").expect("hash");
        let b = hash_password("correct horse battery").expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(password_matches(&a, "correct horse battery"));
        assert!(!password_matches(&a, "correct horse batterY"));
        assert!(!password_matches("not a phc string", "x"));
    }

    #[test]
    fn the_dummy_hash_parses_with_the_real_cost() {
        let h = PasswordHash::new(DUMMY_PHC).expect("parses");
        assert_eq!(h.algorithm.as_str(), "argon2id");
        let real = hash_password("whatever it is").expect("hash");
        let real = PasswordHash::new(&real).expect("parses");
        assert_eq!(h.params, real.params);
    }

    #[test]
    fn policy_and_names() {
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(MIN_PASSWORD_CHARS)).is_ok());
        assert!(check_password(&"x".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
        assert!(check_password("twelve chars\u{0}!").is_err());
        assert_eq!(
            normalize_name(" Rina.Analis ").expect("name"),
            "rina.analis"
        );
        for bad in [
            "",
            "a",
            "9lives",
            "rina analis",
            "rina@kominfo",
            &"a".repeat(65),
        ] {
            assert!(normalize_name(bad).is_err(), "{bad}");
        }
        let g = generate_password();
        assert_eq!(g.len(), 20);
        assert!(check_password(&g).is_ok());
        assert!(!g.contains(['0', 'O', '1', 'l', 'I']));
    }
}
