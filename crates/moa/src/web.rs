//! The readers' web: server-rendered HTML that works without JavaScript.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use moa_store::{Cursor, Post, PostQuery, Store, SubscriptionState};

use crate::webhook::Notifier;
use serde::Deserialize;
use time::{OffsetDateTime, UtcOffset};

pub const PAGE_SIZE: u32 = 20;
const KST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};
const STYLE: &str = include_str!("../static/style.css");
const THEME_JS: &str = include_str!("../static/theme.js");

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// For dates without a zone in pushed (WebSub) feeds.
    pub timezone_offset: i32,
    pub notifier: Option<Notifier>,
    /// The address readers reach this site at, for absolute links in feeds; else taken from `Host`.
    pub public_url: Option<url::Url>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/company/{id}", get(company_page))
        .route("/companies", get(companies))
        .route("/static/style.css", get(style))
        .route("/static/theme.js", get(theme_js))
        .route("/healthz", get(|| async { "ok" }))
        .route("/websub/{source_id}", get(websub_verify).post(websub_push))
        .route("/feed.xml", get(|s: State<AppState>, h: HeaderMap| feed_out(s, h, None, FeedFormat::Rss)))
        .route("/atom.xml", get(|s: State<AppState>, h: HeaderMap| feed_out(s, h, None, FeedFormat::Atom)))
        .route("/feed.json", get(|s: State<AppState>, h: HeaderMap| feed_out(s, h, None, FeedFormat::Json)))
        .route(
            "/company/{id}/feed.xml",
            get(|s: State<AppState>, h: HeaderMap, Path(id): Path<String>| feed_out(s, h, Some(id), FeedFormat::Rss)),
        )
        .route(
            "/company/{id}/atom.xml",
            get(|s: State<AppState>, h: HeaderMap, Path(id): Path<String>| feed_out(s, h, Some(id), FeedFormat::Atom)),
        )
        .route(
            "/company/{id}/feed.json",
            get(|s: State<AppState>, h: HeaderMap, Path(id): Path<String>| feed_out(s, h, Some(id), FeedFormat::Json)),
        )
        .route("/sources.opml", get(sources_opml))
        .route("/go/{id}", get(go))
        .route("/api/v1/posts", get(crate::api::posts))
        .route("/api/v1/posts/{id}", get(crate::api::post))
        .route("/api/v1/sources", get(crate::api::sources))
        .route("/api/openapi.json", get(crate::api::openapi))
        .route("/popular", get(popular))
        .route("/search", get(search))
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(conditional_get))
        // Outside the ETag: the tag names the content, the same whatever its encoding (hence weak).
        .layer(tower_http::compression::CompressionLayer::new().br(true).gzip(true))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Posts in a feed out.
const FEED_SIZE: u32 = 50;

#[derive(Debug, Clone, Copy)]
enum FeedFormat {
    Rss,
    Atom,
    Json,
}

