//! Accepting reports: deduplication into cases, idempotency, and the audit event of each.
//!
//! The path of one report inside its write transaction:
//! 1. replay: an `Idempotency-Key` (per token) or `external_id` (per source and platform) seen
//!    before returns the first result and writes nothing;
//! 2. the platform must be registered; an account target is found or created;
//! 3. the open case for the target key is found and its counts updated, or a new case opened
//!    (a partial unique index guarantees at most one open case per target);
//! 4. a content snapshot (text, media hashes) and the report row are written;
//! 5. one audit event records the case before and after.
//!
//! Every check that can refuse a report runs before its first write, so a refused item leaves
//! nothing behind even when it shares a transaction with others.

use ronda_core::model::{CaseStatus, Source};
use ronda_core::report::{Detection, FieldError, Media, ValidReport};
use ronda_core::target::Target;
use ronda_core::triage::{Signals, Triage, raise};
use serde_json::json;

use crate::banks::{MediaHit, MediaMatches};
use crate::cases::priority_rank;
use crate::codes::tracking_code;
use crate::error::{Result, StoreError};
use crate::params;
use crate::store::{Store, Tx};

/// Who is submitting, for attribution and idempotency scoping.
#[derive(Debug, Clone, Default)]
pub struct IntakeContext {
    /// Audit actor, e.g. `token:12` or `cli:import`.
    pub actor: String,
    pub token_id: Option<i64>,
    /// The `Idempotency-Key` header of a single submission.
    pub idempotency_key: Option<String>,
}

/// The outcome of one accepted report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub report_id: i64,
    pub case_id: i64,
    pub new_case: bool,
    /// Only for public reports: what the reporter uses to follow the report.
    pub tracking_code: Option<String>,
    /// True when this is a replay of an earlier submission.
    pub replayed: bool,
}

/// The case update for one more report from a source whose counter is `$col`; the second
/// form also replaces the case's detection (when the report's is stronger).
macro_rules! bump_sql {
    ($col:literal) => {
        concat!(
            "UPDATE cases SET reports_total = reports_total + 1, ",
            $col,
            " = ",
            $col,
            " + 1, last_reported_at = $2, updated_at = $2, priority = $3, category = $4, child_safety = $5 WHERE id = $1"
        )
    };
    ($col:literal, detection) => {
        concat!(
            "UPDATE cases SET reports_total = reports_total + 1, ",
            $col,
            " = ",
            $col,
            " + 1, last_reported_at = $2, updated_at = $2, priority = $3, category = $4, child_safety = $5, \
             detect_verdict = $6, detect_category = $7, detect_score = $8, detect_json = $9 WHERE id = $1"
        )
    };
}

/// The case update for one more report from `s` (static statements, each prepared once).
fn bump_sql(s: Source, with_detection: bool) -> &'static str {
    match (s, with_detection) {
        (Source::Patrol, false) => bump_sql!("reports_patrol"),
        (Source::Police, false) => bump_sql!("reports_police"),
        (Source::Public, false) => bump_sql!("reports_public"),
        (Source::Platform, false) => bump_sql!("reports_platform"),
        (Source::Patrol, true) => bump_sql!("reports_patrol", detection),
        (Source::Police, true) => bump_sql!("reports_police", detection),
        (Source::Public, true) => bump_sql!("reports_public", detection),
        (Source::Platform, true) => bump_sql!("reports_platform", detection),
    }
}

fn replay(tx: &mut Tx<'_>, report_id: i64) -> Result<Accepted> {
    let row = tx.conn().query_one(
        "SELECT id, case_id, opened_case, tracking_code FROM reports WHERE id = $1",
        params![report_id],
    )?;
    Ok(Accepted {
        report_id: row.i64(0)?,
        case_id: row.i64(1)?,
        new_case: row.i64(2)? == 1,
        tracking_code: row.opt_string(3)?,
        replayed: true,
    })
}

fn find_replay(
    tx: &mut Tx<'_>,
    r: &ValidReport,
    platform_id: i64,
    ctx: &IntakeContext,
) -> Result<Option<Accepted>> {
    if let Some(key) = &ctx.idempotency_key {
        let scope = idempotency_scope(ctx);
        let row = tx.conn().query_opt(
            "SELECT report_id FROM idempotency_keys WHERE scope = $1 AND key = $2",
            params![&scope, key],
        )?;
        if let Some(row) = row {
            return replay(tx, row.i64(0)?).map(Some);
        }
    }
    if let Some(ext) = &r.external_id {
        let row = tx.conn().query_opt(
            "SELECT id FROM reports WHERE source = $1 AND platform_id = $2 AND external_id = $3",
            params![r.source.as_str(), platform_id, ext],
        )?;
        if let Some(row) = row {
            return replay(tx, row.i64(0)?).map(Some);
        }
    }
    Ok(None)
}

