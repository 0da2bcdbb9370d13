//! Signing in and out, for curators and operators alike: the sign-in form (with its own CSRF cookie), the
//! password check (slowed per name and per address), the session cookie, and signing out.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::i18n::{Refusal, Ui};
use crate::web::auth;
use crate::web::http::internal_error;
use crate::web::page::{Head, PageCtx, html_page};
use crate::web::session::{ROLE_OPERATOR, SignedIn, check_csrf, no_store};
use crate::web::state::AppState;

/// Whether cookies get `Secure`: the site is served over HTTPS (its public URL, or a proxy saying so).
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.public_url.as_ref().is_some_and(|u| u.scheme() == "https")
        || headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ui: Ui,
    head: Head,
    csrf: String,
    error: Option<&'static str>,
}

/// The sign-in form, with a double-submit CSRF token (a cookie and the same value in the form).
pub async fn login_form(State(state): State<AppState>, ctx: PageCtx, headers: HeaderMap) -> Response {
    login_page(&state, ctx, &headers, None, StatusCode::OK)
}

fn login_page(
    state: &AppState,
    ctx: PageCtx,
    headers: &HeaderMap,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let csrf = match auth::cookie(headers, auth::LOGIN_CSRF_COOKIE).filter(|c| c.len() == 64) {
        Some(c) => c.to_string(),
        None => match auth::random_token() {
            Ok(t) => t,
            Err(e) => return internal_error(e),
        },
    };
    let mut response = html_page(&LoginPage { ui: ctx.ui, head: ctx.head, csrf: csrf.clone(), error }, true);
    *response.status_mut() = status;
    if let Ok(v) =
        HeaderValue::from_str(&auth::set_cookie(auth::LOGIN_CSRF_COOKIE, &csrf, 3600, secure(state, headers)))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    name: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<LoginForm>,
) -> Response {
    let cookie = auth::cookie(&headers, auth::LOGIN_CSRF_COOKIE).unwrap_or("");
    if !crate::token::same(&form.csrf, cookie) {
        return Refusal::StaleForm.response();
    }
    let name = form.name.trim();
    let address = crate::web::state::client_address(&state, &extensions, &headers);
    let _turn = state.sign_ins.enter(&address).await;
    let keys = auth::sign_in_keys(&address, name);
    // Counted in the store, so every web process sees the same failures.
    let (now, window) = (crate::now_unix(), auth::FAILURE_WINDOW.as_secs() as i64);
    let checked = async {
        let by_address = state.store.sign_in_blocked(&keys[..1], now, auth::MAX_FAILURES_PER_ADDRESS, window).await?;
        let by_name_here = state.store.sign_in_blocked(&keys[1..2], now, auth::MAX_FAILURES_PER_NAME, window).await?;
        let against_name = state.store.sign_in_failures(&keys[2..], now, window).await?;
        Ok::<_, moa_store::StoreError>((by_address.max(by_name_here), against_name.first().map_or(0, |f| f.1)))
    };
    let (blocked, against_name) = match checked.await {
        Ok(b) => b,
        Err(e) => return internal_error(e),
    };
    if let Some(wait) = blocked {
        let text = ctx.ui.t.too_many_sign_ins;
        let mut r = login_page(&state, ctx, &headers, Some(text), StatusCode::TOO_MANY_REQUESTS);
        if let Ok(v) = HeaderValue::from_str(&wait.max(1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    tokio::time::sleep(auth::name_delay(against_name)).await;
    let hash = match state.store.user_password_hash(form.name.trim()).await {
        Ok(h) => h,
        Err(e) => return internal_error(e),
    };
    // Unknown names cost a hash too, so timing tells nothing about which names exist.
    let ok = match &hash {
        Some(h) => auth::verify_password(&form.password, h),
        None => {
            let _ = auth::verify_password(&form.password, DUMMY_HASH);
            false
        }
    };
    if !ok {
        if let Err(e) = state.store.sign_in_failed(&keys, now, window).await {
            return internal_error(e);
        }
        tracing::warn!(name = %form.name.trim(), "failed sign-in");
        let text = ctx.ui.t.bad_sign_in;
        return login_page(&state, ctx, &headers, Some(text), StatusCode::UNAUTHORIZED);
    }
    // The address's own count stays: one good account must not reset a guesser's budget.
    if let Err(e) = state.store.sign_in_succeeded(&keys[1..], now - window).await {
        return internal_error(e);
    }
    start_session(&state, &headers, form.name.trim()).await
}

/// A new session for a name whose password was right: its cookie set, and the way to the role's home.
async fn start_session(state: &AppState, headers: &HeaderMap, name: &str) -> Response {
    let (token, csrf) = match (auth::random_token(), auth::random_token()) {
        (Ok(t), Ok(c)) => (t, c),
        (Err(e), _) | (_, Err(e)) => return internal_error(e),
    };
    let now = crate::now_unix();
    let session = moa_store::Session {
        token_hash: auth::token_hash(&token),
        user_name: name.to_string(),
        csrf,
        created_at: now,
        expires_at: now + auth::SESSION_DAYS * 86_400,
        role: String::new(),
    };
    if let Err(e) = state.store.create_session(&session).await {
        return internal_error(e);
    }
    // Each role to its home: an operator to the console, a curator to the month's scraps.
    let role = state.store.session(&session.token_hash, now).await.ok().flatten().map(|s| s.role).unwrap_or_default();
    let home = if role == ROLE_OPERATOR { "/admin" } else { "/curate" };
    let mut response = Redirect::to(home).into_response();
    let secure = secure(state, headers);
    for cookie in [
        auth::set_cookie(auth::SESSION_COOKIE, &token, auth::SESSION_DAYS * 86_400, secure),
        auth::set_cookie(auth::LOGIN_CSRF_COOKIE, "", 0, secure),
    ] {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    no_store(response)
}

/// An argon2id hash of nothing anyone types, to verify against when the name is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jw1wcgQqXzA0PdMzd6UFDRk2WkSS0hkNSDBBq7zZr5E";

#[derive(Deserialize)]
pub struct CsrfForm {
    pub(crate) csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    SignedIn(curator): SignedIn,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = check_csrf(&curator, &form.csrf) {
        return r;
    }
    if let Err(e) = state.store.delete_session(&curator.token_hash).await {
        return internal_error(e);
    }
    let mut response = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(auth::SESSION_COOKIE, "", 0, secure(&state, &headers))) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    no_store(response)
}