impl FeedFormat {
    fn file(self) -> &'static str {
        match self {
            Self::Rss => "feed.xml",
            Self::Atom => "atom.xml",
            Self::Json => "feed.json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Rss => "application/rss+xml; charset=utf-8",
            Self::Atom => "application/atom+xml; charset=utf-8",
            Self::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// This site's address: the configured public URL, else the `Host` the reader asked for.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    match &state.public_url {
        Some(u) => u.as_str().trim_end_matches('/').to_string(),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

/// The newest posts of all companies, or of one, as RSS 2.0, Atom 1.0 or JSON Feed 1.1.
async fn feed_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    company: Option<String>,
    format: FeedFormat,
) -> Response {
    let base = base_url(&state, &headers);
    let (channel, source_id) = match &company {
        None => (
            crate::syndication::Channel {
                title: "기술 블로그 모음".into(),
                description: "국내 IT 기업들의 기술 블로그 글을 한 곳에서 모아보세요".into(),
                site_url: format!("{base}/"),
                self_url: format!("{base}/{}", format.file()),
                language: "ko",
            },
            None,
        ),
        Some(id) => {
            let source = match state.store.source(id).await {
                Ok(Some(s)) => s,
                Ok(None) => return not_found().await,
                Err(e) => return internal_error(e),
            };
            (
                crate::syndication::Channel {
                    title: format!("{} — 기술 블로그 모음", source.spec.name_ko),
                    description: format!("{}의 기술 블로그 새 글", source.spec.name_ko),
                    site_url: format!("{base}/company/{id}"),
                    self_url: format!("{base}/company/{id}/{}", format.file()),
                    language: "ko",
                },
                Some(id.clone()),
            )
        }
    };
    let query = PostQuery { source_id, limit: FEED_SIZE, ..PostQuery::default() };
    let posts = match state.store.posts(&query).await {
        Ok(p) => p,
        Err(e) => return internal_error(e),
    };
    let body = match format {
        FeedFormat::Rss => crate::syndication::rss(&channel, &posts),
        FeedFormat::Atom => crate::syndication::atom(&channel, &posts),
        FeedFormat::Json => crate::syndication::json_feed(&channel, &posts),
    };
    ([(header::CONTENT_TYPE, format.content_type()), (header::CACHE_CONTROL, "public, max-age=300")], body)
        .into_response()
}

/// A click is counted once per client in this window.
const CLICK_WINDOW_SECONDS: i64 = 30 * 60;
/// Candidates read for the popular list, most clicked first.
const POPULAR_CANDIDATES: u32 = 500;

/// An outbound link: counts the click (not for bots, once per client per window) and sends the reader on.
async fn go(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
) -> Response {
    let post = match state.store.post(id).await {
        Ok(Some(p)) => p,
        Ok(None) => return not_found().await,
        Err(e) => return internal_error(e),
    };
    let Some(url) = post.url.filter(|u| u.starts_with("http://") || u.starts_with("https://")) else {
        return not_found().await;
    };
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !crate::popular::is_bot(user_agent) {
        let peer = extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
        let client = fnv1a(format!("{}\n{user_agent}", client_address(peer, &headers)).as_bytes());
        if let Err(e) = state.store.record_click(id, &client, crate::now_unix(), CLICK_WINDOW_SECONDS).await {
            tracing::error!(post = id, error = %e, "could not count a click");
        }
    }
    let mut response = (StatusCode::FOUND, [(header::LOCATION, url)]).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Who clicked: the peer's address, or — when the peer is a proxy on a private address — the first
/// address of its `X-Forwarded-For` (a public client cannot pass itself off as another this way).
fn client_address(peer: Option<std::net::IpAddr>, headers: &HeaderMap) -> String {
    let forwarded = || {
        headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string())
    };
    match peer {
        Some(ip) if !crate::fetch::is_public(ip) => forwarded().unwrap_or_else(|| ip.to_string()),
        Some(ip) => ip.to_string(),
        None => forwarded().unwrap_or_default(),
    }
}

async fn popular(State(state): State<AppState>) -> Response {
    let now = crate::now_unix();
    let since = now - crate::popular::WINDOW_DAYS * 86_400;
    match state.store.clicked_posts(since, POPULAR_CANDIDATES).await {
        Ok(posts) => {
            let mut ranked = crate::popular::rank(posts, now);
            ranked.truncate(PAGE_SIZE as usize);
            let page = PopularPage {
                cards: ranked.into_iter().map(|p| card(p, now)).collect(),
                empty_message: "아직 인기 글이 없습니다. 글을 읽으면 여기에 모입니다.",
                window_days: crate::popular::WINDOW_DAYS,
            };
            match page.render() {
                Ok(html) => Html(html).into_response(),
                Err(e) => internal_error(e),
            }
        }
        Err(e) => internal_error(e),
    }
}

struct DirectoryEntry {
    id: String,
    name: String,
    posts: i64,
    last_post: String,
    last_post_datetime: String,
}

#[derive(Template)]
#[template(path = "companies.html")]
struct CompaniesPage {
    entries: Vec<DirectoryEntry>,
}

/// Every company with posts, the most recently active first.
async fn companies(State(state): State<AppState>) -> Response {
    let mut sources = match state.store.sources().await {
        Ok(s) => s,
        Err(e) => return internal_error(e),
    };
    sources.retain(|s| s.post_count > 0);
    sources.sort_by(|a, b| b.last_post_at.cmp(&a.last_post_at).then(a.spec.name_ko.cmp(&b.spec.name_ko)));
    let entries = sources
        .into_iter()
        .map(|s| {
            let (last_post, last_post_datetime) = s.last_post_at.map(kst).unwrap_or_default();
            DirectoryEntry {
                id: s.spec.id,
                name: s.spec.name_ko,
                posts: s.post_count,
                last_post: last_post.split(' ').next().unwrap_or("").to_string(),
                last_post_datetime,
            }
        })
        .collect();
    match (CompaniesPage { entries }).render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => internal_error(e),
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    q: String,
    cards: Vec<Card>,
    empty_message: &'static str,
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

/// Words of a query taken at most, and characters of each.
const SEARCH_WORDS: usize = 8;
const SEARCH_WORD_CHARS: usize = 64;
const SEARCH_RESULTS: u32 = 50;

/// The search page: every word must appear in the title, summary or company name (the full-text index
/// of the search issue replaces this plain match).
async fn search(State(state): State<AppState>, Query(query): Query<SearchQuery>) -> Response {
    let q = query.q.unwrap_or_default().trim().chars().take(200).collect::<String>();
    let words: Vec<String> =
        q.split_whitespace().take(SEARCH_WORDS).map(|w| w.chars().take(SEARCH_WORD_CHARS).collect()).collect();
    let posts = if words.is_empty() {
        Vec::new()
    } else {
        match state.store.search_posts(&words, SEARCH_RESULTS).await {
            Ok(p) => p,
            Err(e) => return internal_error(e),
        }
    };
    let now = crate::now_unix();
    let page = SearchPage {
        q,
        cards: posts.into_iter().map(|p| card(p, now)).collect(),
        empty_message: "찾는 낱말이 든 글이 없습니다. 다른 낱말로 찾아 보세요.",
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => internal_error(e),
    }
}

async fn sources_opml(State(state): State<AppState>) -> Response {
    match state.store.sources().await {
        Ok(sources) => (
            [(header::CONTENT_TYPE, "text/x-opml; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
            crate::syndication::opml("기술 블로그 모음", &sources),
        )
            .into_response(),
        Err(e) => internal_error(e),
    }
}

async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.store.sources().await {
        Ok(sources) => (
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
            crate::syndication::sitemap(&base_url(&state, &headers), &sources),
        )
            .into_response(),
        Err(e) => internal_error(e),
    }
}

async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = base_url(&state, &headers);
    let body = format!("User-agent: *\nAllow: /\nDisallow: /go/\nDisallow: /websub/\n\nSitemap: {base}/sitemap.xml\n");
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// Responses bigger than this are sent without an ETag rather than buffered to hash them.
const ETAG_MAX_BYTES: usize = 8 << 20;

/// `ETag` on every successful GET (a hash of the body, so every web process computes the same one; weak,
/// since br and gzip encodings of the body share it) and a bodiless 304 when the reader already has it.
/// HTML pages default to a minute of caching.
async fn conditional_get(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let is_get = request.method() == axum::http::Method::GET || request.method() == axum::http::Method::HEAD;
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if !is_get || response.status() != StatusCode::OK || response.headers().contains_key(header::ETAG) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, ETAG_MAX_BYTES).await {
        Ok(b) => b,
        Err(e) => return internal_error(e),
    };
    let tag = format!("\"{}\"", fnv1a(&bytes));
    let etag = format!("W/{tag}");
    if let Ok(value) = HeaderValue::from_str(&etag) {
        parts.headers.insert(header::ETAG, value);
    }
    let html = parts.headers.get(header::CONTENT_TYPE).is_some_and(|ct| ct.as_bytes().starts_with(b"text/html"));
    if html && !parts.headers.contains_key(header::CACHE_CONTROL) {
        parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    }
    let matches = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == tag || t.trim() == "*"));
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, axum::body::Body::empty());
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// 64-bit FNV-1a: stable across processes and versions, enough to tell bodies apart.
fn fnv1a_u64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn fnv1a(bytes: &[u8]) -> String {
    format!("{:016x}", fnv1a_u64(bytes))
}

