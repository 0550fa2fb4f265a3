//! Statistics over the store: every figure is one SQL aggregation, written once, that gives the
//! same numbers on SQLite and PostgreSQL (no dialect functions: integer arithmetic on epoch
//! milliseconds, `CASE`, `SUM`, `COUNT` and window functions only).
//!
//! The window is a range of calendar days in Asia/Jakarta (WIB, UTC+7, no daylight saving):
//! `from` 00:00 WIB up to the end of `to` (inclusive). Each figure is counted at the time of
//! its own event (a case when it was opened, a decision when it was recorded, a removal when it
//! was verified); see ARCHITECTURE.md, "Statistics", for the definition of every figure.
//!
//! Months are WIB calendar months. SQL groups by WIB day number (`(t + 7 h) / 1 day`, integer
//! division on positive numbers, identical on both backends) and this module folds days into
//! months; every figure is a count of events, so the fold is exact.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use ronda_core::model::{Category, Source};
use serde::Serialize;

use crate::cases::priority_from_rank;
use crate::db::{Conn, Value};
use crate::error::Result;
use crate::params;
use crate::store::Store;

use ronda_core::wib::{
    DAY_MS, OFFSET_MS as WIB_OFFSET_MS, day_of_ms as wib_day_of_ms,
    day_start_ms as wib_day_start_ms, format_date, month_of_day, months_between, parse_date,
};
/// The longest window accepted (in days), so a typo cannot ask for ten thousand years of months.
pub const MAX_WINDOW_DAYS: i64 = 36_600;

/// The SQL condition that makes a case a "re-created account caught". Today: the content came
/// back after a verified removal (`previous_case_id`, migration 0006), or whose account re-creates
/// a taken-down account of the same actor (`recreation`, migration 0007, issue 5).
pub const RECREATED_CASE_SQL: &str = "(c.previous_case_id IS NOT NULL OR c.recreation = 1)";
/// The category that makes a case, decision or notice child-related (counted separately).
pub const CHILD_CATEGORY: &str = "child_exploitation";

/// What the figures are broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Month,
    Category,
    Platform,
    Source,
    Priority,
}

impl GroupBy {
    pub const ALL: &'static [GroupBy] = &[
        GroupBy::Month,
        GroupBy::Category,
        GroupBy::Platform,
        GroupBy::Source,
        GroupBy::Priority,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Month => "month",
            GroupBy::Category => "category",
            GroupBy::Platform => "platform",
            GroupBy::Source => "source",
            GroupBy::Priority => "priority",
        }
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        GroupBy::ALL
            .iter()
            .copied()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown group_by `{}`; expected one of: month category platform source priority",
                    s.chars().take(32).collect::<String>()
                )
            })
    }
}

/// Nearest-rank percentile position: the 1-based rank of the `p`-th percentile of `n` sorted
/// values, `ceil(p/100 · n)` (at least 1). Median = p50 (the lower middle for even `n`).
pub fn nearest_rank(p: u32, n: i64) -> i64 {
    ((i64::from(p) * n + 99) / 100).max(1)
}

/// A `from`/`to` that cannot make a window: the field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowError {
    pub field: &'static str,
    pub message: String,
}

/// The window of days from optional `YYYY-MM-DD` bounds (both inclusive, WIB): `to` defaults
/// to today (WIB) and `from` to 29 days before `to` (30 days in all).
pub fn resolve_window(
    from: Option<&str>,
    to: Option<&str>,
    now_ms: i64,
) -> std::result::Result<(i64, i64), WindowError> {
    let parse = |field: &'static str, v: &str| {
        parse_date(v).ok_or_else(|| WindowError {
            field,
            message: format!(
                "`{}` is not a date; use YYYY-MM-DD (1970 or later)",
                v.chars().take(32).collect::<String>()
            ),
        })
    };
    let to_day = match to.filter(|s| !s.is_empty()) {
        Some(v) => parse("to", v)?,
        None => wib_day_of_ms(now_ms),
    };
    let from_day = match from.filter(|s| !s.is_empty()) {
        Some(v) => parse("from", v)?,
        None => to_day - 29,
    };
    if from_day > to_day {
        return Err(WindowError {
            field: "to",
            message: "`to` is before `from`".into(),
        });
    }
    if to_day - from_day >= MAX_WINDOW_DAYS {
        return Err(WindowError {
            field: "from",
            message: format!("a window is at most {MAX_WINDOW_DAYS} days"),
        });
    }
    Ok((from_day, to_day))
}

