//! The readers' web: server-rendered HTML that works without JavaScript.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::HeaderMap;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use moa_store::{Cursor, Post, PostQuery, Store, SubscriptionState};

use crate::i18n::Ui;
use crate::webhook::Notifier;
use serde::Deserialize;

pub const PAGE_SIZE: u32 = 20;
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
    /// Reads pages for scraps of any URL (the crawler's limits and address guard); without it, a scrap's
    /// title is the one the curator gives.
    pub fetcher: Option<crate::fetch::Fetcher>,
    /// The full-text index; without it, the search page says search is not ready.
    pub search: Option<Arc<crate::search::Search>>,
    /// The crawler of this process, for the console's "refresh now"; without it a refreshed source is
    /// only made due, for whichever process crawls.
    pub crawler: Option<Arc<crate::crawl::Crawler>>,
    /// The settings in effect (key, variable, value), for the console's settings page.
    pub settings: Arc<Vec<(&'static str, &'static str, String)>>,
    /// Who may read `/metrics` and sources' error texts.
    pub operations: Arc<OperationsAccess>,
    /// Sign-ins in turn, per client address.
    pub sign_ins: Arc<crate::auth::SignInQueue>,
    /// The reverse proxies whose `X-Forwarded-For` is believed; none by default.
    pub trusted_proxies: Arc<crate::listen::TrustedProxies>,
    /// How long a built page, feed or API answer is served again; zero builds every answer afresh.
    cache_ttl: std::time::Duration,
    source_list: Arc<crate::cache::SourceList>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            timezone_offset: moa_feed::KST_OFFSET_SECONDS,
            notifier: None,
            public_url: None,
            fetcher: None,
            search: None,
            crawler: None,
            settings: Arc::default(),
            trusted_proxies: Arc::default(),
            operations: Arc::default(),
            sign_ins: Arc::default(),
            cache_ttl: crate::config::DEFAULT_CACHE_TTL,
            source_list: Arc::new(crate::cache::SourceList::new(crate::config::DEFAULT_CACHE_TTL)),
        }
    }

    pub fn with_search(self, search: Arc<crate::search::Search>) -> Self {
        Self { search: Some(search), ..self }
    }

    pub fn with_cache_ttl(self, ttl: std::time::Duration) -> Self {
        Self { cache_ttl: ttl, source_list: Arc::new(crate::cache::SourceList::new(ttl)), ..self }
    }

    /// Every source with its post count (see [`crate::cache::SourceList`]).
    pub async fn sources(&self) -> moa_store::Result<Arc<Vec<moa_store::SourceRow>>> {
        self.source_list.get(self.store.as_ref()).await
    }
}

pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .route("/", get(home))
        .route("/company/{id}", get(company_page))
        .route("/company/{id}/{file}", get(company_feed))
        .route("/companies", get(companies))
        .route("/tag/{tag}", get(tag_page))
        .route("/tag/{tag}/{file}", get(tag_feed))
        .route("/topic/{slug}", get(topic_page))
        .route("/topic/{slug}/{file}", get(topic_feed))
        .route("/static/style.css", get(style))
        .route("/static/theme.js", get(theme_js))
        // Browsers ask for it on their own; an SVG, which they read whatever the name says.
        .route("/favicon.ico", get(favicon))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/websub/{source_id}", get(websub_verify).post(websub_push))
        .route("/feed.xml", get(|s: State<AppState>, c: PageCtx| feed_out(s, c, Scope::All, FeedFormat::Rss)))
        .route("/atom.xml", get(|s: State<AppState>, c: PageCtx| feed_out(s, c, Scope::All, FeedFormat::Atom)))
        .route("/feed.json", get(|s: State<AppState>, c: PageCtx| feed_out(s, c, Scope::All, FeedFormat::Json)))
        .route("/sources.opml", get(sources_opml))
        .route("/go/{id}", get(go))
        // The id of a post in moa's feeds names this address; it leads to the article.
        .route(
            "/posts/{id}",
            get(|Path(id): Path<i64>| async move { axum::response::Redirect::permanent(&format!("/go/{id}")) }),
        )
        .route("/api/v1/posts", get(crate::api::posts))
        .route("/api/v1/posts/{id}", get(crate::api::post))
        .route("/api/v1/sources", get(crate::api::sources))
        .route("/api/v1/search", get(crate::api::search))
        .route("/api/openapi.json", get(crate::api::openapi))
        .route("/popular", get(popular))
        .route("/search", get(search))
        .route("/search/{file}", get(search_feed))
        .route("/login", get(crate::curate::login_form).post(crate::curate::login))
        .route("/logout", axum::routing::post(crate::curate::logout))
        .route("/curate", get(crate::curate::curate_now))
        .route("/curate/scrap-post", axum::routing::post(crate::curate::scrap_post))
        .route("/curate/scraps/{id}", axum::routing::post(crate::curate::edit_scrap))
        .route("/curate/scraps/{id}/move", axum::routing::post(crate::curate::move_scrap))
        .route("/curate/scraps/{id}/delete", axum::routing::post(crate::curate::delete_scrap))
        .route("/curate/{month}", get(crate::curate::curate_month))
        .route("/curate/{month}/scraps", axum::routing::post(crate::curate::add_scrap))
        .route("/curate/{month}/settings", axum::routing::post(crate::curate::save_settings))
        .route("/curate/{month}/preview", axum::routing::post(crate::curate::preview))
        .route("/curate/{month}/post.md", get(crate::curate::download))
        .route("/newsletter", get(|s: State<AppState>, c: PageCtx| crate::curate::public_month(s, c, None)))
        .route(
            "/newsletter/{month}",
            get(|s: State<AppState>, c: PageCtx, m: Path<String>| crate::curate::public_month(s, c, Some(m))),
        )
        .route("/scraps/feed.xml", get(crate::curate::scraps_feed))
        .route("/static/curate.js", get(curate_js))
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
        .merge(crate::console::routes())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), signed_in_language))
        .route_layer(axum::middleware::from_fn(crate::metrics::mark_route))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(conditional_get))
        // Outside the ETag: the tag names the content, the same whatever its encoding (hence weak).
        .layer(tower_http::compression::CompressionLayer::new().br(true).gzip(true));
    // Without `public_url`, absolute links follow the request's Host: shared caches must keep one copy
    // per host, or one request naming another host would poison the copy every reader gets.
    let router =
        if state.public_url.is_none() { router.layer(axum::middleware::from_fn(vary_on_host)) } else { router };
    let router = if state.cache_ttl.is_zero() {
        router
    } else {
        // Outside the compression, so a kept answer is not compressed again.
        let cache = Arc::new(crate::cache::PageCache::new(state.store.clone(), state.search.clone(), state.cache_ttl));
        router.layer(axum::middleware::from_fn_with_state(cache, crate::cache::layer))
    };
    router
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .with_state(state)
}

