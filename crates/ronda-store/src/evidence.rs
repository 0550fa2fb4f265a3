//! Gathering an evidence bundle: everything the store knows about a case (or every case of an
//! actor), as the JSON files of a bundle, signed with the instance key and audited.
//!
//! The bundle's format, what is signed and how it is verified live in
//! [`ronda_core::evidence`]; zipping is done at the edges. Files, per case `N`:
//!
//! | file | content |
//! |---|---|
//! | `accounts.json` | the accounts of the bundle's cases (platform, handle, actor) |
//! | `cases/N/case.json` | the case: status, category, priority, legal basis, counts, detection |
//! | `cases/N/reports.json` | its reports: source, time, claim; reporter only when allowed |
//! | `cases/N/content/C.json` | each content snapshot: capture time, source, URL, text, media hashes, the patrol's capture (SHA-256, fetch time) |
//! | `cases/N/captures/C.warc` | the patrol's WARC capture of the page behind snapshot `C` (request and response, headers and body; never image bytes) |
//! | `cases/N/identifiers.json` | identifiers found in its reports |
//! | `cases/N/hash_matches.json` | hash-bank matches of its media |
//! | `cases/N/decisions.json` | analysts' decisions with their legal basis |
//! | `cases/N/notices.json` | takedown notices and the platform's answers |
//! | `cases/N/referrals.json` | police referrals covering the case |
//! | `cases/N/audit.json` | audit events of the case, its notices and referrals, with chain hashes |
//!
//! Reporter names and contacts are unsealed only when the caller says the requester may see
//! them; content removed by retention is listed as removed, not silently missing.

use ronda_core::clock::to_rfc3339;
use ronda_core::evidence::{Header, Subject as BundleSubject, seal, sha256_hex};
use serde_json::{Value, json};

use crate::cases::get_case;
use crate::db::Conn;
use crate::error::{Result, StoreError};
use crate::params;
use crate::referrals::{Subject, actor_case_ids};
use crate::store::Store;

/// What to put in a bundle and for whom.
#[derive(Debug, Clone)]
pub struct BundleRequest {
    pub subject: Subject,
    /// The audit actor asking for it.
    pub requested_by: String,
    /// Whether reporter names and contacts go in (decided by the caller's role).
    pub reporter_identity: bool,
}

/// A bundle's files: (path, bytes), in bundle order.
pub type BundleFiles = Vec<(String, Vec<u8>)>;

/// A signed bundle's files, manifest first.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub files: BundleFiles,
    pub cases: Vec<i64>,
    /// SHA-256 of `manifest.json`, as recorded in the audit log.
    pub manifest_sha256: String,
}

fn ms(v: Option<i64>) -> Value {
    v.map_or(Value::Null, |t| json!(to_rfc3339(t)))
}

fn to_bytes(v: &Value) -> Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(v).map_err(|e| StoreError::Decode {
        column: 0,
        message: e.to_string(),
    })?;
    out.push(b'\n');
    Ok(out)
}

struct Gatherer<'a> {
    store: &'a Store,
    reporter_identity: bool,
    files: BundleFiles,
}

