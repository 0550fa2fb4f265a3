//! Reading cases: one case, filtered pages, and the public view of a tracked report.

use ronda_core::model::{CaseStatus, Category, Priority, Source};
use ronda_core::triage::ChildSafety;

use crate::db::{Conn, Param, Row};
use crate::error::{Result, StoreError};
use crate::params;
use crate::store::Store;

/// How `cases.priority` stores a priority: its rank, so that `ORDER BY priority` sorts it.
pub(crate) fn priority_rank(p: Priority) -> i64 {
    match p {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    }
}

pub(crate) fn priority_from_rank(r: i64) -> Priority {
    match r {
        i64::MIN..=0 => Priority::Low,
        1 => Priority::Normal,
        2 => Priority::High,
        _ => Priority::Urgent,
    }
}

/// A case as the API shows it to staff.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseView {
    pub id: i64,
    pub status: CaseStatus,
    pub category: Option<Category>,
    pub priority: Priority,
    pub platform: String,
    pub target_kind: String,
    pub target_value: String,
    pub reports_total: i64,
    /// Counts in the order of [`Source::ALL`].
    pub reports_by_source: [i64; 4],
    pub first_reported_at: i64,
    pub last_reported_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The strongest detection seen in the case's reports.
    pub detection: Option<CaseDetection>,
    /// The removed case whose content came back (a case opened on re-appearance).
    pub previous_case_id: Option<i64>,
    /// Whether the case's account re-creates a taken-down account (see `actors.rs`).
    pub recreation: bool,
    /// What it re-creates: accounts, their earlier cases and decisions, the evidence (JSON).
    pub recreation_json: Option<String>,
    /// The actor of the case's account, once linking has seen it.
    pub actor_id: Option<i64>,
    /// Why the case is a child-safety case, when it is (see `ronda_core::triage`).
    pub child_safety: Option<ChildSafety>,
    /// The start of the latest report's text (or, without text, its description), at most
    /// [`EXCERPT_CHARS`] characters: what the analyst reads first.
    pub excerpt: Option<String>,
    /// The case this one was merged into (a look-alike of its account; see `passes.rs`).
    pub merged_into: Option<i64>,
}

/// The length of a case's excerpt, in characters.
pub const EXCERPT_CHARS: usize = 280;

/// The first `n` characters of `s`, with an ellipsis when cut.
pub fn excerpt(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((at, _)) => format!("{}…", s[..at].trim_end()),
        None => s.to_string(),
    }
}

/// The detection engine's strongest reading of a case's reports.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseDetection {
    pub verdict: String,
    pub category: Option<String>,
    pub score: f64,
    /// Per-category scores and rule ids (JSON).
    pub details_json: Option<String>,
}

pub(crate) const CASE_COLUMNS: &str = "c.id, c.status, c.category, c.priority, p.name, c.target_kind, c.target_value, \
     c.reports_total, c.reports_patrol, c.reports_police, c.reports_public, c.reports_platform, \
     c.first_reported_at, c.last_reported_at, c.created_at, c.updated_at, \
     c.detect_verdict, c.detect_category, c.detect_score, c.detect_json, c.previous_case_id, \
     c.recreation, c.recreation_json, (SELECT a.actor_id FROM accounts a WHERE a.id = c.account_id), \
     c.child_safety, (SELECT COALESCE(ci.text, r.description) FROM reports r LEFT JOIN content_items ci ON ci.id = r.content_id \
      WHERE r.case_id = c.id AND COALESCE(ci.text, r.description) IS NOT NULL ORDER BY r.id DESC LIMIT 1), \
     c.merged_into";

pub(crate) fn case_from_row(r: &Row) -> Result<CaseView> {
    let category = match r.opt_string(2)? {
        Some(s) => Some(s.parse::<Category>().map_err(|e| StoreError::Decode {
            column: 2,
            message: e.to_string(),
        })?),
        None => None,
    };
    Ok(CaseView {
        id: r.i64(0)?,
        status: r.parse(1)?,
        category,
        priority: priority_from_rank(r.i64(3)?),
        platform: r.string(4)?,
        target_kind: r.string(5)?,
        target_value: r.string(6)?,
        reports_total: r.i64(7)?,
        reports_by_source: [r.i64(8)?, r.i64(9)?, r.i64(10)?, r.i64(11)?],
        first_reported_at: r.i64(12)?,
        last_reported_at: r.i64(13)?,
        created_at: r.i64(14)?,
        updated_at: r.i64(15)?,
        detection: match r.opt_string(16)? {
            Some(verdict) => Some(CaseDetection {
                verdict,
                category: r.opt_string(17)?,
                score: r.f64(18)?,
                details_json: r.opt_string(19)?,
            }),
            None => None,
        },
        previous_case_id: r.opt_i64(20)?,
        recreation: r.i64(21)? == 1,
        recreation_json: r.opt_string(22)?,
        actor_id: r.opt_i64(23)?,
        child_safety: r.opt_str(24)?.and_then(ChildSafety::parse),
        excerpt: r.opt_str(25)?.map(|t| excerpt(t, EXCERPT_CHARS)),
        merged_into: r.opt_i64(26)?,
    })
}