/// The signed-in pages keep the language a curator or an operator chose in the address (`?lang=en`, which
/// every form's address carries): a redirect after a form goes on in it, and a refused request
/// ([`crate::i18n::Refusal`]) becomes a page in it. Only these routes pay for keeping the request's address and
/// headers.
async fn signed_in_language(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    let signed_in_route = ["/curate", "/admin", "/login", "/logout"].iter().any(|p| path.starts_with(p));
    let kept = signed_in_route.then(|| (request.method().clone(), request.uri().clone(), request.headers().clone()));
    let mut response = next.run(request).await;
    let Some((method, uri, headers)) = kept else { return response };
    if let Some(refusal) = response.extensions().get::<crate::i18n::Refusal>().copied() {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        (parts.method, parts.uri, parts.headers) = (method, uri, headers);
        let Ok(ctx) = PageCtx::from_request_parts(&mut parts, &state).await;
        return message(ctx, refusal.status(), |t| refusal.text(t));
    }
    let lang = uri.query().and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "lang"));
    if let (Some((_, lang)), true) = (lang, response.status().is_redirection())
        && let Some(location) = response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok())
        && let Ok(value) = HeaderValue::from_str(&with_lang(location, &lang))
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// A local address with `lang=…` in its query (before any fragment), unless it has one already.
fn with_lang(location: &str, lang: &str) -> String {
    if !location.starts_with('/') || location.contains("lang=") || !matches!(lang, "ko" | "en") {
        return location.to_string();
    }
    let (path, fragment) = location.split_once('#').map_or((location, None), |(p, f)| (p, Some(f)));
    let joiner = if path.contains('?') { '&' } else { '?' };
    let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
    format!("{path}{joiner}lang={lang}{fragment}")
}

/// What a crawler process (`moa serve --role crawler`) serves: liveness, readiness and its metrics.
pub fn ops_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route_layer(axum::middleware::from_fn(crate::metrics::mark_route))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .with_state(state)
}

/// Ready when the database answers: a load balancer sends no traffic before.
/// How long `/readyz` waits for the database: a load balancer's check must not hang on a pool that keeps
/// retrying a server that is gone.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

async fn readyz(State(state): State<AppState>) -> Response {
    let answered = tokio::time::timeout(READY_TIMEOUT, state.store.ping())
        .await
        .unwrap_or_else(|_| Err(moa_store::StoreError::Unsupported(format!("no answer within {READY_TIMEOUT:?}"))));
    match answered {
        Ok(()) => ([(header::CACHE_CONTROL, "no-store")], "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CACHE_CONTROL, "no-store")],
                format!("database unreachable: {e}"),
            )
                .into_response()
        }
    }
}

/// What readers need is public; how the service runs (`/metrics`, the texts of fetch errors, which name
/// hosts and addresses) only when the operator says so, to a scraper with the token, or to an operator.
#[derive(Debug, Clone, Default)]
pub struct OperationsAccess {
    pub public: bool,
    /// `Authorization: Bearer TOKEN` opens `/metrics` (for Prometheus).
    pub metrics_token: Option<String>,
}

impl OperationsAccess {
    async fn allows_metrics(&self, state: &AppState, headers: &HeaderMap) -> bool {
        let bearer =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        self.public
            || matches!((&self.metrics_token, bearer), (Some(token), Some(given)) if crate::auth::same_token(token, given.trim()))
            || crate::session::curator_of(state, headers).await.is_some_and(|c| c.is_operator())
    }
}

async fn metrics(State(state): State<AppState>, ctx: PageCtx, headers: HeaderMap) -> Response {
    if !state.operations.allows_metrics(&state, &headers).await {
        return not_found(ctx).await;
    }
    let sources =
        state.sources().await.inspect_err(|e| tracing::warn!(error = %e, "cannot read the sources for /metrics"));
    let body = crate::metrics::render(state.store.as_ref(), sources.as_deref().ok().map(Vec::as_slice)).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body)
        .into_response()
}

/// What a list of posts holds.
#[derive(Debug, Clone)]
enum Scope {
    All,
    Company(String),
    Tag(String),
    /// A topic slug of the tagger.
    Topic(String),
}

impl Scope {
    /// The list's page, relative to the site.
    fn path(&self) -> String {
        match self {
            Self::All => "/".into(),
            Self::Company(id) => format!("/company/{}", encode_segment(id)),
            Self::Tag(tag) => format!("/tag/{}", encode_segment(tag)),
            Self::Topic(slug) => format!("/topic/{}", encode_segment(slug)),
        }
    }
}

