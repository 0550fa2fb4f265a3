//! The registry of detection models trained from the team's decisions (migration 0024): each
//! version is the model file itself (opaque here), what it was trained on and how it scored.
//! Which one is in use is a history in `detection_activations`: an activation pushes a model, a
//! rollback pops back to the one in use before it; with nothing pushed, the
//! configured or built-in model is in use. Activating or rolling back records a detection
//! reload in the same transaction, so every instance loads the change within its poll interval
//! (`crate::reloads`), and is audited under the person who asked.

use base64::Engine as _;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::params;
use crate::store::{Store, Tx};

/// A registered model, without its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelVersion {
    pub id: i64,
    pub created_at: i64,
    pub created_by: String,
    pub sha256: String,
    pub size: i64,
    /// What it learnt from (JSON, written by the trainer).
    pub training_json: String,
    /// How it scored (JSON, written by the trainer).
    pub metrics_json: String,
    /// It is the model in use now.
    pub active: bool,
}

/// What an activation or a rollback did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switched {
    /// The model in use before, `None` for the configured one.
    pub from: Option<i64>,
    /// The model in use now.
    pub to: Option<i64>,
    /// The detection reload version every instance follows.
    pub reload_version: i64,
}

/// Model `id` is registered, or the error says it is not.
fn registered(tx: &mut Tx<'_>, id: i64) -> Result<()> {
    match tx
        .conn()
        .query_opt("SELECT id FROM detection_models WHERE id = $1", params![id])?
    {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!("detection model {id}"))),
    }
}

fn history(c: &mut dyn crate::db::Conn) -> Result<Vec<(String, Option<i64>)>> {
    c.query(
        "SELECT kind, model_id FROM detection_activations ORDER BY id",
        params![],
    )?
    .iter()
    .map(|r| Ok((r.string(0)?, r.opt_i64(1)?)))
    .collect()
}

/// The models pushed by a history of activations and rollbacks (oldest first): an activation
/// pushes, a rollback pops (past the start: nothing, the configured model).
fn stack(rows: &[(String, Option<i64>)]) -> Vec<Option<i64>> {
    let mut stack = Vec::new();
    for (kind, model) in rows {
        if kind == "rollback" {
            stack.pop();
        } else {
            stack.push(*model);
        }
    }
    stack
}

/// The model in use after a history; `None`: the configured or built-in model.
fn current(rows: &[(String, Option<i64>)]) -> Option<i64> {
    stack(rows).last().copied().flatten()
}

fn switch(
    tx: &mut Tx<'_>,
    actor: &str,
    kind: &str,
    to: Option<i64>,
    from: Option<i64>,
) -> Result<Switched> {
    let now = tx.now_ms();
    tx.conn().execute(
        "INSERT INTO detection_activations (model_id, kind, at, actor) VALUES ($1, $2, $3, $4)",
        params![to, kind, now, actor],
    )?;
    let reload_version = tx.conn().insert_id(
        "INSERT INTO detection_reloads (requested_at, actor) VALUES ($1, $2) RETURNING id",
        params![now, actor],
    )?;
    let action = if kind == "rollback" {
        "detection_model.rolled_back"
    } else {
        "detection_model.activated"
    };
    let target = to.map_or_else(
        || "detection_model:configured".to_string(),
        |id| format!("detection_model:{id}"),
    );
    tx.audit(
        actor,
        action,
        &target,
        Some(&json!({"model": from}).to_string()),
        Some(&json!({"model": to, "reload": reload_version}).to_string()),
    )?;
    Ok(Switched {
        from,
        to,
        reload_version,
    })
}

fn version_from_row(r: &crate::db::Row, active: Option<i64>) -> Result<ModelVersion> {
    let id = r.i64(0)?;
    Ok(ModelVersion {
        id,
        created_at: r.i64(1)?,
        created_by: r.string(2)?,
        sha256: r.string(3)?,
        size: r.i64(4)?,
        training_json: r.string(5)?,
        metrics_json: r.string(6)?,
        active: active == Some(id),
    })
}

const COLUMNS: &str = "id, created_at, created_by, sha256, size, training_json, metrics_json";

impl Store {
    /// Registers a model file with what it was trained on and how it scored; its id. Audited.
    pub async fn register_model(
        &self,
        actor: String,
        bytes: Vec<u8>,
        training_json: String,
        metrics_json: String,
    ) -> Result<i64> {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let body = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        self.write(1, move |tx| {
            let now = tx.now_ms();
            let id = tx.conn().insert_id(
                "INSERT INTO detection_models (created_at, created_by, sha256, size, body, training_json, metrics_json) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                params![now, &actor, &sha256, size, &body, &training_json, &metrics_json],
            )?;
            tx.audit(
                &actor,
                "detection_model.registered",
                &format!("detection_model:{id}"),
                None,
                Some(&json!({"sha256": sha256, "size": size}).to_string()),
            )?;
            Ok(id)
        })
        .await
    }

