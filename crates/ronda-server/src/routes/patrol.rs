//! The patrol's watch lists and frontier: `GET/POST /watchlists`, `GET /watchlists/{id}`,
//! `POST /watchlists/{id}/enable|disable`, `PUT /watchlists/{id}/robots`,
//! `GET /patrol/frontier`.
//!
//! Staff read; supervisors and admins add, enable and disable watch lists; whether robots.txt
//! is obeyed is an admin's decision alone (a regulator may be entitled to ignore it): a watch
//! list created with `ignore_robots` by anyone else is refused, and the switch is admin-only.
//! Every change is audited under the caller (`ronda_store::watchlists`).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use ronda_core::Role;
use ronda_core::clock::to_rfc3339;
use ronda_core::crawl::watchlist::{Scope, WatchListSpec, format_duration, parse_duration};
use ronda_store::frontier::{FrontierError, HostRow};
use ronda_store::watchlists::WatchListSummary;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::{ApiJson, ApiQuery};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/watchlists", get(list).post(create))
        .route("/watchlists/{id}", get(show))
        .route("/watchlists/{id}/enable", post(enable))
        .route("/watchlists/{id}/disable", post(disable))
        .route("/watchlists/{id}/robots", put(robots))
        .route("/patrol/frontier", get(frontier))
}

/// A watch list with its part of the frontier and what its crawl found.
#[derive(Debug, Serialize, ToSchema)]
pub struct WatchListBody {
    pub id: i64,
    pub name: String,
    pub seeds: Vec<String>,
    pub depth: u32,
    /// `host` (the seeds' hosts) or `listed` (`hosts`).
    pub scope: &'static str,
    pub hosts: Vec<String>,
    /// The terms the search templates (seeds with `{q}`) are crawled for.
    pub keywords: Vec<String>,
    /// Between two rounds: `30m`, `6h`, `1d`.
    pub every: String,
    pub ignore_robots: bool,
    pub enabled: bool,
    pub created_at: String,
    pub created_by: String,
    pub last_run_at: Option<String>,
    pub next_run_at: String,
    pub frontier: ListFrontier,
    /// Reports its crawl made.
    pub findings: i64,
    pub last_finding_at: Option<String>,
}

/// A watch list's URLs by state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListFrontier {
    pub queued: i64,
    /// Of the queued, due now.
    pub due: i64,
    pub in_flight: i64,
    pub given_up: i64,
    /// Fetched at least once.
    pub fetched: i64,
}

impl From<&WatchListSummary> for WatchListBody {
    fn from(s: &WatchListSummary) -> Self {
        let w = &s.row;
        WatchListBody {
            id: w.id,
            name: w.list.name.clone(),
            seeds: w.list.seeds.clone(),
            depth: w.list.depth,
            scope: w.list.scope.as_str(),
            hosts: w.list.hosts.clone(),
            keywords: w.list.keywords.clone(),
            every: format_duration(w.list.every_ms),
            ignore_robots: w.list.ignore_robots,
            enabled: w.enabled,
            created_at: to_rfc3339(w.created_at),
            created_by: w.created_by.clone(),
            last_run_at: w.last_run_at.map(to_rfc3339),
            next_run_at: to_rfc3339(w.next_run_at),
            frontier: ListFrontier {
                queued: s.queued,
                due: s.due,
                in_flight: s.in_flight,
                given_up: s.given_up,
                fetched: s.fetched,
            },
            findings: s.findings,
            last_finding_at: s.last_finding_at.map(to_rfc3339),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchListList {
    pub watchlists: Vec<WatchListBody>,
}

async fn summaries(st: &AppState) -> ApiResult<Vec<WatchListSummary>> {
    let store = st.store.clone();
    let now = st.store.now_ms();
    Ok(tokio::task::spawn_blocking(move || store.watchlist_summaries(now)).await??)
}

/// Every watch list, oldest first.
#[utoipa::path(get, path = "/watchlists", tag = "patrol",
    responses((status = 200, description = "The watch lists", body = WatchListList)))]
pub async fn list(State(st): State<Arc<AppState>>) -> ApiResult<axum::Json<WatchListList>> {
    let all = summaries(&st).await?;
    Ok(axum::Json(WatchListList {
        watchlists: all.iter().map(WatchListBody::from).collect(),
    }))
}

/// A new watch list.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    name: String,
    /// Start pages, sitemaps, feeds, profiles (`http`/`https`), or search-result page
    /// templates with `{q}` where the term goes.
    seeds: Vec<String>,
    /// The terms the templates are crawled for.
    keywords: Option<Vec<String>>,
    /// Links followed from a seed (default 2).
    depth: Option<u32>,
    /// `host` (default) or `listed`.
    scope: Option<String>,
    /// With `listed`: the hosts the crawl may visit.
    hosts: Option<Vec<String>>,
    /// Between two rounds (default `1d`): `30m`, `6h`, `1d`.
    every: Option<String>,
    /// Admins only (audited).
    ignore_robots: Option<bool>,
}

