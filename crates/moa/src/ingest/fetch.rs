//! HTTP fetching for the crawler: conditional GET, timeouts, a body cap applied after decompression,
//! redirects followed one hop at a time (to spot loops and permanent moves), politeness per host, and a
//! guard against requests to private networks (SSRF).
//!
//! The guard sits in the DNS resolver, so it judges the addresses actually connected to — for the
//! first request and for every redirect — not the host name; URLs with an IP literal never reach a
//! resolver, so they are checked before each hop. Proxy environment variables (`HTTP_PROXY`…) are
//! ignored: through a proxy the guard would never see the address connected to. An operator who sets
//! `proxy` in moa's config trusts that proxy to refuse private addresses itself.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moa_store::{ErrorKind, Validators};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{StatusCode, header, redirect};
use url::{Host, Url};

use crate::ingest::politeness::Politeness;

/// An article page is read this far (for its `og:image`, date, title, description): the `<head>` is at the
/// start.
pub const PAGE_PREFIX_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    pub max_redirects: usize,
    pub user_agent: String,
    pub allow_private_networks: bool,
    /// Private addresses allowed even so (an intranet mirror), when private networks are not.
    pub allowed_private_addresses: Vec<IpAddr>,
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    pub per_host_spacing: Duration,
    /// Names answered with a fixed address instead of DNS (like /etc/hosts), still under the guard.
    pub hosts: Vec<(String, IpAddr)>,
    /// Every request through this proxy, set in moa's config; never taken from the environment.
    pub proxy: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL {0}")]
    InvalidUrl(String),
    #[error("refused: {0} (set allow_private_networks to permit)")]
    PrivateNetwork(String),
    #[error("timed out")]
    Timeout,
    #[error("DNS: {0}")]
    Dns(Transport),
    #[error("TLS: {0}")]
    Tls(Transport),
    #[error("cannot connect: {0}")]
    Connect(Transport),
    #[error("HTTP {status}{}", retry_after.map(|d| format!(" (Retry-After {}s)", d.as_secs())).unwrap_or_default())]
    Status { status: u16, retry_after: Option<Duration> },
    #[error("HTTP {status}: blocked by bot protection ({by})")]
    Blocked { status: u16, by: String },
    #[error("host paused for {}s after it asked to slow down", .0.as_secs())]
    HostPaused(Duration),
    #[error("response body exceeds {0} bytes")]
    TooLarge(usize),
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("{0}")]
    Network(Transport),
}

/// A failure below HTTP (DNS, TLS, the connection): the cause as a person reads it (each part of reqwest's
/// chain said once, without the URL the caller already names), and reqwest's own error for code that needs
/// more. The error is kept out of `source()`: the message already says what its chain says.
#[derive(Debug)]
pub struct Transport {
    message: String,
    error: reqwest::Error,
}

impl Transport {
    fn new(message: String, error: reqwest::Error) -> Self {
        Self { message, error }
    }

    /// reqwest's error, whole.
    pub fn error(&self) -> &reqwest::Error {
        &self.error
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl FetchError {
    /// reqwest's own error, for a failure below HTTP (DNS, TLS, the connection).
    pub fn transport(&self) -> Option<&reqwest::Error> {
        match self {
            Self::Dns(t) | Self::Tls(t) | Self::Connect(t) | Self::Network(t) => Some(t.error()),
            _ => None,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidUrl(_) => ErrorKind::Other,
            Self::PrivateNetwork(_) => ErrorKind::PrivateNetwork,
            Self::Timeout => ErrorKind::Timeout,
            Self::Dns(_) => ErrorKind::Dns,
            Self::Tls(_) => ErrorKind::Tls,
            Self::Connect(_) => ErrorKind::Connect,
            Self::Status { status: 410, .. } => ErrorKind::Gone,
            Self::Status { status: 429, .. } | Self::HostPaused(_) => ErrorKind::Throttled,
            Self::Status { status: 503, retry_after: Some(_) } => ErrorKind::Throttled,
            Self::Status { .. } => ErrorKind::HttpStatus,
            Self::Blocked { .. } => ErrorKind::Blocked,
            Self::TooLarge(_) => ErrorKind::TooLarge,
            Self::RedirectLoop(_) | Self::TooManyRedirects(_) => ErrorKind::Redirect,
            Self::Network(_) => ErrorKind::Other,
        }
    }

    /// How long the server asked us to wait before asking again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            Self::HostPaused(d) => Some(*d),
            _ => None,
        }
    }
}

