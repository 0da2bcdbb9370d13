//! The operator's console (`/admin`): sources added by homepage (discovery and a preview) or by CSS
//! selectors, edited, disabled, refreshed, deleted, imported and exported as OPML; a health page of
//! every source; users and their roles; the audit log of what operators did. Every route needs a
//! signed-in operator, and every form that changes something its CSRF token.

#![allow(clippy::result_large_err)]

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use moa_feed::scrape::Selectors;
use moa_store::{NewPost, NewSource, Selection, SourceRow, SourceSpec};
use serde::Deserialize;

use crate::ingest::discovery::{self, Discovered, PreviewError, Tried, preview_page};
use crate::web::i18n::{Lang, Ui};
use crate::web::session::{Curator, ROLE_CURATOR, ROLE_OPERATOR, SignedIn, check_csrf, no_store};
use crate::web::state::{AppState, Head, PageCtx, html_page, internal_error, message_page};

use crate::web::i18n::console::{Say, Words, done_text, explain, words};

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
fn when(w: &Words, t: Option<i64>) -> String {
    match t.filter(|t| *t > 0) {
        Some(t) => crate::kst::minute(t),
        None => w.never.to_string(),
    }
}

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
    sort: SortKeys,
}

#[derive(Clone, Default)]
struct SortKeys {
    state: u8,
    last_success: i64,
    next_check: i64,
    per_month: i64,
    mean_ms: i64,
    mean_bytes: i64,
    ratio: i64,
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
    state: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    done: Option<String>,
}

pub const SORTS: &[&str] = &["name", "state", "last_success", "next_check", "posts", "fetch", "bytes", "304", "pages"];