fn encode_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

/// What every page needs besides its content: the reader's language, this site's address, and the
/// page's canonical and other-language addresses.
pub struct PageCtx {
    pub ui: Ui,
    pub base: String,
    pub head: Head,
    /// The signed-in curator, when the request carries a session.
    pub curator: Option<crate::session::Curator>,
}

impl PageCtx {
    /// The CSRF token cards' scrap buttons carry, for a signed-in curator.
    fn scrap_csrf(&self) -> Option<String> {
        self.curator.as_ref().map(|c| c.csrf.clone())
    }
}

pub struct Head {
    /// Absolute under `public_url`; without it a path, since the `Host` a request names is the client's
    /// word, not this site's address.
    pub canonical: String,
    /// Whether `canonical` is absolute (og:url must be).
    pub absolute: bool,
    pub switch_href: String,
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let pairs: Vec<(String, String)> = parts
            .uri
            .query()
            .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let lang = pairs.iter().find(|(k, _)| k == "lang").map(|(_, v)| v.as_str());
        let ui = crate::i18n::negotiate(lang, &parts.headers);
        let base = base_url(state, &parts.headers);
        let with_lang = |lang: Option<&str>| {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs.iter().filter(|(k, _)| k != "lang") {
                q.append_pair(k, v);
            }
            if let Some(lang) = lang {
                q.append_pair("lang", lang);
            }
            let q = q.finish();
            if q.is_empty() { parts.uri.path().to_string() } else { format!("{}?{q}", parts.uri.path()) }
        };
        let canonical_lang = (ui.lang == crate::i18n::Lang::En).then_some("en");
        let site = state.public_url.as_ref().map_or("", |u| u.as_str().trim_end_matches('/'));
        let head = Head {
            canonical: format!("{site}{}", with_lang(canonical_lang)),
            absolute: !site.is_empty(),
            // A page answering a form (an error, a confirmation) has a POST-only address: its other language is
            // offered on the page that form came from.
            switch_href: if matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD) {
                with_lang(Some(ui.other_lang))
            } else {
                format!("{}?lang={}", form_home(parts.uri.path()), ui.other_lang)
            },
        };
        let curator = crate::session::curator_of(state, &parts.headers).await;
        Ok(Self { ui, base, head, curator })
    }
}

/// Where a form posted to `path` lives.
fn form_home(path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["admin", "sources"] | ["admin", "sources", "discover" | "scrape-preview"] => "/admin/sources/new".into(),
        ["admin", "sources", id, ..] => format!("/admin/sources/{id}"),
        ["admin", "users", ..] => "/admin/users".into(),
        ["admin", ..] => "/admin/sources".into(),
        ["curate", ..] => "/curate".into(),
        ["login"] => "/login".into(),
        _ => "/".into(),
    }
}

