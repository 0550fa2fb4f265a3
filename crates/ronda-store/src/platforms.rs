//! Platforms: the services whose content Ronda handles (MiChat, WhatsApp, …).

use ronda_core::report::{FieldError, normalize_platform};
use serde_json::json;

use crate::db::Conn;
use crate::error::{Result, StoreError};
use crate::params;
use crate::store::{Store, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub created_at: i64,
}

/// Platforms registered on first start, so a fresh instance accepts reports at once.
pub const DEFAULT_PLATFORMS: &[(&str, &str)] = &[
    ("michat", "MiChat"),
    ("whatsapp", "WhatsApp"),
    ("telegram", "Telegram"),
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("x", "X"),
    ("tiktok", "TikTok"),
    ("web", "Web (any site)"),
];

fn insert(tx: &mut Tx<'_>, actor: &str, name: &str, display: &str) -> Result<Platform> {
    let now = tx.now_ms();
    let id = tx.conn().insert_id(
        "INSERT INTO platforms (name, display_name, created_at) VALUES ($1, $2, $3) RETURNING id",
        params![name, display, now],
    )?;
    let after = json!({"name": name, "display_name": display}).to_string();
    tx.audit(
        actor,
        "platform.created",
        &format!("platform:{id}"),
        None,
        Some(&after),
    )?;
    Ok(Platform {
        id,
        name: name.to_string(),
        display_name: display.to_string(),
        created_at: now,
    })
}

/// The platform a token or a user of `role` is bound to: required for the platform role (and
/// registered), refused for any other. `what` names the holder in the messages (`token`,
/// `user`).
pub(crate) fn bound_platform(
    tx: &mut Tx<'_>,
    role: ronda_core::model::Role,
    platform: Option<&str>,
    what: &str,
) -> Result<Option<i64>> {
    use ronda_core::model::Role;
    match (role, platform) {
        (Role::Platform, None) => Err(FieldError::new(
            "required",
            "platform",
            format!("a platform {what} belongs to a platform (--platform)"),
        )
        .into()),
        (Role::Platform, Some(p)) => Ok(Some(tx.platform_id(p)?.ok_or_else(|| {
            StoreError::Invalid(FieldError::new(
                "unknown",
                "platform",
                format!("platform `{p}` is not registered"),
            ))
        })?)),
        (_, Some(_)) => Err(FieldError::new(
            "invalid",
            "platform",
            format!("only platform {what}s belong to a platform"),
        )
        .into()),
        (_, None) => Ok(None),
    }
}

pub fn list(conn: &mut dyn Conn) -> Result<Vec<Platform>> {
    conn.query(
        "SELECT id, name, display_name, created_at FROM platforms ORDER BY name",
        params![],
    )?
    .iter()
    .map(|r| {
        Ok(Platform {
            id: r.i64(0)?,
            name: r.string(1)?,
            display_name: r.string(2)?,
            created_at: r.i64(3)?,
        })
    })
    .collect()
}

impl Store {
    /// Registers a platform; a second registration of the same name is a conflict.
    pub fn create_platform_blocking(
        &self,
        actor: &str,
        name: &str,
        display_name: Option<&str>,
    ) -> Result<Platform> {
        let (actor, name, display) = prepare(actor, name, display_name)?;
        self.write_blocking(1, move |tx| create(tx, &actor, &name, &display))
    }

    pub async fn create_platform(
        &self,
        actor: &str,
        name: &str,
        display_name: Option<&str>,
    ) -> Result<Platform> {
        let (actor, name, display) = prepare(actor, name, display_name)?;
        self.write(1, move |tx| create(tx, &actor, &name, &display))
            .await
    }

    pub fn list_platforms(&self) -> Result<Vec<Platform>> {
        self.read(list)
    }

    /// On a store without platforms, registers [`DEFAULT_PLATFORMS`]. Returns how many.
    pub fn seed_platforms_blocking(&self, actor: &str) -> Result<usize> {
        let actor = actor.to_string();
        self.write_blocking(1, move |tx| {
            let n = tx
                .conn()
                .query_one("SELECT COUNT(*) FROM platforms", params![])?
                .i64(0)?;
            if n > 0 {
                return Ok(0);
            }
            for (name, display) in DEFAULT_PLATFORMS {
                insert(tx, &actor, name, display)?;
            }
            Ok(DEFAULT_PLATFORMS.len())
        })
    }
}

fn prepare(actor: &str, name: &str, display: Option<&str>) -> Result<(String, String, String)> {
    let name = normalize_platform(name)?;
    let display = display.map_or_else(|| name.clone(), |d| d.trim().to_string());
    if display.is_empty() || display.chars().count() > 128 {
        return Err(FieldError::new(
            "invalid",
            "display_name",
            "display_name must be 1 to 128 characters",
        )
        .into());
    }
    Ok((actor.to_string(), name, display))
}

fn create(tx: &mut Tx<'_>, actor: &str, name: &str, display: &str) -> Result<Platform> {
    if tx.platform_id(name)?.is_some() {
        return Err(StoreError::Conflict(format!(
            "platform `{name}` already exists"
        )));
    }
    insert(tx, actor, name, display)
}