impl Gatherer<'_> {
    fn put(&mut self, path: String, v: &Value) -> Result<()> {
        self.files.push((path, to_bytes(v)?));
        Ok(())
    }

    fn open_sealed(&self, v: Option<String>) -> Result<Option<String>> {
        v.map(|s| self.store.unseal(&s)).transpose()
    }

    fn case(&mut self, c: &mut dyn Conn, id: i64) -> Result<()> {
        let view = get_case(c, id)?.ok_or_else(|| StoreError::NotFound(format!("case {id}")))?;
        let extra = c.query_one(
            "SELECT account_id, legal_basis, target_key FROM cases WHERE id = $1",
            params![id],
        )?;
        let dir = format!("cases/{id}");
        let mut case = json!({
            "id": view.id,
            "status": view.status,
            "category": view.category,
            "priority": view.priority,
            "platform": view.platform,
            "target": {view.target_kind.clone(): view.target_value},
            "target_key": extra.string(2)?,
            "account_id": extra.opt_i64(0)?,
            "legal_basis": extra.opt_string(1)?,
            "reports_total": view.reports_total,
            "first_reported_at": to_rfc3339(view.first_reported_at),
            "last_reported_at": to_rfc3339(view.last_reported_at),
            "created_at": to_rfc3339(view.created_at),
            "updated_at": to_rfc3339(view.updated_at),
            "previous_case_id": view.previous_case_id,
        });
        if let Some(d) = &view.detection {
            case["detection"] = json!({"verdict": d.verdict, "category": d.category, "score": d.score,
                "details": d.details_json.as_deref().and_then(|j| serde_json::from_str::<Value>(j).ok())});
        }
        self.put(format!("{dir}/case.json"), &case)?;

        // Reports and their content snapshots.
        let rows = c.query(
            "SELECT r.id, r.source, r.created_at, r.category, r.description, r.target_raw, r.external_id, \
             r.reporter_name, r.reporter_contact, r.reporter_purged_at, \
             ci.id, ci.url, ci.external_id, ci.text, ci.media_json, ci.captured_at, ci.purged_at, \
             cc.sha256, cc.url, cc.fetched_at, cc.bytes, cc.warc \
             FROM reports r LEFT JOIN content_items ci ON ci.id = r.content_id \
             LEFT JOIN content_captures cc ON cc.content_id = ci.id WHERE r.case_id = $1 ORDER BY r.id",
            params![id],
        )?;
        let mut reports = Vec::new();
        for r in &rows {
            let mut report = json!({
                "id": r.i64(0)?,
                "source": r.string(1)?,
                "created_at": to_rfc3339(r.i64(2)?),
                "category": r.opt_string(3)?,
                "description": r.opt_string(4)?,
                "target": r.string(5)?,
                "external_id": r.opt_string(6)?,
                "content_id": r.opt_i64(10)?,
            });
            if self.reporter_identity {
                report["reporter"] = json!({
                    "name": self.open_sealed(r.opt_string(7)?)?,
                    "contact": self.open_sealed(r.opt_string(8)?)?,
                });
            }
            if let Some(at) = r.opt_i64(9)? {
                report["reporter_removed_at"] = json!(to_rfc3339(at));
            }
            reports.push(report);
            if let Some(content_id) = r.opt_i64(10)? {
                let media: Value = r
                    .opt_string(14)?
                    .and_then(|m| serde_json::from_str(&m).ok())
                    .unwrap_or(Value::Null);
                let mut snapshot = json!({
                    "id": content_id,
                    "report_id": r.i64(0)?,
                    "source": r.string(1)?,
                    "captured_at": ms(r.opt_i64(15)?),
                    "url": r.opt_string(11)?,
                    "external_id": r.opt_string(12)?,
                    "text": r.opt_string(13)?,
                    "media": media,
                    "removed_by_retention_at": ms(r.opt_i64(16)?),
                });
                if let Some(sha256) = r.opt_string(17)? {
                    let file = format!("{dir}/captures/{content_id}.warc");
                    let warc = r.opt_blob(21)?;
                    snapshot["capture"] = json!({
                        "format": "WARC/1.1",
                        "sha256": sha256,
                        "url": r.opt_string(18)?,
                        "fetched_at": ms(r.opt_i64(19)?),
                        "bytes": r.opt_i64(20)?,
                        "file": warc.is_some().then_some(&file),
                    });
                    if let Some(warc) = warc {
                        self.files.push((file, warc.to_vec()));
                    }
                }
                self.put(format!("{dir}/content/{content_id}.json"), &snapshot)?;
            }
        }
        self.put(format!("{dir}/reports.json"), &Value::Array(reports))?;

        let identifiers: Vec<Value> = crate::cases::case_identifiers(c, id)?
            .into_iter()
            .map(|(kind, value)| json!({"kind": kind, "value": value}))
            .collect();
        self.put(
            format!("{dir}/identifiers.json"),
            &Value::Array(identifiers),
        )?;

        let matches: Vec<Value> = crate::banks::case_matches(c, id)?
            .into_iter()
            .map(|m| {
                json!({"bank": m.bank, "category": m.category, "content_id": m.content_id, "pdq": m.pdq,
                    "bank_hash": m.bank_hash, "label": m.label, "distance": m.distance,
                    "matched_at": to_rfc3339(m.matched_at)})
            })
            .collect();
        self.put(format!("{dir}/hash_matches.json"), &Value::Array(matches))?;

        let decisions = c
            .query(
                "SELECT id, decision, category, legal_basis, note, decided_by, created_at FROM decisions \
                 WHERE case_id = $1 ORDER BY id",
                params![id],
            )?
            .iter()
            .map(|r| {
                Ok(json!({"id": r.i64(0)?, "decision": r.string(1)?, "category": r.opt_string(2)?,
                    "legal_basis": r.opt_string(3)?, "note": r.opt_string(4)?, "decided_by": r.string(5)?,
                    "decided_at": to_rfc3339(r.i64(6)?)}))
            })
            .collect::<Result<Vec<_>>>()?;
        self.put(format!("{dir}/decisions.json"), &Value::Array(decisions))?;

        let notice_rows = c.query(
            "SELECT n.id, p.name, n.status, n.category, n.legal_basis, n.urgent, n.evidence, n.created_at, \
             n.deadline, n.escalation_step, n.escalation_at, n.response_action, n.response_reason, \
             n.responded_at, n.closed_at FROM notices n JOIN platforms p ON p.id = n.platform_id \
             WHERE n.case_id = $1 ORDER BY n.id",
            params![id],
        )?;
        let mut targets = vec![format!("case:{id}")];
        let mut notices = Vec::new();
        for r in &notice_rows {
            targets.push(format!("notice:{}", r.i64(0)?));
            notices.push(json!({
                "id": r.i64(0)?, "platform": r.string(1)?, "status": r.string(2)?,
                "category": r.string(3)?, "legal_basis": r.string(4)?, "urgent": r.i64(5)? != 0,
                "summary": serde_json::from_str::<Value>(r.str(6)?).unwrap_or(Value::Null),
                "sent_at": to_rfc3339(r.i64(7)?), "deadline": to_rfc3339(r.i64(8)?),
                "escalation": {"step": r.string(9)?, "at": ms(r.opt_i64(10)?)},
                "platform_answer": r.opt_string(11)?.map(|a| Ok::<_, StoreError>(json!({
                    "action": a, "reason": r.opt_string(12)?, "at": ms(r.opt_i64(13)?)}))).transpose()?,
                "closed_at": ms(r.opt_i64(14)?),
            }));
        }
        self.put(format!("{dir}/notices.json"), &Value::Array(notices))?;

        let referrals: Vec<Value> = crate::referrals::for_case(c, id)?
            .into_iter()
            .map(|r| {
                targets.push(format!("referral:{}", r.id));
                let (case_id, actor_id) = match r.subject {
                    Subject::Case(x) => (Some(x), None),
                    Subject::Actor(x) => (None, Some(x)),
                };
                json!({"id": r.id, "case_id": case_id, "actor_id": actor_id,
                    "request_number": r.request_number, "status": r.status, "note": r.note,
                    "created_at": to_rfc3339(r.created_at), "updated_at": to_rfc3339(r.updated_at),
                    "closed_at": ms(r.closed_at)})
            })
            .collect();
        self.put(format!("{dir}/referrals.json"), &Value::Array(referrals))?;

        let mut events = Vec::new();
        for t in &targets {
            events.extend(crate::audit::events_for(c, t)?);
        }
        events.sort_by_key(|e| e.seq);
        let events: Vec<Value> = events
            .into_iter()
            .map(|e| {
                json!({"seq": e.seq, "at_ms": e.at_ms, "at": to_rfc3339(e.at_ms), "actor": e.actor,
                    "action": e.action, "target": e.target, "before": e.before, "after": e.after,
                    "prev_hash": e.prev_hash, "hash": e.hash})
            })
            .collect();
        self.put(format!("{dir}/audit.json"), &Value::Array(events))
    }

    fn accounts(&mut self, c: &mut dyn Conn, cases: &[i64]) -> Result<()> {
        let mut accounts = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for id in cases {
            let row = c.query_opt(
                "SELECT a.id, p.name, a.handle, a.status, a.actor_id, a.created_at FROM cases c \
                 JOIN accounts a ON a.id = c.account_id JOIN platforms p ON p.id = a.platform_id WHERE c.id = $1",
                params![*id],
            )?;
            if let Some(r) = row
                && seen.insert(r.i64(0)?)
            {
                accounts.push(json!({"id": r.i64(0)?, "platform": r.string(1)?, "handle": r.string(2)?,
                    "status": r.string(3)?, "actor_id": r.opt_i64(4)?, "created_at": to_rfc3339(r.i64(5)?)}));
            }
        }
        self.put("accounts.json".to_string(), &Value::Array(accounts))
    }
}