/// A case to open for a target that has no open case (see [`open_for_target`]).
pub(crate) struct NewCase<'a> {
    pub target_kind: &'a str,
    pub target_key: &'a str,
    pub target_value: &'a str,
    pub platform_id: i64,
    pub account_id: Option<i64>,
    pub triage: ronda_core::triage::Triage,
    /// Reports by source, in the order of [`Source::ALL`] (all zero for a case opened by a
    /// bank match).
    pub reports_by_source: [i64; 4],
    pub detection: Option<&'a ronda_core::report::Detection>,
    /// The removed case whose content came back.
    pub previous_case_id: Option<i64>,
    pub now: i64,
}

/// The one place a `cases` row is inserted: intake for a report about a target with no open
/// case, and a retroactive bank match on content whose case has closed. The partial unique
/// index on `target_key` (open cases) refuses a second open case for one target.
pub(crate) fn open_for_target(tx: &mut crate::Tx<'_>, c: &NewCase<'_>) -> Result<i64> {
    let [patrol, police, public, platform] = c.reports_by_source;
    let total = patrol + police + public + platform;
    let d = c.detection;
    tx.conn().insert_id(
        "INSERT INTO cases (target_kind, target_key, target_value, platform_id, account_id, status, is_open, \
         category, priority, reports_total, reports_patrol, reports_police, reports_public, reports_platform, \
         first_reported_at, last_reported_at, created_at, updated_at, \
         detect_verdict, detect_category, detect_score, detect_json, previous_case_id, child_safety) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $12, $13, $14, $14, $14, $14, \
         $15, $16, $17, $18, $19, $20) RETURNING id",
        params![
            c.target_kind,
            c.target_key,
            c.target_value,
            c.platform_id,
            c.account_id,
            CaseStatus::New.as_str(),
            c.triage.category.map(|x| x.as_str()),
            priority_rank(c.triage.priority),
            total,
            patrol,
            police,
            public,
            platform,
            c.now,
            d.map(|d| d.verdict),
            d.and_then(|d| d.category).map(|x| x.as_str()),
            d.map(|d| d.score),
            d.map(|d| d.details_json.as_str()),
            c.previous_case_id,
            c.triage.child.map(|x| x.as_str())
        ],
    )
}

/// Filters of `GET /cases`; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub category: Option<Category>,
    pub platform: Option<String>,
    pub source: Option<Source>,
    pub priority: Option<Priority>,
    /// Free-text search (see [`CaseSearch`]).
    pub search: Option<CaseSearch>,
    /// Only cases with an id below this one (the page cursor).
    pub before_id: Option<i64>,
    pub limit: usize,
}

/// `GET /cases?q=`: a case matches when its target (account or URL), one of its identifiers,
/// or the text, description or target of one of its reports contains `contains`
/// (case-insensitive), or when its target or an identifier equals one of `exact` (canonical
/// forms the caller derived from the query: a phone number in E.164, a normalised handle),
/// or when it is an account case whose handle looks like the query's (`handle_key`, see
/// `ronda_core::target::handle_key`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseSearch {
    /// Lower-case.
    pub contains: String,
    pub exact: Vec<String>,
    pub handle_key: Option<String>,
}

/// A LIKE pattern matching `s` anywhere, with `\` escaping LIKE's wildcards.
fn like_pattern(s: &str) -> String {
    let mut p = String::with_capacity(s.len() + 2);
    p.push('%');
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// A page of cases, newest first, and the cursor of the next page.
#[derive(Debug, Clone)]
pub struct CasePage {
    pub cases: Vec<CaseView>,
    pub next_before_id: Option<i64>,
}

pub fn get_case(conn: &mut dyn Conn, id: i64) -> Result<Option<CaseView>> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases c JOIN platforms p ON p.id = c.platform_id WHERE c.id = $1"
    );
    conn.query_opt(&sql, params![id])?
        .map(|r| case_from_row(&r))
        .transpose()
}

/// The LIKE pattern of a filter's free-text search, for [`filter_conditions`].
pub(crate) fn search_pattern(f: &CaseFilter) -> Option<String> {
    f.search.as_ref().map(|q| like_pattern(&q.contains))
}