fn idempotency_scope(ctx: &IntakeContext) -> String {
    match ctx.token_id {
        Some(t) => format!("token:{t}"),
        None => ctx.actor.clone(),
    }
}

fn account_id(tx: &mut Tx<'_>, platform_id: i64, handle: &str, now: i64) -> Result<i64> {
    // One account per look-alike key: the oldest one written that way (see
    // `ronda_core::target::handle_key`). Every row has its key: inserts write it, and the
    // `handle_keys` data pass filled the older ones; an exact handle implies its key.
    let key = ronda_core::target::handle_key(handle);
    let found = tx.conn().query_opt(
        "SELECT id FROM accounts WHERE platform_id = $1 AND handle_key = $2 ORDER BY id LIMIT 1",
        params![platform_id, &key],
    )?;
    if let Some(row) = found {
        return row.i64(0);
    }
    tx.conn()
        .insert_id(
            "INSERT INTO accounts (platform_id, handle, handle_key, status, created_at) VALUES ($1, $2, $3, 'active', $4) RETURNING id",
            params![platform_id, handle, &key, now],
        )
}

/// Keeps every identifier found in a case's reports.
fn record_identifiers(tx: &mut Tx<'_>, case_id: i64, d: &Detection, now: i64) -> Result<()> {
    for (kind, value) in &d.identifiers {
        tx.conn().execute(
            "INSERT INTO case_identifiers (case_id, kind, value, first_seen) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (case_id, kind, value) DO NOTHING",
            params![case_id, *kind, value, now],
        )?;
    }
    Ok(())
}

/// Accepts one validated report inside `tx`. A refusal (unknown platform) is `Ok(Err(_))` and
/// writes nothing.
pub fn accept(
    tx: &mut Tx<'_>,
    r: &ValidReport,
    ctx: &IntakeContext,
) -> Result<Result<Accepted, FieldError>> {
    accept_matched(tx, r, ctx, None)
}

/// [`accept`] with the hash-bank matches of the report's media, computed before the
/// transaction by [`Store::match_report_media`] (brought up to date inside it).
///
/// The steps, in order, each below: the platform and a replay; the bank matches made since;
/// the account; the case joined or opened, with its triage raised ([`join_or_open`]); the
/// identifiers; the content and its media ([`store_content`]); linking and re-creation
/// ([`link_account`]); the report row and the idempotency key ([`insert_report`]); the audit
/// entry ([`audit_intake`]).
pub fn accept_matched(
    tx: &mut Tx<'_>,
    r: &ValidReport,
    ctx: &IntakeContext,
    media: Option<&MediaMatches>,
) -> Result<Result<Accepted, FieldError>> {
    let Some(platform_id) = tx.platform_id(&r.platform)? else {
        return Ok(Err(FieldError::new(
            "unknown",
            "platform",
            format!(
                "platform `{}` is not registered (POST /api/v1/platforms)",
                r.platform
            ),
        )));
    };
    if let Some(done) = find_replay(tx, r, platform_id, ctx)? {
        return Ok(Ok(done));
    }
    // --- hash banks: matches against hashes added since the pre-transaction match ---
    let hits = match media {
        Some(m) => crate::banks::current_hits(tx, &r.media, m)?,
        None => Vec::new(),
    };
    let hits = hits.as_slice();
    let now = tx.now_ms();
    let account_id = match &r.target {
        Target::Account { handle } => Some(account_id(tx, platform_id, handle, now)?),
        Target::Url { .. } => None,
    };
    let joined = join_or_open(tx, r, ctx, platform_id, account_id, hits, now)?;
    let (case_id, new_case) = (joined.case_id, joined.new_case);
    if let Some(d) = &r.detection {
        record_identifiers(tx, case_id, d, now)?;
    }
    let content_id = store_content(tx, r, platform_id, account_id, now)?;
    // --- hash banks: the media rows (for retroactive matching) and the matches found ---
    if let Some(content_id) = content_id
        && !r.media.is_empty()
    {
        crate::banks::record_intake_media(tx, case_id, content_id, &r.media, hits)?;
    }
    let link_note = match account_id {
        Some(account_id) => link_account(tx, r, account_id, &ctx.actor)?,
        None => None,
    };
    let (report_id, tracking) = insert_report(tx, r, ctx, &joined, platform_id, content_id, now)?;
    audit_intake(tx, r, ctx, joined, report_id, hits.len(), link_note)?;
    Ok(Ok(Accepted {
        report_id,
        case_id,
        new_case,
        tracking_code: tracking,
        replayed: false,
    }))
}

