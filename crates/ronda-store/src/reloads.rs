//! Detection reloads as versions in the store: a reload done on one instance is recorded (and
//! audited under the person who asked), and every instance polls the newest version and
//! re-reads its own rule and model files when it moves.

use crate::error::Result;
use crate::params;
use crate::store::Store;

impl Store {
    /// Records a reload done by `actor`; returns its version.
    pub async fn record_detection_reload(&self, actor: String) -> Result<i64> {
        self.write(1, move |tx| {
            let now = tx.now_ms();
            let id = tx.conn().insert_id(
                "INSERT INTO detection_reloads (requested_at, actor) VALUES ($1, $2) RETURNING id",
                params![now, &actor],
            )?;
            tx.audit(
                &actor,
                "detection.reloaded",
                &format!("detection:{id}"),
                None,
                None,
            )?;
            Ok(id)
        })
        .await
    }

    /// The newest reload's version (0 before the first).
    pub fn detection_version(&self) -> Result<i64> {
        self.read(|c| {
            c.query_one(
                "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM detection_reloads",
                params![],
            )?
            .i64(0)
        })
    }
}