// ---------------------------------------------------------------------------------------------
// Results.

/// One set of figures (a total, or one group). See ARCHITECTURE.md for each definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub items_handled: i64,
    pub reports_patrol: i64,
    pub reports_police: i64,
    pub reports_public: i64,
    pub reports_platform: i64,
    pub cases_opened: i64,
    pub cases_confirmed: i64,
    pub cases_rejected: i64,
    pub notices_sent: i64,
    pub removals_verified: i64,
    pub removed_within_deadline: i64,
    pub removals_refused: i64,
    pub removals_overdue: i64,
    pub recreated_caught: i64,
    pub child_items_handled: i64,
    pub child_cases_opened: i64,
    pub child_cases_confirmed: i64,
    pub child_notices_sent: i64,
    pub child_removals_verified: i64,
}

/// Field indexes of [`Figures`], in [`Figures::NAMES`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
enum F {
    Items,
    RepPatrol,
    RepPolice,
    RepPublic,
    RepPlatform,
    Opened,
    Confirmed,
    Rejected,
    Sent,
    Verified,
    WithinDeadline,
    Refused,
    Overdue,
    Recreated,
    ChildItems,
    ChildOpened,
    ChildConfirmed,
    ChildSent,
    ChildVerified,
}

impl Figures {
    /// Column names, in a stable order (CSV headers, table columns, JSON keys).
    pub const NAMES: [&'static str; 19] = [
        "items_handled",
        "reports_patrol",
        "reports_police",
        "reports_public",
        "reports_platform",
        "cases_opened",
        "cases_confirmed",
        "cases_rejected",
        "notices_sent",
        "removals_verified",
        "removed_within_deadline",
        "removals_refused",
        "removals_overdue",
        "recreated_caught",
        "child_items_handled",
        "child_cases_opened",
        "child_cases_confirmed",
        "child_notices_sent",
        "child_removals_verified",
    ];

    /// The values in [`Figures::NAMES`] order.
    pub fn values(&self) -> [i64; 19] {
        [
            self.items_handled,
            self.reports_patrol,
            self.reports_police,
            self.reports_public,
            self.reports_platform,
            self.cases_opened,
            self.cases_confirmed,
            self.cases_rejected,
            self.notices_sent,
            self.removals_verified,
            self.removed_within_deadline,
            self.removals_refused,
            self.removals_overdue,
            self.recreated_caught,
            self.child_items_handled,
            self.child_cases_opened,
            self.child_cases_confirmed,
            self.child_notices_sent,
            self.child_removals_verified,
        ]
    }

    fn slot(&mut self, f: F) -> &mut i64 {
        match f {
            F::Items => &mut self.items_handled,
            F::RepPatrol => &mut self.reports_patrol,
            F::RepPolice => &mut self.reports_police,
            F::RepPublic => &mut self.reports_public,
            F::RepPlatform => &mut self.reports_platform,
            F::Opened => &mut self.cases_opened,
            F::Confirmed => &mut self.cases_confirmed,
            F::Rejected => &mut self.cases_rejected,
            F::Sent => &mut self.notices_sent,
            F::Verified => &mut self.removals_verified,
            F::WithinDeadline => &mut self.removed_within_deadline,
            F::Refused => &mut self.removals_refused,
            F::Overdue => &mut self.removals_overdue,
            F::Recreated => &mut self.recreated_caught,
            F::ChildItems => &mut self.child_items_handled,
            F::ChildOpened => &mut self.child_cases_opened,
            F::ChildConfirmed => &mut self.child_cases_confirmed,
            F::ChildSent => &mut self.child_notices_sent,
            F::ChildVerified => &mut self.child_removals_verified,
        }
    }

    fn add(&mut self, other: &Figures) {
        for (i, v) in other.values().into_iter().enumerate() {
            *self.slot(F::from_index(i)) += v;
        }
    }
}

