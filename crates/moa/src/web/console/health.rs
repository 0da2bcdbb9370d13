//! The health page of every source (filters, sorting, the state and cost of each), and OPML in and out.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use moa_store::SourceRow;
use serde::Deserialize;

use crate::i18n::console::{Say, Words, done_text, explain, words};
use crate::i18n::{Lang, Ui};
use crate::web::console::operator::{Operator, back_to_sources, crawl_now, when};
use crate::web::http::internal_error;
use crate::web::page::{Head, PageCtx, html_page};
use crate::web::session::{Curator, check_csrf};
use crate::web::state::AppState;

/// One row of the health page.
pub struct HealthRow {
    pub id: String,
    pub name: String,
    pub origin: String,
    pub kind: &'static str,
    /// ok, failing, disabled, new.
    pub state: &'static str,
    pub state_text: String,
    pub last_success: String,
    pub error_kind: String,
    /// What the error kind means, for a person; `error` is the technical detail.
    pub error_text: String,
    pub error: String,
    pub next_check: String,
    pub posts: i64,
    pub per_month: String,
    pub mean_ms: String,
    pub mean_bytes: String,
    pub ratio_304: String,
    /// Entries of the last fetch left out as pages of the site.
    pub pages_skipped: i64,
    pub enabled: bool,
    pub(crate) sort: SortKeys,
}

#[derive(Clone, Default)]
pub(crate) struct SortKeys {
    pub(crate) state: u8,
    pub(crate) last_success: i64,
    pub(crate) next_check: i64,
    pub(crate) per_month: i64,
    pub(crate) mean_ms: i64,
    pub(crate) mean_bytes: i64,
    pub(crate) ratio: i64,
}

fn bytes_text(n: i64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{:.0} KB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

pub fn health_row(s: &SourceRow, ui: &Ui) -> HealthRow {
    let w = words(ui);
    let h = &s.health;
    let state = s.state();
    let state_text = match state {
        "ok" => w.ok.to_string(),
        "failing" => format!(
            "{} {} (×{})",
            w.failing_since,
            when(w, h.failing_since.or(s.last_attempt_at)),
            s.consecutive_failures
        ),
        "disabled" => {
            format!("{}{}", w.disabled, s.disabled_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())
        }
        _ => w.new.to_string(),
    };
    let failing = s.consecutive_failures > 0;
    HealthRow {
        id: s.spec.id.clone(),
        name: if ui.lang == Lang::En { s.spec.name_en.clone() } else { s.spec.name_ko.clone() },
        origin: s.origin.clone(),
        kind: if s.selectors.is_some() { "html" } else { "feed" },
        state,
        state_text,
        last_success: when(w, s.last_success_at),
        error_kind: if failing { s.last_error_kind.map_or("", |k| k.as_str()).to_string() } else { String::new() },
        error_text: match s.last_error_kind {
            Some(k) if failing => explain(k, ui.lang).to_string(),
            _ => String::new(),
        },
        error: if failing { s.last_error.clone().unwrap_or_default() } else { String::new() },
        next_check: match s.enabled {
            false => "-".into(),
            true if s.next_check_at <= crate::now_unix() => w.due_now.into(),
            true => when(w, Some(s.next_check_at)),
        },
        posts: s.post_count,
        per_month: format!("{:.1}", h.posts_per_month()),
        mean_ms: h.mean_fetch_ms().map_or("-".into(), |ms| format!("{ms} ms")),
        mean_bytes: h.mean_fetch_bytes().map_or("-".into(), bytes_text),
        ratio_304: h.not_modified_ratio().map_or("-".into(), |r| format!("{:.0}%", r * 100.0)),
        pages_skipped: h.pages_skipped,
        enabled: s.enabled,
        sort: SortKeys {
            state: match state {
                "failing" => 0,
                "new" => 1,
                "disabled" => 2,
                _ => 3,
            },
            last_success: s.last_success_at.unwrap_or(0),
            next_check: s.next_check_at,
            per_month: h.posts_last_year,
            mean_ms: h.mean_fetch_ms().unwrap_or(-1),
            mean_bytes: h.mean_fetch_bytes().unwrap_or(-1),
            ratio: h.not_modified_ratio().map_or(-1, |r| (r * 1000.0) as i64),
        },
    }
}

#[derive(Deserialize, Default)]
pub struct HealthParams {
    pub(crate) state: Option<String>,
    pub(crate) q: Option<String>,
    pub(crate) sort: Option<String>,
    pub(crate) dir: Option<String>,
    pub(crate) done: Option<String>,
}

pub const SORTS: &[&str] = &["name", "state", "last_success", "next_check", "posts", "fetch", "bytes", "304", "pages"];

/// Filters and sorts the health rows as the page's parameters say.
pub(crate) fn select_rows(mut rows: Vec<HealthRow>, p: &HealthParams) -> Vec<HealthRow> {
    if let Some(state) = p.state.as_deref().filter(|s| !s.is_empty() && *s != "all") {
        rows.retain(|r| r.state == state);
    }
    if let Some(q) = p.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let q = q.to_lowercase();
        rows.retain(|r| r.id.to_lowercase().contains(&q) || r.name.to_lowercase().contains(&q));
    }
    let sort = p.sort.as_deref().unwrap_or("state");
    match sort {
        "name" => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        "last_success" => rows.sort_by_key(|r| r.sort.last_success),
        "next_check" => rows.sort_by_key(|r| r.sort.next_check),
        "posts" => rows.sort_by_key(|r| r.sort.per_month),
        "fetch" => rows.sort_by_key(|r| r.sort.mean_ms),
        "bytes" => rows.sort_by_key(|r| r.sort.mean_bytes),
        "304" => rows.sort_by_key(|r| r.sort.ratio),
        "pages" => rows.sort_by_key(|r| r.pages_skipped),
        _ => rows.sort_by(|a, b| a.sort.state.cmp(&b.sort.state).then_with(|| a.id.cmp(&b.id))),
    }
    if p.dir.as_deref() == Some("desc") {
        rows.reverse();
    }
    rows
}

