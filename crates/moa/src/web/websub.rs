//! WebSub in: a hub verifying moa's subscription, and a hub pushing a feed's new content.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use moa_store::SubscriptionState;

use crate::ingest::pipeline::{self, Arrival, Delivered, Reading, Source};
use crate::web::http::internal_error;
use crate::web::state::AppState;

/// A hub verifying a subscription: the challenge echoed, or 404 for one moa did not ask for.
pub(crate) async fn websub_verify(
    State(state): State<AppState>,
    axum::extract::Path(source_id): axum::extract::Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    match crate::ingest::websub::verify(state.store.as_ref(), &source_id, &query).await {
        Some(challenge) => ([(header::CONTENT_TYPE, "text/plain")], challenge).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A hub pushing new content. Signed with the subscription's secret, it is stored at once; otherwise it
/// is ignored — yet answered 2xx, as WebSub asks, so a forger learns nothing.
pub(crate) async fn websub_push(
    State(state): State<AppState>,
    axum::extract::Path(source_id): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let subscription = match state.store.subscription(&source_id).await {
        Ok(Some(s)) if s.state == SubscriptionState::Active => s,
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return internal_error(e),
    };
    let signature = headers.get("x-hub-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !crate::ingest::websub::signature_valid(&subscription.secret, signature, &body) {
        tracing::warn!(source = %source_id, "WebSub push with a bad signature ignored");
        return StatusCode::ACCEPTED.into_response();
    }
    let charset =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(crate::ingest::fetch::charset_of);
    let now = crate::now_unix();
    let delivered =
        Delivered { body: &body, url: moa_feed::Url::parse(&subscription.topic).ok(), charset, language: None };
    let reading = Reading { selectors: None, timezone_offset: state.timezone_offset, now };
    let feed = match pipeline::read(&delivered, reading) {
        Ok(feed) => feed,
        Err(e) => {
            tracing::warn!(source = %source_id, error = %e, "WebSub push is not a feed");
            return StatusCode::ACCEPTED.into_response();
        }
    };
    let posts = pipeline::posts_of(feed);
    let source = Source { id: &source_id, name: None };
    match pipeline::store(state.store.as_ref(), state.notifier.as_ref(), source, Arrival::Pushed { at: now }, &posts)
        .await
    {
        Ok(stats) => {
            tracing::info!(source = %source_id, new = stats.new, updated = stats.updated, "WebSub push stored");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => internal_error(e),
    }
}
