//! The curator's web: a page per month to add, edit, reorder and delete scraps with a live preview and the
//! post as a download, and a scrap button on every card. Every route needs a session, and every form that
//! changes something its CSRF token.

// The helpers' errors are the very responses the handlers return at once; boxing them buys nothing.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use moa_store::{Scrap, ScrapFields};
use serde::Deserialize;

use crate::i18n::{Refusal, Ui};
use crate::newsletter::{Month, Section};
use crate::web::http::internal_error;
use crate::web::page::{Head, PageCtx, html_page};
use crate::web::session::{Curator, SignedIn, check_csrf, no_store};
use crate::web::state::AppState;

use crate::web::signin::CsrfForm;

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
