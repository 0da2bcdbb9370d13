//! Users and their roles, the audit log, and the settings in effect.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::i18n::Ui;
use crate::i18n::console::{Say, Words, words};
use crate::web::console::operator::{Operator, audit, when};
use crate::web::http::internal_error;
use crate::web::page::{Head, PageCtx, html_page, message_page};
use crate::web::session::{Curator, ROLE_CURATOR, ROLE_OPERATOR, check_csrf, no_store};
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "admin_users.html")]
pub(crate) struct UsersPage {
    ui: Ui,
    head: Head,
    w: &'static Words,
    csrf: String,
    /// Name, role, created, whether it is the operator looking, failed sign-ins against the name.
    users: Vec<(String, String, String, bool, i64)>,
    slowed_from: i64,
    error: Option<String>,
}

pub async fn users_page(State(state): State<AppState>, ctx: PageCtx, Operator(op): Operator) -> Response {
    users_response(&state, ctx, op, None, StatusCode::OK).await
}

pub(crate) async fn users_response(
    state: &AppState,
    ctx: PageCtx,
    op: Curator,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let users = match state.store.users().await {
        Ok(u) => u,
        Err(e) => return internal_error(e),
    };
    let keys: Vec<String> = users.iter().map(|u| crate::web::auth::user_key(&u.name)).collect();
    let window = crate::web::auth::FAILURE_WINDOW.as_secs() as i64;
    let failures = match state.store.sign_in_failures(&keys, crate::now_unix(), window).await {
        Ok(f) => f.into_iter().collect::<std::collections::HashMap<_, _>>(),
        Err(e) => return internal_error(e),
    };
    let w = words(&ctx.ui);
    let users = users
        .into_iter()
        .map(|u| {
            let me = u.name == op.name;
            let failed = failures.get(&crate::web::auth::user_key(&u.name)).copied().unwrap_or(0);
            (u.name, u.role, when(w, Some(u.created_at)), me, failed)
        })
        .collect();
    let slowed_from = crate::web::auth::MAX_FAILURES_PER_NAME + 1;
    let page = UsersPage { ui: ctx.ui, head: ctx.head, w, csrf: op.csrf, users, slowed_from, error };
    let mut r = html_page(&page, true);
    *r.status_mut() = status;
    r
}

#[derive(Deserialize)]
pub struct UserForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
}

pub(crate) fn valid_role(role: &str) -> bool {
    role == ROLE_CURATOR || role == ROLE_OPERATOR
}

pub async fn add_user(
    State(state): State<AppState>,
    ctx: PageCtx,
    Operator(op): Operator,
    Form(form): Form<UserForm>,
) -> Response {
    if let Err(r) = check_csrf(&op, &form.csrf) {
        return r;
    }
    let name = form.name.trim().to_string();
    let problem = if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || "._-".contains(c)) {
        Some(Say::BadUserName)
    } else if form.password.chars().count() < 8 {
        Some(Say::ShortPassword)
    } else if !valid_role(&form.role) {
        Some(Say::BadRole)
    } else {
        None
    };
    if let Some(p) = problem {
        let text = p.text(ctx.ui.lang);
        return users_response(&state, ctx, op, Some(text), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let hash = match crate::web::auth::hash_password(&form.password) {
        Ok(h) => h,
        Err(e) => return internal_error(e),
    };
    let created = match state.store.set_user_password(&name, &hash, crate::now_unix()).await {
        Ok(c) => c,
        Err(e) => return internal_error(e),
    };
    if let Err(e) = state.store.set_user_role(&name, &form.role).await {
        return internal_error(e);
    }
    let action = if created { "user.add" } else { "user.password" };
    audit(&state, &op, action, &name, &form.role).await;
    no_store(Redirect::to("/admin/users").into_response())
}

pub async fn user_action(
    State(state): State<AppState>,
    ctx: PageCtx,
    Operator(op): Operator,
    Path((name, action)): Path<(String, String)>,
    Form(form): Form<UserForm>,
) -> Response {
    if let Err(r) = check_csrf(&op, &form.csrf) {
        return r;
    }
    // An operator cannot lock themselves out: the console would be left with nobody to run it.
    if name == op.name {
        let text = Say::OwnAccount.text(ctx.ui.lang);
        return users_response(&state, ctx, op, Some(text), StatusCode::CONFLICT).await;
    }
    let done = match action.as_str() {
        "role" if valid_role(&form.role) => state.store.set_user_role(&name, &form.role).await,
        "role" => {
            let text = Say::BadRole.text(ctx.ui.lang);
            return users_response(&state, ctx, op, Some(text), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        "delete" => state.store.delete_user(&name).await,
        _ => {
            let w = words(&ctx.ui);
            let t = ctx.ui.t;
            return message_page(ctx, StatusCode::NOT_FOUND, t.not_found, w.no_action_message);
        }
    };
    match done {
        Ok(true) => {
            audit(&state, &op, &format!("user.{action}"), &name, &form.role).await;
            no_store(Redirect::to("/admin/users").into_response())
        }
        Ok(false) => {
            let w = words(&ctx.ui);
            message_page(ctx, StatusCode::NOT_FOUND, w.users, w.no_user_message)
        }
        Err(e) => internal_error(e),
    }
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
pub(crate) struct AuditPage {
    ui: Ui,
    head: Head,
    w: &'static Words,
    entries: Vec<(String, moa_store::AuditEntry)>,
}

pub async fn audit_page(State(state): State<AppState>, ctx: PageCtx, Operator(_): Operator) -> Response {
    match state.store.audit_log(500).await {
        Ok(entries) => {
            let w = words(&ctx.ui);
            let entries = entries.into_iter().map(|e| (when(w, Some(e.at)), e)).collect();
            html_page(&AuditPage { ui: ctx.ui, head: ctx.head, w, entries }, true)
        }
        Err(e) => internal_error(e),
    }
}

#[derive(Template)]
#[template(path = "admin_settings.html")]
pub(crate) struct SettingsPage {
    ui: Ui,
    head: Head,
    w: &'static Words,
    settings: std::sync::Arc<Vec<(&'static str, &'static str, String)>>,
}

pub async fn settings_page(State(state): State<AppState>, ctx: PageCtx, Operator(_): Operator) -> Response {
    html_page(&SettingsPage { w: words(&ctx.ui), ui: ctx.ui, head: ctx.head, settings: state.settings.clone() }, true)
}