    /// Every registered model, newest first.
    pub fn list_models(&self) -> Result<Vec<ModelVersion>> {
        self.read(|c| {
            let active = active_id(c)?;
            c.query(
                &format!("SELECT {COLUMNS} FROM detection_models ORDER BY id DESC"),
                params![],
            )?
            .iter()
            .map(|r| version_from_row(r, active))
            .collect()
        })
    }

    pub fn get_model(&self, id: i64) -> Result<Option<ModelVersion>> {
        self.read(|c| {
            let active = active_id(c)?;
            c.query_opt(
                &format!("SELECT {COLUMNS} FROM detection_models WHERE id = $1"),
                params![id],
            )?
            .map(|r| version_from_row(&r, active))
            .transpose()
        })
    }

    /// The registered model in use and its file; `None` when the configured or built-in model
    /// is. A file whose digest does not match its row is an error (never loaded).
    pub fn active_model(&self) -> Result<Option<(i64, Vec<u8>)>> {
        self.read(|c| {
            let Some(id) = active_id(c)? else {
                return Ok(None);
            };
            Ok(Some((id, model_file(c, id)?)))
        })
    }

    /// Puts model `id` in use on every instance (see the module docs).
    pub async fn activate_model(&self, actor: String, id: i64) -> Result<Switched> {
        self.write(1, move |tx| {
            registered(tx, id)?;
            let rows = history(tx.conn())?;
            let from = current(&rows);
            if from == Some(id) {
                return Err(StoreError::Conflict(format!(
                    "detection model {id} is already in use"
                )));
            }
            switch(tx, &actor, "activate", Some(id), from)
        })
        .await
    }

    /// Goes back to the model in use before the current one was activated.
    pub async fn rollback_model(&self, actor: String) -> Result<Switched> {
        self.write(1, move |tx| {
            let mut rows = history(tx.conn())?;
            if stack(&rows).is_empty() {
                return Err(StoreError::Conflict(
                    "no activation to roll back: the configured model is in use".into(),
                ));
            }
            let from = current(&rows);
            rows.push(("rollback".into(), None));
            let to = current(&rows);
            switch(tx, &actor, "rollback", to, from)
        })
        .await
    }
}

/// The model in the shadow: its id and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shadow {
    pub model_id: i64,
    pub since: i64,
}

/// One report read by a shadow model: the active reading and the shadow's (the report's
/// detection JSON holds both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowReading {
    pub report_id: i64,
    pub case_id: i64,
    pub detect_json: String,
}

fn model_file(c: &mut dyn crate::db::Conn, id: i64) -> Result<Vec<u8>> {
    let r = c.query_one(
        "SELECT body, sha256 FROM detection_models WHERE id = $1",
        params![id],
    )?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(r.str(0)?)
        .map_err(|e| StoreError::Decode {
            column: 0,
            message: format!("detection model {id}: {e}"),
        })?;
    if hex::encode(Sha256::digest(&bytes)) != r.str(1)? {
        return Err(StoreError::Decode {
            column: 0,
            message: format!("detection model {id}: the file does not match its digest"),
        });
    }
    Ok(bytes)
}

impl Store {
    /// Puts model `id` in the shadow on every instance, or takes the shadow away (`None`).
    /// Audited; a detection reload is recorded so that every instance follows.
    pub async fn set_shadow_model(&self, actor: String, id: Option<i64>) -> Result<i64> {
        self.write(1, move |tx| {
            let now = tx.now_ms();
            let before = tx
                .conn()
                .query_opt("SELECT model_id FROM detection_shadow WHERE id = 1", params![])?
                .map(|r| r.i64(0))
                .transpose()?;
            tx.conn().execute("DELETE FROM detection_shadow WHERE id = 1", params![])?;
            if let Some(id) = id {
                registered(tx, id)?;
                tx.conn().execute(
                    "INSERT INTO detection_shadow (id, model_id, since, actor) VALUES (1, $1, $2, $3)",
                    params![id, now, &actor],
                )?;
            } else if before.is_none() {
                return Err(StoreError::Conflict("no model is in the shadow".into()));
            }
            let reload = tx.conn().insert_id(
                "INSERT INTO detection_reloads (requested_at, actor) VALUES ($1, $2) RETURNING id",
                params![now, &actor],
            )?;
            let (action, target) = match id {
                Some(id) => ("detection_model.shadowed", format!("detection_model:{id}")),
                None => (
                    "detection_model.unshadowed",
                    format!("detection_model:{}", before.unwrap_or_default()),
                ),
            };
            tx.audit(
                &actor,
                action,
                &target,
                Some(&json!({"shadow": before}).to_string()),
                Some(&json!({"shadow": id, "reload": reload}).to_string()),
            )?;
            Ok(reload)
        })
        .await
    }

