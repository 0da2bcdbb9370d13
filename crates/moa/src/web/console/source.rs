//! One source: its page, its edit form, and its actions (refresh, enable, disable, delete with a confirmation).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use moa_feed::scrape::Selectors;
use serde::Deserialize;

use crate::i18n::console::{Words, words};
use crate::i18n::{Lang, Ui};
use crate::web::console::add::AddForm;
use crate::web::console::health::{HealthRow, health_row};
use crate::web::console::operator::{Operator, audit, back_to_sources, crawl_now};
use crate::web::http::internal_error;
use crate::web::page::{Head, PageCtx, html_page, message_page};
use crate::web::session::check_csrf;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "admin_source.html")]
pub(crate) struct SourcePage {
    ui: Ui,
    head: Head,
    w: &'static Words,
    csrf: String,
    row: HealthRow,
    form: AddForm,
    error: Option<String>,
}

pub async fn source_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Operator(op): Operator,
    Path(id): Path<String>,
) -> Response {
    match state.store.source(&id).await {
        Ok(Some(s)) if s.origin != "removed" => {
            let mut form = AddForm::from_source(&s.spec);
            if let Some(sel) = s.selectors.as_deref().and_then(|j| serde_json::from_str::<Selectors>(j).ok()) {
                form = form.with_selectors(&sel);
            }
            let page = SourcePage {
                w: words(&ctx.ui),
                row: health_row(&s, &ctx.ui),
                ui: ctx.ui,
                head: ctx.head,
                csrf: op.csrf,
                form,
                error: None,
            };
            html_page(&page, true)
        }
        Ok(_) => no_source(ctx),
        Err(e) => internal_error(e),
    }
}

pub(crate) fn no_source(ctx: PageCtx) -> Response {
    let w = words(&ctx.ui);
    message_page(ctx, StatusCode::NOT_FOUND, w.no_source, w.no_source_message)
}

pub async fn edit_source(
    State(state): State<AppState>,
    ctx: PageCtx,
    Operator(op): Operator,
    Path(id): Path<String>,
    Form(mut form): Form<AddForm>,
) -> Response {
    if let Err(r) = check_csrf(&op, &form.csrf) {
        return r;
    }
    form.id = id.clone();
    let mut source = match form.source() {
        Ok(s) => s,
        Err(e) => {
            let Ok(Some(s)) = state.store.source(&id).await else { return no_source(ctx) };
            let page = SourcePage {
                w: words(&ctx.ui),
                row: health_row(&s, &ctx.ui),
                ui: ctx.ui,
                head: ctx.head,
                csrf: op.csrf,
                form,
                error: Some(e.text(ctx.ui.lang)),
            };
            let mut r = html_page(&page, true);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return r;
        }
    };
    match state.store.source(&id).await {
        Ok(Some(s)) => {
            // The form does not show a source's own User-Agent (registry sources may have one): it stays.
            source.spec.user_agent.clone_from(&s.spec.user_agent);
            if s.spec == source.spec && s.selectors == source.selectors {
                return back_to_sources(&format!("unchanged {id}"));
            }
        }
        Ok(None) => return no_source(ctx),
        Err(e) => return internal_error(e),
    }
    match state.store.update_source(&id, &source).await {
        Ok(true) => {
            audit(&state, &op, "source.edit", &id, &source.spec.feed_url).await;
            back_to_sources(&format!("saved {id}"))
        }
        Ok(false) => no_source(ctx),
        Err(e) => internal_error(e),
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
    #[serde(default)]
    with_posts: Option<String>,
    /// Set by the confirmation page: deleting posts takes a second, deliberate click.
    #[serde(default)]
    confirmed: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_confirm_delete.html")]
pub(crate) struct ConfirmDeletePage {
    ui: Ui,
    head: Head,
    w: &'static Words,
    csrf: String,
    id: String,
    name: String,
    question: String,
}

/// Refresh, enable, disable or delete one source.
pub async fn source_action(
    State(state): State<AppState>,
    ctx: PageCtx,
    Operator(op): Operator,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Err(r) = check_csrf(&op, &form.csrf) {
        return r;
    }
    let store = state.store.as_ref();
    if action == "delete" && form.with_posts.is_some() && form.confirmed.is_none() {
        return match store.source(&id).await {
            Ok(Some(s)) if s.origin != "removed" => {
                let w = words(&ctx.ui);
                let name = if ctx.ui.lang == Lang::En { s.spec.name_en } else { s.spec.name_ko };
                let question = crate::i18n::console::delete_question(ctx.ui.lang, &name, &id, s.post_count);
                let page = ConfirmDeletePage { ui: ctx.ui, head: ctx.head, w, csrf: op.csrf, id, name, question };
                html_page(&page, true)
            }
            Ok(_) => no_source(ctx),
            Err(e) => internal_error(e),
        };
    }
    let (done, detail) = match action.as_str() {
        "refresh" => (store.make_due(&id).await, String::new()),
        "enable" => (store.set_source_enabled(&id, true, None).await, String::new()),
        "disable" => (
            store.set_source_enabled(&id, false, Some(&crate::i18n::published::disabled_by(&op.name))).await,
            String::new(),
        ),
        "delete" => {
            let with_posts = form.with_posts.is_some();
            match store.delete_source(&id, with_posts).await {
                Ok(Some(n)) => (Ok(true), if with_posts { format!("with {n} posts") } else { "posts kept".into() }),
                Ok(None) => (Ok(false), String::new()),
                Err(e) => (Err(e), String::new()),
            }
        }
        _ => {
            let w = words(&ctx.ui);
            let t = ctx.ui.t;
            return message_page(ctx, StatusCode::NOT_FOUND, t.not_found, w.no_action_message);
        }
    };
    match done {
        Ok(true) => {
            audit(&state, &op, &format!("source.{action}"), &id, &detail).await;
            if matches!(action.as_str(), "refresh" | "enable") {
                crawl_now(&state, &id);
            }
            back_to_sources(&format!("{action} {id}"))
        }
        Ok(false) => no_source(ctx),
        Err(e) => internal_error(e),
    }
}
