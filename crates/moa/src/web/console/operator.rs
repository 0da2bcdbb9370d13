//! What every console page uses: the signed-in operator, dates as operators read them, the audit log, the
//! way back to the sources after a form, and a refresh in the background.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use moa_store::Selection;

use crate::i18n::console::{Words, words};
use crate::web::page::{PageCtx, message_page};
use crate::web::session::{Curator, SignedIn, no_store};
use crate::web::state::AppState;

/// A signed-in operator. A curator is refused (403); without a session, pages send one to sign in.
pub struct Operator(pub Curator);

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedIn(user) = SignedIn::from_request_parts(parts, state).await?;
        if user.is_operator() {
            Ok(Self(user))
        } else {
            let Ok(ctx) = PageCtx::from_request_parts(parts, state).await;
            let w = words(&ctx.ui);
            Err(message_page(ctx, StatusCode::FORBIDDEN, w.operators_only, w.operators_only_message))
        }
    }
}

/// `YYYY-MM-DD HH:MM` in Korea, or "never".
pub(crate) fn when(w: &Words, t: Option<i64>) -> String {
    match t.filter(|t| *t > 0) {
        Some(t) => crate::kst::minute(t),
        None => w.never.to_string(),
    }
}

/// Crawls one source now, in the background, when this process crawls.
pub(crate) fn crawl_now(state: &AppState, id: &str) {
    if let Some(crawler) = state.crawler.clone() {
        let id = id.to_string();
        tokio::spawn(async move {
            match crawler.run(Selection::Ids(vec![id.clone()])).await {
                Ok(report) => tracing::info!(source = %id, "{}", report.summary_line()),
                Err(e) => tracing::warn!(source = %id, error = %e, "refresh failed"),
            }
        });
    }
}

pub(crate) async fn audit(state: &AppState, op: &Curator, action: &str, target: &str, detail: &str) {
    if let Err(e) = state.store.audit(crate::now_unix(), &op.name, action, target, detail).await {
        tracing::error!(error = %e, action, target, "cannot write the audit log");
    }
}

pub(crate) fn back_to_sources(done: &str) -> Response {
    no_store(
        Redirect::to(&format!(
            "/admin/sources?done={}",
            url::form_urlencoded::byte_serialize(done.as_bytes()).collect::<String>()
        ))
        .into_response(),
    )
}
