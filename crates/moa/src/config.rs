//! Settings: command-line flag, then environment variable, then config file (`moa.toml`), then default.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://moa-data/moa.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_CONFIG_FILE: &str = "moa.toml";

/// The config file; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub sources: Option<PathBuf>,
    pub allow_private_networks: Option<bool>,
    pub crawl_interval_minutes: Option<u64>,
    pub concurrency: Option<usize>,
    pub connect_timeout_seconds: Option<u64>,
    pub fetch_timeout_seconds: Option<u64>,
    pub max_body_bytes: Option<usize>,
    pub max_redirects: Option<usize>,
    pub user_agent: Option<String>,
    pub timezone: Option<String>,
}

impl FileConfig {
    /// Reads `path`, or `./moa.toml` when no path is given and that file exists.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => PathBuf::from(DEFAULT_CONFIG_FILE),
            None => return Ok(Self::default()),
        };
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }
}

/// Settings after every layer is applied.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub listen: String,
    pub sources: Option<PathBuf>,
    pub allow_private_networks: bool,
    pub crawl_interval: Duration,
    pub concurrency: usize,
    pub connect_timeout: Duration,
    pub fetch_timeout: Duration,
    pub max_body_bytes: usize,
    pub max_redirects: usize,
    pub user_agent: String,
    /// Offset from UTC in seconds for feed dates written without a zone.
    pub timezone_offset: i32,
}

/// What the command line (flags and their environment variables) said; `None` means "not given".
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub sources: Option<PathBuf>,
    pub allow_private_networks: bool,
    pub crawl_interval_minutes: Option<u64>,
}

impl Settings {
    pub fn resolve(file: FileConfig, cli: Overrides) -> anyhow::Result<Self> {
        let timezone = file.timezone.as_deref().unwrap_or("Asia/Seoul");
        let timezone_offset = moa_feed::parse_timezone(timezone)
            .with_context(|| format!("unknown timezone {timezone:?} (use e.g. Asia/Seoul, UTC or +09:00)"))?;
        let minutes = cli.crawl_interval_minutes.or(file.crawl_interval_minutes).unwrap_or(30);
        anyhow::ensure!(minutes >= 1, "the crawl interval must be at least 1 minute");
        Ok(Self {
            database_url: cli.database_url.or(file.database_url).unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            listen: cli.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into()),
            sources: cli.sources.or(file.sources),
            allow_private_networks: cli.allow_private_networks || file.allow_private_networks.unwrap_or(false),
            crawl_interval: Duration::from_secs(minutes * 60),
            concurrency: file.concurrency.unwrap_or(16).max(1),
            connect_timeout: Duration::from_secs(file.connect_timeout_seconds.unwrap_or(10)),
            fetch_timeout: Duration::from_secs(file.fetch_timeout_seconds.unwrap_or(30)),
            max_body_bytes: file.max_body_bytes.unwrap_or(16 << 20),
            max_redirects: file.max_redirects.unwrap_or(5),
            user_agent: file.user_agent.unwrap_or_else(|| {
                format!("moa/{} (Korean tech blog aggregator; feed reader)", env!("CARGO_PKG_VERSION"))
            }),
            timezone_offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_beats_defaults() {
        let file: FileConfig = toml::from_str(
            "database_url = \"sqlite://file.db\"\nlisten = \"0.0.0.0:9000\"\nallow_private_networks = true\ncrawl_interval_minutes = 5",
        )
        .unwrap();
        let cli = Overrides { database_url: Some("sqlite://flag.db".into()), ..Overrides::default() };
        let s = Settings::resolve(file, cli).unwrap();
        assert_eq!(s.database_url, "sqlite://flag.db");
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert!(s.allow_private_networks);
        assert_eq!(s.crawl_interval, Duration::from_secs(300));

        let d = Settings::resolve(FileConfig::default(), Overrides::default()).unwrap();
        assert_eq!(d.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(d.listen, DEFAULT_LISTEN);
        assert!(!d.allow_private_networks);
        assert_eq!(d.timezone_offset, 9 * 3600);
    }

    #[test]
    fn the_example_config_is_valid_and_complete() {
        let example: FileConfig = toml::from_str(include_str!("../../../moa.example.toml")).unwrap();
        let s = Settings::resolve(example, Overrides::default()).unwrap();
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.crawl_interval, Duration::from_secs(30 * 60));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(toml::from_str::<FileConfig>("databse_url = \"x\"").is_err());
        let bad_tz = FileConfig { timezone: Some("Mars/Base".into()), ..FileConfig::default() };
        assert!(Settings::resolve(bad_tz, Overrides::default()).is_err());
    }
}