/// A rendered page; its language follows `Accept-Language`, which caches must know. A page made for a
/// signed-in curator (it carries their CSRF token) is kept by no cache.
pub(crate) fn html_page(page: &impl Template, private: bool) -> Response {
    match page.render() {
        Ok(html) => {
            let mut r = ([(header::VARY, "Accept-Language")], Html(html)).into_response();
            if private {
                r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            }
            r
        }
        Err(e) => internal_error(e),
    }
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
    fn from_file(file: &str) -> Option<Self> {
        match file {
            "feed.xml" => Some(Self::Rss),
            "atom.xml" => Some(Self::Atom),
            "feed.json" => Some(Self::Json),
            _ => None,
        }
    }

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

/// This site's address for links that must be absolute (feeds, sitemaps, the JSON API): `public_url`,
/// else the request's `Host` (and then every answer varies by it: see [`vary_on_host`]).
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    match &state.public_url {
        Some(u) => u.as_str().trim_end_matches('/').to_string(),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

/// Feeds out are in Korean, whatever the reader's page language.
const SITE_TITLE: &str = crate::i18n::KO.site_title;

async fn company_feed(state: State<AppState>, ctx: PageCtx, Path((id, file)): Path<(String, String)>) -> Response {
    match FeedFormat::from_file(&file) {
        Some(format) => feed_out(state, ctx, Scope::Company(id), format).await,
        None => not_found(ctx).await,
    }
}

async fn tag_feed(state: State<AppState>, ctx: PageCtx, Path((tag, file)): Path<(String, String)>) -> Response {
    match FeedFormat::from_file(&file) {
        Some(format) => feed_out(state, ctx, Scope::Tag(tag), format).await,
        None => not_found(ctx).await,
    }
}

async fn topic_feed(state: State<AppState>, ctx: PageCtx, Path((slug, file)): Path<(String, String)>) -> Response {
    match FeedFormat::from_file(&file).filter(|_| moa_search::topics::topic(&slug).is_some()) {
        Some(format) => feed_out(state, ctx, Scope::Topic(slug), format).await,
        None => not_found(ctx).await,
    }
}

/// The newest posts of all companies, of one, or of one tag, as RSS 2.0, Atom 1.0 or JSON Feed 1.1.
async fn feed_out(State(state): State<AppState>, ctx: PageCtx, scope: Scope, format: FeedFormat) -> Response {
    let base = &ctx.base;
    let list = format!("{base}{}", scope.path());
    let self_url = format!("{}/{}", list.trim_end_matches('/'), format.file());
    let channel = match &scope {
        Scope::All => crate::syndication::Channel {
            title: SITE_TITLE.into(),
            description: crate::i18n::KO.tagline.into(),
            site_url: list,
            self_url,
            language: "ko",
        },
        Scope::Company(id) => {
            let source = match state.store.source(id).await {
                Ok(Some(s)) => s,
                Ok(None) => return not_found(ctx).await,
                Err(e) => return internal_error(e),
            };
            crate::syndication::Channel {
                title: format!("{} — {SITE_TITLE}", source.spec.name_ko),
                description: format!("{}의 기술 블로그 새 글", source.spec.name_ko),
                site_url: list,
                self_url,
                language: "ko",
            }
        }
        Scope::Tag(tag) => crate::syndication::Channel {
            title: format!("#{tag} — {SITE_TITLE}"),
            description: format!("‘{tag}’ 태그가 붙은 기술 블로그 새 글"),
            site_url: list,
            self_url,
            language: "ko",
        },
        Scope::Topic(slug) => {
            let name = moa_search::topics::topic(slug).map_or(slug.as_str(), |t| t.ko);
            crate::syndication::Channel {
                title: format!("{name} — {SITE_TITLE}"),
                description: format!("‘{name}’ 주제의 기술 블로그 새 글"),
                site_url: list,
                self_url,
                language: "ko",
            }
        }
    };
    let query = scope_query(&scope, None, FEED_SIZE);
    match state.store.posts(&query).await {
        Ok(posts) => feed_response(format, &channel, &posts),
        Err(e) => internal_error(e),
    }
}

fn scope_query(scope: &Scope, before: Option<Cursor>, limit: u32) -> PostQuery {
    let (source_id, tag, topic) = match scope {
        Scope::All => (None, None, None),
        Scope::Company(id) => (Some(id.clone()), None, None),
        Scope::Tag(tag) => (None, Some(tag.clone()), None),
        Scope::Topic(slug) => (None, None, Some(slug.clone())),
    };
    PostQuery { source_id, tag, topic, before, limit, ..PostQuery::default() }
}

fn feed_response(format: FeedFormat, channel: &crate::syndication::Channel, posts: &[Post]) -> Response {
    let body = match format {
        FeedFormat::Rss => crate::syndication::rss(channel, posts),
        FeedFormat::Atom => crate::syndication::atom(channel, posts),
        FeedFormat::Json => crate::syndication::json_feed(channel, posts),
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
    ctx: PageCtx,
    Path(id): Path<i64>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
) -> Response {
    let post = match state.store.post(id).await {
        Ok(Some(p)) => p,
        Ok(None) => return not_found(ctx).await,
        Err(e) => return internal_error(e),
    };
    let Some(url) = post.url.filter(|u| u.starts_with("http://") || u.starts_with("https://")) else {
        return not_found(ctx).await;
    };
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !crate::popular::is_bot(user_agent) {
        let client = fnv1a(format!("{}\n{user_agent}", client_address(&state, &extensions, &headers)).as_bytes());
        if let Err(e) = state.store.record_click(id, &client, crate::now_unix(), CLICK_WINDOW_SECONDS).await {
            tracing::error!(post = id, error = %e, "could not count a click");
        }
    }
    let mut response = (StatusCode::FOUND, [(header::LOCATION, url)]).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Who a request is from (see [`crate::listen::TrustedProxies::client`]; an IPv6 client by its /64), as
/// text for counters.
pub(crate) fn client_address(state: &AppState, extensions: &axum::http::Extensions, headers: &HeaderMap) -> String {
    state
        .trusted_proxies
        .client(crate::listen::peer_of(extensions), headers)
        .map(|ip| crate::listen::client_key(ip).to_string())
        .unwrap_or_default()
}

async fn popular(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let now = crate::now_unix();
    let since = now - crate::popular::WINDOW_DAYS * 86_400;
    match state.store.clicked_posts(since, POPULAR_CANDIDATES).await {
        Ok(posts) => {
            let mut ranked = crate::popular::rank(posts, now);
            ranked.truncate(PAGE_SIZE as usize);
            let scrap_csrf = ctx.scrap_csrf();
            html_page(
                &PopularPage {
                    cards: ranked.into_iter().map(|p| card(p, now, &ctx.ui)).collect(),
                    empty_message: ctx.ui.t.empty_popular,
                    window_days: crate::popular::WINDOW_DAYS,
                    ui: ctx.ui,
                    head: ctx.head,
                    scrap_csrf: scrap_csrf.clone(),
                },
                scrap_csrf.is_some(),
            )
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
    ui: Ui,
    head: Head,
    entries: Vec<DirectoryEntry>,
}

/// Every company with posts, the most recently active first.
async fn companies(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let mut sources: Vec<_> = match state.sources().await {
        Ok(s) => s.iter().filter(|s| s.post_count > 0).cloned().collect(),
        Err(e) => return internal_error(e),
    };
    sources.sort_by(|a, b| b.last_post_at.cmp(&a.last_post_at).then(a.spec.name_ko.cmp(&b.spec.name_ko)));
    let entries = sources
        .into_iter()
        .map(|s| {
            let (last_post, last_post_datetime) =
                s.last_post_at.map(|t| (crate::kst::minute(t), crate::kst::rfc3339(t))).unwrap_or_default();
            DirectoryEntry {
                name: company_name(&ctx.ui, &s.spec.name_ko, &s.spec.name_en).to_string(),
                id: s.spec.id,
                posts: s.post_count,
                last_post: last_post.split(' ').next().unwrap_or("").to_string(),
                last_post_datetime,
            }
        })
        .collect();
    let private = ctx.curator.is_some();
    html_page(&CompaniesPage { ui: ctx.ui, head: ctx.head, entries }, private)
}

/// A company's name in the page's language (the Korean one when it has no English name).
fn company_name<'a>(ui: &Ui, ko: &'a str, en: &'a str) -> &'a str {
    if ui.lang == crate::i18n::Lang::En && !en.trim().is_empty() { en } else { ko }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    ui: Ui,
    head: Head,
    scrap_csrf: Option<String>,
    q: String,
    total: usize,
    cards: Vec<Card>,
    empty_message: &'static str,
    /// False while the index is not open: the page says so instead of "nothing found".
    available: bool,
    companies: Vec<CompanyOption>,
    topics: Vec<TopicOption>,
    from: String,
    to: String,
    by_date: bool,
    feed_href: Option<String>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

struct TopicOption {
    slug: &'static str,
    name: &'static str,
    selected: bool,
}

/// A search as the address gives it: `/search?q=…&company=ID&topic=SLUG&tag=T&from=YYYY-MM-DD&to=YYYY-MM-DD&sort=date&page=N`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SearchParams {
    pub q: Option<String>,
    pub company: Option<String>,
    pub topic: Option<String>,
    pub tag: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `date` for newest first; relevance otherwise.
    pub sort: Option<String>,
    /// 1-based.
    pub page: Option<usize>,
    pub limit: Option<usize>,
}

/// Characters of a query read; the rest is dropped.
const QUERY_CHARS: usize = 200;
pub const SEARCH_PAGE: usize = 20;
/// Pages of results offered: relevance that deep is noise, and deep offsets cost the index.
pub const SEARCH_MAX_PAGE: usize = 50;

pub(crate) fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from)
}

impl SearchParams {
    pub fn text(&self) -> String {
        self.q.as_deref().unwrap_or("").trim().chars().take(QUERY_CHARS).collect()
    }

    fn by_date(&self) -> bool {
        self.sort.as_deref() == Some("date")
    }

    pub fn page(&self) -> usize {
        self.page.unwrap_or(1).clamp(1, SEARCH_MAX_PAGE)
    }

    /// The index's query: dates are days in Korea, `to` included.
    pub fn query(&self, limit: usize) -> moa_search::SearchQuery {
        moa_search::SearchQuery {
            text: self.text(),
            source_id: non_empty(&self.company),
            tag: non_empty(&self.tag),
            topic: non_empty(&self.topic),
            since: non_empty(&self.from).and_then(|d| crate::kst::day_start(&d)),
            until: non_empty(&self.to).and_then(|d| crate::kst::day_start(&d)).map(|t| t + 86_400),
            sort: if self.by_date() { moa_search::Sort::Newest } else { moa_search::Sort::Relevance },
            limit,
            offset: (self.page() - 1) * limit,
            now: crate::now_unix(),
        }
    }

    /// The address of this search at `path` (another page of it, or its feed), filters kept.
    fn href(&self, path: &str, page: Option<usize>, ui: &Ui) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("q", &self.text());
        for (key, value) in [
            ("company", &self.company),
            ("topic", &self.topic),
            ("tag", &self.tag),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = non_empty(value) {
                q.append_pair(key, &v);
            }
        }
        if self.by_date() {
            q.append_pair("sort", "date");
        }
        if let Some(page) = page.filter(|p| *p > 1) {
            q.append_pair("page", &page.to_string());
        }
        format!("{path}?{}{}", q.finish(), ui.amp)
    }
}

/// The search page: the index's hits with their matches marked, filters by company, topic and dates, and
/// newest-first or by relevance.
async fn search(State(state): State<AppState>, ctx: PageCtx, Query(params): Query<SearchParams>) -> Response {
    let q = params.text();
    let ui = ctx.ui;
    let sources = match state.sources().await {
        Ok(s) => s,
        Err(e) => return internal_error(e),
    };
    let company = non_empty(&params.company);
    let topic = non_empty(&params.topic);
    match unknown_filter(state.store.as_ref(), company.as_deref(), topic.as_deref()).await {
        Ok(Some(unknown)) => return unknown.page(ctx),
        Ok(None) => {}
        Err(e) => return internal_error(e),
    }
    let mut companies: Vec<CompanyOption> = sources
        .iter()
        .filter(|s| s.post_count > 0)
        .map(|s| CompanyOption {
            id: s.spec.id.clone(),
            name: company_name(&ui, &s.spec.name_ko, &s.spec.name_en).to_string(),
            count: s.post_count,
            selected: company.as_deref() == Some(s.spec.id.as_str()),
        })
        .collect();
    companies.sort_by(|a, b| a.name.cmp(&b.name));
    let topics = moa_search::topics::TOPICS
        .iter()
        .map(|t| TopicOption { slug: t.slug, name: ui.topic_name(t), selected: topic.as_deref() == Some(t.slug) })
        .collect();
    let page = params.page();
    let (results, available) = match (&state.search, q.is_empty()) {
        (_, true) => (crate::search::Results::default(), true),
        (None, false) => (crate::search::Results::default(), false),
        (Some(search), false) => match search.search(&params.query(SEARCH_PAGE)).await {
            Ok(r) => (r, true),
            Err(e) => return page_error(PageCtx { ui, ..ctx }, format!("{e:#}")),
        },
    };
    let now = crate::now_unix();
    let cards = results
        .found
        .into_iter()
        .map(|(hit, post)| {
            let mut c = card(post, now, &ui);
            c.title_html = Some(hit.title_html);
            c.snippet_html = Some(hit.snippet_html).filter(|s| !s.trim().is_empty());
            c
        })
        .collect();
    let shown = (page - 1) * SEARCH_PAGE + SEARCH_PAGE;
    let scrap_csrf = ctx.scrap_csrf();
    let private = scrap_csrf.is_some();
    let has_query = !q.is_empty();
    html_page(
        &SearchPage {
            cards,
            total: results.total,
            empty_message: ui.t.empty_search,
            available,
            companies,
            topics,
            from: non_empty(&params.from).unwrap_or_default(),
            to: non_empty(&params.to).unwrap_or_default(),
            by_date: params.by_date(),
            feed_href: has_query.then(|| params.href("/search/feed.xml", None, &Ui { amp: "", ..ui })),
            prev_href: (has_query && page > 1).then(|| params.href("/search", Some(page - 1), &ui)),
            next_href: (has_query && results.total > shown && page < SEARCH_MAX_PAGE)
                .then(|| params.href("/search", Some(page + 1), &ui)),
            ui,
            head: ctx.head,
            scrap_csrf,
            q,
        },
        private,
    )
}

/// One rule for names the filters do not know, in pages, feeds and the API: a company or a topic that does
/// not exist is a 404 (an unknown tag is only an empty result). A retired company's posts stay listed, as on
/// its page.
pub(crate) async fn unknown_filter(
    store: &dyn Store,
    company: Option<&str>,
    topic: Option<&str>,
) -> moa_store::Result<Option<UnknownFilter>> {
    if let Some(id) = company
        && store.source(id).await?.is_none()
    {
        Ok(Some(UnknownFilter::Company))
    } else if topic.is_some_and(|t| moa_search::topics::topic(t).is_none()) {
        Ok(Some(UnknownFilter::Topic))
    } else {
        Ok(None)
    }
}

pub(crate) enum UnknownFilter {
    Company,
    Topic,
}

impl UnknownFilter {
    fn page(self, ctx: PageCtx) -> Response {
        match self {
            Self::Company => message(ctx, StatusCode::NOT_FOUND, |t| (t.no_company, t.no_company_message)),
            Self::Topic => message(ctx, StatusCode::NOT_FOUND, |t| (t.not_found, t.not_found_message)),
        }
    }
}

/// A search as a feed: `/search/feed.xml?q=…` (and `atom.xml`, `feed.json`), newest first, the search
/// page's filters kept, to follow a subject.
async fn search_feed(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(file): Path<String>,
    Query(params): Query<SearchParams>,
) -> Response {
    let q = params.text();
    let (Some(format), Some(search)) = (FeedFormat::from_file(&file).filter(|_| !q.is_empty()), &state.search) else {
        return not_found(ctx).await;
    };
    let (company, topic) = (non_empty(&params.company), non_empty(&params.topic));
    match unknown_filter(state.store.as_ref(), company.as_deref(), topic.as_deref()).await {
        Ok(Some(unknown)) => return unknown.page(ctx),
        Ok(None) => {}
        Err(e) => return internal_error(e),
    }
    let params = SearchParams { page: None, ..params };
    let no_lang = Ui { amp: "", ..ctx.ui };
    let channel = crate::syndication::Channel {
        title: format!("“{q}” — {SITE_TITLE}"),
        description: format!("‘{q}’ 검색 결과의 새 글"),
        site_url: format!("{}{}", ctx.base, params.href("/search", None, &no_lang)),
        self_url: format!("{}{}", ctx.base, params.href(&format!("/search/{}", format.file()), None, &no_lang)),
        language: "ko",
    };
    // A feed is read for what is new, whatever order the page it came from had.
    let newest = SearchParams { sort: Some("date".into()), ..params };
    match search.search(&newest.query(FEED_SIZE as usize)).await {
        Ok(results) => {
            let posts: Vec<Post> = results.found.into_iter().map(|(_, p)| p).collect();
            feed_response(format, &channel, &posts)
        }
        Err(e) => internal_error(format!("{e:#}")),
    }
}

async fn sources_opml(State(state): State<AppState>) -> Response {
    match state.sources().await {
        Ok(sources) => (
            [(header::CONTENT_TYPE, "text/x-opml; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
            crate::syndication::opml("기술 블로그 모음", &sources),
        )
            .into_response(),
        Err(e) => internal_error(e),
    }
}

async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.sources().await {
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

async fn vary_on_host(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Host"));
    response
}

/// Responses bigger than this are sent without an ETag rather than buffered to hash them.
pub(crate) const ETAG_MAX_BYTES: usize = 8 << 20;

/// Whether a body is known to be at most [`ETAG_MAX_BYTES`], so buffering it cannot fail.
pub(crate) fn fits_in_memory(body: &axum::body::Body) -> bool {
    use axum::body::HttpBody;
    body.size_hint().upper().is_some_and(|n| n <= ETAG_MAX_BYTES as u64)
}

/// Marks a response whose body [`conditional_get`] held whole: compressed on its way out it no longer
/// tells its size, yet it is known to be small.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Buffered;

/// `ETag` on every successful GET (a hash of the body, so every web process computes the same one; weak,
/// since br and gzip encodings of the body share it) and a bodiless 304 when the reader already has it.
/// HTML pages and API answers default to a minute of caching.
async fn conditional_get(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let is_get = request.method() == axum::http::Method::GET || request.method() == axum::http::Method::HEAD;
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if !is_get || response.status() != StatusCode::OK || response.headers().contains_key(header::ETAG) {
        return response;
    }
    // A body whose size is not known to fit is sent as it is: the limit bounds what is hashed, never
    // whether a page is served.
    if !fits_in_memory(response.body()) {
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
    let page = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(b"text/html") || ct.as_bytes().starts_with(b"application/json"));
    if page && !parts.headers.contains_key(header::CACHE_CONTROL) {
        parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    }
    parts.extensions.insert(Buffered);
    if if_none_match.as_ref().and_then(|v| v.to_str().ok()).is_some_and(|v| etag_matches(v, &etag)) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, axum::body::Body::empty());
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Whether an `If-None-Match` value names this (weak) ETag; compared weakly, as RFC 9110 asks for GET.
pub(crate) fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let tag = etag.trim_start_matches("W/");
    if_none_match.split(',').any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == tag)
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

pub(crate) fn internal_error(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "request failed");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; script-src 'self'; style-src 'self'; img-src https: http: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
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

async fn favicon() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../static/favicon.svg"),
    )
}

async fn curate_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../static/curate.js"),
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
    /// The tagger's topics, then the feed's own categories.
    topics: Vec<TagLink>,
    tags: Vec<TagLink>,
    /// On the search page: the title and a fragment of the text with the matches marked (`<b>`), escaped
    /// by the index.
    title_html: Option<String>,
    snippet_html: Option<String>,
}

struct TagLink {
    name: String,
    href: String,
}

/// Cards show at most this many of a post's tags.
const CARD_TAGS: usize = 3;

struct CompanyOption {
    id: String,
    name: String,
    count: i64,
    selected: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ui: Ui,
    head: Head,
    scrap_csrf: Option<String>,
    cards: Vec<Card>,
    empty_message: &'static str,
    /// The company picker, on the home page only.
    show_filter: bool,
    /// Every topic, on the home page.
    topic_links: Vec<TagLink>,
    companies: Vec<CompanyOption>,
    /// The company's name or the tag, on their pages.
    heading: Option<String>,
    company_homepage: Option<String>,
    /// Where this list's feeds live (`/company/ID`), on company and tag pages.
    feed_base: Option<String>,
    post_count: Option<i64>,
    first_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Template)]
#[template(path = "popular.html")]
struct PopularPage {
    ui: Ui,
    head: Head,
    scrap_csrf: Option<String>,
    cards: Vec<Card>,
    empty_message: &'static str,
    window_days: i64,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    ui: Ui,
    head: Head,
    title: &'static str,
    message: &'static str,
}

/// Badge colours defined in the stylesheet (`.badge.c0` …).
const BADGE_COLOURS: u64 = 8;

/// A company's badge: the first letter of its name (uppercased if Latin) and a colour fixed by its id.
fn badge(id: &str, name: &str) -> (String, u8) {
    let initial = name.chars().find(|c| c.is_alphanumeric()).map(|c| c.to_uppercase().collect()).unwrap_or_default();
    let colour = fnv1a_u64(id.as_bytes()) % BADGE_COLOURS;
    (initial, colour as u8)
}

fn card(p: Post, now: i64, ui: &Ui) -> Card {
    let (date_kst, datetime) = (crate::kst::minute(p.sort_at), crate::kst::rfc3339(p.sort_at));
    let company_name = company_name(ui, &p.source_name_ko, &p.source_name_en).to_string();
    let (initial, badge) = badge(&p.source_id, &company_name);
    Card {
        initial,
        badge,
        ago: ui.ago(now - p.sort_at, &date_kst),
        topics: p
            .topics
            .iter()
            .filter_map(|slug| moa_search::topics::topic(slug))
            .map(|t| TagLink { name: ui.topic_name(t).to_string(), href: Scope::Topic(t.slug.to_string()).path() })
            .collect(),
        title_html: None,
        snippet_html: None,
        // The tag is the feed's term; a card shows its label when the feed gives one.
        tags: p
            .categories
            .into_iter()
            .take(CARD_TAGS)
            .map(|term| TagLink {
                href: Scope::Tag(term.clone()).path(),
                name: p.category_labels.get(&term).cloned().unwrap_or(term),
            })
            .collect(),
        id: p.id,
        company_id: p.source_id,
        company_name,
        title: p.title,
        url: p.url,
        date_kst,
        datetime,
        summary: p.summary,
        thumbnail: p.thumbnail,
    }
}

/// Links to every topic's page, in the page's language.
fn topic_links(ui: &Ui) -> Vec<TagLink> {
    moa_search::topics::TOPICS
        .iter()
        .map(|t| TagLink { name: ui.topic_name(t).to_string(), href: Scope::Topic(t.slug.to_string()).path() })
        .collect()
}

fn page_href(scope: &Scope, before: Option<Cursor>) -> String {
    let path = scope.path();
    match before {
        Some(b) => format!("{path}?before={}", b.encode()),
        None => path,
    }
}

async fn home(State(state): State<AppState>, ctx: PageCtx, Query(q): Query<HomeQuery>) -> Response {
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
async fn company_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(q): Query<HomeQuery>,
) -> Response {
    page(&state, ctx, Scope::Company(id), q.before).await
}

/// The posts of one topic, with its feeds.
async fn topic_page(
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
async fn tag_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(tag): Path<String>,
    Query(q): Query<HomeQuery>,
) -> Response {
    page(&state, ctx, Scope::Tag(tag), q.before).await
}

async fn page(state: &AppState, ctx: PageCtx, scope: Scope, before: Option<String>) -> Response {
    // A malformed cursor is treated as no cursor: the reader lands on the newest posts.
    let before = before.as_deref().and_then(Cursor::decode);
    let sources = match scope {
        // Only the home page's picker needs every source (and its count).
        Scope::All => state.sources().await.map(Some),
        Scope::Company(ref id) => state.store.source(id).await.map(|s| s.map(|s| Arc::new(vec![s]))),
        Scope::Tag(_) | Scope::Topic(_) => Ok(Some(Arc::default())),
    };
    let sources = match sources {
        Ok(Some(s)) => s,
        Ok(None) => return message(ctx, StatusCode::NOT_FOUND, |t| (t.no_company, t.no_company_message)),
        Err(e) => return page_error(ctx, e),
    };
    let mut posts = match state.store.posts(&scope_query(&scope, before, PAGE_SIZE + 1)).await {
        Ok(p) => p,
        Err(e) => return page_error(ctx, e),
    };
    let has_more = posts.len() > PAGE_SIZE as usize;
    posts.truncate(PAGE_SIZE as usize);
    let ui = ctx.ui;
    let next_href = has_more.then(|| format!("{}{}", page_href(&scope, posts.last().map(Post::cursor)), ui.amp));
    let selected = match &scope {
        Scope::Company(_) => sources.first(),
        _ => None,
    };
    let mut companies: Vec<CompanyOption> = match scope {
        Scope::All => sources
            .iter()
            .filter(|s| s.enabled || s.post_count > 0)
            .map(|s| CompanyOption {
                id: s.spec.id.clone(),
                name: company_name(&ui, &s.spec.name_ko, &s.spec.name_en).to_string(),
                count: s.post_count,
                selected: false,
            })
            .collect(),
        _ => Vec::new(),
    };
    companies.sort_by(|a, b| a.name.cmp(&b.name));
    let now = crate::now_unix();
    let scrap_csrf = ctx.scrap_csrf();
    let private = scrap_csrf.is_some();
    let page = HomePage {
        scrap_csrf,
        cards: posts.into_iter().map(|p| card(p, now, &ui)).collect(),
        empty_message: if matches!(scope, Scope::Tag(_) | Scope::Topic(_)) { ui.t.empty_tag } else { ui.t.empty_home },
        show_filter: matches!(scope, Scope::All),
        topic_links: if matches!(scope, Scope::All) { topic_links(&ui) } else { Vec::new() },
        companies,
        heading: match &scope {
            Scope::All => None,
            Scope::Company(_) => selected.map(|s| company_name(&ui, &s.spec.name_ko, &s.spec.name_en).to_string()),
            Scope::Tag(tag) => Some(ui.tag_title(tag)),
            Scope::Topic(slug) => moa_search::topics::topic(slug).map(|t| ui.topic_title(ui.topic_name(t))),
        },
        company_homepage: selected.map(|s| s.spec.homepage.clone()).filter(|h| h.starts_with("http")),
        feed_base: (!matches!(scope, Scope::All)).then(|| scope.path()),
        post_count: selected.map(|s| s.post_count),
        first_href: before.map(|_| format!("{}{}", page_href(&scope, None), ui.q)),
        next_href,
        ui,
        head: ctx.head,
    };
    html_page(&page, private)
}

fn page_error(ctx: PageCtx, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page failed");
    message(ctx, StatusCode::INTERNAL_SERVER_ERROR, |t| (t.error, t.error_message))
}

/// A page that only says something: a title and a sentence, taken from the page's language.
pub(crate) fn message(
    ctx: PageCtx,
    status: StatusCode,
    text: impl Fn(&'static crate::i18n::Text) -> (&'static str, &'static str),
) -> Response {
    let (title, message) = text(ctx.ui.t);
    message_page(ctx, status, title, message)
}

/// A page that only says something, in words the caller chose from the page's language.
pub(crate) fn message_page(ctx: PageCtx, status: StatusCode, title: &'static str, message: &'static str) -> Response {
    let private = ctx.curator.is_some();
    let mut response = html_page(&MessagePage { ui: ctx.ui, head: ctx.head, title, message }, private);
    *response.status_mut() = status;
    response
}

async fn not_found(ctx: PageCtx) -> Response {
    message(ctx, StatusCode::NOT_FOUND, |t| (t.not_found, t.not_found_message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_answering_a_form_offers_its_other_language_where_the_form_lives() {
        assert_eq!(form_home("/admin/sources/discover"), "/admin/sources/new");
        assert_eq!(form_home("/admin/sources"), "/admin/sources/new");
        assert_eq!(form_home("/admin/sources/abc/delete"), "/admin/sources/abc");
        assert_eq!(form_home("/admin/opml"), "/admin/sources");
        assert_eq!(form_home("/admin/users/kim/role"), "/admin/users");
        assert_eq!(form_home("/curate/2026-12/scraps"), "/curate");
        assert_eq!(form_home("/login"), "/login");
    }

    #[test]
    fn redirects_keep_the_chosen_language() {
        assert_eq!(with_lang("/admin/sources?done=added+x", "en"), "/admin/sources?done=added+x&lang=en");
        assert_eq!(with_lang("/curate/2026-12#scrap-3", "en"), "/curate/2026-12?lang=en#scrap-3");
        assert_eq!(with_lang("/admin?lang=ko", "en"), "/admin?lang=ko");
        assert_eq!(with_lang("https://elsewhere.example/", "en"), "https://elsewhere.example/");
        assert_eq!(with_lang("/admin", "fr\r\nx"), "/admin");
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
    fn page_links_keep_the_filter() {
        let c = Cursor { sort_at: 5, id: 7 };
        assert_eq!(page_href(&Scope::Company("woowahan".into()), Some(c)), "/company/woowahan?before=5.7");
        assert_eq!(page_href(&Scope::All, Some(c)), "/?before=5.7");
        assert_eq!(page_href(&Scope::All, None), "/");
        assert_eq!(page_href(&Scope::Tag("C++ 언어/CS".into()), None), "/tag/C%2B%2B%20%EC%96%B8%EC%96%B4%2FCS");
    }
}
