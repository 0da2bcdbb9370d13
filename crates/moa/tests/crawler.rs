//! The crawler against local servers over real HTTP: conditional GET with stored validators.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use common::{crawl_all, fixture};
use moa::ingest::fetch::Fetcher;
use moa_store::Validators;

struct Feed {
    body: Vec<u8>,
    etag: Option<&'static str>,
    last_modified: Option<&'static str>,
}

/// What one request carried and got: path, If-None-Match, If-Modified-Since, status.
type Logged = (String, Option<String>, Option<String>, u16);

#[derive(Default)]
struct Server {
    feeds: Mutex<HashMap<String, Feed>>,
    log: Mutex<Vec<Logged>>,
}

impl Server {
    fn set(&self, path: &str, feed: Feed) {
        self.feeds.lock().unwrap().insert(path.to_string(), feed);
    }

    /// The requests since the last call, sorted by path.
    fn take_log(&self) -> Vec<Logged> {
        let mut log = std::mem::take(&mut *self.log.lock().unwrap());
        log.sort();
        log
    }
}

/// Answers as RFC 9110 says: If-None-Match decides when present, else If-Modified-Since (compared as the
/// date the server gave, which is what clients send back).
async fn serve(State(server): State<Arc<Server>>, uri: Uri, headers: HeaderMap) -> Response {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(String::from);
    let (inm, ims) = (text(header::IF_NONE_MATCH), text(header::IF_MODIFIED_SINCE));
    let feeds = server.feeds.lock().unwrap();
    let response = match feeds.get(uri.path()) {
        // A broken cache in front of a feed: 304 whatever was asked.
        None if uri.path() == "/always-304" => StatusCode::NOT_MODIFIED.into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
        Some(feed) => {
            let unchanged = match (&inm, &ims) {
                (Some(inm), _) => feed.etag == Some(inm.as_str()),
                (None, Some(ims)) => feed.last_modified == Some(ims.as_str()),
                (None, None) => false,
            };
            let mut headers = HeaderMap::new();
            if let Some(etag) = feed.etag {
                headers.insert(header::ETAG, etag.parse().unwrap());
            }
            if let Some(date) = feed.last_modified {
                headers.insert(header::LAST_MODIFIED, date.parse().unwrap());
            }
            if unchanged {
                (StatusCode::NOT_MODIFIED, headers).into_response()
            } else {
                (headers, feed.body.clone()).into_response()
            }
        }
    };
    server.log.lock().unwrap().push((uri.path().to_string(), inm, ims, response.status().as_u16()));
    response
}

