//! Settings: command-line flag, then environment variable, then config file (`moa.toml`), then default.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ingest::webhook::Webhook;
use anyhow::Context;
use serde::{Deserialize, Serialize};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://moa-data/moa.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_CONFIG_FILE: &str = "moa.toml";

/// The config file; every key is optional, and each has an environment variable ([`ENV`]) that beats it.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    /// PostgreSQL connections each process may hold.
    pub database_max_connections: Option<u32>,
    pub search_index_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub sources: Option<PathBuf>,
    pub allow_private_networks: Option<bool>,
    #[serde(default)]
    pub allowed_private_addresses: Vec<std::net::IpAddr>,
    pub min_check_interval_minutes: Option<u64>,
    pub max_check_interval_minutes: Option<u64>,
    pub concurrency: Option<usize>,
    pub per_host_concurrency: Option<usize>,
    pub per_host_spacing_ms: Option<u64>,
    pub connect_timeout_seconds: Option<u64>,
    pub fetch_timeout_seconds: Option<u64>,
    pub max_body_bytes: Option<usize>,
    pub max_redirects: Option<usize>,
    pub user_agent: Option<String>,
    pub timezone: Option<String>,
    pub page_images: Option<bool>,
    /// Article pages read per source and crawl (newest posts first; the rest on later crawls).
    pub pages_per_source: Option<u32>,
    pub public_url: Option<String>,
    pub webhook_attempts: Option<u32>,
    pub webhook_retry_base_ms: Option<u64>,
    /// Seconds a built page, feed or API answer is served again (0: build every answer).
    pub page_cache_seconds: Option<u64>,
    /// Post bodies older than this many months are dropped (titles, summaries, links kept). 0 or unset: kept.
    pub retention_body_months: Option<u32>,
    /// How long a crawler holds the sources it claimed: a crashed crawler's sources go to another after it.
    pub crawl_lease_seconds: Option<u64>,
    /// Names answered with a fixed address instead of DNS, like /etc/hosts.
    #[serde(default)]
    pub hosts: std::collections::BTreeMap<String, std::net::IpAddr>,
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
    /// Seconds a client has to send a request head (and an idle keep-alive connection is kept).
    pub header_read_timeout_seconds: Option<u64>,
    /// Seconds a whole request may take, its body included.
    pub request_timeout_seconds: Option<u64>,
    /// Connections served at once, in all and from one address.
    pub max_connections: Option<usize>,
    pub max_connections_per_ip: Option<usize>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`"10.0.0.5"`, `"10.0.0.0/8"`).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// A proxy for every outbound request (`http://proxy.internal:3128`); proxy environment variables
    /// are ignored.
    pub proxy: Option<String>,
    /// `/metrics` and the texts of fetch errors in the API for everyone (default: operators and
    /// `metrics_token` only).
    pub public_operations: Option<bool>,
    pub metrics_token: Option<String>,
}

/// Article pages read per source and crawl by default: enough for a blog's new posts of a day, few enough
/// that a first crawl of a backlog does not wait on hundreds of pages.
pub const DEFAULT_PAGES_PER_SOURCE: u32 = 8;

