//! The readers' web: server-rendered HTML that works without JavaScript. This module wires the routes and
//! the layers every answer passes; the handlers live in the modules below, and what they share in three
//! layers: `http` (internal errors, conditional GET), `state` (`AppState`), `page` (`PageCtx`, rendering,
//! message pages).

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use assets::{curate_js, favicon, style, theme_js};
use feeds::{FeedFormat, company_feed, feed_out, robots, sitemap, sources_opml, tag_feed, topic_feed};
use http::conditional_get;
use page::{message, not_found};
use pages::{companies, company_page, home, tag_page, topic_page};
use popular::{go, popular};
use scope::Scope;
use search_page::{search, search_feed};
use websub::{websub_push, websub_verify};

pub mod api;
mod assets;
pub mod auth;
pub mod cache;
mod card;
pub mod console;
pub mod curate;
mod feeds;
mod http;
pub mod listen;
mod newsletter_pages;
mod page;
mod pages;
mod picker;
pub mod popular;
mod scope;
mod search_page;
pub mod session;
mod signin;
mod state;
pub mod syndication;
mod websub;

pub use page::{Head, PageCtx};
pub use scope::PAGE_SIZE;
pub use search_page::SearchParams;
pub use state::{AppState, OperationsAccess};

/// The readers' site: lists, feeds, search, the API, and what a browser or a monitor asks for.
fn reader_routes() -> Router<AppState> {
    Router::new()
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
        .route("/api/v1/posts", get(api::posts))
        .route("/api/v1/posts/{id}", get(api::post))
        .route("/api/v1/sources", get(api::sources))
        .route("/api/v1/search", get(api::search))
        .route("/api/openapi.json", get(api::openapi))
        .route("/popular", get(popular))
        .route("/search", get(search))
        .route("/search/{file}", get(search_feed))
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
}

/// Signing in, the curator's pages, and the newsletter they publish.
fn curator_routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(signin::login_form).post(signin::login))
        .route("/logout", axum::routing::post(signin::logout))
        .route("/curate", get(curate::curate_now))
        .route("/curate/scrap-post", axum::routing::post(curate::scrap_post))
        .route("/curate/scraps/{id}", axum::routing::post(curate::edit_scrap))
        .route("/curate/scraps/{id}/move", axum::routing::post(curate::move_scrap))
        .route("/curate/scraps/{id}/delete", axum::routing::post(curate::delete_scrap))
        .route("/curate/{month}", get(curate::curate_month))
        .route("/curate/{month}/scraps", axum::routing::post(curate::add_scrap))
        .route("/curate/{month}/settings", axum::routing::post(curate::save_settings))
        .route("/curate/{month}/preview", axum::routing::post(curate::preview))
        .route("/curate/{month}/post.md", get(curate::download))
        .route("/newsletter", get(|s: State<AppState>, c: PageCtx| newsletter_pages::public_month(s, c, None)))
        .route(
            "/newsletter/{month}",
            get(|s: State<AppState>, c: PageCtx, m: Path<String>| newsletter_pages::public_month(s, c, Some(m))),
        )
        .route("/scraps/feed.xml", get(newsletter_pages::scraps_feed))
        .route("/static/curate.js", get(curate_js))
}

/// Every route of the web process, behind the layers every answer passes (outermost last): the signed-in
/// pages' language, route metrics, conditional GET, compression, the page cache, security headers.
pub fn router(state: AppState) -> Router {
    let router = reader_routes()
        .merge(curator_routes())
        .merge(console::routes())
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
        let cache = Arc::new(cache::PageCache::new(state.store.clone(), state.search.clone(), state.cache_ttl));
        router.layer(axum::middleware::from_fn_with_state(cache, cache::layer))
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

/// How long `/readyz` waits for the database: a load balancer's check must not hang on a pool that keeps
/// retrying a server that is gone.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Ready when the database answers: a load balancer sends no traffic before.
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

/// Whether `/metrics` may be read: when the operator made it public, with the scraper's bearer token, or
/// by a signed-in operator.
async fn metrics_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let access = &state.operations;
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    access.public
        || matches!((&access.metrics_token, bearer), (Some(token), Some(given)) if crate::token::same(token, given.trim()))
        || session::curator_of(state, headers).await.is_some_and(|c| c.is_operator())
}

async fn metrics(State(state): State<AppState>, ctx: PageCtx, headers: HeaderMap) -> Response {
    if !metrics_allowed(&state, &headers).await {
        return not_found(ctx).await;
    }
    let sources =
        state.sources().await.inspect_err(|e| tracing::warn!(error = %e, "cannot read the sources for /metrics"));
    let body = crate::metrics::render(state.store.as_ref(), sources.as_deref().ok().map(Vec::as_slice)).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body)
        .into_response()
}

async fn vary_on_host(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Host"));
    response
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_keep_the_chosen_language() {
        assert_eq!(with_lang("/admin/sources?done=added+x", "en"), "/admin/sources?done=added+x&lang=en");
        assert_eq!(with_lang("/curate/2026-12#scrap-3", "en"), "/curate/2026-12?lang=en#scrap-3");
        assert_eq!(with_lang("/admin?lang=ko", "en"), "/admin?lang=ko");
        assert_eq!(with_lang("https://elsewhere.example/", "en"), "https://elsewhere.example/");
        assert_eq!(with_lang("/admin", "fr\r\nx"), "/admin");
    }
}
