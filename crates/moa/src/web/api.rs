//! The JSON API under `/api/v1`, described by the OpenAPI 3.1 document served at `/api/openapi.json`
//! (tests check real responses against it).

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use moa_store::{Cursor, Post, PostQuery, SourceRow};
use serde::{Deserialize, Serialize};

use crate::web::state::AppState;

pub const OPENAPI: &str = include_str!("../../static/openapi.json");
const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

#[derive(Serialize)]
struct Company {
    id: String,
    name: String,
    name_en: String,
}

#[derive(Serialize)]
pub struct PostJson {
    id: i64,
    company: Company,
    title: String,
    url: Option<String>,
    summary: Option<String>,
    author: Option<String>,
    thumbnail: Option<String>,
    tags: Vec<String>,
    /// Topic slugs from moa's tagger.
    topics: Vec<String>,
    published_at: Option<String>,
    sorted_at: String,
    clicks: i64,
}

impl From<Post> for PostJson {
    fn from(p: Post) -> Self {
        Self {
            id: p.id,
            company: Company { id: p.source_id, name: p.source_name_ko, name_en: p.source_name_en },
            title: p.title,
            url: p.url,
            summary: p.summary,
            author: p.author,
            thumbnail: p.thumbnail,
            tags: p.categories,
            topics: p.topics,
            published_at: p.published_at.map(moa_feed::format_rfc3339),
            sorted_at: moa_feed::format_rfc3339(p.sort_at),
            clicks: p.clicks,
        }
    }
}

#[derive(Serialize)]
struct PostPage {
    posts: Vec<PostJson>,
    next_cursor: Option<String>,
}

#[derive(Serialize)]
struct SourceJson {
    id: String,
    name: String,
    name_en: String,
    homepage: String,
    feed_url: String,
    state: &'static str,
    post_count: i64,
    last_post_at: Option<String>,
    last_attempt_at: Option<String>,
    last_success_at: Option<String>,
    consecutive_failures: i64,
    last_error_kind: Option<&'static str>,
    last_error: Option<String>,
    next_check_at: Option<String>,
    disabled_reason: Option<String>,
    pages_skipped: i64,
}

impl From<SourceRow> for SourceJson {
    fn from(s: SourceRow) -> Self {
        let time = |t: Option<i64>| t.map(moa_feed::format_rfc3339);
        Self {
            state: s.state(),
            feed_url: s.fetch_url().to_string(),
            id: s.spec.id,
            name: s.spec.name_ko,
            name_en: s.spec.name_en,
            homepage: s.spec.homepage,
            post_count: s.post_count,
            last_post_at: time(s.last_post_at),
            last_attempt_at: time(s.last_attempt_at),
            last_success_at: time(s.last_success_at),
            consecutive_failures: s.consecutive_failures,
            last_error_kind: s.last_error_kind.map(|k| k.as_str()),
            last_error: s.last_error.filter(|_| s.consecutive_failures > 0),
            next_check_at: time(Some(s.next_check_at).filter(|t| *t > 0 && s.enabled)),
            disabled_reason: s.disabled_reason.filter(|_| !s.enabled),
            pages_skipped: s.health.pages_skipped,
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// The query string read as `T`. One that cannot be read (`?limit=x`, `?limit=1&limit=2`) is answered like
/// every other API error: JSON, status 400.
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Response> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(q)) => Ok(Self(q)),
            Err(e) => Err(error(StatusCode::BAD_REQUEST, &e.body_text())),
        }
    }
}

/// The web's one rule for unknown names ([`crate::web::search_page::unknown_filter`]), answered as JSON.
async fn known_filters(state: &AppState, company: Option<&str>, topic: Option<&str>) -> Result<(), Response> {
    match crate::web::search_page::unknown_filter(state.store.as_ref(), company, topic).await {
        Ok(None) => Ok(()),
        Ok(Some(crate::web::search_page::UnknownFilter::Company)) => {
            Err(error(StatusCode::NOT_FOUND, "no such company"))
        }
        Ok(Some(crate::web::search_page::UnknownFilter::Topic)) => {
            Err(error(StatusCode::NOT_FOUND, &format!("no such topic {:?}", topic.unwrap_or_default())))
        }
        Err(e) => Err(internal(e)),
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "API request failed");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

#[derive(Deserialize)]
pub struct PostsQuery {
    company: Option<String>,
    tag: Option<String>,
    topic: Option<String>,
    before: Option<String>,
    limit: Option<u32>,
}

pub async fn posts(State(state): State<AppState>, ApiQuery(q): ApiQuery<PostsQuery>) -> Response {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return error(StatusCode::BAD_REQUEST, &format!("limit must be between 1 and {MAX_LIMIT}"));
    }
    let before = match q.before.as_deref() {
        Some(b) => match Some(b).filter(|b| is_cursor(b)).and_then(Cursor::decode) {
            Some(c) => Some(c),
            None => return error(StatusCode::BAD_REQUEST, "before is not a cursor this API gave"),
        },
        None => None,
    };
    let company = q.company.filter(|c| !c.is_empty());
    let tag = q.tag.filter(|t| !t.is_empty());
    let topic = q.topic.filter(|t| !t.is_empty());
    if let Err(r) = known_filters(&state, company.as_deref(), topic.as_deref()).await {
        return r;
    }
    let query = PostQuery { source_id: company, tag, topic, before, limit: limit + 1, ..PostQuery::default() };
    let mut posts = match state.store.posts(&query).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let more = posts.len() > limit as usize;
    posts.truncate(limit as usize);
    let next_cursor = more.then(|| posts.last().map(|p| p.cursor().encode())).flatten();
    Json(PostPage { posts: posts.into_iter().map(PostJson::from).collect(), next_cursor }).into_response()
}

