//! The readers' lists: the home page, a company's, a tag's and a topic's pages, and the companies page.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use moa_store::{Cursor, ListPage, Post};
use serde::Deserialize;

use crate::i18n::Ui;
use crate::web::card::{Card, TagLink, card, company_name, topic_links};
use crate::web::http::internal_error;
use crate::web::page::{Head, PageCtx, html_page, message, not_found, page_error};
use crate::web::scope::PAGE_SIZE;
use crate::web::scope::{Scope, page_href, scope_query};
use crate::web::state::AppState;

pub(crate) struct DirectoryEntry {
    id: String,
    name: String,
    posts: i64,
    last_post: String,
    last_post_datetime: String,
}

#[derive(Template)]
#[template(path = "companies.html")]
pub(crate) struct CompaniesPage {
    ui: Ui,
    head: Head,
    entries: Vec<DirectoryEntry>,
}

/// Every company with posts, the most recently active first.
pub(crate) async fn companies(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let mut sources: Vec<_> = match state.store.companies().await {
        Ok(s) => s.into_iter().filter(|s| s.post_count > 0).collect(),
        Err(e) => return internal_error(e),
    };
    sources.sort_by(|a, b| b.last_post_at.cmp(&a.last_post_at).then(a.name_ko.cmp(&b.name_ko)));
    let entries = sources
        .into_iter()
        .map(|s| {
            let (last_post, last_post_datetime) =
                s.last_post_at.map(|t| (crate::kst::minute(t), crate::kst::rfc3339(t))).unwrap_or_default();
            DirectoryEntry {
                name: company_name(&ctx.ui, &s.name_ko, &s.name_en).to_string(),
                id: s.id,
                posts: s.post_count,
                last_post: last_post.split(' ').next().unwrap_or("").to_string(),
                last_post_datetime,
            }
        })
        .collect();
    let private = ctx.curator.is_some();
    html_page(&CompaniesPage { ui: ctx.ui, head: ctx.head, entries }, private)
}

#[derive(Debug, Deserialize)]
pub struct HomeQuery {
    company: Option<String>,
    before: Option<String>,
}

pub(crate) async fn home(State(state): State<AppState>, ctx: PageCtx, Query(q): Query<HomeQuery>) -> Response {
    // The company filter of the first version (and of the form without JavaScript) lives on at its own
    // address.
    if let Some(company) = q.company.as_deref().filter(|c| !c.is_empty()) {
        let before = q.before.as_deref().and_then(Cursor::decode);
        let href = page_href(&Scope::Company(company.to_string()), before);
        let sep = if href.contains('?') { ctx.ui.amp } else { ctx.ui.q };
        return axum::response::Redirect::permanent(&format!("{href}{sep}")).into_response();
    }
    page(&state, ctx, Scope::All, q.before).await
}

/// A company's page: its name, homepage, feed and post count, then its posts.
pub(crate) async fn company_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(q): Query<HomeQuery>,
) -> Response {
    page(&state, ctx, Scope::Company(id), q.before).await
}

/// The posts of one topic, with its feeds.
pub(crate) async fn topic_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
    Query(q): Query<HomeQuery>,
) -> Response {
    if moa_search::topics::topic(&slug).is_none() {
        return not_found(ctx).await;
    }
    page(&state, ctx, Scope::Topic(slug), q.before).await
}

/// The posts of one tag, with its feeds.
pub(crate) async fn tag_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(tag): Path<String>,
    Query(q): Query<HomeQuery>,
) -> Response {
    page(&state, ctx, Scope::Tag(tag), q.before).await
}

pub(crate) async fn page(state: &AppState, ctx: PageCtx, scope: Scope, before: Option<String>) -> Response {
    // A malformed cursor is treated as no cursor: the reader lands on the newest posts.
    let before = before.as_deref().and_then(Cursor::decode);
    // One read per page: the posts, with the companies the page shows (the home page's picker lists them
    // all; a company's page shows its own).
    let query = scope_query(&scope, before, PAGE_SIZE + 1);
    let read = match scope {
        Scope::All | Scope::Company(_) => state.store.list_page(&query).await,
        Scope::Tag(_) | Scope::Topic(_) => {
            state.store.posts(&query).await.map(|posts| ListPage { posts, ..Default::default() })
        }
    };
    let ListPage { mut posts, companies: sources } = match read {
        Ok(page) => page,
        Err(e) => return page_error(ctx, e),
    };
    if matches!(scope, Scope::Company(_)) && sources.is_empty() {
        return message(ctx, StatusCode::NOT_FOUND, |t| (t.no_company, t.no_company_message));
    }
    let has_more = posts.len() > PAGE_SIZE as usize;
    posts.truncate(PAGE_SIZE as usize);
    let ui = ctx.ui;
    let next_href = has_more.then(|| format!("{}{}", page_href(&scope, posts.last().map(Post::cursor)), ui.amp));
    let selected = match &scope {
        Scope::Company(_) => sources.first(),
        _ => None,
    };
    let company_options = match scope {
        Scope::All => state.picker.options(&sources, &ui),
        _ => Arc::from(""),
    };
    let now = crate::now_unix();
    let scrap_csrf = ctx.scrap_csrf();
    let private = scrap_csrf.is_some();
    let page = HomePage {
        scrap_csrf,
        cards: posts.into_iter().map(|p| card(p, now, &ui)).collect(),
        empty_message: if matches!(scope, Scope::Tag(_) | Scope::Topic(_)) { ui.t.empty_tag } else { ui.t.empty_home },
        show_filter: matches!(scope, Scope::All),
        topic_links: if matches!(scope, Scope::All) { topic_links(&ui) } else { Vec::new() },
        company_options,
        heading: match &scope {
            Scope::All => None,
            Scope::Company(_) => selected.map(|s| company_name(&ui, &s.name_ko, &s.name_en).to_string()),
            Scope::Tag(tag) => Some(ui.tag_title(tag)),
            Scope::Topic(slug) => moa_search::topics::topic(slug).map(|t| ui.topic_title(ui.topic_name(t))),
        },
        company_homepage: selected.map(|s| s.homepage.clone()).filter(|h| h.starts_with("http")),
        feed_base: (!matches!(scope, Scope::All)).then(|| scope.path()),
        post_count: selected.map(|s| s.post_count),
        first_href: before.map(|_| format!("{}{}", page_href(&scope, None), ui.q)),
        next_href,
        ui,
        head: ctx.head,
    };
    html_page(&page, private)
}

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    ui: Ui,
    head: Head,
    scrap_csrf: Option<String>,
    cards: Vec<Card>,
    empty_message: &'static str,
    /// The company picker, on the home page only.
    show_filter: bool,
    /// Every topic, on the home page.
    topic_links: Vec<TagLink>,
    /// The company picker's options (see [`crate::web::picker`]).
    company_options: Arc<str>,
    /// The company's name or the tag, on their pages.
    heading: Option<String>,
    company_homepage: Option<String>,
    /// Where this list's feeds live (`/company/ID`), on company and tag pages.
    feed_base: Option<String>,
    post_count: Option<i64>,
    first_href: Option<String>,
    next_href: Option<String>,
}