impl F {
    fn from_index(i: usize) -> F {
        const ALL: [F; 19] = [
            F::Items,
            F::RepPatrol,
            F::RepPolice,
            F::RepPublic,
            F::RepPlatform,
            F::Opened,
            F::Confirmed,
            F::Rejected,
            F::Sent,
            F::Verified,
            F::WithinDeadline,
            F::Refused,
            F::Overdue,
            F::Recreated,
            F::ChildItems,
            F::ChildOpened,
            F::ChildConfirmed,
            F::ChildSent,
            F::ChildVerified,
        ];
        ALL[i.min(ALL.len() - 1)]
    }
}

/// The figures of one group (a month, category, platform, source or priority).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub key: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// How fast one platform removed content, over the removals verified in the window.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlatformRemovals {
    pub platform: String,
    pub removals_verified: i64,
    pub removed_within_deadline: i64,
    /// `removed_within_deadline / removals_verified`; absent when nothing was removed.
    pub within_deadline_share: Option<f64>,
    /// Nearest-rank median of (verified removal − notice sent), in milliseconds.
    pub median_ms: Option<i64>,
    /// Nearest-rank 90th percentile, in milliseconds.
    pub p90_ms: Option<i64>,
}

/// A statistics query: a window of WIB calendar days and the moment "overdue" is judged at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsQuery {
    /// First day (inclusive), as a day number (see [`parse_date`]).
    pub from_day: i64,
    /// Last day (inclusive).
    pub to_day: i64,
    /// Now: notices are overdue as of `min(end of window, now)`.
    pub now_ms: i64,
    pub group_by: Option<GroupBy>,
}

impl StatsQuery {
    pub fn from_ms(&self) -> i64 {
        wib_day_start_ms(self.from_day)
    }
    /// The first instant after the window.
    pub fn to_ms(&self) -> i64 {
        wib_day_start_ms(self.to_day + 1)
    }
    /// The moment overdue notices are counted at.
    pub fn as_of_ms(&self) -> i64 {
        self.to_ms().min(self.now_ms)
    }
}

/// The answer to a [`StatsQuery`].
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub from: String,
    pub to: String,
    pub timezone: &'static str,
    /// RFC 3339: the moment overdue notices were counted at.
    pub as_of: String,
    pub group_by: Option<GroupBy>,
    pub totals: Figures,
    pub groups: Vec<Group>,
    pub platforms: Vec<PlatformRemovals>,
}

// ---------------------------------------------------------------------------------------------
// The queries.

/// A measure: a SQL expression summed over the rows of a family, per source when grouping by
/// source (`Some(column)` gives that source's version of the expression).
type MeasureSql = fn(Option<&str>) -> String;

struct Family {
    /// Overdue notices: the window ends at the as-of moment.
    overdue: bool,
    /// The table alone, and joined to its case (for groupings by the case's platform, priority
    /// or sources). Joins cost a primary-key look-up per row, so they are made only when needed.
    from: &'static str,
    from_case: &'static str,
    /// The category the family is counted under: the case's for cases, the one recorded on
    /// the decision or notice (the case's category at that moment) for the others.
    cat: &'static str,
    /// The platform column without the join, when the table has one.
    platform: Option<&'static str>,
    time: &'static str,
    filter: &'static str,
    measures: &'static [(F, MeasureSql)],
}

/// Whether the case was reported by a source (`c.reports_patrol` …): the same meaning as the
/// `source` filter of `GET /cases`.
fn by_source(expr: &str, src: Option<&str>) -> String {
    match src {
        None => expr.to_string(),
        Some(col) => format!("CASE WHEN c.{col} > 0 THEN {expr} ELSE 0 END"),
    }
}

/// `{cat}` is replaced by the family's category column (see [`family_sql`]).
fn child(expr: &str) -> String {
    format!("CASE WHEN {{cat}} = '{CHILD_CATEGORY}' THEN {expr} ELSE 0 END")
}

fn reports_col(col: &'static str, src: Option<&str>) -> String {
    match src {
        None => format!("c.{col}"),
        Some(s) if s == col => format!("c.{col}"),
        Some(_) => "0".to_string(),
    }
}