/// The SQL conditions of a filter over `cases c JOIN platforms p`, their parameters pushed
/// onto `ps` (numbered from `ps.len() + 1`); `pattern` is [`search_pattern`]'s. `f.limit` is
/// not a condition.
pub(crate) fn filter_conditions<'a>(
    f: &'a CaseFilter,
    pattern: Option<&'a str>,
    ps: &mut Vec<Param<'a>>,
) -> Vec<String> {
    let mut conds: Vec<String> = Vec::new();
    let mut push = |cond: &str, p: Param<'static>, ps: &mut Vec<Param<'_>>| {
        ps.push(p);
        conds.push(cond.replace('?', &format!("${}", ps.len())));
    };
    if let Some(s) = f.status {
        push("c.status = ?", Param::Text(s.as_str()), ps);
    }
    if let Some(c) = f.category {
        push("c.category = ?", Param::Text(c.as_str()), ps);
    }
    if let Some(p) = f.priority {
        push("c.priority = ?", Param::Int(priority_rank(p)), ps);
    }
    if let Some(id) = f.before_id {
        push("c.id < ?", Param::Int(id), ps);
    }
    if let Some(s) = f.source {
        let col = match s {
            Source::Patrol => "c.reports_patrol > 0",
            Source::Police => "c.reports_police > 0",
            Source::Public => "c.reports_public > 0",
            Source::Platform => "c.reports_platform > 0",
        };
        conds.push(col.to_string());
    }
    if let Some(name) = &f.platform {
        ps.push(Param::Text(name));
        conds.push(format!("p.name = ${}", ps.len()));
    }
    if let (Some(q), Some(pattern)) = (&f.search, pattern) {
        ps.push(Param::Text(pattern));
        let like = format!("${}", ps.len());
        let mut exact = Vec::new();
        for e in q.exact.iter().take(4) {
            ps.push(Param::Text(e));
            exact.push(format!("${}", ps.len()));
        }
        let look_alike = match &q.handle_key {
            Some(k) => {
                ps.push(Param::Text(k));
                format!(
                    " OR c.target_key = 'account:' || p.name || ':' || ${}",
                    ps.len()
                )
            }
            None => String::new(),
        };
        let exact_in = |col: &str| {
            if exact.is_empty() {
                String::new()
            } else {
                format!(" OR {col} IN ({})", exact.join(", "))
            }
        };
        conds.push(format!(
            "(LOWER(c.target_value) LIKE {like} ESCAPE '\\'{}{look_alike} \
             OR EXISTS (SELECT 1 FROM case_identifiers i WHERE i.case_id = c.id \
                AND (LOWER(i.value) LIKE {like} ESCAPE '\\'{})) \
             OR EXISTS (SELECT 1 FROM reports r LEFT JOIN content_items ci ON ci.id = r.content_id WHERE r.case_id = c.id \
                AND (LOWER(ci.text) LIKE {like} ESCAPE '\\' OR LOWER(r.description) LIKE {like} ESCAPE '\\' \
                     OR LOWER(r.target_raw) LIKE {like} ESCAPE '\\')))",
            exact_in("c.target_value"),
            exact_in("i.value"),
        ));
    }
    conds
}

pub fn list_cases(conn: &mut dyn Conn, f: &CaseFilter) -> Result<CasePage> {
    let pattern = search_pattern(f);
    let mut ps: Vec<Param<'_>> = Vec::new();
    let conds = filter_conditions(f, pattern.as_deref(), &mut ps);
    let limit = f.limit.clamp(1, 500);
    ps.push(Param::Int(i64::try_from(limit + 1).unwrap_or(501)));
    let where_clause = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases c JOIN platforms p ON p.id = c.platform_id {where_clause} \
         ORDER BY c.id DESC LIMIT ${}",
        ps.len()
    );
    let rows = conn.query(&sql, &ps)?;
    let mut cases = rows.iter().map(case_from_row).collect::<Result<Vec<_>>>()?;
    let next_before_id = if cases.len() > limit {
        cases.truncate(limit);
        cases.last().map(|c| c.id)
    } else {
        None
    };
    Ok(CasePage {
        cases,
        next_before_id,
    })
}

/// Identifiers found in a case's reports: (kind, value), in a stable order.
pub fn case_identifiers(conn: &mut dyn Conn, case_id: i64) -> Result<Vec<(String, String)>> {
    conn.query(
        "SELECT kind, value FROM case_identifiers WHERE case_id = $1 ORDER BY kind, value",
        params![case_id],
    )?
    .iter()
    .map(|r| Ok((r.string(0)?, r.string(1)?)))
    .collect()
}

