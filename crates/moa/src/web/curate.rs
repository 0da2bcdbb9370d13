//! The curator's web: sign-in and sign-out, a page per month to add, edit, reorder and delete scraps
//! with a live preview and the post as a download, a scrap button on every card; and for readers, the
//! published months as pages and as a feed. Every curator route needs a session, and every form that
//! changes something its CSRF token.

// The helpers' errors are the very responses the handlers return at once; boxing them buys nothing.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use moa_store::{Scrap, ScrapFields};
use serde::Deserialize;

use crate::newsletter::{Month, Section};
use crate::web::auth;
use crate::web::http::internal_error;
use crate::web::i18n::{Refusal, Ui};
use crate::web::page::{Head, PageCtx, html_page, message};
use crate::web::session::{Curator, ROLE_OPERATOR, SignedIn, check_csrf, no_store};
use crate::web::state::AppState;

/// Whether cookies get `Secure`: the site is served over HTTPS (its public URL, or a proxy saying so).
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.public_url.as_ref().is_some_and(|u| u.scheme() == "https")
        || headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ui: Ui,
    head: Head,
    csrf: String,
    error: Option<&'static str>,
}

/// The sign-in form, with a double-submit CSRF token (a cookie and the same value in the form).
pub async fn login_form(State(state): State<AppState>, ctx: PageCtx, headers: HeaderMap) -> Response {
    login_page(&state, ctx, &headers, None, StatusCode::OK)
}