const CASES: Family = Family {
    overdue: false,
    from: "cases c",
    from_case: "cases c",
    cat: "c.category",
    platform: Some("c.platform_id"),
    time: "c.created_at",
    filter: "",
    measures: &[
        (F::Opened, |s| by_source("1", s)),
        (F::Items, |s| {
            s.map_or("c.reports_total".into(), |c| format!("c.{c}"))
        }),
        (F::RepPatrol, |s| reports_col("reports_patrol", s)),
        (F::RepPolice, |s| reports_col("reports_police", s)),
        (F::RepPublic, |s| reports_col("reports_public", s)),
        (F::RepPlatform, |s| reports_col("reports_platform", s)),
        (F::Recreated, |s| {
            by_source(
                &format!("CASE WHEN {RECREATED_CASE_SQL} THEN 1 ELSE 0 END"),
                s,
            )
        }),
        (F::ChildOpened, |s| by_source(&child("1"), s)),
        (F::ChildItems, |s| {
            child(&s.map_or("c.reports_total".into(), |c| format!("c.{c}")))
        }),
    ],
};

const DECISIONS: Family = Family {
    overdue: false,
    from: "decisions d",
    from_case: "decisions d JOIN cases c ON c.id = d.case_id",
    cat: "d.category",
    platform: None,
    time: "d.created_at",
    filter: "AND d.decision IN ('confirm', 'reject')",
    measures: &[
        (F::Confirmed, |s| {
            by_source("CASE WHEN d.decision = 'confirm' THEN 1 ELSE 0 END", s)
        }),
        (F::Rejected, |s| {
            by_source("CASE WHEN d.decision = 'reject' THEN 1 ELSE 0 END", s)
        }),
        (F::ChildConfirmed, |s| {
            by_source(
                &child("CASE WHEN d.decision = 'confirm' THEN 1 ELSE 0 END"),
                s,
            )
        }),
    ],
};

const NOTICES_SENT: Family = Family {
    overdue: false,
    from: "notices n",
    from_case: "notices n JOIN cases c ON c.id = n.case_id",
    cat: "n.category",
    platform: Some("n.platform_id"),
    time: "n.created_at",
    filter: "",
    measures: &[
        (F::Sent, |s| by_source("1", s)),
        (F::ChildSent, |s| by_source(&child("1"), s)),
    ],
};

const REMOVALS: Family = Family {
    overdue: false,
    from: "notices n",
    from_case: "notices n JOIN cases c ON c.id = n.case_id",
    cat: "n.category",
    platform: Some("n.platform_id"),
    time: "n.closed_at",
    filter: "AND n.status = 'removed'",
    measures: &[
        (F::Verified, |s| by_source("1", s)),
        (F::WithinDeadline, |s| {
            by_source("CASE WHEN n.closed_at <= n.deadline THEN 1 ELSE 0 END", s)
        }),
        (F::ChildVerified, |s| by_source(&child("1"), s)),
    ],
};

const REFUSALS: Family = Family {
    overdue: false,
    from: "notices n",
    from_case: "notices n JOIN cases c ON c.id = n.case_id",
    cat: "n.category",
    platform: Some("n.platform_id"),
    time: "n.responded_at",
    filter: "AND n.response_action = 'refused'",
    measures: &[(F::Refused, |s| by_source("1", s))],
};

/// Overdue: deadline passed inside the window (before the as-of moment, `$2`) and the notice
/// still open (not verified removed, not withdrawn) at that moment.
const OVERDUE: Family = Family {
    overdue: true,
    from: "notices n",
    from_case: "notices n JOIN cases c ON c.id = n.case_id",
    cat: "n.category",
    platform: Some("n.platform_id"),
    time: "n.deadline",
    filter: "AND (n.closed_at IS NULL OR n.closed_at > $2)",
    measures: &[(F::Overdue, |s| by_source("1", s))],
};

const FAMILIES: [&Family; 6] = [
    &CASES,
    &DECISIONS,
    &NOTICES_SENT,
    &REMOVALS,
    &REFUSALS,
    &OVERDUE,
];

const SOURCE_COLUMNS: [(Source, &str); 4] = [
    (Source::Patrol, "reports_patrol"),
    (Source::Police, "reports_police"),
    (Source::Public, "reports_public"),
    (Source::Platform, "reports_platform"),
];

/// A group's key as the database returns it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum RawKey {
    Int(i64),
    Text(String),
}

fn key_sql(group_by: Option<GroupBy>, fam: &Family) -> String {
    match group_by {
        None | Some(GroupBy::Source) => "0".into(),
        Some(GroupBy::Month) => format!("({} + {WIB_OFFSET_MS}) / {DAY_MS}", fam.time),
        Some(GroupBy::Category) => format!("COALESCE({}, '')", fam.cat),
        Some(GroupBy::Platform) => fam.platform.unwrap_or("c.platform_id").into(),
        Some(GroupBy::Priority) => "c.priority".into(),
    }
}