/// Add a watch list; its first round is due at once.
#[utoipa::path(post, path = "/watchlists", tag = "patrol", request_body = CreateBody,
    responses(
        (status = 201, description = "Created", body = WatchListBody),
        (status = 403, description = "`forbidden`: `ignore_robots` is an admin's decision", body = ErrorBody),
        (status = 409, description = "`conflict`: a watch list of this name exists", body = ErrorBody),
        (status = 422, description = "`invalid` (`name`, `seeds`, `depth`, `scope`, `hosts`, `every`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<Response> {
    let ignore_robots = body.ignore_robots.unwrap_or(false);
    if ignore_robots && caller.role() != Role::Admin {
        return Err(
            ApiError::forbidden("only an admin may have a watch list ignore robots.txt")
                .with_field("ignore_robots"),
        );
    }
    let scope = match body.scope.as_deref() {
        None => Scope::Host,
        Some(s) => {
            Scope::parse(s).ok_or_else(|| ApiError::invalid("scope", "`host` or `listed`"))?
        }
    };
    let every_ms = match body.every.as_deref() {
        None => 86_400_000,
        Some(e) => parse_duration(e)
            .ok_or_else(|| ApiError::invalid("every", "a duration such as `30m`, `6h`, `1d`"))?,
    };
    let spec = WatchListSpec {
        name: body.name,
        seeds: body.seeds,
        depth: body.depth.unwrap_or(2),
        scope,
        hosts: body.hosts.unwrap_or_default(),
        every_ms,
        ignore_robots,
        keywords: body.keywords.unwrap_or_default(),
    };
    // The validator names fields as the CLI's flags (`--seed`, `--host`); the body's are plural.
    let list = spec.validate().map_err(|e| {
        let field = match e.field {
            "seed" => "seeds",
            "host" => "hosts",
            "keyword" => "keywords",
            f => f,
        };
        ApiError::invalid(field, e.message)
    })?;
    let id = st.store.create_watchlist(caller.actor(), list).await?;
    let body = one(&st, id).await?;
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// A path's watch list id; anything else is no such watch list.
fn watchlist_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| ApiError::not_found("watch list"))
}

async fn one(st: &AppState, id: i64) -> ApiResult<WatchListBody> {
    let store = st.store.clone();
    let now = st.store.now_ms();
    tokio::task::spawn_blocking(move || store.watchlist_summary(id, now))
        .await??
        .as_ref()
        .map(WatchListBody::from)
        .ok_or_else(|| ApiError::not_found("watch list"))
}

/// One watch list.
#[utoipa::path(get, path = "/watchlists/{id}", tag = "patrol", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The watch list", body = WatchListBody),
        (status = 404, description = "`not_found`: no such watch list", body = ErrorBody),
    ))]
pub async fn show(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<WatchListBody>> {
    Ok(axum::Json(one(&st, watchlist_id(&id)?).await?))
}

async fn switch(
    st: &AppState,
    caller: &Caller,
    id: i64,
    enabled: bool,
) -> ApiResult<WatchListBody> {
    st.store
        .set_watchlist_enabled(caller.actor(), id, enabled)
        .await?;
    one(st, id).await
}

/// Crawl this watch list again from its next round.
#[utoipa::path(post, path = "/watchlists/{id}/enable", tag = "patrol", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The watch list", body = WatchListBody),
        (status = 404, description = "`not_found`: no such watch list", body = ErrorBody),
    ))]
pub async fn enable(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<WatchListBody>> {
    Ok(axum::Json(
        switch(&st, &caller, watchlist_id(&id)?, true).await?,
    ))
}

/// Stop crawling this watch list (its URLs stay, not handed out).
#[utoipa::path(post, path = "/watchlists/{id}/disable", tag = "patrol", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The watch list", body = WatchListBody),
        (status = 404, description = "`not_found`: no such watch list", body = ErrorBody),
    ))]