/// One report of a case as staff read it (`GET /cases/{id}/reports`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportView {
    pub id: i64,
    pub source: Source,
    pub created_at: i64,
    /// The category the reporter claimed.
    pub category: Option<Category>,
    /// The target as the reporter wrote it.
    pub target_raw: String,
    pub external_id: Option<String>,
    /// The content as reported (absent once retention removed it).
    pub text: Option<String>,
    pub url: Option<String>,
    /// The media hashes (JSON array of `{pdq, sha256}`).
    pub media_json: Option<String>,
    pub description: Option<String>,
    /// What detection read in this report (verdict, category, score, spans; JSON).
    pub detection_json: Option<String>,
    /// Who filed it: the token's role (`intake`, `police`, `platform`, …; `public_form` for the public form).
    pub reporter_kind: String,
    /// Whether the reporter left a name or a contact (sealed).
    pub reporter_identified: bool,
    /// The reporter's name and contact, unsealed: only when asked for (supervisors, admins).
    pub reporter: Option<(Option<String>, Option<String>)>,
    /// When retention removed the reporter's identity.
    pub reporter_removed_at: Option<i64>,
    /// When retention removed the content.
    pub content_removed_at: Option<i64>,
    /// The patrol's capture of the page behind the content, when there is one.
    pub capture: Option<CaptureInfo>,
}

/// What is known of a report's capture (the WARC file itself goes into evidence bundles).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureInfo {
    /// SHA-256 of the WARC file, lower-case hex.
    pub sha256: String,
    pub url: String,
    pub fetched_at: i64,
    pub bytes: i64,
    /// Whether the file is still kept (retention removes it with the text).
    pub kept: bool,
}

/// A page of a case's reports, oldest first, and the cursor of the next page.
#[derive(Debug, Clone)]
pub struct ReportPage {
    pub reports: Vec<ReportView>,
    pub next_after_id: Option<i64>,
}

/// What a public reporter may learn about their report: the stage, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicStatus {
    pub status: &'static str,
    pub received_at: i64,
}

/// Maps a case status to the words a public reporter sees.
pub fn public_status(s: CaseStatus) -> &'static str {
    ronda_core::public_track::PublicStage::of(s).as_str()
}

pub fn public_report_status(conn: &mut dyn Conn, code: &str) -> Result<Option<PublicStatus>> {
    let row = conn.query_opt(
        "SELECT c.status, r.created_at FROM reports r JOIN cases c ON c.id = r.case_id WHERE r.tracking_code = $1",
        params![code],
    )?;
    match row {
        Some(r) => Ok(Some(PublicStatus {
            status: public_status(r.parse(0)?),
            received_at: r.i64(1)?,
        })),
        None => Ok(None),
    }
}

/// A public report's path so far ([`ronda_core::public_track`]): its stages and their dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicTrack {
    pub received_at: i64,
    pub steps: Vec<ronda_core::public_track::TrackStep>,
}

/// The stages of the report with tracking code `code` (normalised), from its case's status
/// changes in the audit log (every status change records the new `status` in its after-image).
pub fn public_report_track(conn: &mut dyn Conn, code: &str) -> Result<Option<PublicTrack>> {
    let Some(row) = conn.query_opt(
        "SELECT c.id, c.status, r.created_at FROM reports r JOIN cases c ON c.id = r.case_id WHERE r.tracking_code = $1",
        params![code],
    )?
    else {
        return Ok(None);
    };
    let (case_id, current, received_at): (i64, CaseStatus, i64) =
        (row.i64(0)?, row.parse(1)?, row.i64(2)?);
    let rows = conn.query(
        "SELECT at, after_json FROM audit_events WHERE target = $1 ORDER BY seq",
        params![&format!("case:{case_id}")],
    )?;
    let mut changes = Vec::with_capacity(rows.len());
    for r in &rows {
        let status = r
            .opt_string(1)?
            .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
            .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_string))
            .and_then(|s| s.parse::<CaseStatus>().ok());
        if let Some(s) = status {
            changes.push((r.i64(0)?, s));
        }
    }
    Ok(Some(PublicTrack {
        received_at,
        steps: ronda_core::public_track::track(received_at, &changes, current),
    }))
}

/// Row counts, for the load generator's loss check and for operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub reports: i64,
    pub cases: i64,
    pub audit_events: i64,
}

pub fn counts(conn: &mut dyn Conn) -> Result<Counts> {
    let r = conn.query_one(
        "SELECT (SELECT COUNT(*) FROM reports), (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM audit_events)",
        params![],
    )?;
    Ok(Counts {
        reports: r.i64(0)?,
        cases: r.i64(1)?,
        audit_events: r.i64(2)?,
    })
}