pub struct Fetched {
    pub url: Url,
    pub body: Vec<u8>,
    /// The `charset` parameter of the Content-Type header.
    pub charset: Option<String>,
    /// The Content-Language header.
    pub language: Option<String>,
    /// `ETag` and `Last-Modified` of the response, to send back next time.
    pub validators: Validators,
}

/// A conditional GET's answer.
pub enum Content {
    Changed(Box<Fetched>),
    /// 304: the feed is as it was when the validators were given.
    NotModified,
}

pub struct Response {
    pub content: Content,
    /// Where the request ended when it was redirected and every hop was permanent (301/308).
    pub permanent_redirect: Option<Url>,
    /// How long the server says the response stays fresh (`Cache-Control: max-age`, else `Expires`).
    pub fresh_for: Option<Duration>,
}

/// How one GET is made.
#[derive(Debug, Default, Clone, Copy)]
pub struct Get<'a> {
    pub validators: Option<&'a Validators>,
    /// Instead of moa's own User-Agent.
    pub user_agent: Option<&'a str>,
    /// Read at most this much and stop there, instead of failing at the body cap (an HTML page's head).
    pub prefix_bytes: Option<usize>,
    /// Where to add the milliseconds spent waiting for politeness slots, which are no part of the fetch.
    pub queued_ms: Option<&'a AtomicU64>,
}

/// Bodies of error responses are read this far, to recognise bot-protection pages.
const ERROR_BODY_BYTES: usize = 16 * 1024;
/// A host that says 429/503 without Retry-After is left alone this long.
const DEFAULT_PAUSE: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    config: Arc<FetchConfig>,
    politeness: Arc<Politeness>,
}