/// A hub verifying a subscription: the challenge echoed, or 404 for one moa did not ask for.
async fn websub_verify(
    State(state): State<AppState>,
    axum::extract::Path(source_id): axum::extract::Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    match crate::websub::verify(state.store.as_ref(), &source_id, &query).await {
        Some(challenge) => ([(header::CONTENT_TYPE, "text/plain")], challenge).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A hub pushing new content. Signed with the subscription's secret, it is stored at once; otherwise it
/// is ignored — yet answered 2xx, as WebSub asks, so a forger learns nothing.
async fn websub_push(
    State(state): State<AppState>,
    axum::extract::Path(source_id): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let subscription = match state.store.subscription(&source_id).await {
        Ok(Some(s)) if s.state == SubscriptionState::Active => s,
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return internal_error(e),
    };
    let signature = headers.get("x-hub-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !crate::websub::signature_valid(&subscription.secret, signature, &body) {
        tracing::warn!(source = %source_id, "WebSub push with a bad signature ignored");
        return StatusCode::ACCEPTED.into_response();
    }
    let charset = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(crate::fetch::charset_of);
    let now = crate::now_unix();
    let options = moa_feed::ParseOptions {
        url: moa_feed::Url::parse(&subscription.topic).ok(),
        http_charset: charset,
        timezone_offset: state.timezone_offset,
        now: Some(now),
        ..moa_feed::ParseOptions::default()
    };
    let feed = match moa_feed::parse(&body, &options) {
        Ok(feed) => feed,
        Err(e) => {
            tracing::warn!(source = %source_id, error = %e, "WebSub push is not a feed");
            return StatusCode::ACCEPTED.into_response();
        }
    };
    let posts = crate::crawl::posts_of(feed);
    match state.store.store_pushed(&source_id, now, &posts).await {
        Ok(stats) => {
            tracing::info!(source = %source_id, new = stats.new, updated = stats.updated, "WebSub push stored");
            if let Some(notifier) = &state.notifier {
                let name = state.store.source(&source_id).await.ok().flatten().map(|s| s.spec.name_ko);
                notifier.announce(
                    &source_id,
                    &name.unwrap_or_else(|| source_id.clone()),
                    crate::crawl::announced(&stats, &posts),
                );
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => internal_error(e),
    }
}

fn internal_error(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "request failed");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; script-src 'self'; style-src 'self'; img-src https: http: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    response
}

async fn theme_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        THEME_JS,
    )
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLE)
}

