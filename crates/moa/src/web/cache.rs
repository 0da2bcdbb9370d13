//! A micro-cache of whole responses in front of the handlers: pages, feeds and API answers are built
//! from the store at most once per key per few seconds, and at once again after this process writes
//! (`Store::version`), or after the search index applied changes the store logged, which is how another
//! process's posts reach this one (within the index's follow interval). Other writes of other processes
//! (sources, scraps) show within the time-to-live.
//!
//! When an answer goes stale, the first request for it builds it again and waits for that; requests
//! meanwhile get the stale copy instead of building it too. Without that, every expiry let all
//! concurrent readers rebuild the home page at once (p99 330 ms under 64 connections).
//!
//! Why: a page built from the store costs one query and its rendering, about 0.2–0.4 ms of the machine's two
//! cores at 100,000 posts (BENCHMARKS.md, issue 22), while a cached answer is microseconds. Readers see the
//! same page anyway: pages say `Cache-Control: max-age=60`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use moa_store::{SourceRow, Store};

/// How long a rendered page and the source list are kept (`page_cache_seconds`).
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(5);

/// Responses bigger than this are not kept.
const MAX_ENTRY_BYTES: usize = 1 << 20;
/// All kept bodies together; past it the cache starts over.
const MAX_TOTAL_BYTES: usize = 16 << 20;
/// A stale copy is served while another request rebuilds it, if it is not older than this past its
/// time-to-live.
const STALE_GRACE: Duration = Duration::from_secs(30);
/// Header values longer than this make a request uncacheable (they would bloat the key).
const MAX_KEY_HEADER: usize = 128;

pub struct PageCache {
    ttl: Duration,
    store: Arc<dyn Store>,
    search: Option<Arc<crate::search::Search>>,
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    bytes: usize,
    /// Keys a request is building now.
    building: HashSet<String>,
}

enum Lookup {
    Fresh(HeaderMap, Bytes),
    Stale(HeaderMap, Bytes),
    Missing,
}

/// A request's claim to build one key; dropped when it is done, or when the request is cancelled.
struct Building {
    cache: Arc<PageCache>,
    key: String,
}

impl Drop for Building {
    fn drop(&mut self) {
        if let Ok(mut entries) = self.cache.inner.lock() {
            entries.building.remove(&self.key);
        }
    }
}

struct Entry {
    at: Instant,
    version: u64,
    headers: HeaderMap,
    body: Bytes,
}

impl PageCache {
    pub fn new(store: Arc<dyn Store>, search: Option<Arc<crate::search::Search>>, ttl: Duration) -> Self {
        Self { ttl, store, search, inner: Mutex::new(Entries::default()) }
    }

    /// Moves with every write this process makes and every batch of changes the index applies.
    fn version(&self) -> u64 {
        self.store.version().wrapping_add(self.search.as_ref().map_or(0, |s| s.generation()))
    }

    fn lookup(&self, key: &str) -> Lookup {
        let version = self.version();
        let Ok(entries) = self.inner.lock() else { return Lookup::Missing };
        match entries.map.get(key) {
            Some(e) if e.version == version && e.at.elapsed() < self.ttl => {
                Lookup::Fresh(e.headers.clone(), e.body.clone())
            }
            Some(e) if e.at.elapsed() < self.ttl + STALE_GRACE => Lookup::Stale(e.headers.clone(), e.body.clone()),
            _ => Lookup::Missing,
        }
    }

    /// The claim to build `key`, unless another request holds it.
    fn claim(self: &Arc<Self>, key: &str) -> Option<Building> {
        let mut entries = self.inner.lock().ok()?;
        entries.building.insert(key.to_string()).then(|| Building { cache: self.clone(), key: key.to_string() })
    }