fn login_page(
    state: &AppState,
    ctx: PageCtx,
    headers: &HeaderMap,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let csrf = match auth::cookie(headers, auth::LOGIN_CSRF_COOKIE).filter(|c| c.len() == 64) {
        Some(c) => c.to_string(),
        None => match auth::random_token() {
            Ok(t) => t,
            Err(e) => return internal_error(e),
        },
    };
    let mut response = html_page(&LoginPage { ui: ctx.ui, head: ctx.head, csrf: csrf.clone(), error }, true);
    *response.status_mut() = status;
    if let Ok(v) =
        HeaderValue::from_str(&auth::set_cookie(auth::LOGIN_CSRF_COOKIE, &csrf, 3600, secure(state, headers)))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    name: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<LoginForm>,
) -> Response {
    let cookie = auth::cookie(&headers, auth::LOGIN_CSRF_COOKIE).unwrap_or("");
    if !auth::same_token(&form.csrf, cookie) {
        return Refusal::StaleForm.response();
    }
    let name = form.name.trim();
    let address = crate::web::state::client_address(&state, &extensions, &headers);
    let _turn = state.sign_ins.enter(&address).await;
    let keys = auth::sign_in_keys(&address, name);
    // Counted in the store, so every web process sees the same failures.
    let (now, window) = (crate::now_unix(), auth::FAILURE_WINDOW.as_secs() as i64);
    let checked = async {
        let by_address = state.store.sign_in_blocked(&keys[..1], now, auth::MAX_FAILURES_PER_ADDRESS, window).await?;
        let by_name_here = state.store.sign_in_blocked(&keys[1..2], now, auth::MAX_FAILURES_PER_NAME, window).await?;
        let against_name = state.store.sign_in_failures(&keys[2..], now, window).await?;
        Ok::<_, moa_store::StoreError>((by_address.max(by_name_here), against_name.first().map_or(0, |f| f.1)))
    };
    let (blocked, against_name) = match checked.await {
        Ok(b) => b,
        Err(e) => return internal_error(e),
    };
    if let Some(wait) = blocked {
        let text = ctx.ui.t.too_many_sign_ins;
        let mut r = login_page(&state, ctx, &headers, Some(text), StatusCode::TOO_MANY_REQUESTS);
        if let Ok(v) = HeaderValue::from_str(&wait.max(1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    tokio::time::sleep(auth::name_delay(against_name)).await;
    let hash = match state.store.user_password_hash(form.name.trim()).await {
        Ok(h) => h,
        Err(e) => return internal_error(e),
    };
    // Unknown names cost a hash too, so timing tells nothing about which names exist.
    let ok = match &hash {
        Some(h) => auth::verify_password(&form.password, h),
        None => {
            let _ = auth::verify_password(&form.password, DUMMY_HASH);
            false
        }
    };
    if !ok {
        if let Err(e) = state.store.sign_in_failed(&keys, now, window).await {
            return internal_error(e);
        }
        tracing::warn!(name = %form.name.trim(), "failed sign-in");
        let text = ctx.ui.t.bad_sign_in;
        return login_page(&state, ctx, &headers, Some(text), StatusCode::UNAUTHORIZED);
    }
    // The address's own count stays: one good account must not reset a guesser's budget.
    if let Err(e) = state.store.sign_in_succeeded(&keys[1..], now - window).await {
        return internal_error(e);
    }
    let (token, csrf) = match (auth::random_token(), auth::random_token()) {
        (Ok(t), Ok(c)) => (t, c),
        (Err(e), _) | (_, Err(e)) => return internal_error(e),
    };
    let now = crate::now_unix();
    let session = moa_store::Session {
        token_hash: auth::token_hash(&token),
        user_name: form.name.trim().to_string(),
        csrf,
        created_at: now,
        expires_at: now + auth::SESSION_DAYS * 86_400,
        role: String::new(),
    };
    if let Err(e) = state.store.create_session(&session).await {
        return internal_error(e);
    }
    // Each role to its home: an operator to the console, a curator to the month's scraps.
    let role = state.store.session(&session.token_hash, now).await.ok().flatten().map(|s| s.role).unwrap_or_default();
    let home = if role == ROLE_OPERATOR { "/admin" } else { "/curate" };
    let mut response = Redirect::to(home).into_response();
    let secure = secure(&state, &headers);
    for cookie in [
        auth::set_cookie(auth::SESSION_COOKIE, &token, auth::SESSION_DAYS * 86_400, secure),
        auth::set_cookie(auth::LOGIN_CSRF_COOKIE, "", 0, secure),
    ] {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    no_store(response)
}

/// An argon2id hash of nothing anyone types, to verify against when the name is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jw1wcgQqXzA0PdMzd6UFDRk2WkSS0hkNSDBBq7zZr5E";

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    SignedIn(curator): SignedIn,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = check_csrf(&curator, &form.csrf) {
        return r;
    }
    if let Err(e) = state.store.delete_session(&curator.token_hash).await {
        return internal_error(e);
    }
    let mut response = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(auth::SESSION_COOKIE, "", 0, secure(&state, &headers))) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    no_store(response)
}

pub async fn curate_now(SignedIn(_): SignedIn) -> Response {
    Redirect::to(&format!("/curate/{}", crate::newsletter::curation::current_month(crate::now_unix()))).into_response()
}

struct ScrapGroup {
    key: &'static str,
    heading: &'static str,
    scraps: Vec<Scrap>,
}

#[derive(Template)]
#[template(path = "curate.html")]
struct CuratePage {
    ui: Ui,
    head: Head,
    title: String,
    month: String,
    prev_month: String,
    next_month: String,
    user: String,
    /// Shows the way to the operator's console.
    operator: bool,
    csrf: String,
    sections: Vec<(&'static str, &'static str)>,
    groups: Vec<ScrapGroup>,
    date: String,
    draft: bool,
    hidden: bool,
    markdown: String,
}

fn section_options() -> Vec<(&'static str, &'static str)> {
    Section::ALL.iter().map(|s| (s.key(), s.heading().trim_start_matches("## "))).collect()
}

fn month_of(month: &str) -> Result<Month, Response> {
    Month::parse(month).ok_or_else(|| Refusal::BadMonth.response())
}

/// The month a curator's form acts on: the form's token checked, the month read.
fn month_for(curator: &Curator, csrf: &str, month: &str) -> Result<Month, Response> {
    check_csrf(curator, csrf)?;
    month_of(month)
}

fn neighbour(m: Month, delta: i32) -> Month {
    let index = m.year * 12 + i32::from(m.month) - 1 + delta;
    Month { year: index.div_euclid(12), month: (index.rem_euclid(12) + 1) as u8 }
}

pub async fn curate_month(
    State(state): State<AppState>,
    SignedIn(curator): SignedIn,
    ctx: PageCtx,
    Path(month): Path<String>,
) -> Response {
    let month = match month_of(&month) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let (scraps, post) = match (
        state.store.scraps(Some(&month.to_string())).await,
        crate::newsletter::curation::post_of(state.store.as_ref(), month).await,
    ) {
        (Ok(s), Ok(p)) => (s, p),
        (Err(e), _) => return internal_error(e),
        (_, Err(e)) => return internal_error(e),
    };
    let groups = Section::ALL
        .iter()
        .map(|s| ScrapGroup {
            key: s.key(),
            heading: s.heading().trim_start_matches("## "),
            scraps: scraps.iter().filter(|x| x.section == s.key()).cloned().collect(),
        })
        .collect();
    html_page(
        &CuratePage {
            title: format!("{} {}", month.title(), ctx.ui.t.curation),
            month: month.to_string(),
            prev_month: neighbour(month, -1).to_string(),
            next_month: neighbour(month, 1).to_string(),
            operator: curator.is_operator(),
            user: curator.name,
            csrf: curator.csrf,
            sections: section_options(),
            groups,
            date: post.settings.date.clone(),
            draft: post.settings.draft,
            hidden: post.settings.hidden_from_homepage == Some(true),
            markdown: crate::newsletter::render(&post),
            ui: ctx.ui,
            head: ctx.head,
        },
        true,
    )
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    url: String,
    section: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    commentary: String,
}

/// Adds a scrap of any URL: the title (and, without commentary, a description) proposed from the page.
pub async fn add_scrap(
    State(state): State<AppState>,
    SignedIn(curator): SignedIn,
    Path(month): Path<String>,
    Form(form): Form<AddForm>,
) -> Response {
    let month = match month_for(&curator, &form.csrf, &month) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let url = form.url.trim().to_string();
    let Some(section) = Section::parse(&form.section) else {
        return Refusal::UnknownSection.response();
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Refusal::NotHttp.response();
    }
    match state.store.scrap_by_url(&month.to_string(), &url).await {
        Ok(Some(s)) => return Redirect::to(&format!("/curate/{month}#scrap-{}", s.id)).into_response(),
        Ok(None) => {}
        Err(e) => return internal_error(e),
    }
    let proposal = match &state.fetcher {
        Some(fetcher) if form.title.trim().is_empty() || form.commentary.trim().is_empty() => {
            crate::newsletter::curation::propose(state.store.as_ref(), fetcher, &url).await.unwrap_or_else(|e| {
                tracing::warn!(url, error = %e, "page not read for a scrap");
                crate::newsletter::curation::Proposal { title: None, description: None, post_id: None }
            })
        }
        _ => {
            let post = state.store.post_by_url(&url).await.ok().flatten();
            crate::newsletter::curation::Proposal { title: None, description: None, post_id: post.map(|p| p.id) }
        }
    };
    let title =
        Some(form.title.trim().to_string()).filter(|t| !t.is_empty()).or(proposal.title).unwrap_or_else(|| url.clone());
    let commentary = Some(form.commentary.clone()).filter(|c| !c.trim().is_empty()).or(proposal.description);
    let fields = ScrapFields {
        month: month.to_string(),
        section: section.key().into(),
        title: title.split_whitespace().collect::<Vec<_>>().join(" "),
        url,
        commentary: commentary.unwrap_or_default(),
        post_id: proposal.post_id,
    };
    match state.store.add_scrap(&fields, crate::now_unix()).await {
        Ok(s) => Redirect::to(&format!("/curate/{month}#scrap-{}", s.id)).into_response(),
        Err(e) => internal_error(e),
    }
}

#[derive(Deserialize)]
pub struct PostScrapForm {
    csrf: String,
    post_id: i64,
}

/// The scrap button on a card: the post goes to this month's 글 section, its commentary left to write.
pub async fn scrap_post(
    State(state): State<AppState>,
    SignedIn(curator): SignedIn,
    Form(form): Form<PostScrapForm>,
) -> Response {
    if let Err(r) = check_csrf(&curator, &form.csrf) {
        return r;
    }
    let post = match state.store.post(form.post_id).await {
        Ok(Some(p)) => p,
        Ok(None) => return Refusal::NoPost.response(),
        Err(e) => return internal_error(e),
    };
    let Some(url) = post.url.clone() else {
        return Refusal::PostWithoutLink.response();
    };
    let month = crate::newsletter::curation::current_month(crate::now_unix()).to_string();
    let id = match state.store.scrap_by_url(&month, &url).await {
        Ok(Some(s)) => s.id,
        Ok(None) => {
            let fields = ScrapFields {
                month: month.clone(),
                section: Section::Article.key().into(),
                title: post.title,
                url,
                commentary: String::new(),
                post_id: Some(post.id),
            };
            match state.store.add_scrap(&fields, crate::now_unix()).await {
                Ok(s) => s.id,
                Err(e) => return internal_error(e),
            }
        }
        Err(e) => return internal_error(e),
    };
    Redirect::to(&format!("/curate/{month}#scrap-{id}")).into_response()
}

#[derive(Deserialize)]
pub struct EditForm {
    csrf: String,
    title: String,
    url: String,
    section: String,
    #[serde(default)]
    commentary: String,
}

impl EditForm {
    /// The scrap as this form would leave it.
    fn apply(&self, old: &Scrap) -> Result<ScrapFields, Response> {
        let section = Section::parse(&self.section).ok_or_else(|| Refusal::UnknownSection.response())?;
        let url = self.url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Refusal::NotHttp.response());
        }
        Ok(ScrapFields {
            month: old.month.clone(),
            section: section.key().into(),
            title: self.title.split_whitespace().collect::<Vec<_>>().join(" "),
            url: url.to_string(),
            // Browsers send textarea line ends as CR LF; the post's are LF.
            commentary: self.commentary.replace("\r\n", "\n"),
            post_id: old.post_id,
        })
    }
}