    /// The model in the shadow and its file, if any.
    pub fn shadow_model(&self) -> Result<Option<(Shadow, Vec<u8>)>> {
        self.read(|c| {
            let Some(r) = c.query_opt(
                "SELECT model_id, since FROM detection_shadow WHERE id = 1",
                params![],
            )?
            else {
                return Ok(None);
            };
            let s = Shadow {
                model_id: r.i64(0)?,
                since: r.i64(1)?,
            };
            Ok(Some((s, model_file(c, s.model_id)?)))
        })
    }

    /// Reports read by the shadow model `id` (newest first, at most `limit`), from the
    /// detection JSON of reports received since it went into the shadow.
    pub fn shadow_readings(&self, id: i64, limit: i64) -> Result<Vec<ShadowReading>> {
        let label = format!("registry:{id}");
        let needle = format!("%\"{label}\"%");
        let rows = self.read(|c| {
            c.query(
                "SELECT id, case_id, detect_json FROM reports \
                 WHERE detect_json LIKE '%\"shadow\":%' AND detect_json LIKE $1 ORDER BY id DESC LIMIT $2",
                params![&needle, limit],
            )
        })?;
        let mut out = Vec::new();
        for r in &rows {
            let json = r.string(2)?;
            let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
            if v["shadow"]["model"].as_str() == Some(label.as_str()) {
                out.push(ShadowReading {
                    report_id: r.i64(0)?,
                    case_id: r.i64(1)?,
                    detect_json: json,
                });
            }
        }
        Ok(out)
    }
}

fn active_id(c: &mut dyn crate::db::Conn) -> Result<Option<i64>> {
    Ok(current(&history(c)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(rows: &[(&'static str, Option<i64>)]) -> Option<i64> {
        let owned: Vec<(String, Option<i64>)> =
            rows.iter().map(|(k, m)| ((*k).to_string(), *m)).collect();
        current(&owned)
    }

    #[test]
    fn activations_push_and_rollbacks_pop() {
        assert_eq!(h(&[]), None);
        assert_eq!(h(&[("activate", Some(1))]), Some(1));
        assert_eq!(h(&[("activate", Some(1)), ("activate", Some(2))]), Some(2));
        assert_eq!(
            h(&[
                ("activate", Some(1)),
                ("activate", Some(2)),
                ("rollback", Some(1))
            ]),
            Some(1)
        );
        assert_eq!(
            h(&[
                ("activate", Some(1)),
                ("activate", Some(2)),
                ("rollback", Some(1)),
                ("rollback", None)
            ]),
            None,
            "two rollbacks: back to the configured model"
        );
        assert_eq!(h(&[("rollback", None), ("activate", Some(3))]), Some(3));
    }
}

/// One decided case as a training example source: the team's last decision on it and the
/// texts its reports carried (what the analyst read; a text removed by retention is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub case_id: i64,
    /// `confirm` or `reject`.
    pub decision: String,
    /// The confirmed category (the decision's, else the case's).
    pub category: Option<String>,
    pub decided_at: i64,
    pub texts: Vec<String>,
}

impl Store {
    /// Cases whose last decision was taken at or after `since_ms` and stands (the case is not
    /// back in review or waiting for approval), oldest decision first, with their reports'
    /// texts.
    pub fn decided_cases(&self, since_ms: i64) -> Result<Vec<Decided>> {
        let rows = self.read(|c| {
            c.query(
                "SELECT d.case_id, d.decision, COALESCE(d.category, c.category), d.created_at, ci.text \
                 FROM decisions d JOIN cases c ON c.id = d.case_id \
                 JOIN reports r ON r.case_id = d.case_id JOIN content_items ci ON ci.id = r.content_id \
                 WHERE d.id = (SELECT MAX(d2.id) FROM decisions d2 WHERE d2.case_id = d.case_id) \
                 AND d.created_at >= $1 AND ci.text IS NOT NULL \
                 AND c.status NOT IN ('new', 'in_review', 'awaiting_approval') \
                 ORDER BY d.created_at, d.id, r.id",
                params![since_ms],
            )
        })?;
        let mut out: Vec<Decided> = Vec::new();
        for r in &rows {
            let case_id = r.i64(0)?;
            let text = r.string(4)?;
            match out.last_mut() {
                Some(last) if last.case_id == case_id => {
                    if !last.texts.contains(&text) {
                        last.texts.push(text);
                    }
                }
                _ => out.push(Decided {
                    case_id,
                    decision: r.string(1)?,
                    category: r.opt_string(2)?,
                    decided_at: r.i64(3)?,
                    texts: vec![text],
                }),
            }
        }
        Ok(out)
    }
}