/// Every config key and the environment variable that overrides it. A value is read as TOML (`30`,
/// `true`, `["10.0.0.5"]`, `[{url = "…"}]`, `{ "a.example" = "10.0.0.5" }`), else as a plain string.
pub const ENV: &[(&str, &str)] = &[
    ("database_url", "MOA_DATABASE_URL"),
    ("database_max_connections", "MOA_DATABASE_MAX_CONNECTIONS"),
    ("search_index_dir", "MOA_SEARCH_INDEX"),
    ("listen", "MOA_LISTEN"),
    ("sources", "MOA_SOURCES"),
    ("allow_private_networks", "MOA_ALLOW_PRIVATE_NETWORKS"),
    ("allowed_private_addresses", "MOA_ALLOWED_PRIVATE_ADDRESSES"),
    ("min_check_interval_minutes", "MOA_MIN_CHECK_INTERVAL_MINUTES"),
    ("max_check_interval_minutes", "MOA_MAX_CHECK_INTERVAL_MINUTES"),
    ("concurrency", "MOA_CONCURRENCY"),
    ("per_host_concurrency", "MOA_PER_HOST_CONCURRENCY"),
    ("per_host_spacing_ms", "MOA_PER_HOST_SPACING_MS"),
    ("connect_timeout_seconds", "MOA_CONNECT_TIMEOUT_SECONDS"),
    ("fetch_timeout_seconds", "MOA_FETCH_TIMEOUT_SECONDS"),
    ("max_body_bytes", "MOA_MAX_BODY_BYTES"),
    ("max_redirects", "MOA_MAX_REDIRECTS"),
    ("user_agent", "MOA_USER_AGENT"),
    ("timezone", "MOA_TIMEZONE"),
    ("page_images", "MOA_PAGE_IMAGES"),
    ("pages_per_source", "MOA_PAGES_PER_SOURCE"),
    ("public_url", "MOA_PUBLIC_URL"),
    ("webhook_attempts", "MOA_WEBHOOK_ATTEMPTS"),
    ("webhook_retry_base_ms", "MOA_WEBHOOK_RETRY_BASE_MS"),
    ("page_cache_seconds", "MOA_PAGE_CACHE_SECONDS"),
    ("retention_body_months", "MOA_RETENTION_BODY_MONTHS"),
    ("crawl_lease_seconds", "MOA_CRAWL_LEASE_SECONDS"),
    ("hosts", "MOA_HOSTS"),
    ("webhooks", "MOA_WEBHOOKS"),
    ("header_read_timeout_seconds", "MOA_HEADER_READ_TIMEOUT_SECONDS"),
    ("request_timeout_seconds", "MOA_REQUEST_TIMEOUT_SECONDS"),
    ("max_connections", "MOA_MAX_CONNECTIONS"),
    ("max_connections_per_ip", "MOA_MAX_CONNECTIONS_PER_IP"),
    ("trusted_proxies", "MOA_TRUSTED_PROXIES"),
    ("proxy", "MOA_PROXY"),
    ("public_operations", "MOA_PUBLIC_OPERATIONS"),
    ("metrics_token", "MOA_METRICS_TOKEN"),
];

/// An environment value as the TOML value it spells, else as a string; `1`/`0` also mean true/false
/// for the boolean keys.
fn env_value(key: &str, raw: &str) -> toml::Value {
    if matches!(key, "allow_private_networks" | "page_images" | "public_operations") {
        match raw.trim() {
            "1" | "yes" | "on" => return toml::Value::Boolean(true),
            "0" | "no" | "off" | "" => return toml::Value::Boolean(false),
            _ => {}
        }
    }
    match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.into())),
        Err(_) => toml::Value::String(raw.into()),
    }
}

impl FileConfig {
    /// Reads `path`, or `./moa.toml` when no path is given and that file exists, then the environment.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let path = match path {
            Some(p) => Some(p.to_path_buf()),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => Some(PathBuf::from(DEFAULT_CONFIG_FILE)),
            None => None,
        };
        let mut table = match &path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                toml::from_str::<toml::Table>(&text)
                    .with_context(|| format!("invalid config file {}", path.display()))?
            }
            None => toml::Table::new(),
        };
        Self::apply_env(&mut table, |name| std::env::var(name).ok());
        table.try_into().with_context(|| match &path {
            Some(p) => format!("invalid config file {} (or a MOA_ environment variable)", p.display()),
            None => "invalid settings in MOA_ environment variables".to_string(),
        })
    }

    /// Sets every key whose environment variable `var` knows.
    pub fn apply_env(table: &mut toml::Table, var: impl Fn(&str) -> Option<String>) {
        for (key, name) in ENV {
            if let Some(raw) = var(name) {
                table.insert((*key).to_string(), env_value(key, &raw));
            }
        }
    }
}

