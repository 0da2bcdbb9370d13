//! Prometheus metrics: counters and histograms recorded where things happen (fetches, stored posts,
//! HTTP requests), gauges read from the store when `/metrics` is scraped (queue lag, sources by state,
//! pool use). One recorder per process, installed on first use.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use moa_store::Store;

/// Seconds: a fast 304 is a few milliseconds, a slow feed server many seconds.
const FETCH_BUCKETS: &[f64] = &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
const HTTP_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full("moa_fetch_duration_seconds".into()), FETCH_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full("moa_http_request_duration_seconds".into()), HTTP_BUCKETS)
            });
        let recorder = match builder {
            Ok(b) => b.build_recorder(),
            Err(e) => {
                tracing::error!(error = %e, "metrics buckets refused; using the defaults");
                PrometheusBuilder::new().build_recorder()
            }
        };
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed already; /metrics shows only this one's");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!("moa_fetches_total", "Feed fetches by outcome: fetched, not_modified, failed.");
    metrics::describe_histogram!("moa_fetch_duration_seconds", "Time to fetch, parse and store one source.");
    metrics::describe_counter!("moa_posts_stored_total", "Posts written by the crawler: new or updated.");
    metrics::describe_counter!("moa_http_requests_total", "HTTP requests by route, method and status.");
    metrics::describe_histogram!("moa_http_request_duration_seconds", "Time to answer an HTTP request, by route.");
    metrics::describe_gauge!("moa_queue_due_sources", "Enabled sources whose check is due now.");
    metrics::describe_gauge!("moa_queue_lag_seconds", "How long the most overdue source has waited.");
    metrics::describe_gauge!("moa_sources", "Sources by state: ok, failing, disabled, new (never fetched).");
    metrics::describe_gauge!("moa_db_pool_connections", "Database connections by state: busy, idle; and max.");
}

/// Installs the recorder, so metrics recorded before the first scrape are kept.
pub fn install() {
    handle();
}

pub fn fetched(outcome: &'static str, took: Duration) {
    install();
    metrics::counter!("moa_fetches_total", "outcome" => outcome).increment(1);
    metrics::histogram!("moa_fetch_duration_seconds").record(took.as_secs_f64());
}

pub fn posts_stored(new: u32, updated: u32) {
    metrics::counter!("moa_posts_stored_total", "kind" => "new").increment(u64::from(new));
    metrics::counter!("moa_posts_stored_total", "kind" => "updated").increment(u64::from(updated));
}

/// Marks an answer the page cache gave without running its route.
#[derive(Debug, Clone, Copy)]
pub struct Cached;

/// Inner middleware (a route layer): hands the matched route's pattern out on the response, for [`track`],
/// which runs outside routing.
pub async fn mark_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Outer middleware: counts every request under its route's pattern (`/company/:id`), never the raw
/// path, so one metric series stands for each route; `cached` for answers of the page cache, `unmatched`
/// for 404s of unknown paths.
pub async fn track(request: Request, next: Next) -> Response {
    install();
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let route = match response.extensions().get::<MatchedPath>() {
        // `/company/:id`: braces in label values trip some exposition parsers.
        Some(p) => p.as_str().replace('{', ":").replace('}', ""),
        None if response.extensions().get::<Cached>().is_some() => "cached".into(),
        None => "unmatched".into(),
    };
    let status = response.status().as_u16().to_string();
    metrics::counter!("moa_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("moa_http_request_duration_seconds", "route" => route).record(started.elapsed().as_secs_f64());
    response
}

/// The text exposition, with the gauges read from the store now (`sources`: the web's cached list).
pub async fn render(store: &dyn Store, sources: Option<&[moa_store::SourceRow]>) -> String {
    let handle = handle();
    let now = crate::now_unix();
    match store.backlog(now).await {
        Ok(b) => {
            metrics::gauge!("moa_queue_due_sources").set(b.due as f64);
            metrics::gauge!("moa_queue_lag_seconds").set(b.oldest_due_at.map_or(0, |t| (now - t).max(0)) as f64);
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the crawl backlog for /metrics"),
    }
    for state in ["ok", "failing", "disabled", "new"] {
        if let Some(sources) = sources {
            let n = sources.iter().filter(|s| s.state() == state).count();
            metrics::gauge!("moa_sources", "state" => state).set(n as f64);
        }
    }
    let pool = store.pool_stats();
    metrics::gauge!("moa_db_pool_connections", "state" => "busy").set(f64::from(pool.size.saturating_sub(pool.idle)));
    metrics::gauge!("moa_db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
    metrics::gauge!("moa_db_pool_connections", "state" => "max").set(f64::from(pool.max));
    handle.render()
}
