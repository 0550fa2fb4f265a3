//! `/patrol`: the patrol's watch lists with their part of the frontier and what their crawls
//! found, the frontier's hosts (delays, failures) and its latest errors; adding a watch list,
//! enabling and disabling one (supervisors and admins), and letting one ignore robots.txt
//! (admins alone; a regulator may be entitled to). The same store calls as the API's
//! `/api/v1/watchlists`, each audited under the person signed in.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use ronda_core::Role;
use ronda_core::crawl::watchlist::{Scope, WatchListSpec, format_duration, parse_duration};
use ronda_store::StoreError;
use ronda_store::frontier::{FrontierCounts, FrontierError, HostRow};
use ronda_store::watchlists::WatchListSummary;
use serde::Deserialize;

use crate::console::LEADS;
use crate::console::admin::{Said, refusal, respond, said};
use crate::console::auth::{CsrfForm, Viewer};
use crate::console::i18n::Lang;
use crate::console::layout::{Ctx, PageError, wib};
use crate::state::AppState;

/// Hosts and errors shown.
const SHOWN: usize = 25;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/patrol", get(patrol_page))
        .route("/patrol/watchlists", post(create))
        .route("/patrol/watchlists/{id}/enable", post(enable))
        .route("/patrol/watchlists/{id}/disable", post(disable))
        .route("/patrol/watchlists/{id}/robots", post(robots))
}

struct View {
    lists: Vec<WatchListSummary>,
    counts: FrontierCounts,
    hosts: Vec<HostRow>,
    errors: Vec<FrontierError>,
}

async fn load(st: &Arc<AppState>, lang: Lang) -> Result<View, PageError> {
    let store = st.store.clone();
    let now = st.store.now_ms();
    tokio::task::spawn_blocking(move || {
        Ok::<_, StoreError>(View {
            lists: store.watchlist_summaries(now)?,
            counts: store.frontier_counts(now)?,
            hosts: store.frontier_hosts(SHOWN)?,
            errors: store.frontier_errors(None, SHOWN)?,
        })
    })
    .await
    .map_err(|e| PageError::join(lang, &e))?
    .map_err(|e| PageError::store(lang, e))
}

async fn view(
    st: &Arc<AppState>,
    ctx: &Ctx,
    viewer: &Viewer,
    outcome: Option<Said>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let v = load(st, lang).await?;
    let refused = matches!(outcome, Some(Said::Refused(_)));
    let ctx = Ctx {
        here: "/patrol".into(),
        ..ctx.clone()
    };
    let body = render(&ctx, viewer, &v, outcome.as_ref());
    Ok(respond(&ctx, &lang.t("patrol-title"), body, refused))
}

async fn patrol_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
) -> Result<Response, PageError> {
    view(&st, &ctx, &viewer, None).await
}

fn yes_no(lang: Lang, b: bool) -> String {
    lang.t(if b { "yes" } else { "no" })
}