#[derive(Debug, Deserialize)]
pub struct HomeQuery {
    company: Option<String>,
    before: Option<String>,
}

struct Card {
    id: i64,
    company_id: String,
    company_name: String,
    title: String,
    url: Option<String>,
    date_kst: String,
    datetime: String,
    /// "3시간 전"; the absolute date once it is more than a month old.
    ago: String,
    /// The company's generated badge: its first letter, and one of the badge colours.
    initial: String,
    badge: u8,
    summary: Option<String>,
    thumbnail: Option<String>,
    tags: Vec<String>,
}

/// Cards show at most this many of a post's tags.
const CARD_TAGS: usize = 3;

/// How long ago, as a Korean reader says it; past 30 days, the date itself.
fn ago_ko(ts: i64, now: i64, date_kst: &str) -> String {
    let s = (now - ts).max(0);
    match s {
        0..60 => "방금".into(),
        60..3600 => format!("{}분 전", s / 60),
        3600..86_400 => format!("{}시간 전", s / 3600),
        86_400..2_592_000 => format!("{}일 전", s / 86_400),
        _ => date_kst.split(' ').next().unwrap_or(date_kst).to_string(),
    }
}

struct CompanyOption {
    id: String,
    name: String,
    count: i64,
    selected: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    cards: Vec<Card>,
    empty_message: &'static str,
    companies: Vec<CompanyOption>,
    company_name: Option<String>,
    company_homepage: Option<String>,
    company_id: Option<String>,
    company_posts: i64,
    first_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Template)]