pub async fn disable(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<WatchListBody>> {
    Ok(axum::Json(
        switch(&st, &caller, watchlist_id(&id)?, false).await?,
    ))
}

/// Whether the crawl of a watch list obeys robots.txt.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RobotsBody {
    /// `true`: robots.txt is not read for this watch list.
    ignore: bool,
}

/// Obey or ignore robots.txt for a watch list (admins; audited).
#[utoipa::path(put, path = "/watchlists/{id}/robots", tag = "patrol", params(("id" = i64, Path)),
    request_body = RobotsBody,
    responses(
        (status = 200, description = "The watch list", body = WatchListBody),
        (status = 404, description = "`not_found`: no such watch list", body = ErrorBody),
        (status = 422, description = "`invalid`, `unknown_field`", body = ErrorBody),
    ))]
pub async fn robots(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RobotsBody>,
) -> ApiResult<axum::Json<WatchListBody>> {
    let id = watchlist_id(&id)?;
    st.store
        .set_watchlist_ignore_robots(caller.actor(), id, body.ignore)
        .await?;
    Ok(axum::Json(one(&st, id).await?))
}

/// One host of the frontier.
#[derive(Debug, Serialize, ToSchema)]
pub struct HostBody {
    /// `scheme://host:port`.
    pub host: String,
    /// Not asked again before this.
    pub next_at: String,
    pub in_flight: bool,
    /// Failures in a row (the host is paused when its error budget is spent).
    pub failures: i64,
    pub queued: i64,
}

impl From<&HostRow> for HostBody {
    fn from(h: &HostRow) -> Self {
        HostBody {
            host: h.host.clone(),
            next_at: to_rfc3339(h.next_at),
            in_flight: h.in_flight,
            failures: h.failures,
            queued: h.queued,
        }
    }
}

/// A URL whose last fetch failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorRow {
    pub watchlist_id: i64,
    pub url: String,
    /// `queued` (tried again later) or `failed` (given up).
    pub state: String,
    pub status: Option<i64>,
    /// `timeout`, `refused`, `robots`, `content_type`, `too_large`, `gave_up`, …
    pub error: String,
    pub at: Option<String>,
    pub attempts: i64,
}

impl From<&FrontierError> for ErrorRow {
    fn from(e: &FrontierError) -> Self {
        ErrorRow {
            watchlist_id: e.watchlist_id,
            url: e.url.clone(),
            state: e.state.clone(),
            status: e.status,
            error: e.error.clone(),
            at: e.at.map(to_rfc3339),
            attempts: e.attempts,
        }
    }
}

/// The frontier in the store (the JetStream frontier: `ronda patrol status --nats`).
#[derive(Debug, Serialize, ToSchema)]
pub struct FrontierBody {
    pub queued: i64,
    pub due: i64,
    pub in_flight: i64,
    pub given_up: i64,
    pub hosts_total: i64,
    pub hosts_failing: i64,
    /// Failing hosts first, then by URLs waiting.
    pub hosts: Vec<HostBody>,
    /// The latest failed fetches, newest first.
    pub errors: Vec<ErrorRow>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FrontierQuery {
    /// Only this watch list's errors.
    watchlist: Option<i64>,
    /// Hosts and errors shown (1 to 1000, default 50).
    limit: Option<usize>,
}

/// How the frontier stands: URLs by state, hosts with their delays and failures, errors.
#[utoipa::path(get, path = "/patrol/frontier", tag = "patrol", params(FrontierQuery),
    responses(
        (status = 200, description = "The frontier", body = FrontierBody),
        (status = 422, description = "`invalid`, `unknown_field`", body = ErrorBody),
    ))]
pub async fn frontier(
    State(st): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<FrontierQuery>,
) -> ApiResult<axum::Json<FrontierBody>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 1000"));
    }
    let store = st.store.clone();
    let now = st.store.now_ms();
    let watchlist = q.watchlist;
    let (counts, hosts, errors) = tokio::task::spawn_blocking(move || {
        Ok::<_, ronda_store::StoreError>((
            store.frontier_counts(now)?,
            store.frontier_hosts(limit)?,
            store.frontier_errors(watchlist, limit)?,
        ))
    })
    .await??;
    Ok(axum::Json(FrontierBody {
        queued: counts.queued,
        due: counts.due,
        in_flight: counts.claimed,
        given_up: counts.failed,
        hosts_total: counts.hosts,
        hosts_failing: counts.hosts_failing,
        hosts: hosts.iter().map(HostBody::from).collect(),
        errors: errors.iter().map(ErrorRow::from).collect(),
    }))
}