/// Installs the TLS crypto provider (ring) once per process; reqwest is built without one so that only a
/// single TLS stack is compiled.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    pub fn new(config: FetchConfig) -> anyhow::Result<Self> {
        install_tls_provider();
        let builder = match &config.proxy {
            Some(proxy) => reqwest::Client::builder().proxy(reqwest::Proxy::all(proxy)?),
            None => reqwest::Client::builder().no_proxy(),
        };
        let client = builder
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            // Followed by hand, one hop at a time: see `get_with`.
            .redirect(redirect::Policy::none())
            .dns_resolver(GuardedResolver {
                guard: guard(&config),
                hosts: Arc::new(config.hosts.clone()),
                // The operator's proxy is theirs to name: often a private address, resolved like any other.
                proxy_host: config.proxy.as_deref().and_then(|p| Url::parse(p).ok()?.host_str().map(str::to_string)),
            })
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        let politeness = Politeness::new(config.concurrency, config.per_host_concurrency, config.per_host_spacing);
        Ok(Self { client, config: Arc::new(config), politeness: Arc::new(politeness) })
    }

    /// An unconditional GET.
    pub async fn get(&self, url: &str) -> Result<Fetched, FetchError> {
        match self.get_with(url, Get::default()).await?.content {
            Content::Changed(fetched) => Ok(*fetched),
            Content::NotModified => Err(FetchError::Status { status: 304, retry_after: None }),
        }
    }

    /// A conditional GET: the validators of the last full response go back as `If-None-Match` /
    /// `If-Modified-Since`, and a server that has nothing new answers 304 with no body.
    pub async fn get_if_changed(&self, url: &str, validators: &Validators) -> Result<Response, FetchError> {
        self.get_with(url, Get { validators: Some(validators), ..Get::default() }).await
    }

    pub async fn get_with(&self, url: &str, how: Get<'_>) -> Result<Response, FetchError> {
        let mut url = Url::parse(url).map_err(|_| FetchError::InvalidUrl(url.to_string()))?;
        let validators = how.validators.cloned().unwrap_or_default();
        let asked = validators.etag.is_some() || validators.last_modified.is_some();
        let mut seen = HashSet::from([url.clone()]);
        let mut all_permanent = true;
        let mut hops = 0;
        loop {
            if !matches!(url.scheme(), "http" | "https") {
                return Err(FetchError::InvalidUrl(url.to_string()));
            }
            check_literal_host(&url, &guard(&self.config))?;
            let host = url.host_str().unwrap_or("").to_string();
            let waiting = std::time::Instant::now();
            let permit = self.politeness.acquire(&host).await.map_err(FetchError::HostPaused)?;
            if let Some(queued) = how.queued_ms {
                queued.fetch_add(waiting.elapsed().as_millis() as u64, Ordering::Relaxed);
            }
            let mut request = self.client.get(url.clone());
            if let Some(ua) = how.user_agent {
                request = request.header(header::USER_AGENT, ua);
            }
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, date);
            }
            let mut response = request.send().await.map_err(classify)?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                drop(permit);
                let location = header_text(response.headers(), header::LOCATION)
                    .ok_or(FetchError::Status { status: status.as_u16(), retry_after: None })?;
                let next = url.join(&location).map_err(|_| FetchError::InvalidUrl(location.clone()))?;
                if !seen.insert(next.clone()) {
                    return Err(FetchError::RedirectLoop(next.to_string()));
                }
                hops += 1;
                if hops > self.config.max_redirects {
                    return Err(FetchError::TooManyRedirects(self.config.max_redirects));
                }
                all_permanent &= matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT);
                url = next;
                continue;
            }
            let permanent_redirect = (hops > 0 && all_permanent).then(|| url.clone());
            let fresh_for = freshness(response.headers());
            if status == StatusCode::NOT_MODIFIED && asked {
                return Ok(Response { content: Content::NotModified, permanent_redirect, fresh_for });
            }
            if !status.is_success() {
                let retry_after =
                    header_text(response.headers(), header::RETRY_AFTER).and_then(|v| parse_retry_after(&v));
                let headers = response.headers().clone();
                let body = read_body(&mut response, ERROR_BODY_BYTES, true).await.unwrap_or_default();
                if let Some(by) = bot_wall(&headers, &body) {
                    return Err(FetchError::Blocked { status: status.as_u16(), by });
                }
                if matches!(status.as_u16(), 429 | 503) {
                    self.politeness.pause(&host, retry_after.unwrap_or(DEFAULT_PAUSE));
                }
                return Err(FetchError::Status { status: status.as_u16(), retry_after });
            }
            let validators = Validators {
                etag: header_text(response.headers(), header::ETAG),
                last_modified: header_text(response.headers(), header::LAST_MODIFIED),
            };
            let charset = header_text(response.headers(), header::CONTENT_TYPE).and_then(|ct| charset_of(&ct));
            let language = header_text(response.headers(), header::CONTENT_LANGUAGE);
            let (cap, truncate) = match how.prefix_bytes {
                Some(n) => (n, true),
                None => (self.config.max_body_bytes, false),
            };
            let body = read_body(&mut response, cap, truncate).await?;
            drop(permit);
            let fetched = Fetched { url, body, charset, language, validators };
            return Ok(Response { content: Content::Changed(Box::new(fetched)), permanent_redirect, fresh_for });
        }
    }

    /// POSTs a form (a WebSub subscription request).
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<u16, FetchError> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        self.post(url, &[("content-type", "application/x-www-form-urlencoded")], body).await
    }

    /// POSTs a body under the same address guard and politeness as a GET. A redirect is not followed
    /// (its status is the answer): a POST sent on to another address is how a receiver would reach inside.
    pub async fn post(&self, url: &str, headers: &[(&str, &str)], body: String) -> Result<u16, FetchError> {
        let parsed = Url::parse(url).map_err(|_| FetchError::InvalidUrl(url.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl(url.to_string()));
        }
        check_literal_host(&parsed, &guard(&self.config))?;
        let host = parsed.host_str().unwrap_or("").to_string();
        let _permit = self.politeness.acquire(&host).await.map_err(FetchError::HostPaused)?;
        let mut request = self.client.post(parsed).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.map_err(classify)?;
        Ok(response.status().as_u16())
    }
}

