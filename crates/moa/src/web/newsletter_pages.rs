//! The published newsletter for readers: each month's post as a page, and the scraps as a feed.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::i18n::Ui;
use crate::newsletter::{Month, Section};
use crate::web::http::internal_error;
use crate::web::page::{Head, PageCtx, html_page, message};
use crate::web::state::AppState;

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
        title: format!("{} — {}", crate::i18n::KO.newsletter, crate::i18n::KO.site_title),
        description: crate::i18n::published::SCRAPS_FEED_DESCRIPTION.into(),
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
