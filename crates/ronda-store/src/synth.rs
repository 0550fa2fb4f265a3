//! Synthetic rows for statistics: tests describe small exact datasets with these, and
//! `ronda bench stats-db` fills millions of cases. Rows are written directly (multi-row
//! `INSERT`s, thousands per statement, in big transactions through [`Store::write_blocking`]),
//! not through intake: no reports, content or identifiers are made, only what statistics read
//! (cases with their report counters, decisions, notices). Each chunk appends one
//! `synthetic.rows` audit event, so the chain stays whole and says what was generated.

use crate::db::{Backend, Conn, Param};
use crate::error::Result;
use crate::store::{Store, Tx};

/// A case as statistics see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthCase {
    /// Forced id (tests refer to cases by it).
    pub id: i64,
    pub platform_id: i64,
    pub status: &'static str,
    pub category: Option<&'static str>,
    /// 0 low … 3 urgent.
    pub priority: i64,
    /// Reports from patrol, police, public, platform.
    pub reports: [i64; 4],
    pub created_at: i64,
    pub previous_case_id: Option<i64>,
}

/// A decision on a case (`confirm`, `reject`, `approve`, `disapprove`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthDecision {
    pub case_id: i64,
    pub decision: &'static str,
    /// The category recorded with the decision (the case's at that moment).
    pub category: Option<&'static str>,
    pub created_at: i64,
}

/// A takedown notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthNotice {
    pub case_id: i64,
    pub platform_id: i64,
    pub status: &'static str,
    pub category: &'static str,
    pub created_at: i64,
    pub deadline: i64,
    pub response_action: Option<&'static str>,
    pub responded_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// Rows per statement: under SQLite's and PostgreSQL's parameter limits for every table here.
const ROWS_PER_STATEMENT: usize = 1000;

fn insert_many(
    conn: &mut dyn Conn,
    head: &str,
    cols: usize,
    rows: &[Vec<Param<'_>>],
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::with_capacity(head.len() + chunk.len() * cols * 6);
        sql.push_str(head);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..cols {
                if c > 0 {
                    sql.push(',');
                }
                n += 1;
                sql.push('$');
                sql.push_str(&n.to_string());
            }
            sql.push(')');
        }
        let params: Vec<Param<'_>> = chunk.iter().flatten().copied().collect();
        conn.execute(&sql, &params)?;
    }
    Ok(())
}

/// Writes cases, decisions and notices in the current transaction.
pub fn insert(
    tx: &mut Tx<'_>,
    cases: &[SynthCase],
    decisions: &[SynthDecision],
    notices: &[SynthNotice],
) -> Result<()> {
    let keys: Vec<String> = cases
        .iter()
        .map(|c| format!("synthetic:{}", c.id))
        .collect();
    let case_rows: Vec<Vec<Param<'_>>> = cases
        .iter()
        .zip(&keys)
        .map(|(c, key)| {
            let open = !matches!(c.status, "rejected" | "removed" | "closed");
            vec![
                Param::Int(c.id),
                Param::Text("url"),
                Param::Text(key),
                Param::Text(key),
                Param::Int(c.platform_id),
                Param::Text(c.status),
                Param::Int(i64::from(open)),
                c.category.into(),
                Param::Int(c.priority),
                Param::Int(c.reports.iter().sum()),
                Param::Int(c.reports[0]),
                Param::Int(c.reports[1]),
                Param::Int(c.reports[2]),
                Param::Int(c.reports[3]),
                Param::Int(c.created_at),
                c.previous_case_id.into(),
            ]
        })
        .collect();
    // last_reported_at, created_at and updated_at repeat the first-reported time.
    let case_rows: Vec<Vec<Param<'_>>> = case_rows
        .into_iter()
        .map(|mut r| {
            let t = r[14];
            r.extend([t, t, t]);
            r
        })
        .collect();
    insert_many(
        tx.conn(),
        "INSERT INTO cases (id, target_kind, target_key, target_value, platform_id, status, is_open, category, priority, \
         reports_total, reports_patrol, reports_police, reports_public, reports_platform, \
         first_reported_at, previous_case_id, last_reported_at, created_at, updated_at)",
        19,
        &case_rows,
    )?;
    let decision_rows: Vec<Vec<Param<'_>>> = decisions
        .iter()
        .map(|d| {
            vec![
                Param::Int(d.case_id),
                Param::Text(d.decision),
                d.category.into(),
                Param::Text("synthetic"),
                Param::Int(d.created_at),
            ]
        })
        .collect();
    insert_many(
        tx.conn(),
        "INSERT INTO decisions (case_id, decision, category, decided_by, created_at)",
        5,
        &decision_rows,
    )?;
    let notice_rows: Vec<Vec<Param<'_>>> = notices
        .iter()
        .map(|n| {
            vec![
                Param::Int(n.case_id),
                Param::Int(n.platform_id),
                Param::Text(n.status),
                Param::Text(n.category),
                Param::Text(""),
                Param::Int(i64::from(n.category == "child_exploitation")),
                Param::Text("url"),
                Param::Text(""),
                Param::Text("{}"),
                Param::Int(n.created_at),
                Param::Int(n.deadline),
                Param::Text("none"),
                n.response_action.into(),
                n.responded_at.into(),
                n.closed_at.into(),
            ]
        })
        .collect();
    insert_many(
        tx.conn(),
        "INSERT INTO notices (case_id, platform_id, status, category, legal_basis, urgent, target_kind, target_value, \
         evidence, created_at, deadline, escalation_step, response_action, responded_at, closed_at)",
        15,
        &notice_rows,
    )?;
    if tx.backend() == Backend::Postgres && !cases.is_empty() {
        // Explicit ids do not move PostgreSQL's identity sequence; later intake must not collide.
        tx.conn().query(
            "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT MAX(id) FROM cases))",
            &[],
        )?;
    }
    let after = serde_json::json!({"cases": cases.len(), "decisions": decisions.len(), "notices": notices.len()})
        .to_string();
    tx.audit("synthetic", "synthetic.rows", "store", None, Some(&after))?;
    Ok(())
}

impl Store {
    /// Writes synthetic rows in one transaction (blocking).
    pub fn insert_synthetic_blocking(
        &self,
        cases: Vec<SynthCase>,
        decisions: Vec<SynthDecision>,
        notices: Vec<SynthNotice>,
    ) -> Result<()> {
        let weight = cases.len() + decisions.len() + notices.len();
        self.write_blocking(weight.max(1), move |tx| {
            insert(tx, &cases, &decisions, &notices)
        })
    }
}
