//! Feeds out: RSS, Atom and JSON Feed of every list, the sources' OPML, the sitemap and robots.txt.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use moa_store::{ListPage, Post};

use crate::i18n::published::{self, SITE_TITLE};
use crate::web::http::internal_error;
use crate::web::page::{PageCtx, not_found};
use crate::web::scope::{Scope, scope_query};
use crate::web::state::{AppState, base_url};

/// Posts in a feed out.
pub(crate) const FEED_SIZE: u32 = 50;

#[derive(Debug, Clone, Copy)]
pub(crate) enum FeedFormat {
    Rss,
    Atom,
    Json,
}

impl FeedFormat {
    pub(crate) fn from_file(file: &str) -> Option<Self> {
        match file {
            "feed.xml" => Some(Self::Rss),
            "atom.xml" => Some(Self::Atom),
            "feed.json" => Some(Self::Json),
            _ => None,
        }
    }

    pub(crate) fn file(self) -> &'static str {
        match self {
            Self::Rss => "feed.xml",
            Self::Atom => "atom.xml",
            Self::Json => "feed.json",
        }
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::Rss => "application/rss+xml; charset=utf-8",
            Self::Atom => "application/atom+xml; charset=utf-8",
            Self::Json => "application/feed+json; charset=utf-8",
        }
    }
}

pub(crate) async fn company_feed(
    state: State<AppState>,
    ctx: PageCtx,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    match FeedFormat::from_file(&file) {
        Some(format) => feed_out(state, ctx, Scope::Company(id), format).await,
        None => not_found(ctx).await,
    }
}

pub(crate) async fn tag_feed(
    state: State<AppState>,
    ctx: PageCtx,
    Path((tag, file)): Path<(String, String)>,
) -> Response {
    match FeedFormat::from_file(&file) {
        Some(format) => feed_out(state, ctx, Scope::Tag(tag), format).await,
        None => not_found(ctx).await,
    }
}

pub(crate) async fn topic_feed(
    state: State<AppState>,
    ctx: PageCtx,
    Path((slug, file)): Path<(String, String)>,
) -> Response {
    match FeedFormat::from_file(&file).filter(|_| moa_search::topics::topic(&slug).is_some()) {
        Some(format) => feed_out(state, ctx, Scope::Topic(slug), format).await,
        None => not_found(ctx).await,
    }
}

/// The newest posts of all companies, of one, or of one tag, as RSS 2.0, Atom 1.0 or JSON Feed 1.1.
pub(crate) async fn feed_out(
    State(state): State<AppState>,
    ctx: PageCtx,
    scope: Scope,
    format: FeedFormat,
) -> Response {
    // One read: the posts, and for a company's feed the company with them.
    let query = scope_query(&scope, None, FEED_SIZE);
    let read = match scope {
        Scope::Company(_) => state.store.list_page(&query).await,
        _ => state.store.posts(&query).await.map(|posts| ListPage { posts, ..Default::default() }),
    };
    let ListPage { posts, companies } = match read {
        Ok(page) => page,
        Err(e) => return internal_error(e),
    };
    let base = &ctx.base;
    let list = format!("{base}{}", scope.path());
    let self_url = format!("{}/{}", list.trim_end_matches('/'), format.file());
    let channel = match &scope {
        Scope::All => crate::web::syndication::Channel {
            title: SITE_TITLE.into(),
            description: published::ALL_FEED_DESCRIPTION.into(),
            site_url: list,
            self_url,
            language: "ko",
        },
        Scope::Company(_) => {
            let Some(company) = companies.first() else { return not_found(ctx).await };
            crate::web::syndication::Channel {
                title: format!("{} — {SITE_TITLE}", company.name_ko),
                description: published::company_feed(&company.name_ko),
                site_url: list,
                self_url,
                language: "ko",
            }
        }
        Scope::Tag(tag) => crate::web::syndication::Channel {
            title: format!("#{tag} — {SITE_TITLE}"),
            description: published::tag_feed(tag),
            site_url: list,
            self_url,
            language: "ko",
        },
        Scope::Topic(slug) => {
            let name = moa_search::topics::topic(slug).map_or(slug.as_str(), |t| t.ko);
            crate::web::syndication::Channel {
                title: format!("{name} — {SITE_TITLE}"),
                description: published::topic_feed(name),
                site_url: list,
                self_url,
                language: "ko",
            }
        }
    };
    feed_response(format, &channel, &posts)
}

pub(crate) fn feed_response(
    format: FeedFormat,
    channel: &crate::web::syndication::Channel,
    posts: &[Post],
) -> Response {
    let body = match format {
        FeedFormat::Rss => crate::web::syndication::rss(channel, posts),
        FeedFormat::Atom => crate::web::syndication::atom(channel, posts),
        FeedFormat::Json => crate::web::syndication::json_feed(channel, posts),
    };
    ([(header::CONTENT_TYPE, format.content_type()), (header::CACHE_CONTROL, "public, max-age=300")], body)
        .into_response()
}

pub(crate) async fn sources_opml(State(state): State<AppState>) -> Response {
    match state.sources().await {
        Ok(sources) => (
            [(header::CONTENT_TYPE, "text/x-opml; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
            crate::web::syndication::opml(published::SOURCES_OPML_TITLE, &sources),
        )
            .into_response(),
        Err(e) => internal_error(e),
    }
}

pub(crate) async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.sources().await {
        Ok(sources) => (
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
            crate::web::syndication::sitemap(&base_url(&state, &headers), &sources),
        )
            .into_response(),
        Err(e) => internal_error(e),
    }
}

pub(crate) async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = base_url(&state, &headers);
    let body = format!("User-agent: *\nAllow: /\nDisallow: /go/\nDisallow: /websub/\n\nSitemap: {base}/sitemap.xml\n");
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