fn render(ctx: &Ctx, viewer: &Viewer, v: &View, outcome: Option<&Said>) -> Markup {
    let lang = ctx.lang;
    let lead = LEADS.contains(&viewer.role());
    let admin = viewer.role() == Role::Admin;
    let c = &v.counts;
    html! {
        @if let Some(o) = outcome { (said(lang, o)) }
        p.hint { (lang.t("patrol-intro")) }
        section aria-labelledby="lists-h" {
            h2 id="lists-h" { (lang.t("patrol-lists")) }
            @if v.lists.is_empty() {
                p id="no-lists" { (lang.t("patrol-no-lists")) }
            } @else {
                table id="watchlists" {
                    caption.visually-hidden { (lang.t("patrol-lists")) }
                    thead { tr {
                        th scope="col" { (lang.t("patrol-name")) } th scope="col" { (lang.t("patrol-seeds")) }
                        th scope="col" { (lang.t("patrol-every")) } th scope="col" { (lang.t("patrol-enabled")) }
                        th scope="col" { (lang.t("patrol-robots")) } th scope="col" { (lang.t("patrol-urls")) }
                        th scope="col" { (lang.t("patrol-findings")) } th scope="col" { (lang.t("patrol-next-round")) }
                        @if lead { th scope="col" { (lang.t("patrol-actions")) } }
                    } }
                    tbody { @for s in &v.lists { @let w = &s.row; tr id={ "watchlist-" (w.id) } {
                        td { (w.list.name) }
                        td.target {
                            @for (i, seed) in w.list.seeds.iter().enumerate() { @if i > 0 { br; } (seed) }
                            @if !w.list.keywords.is_empty() { br; small { (lang.t("patrol-keywords")) ": " (w.list.keywords.join(", ")) } }
                        }
                        td { (format_duration(w.list.every_ms)) " · " (lang.tf("patrol-depth", &[("depth", w.list.depth.into())])) }
                        td { (yes_no(lang, w.enabled)) }
                        td { @if w.list.ignore_robots { strong { (lang.t("patrol-robots-ignored")) } } @else { (lang.t("patrol-robots-obeyed")) } }
                        td { (lang.tf("patrol-url-counts", &[("queued", s.queued.into()), ("due", s.due.into()),
                                ("in_flight", s.in_flight.into()), ("given_up", s.given_up.into()), ("fetched", s.fetched.into())])) }
                        td { (s.findings) @if let Some(t) = s.last_finding_at { br; small { (wib(t)) } } }
                        td { @if w.enabled { (wib(w.next_run_at)) } @else { "—" } }
                        @if lead { td.actions {
                            form method="post" action={ "/patrol/watchlists/" (w.id) "/" (if w.enabled { "disable" } else { "enable" }) } {
                                (ctx.csrf_field())
                                button type="submit" id={ "switch-" (w.id) } {
                                    (lang.t(if w.enabled { "patrol-disable" } else { "patrol-enable" }))
                                }
                            }
                            @if admin {
                                form method="post" action={ "/patrol/watchlists/" (w.id) "/robots" } {
                                    (ctx.csrf_field())
                                    input type="hidden" name="ignore" value=(if w.list.ignore_robots { "false" } else { "true" });
                                    button type="submit" id={ "robots-" (w.id) } {
                                        (lang.t(if w.list.ignore_robots { "patrol-obey-robots" } else { "patrol-ignore-robots" }))
                                    }
                                }
                            }
                        } }
                    } } }
                }
            }
        }
        section aria-labelledby="frontier-h" {
            h2 id="frontier-h" { (lang.t("patrol-frontier")) }
            p id="frontier-counts" { (lang.tf("patrol-frontier-counts", &[("queued", c.queued.into()), ("due", c.due.into()),
                ("in_flight", c.claimed.into()), ("given_up", c.failed.into()), ("hosts", c.hosts.into()),
                ("failing", c.hosts_failing.into())])) }
            @if !v.hosts.is_empty() {
                table id="hosts" {
                    caption { (lang.t("patrol-hosts")) }
                    thead { tr {
                        th scope="col" { (lang.t("patrol-host")) } th scope="col" { (lang.t("patrol-host-next")) }
                        th scope="col" { (lang.t("patrol-host-busy")) } th scope="col" { (lang.t("patrol-host-failures")) }
                        th scope="col" { (lang.t("patrol-host-queued")) }
                    } }
                    tbody { @for h in &v.hosts { tr {
                        td.target { (h.host) } td { (wib(h.next_at)) } td { (yes_no(lang, h.in_flight)) }
                        td { (h.failures) } td { (h.queued) }
                    } } }
                }
            }
            @if !v.errors.is_empty() {
                table id="errors" {
                    caption { (lang.t("patrol-errors")) }
                    thead { tr {
                        th scope="col" { "URL" } th scope="col" { (lang.t("patrol-error")) }
                        th scope="col" { (lang.t("patrol-error-state")) } th scope="col" { (lang.t("patrol-error-at")) }
                    } }
                    tbody { @for e in &v.errors { tr {
                        td.target { (e.url) }
                        td { code { (e.error) } @if let Some(s) = e.status { " (HTTP " (s) ")" } }
                        td { (lang.t(if e.state == "failed" { "patrol-given-up" } else { "patrol-retried" })) }
                        td { @if let Some(t) = e.at { (wib(t)) } }
                    } } }
                }
            }
        }
        @if lead {
            section.decision aria-labelledby="new-list-h" {
                h2 id="new-list-h" { (lang.t("patrol-new-list")) }
                form.stack method="post" action="/patrol/watchlists" {
                    (ctx.csrf_field())
                    label for="name" { (lang.t("patrol-name")) }
                    input id="name" name="name" type="text" required maxlength="100" autocomplete="off";
                    label for="seeds" { (lang.t("patrol-seeds")) }
                    textarea id="seeds" name="seeds" rows="3" required aria-describedby="seeds-hint" spellcheck="false" {}
                    p.hint id="seeds-hint" { (lang.t("patrol-seeds-hint")) }
                    label for="keywords" { (lang.t("patrol-keywords")) }
                    textarea id="keywords" name="keywords" rows="3" aria-describedby="keywords-hint" spellcheck="false" {}
                    p.hint id="keywords-hint" { (lang.t("patrol-keywords-hint")) }
                    label for="depth" { (lang.t("patrol-depth-label")) }
                    input id="depth" name="depth" type="number" min="0" max="10" value="2";
                    label for="every" { (lang.t("patrol-every")) }
                    input id="every" name="every" type="text" value="1d" aria-describedby="every-hint" autocomplete="off";
                    p.hint id="every-hint" { (lang.t("patrol-every-hint")) }
                    label for="scope" { (lang.t("patrol-scope")) }
                    select id="scope" name="scope" {
                        option value="host" { (lang.t("patrol-scope-host")) }
                        option value="listed" { (lang.t("patrol-scope-listed")) }
                    }
                    label for="hosts" { (lang.t("patrol-hosts-label")) }
                    input id="hosts" name="hosts" type="text" aria-describedby="hosts-hint" autocomplete="off" spellcheck="false";
                    p.hint id="hosts-hint" { (lang.t("patrol-hosts-hint")) }
                    div.buttons { button.primary type="submit" id="create-list" { (lang.t("patrol-create")) } }
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct ListForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    seeds: String,
    #[serde(default)]
    depth: String,
    #[serde(default)]
    every: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    hosts: String,
    #[serde(default)]
    keywords: String,
}

/// The form as a watch list, or what is wrong with it in the viewer's language.
fn spec_of(lang: Lang, f: &ListForm) -> Result<WatchListSpec, String> {
    let depth = match f.depth.trim() {
        "" => 2,
        d => d.parse::<u32>().map_err(|_| lang.t("patrol-bad-depth"))?,
    };
    let every_ms = match f.every.trim() {
        "" => 86_400_000,
        e => parse_duration(e).ok_or_else(|| lang.t("patrol-bad-every"))?,
    };
    let scope = match f.scope.trim() {
        "" => Scope::Host,
        s => Scope::parse(s).ok_or_else(|| lang.t("patrol-bad-scope"))?,
    };
    let split = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || c == ',')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    Ok(WatchListSpec {
        name: f.name.clone(),
        seeds: split(&f.seeds),
        depth,
        scope,
        hosts: split(&f.hosts),
        every_ms,
        ignore_robots: false,
        keywords: f
            .keywords
            .lines()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

async fn create(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<ListForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let spec = match spec_of(lang, &form) {
        Ok(s) => s,
        Err(why) => return view(&st, &ctx, &viewer, Some(Said::Refused(why))).await,
    };
    let list = match spec.validate() {
        Ok(l) => l,
        Err(e) => {
            let field = lang.t(match e.field {
                "name" => "patrol-name",
                "seed" => "patrol-seeds",
                "depth" => "patrol-depth-label",
                "every" => "patrol-every",
                "host" => "patrol-hosts-label",
                "keyword" => "patrol-keywords",
                _ => "patrol-scope",
            });
            let why = Said::Refused(format!("{field}: {}", e.message));
            return view(&st, &ctx, &viewer, Some(why)).await;
        }
    };
    let name = list.name.clone();
    let outcome = match st.store.create_watchlist(viewer.actor(), list).await {
        Ok(_) => Said::Done(lang.tf("patrol-created", &[("name", name.into())])),
        Err(e) => refusal(lang, e)?,
    };
    view(&st, &ctx, &viewer, Some(outcome)).await
}

/// A path's watch list id; anything else is a page not found.
fn list_id(lang: Lang, raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError::not_found(lang))
}

/// What a switch came to: said done with the message `key`, or the refusal.
fn switched(lang: Lang, done: Result<bool, StoreError>, key: &str) -> Result<Said, PageError> {
    match done {
        Ok(_) => Ok(Said::Done(lang.t(key))),
        Err(e) => refusal(lang, e),
    }
}

async fn switch(
    st: &Arc<AppState>,
    ctx: &Ctx,
    viewer: &Viewer,
    id: i64,
    enabled: bool,
) -> Result<Response, PageError> {
    let done = st
        .store
        .set_watchlist_enabled(viewer.actor(), id, enabled)
        .await;
    let key = if enabled {
        "patrol-enabled-now"
    } else {
        "patrol-disabled-now"
    };
    let outcome = switched(ctx.lang, done, key)?;
    view(st, ctx, viewer, Some(outcome)).await
}

async fn enable(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    switch(&st, &ctx, &viewer, list_id(ctx.lang, &id)?, true).await
}

async fn disable(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    switch(&st, &ctx, &viewer, list_id(ctx.lang, &id)?, false).await
}

#[derive(Deserialize)]
struct Empty {}

#[derive(Deserialize)]
struct RobotsForm {
    #[serde(default)]
    ignore: String,
}

async fn robots(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RobotsForm>,
) -> Result<Response, PageError> {
    let id = list_id(ctx.lang, &id)?;
    let ignore = form.ignore == "true";
    let done = st
        .store
        .set_watchlist_ignore_robots(viewer.actor(), id, ignore)
        .await;
    let key = if ignore {
        "patrol-robots-ignored-now"
    } else {
        "patrol-robots-obeyed-now"
    };
    let outcome = switched(ctx.lang, done, key)?;
    view(&st, &ctx, &viewer, Some(outcome)).await
}
