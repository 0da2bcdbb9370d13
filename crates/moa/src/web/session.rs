//! Who is signed in: the curator or operator a request's session cookie names, the extractor signed-in
//! routes take, and the check of a form's CSRF token. The curator's and the operator's pages both use it.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::i18n::Refusal;
use crate::web::auth;
use crate::web::state::AppState;

/// A signed-in curator.
#[derive(Debug, Clone)]
pub struct Curator {
    pub name: String,
    pub csrf: String,
    /// `curator`, or `operator` (who may also run the console).
    pub role: String,
    /// The store's key of the session (the cookie's token, hashed).
    pub(crate) token_hash: String,
}

impl Curator {
    pub fn is_operator(&self) -> bool {
        self.role == ROLE_OPERATOR
    }
}

pub const ROLE_CURATOR: &str = "curator";
pub const ROLE_OPERATOR: &str = "operator";

/// The curator a request's session cookie names, if it names a live session.
pub async fn curator_of(state: &AppState, headers: &HeaderMap) -> Option<Curator> {
    let token = auth::cookie(headers, auth::SESSION_COOKIE)?;
    let token_hash = auth::token_hash(token);
    match state.store.session(&token_hash, crate::now_unix()).await {
        Ok(Some(s)) => Some(Curator { name: s.user_name, csrf: s.csrf, role: s.role, token_hash }),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            None
        }
    }
}

/// Curator routes take this: without a session, pages send the reader to sign in and forms are refused.
pub struct SignedIn(pub Curator);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match curator_of(state, &parts.headers).await {
            Some(c) => Ok(Self(c)),
            None if parts.method == axum::http::Method::GET => Err(Redirect::to("/login").into_response()),
            None => Err(Refusal::SignInNeeded.response()),
        }
    }
}

/// The form's token is the session's (the refusal is the very response a handler returns at once; boxing it
/// buys nothing).
#[allow(clippy::result_large_err)]
pub fn check_csrf(curator: &Curator, token: &str) -> Result<(), Response> {
    if crate::token::same(token, &curator.csrf) { Ok(()) } else { Err(Refusal::StaleForm.response()) }
}

/// A signed-in page is kept by no cache.
pub fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
