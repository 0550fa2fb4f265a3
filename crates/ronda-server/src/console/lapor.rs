//! The public's pages: `/lapor`, the report form anyone may fill without an account, and
//! `/lapor/status`, where a tracking code shows the report's stages. Indonesian first, both
//! work on a phone screen and without JavaScript.
//!
//! A report from the form goes through the one intake service as the API's public reports do
//! (`Submitter::PublicForm`): validation, detection, the write path. A screenshot is hashed in
//! memory within the decode budget (PDQ and SHA-256, as `POST /media/hash`) and dropped: only
//! the hashes reach the store. The reporter's name and contact are sealed at rest by intake.
//!
//! Abuse, refused in this order, each with a message in the reporter's language:
//! 1. the per-address bucket of the public API (`public_per_minute`), taken with the request's
//!    head (the refusal waits for the body, read or drained within a bound, so the browser
//!    gets the page);
//! 2. the body limit (`console.report_form_upload_kib` plus the form's text): a larger
//!    screenshot gets the form back with the message, a body past four times that is drained
//!    and refused with a page, beyond that the connection is closed;
//! 3. a honeypot field people never see (hidden from sight and from assistive technology);
//! 4. the form token ([`ronda_core::form_token`]): issued with the page, signed with a key
//!    derived from the instance key, refused when missing, forged, older than
//!    `report_form_valid_minutes` or back sooner than `report_form_min_seconds`; its nonce is
//!    the report's idempotency key, so a form sent twice files one report and shows the same
//!    code. The status form carries a token too (no minimum age).
//!
//! The status page says nothing but the stages and their dates ([`ronda_core::public_track`]):
//! no names, no other reports, no platform answers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use rand::RngCore;
use ronda_core::form_token::{self, FormWindow, NONCE_BYTES, TokenError};
use ronda_core::model::{Category, Source};
use ronda_core::public_track::{PublicStage, TrackStep};
use ronda_core::report::{MediaInput, ReportInput, ReporterInput, TargetInput};
use ronda_service::intake::{Intake, Refusal, Submitter};
use ronda_store::StoreError;
use ronda_store::codes::normalize_tracking_code;
use ronda_store::platforms::Platform;

use crate::console::auth::{MAX_FORM_BYTES, MultipartFailure, multipart_fields};
use crate::console::i18n::Lang;
use crate::console::layout::{Ctx, PageError, html_response, page, wib};
use crate::state::AppState;

/// The derived key's purpose, and the two forms' token purposes.
const TOKEN_KEY: &str = "public form tokens v1";
const REPORT_FORM: &str = "lapor";
const STATUS_FORM: &str = "lapor-status";
/// The honeypot's field name: a name autofill and bots like to fill.
const HONEYPOT: &str = "website";
/// The platform choice "another platform": reported as a web address.
const OTHER: &str = "other";

/// The categories the public chooses from, in the order shown.
const CATEGORIES: &[Category] = &[
    Category::Prostitution,
    Category::Pornography,
    Category::ChildExploitation,
    Category::Gambling,
    Category::Other,
];

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        // The report form bounds its own body (`PublicMultipart`).
        .route(
            "/lapor",
            get(form_page)
                .post(submit)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/lapor/status",
            get(status_page)
                .post(status_lookup)
                .layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
}

fn key(st: &AppState) -> [u8; 32] {
    st.store.derived_key(TOKEN_KEY)
}

fn new_token(st: &AppState, purpose: &str) -> String {
    let mut nonce = [0_u8; NONCE_BYTES];
    rand::rng().fill_bytes(&mut nonce);
    form_token::issue(&key(st), purpose, st.store.now_ms(), &nonce)
}

/// The per-address bucket of public reports (the API's): taken with the request's head, and
/// answered after its body was read (or drained, within a bound), so that the browser, still
/// sending, gets the page rather than a broken connection.
pub struct PublicLimit(Result<(), u64>);