/// Settings after every layer is applied.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub database_max_connections: u32,
    /// The full-text index's directory.
    pub search_index_dir: PathBuf,
    pub listen: String,
    pub sources: Option<PathBuf>,
    pub allow_private_networks: bool,
    /// Private addresses fetched even when private networks are refused (an intranet mirror).
    pub allowed_private_addresses: Vec<std::net::IpAddr>,
    /// Bounds of the adaptive interval between checks of one source.
    pub min_check_interval: Duration,
    pub max_check_interval: Duration,
    /// Fetches at once, over all hosts.
    pub concurrency: usize,
    /// Fetches at once to one host, and the least time between two of them starting.
    pub per_host_concurrency: usize,
    pub per_host_spacing: Duration,
    pub connect_timeout: Duration,
    pub fetch_timeout: Duration,
    pub max_body_bytes: usize,
    pub max_redirects: usize,
    pub user_agent: String,
    /// Offset from UTC in seconds for feed dates written without a zone.
    pub timezone_offset: i32,
    /// Read posts' article pages for the og:image or the date the feed does not give.
    pub page_images: bool,
    pub pages_per_source: u32,
    /// The address readers and hubs reach this server at; WebSub needs it for its callback.
    pub public_url: Option<url::Url>,
    pub webhooks: Vec<Webhook>,
    pub webhook_attempts: u32,
    pub webhook_retry_base: Duration,
    pub page_cache_ttl: Duration,
    /// Post bodies dated before this many months ago are dropped; `None`: kept for ever.
    pub retention_body_months: Option<u32>,
    /// How long claimed sources are held (see [`FileConfig::crawl_lease_seconds`]).
    pub crawl_lease: Duration,
    pub hosts: Vec<(String, std::net::IpAddr)>,
    /// How the web server bounds its clients, and which proxies it believes.
    pub server: crate::web::listen::ServerLimits,
    /// The outbound proxy the operator set, if any.
    pub proxy: Option<String>,
    pub operations: crate::web::OperationsAccess,
}

/// What the command line (flags and their environment variables) said; `None` means "not given".
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub search_index_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub sources: Option<PathBuf>,
    pub allow_private_networks: bool,
    pub public_url: Option<String>,
}

impl Settings {
    // Over 80 lines: one flat struct literal, each setting beside its default, read best whole.
    pub fn resolve(file: FileConfig, cli: Overrides) -> anyhow::Result<Self> {
        let timezone = file.timezone.as_deref().unwrap_or("Asia/Seoul");
        let timezone_offset = moa_feed::parse_timezone(timezone)
            .with_context(|| format!("unknown timezone {timezone:?} (use e.g. Asia/Seoul, UTC or +09:00)"))?;
        let min_minutes = file.min_check_interval_minutes.unwrap_or(15);
        let max_minutes = file.max_check_interval_minutes.unwrap_or(24 * 60);
        anyhow::ensure!(
            min_minutes >= 1 && min_minutes <= max_minutes,
            "check intervals: need 1 <= min_check_interval_minutes ({min_minutes}) <= max_check_interval_minutes ({max_minutes})"
        );
        let public_url = cli
            .public_url
            .or(file.public_url)
            .map(|u| url::Url::parse(&u).with_context(|| format!("public_url {u:?} is not an absolute URL")))
            .transpose()?;
        for hook in &file.webhooks {
            url::Url::parse(&hook.url).with_context(|| format!("webhook url {:?} is not an absolute URL", hook.url))?;
        }
        let database_url = cli.database_url.or(file.database_url).unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let fetch_timeout = Duration::from_secs(file.fetch_timeout_seconds.unwrap_or(30));
        // A lease shorter than a fetch could pass a source to a second crawler while the first still reads it.
        let crawl_lease = Duration::from_secs(file.crawl_lease_seconds.unwrap_or(min_minutes * 60));
        anyhow::ensure!(
            crawl_lease >= fetch_timeout * 2,
            "crawl_lease_seconds ({}) must be at least twice fetch_timeout_seconds ({})",
            crawl_lease.as_secs(),
            fetch_timeout.as_secs()
        );
        Ok(Self {
            search_index_dir: cli
                .search_index_dir
                .or(file.search_index_dir)
                .unwrap_or_else(|| crate::search::default_dir(&database_url)),
            database_url,
            database_max_connections: file
                .database_max_connections
                .unwrap_or(moa_store::OpenOptions::default().max_connections)
                .max(2),
            listen: cli.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into()),
            sources: cli.sources.or(file.sources),
            allow_private_networks: cli.allow_private_networks || file.allow_private_networks.unwrap_or(false),
            allowed_private_addresses: file.allowed_private_addresses,
            min_check_interval: Duration::from_secs(min_minutes * 60),
            max_check_interval: Duration::from_secs(max_minutes * 60),
            concurrency: file.concurrency.unwrap_or(32).max(1),
            per_host_concurrency: file.per_host_concurrency.unwrap_or(2).max(1),
            per_host_spacing: Duration::from_millis(file.per_host_spacing_ms.unwrap_or(1000)),
            connect_timeout: Duration::from_secs(file.connect_timeout_seconds.unwrap_or(10)),
            fetch_timeout,
            max_body_bytes: file.max_body_bytes.unwrap_or(16 << 20),
            max_redirects: file.max_redirects.unwrap_or(5),
            user_agent: file.user_agent.unwrap_or_else(|| default_user_agent(public_url.as_ref())),
            timezone_offset,
            page_images: file.page_images.unwrap_or(true),
            pages_per_source: file.pages_per_source.unwrap_or(DEFAULT_PAGES_PER_SOURCE),
            public_url,
            webhooks: file.webhooks,
            webhook_attempts: file.webhook_attempts.unwrap_or(6).max(1),
            webhook_retry_base: Duration::from_millis(file.webhook_retry_base_ms.unwrap_or(2000)),
            page_cache_ttl: file.page_cache_seconds.map_or(crate::web::cache::DEFAULT_CACHE_TTL, Duration::from_secs),
            retention_body_months: file.retention_body_months.filter(|m| *m > 0),
            crawl_lease,
            hosts: file.hosts.into_iter().collect(),
            proxy: match file.proxy {
                Some(p) => {
                    Some(url::Url::parse(&p).map(|_| p.clone()).with_context(|| format!("proxy {p:?} is not a URL"))?)
                }
                None => None,
            },
            operations: crate::web::OperationsAccess {
                public: file.public_operations.unwrap_or(false),
                metrics_token: file.metrics_token.filter(|t| !t.trim().is_empty()),
            },
            server: {
                let d = crate::web::listen::ServerLimits::default();
                crate::web::listen::ServerLimits {
                    header_read_timeout: file
                        .header_read_timeout_seconds
                        .map_or(d.header_read_timeout, |s| Duration::from_secs(s.max(1))),
                    request_timeout: file
                        .request_timeout_seconds
                        .map_or(d.request_timeout, |s| Duration::from_secs(s.max(1))),
                    max_connections: file.max_connections.unwrap_or(d.max_connections).max(1),
                    max_connections_per_ip: file.max_connections_per_ip.unwrap_or(d.max_connections_per_ip).max(1),
                    trusted_proxies: crate::web::listen::TrustedProxies::parse(&file.trusted_proxies)
                        .map_err(anyhow::Error::msg)?,
                }
            },
        })
    }
}