async fn start(server: Arc<Server>) -> SocketAddr {
    let app = Router::new().fallback(serve).with_state(server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn fetcher() -> Fetcher {
    Fetcher::new(common::fetch_config()).unwrap()
}

const MONDAY: &str = "Mon, 10 Feb 2025 01:13:00 GMT";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_feeds_cost_a_304_and_nothing_else() {
    let server = Arc::new(Server::default());
    let body = || fixture("kr-wordpress-mike7dk.xml");
    server.set("/etag", Feed { body: body(), etag: Some("\"v1\""), last_modified: Some(MONDAY) });
    server.set("/date", Feed { body: fixture("kr-cheese10yun-atom.xml"), etag: None, last_modified: Some(MONDAY) });
    server.set("/plain", Feed { body: fixture("kr-s0okju.xml"), etag: None, last_modified: None });
    let addr = start(server.clone()).await;

    let dir = moa_store::testing::TestDb::from_env().await;
    let db = dir.url.clone();
    let csv = dir.path().join("sources.csv");
    let mut rows = String::from("id,name_ko,name_en,homepage,feed_url\n");
    for id in ["etag", "date", "plain"] {
        rows.push_str(&format!("{id},{id} 블로그,{id},http://{addr}/,http://{addr}/{id}\n"));
    }
    std::fs::write(&csv, rows).unwrap();
    let store = moa_store::open(&db).await.unwrap();
    store.sync_registry(&moa::ingest::registry::load(&csv).unwrap(), 1).await.unwrap();

    // First crawl: nothing to send back yet; every feed comes whole and its validators are kept.
    let first = crawl_all(store.clone()).await;
    assert_eq!((first.sources_ok, first.sources_unchanged, first.sources_failed), (3, 0, 0), "{:?}", first.failures);
    assert!(server.take_log().iter().all(|(_, inm, ims, status)| inm.is_none() && ims.is_none() && *status == 200));
    let validators: HashMap<String, Validators> =
        store.sources().await.unwrap().into_iter().map(|s| (s.spec.id, s.validators)).collect();
    assert_eq!(validators["etag"], Validators { etag: Some("\"v1\"".into()), last_modified: Some(MONDAY.into()) });
    assert_eq!(validators["date"], Validators { etag: None, last_modified: Some(MONDAY.into()) });
    assert_eq!(validators["plain"], Validators::default());
    let posts = store.count_posts(None).await.unwrap();
    let before: HashMap<String, Option<i64>> =
        store.sources().await.unwrap().into_iter().map(|s| (s.spec.id, s.last_success_at)).collect();

    // Second crawl: the validators go back, the two servers that can answer 304 do, and nothing is written.
    tokio::time::sleep(Duration::from_millis(1100)).await; // a new second, so a success is visibly newer
    let second = crawl_all(store.clone()).await;
    assert_eq!((second.sources_ok, second.sources_unchanged), (3, 2));
    assert_eq!((second.new_posts, second.updated_posts), (0, 0));
    assert_eq!(
        server.take_log(),
        [
            ("/date".to_string(), None, Some(MONDAY.to_string()), 304),
            ("/etag".to_string(), Some("\"v1\"".to_string()), Some(MONDAY.to_string()), 304),
            ("/plain".to_string(), None, None, 200),
        ]
    );
    assert_eq!(store.count_posts(None).await.unwrap(), posts);
    for s in store.sources().await.unwrap() {
        assert!(s.last_success_at > before[&s.spec.id], "{}: a 304 is a success", s.spec.id);
        assert_eq!(s.consecutive_failures, 0);
    }
    assert!(second.summary_line().contains("3 sources ok (2 unchanged)"), "{}", second.summary_line());

    // The feed changes: a new ETag, a full answer, the new post stored and the new validator kept, and the
    // store, reopened as after a restart, still sends it.
    server.set("/etag", Feed { body: fixture("kr-tistory-mike3dk.xml"), etag: Some("\"v2\""), last_modified: None });
    let third = crawl_all(store.clone()).await;
    assert_eq!((third.sources_unchanged, third.new_posts), (1, 1));
    drop(store);
    let store = moa_store::open(&db).await.unwrap();
    let etag = store.sources().await.unwrap().into_iter().find(|s| s.spec.id == "etag").unwrap().validators;
    assert_eq!(etag, Validators { etag: Some("\"v2\"".into()), last_modified: None });
    server.take_log();
    let fourth = crawl_all(store.clone()).await;
    assert_eq!(fourth.sources_unchanged, 2);
    let etag_request = server.take_log().into_iter().find(|(path, ..)| path == "/etag").unwrap();
    assert_eq!((etag_request.1.as_deref(), etag_request.3), (Some("\"v2\""), 304));
}

#[tokio::test]
async fn a_304_nobody_asked_for_is_an_error() {
    let server = Arc::new(Server::default());
    let addr = start(server.clone()).await;
    let url = format!("http://{addr}/always-304");
    // Without validators there is no earlier response a 304 could refer to: the fetch fails, clearly, so a
    // source behind a broken cache is reported failing instead of "unchanged" with no posts, forever.
    let err = fetcher().get_if_changed(&url, &Validators::default()).await.err().expect("no earlier response");
    assert_eq!(err.to_string(), "HTTP 304");
    let with = Validators { etag: Some("\"x\"".into()), last_modified: None };
    assert!(matches!(
        fetcher().get_if_changed(&url, &with).await,
        Ok(moa::ingest::fetch::Response { content: moa::ingest::fetch::Content::NotModified, .. })
    ));
}