impl FromRequestParts<Arc<AppState>> for PublicLimit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        st: &Arc<AppState>,
    ) -> Result<Self, std::convert::Infallible> {
        let ip = crate::rate_limit::client_ip(&st.config, &parts.extensions, &parts.headers);
        let checked = st.public_limiter.check(ip);
        if checked.is_err() {
            st.metrics.rate_limited();
        }
        Ok(PublicLimit(checked))
    }
}

impl PublicLimit {
    /// The page of a refused request, in the reporter's language, with `Retry-After`.
    fn refusal(&self, ctx: &Ctx) -> Option<Response> {
        let wait = self.0.err()?;
        let lang = ctx.lang;
        let back = ctx.here.split('?').next().unwrap_or("/lapor").to_string();
        let body = html! {
            p.alert role="alert" { (lang.tf("lapor-throttled", &[("seconds", wait.into())])) }
            p { a href=(back) { (lang.t("lapor-back")) } }
        };
        let mut resp = (
            StatusCode::TOO_MANY_REQUESTS,
            html_response(page(ctx, &lang.t("lapor-throttled-title"), body)),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        Some(resp)
    }
}

/// A body read whole up to `keep` bytes; past that, read on and dropped up to `drain` bytes (so
/// the sender finishes and reads the answer), then `Err(true)`; `Err(false)` when the body
/// broke off or went past `drain` (the connection is then closed).
async fn read_bounded(body: axum::body::Body, keep: usize, drain: usize) -> Result<Bytes, bool> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut kept = Vec::new();
    let mut seen = 0_usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(false);
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > drain {
            return Err(false);
        }
        if seen <= keep {
            kept.extend_from_slice(&data);
        }
    }
    if seen > keep {
        return Err(true);
    }
    Ok(Bytes::from(kept))
}

/// The fields of a public multipart form, its body bounded by [`read_bounded`]; an
/// unreadable or oversized body is a page in the reporter's language.
pub struct PublicMultipart(HashMap<String, Bytes>);

impl PublicMultipart {
    fn text(&self, name: &str) -> String {
        self.0
            .get(name)
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }
}

fn too_large(st: &AppState, lang: Lang) -> PageError {
    PageError::Failure {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        lang,
        key: "lapor-too-large",
        detail: Some(lang.tf(
            "lapor-too-large-detail",
            &[(
                "max",
                size_text(st.config.console.report_form_upload_kib).into(),
            )],
        )),
    }
}

impl FromRequest<Arc<AppState>> for PublicMultipart {
    type Rejection = PageError;

    async fn from_request(req: Request, st: &Arc<AppState>) -> Result<Self, PageError> {
        let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
        let keep = upload_limit(st).saturating_add(MAX_FORM_BYTES);
        let (parts, body) = req.into_parts();
        let bytes = read_bounded(body, keep, keep.saturating_mul(4))
            .await
            .map_err(|_| too_large(st, lang))?;
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match multipart_fields(req, st).await {
            Ok(f) => Ok(PublicMultipart(f)),
            Err(MultipartFailure::Unreadable) => Err(PageError::bad_request(lang, "error-form")),
            Err(MultipartFailure::TooLarge) => Err(too_large(st, lang)),
        }
    }
}

fn upload_limit(st: &AppState) -> usize {
    (st.config.console.report_form_upload_kib as usize).saturating_mul(1024)
}

/// `5 MB`, `256 KB`: an upload limit as a reporter reads it.
fn size_text(kib: u32) -> String {
    if kib >= 1024 && kib.is_multiple_of(1024) {
        format!("{} MB", kib / 1024)
    } else {
        format!("{kib} KB")
    }
}

/// What the reporter typed, kept when the form comes back with a message.
#[derive(Debug, Clone, Default)]
struct Typed {
    platform: String,
    target: String,
    category: String,
    seen: String,
    name: String,
    contact: String,
    consent: bool,
}

impl Typed {
    fn from_fields(f: &PublicMultipart) -> Typed {
        Typed {
            platform: f.text("platform"),
            target: f.text("target"),
            category: f.text("category"),
            seen: f.text("seen"),
            name: f.text("name"),
            contact: f.text("contact"),
            consent: !f.text("consent").is_empty(),
        }
    }
}

