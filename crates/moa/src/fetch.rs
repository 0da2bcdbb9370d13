//! HTTP fetching for the crawler: timeouts, a body cap applied after decompression, a redirect limit,
//! and a guard against requests to private networks (SSRF).
//!
//! The guard sits in the DNS resolver, so it judges the addresses actually connected to — for the
//! first request and for every redirect — not the host name; URLs with an IP literal never reach a
//! resolver, so they are checked before the request and in the redirect policy.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use moa_store::Validators;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{header, redirect};
use url::{Host, Url};

use crate::config::Settings;

#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    pub max_redirects: usize,
    pub user_agent: String,
    pub allow_private_networks: bool,
}

impl From<&Settings> for FetchConfig {
    fn from(s: &Settings) -> Self {
        Self {
            connect_timeout: s.connect_timeout,
            timeout: s.fetch_timeout,
            max_body_bytes: s.max_body_bytes,
            max_redirects: s.max_redirects,
            user_agent: s.user_agent.clone(),
            allow_private_networks: s.allow_private_networks,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL {0}")]
    InvalidUrl(String),
    #[error("refused: {0} (set allow_private_networks to permit)")]
    PrivateNetwork(String),
    #[error("timed out")]
    Timeout,
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("response body exceeds {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    Network(String),
}

pub struct Fetched {
    pub url: Url,
    pub body: Vec<u8>,
    /// The `charset` parameter of the Content-Type header.
    pub charset: Option<String>,
    /// `ETag` and `Last-Modified` of the response, to send back next time.
    pub validators: Validators,
}

/// A conditional GET's answer.
pub enum Response {
    Changed(Fetched),
    /// 304: the feed is as it was when the validators were given.
    NotModified,
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    config: Arc<FetchConfig>,
}

/// Installs the TLS crypto provider (ring) once per process; reqwest is built without one so that only a
/// single TLS stack is compiled.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    pub fn new(config: FetchConfig) -> anyhow::Result<Self> {
        install_tls_provider();
        let allow = config.allow_private_networks;
        let max_redirects = config.max_redirects;
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                return attempt.error(format!("more than {max_redirects} redirects"));
            }
            if let Err(e) = check_literal_host(attempt.url(), allow) {
                return attempt.error(e.to_string());
            }
            attempt.follow()
        });
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(policy)
            .dns_resolver(GuardedResolver { allow_private_networks: allow })
            .build()?;
        Ok(Self { client, config: Arc::new(config) })
    }

    /// An unconditional GET.
    pub async fn get(&self, url: &str) -> Result<Fetched, FetchError> {
        match self.get_if_changed(url, &Validators::default()).await? {
            Response::Changed(fetched) => Ok(fetched),
            Response::NotModified => Err(FetchError::Status(304)),
        }
    }

    /// A conditional GET: the validators of the last full response go back as `If-None-Match` /
    /// `If-Modified-Since`, and a server that has nothing new answers 304 with no body.
    pub async fn get_if_changed(&self, url: &str, validators: &Validators) -> Result<Response, FetchError> {
        let parsed = Url::parse(url).map_err(|_| FetchError::InvalidUrl(url.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl(url.to_string()));
        }
        check_literal_host(&parsed, self.config.allow_private_networks)?;
        let mut request = self.client.get(parsed);
        if let Some(etag) = &validators.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(date) = &validators.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, date);
        }
        let mut response = request.send().await.map_err(classify)?;
        let status = response.status();
        let asked = validators.etag.is_some() || validators.last_modified.is_some();
        if status == reqwest::StatusCode::NOT_MODIFIED && asked {
            return Ok(Response::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let header_text = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from);
        let validators =
            Validators { etag: header_text(header::ETAG), last_modified: header_text(header::LAST_MODIFIED) };
        let charset =
            response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|ct| {
                ct.split(';').find_map(|p| p.trim().strip_prefix("charset=").map(|c| c.trim_matches('"').to_string()))
            });
        let url = response.url().clone();
        let cap = self.config.max_body_bytes;
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Err(FetchError::TooLarge(cap));
        }
        // Counted after decompression, so a small gzip bomb stops at the cap.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > cap {
                return Err(FetchError::TooLarge(cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response::Changed(Fetched { url, body, charset, validators }))
    }
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
        if !chain.iter().any(|c: &String| c.contains(&text)) {
            chain.push(text);
        }
        source = s.source();
    }
    FetchError::Network(chain.join(": "))
}

const PRIVATE_PREFIX: &str = "moa-ssrf-guard: ";

fn check_literal_host(url: &Url, allow: bool) -> Result<(), FetchError> {
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if allow || is_public(ip) {
        Ok(())
    } else {
        Err(FetchError::PrivateNetwork(format!("{ip} is not a public address")))
    }
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
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

struct GuardedResolver {
    allow_private_networks: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_private_networks;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs.iter().copied().filter(|a| allow || is_public(a.ip())).collect();
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
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private} should be refused");
        }
        for public in ["1.1.1.1", "211.249.220.24", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public} should be allowed");
        }
    }
}
