//! `/banks`: the hash banks with their settings and counts; importing a hash list from a file
//! (supervisors and admins; the same `Store::import_hashes_blocking` as
//! `POST /api/v1/banks/{name}/hashes`, so stored media are matched against the new hashes at
//! once); and a match-debug form: paste a PDQ hash or upload an image (hashed in memory within
//! the decode budget, never stored) and see the nearest bank hashes with their distance and
//! each bank's threshold, as Meta's HMA match view does.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use ronda_media::PdqHash;
use ronda_media::bank::{BankCategory, HashList};
use ronda_store::StoreError;
use ronda_store::banks::{Bank, BankHit, ImportOutcome, NewBank};

use crate::console::LEADS;
use crate::console::auth::{CsrfMultipart, MAX_FORM_BYTES, Viewer};
use crate::console::i18n::Lang;
use crate::console::layout::{Ctx, PageError, html_response, page, wib};
use crate::state::AppState;

/// The radius of the match-debug look-up: wide, to show near misses beside the matches.
const DEBUG_RADIUS: u32 = 64;

pub fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let limit = DefaultBodyLimit::max(state.config.max_upload_bytes.saturating_add(MAX_FORM_BYTES));
    Router::new()
        .route("/banks", get(banks_page))
        .route("/banks/import", post(import).layer(limit))
        .route("/banks/match", post(match_debug).layer(limit))
}

async fn banks(st: &Arc<AppState>, lang: Lang) -> Result<Vec<Bank>, PageError> {
    let store = st.store.clone();
    tokio::task::spawn_blocking(move || store.list_banks())
        .await
        .map_err(|e| PageError::join(lang, &e))?
        .map_err(|e| PageError::store(lang, e))
}

/// What a form post came to, shown above the forms.
enum Outcome {
    Imported(ImportOutcome),
    Matched {
        pdq: String,
        quality: Option<u8>,
        hits: Vec<(BankHit, &'static str)>,
    },
    Refused(String),
}

async fn banks_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let list = banks(&st, ctx.lang).await?;
    Ok(html_response(page(
        &ctx,
        &ctx.lang.t("banks-title"),
        render(&ctx, &viewer, &list, None),
    )))
}