/// Whether a grouping needs the family's rows joined to their cases.
fn needs_case(group_by: Option<GroupBy>, fam: &Family) -> bool {
    match group_by {
        None | Some(GroupBy::Month | GroupBy::Category) => false,
        Some(GroupBy::Platform) => fam.platform.is_none(),
        Some(GroupBy::Priority | GroupBy::Source) => true,
    }
}

/// The SQL of one family: `key, sum(measure)…` per group (`$1` window start, `$2` end).
fn family_sql(fam: &Family, group_by: Option<GroupBy>) -> String {
    let key = key_sql(group_by, fam);
    let mut cols = Vec::new();
    if group_by == Some(GroupBy::Source) {
        for (_, col) in SOURCE_COLUMNS {
            for (_, m) in fam.measures {
                cols.push(format!("CAST(SUM({}) AS BIGINT)", m(Some(col))));
            }
        }
    } else {
        for (_, m) in fam.measures {
            cols.push(format!("CAST(SUM({}) AS BIGINT)", m(None)));
        }
    }
    let from = if needs_case(group_by, fam) {
        fam.from_case
    } else {
        fam.from
    };
    format!(
        "SELECT {key} AS k, {} FROM {from} WHERE {t} >= $1 AND {t} < $2 {} GROUP BY 1",
        cols.join(", ").replace("{cat}", fam.cat),
        fam.filter,
        t = fam.time
    )
}

/// Raw figures per raw key (for source grouping, the key is the source's index).
fn run_families(
    conn: &mut dyn Conn,
    q: &StatsQuery,
    group_by: Option<GroupBy>,
) -> Result<BTreeMap<RawKey, Figures>> {
    let mut out: BTreeMap<RawKey, Figures> = BTreeMap::new();
    for fam in FAMILIES {
        let end = if fam.overdue {
            q.as_of_ms().max(q.from_ms())
        } else {
            q.to_ms()
        };
        let sql = family_sql(fam, group_by);
        for row in conn.query(&sql, params![q.from_ms(), end])? {
            let key = match &row.0[0] {
                Value::Text(s) => RawKey::Text(s.clone()),
                Value::Int(i) => RawKey::Int(*i),
                _ => RawKey::Int(0),
            };
            if group_by == Some(GroupBy::Source) {
                let n = fam.measures.len();
                for (si, _) in SOURCE_COLUMNS.iter().enumerate() {
                    let figs = out.entry(RawKey::Int(si as i64)).or_default();
                    for (mi, (field, _)) in fam.measures.iter().enumerate() {
                        *figs.slot(*field) += row.opt_i64(1 + si * n + mi)?.unwrap_or(0);
                    }
                }
            } else {
                let figs = out.entry(key).or_default();
                for (mi, (field, _)) in fam.measures.iter().enumerate() {
                    *figs.slot(*field) += row.opt_i64(1 + mi)?.unwrap_or(0);
                }
            }
        }
    }
    Ok(out)
}

fn platform_names(conn: &mut dyn Conn) -> Result<Vec<(i64, String)>> {
    conn.query("SELECT id, name FROM platforms ORDER BY name", params![])?
        .iter()
        .map(|r| Ok((r.i64(0)?, r.string(1)?)))
        .collect()
}

fn int_key(k: &RawKey) -> Option<i64> {
    match k {
        RawKey::Int(i) => Some(*i),
        RawKey::Text(_) => None,
    }
}