/// The case a report joined or opened, and its audited state before and after.
struct Joined {
    case_id: i64,
    new_case: bool,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
}

/// Joins the open case of the report's target or opens one. Triage: the report, its media's
/// bank matches and what detection read in its text raise the case (`ronda_core::triage`: the
/// child-safety rule, never lower); content back after a verified removal opens a new case
/// linked to the removed one, at least `high`.
fn join_or_open(
    tx: &mut Tx<'_>,
    r: &ValidReport,
    ctx: &IntakeContext,
    platform_id: i64,
    account_id: Option<i64>,
    hits: &[MediaHit],
    now: i64,
) -> Result<Joined> {
    let key = r.target.case_key(&r.platform);
    let mut signals = Signals {
        source: Some(r.source),
        claimed: r.category,
        text: r.detection.as_ref().map(Detection::signals),
        child_bank_match: crate::banks::child_match(hits),
        ..Signals::default()
    };
    let open = tx.conn().query_opt(
        "SELECT id, status, priority, category, child_safety, reports_total, detect_score FROM cases WHERE target_key = $1 AND is_open = 1",
        params![&key],
    )?;
    let (case_id, new_case, before, after) = match open {
        Some(row) => {
            let id = row.i64(0)?;
            let status = row.string(1)?;
            let old = crate::triage::from_row(&row, 2)?;
            let total = row.i64(5)?;
            let t = old.apply(&raise(&signals));
            let (rank, category, child) = (
                priority_rank(t.priority),
                t.category.map(|c| c.as_str()),
                t.child.map(|c| c.as_str()),
            );
            // The case keeps the strongest detection of its reports.
            let stronger = r.detection.as_ref().filter(|d| {
                row.opt_f64(6)
                    .ok()
                    .flatten()
                    .is_none_or(|old| old < d.score)
            });
            match stronger {
                Some(d) => tx.conn().execute(
                    bump_sql(r.source, true),
                    params![
                        id,
                        now,
                        rank,
                        category,
                        child,
                        d.verdict,
                        d.category.map(|c| c.as_str()),
                        d.score,
                        &d.details_json
                    ],
                )?,
                None => tx.conn().execute(
                    bump_sql(r.source, false),
                    params![id, now, rank, category, child],
                )?,
            };
            crate::triage::notice_follows(tx, &ctx.actor, id, &old, &t)?;
            let mut before = crate::triage::to_json(&old);
            before["status"] = json!(status);
            before["reports_total"] = json!(total);
            let mut after = crate::triage::to_json(&t);
            after["status"] = json!(status);
            after["reports_total"] = json!(total + 1);
            (id, false, Some(before), after)
        }
        None => {
            let mut counts = [0_i64; 4];
            counts[Source::ALL.iter().position(|s| *s == r.source).unwrap_or(0)] = 1;
            // Content back after a verified removal: a new case, linked to the removed one and
            // at least `high` (the platform's removal did not hold).
            let previous = tx
                .conn()
                .query_opt(
                    "SELECT id FROM cases WHERE target_key = $1 AND status = 'removed' ORDER BY id DESC LIMIT 1",
                    params![&key],
                )?
                .map(|row| row.i64(0))
                .transpose()?;
            signals.content_back = previous.is_some();
            let t = Triage::new(&raise(&signals));
            let id = crate::cases::open_for_target(
                tx,
                &crate::cases::NewCase {
                    target_kind: r.target.kind(),
                    target_key: &key,
                    target_value: r.target.value(),
                    platform_id,
                    account_id,
                    triage: t,
                    reports_by_source: counts,
                    detection: r.detection.as_ref(),
                    previous_case_id: previous,
                    now,
                },
            )?;
            let mut after = crate::triage::to_json(&t);
            after["status"] = json!(CaseStatus::New);
            after["reports_total"] = json!(1);
            after["target"] = json!(key);
            if let Some(p) = previous {
                after["reappeared_after_case"] = json!(p);
            }
            (id, true, None, after)
        }
    };

    Ok(Joined {
        case_id,
        new_case,
        before,
        after,
    })
}

