//! `moa serve` (crawler and web in one process, or either role alone) and `moa crawl`.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Context;
use moa::config::Settings;
use moa::ingest::crawl::{CrawlOptions, Crawler};
use moa::ingest::fetch::{FetchConfig, Fetcher};
use moa::ingest::schedule::Schedule;
use moa::ingest::webhook::{Delivery, Notifier};
use moa::ingest::websub::WebSub;
use moa::{now_unix, web};
use moa_store::{Selection, Store};

use super::args::Role;
use super::open::open_synced_store;

/// `moa crawl`: on the sources' schedule until stopped, or once (`--once`, `--all`, `--source ID`).
pub(crate) async fn crawl(settings: &Settings, once: bool, all: bool, source: Vec<String>) -> anyhow::Result<()> {
    let store = open_synced_store(settings).await?;
    let crawler = crawler(settings, store, std::io::stderr().is_terminal())?;
    if once {
        retag_after_upgrade(crawler.store.as_ref()).await;
    } else {
        // The crawling process keeps the retention and the topics, as `serve` does (its web-only role
        // does not).
        spawn_retention(settings, crawler.store.clone());
        let store = crawler.store.clone();
        tokio::spawn(async move { retag_after_upgrade(store.as_ref()).await });
        tokio::select! {
            _ = crawler.run_scheduler() => {}
            _ = shutdown_signal() => {}
        }
        return Ok(());
    }
    let selection = if all {
        Selection::All
    } else if !source.is_empty() {
        for id in &source {
            anyhow::ensure!(
                crawler.store.source(id).await?.is_some(),
                "no source has the id {id:?}; `moa sources list` shows the ids"
            );
        }
        Selection::Ids(source)
    } else {
        Selection::Due { limit: crawler.due_batch() }
    };
    let report = crawler.run(selection).await?;
    if let Some(notifier) = &crawler.notifier {
        notifier.close(WEBHOOK_DRAIN).await;
    }
    for (id, error) in &report.failures {
        eprintln!("failed: {id}: {error}");
    }
    println!("{}", report.summary_line());
    // Nothing fetched although something was tried: a failure for scripts and supervisors.
    anyhow::ensure!(
        report.sources_ok > 0 || report.sources_failed == 0,
        "nothing could be fetched: all {} sources tried failed (see the lines above)",
        report.sources_failed
    );
    Ok(())
}

/// How long `crawl --once` waits at exit for webhook deliveries still being retried.
const WEBHOOK_DRAIN: std::time::Duration = std::time::Duration::from_secs(60);

fn crawler(settings: &Settings, store: Arc<dyn Store>, progress: bool) -> anyhow::Result<Crawler> {
    let fetcher = Fetcher::new(FetchConfig::from(settings))?;
    let delivery = Delivery { attempts: settings.webhook_attempts, retry_base: settings.webhook_retry_base };
    let notifier = Notifier::start(settings.webhooks.clone(), delivery, fetcher.clone())?;
    let websub = settings.public_url.clone().map(|public_url| WebSub {
        store: store.clone(),
        fetcher: fetcher.clone(),
        public_url,
    });
    let options = CrawlOptions {
        timezone_offset: settings.timezone_offset,
        progress,
        schedule: Schedule { min: settings.min_check_interval, max: settings.max_check_interval },
        page_images: settings.page_images,
        pages_per_source: settings.pages_per_source,
        // Enough sources in flight to fill every politeness slot, some of them waiting on busy hosts.
        concurrency: settings.concurrency * 2,
        lease: settings.crawl_lease,
    };
    Ok(Crawler { store, fetcher, options, notifier, websub, unreachable_hosts: Default::default() })
}

pub(crate) async fn serve(settings: Settings, role: Role) -> anyhow::Result<()> {
    let store = open_synced_store(&settings).await?;
    let crawler = Arc::new(crawler(&settings, store.clone(), false)?);
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    moa::metrics::install();
    if role != Role::Web {
        let crawler = crawler.clone();
        tokio::spawn(async move { crawler.run_scheduler().await });
        spawn_retention(&settings, store.clone());
        let store = store.clone();
        tokio::spawn(async move { retag_after_upgrade(store.as_ref()).await });
    }
    if role == Role::Crawler {
        // Nothing of the web: no search index to keep, only what a supervisor and Prometheus ask.
        tracing::info!("crawling; serving /healthz, /readyz and /metrics on http://{addr}");
        eprintln!("moa: crawler serving http://{addr}");
        let mut ops = web::AppState::new(store.clone());
        ops.operations = Arc::new(settings.operations.clone());
        let app = web::ops_router(ops);
        moa::web::listen::serve(listener, app, settings.server.clone(), shutdown_signal()).await?;
        return Ok(());
    }
    let dir = &settings.search_index_dir;
    let search = Arc::new(moa::search::Search::open(dir, store.clone()).map_err(|e| match e {
        moa_search::SearchError::Locked(_) => {
            anyhow::anyhow!("{e}: another moa serve uses {}; give this one its own --search-index", dir.display())
        }
        e => anyhow::Error::new(e).context(format!("cannot open the search index {}", dir.display())),
    })?);
    // Before serving: posts stored while no index followed (a crash, `moa crawl` alone, another
    // process's crawler) are searchable from the first request.
    let started = std::time::Instant::now();
    let caught = search.catch_up().await?;
    tracing::info!(
        indexed = caught.indexed,
        removed = caught.removed,
        seq = %caught.seq,
        ms = started.elapsed().as_millis() as u64,
        "search index caught up with the store"
    );
    search.follow();
    tracing::info!("serving http://{addr}");
    eprintln!("moa: serving http://{addr}");
    if settings.public_url.is_none() && !addr.ip().is_loopback() {
        tracing::warn!(
            "serving on {addr} without public_url: feeds and the API take their absolute links from each request's Host header; set public_url (MOA_PUBLIC_URL) to this site's address"
        );
    }
    let mut state = web::AppState::new(store.clone()).with_cache_ttl(settings.page_cache_ttl);
    state.timezone_offset = settings.timezone_offset;
    state.notifier = crawler.notifier.clone();
    state.public_url = settings.public_url.clone();
    state.fetcher = Some(crawler.fetcher.clone());
    state.search = Some(search);
    // The console's "refresh now" crawls the one source in this process, whatever the role.
    state.crawler = Some(crawler.clone());
    state.settings = Arc::new(moa::config::effective(&settings));
    state.trusted_proxies = Arc::new(settings.server.trusted_proxies.clone());
    state.operations = Arc::new(settings.operations.clone());
    moa::web::listen::serve(listener, web::router(state), settings.server.clone(), shutdown_signal()).await?;
    Ok(())
}

/// Drops old post bodies daily, when a retention is set: the crawling processes do it (several doing it
/// is harmless: the second finds nothing to drop).
fn spawn_retention(settings: &Settings, store: Arc<dyn Store>) {
    let Some(months) = settings.retention_body_months else { return };
    tokio::spawn(async move {
        loop {
            match moa::ops::apply_retention(store.as_ref(), months, now_unix()).await {
                Ok(n) if n > 0 => tracing::info!(posts = n, months, "dropped old post bodies"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "retention failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)).await;
        }
    });
}

/// Retags the stored posts when this version's topic dictionary is not the one they were tagged with.
async fn retag_after_upgrade(store: &dyn Store) {
    match moa::search::retag_after_upgrade(store).await {
        Ok(Some(n)) => tracing::info!(posts = n, "the topic dictionary changed: stored posts retagged"),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %format!("{e:#}"), "retagging after an upgrade failed"),
    }
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
    tracing::info!("shutting down");
}