/// Turns raw groups into labelled groups: every month, category, source and priority appears
/// (zeros included); platforms appear when registered or when they have figures.
fn label_groups(
    group_by: GroupBy,
    q: &StatsQuery,
    raw: BTreeMap<RawKey, Figures>,
    platforms: &[(i64, String)],
) -> Vec<Group> {
    let mut labelled: Vec<(String, Figures)> = Vec::new();
    match group_by {
        GroupBy::Month => {
            let mut by_month: BTreeMap<String, Figures> = months_between(q.from_day, q.to_day)
                .into_iter()
                .map(|m| (m, Figures::default()))
                .collect();
            for (k, f) in &raw {
                if let Some(day) = int_key(k) {
                    by_month.entry(month_of_day(day)).or_default().add(f);
                }
            }
            labelled.extend(by_month);
        }
        GroupBy::Category => {
            let mut raw = raw;
            for c in Category::ALL {
                let f = raw
                    .remove(&RawKey::Text(c.as_str().to_string()))
                    .unwrap_or_default();
                labelled.push((c.as_str().to_string(), f));
            }
            let mut rest = Figures::default();
            for f in raw.values() {
                rest.add(f);
            }
            labelled.push(("uncategorised".to_string(), rest));
        }
        GroupBy::Platform => {
            let mut raw = raw;
            for (id, name) in platforms {
                let f = raw.remove(&RawKey::Int(*id)).unwrap_or_default();
                labelled.push((name.clone(), f));
            }
            for (k, f) in raw {
                labelled.push((format!("platform:{}", int_key(&k).unwrap_or(0)), f));
            }
        }
        GroupBy::Source => {
            for (si, (s, _)) in SOURCE_COLUMNS.iter().enumerate() {
                let f = raw
                    .get(&RawKey::Int(si as i64))
                    .cloned()
                    .unwrap_or_default();
                labelled.push((s.as_str().to_string(), f));
            }
        }
        GroupBy::Priority => {
            let mut per: BTreeMap<i64, Figures> =
                (0..=3).map(|r| (r, Figures::default())).collect();
            for (k, f) in &raw {
                let rank = crate::cases::priority_rank(priority_from_rank(int_key(k).unwrap_or(0)));
                per.entry(rank).or_default().add(f);
            }
            for (rank, f) in per {
                labelled.push((priority_from_rank(rank).as_str().to_string(), f));
            }
        }
    }
    labelled
        .into_iter()
        .map(|(key, figures)| Group { key, figures })
        .collect()
}

/// Per platform: removals verified in the window, the share within the deadline, and the
/// nearest-rank median and p90 of the time from notice to verified removal.
fn platform_removals(
    conn: &mut dyn Conn,
    q: &StatsQuery,
    platforms: &[(i64, String)],
) -> Result<Vec<PlatformRemovals>> {
    let counts = conn.query(
        "SELECT n.platform_id, COUNT(*), CAST(SUM(CASE WHEN n.closed_at <= n.deadline THEN 1 ELSE 0 END) AS BIGINT) \
         FROM notices n WHERE n.status = 'removed' AND n.closed_at >= $1 AND n.closed_at < $2 \
         GROUP BY n.platform_id",
        params![q.from_ms(), q.to_ms()],
    )?;
    // Nearest rank: the k-th smallest time to removal, k = ceil(n/2) for the median and
    // ceil(9n/10) for p90 (1-based), read off the index `notices_removal_time` (platform, time
    // to removal, closed_at): an ordered scan of the platform's removals that skips k - 1 of
    // those inside the window, not a sort of them all (migration 0010).
    let mut pct: HashMap<i64, (Option<i64>, Option<i64>)> = HashMap::new();
    for r in &counts {
        let (pid, n) = (r.i64(0)?, r.i64(1)?);
        let mut kth = |p: u32| -> Result<Option<i64>> {
            let rank = nearest_rank(p, n);
            if rank < 1 {
                return Ok(None);
            }
            let rows = conn.query(
                "SELECT n.closed_at - n.created_at FROM notices n \
                 WHERE n.status = 'removed' AND n.platform_id = $1 \
                 AND n.closed_at >= $2 AND n.closed_at < $3 \
                 ORDER BY n.closed_at - n.created_at LIMIT 1 OFFSET $4",
                params![pid, q.from_ms(), q.to_ms(), rank - 1],
            )?;
            rows.first().map(|r| r.i64(0)).transpose()
        };
        let median = kth(50)?;
        let p90 = kth(90)?;
        pct.insert(pid, (median, p90));
    }
    let names: HashMap<i64, &str> = platforms.iter().map(|(i, n)| (*i, n.as_str())).collect();
    let mut out = Vec::new();
    for r in &counts {
        let (pid, verified, within) = (r.i64(0)?, r.i64(1)?, r.opt_i64(2)?.unwrap_or(0));
        let (median_ms, p90_ms) = pct.get(&pid).copied().unwrap_or_default();
        #[allow(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
        let share = (verified > 0).then(|| within as f64 / verified as f64);
        out.push(PlatformRemovals {
            platform: names
                .get(&pid)
                .map_or_else(|| format!("platform:{pid}"), |n| (*n).to_string()),
            removals_verified: verified,
            removed_within_deadline: within,
            within_deadline_share: share,
            median_ms,
            p90_ms,
        });
    }
    out.sort_by(|a, b| a.platform.cmp(&b.platform));
    Ok(out)
}

