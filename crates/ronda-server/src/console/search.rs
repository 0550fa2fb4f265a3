//! `/search`: paste a URL, an account, a phone number or a PDQ hash and see what Ronda knows —
//! the matching cases (the search of `GET /api/v1/cases?q=`: a phone in any written form
//! matches its E.164 form, a handle its look-alikes), the accounts and actors of those cases,
//! and for a hash the nearest hashes of the enabled banks with their distance.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use maud::html;
use ronda_media::PdqHash;
use ronda_store::StoreError;
use ronda_store::banks::BankHit;
use ronda_store::cases::{CaseFilter, CaseView};
use serde::Deserialize;

use crate::console::layout::{Ctx, PageError, html_response, page, wib};
use crate::console::queue::text_veiled;
use crate::export::case_search;
use crate::state::AppState;

/// Cases a search lists.
const FOUND_SHOWN: usize = 100;

/// The radius of the hash look-up: wider than a bank's usual threshold, to see near misses.
const HASH_RADIUS: u32 = 64;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/search", get(search_page))
}

#[derive(Deserialize, Default)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

struct Found {
    cases: Vec<CaseView>,
    hits: Vec<BankHit>,
}

async fn search_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    q: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let q = q.map(|Query(q)| q.q).unwrap_or_default();
    let mut error = None;
    let search = match case_search(&q) {
        Ok(s) => s,
        Err(e) => {
            error = Some(e);
            None
        }
    };
    let hash = PdqHash::from_hex(q.trim()).ok();
    let found = if search.is_some() || hash.is_some() {
        let store = st.store.clone();
        let found = tokio::task::spawn_blocking(move || {
            let cases = match search {
                Some(s) => {
                    store
                        .list_cases(&CaseFilter {
                            search: Some(s),
                            limit: FOUND_SHOWN,
                            ..CaseFilter::default()
                        })?
                        .cases
                }
                None => Vec::new(),
            };
            let hits = match hash {
                Some(h) => store
                    .match_hashes(&[(h, None)], Some(HASH_RADIUS))?
                    .into_iter()
                    .flat_map(|m| {
                        m.matches
                            .into_iter()
                            .chain(m.allowlisted)
                            .chain(m.suppressed)
                    })
                    .collect(),
                None => Vec::new(),
            };
            Ok::<_, StoreError>(Found { cases, hits })
        })
        .await
        .map_err(|e| PageError::join(lang, &e))?
        .map_err(|e| PageError::store(lang, e))?;
        Some(found)
    } else {
        None
    };
    // The accounts and actors of the cases found.
    let mut accounts: BTreeMap<String, Option<i64>> = BTreeMap::new();
    if let Some(f) = &found {
        for c in f.cases.iter().filter(|c| c.target_kind == "account") {
            accounts.insert(format!("{}:{}", c.platform, c.target_value), c.actor_id);
        }
    }
    let body = html! {
        form.filters method="get" action="/search" role="search" {
            label for="q" { (lang.t("search-label")) }
            input id="q" name="q" type="search" value=(q) size="48" aria-describedby="q-hint";
            button type="submit" { (lang.t("search-submit")) }
        }
        p.hint id="q-hint" { (lang.t("search-hint")) }
        @if let Some(e) = error { p.alert role="alert" { (e) } }
        @if let Some(f) = &found {
            section aria-labelledby="found-cases-h" {
                h2 id="found-cases-h" { (lang.tf("search-cases", &[("n", f.cases.len().into())])) }
                @if !f.cases.is_empty() {
                    table.cases data-rows="" {
                        thead { tr {
                            th scope="col" { "#" } th scope="col" { (lang.t("case-status")) } th scope="col" { (lang.t("case-platform")) }
                            th scope="col" { (lang.t("case-target")) } th scope="col" { (lang.t("case-last-reported")) } th scope="col" { (lang.t("case-excerpt")) }
                        } }
                        tbody { @for c in &f.cases { tr data-href={ "/cases/" (c.id) } {
                            td { a href={ "/cases/" (c.id) } { (c.id) } }
                            td { (lang.t(&format!("status-{}", c.status.as_str()))) }
                            td { (c.platform) }
                            td.target { (c.target_value) }
                            td { (wib(c.last_reported_at)) }
                            td.excerpt { @if text_veiled(c) { em { (lang.t("text-veiled")) } } @else if let Some(e) = &c.excerpt { (e) } }
                        } } }
                    }
                }
            }
            @if !accounts.is_empty() {
                section aria-labelledby="found-accounts-h" {
                    h2 id="found-accounts-h" { (lang.t("actor-accounts")) }
                    ul { @for (acc, actor) in &accounts { li { span.target { (acc) } @if let Some(a) = actor { " · " a href={ "/actors/" (a) } { (lang.tf("actor-title", &[("id", (*a).into())])) } } } } }
                }
            }
            @if hash.is_some() {
                section aria-labelledby="found-hashes-h" {
                    h2 id="found-hashes-h" { (lang.tf("search-hashes", &[("n", f.hits.len().into())])) }
                    @if !f.hits.is_empty() {
                        table { thead { tr { th scope="col" { (lang.t("match-bank")) } th scope="col" { (lang.t("case-category")) } th scope="col" { (lang.t("match-distance")) } th scope="col" { "PDQ" } } }
                            tbody { @for h in &f.hits { tr { td { (h.bank) } td { (h.category.as_str()) } td { (h.distance) } td { code.hash { (h.hash.to_hex()) } } } } } }
                    }
                }
            }
        }
    };
    Ok(html_response(page(&ctx, &lang.t("search-title"), body)))
}