impl Store {
    pub fn get_case(&self, id: i64) -> Result<Option<CaseView>> {
        self.read(|c| get_case(c, id))
    }

    pub fn list_cases(&self, f: &CaseFilter) -> Result<CasePage> {
        self.read(|c| list_cases(c, f))
    }

    pub fn public_report_status(&self, code: &str) -> Result<Option<PublicStatus>> {
        self.read(|c| public_report_status(c, code))
    }

    pub fn public_report_track(&self, code: &str) -> Result<Option<PublicTrack>> {
        self.read(|c| public_report_track(c, code))
    }

    pub fn case_identifiers(&self, case_id: i64) -> Result<Vec<(String, String)>> {
        self.read(|c| case_identifiers(c, case_id))
    }

    pub fn counts(&self) -> Result<Counts> {
        self.read(counts)
    }

    /// A page of a case's reports, oldest first, after report `after_id`. With
    /// `identity`, the sealed reporter names and contacts are opened and the reading is
    /// audited under `actor` (who saw which reporters).
    pub fn case_reports(
        &self,
        actor: &str,
        case_id: i64,
        after_id: Option<i64>,
        limit: usize,
        identity: bool,
    ) -> Result<ReportPage> {
        let limit = limit.clamp(1, 200);
        let rows = self.read(|c| {
            c.query(
                "SELECT r.id, r.source, r.created_at, r.category, r.target_raw, r.external_id, ci.text, ci.url, \
                 ci.media_json, r.description, r.detect_json, COALESCE(t.role, 'public_form'), r.reporter_name, \
                 r.reporter_contact, r.reporter_purged_at, ci.purged_at, \
                 cc.sha256, cc.url, cc.fetched_at, cc.bytes, CASE WHEN cc.warc IS NULL THEN 0 ELSE 1 END \
                 FROM reports r LEFT JOIN content_items ci ON ci.id = r.content_id \
                 LEFT JOIN content_captures cc ON cc.content_id = ci.id \
                 LEFT JOIN api_tokens t ON t.id = r.token_id \
                 WHERE r.case_id = $1 AND r.id > $2 ORDER BY r.id LIMIT $3",
                params![
                    case_id,
                    after_id.unwrap_or(0),
                    i64::try_from(limit + 1).unwrap_or(201)
                ],
            )
        })?;
        let mut reports = Vec::with_capacity(rows.len());
        for r in rows.iter().take(limit) {
            let name = r.opt_string(12)?;
            let contact = r.opt_string(13)?;
            let reporter = if identity && (name.is_some() || contact.is_some()) {
                Some((
                    name.as_deref().map(|v| self.unseal(v)).transpose()?,
                    contact.as_deref().map(|v| self.unseal(v)).transpose()?,
                ))
            } else {
                None
            };
            reports.push(ReportView {
                id: r.i64(0)?,
                source: r.parse(1)?,
                created_at: r.i64(2)?,
                category: r.opt_str(3)?.and_then(|c| c.parse().ok()),
                target_raw: r.string(4)?,
                external_id: r.opt_string(5)?,
                text: r.opt_string(6)?,
                url: r.opt_string(7)?,
                media_json: r.opt_string(8)?,
                description: r.opt_string(9)?,
                detection_json: r.opt_string(10)?,
                reporter_kind: r.string(11)?,
                reporter_identified: name.is_some() || contact.is_some(),
                reporter,
                reporter_removed_at: r.opt_i64(14)?,
                content_removed_at: r.opt_i64(15)?,
                capture: match r.opt_string(16)? {
                    Some(sha256) => Some(CaptureInfo {
                        sha256,
                        url: r.string(17)?,
                        fetched_at: r.i64(18)?,
                        bytes: r.i64(19)?,
                        kept: r.i64(20)? == 1,
                    }),
                    None => None,
                },
            });
        }
        let opened: Vec<i64> = reports
            .iter()
            .filter(|r| r.reporter.is_some())
            .map(|r| r.id)
            .collect();
        if !opened.is_empty() {
            let actor = actor.to_string();
            let after = serde_json::json!({"reports": opened}).to_string();
            self.write_blocking(1, move |tx| {
                tx.audit(
                    &actor,
                    "report.reporter_viewed",
                    &format!("case:{case_id}"),
                    None,
                    Some(&after),
                )
            })?;
        }
        let next_after_id = (rows.len() > limit)
            .then(|| reports.last().map(|r| r.id))
            .flatten();
        Ok(ReportPage {
            reports,
            next_after_id,
        })
    }
}