#[derive(Template)]
#[template(path = "admin_sources.html")]
pub(crate) struct SourcesPage {
    ui: Ui,
    head: Head,
    w: &'static Words,
    csrf: String,
    rows: Vec<HealthRow>,
    total: usize,
    /// State, its words, how many.
    counts: Vec<(&'static str, &'static str, usize)>,
    /// Column headers: label, link that sorts by it, `aria-sort` value.
    headers: Vec<(&'static str, String, &'static str)>,
    state: String,
    q: String,
    sort: String,
    dir: String,
    done: Option<String>,
    opml_error: Option<String>,
    opml_detail: Option<String>,
    opml_text: String,
}

pub async fn sources_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Operator(op): Operator,
    Query(p): Query<HealthParams>,
) -> Response {
    sources_response(&state, ctx, op, p, None).await
}

/// A failed OPML import: what went wrong, and the text given, to mend.
pub(crate) struct OpmlRefused {
    error: String,
    detail: Option<String>,
    text: String,
}

pub(crate) async fn sources_response(
    state: &AppState,
    ctx: PageCtx,
    op: Curator,
    p: HealthParams,
    opml: Option<OpmlRefused>,
) -> Response {
    let sources = match state.store.sources().await {
        Ok(s) => s,
        Err(e) => return internal_error(e),
    };
    let rows: Vec<HealthRow> = sources.iter().map(|s| health_row(s, &ctx.ui)).collect();
    let w = words(&ctx.ui);
    let counts = [("ok", w.ok), ("failing", w.failing), ("disabled", w.disabled), ("new", w.new)]
        .into_iter()
        .map(|(st, label)| (st, label, rows.iter().filter(|r| r.state == st).count()))
        .collect();
    let (sort, dir) = (p.sort.clone().unwrap_or_else(|| "state".into()), p.dir.clone().unwrap_or_else(|| "asc".into()));
    let q_enc: String = url::form_urlencoded::byte_serialize(p.q.as_deref().unwrap_or("").as_bytes()).collect();
    let labels = [
        w.blog,
        w.state,
        w.last_success,
        w.next_check,
        w.posts_per_month,
        w.mean_fetch,
        w.mean_bytes,
        w.not_modified,
        w.pages_skipped,
    ];
    let headers = SORTS
        .iter()
        .zip(labels)
        .map(|(key, label)| {
            let current = sort == *key;
            let next_dir = if current && dir == "asc" { "desc" } else { "asc" };
            let href = format!(
                "/admin/sources?sort={key}&dir={next_dir}&state={}&q={q_enc}{}",
                p.state.as_deref().unwrap_or(""),
                ctx.ui.amp
            );
            let aria = match (current, dir.as_str()) {
                (false, _) => "none",
                (true, "desc") => "descending",
                (true, _) => "ascending",
            };
            (label, href, aria)
        })
        .collect();
    let total = rows.len();
    let rows = select_rows(rows, &p);
    let page = SourcesPage {
        ui: ctx.ui,
        head: ctx.head,
        w: words(&ctx.ui),
        csrf: op.csrf,
        rows,
        total,
        counts,
        headers,
        state: p.state.clone().unwrap_or_default(),
        q: p.q.clone().unwrap_or_default(),
        sort,
        dir,
        done: p.done.as_deref().map(|d| done_text(d, ctx.ui.lang)).filter(|d| !d.is_empty()),
        opml_error: opml.as_ref().map(|o| o.error.clone()),
        opml_detail: opml.as_ref().and_then(|o| o.detail.clone()),
        opml_text: opml.map(|o| o.text).unwrap_or_default(),
    };
    let mut r = html_page(&page, true);
    if page.opml_error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// Every source the console knows (registry and operators'), as OPML.
pub async fn export_opml(State(state): State<AppState>, Operator(_): Operator) -> Response {
    match state.store.sources().await {
        Ok(sources) => (
            [
                (header::CONTENT_TYPE, "text/x-opml; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"moa-sources.opml\""),
                (header::CACHE_CONTROL, "no-store"),
            ],
            crate::web::syndication::opml(crate::i18n::published::EXPORT_OPML_TITLE, &sources),
        )
            .into_response(),
        Err(e) => internal_error(e),
    }
}

#[derive(Deserialize)]
pub struct OpmlForm {
    csrf: String,
    #[serde(default)]
    opml: String,
}

pub async fn import_opml_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Operator(op): Operator,
    Form(form): Form<OpmlForm>,
) -> Response {
    if let Err(r) = check_csrf(&op, &form.csrf) {
        return r;
    }
    match crate::ingest::registry::import_opml(state.store.as_ref(), &form.opml, &op.name).await {
        Ok(imported) => {
            for id in &imported.added {
                crawl_now(&state, id);
            }
            back_to_sources(&format!("imported {} {}", imported.added.len(), imported.skipped))
        }
        Err(e) if e.downcast_ref::<crate::ingest::registry::RegistryError>().is_none() => {
            internal_error(format!("{e:#}"))
        }
        Err(e) => {
            let say = Say::BadOpml(format!("{e:#}"));
            let refused =
                OpmlRefused { error: say.text(ctx.ui.lang), detail: say.detail().map(String::from), text: form.opml };
            sources_response(&state, ctx, op, HealthParams::default(), Some(refused)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, state_rank: u8, ms: i64) -> HealthRow {
        HealthRow {
            id: id.into(),
            name: id.into(),
            origin: "registry".into(),
            kind: "feed",
            state: ["failing", "new", "disabled", "ok"][state_rank as usize],
            state_text: String::new(),
            last_success: String::new(),
            error_kind: String::new(),
            error_text: String::new(),
            error: String::new(),
            next_check: String::new(),
            posts: 0,
            per_month: String::new(),
            mean_ms: String::new(),
            mean_bytes: String::new(),
            ratio_304: String::new(),
            pages_skipped: 0,
            enabled: true,
            sort: SortKeys { state: state_rank, mean_ms: ms, ..SortKeys::default() },
        }
    }

    #[test]
    fn rows_filter_and_sort() {
        let rows = || vec![row("b", 3, 10), row("a", 0, 30), row("c", 3, 20)];
        let ids = |rows: Vec<HealthRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(select_rows(rows(), &HealthParams::default())), ["a", "b", "c"], "failing first");
        let p = HealthParams { sort: Some("fetch".into()), dir: Some("desc".into()), ..HealthParams::default() };
        assert_eq!(ids(select_rows(rows(), &p)), ["a", "c", "b"]);
        let p = HealthParams { state: Some("ok".into()), q: Some("C".into()), ..HealthParams::default() };
        assert_eq!(ids(select_rows(rows(), &p)), ["c"]);
        let with_pages =
            || rows().into_iter().zip([2, 0, 5]).map(|(r, pages_skipped)| HealthRow { pages_skipped, ..r }).collect();
        let p = HealthParams { sort: Some("pages".into()), dir: Some("desc".into()), ..HealthParams::default() };
        assert_eq!(ids(select_rows(with_pages(), &p)), ["c", "b", "a"], "most site pages skipped first");
    }
}