#[template(path = "popular.html")]
struct PopularPage {
    cards: Vec<Card>,
    empty_message: &'static str,
    window_days: i64,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    title: String,
    message: String,
}

/// `YYYY-MM-DD HH:MM` in Korea Standard Time, and the RFC 3339 form for `<time datetime>`.
fn kst(ts: i64) -> (String, String) {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(ts) else { return (String::new(), String::new()) };
    let t = t.to_offset(KST);
    let (y, mo, d, h, mi) = (t.year(), t.month() as u8, t.day(), t.hour(), t.minute());
    (
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}"),
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{:02}+09:00", t.second()),
    )
}

/// Badge colours defined in the stylesheet (`.badge.c0` …).
const BADGE_COLOURS: u64 = 8;

/// A company's badge: the first letter of its name (uppercased if Latin) and a colour fixed by its id.
fn badge(id: &str, name: &str) -> (String, u8) {
    let initial = name.chars().find(|c| c.is_alphanumeric()).map(|c| c.to_uppercase().collect()).unwrap_or_default();
    let colour = fnv1a_u64(id.as_bytes()) % BADGE_COLOURS;
    (initial, colour as u8)
}

fn card(p: Post, now: i64) -> Card {
    let (date_kst, datetime) = kst(p.sort_at);
    let (initial, badge) = badge(&p.source_id, &p.source_name_ko);
    Card {
        initial,
        badge,
        ago: ago_ko(p.sort_at, now, &date_kst),
        tags: p.categories.into_iter().take(CARD_TAGS).collect(),
        id: p.id,
        company_id: p.source_id,
        company_name: p.source_name_ko,
        title: p.title,
        url: p.url,
        date_kst,
        datetime,
        summary: p.summary,
        thumbnail: p.thumbnail,
    }
}

fn page_href(company: Option<&str>, before: Option<Cursor>) -> String {
    let path = company.map_or_else(|| "/".to_string(), |c| format!("/company/{c}"));
    match before {
        Some(b) => format!("{path}?before={}", b.encode()),
        None => path,
    }
}

async fn home(State(state): State<AppState>, Query(q): Query<HomeQuery>) -> Response {
    // The company filter of the first version lives on at its own address.
    if let Some(company) = q.company.as_deref().filter(|c| !c.is_empty()) {
        let before = q.before.as_deref().and_then(Cursor::decode);
        return axum::response::Redirect::permanent(&page_href(Some(company), before)).into_response();
    }
    page(&state, q).await
}

/// A company's page: its name, homepage, feed and post count, then its posts.
async fn company_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(mut q): Query<HomeQuery>,
) -> Response {
    q.company = Some(id);
    page(&state, q).await
}

async fn page(state: &AppState, q: HomeQuery) -> Response {
    match render_home(state, q).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "home page failed");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "오류",
                "페이지를 만드는 중 오류가 났습니다. 잠시 뒤 다시 시도해 주세요.",
            )
        }
    }
}

