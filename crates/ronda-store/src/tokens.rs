//! API tokens: random secrets shown once, stored only as SHA-256 hashes, each with one role
//! (and, for platform tokens, one platform).

use ronda_core::model::Role;
use ronda_core::report::FieldError;
use serde_json::json;

use crate::codes::{new_token_secret, token_hash};
use crate::db::Conn;
use crate::error::{Result, StoreError};
use crate::params;
use crate::store::{Store, Tx};

/// A token as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub platform: Option<String>,
    pub platform_id: Option<i64>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// After this time (epoch ms) the token authenticates nothing.
    pub expires_at: Option<i64>,
}

/// A token just created: the only time its secret exists outside the holder's hands.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub info: TokenInfo,
    pub secret: String,
}

const TOKEN_COLUMNS: &str =
    "t.id, t.name, t.role, p.name, t.platform_id, t.created_at, t.revoked_at, t.expires_at";

fn token_from_row(r: &crate::db::Row) -> Result<TokenInfo> {
    Ok(TokenInfo {
        id: r.i64(0)?,
        name: r.string(1)?,
        role: r.parse(2)?,
        platform: r.opt_string(3)?,
        platform_id: r.opt_i64(4)?,
        created_at: r.i64(5)?,
        revoked_at: r.opt_i64(6)?,
        expires_at: r.opt_i64(7)?,
    })
}

/// Finds an active token by its secret: not revoked, not expired at `now`.
pub fn lookup(conn: &mut dyn Conn, secret: &str, now: i64) -> Result<Option<TokenInfo>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t LEFT JOIN platforms p ON p.id = t.platform_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)"
    );
    conn.query_opt(&sql, params![&token_hash(secret), now])?
        .map(|r| token_from_row(&r))
        .transpose()
}

pub fn list(conn: &mut dyn Conn) -> Result<Vec<TokenInfo>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t LEFT JOIN platforms p ON p.id = t.platform_id ORDER BY t.id"
    );
    conn.query(&sql, params![])?
        .iter()
        .map(token_from_row)
        .collect()
}

fn create(
    tx: &mut Tx<'_>,
    actor: &str,
    name: &str,
    role: Role,
    platform: Option<&str>,
    expires_at: Option<i64>,
) -> Result<NewToken> {
    let platform_id = crate::platforms::bound_platform(tx, role, platform, "token")?;
    let secret = new_token_secret();
    let now = tx.now_ms();
    let id = tx.conn().insert_id(
        "INSERT INTO api_tokens (name, role, platform_id, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        params![
            name,
            role.as_str(),
            platform_id,
            &token_hash(&secret),
            now,
            expires_at
        ],
    )?;
    let after = json!({"name": name, "role": role, "platform": platform, "expires_at": expires_at})
        .to_string();
    tx.audit(
        actor,
        "token.created",
        &format!("token:{id}"),
        None,
        Some(&after),
    )?;
    Ok(NewToken {
        info: TokenInfo {
            id,
            name: name.to_string(),
            role,
            platform: platform.map(str::to_string),
            platform_id,
            created_at: now,
            revoked_at: None,
            expires_at,
        },
        secret,
    })
}

fn revoke(tx: &mut Tx<'_>, actor: &str, id: i64) -> Result<()> {
    let now = tx.now_ms();
    let changed = tx.conn().execute(
        "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        params![id, now],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("active token {id}")));
    }
    tx.audit(
        actor,
        "token.revoked",
        &format!("token:{id}"),
        Some(r#"{"revoked":false}"#),
        Some(r#"{"revoked":true}"#),
    )?;
    Ok(())
}

fn validate_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 128 {
        return Err(
            FieldError::new("invalid", "name", "a token name is 1 to 128 characters").into(),
        );
    }
    Ok(n.to_string())
}

impl Store {
    pub fn create_token_blocking(
        &self,
        actor: &str,
        name: &str,
        role: Role,
        platform: Option<&str>,
    ) -> Result<NewToken> {
        self.create_token_expiring_blocking(actor, name, role, platform, None)
    }

    /// [`Store::create_token_blocking`] for a token that stops working at `expires_at`.
    pub fn create_token_expiring_blocking(
        &self,
        actor: &str,
        name: &str,
        role: Role,
        platform: Option<&str>,
        expires_at: Option<i64>,
    ) -> Result<NewToken> {
        let name = validate_name(name)?;
        let actor = actor.to_string();
        let platform = platform.map(str::to_ascii_lowercase);
        self.write_blocking(1, move |tx| {
            create(tx, &actor, &name, role, platform.as_deref(), expires_at)
        })
    }

    pub fn revoke_token_blocking(&self, actor: &str, id: i64) -> Result<()> {
        let actor = actor.to_string();
        self.write_blocking(1, move |tx| revoke(tx, &actor, id))
    }

    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        self.read(list)
    }

    pub fn lookup_token(&self, secret: &str) -> Result<Option<TokenInfo>> {
        let now = self.now_ms();
        self.read(|c| lookup(c, secret, now))
    }

    /// Whether any active admin token exists (the first start creates one when not).
    pub fn has_admin_token(&self) -> Result<bool> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT id FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL LIMIT 1",
                params![],
            )?
            .is_some())
        })
    }
}