/// Stores the reported content (text, media hashes, URL) as a content item, when there is any.
fn store_content(
    tx: &mut Tx<'_>,
    r: &ValidReport,
    platform_id: i64,
    account_id: Option<i64>,
    now: i64,
) -> Result<Option<i64>> {
    Ok(if r.text.is_some() || !r.media.is_empty() {
        let media_json = if r.media.is_empty() {
            None
        } else {
            Some(
                serde_json::to_string(&r.media).map_err(|e| StoreError::Decode {
                    column: 0,
                    message: e.to_string(),
                })?,
            )
        };
        let url = match &r.target {
            Target::Url { url } => Some(url.as_str()),
            Target::Account { .. } => None,
        };
        let content_id = tx.conn().insert_id(
            "INSERT INTO content_items (platform_id, account_id, url, external_id, text, media_json, captured_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            params![
                platform_id,
                account_id,
                url,
                r.external_id.as_deref(),
                r.text.as_deref(),
                media_json.as_deref(),
                now
            ],
        )?;
        if let Some(c) = &r.capture {
            tx.conn().execute(
                "INSERT INTO content_captures (content_id, sha256, url, fetched_at, bytes, warc, watchlist_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params![
                    content_id,
                    c.sha256.as_str(),
                    c.url.as_str(),
                    c.fetched_at,
                    i64::try_from(c.warc.len()).unwrap_or(i64::MAX),
                    c.warc.as_slice(),
                    c.watchlist_id
                ],
            )?;
        }
        Some(content_id)
    } else {
        None
    })
}

/// Linking: the account's features grow, new keys are indexed, links and actors follow; an
/// account whose actor holds a taken-down account is a re-creation (see `actors.rs`). Returns
/// the audit note on new links.
fn link_account(
    tx: &mut Tx<'_>,
    r: &ValidReport,
    account_id: i64,
    actor: &str,
) -> Result<Option<serde_json::Value>> {
    let mut link_note = None;
    if r.link.is_some() || r.profile.is_some() {
        let outcome = crate::linking::link_report(
            tx,
            account_id,
            r.link.as_ref(),
            r.profile.as_ref(),
            actor,
        )?;
        if outcome.links > 0 {
            link_note = Some(json!({"actor": outcome.actor, "new_links": outcome.links}));
        }
    }
    crate::actors::flag_recreation(tx, account_id, actor, false)?;
    Ok(link_note)
}

/// The report row (reporter identity sealed) and its idempotency key; the report's id and, for
/// a public report, its tracking code.
fn insert_report(
    tx: &mut Tx<'_>,
    r: &ValidReport,
    ctx: &IntakeContext,
    joined: &Joined,
    platform_id: i64,
    content_id: Option<i64>,
    now: i64,
) -> Result<(i64, Option<String>)> {
    let (case_id, new_case) = (joined.case_id, joined.new_case);
    let tracking = (r.source == Source::Public).then(tracking_code);
    // Reporter identity is confidential: sealed before it reaches the database.
    let reporter_name = r.reporter_name.as_deref().map(|v| tx.seal(v));
    let reporter_contact = r.reporter_contact.as_deref().map(|v| tx.seal(v));
    let report_id = tx
        .conn()
        .insert_id(
            "INSERT INTO reports (case_id, opened_case, source, platform_id, target_raw, content_id, category, description, \
             reporter_name, reporter_contact, external_id, tracking_code, token_id, created_at, detect_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            params![
                case_id,
                new_case,
                r.source.as_str(),
                platform_id,
                &r.target_raw,
                content_id,
                r.category.map(|c| c.as_str()),
                r.description.as_deref(),
                reporter_name.as_deref(),
                reporter_contact.as_deref(),
                r.external_id.as_deref(),
                tracking.as_deref(),
                ctx.token_id,
                now,
                r.detection.as_ref().map(|d| d.report_json.as_str())
            ],
        )?;

    if let Some(key) = &ctx.idempotency_key {
        let scope = idempotency_scope(ctx);
        tx.conn().execute(
            "INSERT INTO idempotency_keys (scope, key, report_id, created_at) VALUES ($1, $2, $3, $4)",
            params![&scope, key, report_id, now],
        )?;
    }
    Ok((report_id, tracking))
}

/// The intake's one audit entry: `case.opened` or `case.report_added`, with the case's state
/// before and after.
fn audit_intake(
    tx: &mut Tx<'_>,
    r: &ValidReport,
    ctx: &IntakeContext,
    joined: Joined,
    report_id: i64,
    media_matches: usize,
    link_note: Option<serde_json::Value>,
) -> Result<()> {
    let Joined {
        case_id,
        new_case,
        before,
        after,
    } = joined;
    let mut after = after;
    after["report_id"] = json!(report_id);
    after["source"] = json!(r.source);
    if media_matches > 0 {
        after["media_matches"] = json!(media_matches);
    }
    if let Some(note) = link_note {
        after["linking"] = note;
    }
    if let Some(d) = &r.detection {
        after["detection"] = json!({"verdict": d.verdict, "score": d.score});
    }
    let before = before.map(|b| b.to_string());
    let after = after.to_string();
    tx.audit(
        &ctx.actor,
        if new_case {
            "case.opened"
        } else {
            "case.report_added"
        },
        &format!("case:{case_id}"),
        before.as_deref(),
        Some(&after),
    )?;
    Ok(())
}