async fn render_home(state: &AppState, q: HomeQuery) -> anyhow::Result<Response> {
    let company = q.company.filter(|c| !c.is_empty());
    let sources = state.store.sources().await?;
    let selected = match &company {
        Some(id) => match sources.iter().find(|s| &s.spec.id == id) {
            Some(s) => Some(s),
            None => return Ok(message(StatusCode::NOT_FOUND, "회사를 찾을 수 없습니다", "목록에 없는 회사입니다.")),
        },
        None => None,
    };
    // A malformed cursor is treated as no cursor: the reader lands on the newest posts.
    let before = q.before.as_deref().and_then(Cursor::decode);
    let mut posts = state
        .store
        .posts(&PostQuery { source_id: company.clone(), before, limit: PAGE_SIZE + 1, ..PostQuery::default() })
        .await?;
    let has_more = posts.len() > PAGE_SIZE as usize;
    posts.truncate(PAGE_SIZE as usize);
    let next_href = has_more.then(|| page_href(company.as_deref(), posts.last().map(Post::cursor)));
    let mut companies: Vec<CompanyOption> = sources
        .iter()
        .filter(|s| s.enabled || s.post_count > 0)
        .map(|s| CompanyOption {
            id: s.spec.id.clone(),
            name: s.spec.name_ko.clone(),
            count: s.post_count,
            selected: company.as_deref() == Some(s.spec.id.as_str()),
        })
        .collect();
    companies.sort_by(|a, b| a.name.cmp(&b.name));
    let page = HomePage {
        cards: posts.into_iter().map(|p| card(p, crate::now_unix())).collect(),
        empty_message: "아직 모은 글이 없습니다. 수집이 끝나면 여기에 표시됩니다.",
        companies,
        company_name: selected.map(|s| s.spec.name_ko.clone()),
        company_homepage: selected.map(|s| s.spec.homepage.clone()).filter(|h| h.starts_with("http")),
        company_id: selected.map(|s| s.spec.id.clone()),
        company_posts: selected.map_or(0, |s| s.post_count),
        first_href: before.map(|_| page_href(company.as_deref(), None)),
        next_href,
    };
    Ok(Html(page.render()?).into_response())
}

fn message(status: StatusCode, title: &str, message: &str) -> Response {
    let page = MessagePage { title: title.into(), message: message.into() };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message.to_string()).into_response(),
    }
}

async fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "페이지를 찾을 수 없습니다", "주소를 다시 확인해 주세요.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_shown_in_kst() {
        assert_eq!(kst(1_739_149_980), ("2025-02-10 10:13".into(), "2025-02-10T10:13:00+09:00".into()));
    }

    #[test]
    fn badges_take_the_first_letter_and_a_stable_colour() {
        assert_eq!(badge("woowahan", "우아한형제들").0, "우");
        assert_eq!(badge("line", "line engineering").0, "L");
        assert_eq!(badge("x", "(주)카카오").0, "주");
        assert_eq!(badge("toss", "토스"), badge("toss", "토스"));
        assert!((0..8).contains(&badge("toss", "토스").1));
        let colours: std::collections::HashSet<u8> =
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].iter().map(|id| badge(id, "x").1).collect();
        assert!(colours.len() > 3, "ids spread over the colours: {colours:?}");
    }

    #[test]
    fn relative_times_in_korean() {
        let now = 1_750_000_000;
        let at = |ago: i64| ago_ko(now - ago, now, "2025-02-10 10:13");
        assert_eq!(
            [at(5), at(90), at(3 * 3600 + 5), at(2 * 86_400), at(40 * 86_400), at(-30)],
            ["방금", "1분 전", "3시간 전", "2일 전", "2025-02-10", "방금"]
        );
    }

    #[test]
    fn page_links_keep_the_filter() {
        let c = Cursor { sort_at: 5, id: 7 };
        assert_eq!(page_href(Some("woowahan"), Some(c)), "/company/woowahan?before=5.7");
        assert_eq!(page_href(None, Some(c)), "/?before=5.7");
        assert_eq!(page_href(None, None), "/");
    }
}