    fn put(&self, key: String, version: u64, headers: HeaderMap, body: Bytes) {
        let Ok(mut entries) = self.inner.lock() else { return };
        if entries.bytes + body.len() > MAX_TOTAL_BYTES {
            let ttl = self.ttl;
            let current = self.version();
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

/// The cache key of a request, or None when its answer must not be shared (not a GET, a path with side
/// effects, a request that carries credentials) or is not worth keeping: an older page (`before=`), which
/// readers paging back and crawlers ask for once each. Kept, those filled the cache with pages nobody asked
/// for again, and each time it started over the home page went with them (and the server's memory grew
/// from 75 to 122 MB in the benchmark's random-cursor row).
fn key_of(request: &Request) -> Option<String> {
    if request.method() != Method::GET {
        return None;
    }
    let path = request.uri().path();
    if path.starts_with("/go/") || path.starts_with("/websub/") {
        return None;
    }
    if request.uri().query().is_some_and(|q| q.split('&').any(|pair| pair.starts_with("before="))) {
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
    let _building = match cache.lookup(&key) {
        Lookup::Fresh(headers, body) => return answer(headers, body, if_none_match.as_ref()),
        Lookup::Stale(headers, body) => match cache.claim(&key) {
            Some(claim) => Some(claim),
            None => return answer(headers, body, if_none_match.as_ref()),
        },
        // Nothing to hand out meanwhile: concurrent first requests each build it.
        Lookup::Missing => cache.claim(&key),
    };
    // Read before the handler: a write during it leaves the entry already stale.
    let version = cache.version();
    let response = next.run(request).await;
    let known_small = response.extensions().get::<crate::web::http::Buffered>().is_some()
        || crate::web::http::fits_in_memory(response.body());
    if !cacheable(&response) || !known_small {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Known to fit (compression never grows a body by more than a few bytes per block): buffering cannot
    // fail; only big ones are not kept.
    let bytes = match axum::body::to_bytes(body, 2 * crate::web::http::ETAG_MAX_BYTES).await {
        Ok(b) => b,
        Err(e) => return crate::web::http::internal_error(e),
    };
    if bytes.len() <= MAX_ENTRY_BYTES {
        cache.put(key, version, parts.headers.clone(), bytes.clone());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A kept response, or a bodiless 304 when the reader already has it.
fn answer(headers: HeaderMap, body: Bytes, if_none_match: Option<&HeaderValue>) -> Response {
    let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok()).unwrap_or("");
    if if_none_match.and_then(|v| v.to_str().ok()).is_some_and(|v| crate::web::http::etag_matches(v, etag)) {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response.extensions_mut().insert(crate::metrics::Cached);
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY, header::CONTENT_LOCATION] {
            if let Some(v) = headers.get(&name) {
                response.headers_mut().insert(name, v.clone());
            }
        }
        return response;
    }
    let mut response = Response::new(Body::from(body));
    *response.headers_mut() = headers;
    response.extensions_mut().insert(crate::metrics::Cached);
    response
}

/// Every source with its crawl state and post count, shared by the answers that list them all (the sitemap,
/// OPML, the API, `/metrics`): read once per store version and time-to-live, not once per request. (The home
/// page's picker keeps its own list, checked against the store on every page: see `moa_store`'s picker.)
/// As with pages, a stale list is handed out while one caller reads it again.
pub struct SourceList {
    ttl: Duration,
    kept: Mutex<Option<Kept>>,
    reading: AtomicBool,
}

/// When the list was read, at which store version, and the list.
type Kept = (Instant, u64, Arc<Vec<SourceRow>>);

/// Clears `SourceList::reading` when the read ends, however it ends.
struct Reading<'a>(&'a AtomicBool);

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl SourceList {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, kept: Mutex::new(None), reading: AtomicBool::new(false) }
    }

    pub async fn get(&self, store: &dyn Store) -> moa_store::Result<Arc<Vec<SourceRow>>> {
        if self.ttl.is_zero() {
            return Ok(Arc::new(store.sources().await?));
        }
        let version = store.version();
        let stale = match self.kept.lock().ok().and_then(|k| k.clone()) {
            Some((at, v, list)) if v == version && at.elapsed() < self.ttl => return Ok(list),
            Some((at, _, list)) if at.elapsed() < self.ttl + STALE_GRACE => Some(list),
            _ => None,
        };
        let claimed = !self.reading.swap(true, Ordering::AcqRel);
        if let (Some(list), false) = (&stale, claimed) {
            return Ok(list.clone());
        }
        let _reading = claimed.then(|| Reading(&self.reading));
        let list = Arc::new(store.sources().await?);
        if let Ok(mut kept) = self.kept.lock() {
            *kept = Some((Instant::now(), version, list.clone()));
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn older_pages_side_effects_and_credentials_are_not_kept() {
        let key = |uri: &str, header: Option<(header::HeaderName, &str)>| {
            let mut request = Request::get(uri).header(header::HOST, "moa.example");
            if let Some((name, value)) = header {
                request = request.header(name, value);
            }
            key_of(&request.body(Body::empty()).unwrap())
        };
        for kept in ["/", "/?lang=en", "/tag/backend", "/search?q=before%3D", "/api/v1/posts?limit=5"] {
            assert!(key(kept, None).is_some(), "{kept}");
        }
        for not in ["/?before=1700000000.42", "/tag/backend?lang=en&before=5.1", "/api/v1/posts?before=x", "/go/7"] {
            assert_eq!(key(not, None), None, "{not}");
        }
        assert_eq!(key("/", Some((header::COOKIE, "moa_session=x"))), None);
        assert_ne!(key("/", None), key("/", Some((header::ACCEPT_ENCODING, "br"))), "the encoding is in the key");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_request_rebuilds_a_stale_page_while_the_others_get_the_stale_copy() {
        let dir = tempfile::tempdir().unwrap();
        let store = moa_store::open(&format!("sqlite://{}", dir.path().join("moa.db").display())).await.unwrap();
        let cache = Arc::new(PageCache::new(store, None, Duration::from_millis(300)));
        let builds = Arc::new(AtomicUsize::new(0));
        let counter = builds.clone();
        let handler = move || {
            let counter = counter.clone();
            async move {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(150)).await;
                ([(header::ETAG, format!("\"{n}\""))], format!("build {n}"))
            }
        };
        let app = axum::Router::new()
            .route("/", axum::routing::get(handler))
            .layer(axum::middleware::from_fn_with_state(cache, layer));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        crate::ingest::fetch::install_tls_provider();
        let client = reqwest::Client::new();
        let get = || {
            let (client, url) = (client.clone(), url.clone());
            async move { client.get(url).send().await.unwrap().text().await.unwrap() }
        };

        assert_eq!(get().await, "build 1");
        assert_eq!(get().await, "build 1", "kept");
        tokio::time::sleep(Duration::from_millis(350)).await;
        let bodies = futures_util::future::join_all((0..8).map(|_| get())).await;
        assert_eq!(builds.load(Ordering::SeqCst), 2, "one rebuild for eight readers: {bodies:?}");
        assert_eq!(bodies.iter().filter(|b| *b == "build 2").count(), 1, "{bodies:?}");
        assert_eq!(bodies.iter().filter(|b| *b == "build 1").count(), 7, "the others got the stale copy");
        assert_eq!(get().await, "build 2");
    }
}