/// The confidential reporter identity of a report, decrypted (for roles allowed to see it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reporter {
    pub name: Option<String>,
    pub contact: Option<String>,
}

impl Store {
    /// Reads and decrypts who filed a report. Callers decide whether the requester may see it.
    pub fn reporter_of(&self, report_id: i64) -> Result<Option<Reporter>> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT reporter_name, reporter_contact FROM reports WHERE id = $1",
                params![report_id],
            )
        })?;
        let Some(row) = row else { return Ok(None) };
        let open = |v: Option<String>| v.map(|s| self.unseal(&s)).transpose();
        Ok(Some(Reporter {
            name: open(row.opt_string(0)?)?,
            contact: open(row.opt_string(1)?)?,
        }))
    }

    /// Accepts one report; returns once it is committed. Media with a PDQ hash are matched
    /// against the hash banks first, outside the write transaction.
    pub async fn submit_report(&self, r: ValidReport, ctx: IntakeContext) -> Result<Accepted> {
        let media = if has_pdq(&r) {
            let store = self.clone();
            let media = r.media.clone();
            Some(
                tokio::task::spawn_blocking(move || store.match_report_media(&media))
                    .await
                    .map_err(|_| StoreError::Closed)??,
            )
        } else {
            None
        };
        self.write(1, move |tx| {
            accept_matched(tx, &r, &ctx, media.as_ref())?.map_err(StoreError::Invalid)
        })
        .await
    }

    /// Blocking form of [`Store::submit_report`].
    pub fn submit_report_blocking(&self, r: ValidReport, ctx: IntakeContext) -> Result<Accepted> {
        let media = if has_pdq(&r) {
            Some(self.match_report_media(&r.media)?)
        } else {
            None
        };
        self.write_blocking(1, move |tx| {
            accept_matched(tx, &r, &ctx, media.as_ref())?.map_err(StoreError::Invalid)
        })
    }

    /// Accepts a batch in one transaction; items refused earlier (validation) pass through as
    /// errors, in order.
    pub async fn submit_batch(
        &self,
        items: Vec<Result<ValidReport, FieldError>>,
        ctx: IntakeContext,
    ) -> Result<Vec<Result<Accepted, FieldError>>> {
        let weight = items.len().max(1);
        let hits = if items.iter().flatten().any(has_pdq) {
            let store = self.clone();
            let media: Vec<Vec<Media>> = items
                .iter()
                .map(|i| i.as_ref().map(|r| r.media.clone()).unwrap_or_default())
                .collect();
            tokio::task::spawn_blocking(move || store.match_batch_media(&media))
                .await
                .map_err(|_| StoreError::Closed)??
        } else {
            Vec::new()
        };
        self.write(weight, move |tx| accept_all(tx, &items, &hits, &ctx))
            .await
    }

    /// Blocking form of [`Store::submit_batch`].
    pub fn submit_batch_blocking(
        &self,
        items: Vec<Result<ValidReport, FieldError>>,
        ctx: IntakeContext,
    ) -> Result<Vec<Result<Accepted, FieldError>>> {
        let weight = items.len().max(1);
        let hits = if items.iter().flatten().any(has_pdq) {
            let media: Vec<Vec<Media>> = items
                .iter()
                .map(|i| i.as_ref().map(|r| r.media.clone()).unwrap_or_default())
                .collect();
            self.match_batch_media(&media)?
        } else {
            Vec::new()
        };
        self.write_blocking(weight, move |tx| accept_all(tx, &items, &hits, &ctx))
    }
}

fn has_pdq(r: &ValidReport) -> bool {
    r.media.iter().any(|m| m.pdq.is_some())
}

fn accept_all(
    tx: &mut Tx<'_>,
    items: &[Result<ValidReport, FieldError>],
    hits: &[Option<MediaMatches>],
    ctx: &IntakeContext,
) -> Result<Vec<Result<Accepted, FieldError>>> {
    // Idempotency keys belong to single submissions; batch items use `external_id`.
    let item_ctx = IntakeContext {
        idempotency_key: None,
        ..ctx.clone()
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Ok(r) => accept_matched(tx, r, &item_ctx, hits.get(i).and_then(Option::as_ref)),
            Err(e) => Ok(Err(e.clone())),
        })
        .collect()
}