/// Computes every figure for a window (see the module docs).
pub fn stats(conn: &mut dyn Conn, q: &StatsQuery) -> Result<Stats> {
    let platforms = platform_names(conn)?;
    let (totals, groups) = match q.group_by {
        None => {
            let raw = run_families(conn, q, None)?;
            let mut t = Figures::default();
            for f in raw.values() {
                t.add(f);
            }
            (t, Vec::new())
        }
        Some(g) => {
            let raw = run_families(conn, q, Some(g))?;
            let groups = label_groups(g, q, raw, &platforms);
            let totals = if g == GroupBy::Source {
                // Sources overlap (a case reported by two sources counts under both).
                let mut t = Figures::default();
                for f in run_families(conn, q, None)?.values() {
                    t.add(f);
                }
                t
            } else {
                let mut t = Figures::default();
                for grp in &groups {
                    t.add(&grp.figures);
                }
                t
            };
            (totals, groups)
        }
    };
    Ok(Stats {
        from: format_date(q.from_day),
        to: format_date(q.to_day),
        timezone: "Asia/Jakarta",
        as_of: ronda_core::clock::to_rfc3339(q.as_of_ms()),
        group_by: q.group_by,
        totals,
        groups,
        platforms: platform_removals(conn, q, &platforms)?,
    })
}

impl Store {
    /// Statistics for a window, on a read connection (blocking).
    pub fn stats(&self, q: &StatsQuery) -> Result<Stats> {
        self.read(|c| stats(c, q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_default_and_name_the_bad_field() {
        let now =
            wib_day_start_ms(ronda_core::wib::day_number(2020, 3, 10).unwrap_or(0)) + 3_600_000;
        let d = |s: &str| parse_date(s).unwrap_or(0);
        assert_eq!(
            resolve_window(None, None, now),
            Ok((d("2020-02-10"), d("2020-03-10")))
        );
        assert_eq!(
            resolve_window(Some("2020-01-01"), Some("2020-01-01"), now),
            Ok((d("2020-01-01"), d("2020-01-01")))
        );
        let field =
            |f: Option<&str>, t: Option<&str>| resolve_window(f, t, now).err().map(|e| e.field);
        assert_eq!(field(Some("2020-02-30"), None), Some("from"));
        assert_eq!(field(None, Some("yesterday")), Some("to"));
        assert_eq!(field(Some("2020-03-02"), Some("2020-03-01")), Some("to"));
        assert_eq!(field(Some("1970-01-01"), Some("9999-12-31")), Some("from"));
    }

    #[test]
    fn nearest_rank_positions() {
        assert_eq!(nearest_rank(50, 1), 1);
        assert_eq!(nearest_rank(50, 4), 2);
        assert_eq!(nearest_rank(50, 5), 3);
        assert_eq!(nearest_rank(90, 10), 9);
        assert_eq!(nearest_rank(90, 11), 10);
        assert_eq!(nearest_rank(90, 1), 1);
        // The SQL picks rows with these same formulas.
        for n in 1..500 {
            assert_eq!(nearest_rank(50, n), (n + 1) / 2);
            assert_eq!(nearest_rank(90, n), (9 * n + 9) / 10);
        }
    }

    #[test]
    fn group_by_parses_and_names_the_allowed_values() {
        assert_eq!("platform".parse::<GroupBy>(), Ok(GroupBy::Platform));
        let e = "week".parse::<GroupBy>().err().unwrap_or_default();
        assert!(e.contains("month category platform source priority"), "{e}");
    }

    #[test]
    fn names_and_values_line_up() {
        let mut f = Figures::default();
        for i in 0..Figures::NAMES.len() {
            *f.slot(F::from_index(i)) = i as i64 + 1;
        }
        let json = serde_json::to_value(&f).unwrap_or_default();
        for (i, name) in Figures::NAMES.iter().enumerate() {
            assert_eq!(json[name], i as i64 + 1, "{name}");
        }
    }
}