/// Filters and sorts the health rows as the page's parameters say.
fn select_rows(mut rows: Vec<HealthRow>, p: &HealthParams) -> Vec<HealthRow> {
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
struct SourcesPage {
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
struct OpmlRefused {
    error: String,
    detail: Option<String>,
    text: String,
}

async fn sources_response(
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

/// A post as the preview shows it.
pub struct PreviewPost {
    pub title: String,
    pub url: Option<String>,
    pub date: String,
    pub summary: Option<String>,
    pub thumbnail: Option<String>,
}

fn preview_posts(posts: &[NewPost], w: &Words) -> Vec<PreviewPost> {
    posts
        .iter()
        .take(10)
        .map(|p| PreviewPost {
            title: p.title.clone(),
            url: p.url.clone(),
            date: when(w, p.published_at),
            summary: p.summary.clone(),
            thumbnail: p.thumbnail.clone(),
        })
        .collect()
}

/// The add form's fields, also carried through the preview.
#[derive(Deserialize, Default, Clone)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name_ko: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    homepage: String,
    #[serde(default)]
    feed_url: String,
    #[serde(default)]
    platform: String,
    /// `feed` or `html`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    link: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    image: String,
}

impl AddForm {
    fn selectors(&self) -> Selectors {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Selectors {
            item: self.item.trim().into(),
            title: self.title.trim().into(),
            link: opt(&self.link),
            date: opt(&self.date),
            summary: opt(&self.summary),
            image: opt(&self.image),
        }
    }

    fn with_selectors(mut self, s: &Selectors) -> Self {
        self.kind = "html".into();
        self.item = s.item.clone();
        self.title = s.title.clone();
        self.link = s.link.clone().unwrap_or_default();
        self.date = s.date.clone().unwrap_or_default();
        self.summary = s.summary.clone().unwrap_or_default();
        self.image = s.image.clone().unwrap_or_default();
        self
    }

    fn source(&self) -> Result<NewSource, Say> {
        let id = self.id.trim();
        if !discovery::valid_id(id) {
            return Err(Say::BadId(id.into()));
        }
        let is_http = |u: &str| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        let feed_url = self.feed_url.trim();
        if !is_http(feed_url) {
            return Err(Say::NotHttp(feed_url.into()));
        }
        let homepage = self.homepage.trim();
        if !homepage.is_empty() && !is_http(homepage) {
            return Err(Say::BadHomepage(homepage.into()));
        }
        let selectors = if self.kind == "html" {
            let s = self.selectors();
            s.validate().map_err(Say::Selector)?;
            Some(serde_json::to_string(&s).unwrap_or_default())
        } else {
            None
        };
        let (ko, en) = (self.name_ko.trim(), self.name_en.trim());
        let spec = crate::ingest::registry::checked(SourceSpec {
            id: id.into(),
            name_ko: if ko.is_empty() { en.into() } else { ko.into() },
            name_en: if en.is_empty() { ko.into() } else { en.into() },
            homepage: self.homepage.trim().into(),
            feed_url: feed_url.into(),
            platform: self.platform.trim().into(),
            user_agent: None,
        })
        // The id, addresses and homepage are checked above: what is left is a name that is only controls.
        .map_err(|_| Say::NameNeeded)?;
        Ok(NewSource { spec, selectors })
    }

    fn from_source(spec: &SourceSpec) -> Self {
        Self {
            id: spec.id.clone(),
            name_ko: spec.name_ko.clone(),
            name_en: spec.name_en.clone(),
            homepage: spec.homepage.clone(),
            feed_url: spec.feed_url.clone(),
            platform: spec.platform.clone(),
            kind: "feed".into(),
            ..Self::default()
        }
    }
}

#[derive(Template)]
#[template(path = "admin_add.html")]
struct AddPage {
    ui: Ui,
    head: Head,
    w: &'static Words,
    csrf: String,
    form: AddForm,
    error: Option<String>,
    /// The technical detail of the error, shown on demand.
    error_detail: Option<String>,
    /// After a discovery or a selector preview: what was found, and the posts.
    found: Option<String>,
    others: Vec<(String, Option<String>)>,
    tried: Vec<Tried>,
    posts: Vec<PreviewPost>,
    previewed: bool,
}

impl AddPage {
    fn new(ctx: PageCtx, csrf: String, form: AddForm) -> Self {
        Self {
            w: words(&ctx.ui),
            ui: ctx.ui,
            head: ctx.head,
            csrf,
            form,
            error: None,
            error_detail: None,
            found: None,
            others: Vec::new(),
            tried: Vec::new(),
            posts: Vec::new(),
            previewed: false,
        }
    }

    /// The page again with what went wrong, in its language.
    fn refused(mut self, say: Say, status: StatusCode) -> Response {
        self.error = Some(say.text(self.ui.lang));
        self.error_detail = say.detail().map(String::from);
        let mut r = html_page(&self, true);
        *r.status_mut() = status;
        r
    }
}

pub async fn add_form(ctx: PageCtx, Operator(op): Operator) -> Response {
    html_page(&AddPage::new(ctx, op.csrf, AddForm { kind: "feed".into(), ..AddForm::default() }), true)
}

/// The form's token checked, and the fetcher of this server (a server without one reads no pages).
fn checked_fetcher(
    state: &AppState,
    op: &Curator,
    csrf: &str,
) -> Result<Option<crate::ingest::fetch::Fetcher>, Response> {
    check_csrf(op, csrf)?;
    Ok(state.fetcher.clone())
}

/// Finds the feed of a homepage and shows the posts it would bring, with the fields to save it.
pub async fn discover(
    State(state): State<AppState>,
    ctx: PageCtx,
    Operator(op): Operator,
    Form(form): Form<AddForm>,
) -> Response {
    let fetcher = match checked_fetcher(&state, &op, &form.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let csrf = op.csrf.clone();
    let mut page = AddPage::new(ctx, csrf, form.clone());
    let Some(fetcher) = fetcher else { return page.refused(Say::NoFetcher, StatusCode::SERVICE_UNAVAILABLE) };
    match discovery::discover(&fetcher, &form.url, state.timezone_offset).await {
        Ok(d) => fill_found(&mut page, d, &state).await,
        Err(discovery::DiscoveryError::NoFeed { tried, homepage }) => {
            page.tried = tried;
            return page.refused(Say::NoFeed(homepage), StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(discovery::DiscoveryError::BadUrl(u)) => {
            return page.refused(Say::BadAddress(u), StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
    html_page(&page, true)
}

async fn fill_found(page: &mut AddPage, d: Discovered, state: &AppState) {
    let mut form = AddForm::from_source(&d.proposed.spec);
    form.url = page.form.url.clone();
    // An id already taken (retired sources' too) gets a number, so saving does not fail on it.
    let base = form.id.clone();
    let mut n = 2;
    while matches!(state.store.source(&form.id).await, Ok(Some(_))) && n < 100 {
        form.id = format!("{base}-{n}");
        n += 1;
    }
    page.found = Some(format!("{} ({})", d.feed_url, d.origin));
    page.others = d.others;
    page.tried = d.tried;
    page.posts = preview_posts(&d.posts, page.w);
    page.previewed = true;
    page.form = form;
}

/// Reads a page with the selectors given and shows its posts.
pub async fn scrape_preview(
    State(state): State<AppState>,
    ctx: PageCtx,
    Operator(op): Operator,
    Form(form): Form<AddForm>,
) -> Response {
    let fetcher = match checked_fetcher(&state, &op, &form.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut page = AddPage::new(ctx, op.csrf.clone(), form.clone());
    let Some(fetcher) = fetcher else { return page.refused(Say::NoFetcher, StatusCode::SERVICE_UNAVAILABLE) };
    match preview_page(&fetcher, &form.url, &form.selectors(), state.timezone_offset).await {
        Ok((url, posts, title)) => {
            let home = url::Url::parse(&url).ok();
            let id = home.as_ref().map(discovery::propose_id).unwrap_or_default();
            let name = title.unwrap_or_else(|| id.clone());
            let mut f = AddForm {
                csrf: String::new(),
                url: form.url.clone(),
                name_en: if name.is_ascii() { name.clone() } else { id.clone() },
                name_ko: name,
                id,
                homepage: home.map(|u| u.origin().ascii_serialization() + "/").unwrap_or_default(),
                feed_url: url.clone(),
                ..AddForm::default()
            }
            .with_selectors(&form.selectors());
            if !form.id.trim().is_empty() {
                f.id = form.id.trim().into();
            }
            page.found = Some(url);
            page.posts = preview_posts(&posts, page.w);
            page.previewed = true;
            page.form = f;
            html_page(&page, true)
        }
        Err(e) => {
            page.form.kind = "html".into();
            page.refused(say_preview(e), StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// What the console says of a page that could not be previewed.
fn say_preview(error: PreviewError) -> Say {
    match error {
        PreviewError::Selector(e) => Say::Selector(e),
        PreviewError::Address(discovery::DiscoveryError::BadUrl(u)) => Say::BadAddress(u),
        PreviewError::Address(discovery::DiscoveryError::NoFeed { homepage, .. }) => Say::NoFeed(homepage),
        PreviewError::Fetch { url, error } => Say::CannotRead { url, kind: error.kind(), detail: error.to_string() },
        PreviewError::Page(detail) => Say::NoPosts(detail),
    }
}

/// Crawls one source now, in the background, when this process crawls.
fn crawl_now(state: &AppState, id: &str) {
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

async fn audit(state: &AppState, op: &Curator, action: &str, target: &str, detail: &str) {
    if let Err(e) = state.store.audit(crate::now_unix(), &op.name, action, target, detail).await {
        tracing::error!(error = %e, action, target, "cannot write the audit log");
    }
}

fn back_to_sources(done: &str) -> Response {
    no_store(
        Redirect::to(&format!(
            "/admin/sources?done={}",
            url::form_urlencoded::byte_serialize(done.as_bytes()).collect::<String>()
        ))
        .into_response(),
    )
}

/// Saves a new source (after its preview) and fetches it at once.
pub async fn add_source(
    State(state): State<AppState>,
    ctx: PageCtx,
    Operator(op): Operator,
    Form(form): Form<AddForm>,
) -> Response {
    if let Err(r) = check_csrf(&op, &form.csrf) {
        return r;
    }
    let source = match form.source() {
        Ok(s) => s,
        Err(e) => {
            let mut page = AddPage::new(ctx, op.csrf.clone(), form);
            page.previewed = true;
            return page.refused(e, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let id = source.spec.id.clone();
    let existing = match crate::ingest::registry::source_with_feed(state.store.as_ref(), &[&source.spec.feed_url]).await
    {
        Ok(e) => e,
        Err(e) => return internal_error(e),
    };
    if let Some(existing) = existing {
        let mut page = AddPage::new(ctx, op.csrf.clone(), form);
        page.previewed = true;
        return page.refused(Say::FeedTaken { feed: source.spec.feed_url, source: existing }, StatusCode::CONFLICT);
    }
    match state.store.add_source(&source, crate::now_unix()).await {
        Ok(()) => {}
        Err(moa_store::StoreError::Conflict(_)) => {
            let mut page = AddPage::new(ctx, op.csrf.clone(), form);
            page.previewed = true;
            return page.refused(Say::IdTaken(id), StatusCode::CONFLICT);
        }
        Err(e) => return internal_error(e),
    }
    audit(&state, &op, "source.add", &id, &source.spec.feed_url).await;
    crawl_now(&state, &id);
    back_to_sources(&format!("added {id}"))
}

#[derive(Template)]
#[template(path = "admin_source.html")]
struct SourcePage {
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

fn no_source(ctx: PageCtx) -> Response {
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
struct ConfirmDeletePage {
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
                let question = match ctx.ui.lang {
                    Lang::Ko => format!("{name}({id})와 그 글 {}개를 지울까요? 되돌릴 수 없습니다.", s.post_count),
                    Lang::En => format!("Delete {name} ({id}) and its {} posts? This cannot be undone.", s.post_count),
                };
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
        "disable" => {
            (store.set_source_enabled(&id, false, Some(&format!("disabled by {}", op.name))).await, String::new())
        }
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

/// Every source the console knows (registry and operators'), as OPML.
pub async fn export_opml(State(state): State<AppState>, Operator(_): Operator) -> Response {
    match state.store.sources().await {
        Ok(sources) => (
            [
                (header::CONTENT_TYPE, "text/x-opml; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"moa-sources.opml\""),
                (header::CACHE_CONTROL, "no-store"),
            ],
            crate::web::syndication::opml("moa sources", &sources),
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

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
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

async fn users_response(
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

fn valid_role(role: &str) -> bool {
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
struct AuditPage {
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
struct SettingsPage {
    ui: Ui,
    head: Head,
    w: &'static Words,
    settings: std::sync::Arc<Vec<(&'static str, &'static str, String)>>,
}

pub async fn settings_page(State(state): State<AppState>, ctx: PageCtx, Operator(_): Operator) -> Response {
    html_page(&SettingsPage { w: words(&ctx.ui), ui: ctx.ui, head: ctx.head, settings: state.settings.clone() }, true)
}

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