/// A cursor in the form the document gives (`^-?[0-9]{1,18}\.-?[0-9]{1,18}$`): the decoder alone would also
/// take `+1.+2`.
fn is_cursor(s: &str) -> bool {
    let part = |p: &str| {
        let digits = p.strip_prefix('-').unwrap_or(p);
        (1..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    };
    s.split_once('.').is_some_and(|(a, b)| part(a) && part(b))
}

#[derive(Serialize)]
struct SearchHit {
    #[serde(flatten)]
    post: PostJson,
    /// Relevance (BM25 with the title boosted and recency); 0 when sorted by date.
    score: f32,
    /// The title and a fragment of the text, HTML-escaped, with the matches in `<b>`.
    title_html: String,
    snippet_html: String,
}

#[derive(Serialize)]
struct SearchPage {
    total: usize,
    total_is_lower_bound: bool,
    page: usize,
    results: Vec<SearchHit>,
}

/// `/api/v1/search`: the search page's query and filters, as JSON.
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<crate::web::search_page::SearchParams>,
) -> Response {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT as usize);
    if !(1..=MAX_LIMIT as usize).contains(&limit) {
        return error(StatusCode::BAD_REQUEST, &format!("limit must be between 1 and {MAX_LIMIT}"));
    }
    // The web page forgives a page or an order it does not know; the API says so, as its document does.
    if params.page.is_some_and(|p| !(1..=crate::web::search_page::SEARCH_MAX_PAGE).contains(&p)) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("page must be between 1 and {}", crate::web::search_page::SEARCH_MAX_PAGE),
        );
    }
    if params.sort.as_deref().is_some_and(|s| !["relevance", "date"].contains(&s)) {
        return error(StatusCode::BAD_REQUEST, "sort is relevance or date");
    }
    // Blank as the document's pattern (`\S`) says: control characters count as space too.
    if params.text().chars().all(|c| c.is_whitespace() || c.is_control()) {
        return error(StatusCode::BAD_REQUEST, "q is required");
    }
    for (name, value) in [("from", &params.from), ("to", &params.to)] {
        if let Some(v) = value.as_deref()
            && (v != v.trim() || crate::kst::day_start(v).is_none())
        {
            return error(StatusCode::BAD_REQUEST, &format!("{name} is not a YYYY-MM-DD date"));
        }
    }
    let (company, topic) =
        (crate::web::search_page::non_empty(&params.company), crate::web::search_page::non_empty(&params.topic));
    if let Err(r) = known_filters(&state, company.as_deref(), topic.as_deref()).await {
        return r;
    }
    let Some(search) = &state.search else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the search index is not open");
    };
    match search.search(&params.query(limit)).await {
        Ok(r) => Json(SearchPage {
            total: r.total,
            total_is_lower_bound: r.more,
            page: params.page(),
            results: r
                .found
                .into_iter()
                .map(|(hit, post)| SearchHit {
                    post: PostJson::from(post),
                    score: hit.score,
                    title_html: hit.title_html,
                    snippet_html: hit.snippet_html,
                })
                .collect(),
        })
        .into_response(),
        Err(e) => internal(format!("{e:#}")),
    }
}

pub async fn post(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::NOT_FOUND, "no such post");
    };
    match state.store.post(id).await {
        Ok(Some(p)) => Json(PostJson::from(p)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such post"),
        Err(e) => internal(e),
    }
}

pub async fn sources(State(state): State<AppState>) -> Response {
    let public_errors = state.operations.public;
    match state.sources().await {
        Ok(s) => {
            let sources: Vec<SourceJson> = s
                .iter()
                .cloned()
                .map(SourceJson::from)
                // The kind says what a reader may want to know; the text names hosts and addresses.
                .map(|j| SourceJson { last_error: j.last_error.filter(|_| public_errors), ..j })
                .collect();
            Json(serde_json::json!({ "sources": sources })).into_response()
        }
        Err(e) => internal(e),
    }
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=3600")], OPENAPI)
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cursor_is_what_the_document_says() {
        for ok in ["1.2", "-5.7", "123456789012345678.1"] {
            assert!(super::is_cursor(ok), "{ok}");
        }
        for bad in ["", "1", "+1.+2", "1.x", "1234567890123456789.1", "1.2.3", "-.1", " 1.2"] {
            assert!(!super::is_cursor(bad), "{bad}");
        }
    }
}