/// The settings in effect, key by key with the variable that overrides each, for the console's settings
/// page. Secrets are masked: a database password, and webhook URLs (a Slack or Discord URL is its key).
pub fn effective(s: &Settings) -> Vec<(&'static str, &'static str, String)> {
    let masked_db = mask_password(&s.database_url);
    let hooks: Vec<String> = s
        .webhooks
        .iter()
        .map(|h| {
            let origin = url::Url::parse(&h.url).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
            format!("{origin}/… ({:?})", h.format).to_lowercase()
        })
        .collect();
    let value = |key: &str| -> String {
        match key {
            "database_url" => masked_db.clone(),
            "database_max_connections" => s.database_max_connections.to_string(),
            "search_index_dir" => s.search_index_dir.display().to_string(),
            "listen" => s.listen.clone(),
            "sources" => s.sources.as_ref().map_or_else(|| "(built-in registry)".into(), |p| p.display().to_string()),
            "allow_private_networks" => s.allow_private_networks.to_string(),
            "allowed_private_addresses" => format!("{:?}", s.allowed_private_addresses),
            "min_check_interval_minutes" => (s.min_check_interval.as_secs() / 60).to_string(),
            "max_check_interval_minutes" => (s.max_check_interval.as_secs() / 60).to_string(),
            "concurrency" => s.concurrency.to_string(),
            "per_host_concurrency" => s.per_host_concurrency.to_string(),
            "per_host_spacing_ms" => s.per_host_spacing.as_millis().to_string(),
            "connect_timeout_seconds" => s.connect_timeout.as_secs().to_string(),
            "fetch_timeout_seconds" => s.fetch_timeout.as_secs().to_string(),
            "max_body_bytes" => s.max_body_bytes.to_string(),
            "max_redirects" => s.max_redirects.to_string(),
            "user_agent" => s.user_agent.clone(),
            "timezone" => format!("UTC{:+03}:{:02}", s.timezone_offset / 3600, (s.timezone_offset.abs() % 3600) / 60),
            "page_images" => s.page_images.to_string(),
            "pages_per_source" => s.pages_per_source.to_string(),
            "public_url" => s.public_url.as_ref().map_or_else(|| "-".into(), url::Url::to_string),
            "webhook_attempts" => s.webhook_attempts.to_string(),
            "webhook_retry_base_ms" => s.webhook_retry_base.as_millis().to_string(),
            "page_cache_seconds" => s.page_cache_ttl.as_secs().to_string(),
            "retention_body_months" => s.retention_body_months.map_or_else(|| "-".into(), |m| m.to_string()),
            "crawl_lease_seconds" => s.crawl_lease.as_secs().to_string(),
            "hosts" => format!("{:?}", s.hosts),
            "webhooks" => hooks.join(", "),
            "header_read_timeout_seconds" => s.server.header_read_timeout.as_secs().to_string(),
            "request_timeout_seconds" => s.server.request_timeout.as_secs().to_string(),
            "max_connections" => s.server.max_connections.to_string(),
            "max_connections_per_ip" => s.server.max_connections_per_ip.to_string(),
            "trusted_proxies" => s.server.trusted_proxies.to_string(),
            "proxy" => s.proxy.as_deref().map_or_else(|| "-".into(), mask_password),
            "public_operations" => s.operations.public.to_string(),
            "metrics_token" => {
                if s.operations.metrics_token.is_some() {
                    "***".into()
                } else {
                    "-".into()
                }
            }
            _ => String::new(),
        }
    };
    ENV.iter().map(|(key, env)| (*key, *env, value(key))).collect()
}