/// The `charset` parameter of a Content-Type value.
pub fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|p| p.trim().strip_prefix("charset=").map(|c| c.trim_matches('"').to_string()))
}

fn header_text(headers: &header::HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Reads the body up to `cap` bytes, counted after decompression so a small gzip bomb stops at the cap:
/// past it, the body is cut there (`truncate`) or the fetch fails.
async fn read_body(response: &mut reqwest::Response, cap: usize, truncate: bool) -> Result<Vec<u8>, FetchError> {
    if !truncate && response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(FetchError::TooLarge(cap));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() + chunk.len() > cap {
            if truncate {
                body.extend_from_slice(&chunk[..cap - body.len()]);
                break;
            }
            return Err(FetchError::TooLarge(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `Retry-After`: seconds, or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = moa_feed::parse_date(value, 0)?;
    Some(Duration::from_secs(u64::try_from(at - crate::now_unix()).unwrap_or(0)))
}

/// How long a response stays fresh: `Cache-Control: max-age` (unless `no-cache`/`no-store`), else
/// `Expires` measured against the server's `Date`.
pub fn freshness(headers: &header::HeaderMap) -> Option<Duration> {
    if let Some(cc) = header_text(headers, header::CACHE_CONTROL) {
        let directives: Vec<String> = cc.split(',').map(|d| d.trim().to_ascii_lowercase()).collect();
        if directives.iter().any(|d| d == "no-cache" || d == "no-store") {
            return None;
        }
        if let Some(age) = directives.iter().find_map(|d| d.strip_prefix("max-age=")?.trim_matches('"').parse().ok()) {
            return Some(Duration::from_secs(age));
        }
    }
    let expires = moa_feed::parse_date(&header_text(headers, header::EXPIRES)?, 0)?;
    let now =
        header_text(headers, header::DATE).and_then(|d| moa_feed::parse_date(&d, 0)).unwrap_or_else(crate::now_unix);
    u64::try_from(expires - now).ok().filter(|s| *s > 0).map(Duration::from_secs)
}

/// Bot-protection walls: Cloudflare's challenge (its `cf-mitigated` header or its page), and CAPTCHA
/// pages served in place of the feed.
pub fn bot_wall(headers: &header::HeaderMap, body: &[u8]) -> Option<String> {
    if headers.get("cf-mitigated").is_some() {
        return Some("Cloudflare challenge".into());
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(ERROR_BODY_BYTES)]).to_ascii_lowercase();
    let server = header_text(headers, header::SERVER).unwrap_or_default().to_ascii_lowercase();
    if head.contains("cf-chl")
        || head.contains("challenge-platform")
        || (server == "cloudflare" && head.contains("just a moment"))
    {
        return Some("Cloudflare challenge".into());
    }
    if head.contains("attention required! | cloudflare") {
        return Some("Cloudflare block".into());
    }
    if head.contains("g-recaptcha") || head.contains("hcaptcha") || head.contains("captcha-delivery") {
        return Some("CAPTCHA".into());
    }
    if server.contains("ddos-guard") || head.contains("sucuri website firewall") {
        return Some("web application firewall".into());
    }
    None
}

fn classify(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    // The guard's own refusal is buried in the error chain; surface it whole.
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if let Some(rest) = text.strip_prefix(PRIVATE_PREFIX) {
            return FetchError::PrivateNetwork(rest.to_string());
        }
        if s.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut) {
            return FetchError::Timeout;
        }
        if is_tls_error(s) {
            return FetchError::Tls(Transport::new(text, e));
        }
        // reqwest's outer layers repeat the URL the caller already names, and say nothing of the cause.
        let wrapper = text.starts_with("error sending request for url") || text.starts_with("client error (");
        if !wrapper && !chain.iter().any(|c: &String| c.contains(&text)) {
            chain.push(text);
        }
        source = s.source();
    }
    let message = if chain.is_empty() { e.to_string() } else { chain.join(": ") };
    let lower = message.to_ascii_lowercase();
    let is_connect = e.is_connect();
    let transport = Transport::new(message, e);
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        FetchError::Dns(transport)
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        FetchError::Tls(transport)
    } else if is_connect {
        FetchError::Connect(transport)
    } else {
        FetchError::Network(transport)
    }
}