/// A message about one field (its id in the form) or about the whole form.
#[derive(Debug, Clone)]
struct Problem {
    field: Option<&'static str>,
    message: String,
}

fn category_key(c: Category) -> &'static str {
    match c {
        Category::Prostitution => "lapor-cat-prostitution",
        Category::Pornography => "lapor-cat-pornography",
        Category::ChildExploitation => "lapor-cat-child",
        Category::Gambling => "lapor-cat-gambling",
        Category::Other => "lapor-cat-other",
    }
}

async fn platforms(st: &Arc<AppState>, lang: Lang) -> Result<Vec<Platform>, PageError> {
    let store = st.store.clone();
    tokio::task::spawn_blocking(move || store.list_platforms())
        .await
        .map_err(|e| PageError::join(lang, &e))?
        .map_err(|e| PageError::store(lang, e))
}

fn form(
    ctx: &Ctx,
    st: &AppState,
    token: &str,
    platforms: &[Platform],
    typed: &Typed,
    problems: &[Problem],
) -> Markup {
    let lang = ctx.lang;
    let problem = |id: &str| problems.iter().find(|p| p.field == Some(id));
    let invalid = |id: &str| problem(id).map(|_| "true");
    let described = |id: &str, hint: Option<&str>| {
        let mut ids: Vec<String> = hint.map(str::to_string).into_iter().collect();
        if problem(id).is_some() {
            ids.push(format!("{id}-error"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let field_error = |id: &str| {
        html! {
            @if let Some(p) = problem(id) {
                p.field-error id={ (id) "-error" } { (p.message) }
            }
        }
    };
    let web = platforms
        .iter()
        .find(|p| p.name == "web")
        .map(|p| p.name.clone());
    html! {
        p.lead { (lang.t("lapor-lead")) }
        @if !problems.is_empty() {
            div.alert role="alert" aria-labelledby="problems-h" tabindex="-1" id="problems" {
                h2 id="problems-h" { (lang.t("lapor-problems")) }
                ul {
                    @for p in problems {
                        li {
                            @if let Some(f) = p.field {
                                a href={ "#" (f) } { (p.message) }
                            } @else {
                                (p.message)
                            }
                        }
                    }
                }
            }
        }
        form.stack.public method="post" action="/lapor" enctype="multipart/form-data" novalidate {
            input type="hidden" name="form_token" value=(token);
            label for="platform" { (lang.t("lapor-platform")) }
            select id="platform" name="platform" required aria-invalid=[invalid("platform")]
                aria-describedby=[described("platform", None)] {
                option value="" selected[typed.platform.is_empty()] { (lang.t("lapor-choose")) }
                @for p in platforms.iter().filter(|p| Some(&p.name) != web.as_ref()) {
                    option value=(p.name) selected[typed.platform == p.name] { (p.display_name) }
                }
                @if web.is_some() {
                    option value=(OTHER) selected[typed.platform == OTHER] { (lang.t("lapor-platform-other")) }
                }
            }
            (field_error("platform"))
            label for="target" { (lang.t("lapor-target")) }
            input id="target" name="target" type="text" required maxlength="2048"
                autocapitalize="none" spellcheck="false" value=(typed.target)
                aria-invalid=[invalid("target")] aria-describedby=[described("target", Some("target-hint"))];
            p.hint id="target-hint" { (lang.t("lapor-target-hint")) }
            (field_error("target"))
            fieldset aria-invalid=[invalid("category")] aria-describedby=[described("category", None)] {
                legend id="category" tabindex="-1" { (lang.t("lapor-category")) }
                @for c in CATEGORIES {
                    div.choice {
                        input type="radio" name="category" id={ "category-" (c.as_str()) }
                            value=(c.as_str()) checked[typed.category == c.as_str()];
                        label for={ "category-" (c.as_str()) } { (lang.t(category_key(*c))) }
                    }
                }
            }
            (field_error("category"))
            label for="seen" { (lang.t("lapor-seen")) }
            textarea id="seen" name="seen" rows="5" required maxlength="4000"
                aria-invalid=[invalid("seen")] aria-describedby=[described("seen", Some("seen-hint"))] { (typed.seen) }
            p.hint id="seen-hint" { (lang.t("lapor-seen-hint")) }
            (field_error("seen"))
            label for="screenshot" { (lang.t("lapor-screenshot")) }
            input id="screenshot" name="screenshot" type="file" accept="image/png,image/jpeg,image/webp,image/gif"
                aria-invalid=[invalid("screenshot")] aria-describedby=[described("screenshot", Some("screenshot-hint"))];
            p.hint id="screenshot-hint" {
                (lang.tf("lapor-screenshot-hint", &[("max", size_text(st.config.console.report_form_upload_kib).into())]))
            }
            (field_error("screenshot"))
            fieldset {
                legend { (lang.t("lapor-about-you")) }
                p.hint id="about-hint" {
                    (lang.t("lapor-about-you-hint"))
                    @if st.mail.is_some() { " " (lang.t("lapor-about-you-mail")) }
                }
                label for="name" { (lang.t("lapor-name")) }
                input id="name" name="name" type="text" maxlength="200" autocomplete="name"
                    value=(typed.name) aria-describedby="about-hint";
                label for="contact" { (lang.t("lapor-contact")) }
                input id="contact" name="contact" type="text" maxlength="200" autocomplete="email"
                    value=(typed.contact) aria-invalid=[invalid("contact")]
                    aria-describedby=[described("contact", Some("about-hint"))];
                (field_error("contact"))
            }
            div.hp aria-hidden="true" {
                label for=(HONEYPOT) { (lang.t("lapor-honeypot")) }
                input id=(HONEYPOT) name=(HONEYPOT) type="text" tabindex="-1" autocomplete="off";
            }
            div.consent {
                p id="consent-text" { (lang.t("lapor-consent-text")) }
                div.choice {
                    input id="consent" name="consent" type="checkbox" value="yes" required checked[typed.consent]
                        aria-invalid=[invalid("consent")] aria-describedby=[described("consent", Some("consent-text"))];
                    label for="consent" { (lang.t("lapor-consent")) }
                }
                (field_error("consent"))
            }
            div.buttons {
                button.primary type="submit" { (lang.t("lapor-submit")) }
            }
        }
        p { a href="/lapor/status" { (lang.t("lapor-status-link")) } }
    }
}

fn form_response(
    ctx: &Ctx,
    st: &AppState,
    status: StatusCode,
    token: &str,
    platforms: &[Platform],
    typed: &Typed,
    problems: &[Problem],
) -> Response {
    let ctx = Ctx {
        here: "/lapor".into(),
        ..ctx.clone()
    };
    (
        status,
        html_response(page(
            &ctx,
            &ctx.lang.t("lapor-title"),
            form(&ctx, st, token, platforms, typed, problems),
        )),
    )
        .into_response()
}

/// `GET /lapor`: the form, with a fresh token.
async fn form_page(State(st): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, PageError> {
    let list = platforms(&st, ctx.lang).await?;
    let token = new_token(&st, REPORT_FORM);
    Ok(form_response(
        &ctx,
        &st,
        StatusCode::OK,
        &token,
        &list,
        &Typed::default(),
        &[],
    ))
}

/// A page that refuses the whole form (a bot's mark, a lapsed token).
fn refusal(ctx: &Ctx, status: StatusCode, title_key: &str, message: String) -> Response {
    let lang = ctx.lang;
    let body = html! {
        p.alert role="alert" { (message) }
        p { a href="/lapor" { (lang.t("lapor-back")) } }
    };
    (status, html_response(page(ctx, &lang.t(title_key), body))).into_response()
}

/// The target as the reporter wrote it: a web address, else an account.
fn target_of(raw: &str) -> TargetInput {
    let lower = raw.to_ascii_lowercase();
    let looks_like_url = lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("www.")
        || (!raw.starts_with('@')
            && !raw.contains(char::is_whitespace)
            && raw.contains('.')
            && raw.contains('/'));
    if looks_like_url {
        let url = if lower.starts_with("http://") || lower.starts_with("https://") {
            raw.to_string()
        } else {
            format!("https://{raw}")
        };
        TargetInput {
            account: None,
            url: Some(url),
        }
    } else {
        TargetInput {
            account: Some(raw.to_string()),
            url: None,
        }
    }
}

/// The form's id of an intake field, for the message beside it.
fn form_field(field: &str) -> Option<&'static str> {
    let f = field.split(['.', '[']).next().unwrap_or("");
    match f {
        "platform" => Some("platform"),
        "target" => Some("target"),
        "category" => Some("category"),
        "description" | "text" => Some("seen"),
        "media" => Some("screenshot"),
        "reporter" => Some("contact"),
        _ => None,
    }
}

fn field_label_key(id: &str) -> &'static str {
    match id {
        "platform" => "lapor-platform",
        "target" => "lapor-target",
        "category" => "lapor-category",
        "seen" => "lapor-seen",
        "screenshot" => "lapor-screenshot",
        _ => "lapor-contact",
    }
}

fn invalid_field(lang: Lang, field: &str) -> Problem {
    match form_field(field) {
        Some(id) => Problem {
            field: Some(id),
            message: lang.tf(
                "lapor-invalid-field",
                &[("field", lang.t(field_label_key(id)).into())],
            ),
        },
        None => Problem {
            field: None,
            message: lang.t("lapor-invalid"),
        },
    }
}

/// `POST /lapor`: a report from the form (see the module docs for the order of refusals).
async fn submit(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    limit: PublicLimit,
    fields: Result<PublicMultipart, PageError>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    if let Some(refused) = limit.refusal(&ctx) {
        return Ok(refused);
    }
    let fields = fields?;
    if !fields.text(HONEYPOT).is_empty() {
        tracing::info!("public form refused: honeypot filled");
        return Ok(refusal(
            &ctx,
            StatusCode::BAD_REQUEST,
            "lapor-refused-title",
            lang.t("lapor-refused-honeypot"),
        ));
    }
    let typed = Typed::from_fields(&fields);
    let sent_token = fields.text("form_token");
    let window = st.config.console.report_form_window();
    let list = platforms(&st, lang).await?;
    let checked = form_token::check(
        &key(&st),
        REPORT_FORM,
        Some(&sent_token),
        st.store.now_ms(),
        window,
    );
    let nonce = match checked {
        Ok(t) => t.nonce,
        Err(TokenError::TooSoon { wait_ms }) => {
            // Same token: it becomes good after the wait.
            let seconds = (wait_ms + 999) / 1000;
            let problem = Problem {
                field: None,
                message: lang.tf("lapor-too-soon", &[("seconds", seconds.into())]),
            };
            return Ok(form_response(
                &ctx,
                &st,
                StatusCode::TOO_MANY_REQUESTS,
                &sent_token,
                &list,
                &typed,
                &[problem],
            ));
        }
        Err(TokenError::Expired) => {
            let problem = Problem {
                field: None,
                message: lang.t("lapor-token-expired"),
            };
            let fresh = new_token(&st, REPORT_FORM);
            return Ok(form_response(
                &ctx,
                &st,
                StatusCode::BAD_REQUEST,
                &fresh,
                &list,
                &typed,
                &[problem],
            ));
        }
        Err(TokenError::Missing | TokenError::Invalid) => {
            return Ok(refusal(
                &ctx,
                StatusCode::FORBIDDEN,
                "lapor-refused-title",
                lang.t("lapor-token-invalid"),
            ));
        }
    };
    let again = |problems: Vec<Problem>, status: StatusCode| {
        form_response(&ctx, &st, status, &sent_token, &list, &typed, &problems)
    };

    // The checks of the form itself, all at once.
    let mut problems = Vec::new();
    let platform = if typed.platform == OTHER {
        Some("web".to_string())
    } else {
        list.iter()
            .find(|p| p.name == typed.platform && p.name != "web")
            .map(|p| p.name.clone())
    };
    if platform.is_none() {
        problems.push(Problem {
            field: Some("platform"),
            message: lang.t("lapor-need-platform"),
        });
    }
    let target = target_of(&typed.target);
    if typed.target.is_empty() {
        problems.push(Problem {
            field: Some("target"),
            message: lang.t("lapor-need-target"),
        });
    } else if typed.platform == OTHER && target.url.is_none() {
        problems.push(Problem {
            field: Some("target"),
            message: lang.t("lapor-need-url"),
        });
    }
    let category = CATEGORIES
        .iter()
        .copied()
        .find(|c| c.as_str() == typed.category);
    if category.is_none() {
        problems.push(Problem {
            field: Some("category"),
            message: lang.t("lapor-need-category"),
        });
    }
    if typed.seen.is_empty() {
        problems.push(Problem {
            field: Some("seen"),
            message: lang.t("lapor-need-seen"),
        });
    }
    if !typed.consent {
        problems.push(Problem {
            field: Some("consent"),
            message: lang.t("lapor-need-consent"),
        });
    }
    let screenshot = fields
        .0
        .get("screenshot")
        .filter(|b| !b.is_empty())
        .cloned();
    let oversized = screenshot
        .as_ref()
        .is_some_and(|b| b.len() > upload_limit(&st));
    if oversized {
        problems.push(Problem {
            field: Some("screenshot"),
            message: lang.tf(
                "lapor-too-large-detail",
                &[(
                    "max",
                    size_text(st.config.console.report_form_upload_kib).into(),
                )],
            ),
        });
    }
    if !problems.is_empty() {
        let status = if oversized {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return Ok(again(problems, status));
    }

    // The screenshot, hashed here and dropped.
    let media = match screenshot {
        Some(bytes) => match crate::routes::media::hash_image(&st, bytes).await {
            Ok((pdq, _md5, sha256)) => Some(vec![MediaInput {
                pdq: Some(pdq.hash.to_hex()),
                sha256: Some(sha256),
            }]),
            Err(e) => {
                let message = if e.status == StatusCode::SERVICE_UNAVAILABLE {
                    lang.t("lapor-screenshot-busy")
                } else {
                    lang.t("lapor-screenshot-unreadable")
                };
                return Ok(again(
                    vec![Problem {
                        field: Some("screenshot"),
                        message,
                    }],
                    e.status,
                ));
            }
        },
        None => None,
    };
    let reporter = (!typed.name.is_empty() || !typed.contact.is_empty()).then(|| ReporterInput {
        name: (!typed.name.is_empty()).then(|| typed.name.clone()),
        contact: (!typed.contact.is_empty()).then(|| typed.contact.clone()),
    });
    let input = ReportInput {
        platform,
        target: Some(target),
        category,
        description: Some(typed.seen.clone()),
        media,
        reporter,
        ..ReportInput::default()
    };
    let intake = Intake {
        store: &st.store,
        detector: &st.detector,
    };
    let submitted = intake
        .submit(input, &Submitter::PublicForm { form_nonce: nonce }, None)
        .await;
    let accepted = match submitted {
        Ok(Ok(a)) => a,
        Ok(Err(Refusal::Invalid(f))) | Err(StoreError::Invalid(f)) => {
            st.metrics.report_refused();
            return Ok(again(
                vec![invalid_field(lang, &f.field)],
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Ok(Err(Refusal::OutOfScope { field, .. })) => {
            st.metrics.report_refused();
            return Ok(again(
                vec![invalid_field(lang, field)],
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Err(e) => return Err(PageError::store(lang, e)),
    };
    if !accepted.replayed {
        st.metrics
            .report_accepted(Source::Public, accepted.new_case);
    }
    let code = accepted.tracking_code.unwrap_or_default();
    let ctx = Ctx {
        here: "/lapor".into(),
        ..ctx
    };
    let body = html! {
        div.notice role="status" {
            p { (lang.t("lapor-sent")) }
            p { (lang.t("lapor-your-code")) }
            p.tracking-code { strong id="tracking-code" { (code) } }
            p { (lang.t("lapor-keep-code")) }
        }
        p { a href="/lapor/status" { (lang.t("lapor-status-link")) } }
        p { a href="/lapor" { (lang.t("lapor-another")) } }
    };
    Ok((
        StatusCode::CREATED,
        html_response(page(&ctx, &lang.t("lapor-sent-title"), body)),
    )
        .into_response())
}

fn status_form(ctx: &Ctx, token: &str, code: &str, problem: Option<&str>) -> Markup {
    let lang = ctx.lang;
    html! {
        form.stack.public method="post" action="/lapor/status" novalidate {
            input type="hidden" name="form_token" value=(token);
            label for="code" { (lang.t("status-code")) }
            input id="code" name="code" type="text" required maxlength="40" autocapitalize="characters"
                autocomplete="off" spellcheck="false" value=(code) aria-describedby=[problem.map(|_| "code-error")]
                aria-invalid=[problem.map(|_| "true")];
            p.hint { (lang.t("status-code-hint")) }
            @if let Some(p) = problem {
                p.field-error id="code-error" role="alert" { (p) }
            }
            div.buttons { button.primary type="submit" { (lang.t("status-check")) } }
        }
    }
}

pub(crate) fn stage_key(s: PublicStage) -> &'static str {
    match s {
        PublicStage::Received => "stage-received",
        PublicStage::InReview => "stage-in-review",
        PublicStage::ActionRequested => "stage-action",
        PublicStage::Removed => "stage-removed",
        PublicStage::NoAction => "stage-no-action",
        PublicStage::Closed => "stage-closed",
    }
}

/// The path of a report: the stages reached with their dates, then those still ahead.
fn stages(lang: Lang, code: &str, steps: &[TrackStep]) -> Markup {
    let last = steps.last().map_or(PublicStage::Received, |s| s.stage);
    let ahead: Vec<PublicStage> = [PublicStage::InReview, PublicStage::ActionRequested]
        .into_iter()
        .filter(|s| s.step() > last.step())
        .collect();
    html! {
        section aria-labelledby="stages-h" {
            h2 id="stages-h" { (lang.tf("status-of", &[("code", code.to_string().into())])) }
            p.counts role="status" { (lang.tf("status-now", &[("stage", lang.t(stage_key(last)).into())])) }
            ol.stages {
                @for s in steps {
                    li.done aria-current=[(s.stage == last).then_some("step")] {
                        span.stage { (lang.t(stage_key(s.stage))) }
                        " "
                        span.when { (wib(s.at_ms)) }
                    }
                }
                @for s in &ahead {
                    li.ahead {
                        span.stage { (lang.t(stage_key(*s))) }
                        " "
                        span.when { (lang.t("status-not-yet")) }
                    }
                }
                @if !last.is_final() {
                    li.ahead {
                        span.stage { (lang.t("stage-end")) }
                        " "
                        span.when { (lang.t("status-not-yet")) }
                    }
                }
            }
            p.hint { (lang.t(match last {
                PublicStage::Received => "status-explain-received",
                PublicStage::InReview => "status-explain-in-review",
                PublicStage::ActionRequested => "status-explain-action",
                PublicStage::Removed => "status-explain-removed",
                PublicStage::NoAction => "status-explain-no-action",
                PublicStage::Closed => "status-explain-closed",
            })) }
        }
    }
}

fn status_response(
    ctx: &Ctx,
    status: StatusCode,
    token: &str,
    code: &str,
    problem: Option<&str>,
    result: Option<Markup>,
) -> Response {
    let ctx = Ctx {
        here: "/lapor/status".into(),
        ..ctx.clone()
    };
    let lang = ctx.lang;
    let body = html! {
        @if let Some(r) = result { (r) }
        (status_form(&ctx, token, code, problem))
        p { a href="/lapor" { (lang.t("lapor-new-report")) } }
    };
    (
        status,
        html_response(page(&ctx, &lang.t("status-title"), body)),
    )
        .into_response()
}

/// `GET /lapor/status`: the tracking-code form, filled in with `?code=` (the link in a
/// reporter's mail): looking it up still takes the button, under the form token and the limit.
async fn status_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let token = new_token(&st, STATUS_FORM);
    let code: String = q
        .ok()
        .and_then(|Query(q)| q.get("code").cloned())
        .as_deref()
        .map(|c| c.trim().chars().take(40).collect())
        .unwrap_or_default();
    status_response(&ctx, StatusCode::OK, &token, &code, None, None)
}

/// `POST /lapor/status`: the stages of the report with that code.
async fn status_lookup(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    limit: PublicLimit,
    form: Result<axum::extract::Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    if let Some(refused) = limit.refusal(&ctx) {
        return Ok(refused);
    }
    let Ok(axum::extract::Form(form)) = form else {
        return Err(PageError::bad_request(lang, "error-form"));
    };
    let sent_token = form.get("form_token").map(String::as_str);
    let window = FormWindow {
        min_age_ms: 0,
        max_age_ms: st.config.console.report_form_window().max_age_ms,
    };
    let fresh = new_token(&st, STATUS_FORM);
    let typed = form.get("code").map(|c| c.trim()).unwrap_or("").to_string();
    match form_token::check(
        &key(&st),
        STATUS_FORM,
        sent_token,
        st.store.now_ms(),
        window,
    ) {
        Ok(_) => {}
        Err(TokenError::Expired) => {
            return Ok(status_response(
                &ctx,
                StatusCode::BAD_REQUEST,
                &fresh,
                &typed,
                Some(&lang.t("lapor-token-expired")),
                None,
            ));
        }
        Err(_) => {
            return Ok(refusal(
                &ctx,
                StatusCode::FORBIDDEN,
                "lapor-refused-title",
                lang.t("lapor-token-invalid"),
            ));
        }
    }
    let code = normalize_tracking_code(&typed);
    if code.is_empty() {
        return Ok(status_response(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &fresh,
            &typed,
            Some(&lang.t("status-need-code")),
            None,
        ));
    }
    let found = if code.len() > 32 {
        None
    } else {
        let store = st.store.clone();
        let lookup = code.clone();
        tokio::task::spawn_blocking(move || store.public_report_track(&lookup))
            .await
            .map_err(|e| PageError::join(lang, &e))?
            .map_err(|e| PageError::store(lang, e))?
    };
    Ok(match found {
        Some(track) => status_response(
            &ctx,
            StatusCode::OK,
            &fresh,
            "",
            None,
            Some(stages(lang, &code, &track.steps)),
        ),
        None => status_response(
            &ctx,
            StatusCode::NOT_FOUND,
            &fresh,
            &typed,
            Some(&lang.t("status-unknown")),
            None,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_as_people_write_them() {
        for url in [
            "https://situs-judi.example/daftar",
            "HTTP://X.example",
            "www.slot88.example",
            "slot88.example/promo",
        ] {
            assert!(target_of(url).url.is_some(), "{url}");
        }
        for account in ["@rina22", "rina22", "0812 3456 7890", "rina.manis"] {
            assert!(target_of(account).account.is_some(), "{account}");
        }
        assert_eq!(
            target_of("www.a.example").url.as_deref(),
            Some("https://www.a.example")
        );
    }

    #[test]
    fn sizes_read_plainly() {
        assert_eq!(size_text(5 * 1024), "5 MB");
        assert_eq!(size_text(300), "300 KB");
    }

    #[test]
    fn intake_fields_land_beside_their_inputs() {
        assert_eq!(form_field("target.url"), Some("target"));
        assert_eq!(form_field("description"), Some("seen"));
        assert_eq!(form_field("media[0].pdq"), Some("screenshot"));
        assert_eq!(form_field("reporter.contact"), Some("contact"));
        assert_eq!(form_field("profile"), None);
    }
}
