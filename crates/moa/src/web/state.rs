//! The web's application state: the store, the search index, the crawler of this process, settings, and
//! what each request's address means (this site's address, the client's).

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use moa_store::Store;

use crate::ingest::webhook::Notifier;

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
    pub fetcher: Option<crate::ingest::fetch::Fetcher>,
    /// The full-text index; without it, the search page says search is not ready.
    pub search: Option<Arc<crate::search::Search>>,
    /// The crawler of this process, for the console's "refresh now"; without it a refreshed source is
    /// only made due, for whichever process crawls.
    pub crawler: Option<Arc<crate::ingest::crawl::Crawler>>,
    /// The settings in effect (key, variable, value), for the console's settings page.
    pub settings: Arc<Vec<(&'static str, &'static str, String)>>,
    /// Who may read `/metrics` and sources' error texts.
    pub operations: Arc<OperationsAccess>,
    /// Sign-ins in turn, per client address.
    pub sign_ins: Arc<crate::web::auth::SignInQueue>,
    /// The reverse proxies whose `X-Forwarded-For` is believed; none by default.
    pub trusted_proxies: Arc<crate::web::listen::TrustedProxies>,
    /// How long a built page, feed or API answer is served again; zero builds every answer afresh.
    pub(crate) cache_ttl: std::time::Duration,
    source_list: Arc<crate::web::cache::SourceList>,
    /// The home page's company picker as last rendered.
    pub(crate) picker: Arc<crate::web::picker::PickerHtml>,
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
            cache_ttl: crate::web::cache::DEFAULT_CACHE_TTL,
            source_list: Arc::new(crate::web::cache::SourceList::new(crate::web::cache::DEFAULT_CACHE_TTL)),
            picker: Arc::default(),
        }
    }

    pub fn with_search(self, search: Arc<crate::search::Search>) -> Self {
        Self { search: Some(search), ..self }
    }

    pub fn with_cache_ttl(self, ttl: std::time::Duration) -> Self {
        Self { cache_ttl: ttl, source_list: Arc::new(crate::web::cache::SourceList::new(ttl)), ..self }
    }

    /// Every source with its post count (see [`crate::web::cache::SourceList`]).
    pub async fn sources(&self) -> moa_store::Result<Arc<Vec<moa_store::SourceRow>>> {
        self.source_list.get(self.store.as_ref()).await
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

/// This site's address for links that must be absolute (feeds, sitemaps, the JSON API): `public_url`,
/// else the request's `Host` (and then every answer varies by it: see `web::vary_on_host`).
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    match &state.public_url {
        Some(u) => u.as_str().trim_end_matches('/').to_string(),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

/// Who a request is from (see [`crate::web::listen::TrustedProxies::client`]; an IPv6 client by its /64), as
/// text for counters.
pub(crate) fn client_address(state: &AppState, extensions: &axum::http::Extensions, headers: &HeaderMap) -> String {
    state
        .trusted_proxies
        .client(crate::web::listen::peer_of(extensions), headers)
        .map(|ip| crate::web::listen::client_key(ip).to_string())
        .unwrap_or_default()
}