async fn answer(
    st: &Arc<AppState>,
    ctx: &Ctx,
    viewer: &Viewer,
    outcome: Outcome,
) -> Result<Response, PageError> {
    let list = banks(st, ctx.lang).await?;
    let ctx = Ctx {
        here: "/banks".into(),
        ..ctx.clone()
    };
    let refused = matches!(outcome, Outcome::Refused(_));
    let mut resp = html_response(page(
        &ctx,
        &ctx.lang.t("banks-title"),
        render(&ctx, viewer, &list, Some(outcome)),
    ));
    if refused {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

const CATEGORIES: &[&str] = &[
    "child_exploitation",
    "ncii",
    "solicitation_photos",
    "allowlist",
];

fn render(ctx: &Ctx, viewer: &Viewer, list: &[Bank], outcome: Option<Outcome>) -> Markup {
    let lang = ctx.lang;
    let lead = LEADS.contains(&viewer.role());
    html! {
        @match &outcome {
            Some(Outcome::Refused(why)) => p.alert role="alert" id="banks-error" { (why) },
            Some(Outcome::Imported(o)) => p.notice role="status" id="import-result" {
                (lang.tf("banks-imported", &[
                    ("bank", o.bank.name.clone().into()), ("added", o.added.into()),
                    ("duplicates", o.duplicates.into()), ("matches", o.retro_matches.into()),
                    ("cases", (o.cases_updated.len() + o.cases_opened.len()).into()),
                ]))
            },
            _ => {},
        }
        @if list.is_empty() {
            p { (lang.t("banks-none")) }
        } @else {
            table id="banks" {
                caption.visually-hidden { (lang.t("banks-title")) }
                thead { tr {
                    th scope="col" { (lang.t("match-bank")) } th scope="col" { (lang.t("case-category")) }
                    th scope="col" { (lang.t("banks-enabled")) } th scope="col" { (lang.t("banks-threshold")) }
                    th scope="col" { (lang.t("banks-min-quality")) } th scope="col" { (lang.t("banks-hashes")) }
                    th scope="col" { (lang.t("banks-updated")) }
                } }
                tbody { @for b in list { tr {
                    td { (b.name) } td { (b.category.as_str()) }
                    td { @if b.enabled { (lang.t("yes")) } @else { (lang.t("no")) } }
                    td { (b.threshold) } td { (b.min_quality) } td { (b.hash_count) } td { (wib(b.updated_at)) }
                } } }
            }
        }
        section.decision aria-labelledby="match-h" {
            h2 id="match-h" { (lang.t("banks-match-title")) }
            form.stack method="post" action="/banks/match" enctype="multipart/form-data" {
                (ctx.csrf_field())
                label for="pdq" { (lang.t("banks-match-pdq")) }
                input id="pdq" name="pdq" type="text" size="66" maxlength="64" spellcheck="false" autocomplete="off";
                label for="image" { (lang.t("banks-match-image")) }
                input id="image" name="image" type="file" accept="image/*";
                p.hint { (lang.t("banks-match-hint")) }
                div.buttons { button.primary type="submit" id="match" { (lang.t("banks-match-submit")) } }
            }
            @if let Some(Outcome::Matched { pdq, quality, hits }) = &outcome {
                div id="match-result" role="status" {
                    p { (lang.t("banks-match-query")) ": " code.hash { (pdq) }
                        @if let Some(q) = quality { " · " (lang.tf("banks-quality", &[("q", (*q).into())])) } }
                    @if hits.is_empty() {
                        p { (lang.tf("banks-match-none", &[("radius", DEBUG_RADIUS.into())])) }
                    } @else {
                        table {
                            thead { tr {
                                th scope="col" { (lang.t("match-bank")) } th scope="col" { (lang.t("case-category")) }
                                th scope="col" { (lang.t("match-distance")) } th scope="col" { (lang.t("banks-verdict")) }
                                th scope="col" { "PDQ" } th scope="col" { (lang.t("banks-label")) }
                            } }
                            tbody { @for (h, verdict) in hits { tr {
                                td { (h.bank) } td { (h.category.as_str()) } td { (h.distance) }
                                td { (lang.t(verdict)) } td { code.hash { (h.hash.to_hex()) } } td { (h.label.clone().unwrap_or_default()) }
                            } } }
                        }
                    }
                }
            }
        }
        @if lead {
            section.decision aria-labelledby="import-h" {
                h2 id="import-h" { (lang.t("banks-import-title")) }
                form.stack method="post" action="/banks/import" enctype="multipart/form-data" {
                    (ctx.csrf_field())
                    label for="bank" { (lang.t("banks-import-bank")) }
                    input id="bank" name="bank" type="text" list="bank-names" required autocomplete="off" aria-describedby="bank-hint";
                    datalist id="bank-names" { @for b in list { option value=(b.name) {} } }
                    p.hint id="bank-hint" { (lang.t("banks-import-bank-hint")) }
                    label for="category" { (lang.t("banks-import-category")) }
                    select id="category" name="category" {
                        @for c in CATEGORIES { option value=(c) { (c) } }
                    }
                    label for="file" { (lang.t("banks-import-file")) }
                    input id="file" name="file" type="file" accept=".csv,.txt,text/csv,text/plain" required aria-describedby="file-hint";
                    p.hint id="file-hint" { (lang.t("banks-import-file-hint")) }
                    div.buttons { button.primary type="submit" id="import" { (lang.t("banks-import-submit")) } }
                }
            }
        }
    }
}

async fn import(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    form: CsrfMultipart,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    if !LEADS.contains(&viewer.role()) {
        return Err(PageError::forbidden(lang, "error-forbidden"));
    }
    let name = form.text("bank").to_ascii_lowercase();
    let category: BankCategory = match form.text("category").parse() {
        Ok(c) => c,
        Err(e) => {
            return answer(
                &st,
                &ctx,
                &viewer,
                Outcome::Refused(format!("{}: {e}", lang.t("banks-import-category"))),
            )
            .await;
        }
    };
    let Some(file) = form.0.get("file").filter(|f| !f.is_empty()) else {
        return answer(
            &st,
            &ctx,
            &viewer,
            Outcome::Refused(lang.t("banks-import-no-file")),
        )
        .await;
    };
    let Ok(text) = std::str::from_utf8(file) else {
        return answer(
            &st,
            &ctx,
            &viewer,
            Outcome::Refused(lang.t("banks-import-not-text")),
        )
        .await;
    };
    if let Some((n, _)) = text
        .lines()
        .enumerate()
        .find(|(n, l)| ronda_core::report::check_chars(l, &format!("line {}", n + 1)).is_err())
    {
        return answer(
            &st,
            &ctx,
            &viewer,
            Outcome::Refused(lang.tf("banks-import-bad-line", &[("line", (n + 1).into())])),
        )
        .await;
    }
    let list = match HashList::parse(text) {
        Ok(l) => l,
        Err(e) => {
            return answer(
                &st,
                &ctx,
                &viewer,
                Outcome::Refused(format!("{} {e}", lang.t("banks-import-refused"))),
            )
            .await;
        }
    };
    let store = st.store.clone();
    let actor = viewer.actor();
    let create = NewBank {
        name: name.clone(),
        category,
        enabled: None,
        threshold: None,
        min_quality: None,
    };
    let done = tokio::task::spawn_blocking(move || {
        store.import_hashes_blocking(&actor, &name, Some(create), list)
    })
    .await
    .map_err(|e| PageError::join(lang, &e))?;
    match done {
        Ok(o) => answer(&st, &ctx, &viewer, Outcome::Imported(o)).await,
        Err(StoreError::Invalid(f)) => {
            answer(&st, &ctx, &viewer, Outcome::Refused(f.message)).await
        }
        Err(StoreError::Conflict(m)) => answer(&st, &ctx, &viewer, Outcome::Refused(m)).await,
        Err(e) => Err(PageError::store(lang, e)),
    }
}

async fn match_debug(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    form: CsrfMultipart,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let typed = form.text("pdq");
    let image = form.0.get("image").filter(|f| !f.is_empty()).cloned();
    let (hash, quality) = match (typed.is_empty(), image) {
        (false, _) => match PdqHash::from_hex(&typed) {
            Ok(h) => (h, None),
            Err(e) => {
                return answer(
                    &st,
                    &ctx,
                    &viewer,
                    Outcome::Refused(format!("{} {e}", lang.t("banks-match-bad-pdq"))),
                )
                .await;
            }
        },
        (true, Some(bytes)) => {
            if let Err(wait) = st.media_limiter.check(-viewer.user.id) {
                return answer(
                    &st,
                    &ctx,
                    &viewer,
                    Outcome::Refused(lang.tf("banks-match-throttled", &[("seconds", wait.into())])),
                )
                .await;
            }
            match crate::routes::media::hash_image(&st, bytes).await {
                Ok((pdq, _, _)) => (pdq.hash, Some(pdq.quality)),
                Err(e) => {
                    return answer(
                        &st,
                        &ctx,
                        &viewer,
                        Outcome::Refused(format!(
                            "{} {}",
                            lang.t("banks-match-bad-image"),
                            e.message
                        )),
                    )
                    .await;
                }
            }
        }
        (true, None) => {
            return answer(
                &st,
                &ctx,
                &viewer,
                Outcome::Refused(lang.t("banks-match-nothing")),
            )
            .await;
        }
    };
    let store = st.store.clone();
    let found = tokio::task::spawn_blocking(move || {
        store.match_hashes(&[(hash, quality)], Some(DEBUG_RADIUS))
    })
    .await
    .map_err(|e| PageError::join(lang, &e))?
    .map_err(|e| PageError::store(lang, e))?;
    let list = banks(&st, lang).await?;
    let threshold = |bank: &str| {
        list.iter()
            .find(|b| b.name == bank)
            .map_or(0, |b| b.threshold)
    };
    let mut hits: Vec<(BankHit, &'static str)> = Vec::new();
    for m in found {
        for h in m.matches {
            let v = if h.distance <= threshold(&h.bank) {
                "banks-verdict-match"
            } else {
                "banks-verdict-near"
            };
            hits.push((h, v));
        }
        hits.extend(
            m.allowlisted
                .into_iter()
                .map(|h| (h, "banks-verdict-allowlisted")),
        );
        hits.extend(
            m.suppressed
                .into_iter()
                .map(|h| (h, "banks-verdict-suppressed")),
        );
    }
    hits.sort_by_key(|(h, _)| h.distance);
    answer(
        &st,
        &ctx,
        &viewer,
        Outcome::Matched {
            pdq: hash.to_hex(),
            quality,
            hits,
        },
    )
    .await
}