/// The scrap a curator's form acts on: the form's token checked, the scrap found.
async fn scrap_for(state: &AppState, curator: &Curator, csrf: &str, id: i64) -> Result<Scrap, Response> {
    check_csrf(curator, csrf)?;
    match state.store.scrap(id).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(Refusal::NoScrap.response()),
        Err(e) => Err(internal_error(e)),
    }
}

pub async fn edit_scrap(
    State(state): State<AppState>,
    SignedIn(curator): SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<EditForm>,
) -> Response {
    let old = match scrap_for(&state, &curator, &form.csrf, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let fields = match form.apply(&old) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.store.update_scrap(id, &fields, crate::now_unix()).await {
        Ok(_) => Redirect::to(&format!("/curate/{}#scrap-{id}", old.month)).into_response(),
        // The URL is another scrap's of this month.
        Err(e) => {
            tracing::warn!(error = %e, "scrap not updated");
            Refusal::ScrapUrlTaken.response()
        }
    }
}

#[derive(Deserialize)]
pub struct PreviewForm {
    csrf: String,
    id: i64,
    #[serde(flatten)]
    edit: EditFields,
}

#[derive(Deserialize)]
pub struct EditFields {
    title: String,
    url: String,
    section: String,
    #[serde(default)]
    commentary: String,
}

/// The month's post with one scrap as it is being edited, unsaved: the page's live preview.
pub async fn preview(
    State(state): State<AppState>,
    SignedIn(curator): SignedIn,
    Path(month): Path<String>,
    Form(form): Form<PreviewForm>,
) -> Response {
    let month = match month_for(&curator, &form.csrf, &month) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut post = match crate::newsletter::curation::post_of(state.store.as_ref(), month).await {
        Ok(p) => p,
        Err(e) => return internal_error(e),
    };
    let scraps = match state.store.scraps(Some(&month.to_string())).await {
        Ok(s) => s,
        Err(e) => return internal_error(e),
    };
    // Items follow the scraps' order; the edited one is replaced in place.
    if let Some(i) = scraps.iter().filter(|s| Section::parse(&s.section).is_some()).position(|s| s.id == form.id)
        && let Some(section) = Section::parse(&form.edit.section)
    {
        let item = &mut post.items[i];
        item.title = form.edit.title.split_whitespace().collect::<Vec<_>>().join(" ");
        item.url = form.edit.url.trim().to_string();
        item.section = section;
        item.commentary = form.edit.commentary.replace("\r\n", "\n");
        post.items.sort_by_key(|i| i.section);
    }
    no_store(
        ([(header::CONTENT_TYPE, "text/markdown; charset=utf-8")], crate::newsletter::render(&post)).into_response(),
    )
}

#[derive(Deserialize)]
pub struct MoveForm {
    csrf: String,
    to: i64,
}

pub async fn move_scrap(
    State(state): State<AppState>,
    SignedIn(curator): SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> Response {
    let old = match scrap_for(&state, &curator, &form.csrf, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match state.store.move_scrap(id, form.to).await {
        Ok(_) => Redirect::to(&format!("/curate/{}#scrap-{id}", old.month)).into_response(),
        Err(e) => internal_error(e),
    }
}

pub async fn delete_scrap(
    State(state): State<AppState>,
    SignedIn(curator): SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let old = match scrap_for(&state, &curator, &form.csrf, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match state.store.delete_scrap(id).await {
        Ok(_) => Redirect::to(&format!("/curate/{}", old.month)).into_response(),
        Err(e) => internal_error(e),
    }
}

#[derive(Deserialize)]
pub struct SettingsForm {
    csrf: String,
    date: String,
    draft: Option<String>,
    hidden: Option<String>,
}

pub async fn save_settings(
    State(state): State<AppState>,
    SignedIn(curator): SignedIn,
    Path(month): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Response {
    let month = match month_for(&curator, &form.csrf, &month) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let date = form.date.trim();
    let date = if date.is_empty() {
        month.default_date()
    } else {
        match crate::newsletter::front_matter_date(date) {
            Ok(d) => d.to_string(),
            Err(_) => return Refusal::BadDate.response(),
        }
    };
    let settings = crate::newsletter::Settings {
        date,
        draft: form.draft.is_some(),
        hidden_from_homepage: form.hidden.is_some().then_some(true),
    };
    match crate::newsletter::curation::save_settings(state.store.as_ref(), month, &settings).await {
        Ok(()) => Redirect::to(&format!("/curate/{month}")).into_response(),
        Err(e) => internal_error(e),
    }
}

/// The month's post as a file, the same bytes as `moa newsletter render`.
pub async fn download(State(state): State<AppState>, SignedIn(_): SignedIn, Path(month): Path<String>) -> Response {
    let month = match month_of(&month) {
        Ok(m) => m,
        Err(r) => return r,
    };
    match crate::newsletter::curation::render_month(state.store.as_ref(), month).await {
        Ok(text) => no_store(
            (
                [
                    (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{month}.md\"")),
                ],
                text,
            )
                .into_response(),
        ),
        Err(e) => internal_error(e),
    }
}

struct PublicItem {
    title: String,
    url: String,
    html: String,
}

struct PublicGroup {
    heading: &'static str,
    items: Vec<PublicItem>,
}

#[derive(Template)]
#[template(path = "newsletter.html")]
struct NewsletterPage {
    ui: Ui,
    head: Head,
    title: String,
    months: Vec<String>,
    groups: Vec<PublicGroup>,
}

/// Months whose post is published (not a draft), newest first.
async fn published_months(state: &AppState) -> anyhow::Result<Vec<Month>> {
    let mut months: Vec<Month> = Vec::new();
    for s in state.store.scraps(None).await? {
        if let Some(m) = Month::parse(&s.month)
            && !months.contains(&m)
        {
            months.push(m);
        }
    }
    let mut published = Vec::new();
    for m in months {
        if state.store.newsletter_settings(&m.to_string()).await?.is_some_and(|s| !s.draft) {
            published.push(m);
        }
    }
    published.sort_by(|a, b| b.cmp(a));
    Ok(published)
}

/// The newest published month, or a given one: its picks with the curator's commentary.
pub async fn public_month(State(state): State<AppState>, ctx: PageCtx, month: Option<Path<String>>) -> Response {
    let months = match published_months(&state).await {
        Ok(m) => m,
        Err(e) => return internal_error(e),
    };
    let month = match month {
        Some(Path(m)) => match Month::parse(&m).filter(|m| months.contains(m)) {
            Some(m) => Some(m),
            None => return message(ctx, StatusCode::NOT_FOUND, |t| (t.not_found, t.not_found_message)),
        },
        None => months.first().copied(),
    };
    let groups = match month {
        Some(m) => match crate::newsletter::curation::post_of(state.store.as_ref(), m).await {
            Ok(post) => Section::ALL
                .iter()
                .map(|s| PublicGroup {
                    heading: s.heading().trim_start_matches("## "),
                    items: post
                        .items
                        .iter()
                        .filter(|i| i.section == *s)
                        .map(|i| PublicItem {
                            title: i.title.clone(),
                            url: i.url.clone(),
                            html: crate::newsletter::commentary_html(&i.commentary),
                        })
                        .collect(),
                })
                .filter(|g| !g.items.is_empty())
                .collect(),
            Err(e) => return internal_error(e),
        },
        None => Vec::new(),
    };
    let title = month.map_or_else(|| ctx.ui.t.newsletter.to_string(), Month::title);
    html_page(
        &NewsletterPage {
            ui: ctx.ui,
            head: ctx.head,
            title,
            months: months.iter().map(ToString::to_string).collect(),
            groups,
        },
        false,
    )
}

/// The published months' picks as RSS 2.0: each with its commentary as HTML.
pub async fn scraps_feed(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let months = match published_months(&state).await {
        Ok(m) => m,
        Err(e) => return internal_error(e),
    };
    let mut picks = Vec::new();
    for m in months.iter().take(12) {
        match state.store.scraps(Some(&m.to_string())).await {
            Ok(s) => picks.extend(s),
            Err(e) => return internal_error(e),
        }
    }
    let channel = crate::web::syndication::Channel {
        title: format!("{} — {}", crate::web::i18n::KO.newsletter, crate::web::i18n::KO.site_title),
        description: "큐레이터가 고른 글과 코멘트".into(),
        site_url: format!("{}/newsletter", ctx.base),
        self_url: format!("{}/scraps/feed.xml", ctx.base),
        language: "ko",
    };
    let body = crate::web::syndication::scraps_rss(&channel, &picks, crate::newsletter::commentary_html);
    (
        [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")],
        body,
    )
        .into_response()
}