/// Whether a rustls error is inside: rustls reports through `io::Error`s (nested), whose `source()`
/// skips the error they wrap, so each is opened with `get_ref`.
fn is_tls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.is::<rustls::Error>() {
        return true;
    }
    match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
        Some(inner) => is_tls_error(inner),
        None => false,
    }
}

const PRIVATE_PREFIX: &str = "moa-ssrf-guard: ";

/// Which addresses may be connected to.
#[derive(Debug, Clone)]
struct Guard {
    allow_private_networks: bool,
    allowed: Vec<IpAddr>,
}

impl Guard {
    fn permits(&self, ip: IpAddr) -> bool {
        self.allow_private_networks || is_public(ip) || self.allowed.contains(&ip)
    }
}

fn guard(config: &FetchConfig) -> Guard {
    Guard { allow_private_networks: config.allow_private_networks, allowed: config.allowed_private_addresses.clone() }
}

fn check_literal_host(url: &Url, guard: &Guard) -> Result<(), FetchError> {
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if guard.permits(ip) { Ok(()) } else { Err(FetchError::PrivateNetwork(format!("{ip} is not a public address"))) }
}

/// Addresses on the public internet. Everything else — loopback, private ranges, link-local, CGNAT,
/// multicast, documentation and reserved ranges — is refused unless the operator allows it.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| std::net::Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
            // Forms that carry an IPv4 address are judged by it: mapped (::ffff:a.b.c.d), compatible
            // (::a.b.c.d), 6to4 (2002:AABB:CCDD::), Teredo (2001:0::/32, the client's address inverted in
            // the last 32 bits), NAT64 (64:ff9b::/96) and SIIT. The local NAT64 64:ff9b:1::/48 is refused.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            if s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
                return is_public(IpAddr::V4(embedded(s[6], s[7])));
            }
            if s[0] == 0x2002 {
                return is_public(IpAddr::V4(embedded(s[1], s[2])));
            }
            if s[0] == 0x2001 && s[1] == 0 {
                return is_public(IpAddr::V4(embedded(s[2], s[3]))) && is_public(IpAddr::V4(embedded(!s[6], !s[7])));
            }
            // NAT64's well-known /96 (what DNS64 answers for IPv4-only sites) and SIIT's ::ffff:0:a.b.c.d.
            if (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4])
                || (s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0)
            {
                return is_public(IpAddr::V4(embedded(s[6], s[7])));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique-local fc00::/7, link-local fe80::/10, the deprecated site-local fec0::/10.
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                // Documentation 2001:db8::/32, discard-only 100::/64, local-use NAT64 64:ff9b:1::/48.
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x100 && s[1..4] == [0, 0, 0])
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