impl Store {
    /// The files of a bundle (not yet signed) and the cases it covers.
    pub fn gather_evidence(&self, req: &BundleRequest) -> Result<(Vec<i64>, BundleFiles)> {
        self.read(|c| {
            let cases = match req.subject {
                Subject::Case(id) => {
                    if get_case(c, id)?.is_none() {
                        return Err(StoreError::NotFound(format!("case {id}")));
                    }
                    vec![id]
                }
                Subject::Actor(id) => {
                    if c.query_opt("SELECT id FROM actors WHERE id = $1", params![id])?
                        .is_none()
                    {
                        return Err(StoreError::NotFound(format!("actor {id}")));
                    }
                    actor_case_ids(c, id)?
                }
            };
            let mut g = Gatherer {
                store: self,
                reporter_identity: req.reporter_identity,
                files: Vec::new(),
            };
            g.accounts(c, &cases)?;
            for id in &cases {
                g.case(c, *id)?;
            }
            Ok((cases, g.files))
        })
    }

    /// Gathers, signs with `seed` (the instance's Ed25519 key) and records the export in the
    /// audit log (with the manifest's SHA-256, so a bundle can be matched to its export).
    /// Blocking: async callers wrap it in `spawn_blocking`.
    pub fn export_evidence_blocking(&self, req: &BundleRequest, seed: &[u8; 32]) -> Result<Bundle> {
        let (cases, files) = self.gather_evidence(req)?;
        let (kind, id) = match req.subject {
            Subject::Case(id) => ("case", id),
            Subject::Actor(id) => ("actor", id),
        };
        let header = Header {
            subject: BundleSubject {
                kind: kind.to_string(),
                id,
            },
            generated_at: to_rfc3339(self.now_ms()),
            generated_by: req.requested_by.clone(),
            reporter_identity: req.reporter_identity,
            cases: cases.clone(),
        };
        let files = seal(header, files, seed).map_err(|m| StoreError::Decode {
            column: 0,
            message: m,
        })?;
        let manifest_sha256 = files
            .first()
            .map(|(_, b)| sha256_hex(b))
            .unwrap_or_default();
        let after = json!({"manifest_sha256": manifest_sha256, "files": files.len(),
            "cases": cases, "reporter_identity": req.reporter_identity})
        .to_string();
        let actor = req.requested_by.clone();
        let target = format!("{kind}:{id}");
        self.write_blocking(1, move |tx| {
            tx.audit(&actor, "evidence.exported", &target, None, Some(&after))
        })?;
        Ok(Bundle {
            files,
            cases,
            manifest_sha256,
        })
    }
}
