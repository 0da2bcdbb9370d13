//! A programmable HTTP server for crawler tests: each path answers as told (a feed with headers, a
//! status, a redirect, slowly, gzip, endless, or not until released), and every request is logged with
//! its host, User-Agent and time; requests in flight are counted per host.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

#[derive(Clone)]
pub enum Reply {
    Body {
        body: Vec<u8>,
        headers: Vec<(&'static str, String)>,
    },
    Status {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    Redirect {
        status: u16,
        to: String,
    },
    Slow {
        delay: Duration,
        then: Box<Reply>,
    },
    /// Bytes already compressed, sent with this `Content-Encoding` (gzip, br, deflate).
    Encoded(&'static str, Vec<u8>),
    /// A body of this many bytes, sent in chunks without a Content-Length.
    Endless(usize),
    /// Nothing until the test releases it.
    Hold(Arc<Notify>, Box<Reply>),
    /// Each request takes the next reply; the last one repeats.
    Seq(Arc<Mutex<std::collections::VecDeque<Reply>>>),
}

impl Reply {
    pub fn feed(body: impl Into<Vec<u8>>) -> Self {
        Reply::Body { body: body.into(), headers: vec![("content-type", "application/rss+xml".into())] }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        if let Reply::Body { headers, .. } | Reply::Status { headers, .. } = &mut self {
            headers.push((name, value.into()));
        }
        self
    }

    pub fn seq(replies: Vec<Reply>) -> Self {
        Reply::Seq(Arc::new(Mutex::new(replies.into())))
    }

    pub fn status(status: u16) -> Self {
        Reply::Status { status, headers: Vec::new(), body: String::new() }
    }
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path: String,
    pub host: String,
    pub user_agent: String,
    pub at: Instant,
    pub body: String,
}

#[derive(Default)]
pub struct TestServer {
    routes: Mutex<HashMap<String, Reply>>,
    log: Mutex<Vec<Hit>>,
    in_flight: Mutex<HashMap<String, usize>>,
    peak: Mutex<HashMap<String, usize>>,
}

impl TestServer {
    pub fn route(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.log.lock().unwrap().clone()
    }

    pub fn hits_of(&self, path: &str) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| h.path == path).collect()
    }

    pub fn clear(&self) {
        self.log.lock().unwrap().clear();
    }

    /// The most requests ever in flight at once to `host` (an IP address).
    pub fn peak(&self, host: &str) -> usize {
        self.peak.lock().unwrap().get(host).copied().unwrap_or(0)
    }

    /// Serves on `ip` (any 127.x.y.z works on Linux), on a free port.
    pub async fn start(self: &Arc<Self>, ip: &str) -> SocketAddr {
        let app = Router::new().fallback(answer).with_state(self.clone());
        let listener = tokio::net::TcpListener::bind(format!("{ip}:0")).await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        addr
    }
}

async fn answer(
    State(server): State<Arc<TestServer>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_string();
    let user_agent = headers.get(header::USER_AGENT).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
    let path = match uri.query() {
        Some(q) => format!("{}?{q}", uri.path()),
        None => uri.path().to_string(),
    };
    server.log.lock().unwrap().push(Hit {
        method: method.to_string(),
        path: path.clone(),
        host: host.clone(),
        user_agent,
        at: Instant::now(),
        body,
    });
    {
        let mut in_flight = server.in_flight.lock().unwrap();
        let n = in_flight.entry(host.clone()).or_insert(0);
        *n += 1;
        let mut peak = server.peak.lock().unwrap();
        let p = peak.entry(host.clone()).or_insert(0);
        *p = (*p).max(*n);
    }
    let reply = {
        let routes = server.routes.lock().unwrap();
        // A route may name its host (`//medium.com/feed/@x`), for tests that pin names to loopback.
        routes.get(&format!("//{host}{path}")).or_else(|| routes.get(&path)).or_else(|| routes.get(uri.path())).cloned()
    };
    let response = match reply {
        Some(reply) => render(reply).await,
        None => StatusCode::NOT_FOUND.into_response(),
    };
    *server.in_flight.lock().unwrap().entry(host).or_insert(1) -= 1;
    response
}

fn render(reply: Reply) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>> {
    Box::pin(async move {
        match reply {
            Reply::Body { body, headers } => {
                let mut r = body.into_response();
                for (k, v) in headers {
                    r.headers_mut().insert(k, v.parse().unwrap());
                }
                r
            }
            Reply::Status { status, headers, body } => {
                let mut r = (StatusCode::from_u16(status).unwrap(), body).into_response();
                for (k, v) in headers {
                    r.headers_mut().insert(k, v.parse().unwrap());
                }
                r
            }
            Reply::Redirect { status, to } => {
                (StatusCode::from_u16(status).unwrap(), [(header::LOCATION, to)]).into_response()
            }
            Reply::Slow { delay, then } => {
                tokio::time::sleep(delay).await;
                render(*then).await
            }
            Reply::Encoded(encoding, bytes) => ([(header::CONTENT_ENCODING, encoding)], bytes).into_response(),
            Reply::Endless(total) => {
                let chunks = (0..total.div_ceil(65536)).map(move |i| {
                    let n = 65536.min(total - i * 65536);
                    Ok::<_, std::io::Error>(vec![b'x'; n])
                });
                Body::from_stream(futures_util::stream::iter(chunks)).into_response()
            }
            Reply::Seq(queue) => {
                let next = {
                    let mut q = queue.lock().unwrap();
                    if q.len() > 1 { q.pop_front() } else { q.front().cloned() }
                };
                match next {
                    Some(reply) => render(reply).await,
                    None => StatusCode::NOT_FOUND.into_response(),
                }
            }
            Reply::Hold(release, then) => {
                release.notified().await;
                render(*then).await
            }
        }
    })
}