struct GuardedResolver {
    guard: Guard,
    hosts: Arc<Vec<(String, IpAddr)>>,
    proxy_host: Option<String>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let is_proxy = self.proxy_host.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(&host));
        let guard =
            if is_proxy { Guard { allow_private_networks: true, allowed: Vec::new() } } else { self.guard.clone() };
        let pinned: Vec<SocketAddr> = self
            .hosts
            .iter()
            .filter(|(h, _)| h.eq_ignore_ascii_case(&host))
            .map(|(_, ip)| SocketAddr::new(*ip, 0))
            .collect();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                if pinned.is_empty() { tokio::net::lookup_host((host.as_str(), 0)).await?.collect() } else { pinned };
            let allowed: Vec<SocketAddr> = addrs.iter().copied().filter(|a| guard.permits(a.ip())).collect();
            if allowed.is_empty() && !addrs.is_empty() {
                let msg = format!("{PRIVATE_PREFIX}{host} resolves to a non-public address ({})", addrs[0].ip());
                return Err(msg.into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_private_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
            // IPv6 forms that embed or tunnel a private IPv4 address, and the old site-local range.
            "::127.0.0.1",
            "::10.0.0.1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "fec0::1",
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            "2001:0:7f00:1::1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::a00:1",
            "::ffff:0:7f00:1",
            "100::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private} should be refused");
        }
        for public in
            ["1.1.1.1", "211.249.220.24", "2606:4700::1111", "2002:0101:0101::1", "::8.8.8.8", "64:ff9b::808:808"]
        {
            assert!(is_public(public.parse().unwrap()), "{public} should be allowed");
        }
    }

    #[test]
    fn server_hints() {
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        let later = moa_feed::format_rfc3339(crate::now_unix() + 600);
        let in_ten_minutes = parse_retry_after(&later).unwrap().as_secs();
        assert!((595..=600).contains(&in_ten_minutes), "{in_ten_minutes}");
        assert_eq!(parse_retry_after("soon"), None);

        let headers = |pairs: &[(&'static str, &str)]| {
            let mut h = header::HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().unwrap());
            }
            h
        };
        assert_eq!(freshness(&headers(&[("cache-control", "public, max-age=3600")])), Some(Duration::from_secs(3600)));
        assert_eq!(freshness(&headers(&[("cache-control", "no-cache, max-age=3600")])), None);
        let expires =
            headers(&[("date", "Mon, 10 Feb 2025 01:00:00 GMT"), ("expires", "Mon, 10 Feb 2025 03:00:00 GMT")]);
        assert_eq!(freshness(&expires), Some(Duration::from_secs(7200)));
        assert_eq!(freshness(&headers(&[("expires", "0")])), None);

        assert!(bot_wall(&headers(&[("cf-mitigated", "challenge")]), b"").is_some());
        let page = b"<html><title>Just a moment...</title><script src=/cdn-cgi/challenge-platform/x.js>";
        assert_eq!(bot_wall(&headers(&[("server", "cloudflare")]), page).as_deref(), Some("Cloudflare challenge"));
        assert_eq!(bot_wall(&headers(&[("server", "nginx")]), b"<h1>Service Unavailable</h1>"), None);
    }

    #[tokio::test]
    async fn a_transport_failure_keeps_the_transport_error() {
        install_tls_provider();
        // A port nothing listens on: bound, then let go.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = FetchConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            max_body_bytes: 1 << 20,
            max_redirects: 5,
            user_agent: "moa-test".into(),
            allow_private_networks: true,
            allowed_private_addresses: Vec::new(),
            concurrency: 1,
            per_host_concurrency: 1,
            per_host_spacing: Duration::ZERO,
            hosts: Vec::new(),
            proxy: None,
        };
        let fetcher = Fetcher::new(config).unwrap();
        let error = fetcher.get(&format!("http://127.0.0.1:{port}/feed.xml")).await.err().expect("nothing listens");
        assert!(matches!(error, FetchError::Connect(_)), "a closed port is a connection failure: {error}");
        let transport = error.transport().expect("reqwest's own error is kept");
        assert!(transport.is_connect(), "{transport:?}");
        assert!(!error.to_string().contains("error sending request"), "the message drops the URL wrapper: {error}");
    }
}
