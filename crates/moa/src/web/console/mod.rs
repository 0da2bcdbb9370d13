//! The operator's console (`/admin`): sources added by homepage (discovery and a preview) or by CSS
//! selectors, edited, disabled, refreshed, deleted, imported and exported as OPML; a health page of
//! every source; users and their roles; the audit log of what operators did. Every route needs a
//! signed-in operator, and every form that changes something its CSRF token.

#![allow(clippy::result_large_err)]

mod add;
mod health;
mod operator;
mod source;
mod users;

use axum::response::Redirect;

use crate::web::state::AppState;
use add::{add_form, add_source, discover, scrape_preview};
use health::{export_opml, import_opml_form, sources_page};
pub use operator::Operator;
use source::{edit_source, source_action, source_page};
use users::{add_user, audit_page, settings_page, user_action, users_page};

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin", get(|Operator(_): Operator| async { Redirect::to("/admin/sources") }))
        .route("/admin/sources", get(sources_page).post(add_source))
        .route("/admin/sources/new", get(add_form))
        .route("/admin/sources/discover", post(discover))
        .route("/admin/sources/scrape-preview", post(scrape_preview))
        .route("/admin/sources/{id}", get(source_page).post(edit_source))
        .route("/admin/sources/{id}/{action}", post(source_action))
        .route("/admin/sources.opml", get(export_opml))
        .route("/admin/opml", post(import_opml_form))
        .route("/admin/users", get(users_page).post(add_user))
        .route("/admin/users/{name}/{action}", post(user_action))
        .route("/admin/audit", get(audit_page))
        .route("/admin/settings", get(settings_page))
}