/// A URL with its password, if any, shown as `***`.
fn mask_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Names moa, its version and where to learn about it, as polite crawlers do: the site this instance
/// serves when it is known (a blog's owner can see who is reading), else moa's own homepage.
pub fn default_user_agent(public_url: Option<&url::Url>) -> String {
    let about = public_url.map_or(HOMEPAGE, url::Url::as_str);
    format!("moa/{} (+{about}; Korean tech-blog aggregator)", env!("CARGO_PKG_VERSION"))
}

pub const HOMEPAGE: &str = "https://github.com/moa-aggregator/moa";

impl From<&Settings> for crate::ingest::fetch::FetchConfig {
    fn from(s: &Settings) -> Self {
        Self {
            connect_timeout: s.connect_timeout,
            timeout: s.fetch_timeout,
            max_body_bytes: s.max_body_bytes,
            max_redirects: s.max_redirects,
            user_agent: s.user_agent.clone(),
            allow_private_networks: s.allow_private_networks,
            allowed_private_addresses: s.allowed_private_addresses.clone(),
            concurrency: s.concurrency,
            per_host_concurrency: s.per_host_concurrency,
            per_host_spacing: s.per_host_spacing,
            hosts: s.hosts.clone(),
            proxy: s.proxy.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::webhook::WebhookFormat;

    #[test]
    fn flags_beat_file_beats_defaults() {
        let file: FileConfig = toml::from_str(
            "database_url = \"sqlite://file.db\"\nlisten = \"0.0.0.0:9000\"\nallow_private_networks = true\nmin_check_interval_minutes = 5",
        )
        .unwrap();
        let cli = Overrides { database_url: Some("sqlite://flag.db".into()), ..Overrides::default() };
        let s = Settings::resolve(file, cli).unwrap();
        assert_eq!(s.database_url, "sqlite://flag.db");
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert!(s.allow_private_networks);
        assert_eq!(s.min_check_interval, Duration::from_secs(300));

        let d = Settings::resolve(FileConfig::default(), Overrides::default()).unwrap();
        assert_eq!(d.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(d.listen, DEFAULT_LISTEN);
        assert!(!d.allow_private_networks);
        assert_eq!(d.timezone_offset, 9 * 3600);
        assert!(d.user_agent.starts_with("moa/") && d.user_agent.contains(HOMEPAGE), "{}", d.user_agent);
        let site = Overrides { public_url: Some("https://moa.example.kr/".into()), ..Overrides::default() };
        let s = Settings::resolve(FileConfig::default(), site).unwrap();
        assert!(s.user_agent.contains("(+https://moa.example.kr/;"), "{}", s.user_agent);
    }

    #[test]
    fn the_example_config_is_valid_and_complete() {
        let example: FileConfig = toml::from_str(include_str!("../../../moa.example.toml")).unwrap();
        assert!(example.webhooks.is_empty());
        let with_hooks = format!(
            "{}\n[[webhooks]]\nurl = \"https://a.example/hook\"\n[[webhooks]]\nurl = \"https://hooks.slack.com/x\"\nformat = \"slack\"\n",
            include_str!("../../../moa.example.toml")
        );
        let example: FileConfig = toml::from_str(&with_hooks).unwrap();
        let s = Settings::resolve(example, Overrides::default()).unwrap();
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.max_check_interval, Duration::from_secs(24 * 3600));
        assert_eq!(s.webhooks.len(), 2);
        assert_eq!(s.webhooks[1].format, WebhookFormat::Slack);
    }

    #[test]
    fn every_key_has_an_environment_variable_and_a_line_in_the_readme() {
        let fields = serde_json::to_value(FileConfig::default()).unwrap();
        let mut keys: Vec<&str> = fields.as_object().unwrap().keys().map(String::as_str).collect();
        let mut listed: Vec<&str> = ENV.iter().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        listed.sort_unstable();
        assert_eq!(keys, listed, "ENV names every key once");
        let readme = include_str!("../../../README.md");
        for (key, name) in ENV {
            assert!(readme.contains(&format!("| `{key}` |")), "README's table lacks {key}");
            assert!(readme.contains(name), "README lacks {name}");
        }
    }

    #[test]
    fn the_settings_page_shows_every_key_and_masks_secrets() {
        let file: FileConfig = toml::from_str(
            "database_url = \"postgres://moa:hunter2@db.example/moa\"\n[[webhooks]]\nurl = \"https://hooks.slack.com/services/T0/B0/SECRET\"\nformat = \"slack\"",
        )
        .unwrap();
        let shown = effective(&Settings::resolve(file, Overrides::default()).unwrap());
        assert_eq!(shown.len(), ENV.len());
        assert!(shown.iter().all(|(_, _, v)| !v.is_empty()), "{shown:?}");
        let text = format!("{shown:?}");
        assert!(!text.contains("hunter2") && !text.contains("SECRET"), "{text}");
        assert!(
            text.contains("postgres://moa:***@db.example/moa") && text.contains("https://hooks.slack.com/… (slack)")
        );
        assert!(text.contains("UTC+09:00"));
    }

    #[test]
    fn the_environment_beats_the_file_and_reads_typed_values() {
        let mut table: toml::Table = toml::from_str("concurrency = 4\nlisten = \"0.0.0.0:1\"").unwrap();
        let env = |name: &str| {
            match name {
                "MOA_CONCURRENCY" => Some("9"),
                "MOA_PAGE_IMAGES" => Some("0"),
                "MOA_USER_AGENT" => Some("my bot/1.0 (+https://x.example)"),
                "MOA_ALLOWED_PRIVATE_ADDRESSES" => Some("[\"10.0.0.5\"]"),
                "MOA_HOSTS" => Some("{ \"blog.example\" = \"127.0.0.1\" }"),
                "MOA_WEBHOOKS" => Some("[{ url = \"https://h.example/x\", format = \"slack\" }]"),
                "MOA_RETENTION_BODY_MONTHS" => Some("24"),
                _ => None,
            }
            .map(String::from)
        };
        FileConfig::apply_env(&mut table, env);
        let file: FileConfig = table.try_into().unwrap();
        let s = Settings::resolve(file, Overrides::default()).unwrap();
        assert_eq!((s.concurrency, s.listen.as_str(), s.page_images), (9, "0.0.0.0:1", false));
        assert_eq!(s.user_agent, "my bot/1.0 (+https://x.example)");
        assert_eq!(s.allowed_private_addresses, ["10.0.0.5".parse::<std::net::IpAddr>().unwrap()]);
        assert_eq!(s.hosts, [("blog.example".to_string(), "127.0.0.1".parse().unwrap())]);
        assert_eq!(s.webhooks[0].format, WebhookFormat::Slack);
        assert_eq!(s.retention_body_months, Some(24));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(toml::from_str::<FileConfig>("databse_url = \"x\"").is_err());
        let bad_tz = FileConfig { timezone: Some("Mars/Base".into()), ..FileConfig::default() };
        assert!(Settings::resolve(bad_tz, Overrides::default()).is_err());
    }
}
