//! A micro-cache of whole responses in front of the handlers: pages, feeds and API answers are built
//! from the store at most once per key per few seconds, and at once again after this process writes
//! (`Store::version`). Another process's writes show within the time-to-live.
//!
//! Why: the home page reads every source with its post count and 21 posts; at 100,000 posts that is
//! milliseconds of SQLite work, while a cached answer is microseconds. Readers see the same page anyway:
//! pages say `Cache-Control: max-age=60`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use moa_store::Store;

/// Responses bigger than this are not kept.
const MAX_ENTRY_BYTES: usize = 1 << 20;
/// All kept bodies together; past it the cache starts over.
const MAX_TOTAL_BYTES: usize = 32 << 20;
/// Header values longer than this make a request uncacheable (they would bloat the key).
const MAX_KEY_HEADER: usize = 128;

pub struct PageCache {
    ttl: Duration,
    store: Arc<dyn Store>,
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    bytes: usize,
}

struct Entry {
    at: Instant,
    version: u64,
    headers: HeaderMap,
    body: Bytes,
}

impl PageCache {
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        Self { ttl, store, inner: Mutex::new(Entries::default()) }
    }

    fn get(&self, key: &str) -> Option<(HeaderMap, Bytes)> {
        let version = self.store.version();
        let entries = self.inner.lock().ok()?;
        let e = entries.map.get(key)?;
        (e.version == version && e.at.elapsed() < self.ttl).then(|| (e.headers.clone(), e.body.clone()))
    }

    fn put(&self, key: String, version: u64, headers: HeaderMap, body: Bytes) {
        let Ok(mut entries) = self.inner.lock() else { return };
        if entries.bytes + body.len() > MAX_TOTAL_BYTES {
            let ttl = self.ttl;
            let current = self.store.version();
            entries.map.retain(|_, e| e.version == current && e.at.elapsed() < ttl);
            entries.bytes = entries.map.values().map(|e| e.body.len()).sum();
            if entries.bytes + body.len() > MAX_TOTAL_BYTES {
                entries.map.clear();
                entries.bytes = 0;
            }
        }
        entries.bytes += body.len();
        if let Some(old) = entries.map.insert(key, Entry { at: Instant::now(), version, headers, body }) {
            entries.bytes -= old.body.len();
        }
    }
}

/// The cache key of a request, or None when its answer must not be shared: not a GET, a path with side
/// effects, or a request that carries credentials.
fn key_of(request: &Request) -> Option<String> {
    if request.method() != Method::GET {
        return None;
    }
    let path = request.uri().path();
    if path.starts_with("/go/") || path.starts_with("/websub/") {
        return None;
    }
    let headers = request.headers();
    if headers.contains_key(header::COOKIE) || headers.contains_key(header::AUTHORIZATION) {
        return None;
    }
    let value = |name| -> Option<&str> {
        let v = headers.get(name).map_or(Some(""), |v| v.to_str().ok())?;
        (v.len() <= MAX_KEY_HEADER).then_some(v)
    };
    // Pages differ by the host they name in absolute links, the language and the encoding.
    let lang = crate::i18n::negotiate(None, headers).lang.code();
    Some(format!(
        "{}\n{}\n{lang}\n{}",
        value(header::HOST)?,
        request.uri().path_and_query().map_or(path, |p| p.as_str()),
        value(header::ACCEPT_ENCODING)?
    ))
}

fn cacheable(response: &Response) -> bool {
    let h = response.headers();
    response.status() == StatusCode::OK
        && h.contains_key(header::ETAG)
        && !h.contains_key(header::SET_COOKIE)
        && !h
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("no-store") || v.contains("private"))
}

pub async fn layer(State(cache): State<Arc<PageCache>>, request: Request, next: Next) -> Response {
    let Some(key) = key_of(&request) else { return next.run(request).await };
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    if let Some((headers, body)) = cache.get(&key) {
        return answer(headers, body, if_none_match.as_ref());
    }
    // Read before the handler: a write during it leaves the entry already stale.
    let version = cache.store.version();
    let response = next.run(request).await;
    if !cacheable(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Bodies with an ETag were buffered within this bound already; only big ones are not kept.
    let bytes = match axum::body::to_bytes(body, crate::web::ETAG_MAX_BYTES).await {
        Ok(b) => b,
        Err(e) => return crate::web::internal_error(e),
    };
    if bytes.len() <= MAX_ENTRY_BYTES {
        cache.put(key, version, parts.headers.clone(), bytes.clone());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A kept response, or a bodiless 304 when the reader already has it.
fn answer(headers: HeaderMap, body: Bytes, if_none_match: Option<&HeaderValue>) -> Response {
    let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok()).unwrap_or("");
    if if_none_match.and_then(|v| v.to_str().ok()).is_some_and(|v| crate::web::etag_matches(v, etag)) {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY, header::CONTENT_LOCATION] {
            if let Some(v) = headers.get(&name) {
                response.headers_mut().insert(name, v.clone());
            }
        }
        return response;
    }
    let mut response = Response::new(Body::from(body));
    *response.headers_mut() = headers;
    response
}
