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
use moa_store::{NewPost, NewSource, Selection, SourceRow, SourceSpec, Store};
use serde::Deserialize;

use crate::curate::{Curator, ROLE_CURATOR, ROLE_OPERATOR, SignedIn, check_csrf, no_store};
use crate::discovery::{self, Discovered, Tried};
use crate::i18n::{Lang, Ui};
use crate::web::{AppState, Head, PageCtx, html_page, internal_error};

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
            Err((StatusCode::FORBIDDEN, "this page is for operators").into_response())
        }
    }
}

/// The console's words, in both languages.
pub struct Words {
    pub console: &'static str,
    pub due_now: &'static str,
    pub settings: &'static str,
    pub settings_note: &'static str,
    pub key: &'static str,
    pub variable: &'static str,
    pub value: &'static str,
    pub blog: &'static str,
    pub sources: &'static str,
    pub add: &'static str,
    pub users: &'static str,
    pub audit: &'static str,
    pub homepage: &'static str,
    pub find_feed: &'static str,
    pub by_selectors: &'static str,
    pub page_url: &'static str,
    pub preview: &'static str,
    pub save: &'static str,
    pub id: &'static str,
    pub name_ko: &'static str,
    pub name_en: &'static str,
    pub feed_url: &'static str,
    pub state: &'static str,
    pub last_success: &'static str,
    pub last_error: &'static str,
    pub next_check: &'static str,
    pub posts_per_month: &'static str,
    pub mean_fetch: &'static str,
    pub mean_bytes: &'static str,
    pub not_modified: &'static str,
    pub pages_skipped: &'static str,
    pub refresh: &'static str,
    pub enable: &'static str,
    pub disable: &'static str,
    pub delete: &'static str,
    pub delete_posts_too: &'static str,
    pub edit: &'static str,
    pub all: &'static str,
    pub filter: &'static str,
    pub ok: &'static str,
    pub failing_since: &'static str,
    pub disabled: &'static str,
    pub new: &'static str,
    pub found_at: &'static str,
    pub others: &'static str,
    pub tried: &'static str,
    pub no_posts: &'static str,
    pub import_opml: &'static str,
    pub export_opml: &'static str,
    pub opml_text: &'static str,
    pub import: &'static str,
    pub role: &'static str,
    pub password: &'static str,
    pub add_user: &'static str,
    pub change_role: &'static str,
    /// The users page's column of failed sign-ins in the current window, and the mark of a slowed name.
    pub failed_sign_ins: &'static str,
    pub slowed: &'static str,
    pub when: &'static str,
    pub who: &'static str,
    pub action: &'static str,
    pub target: &'static str,
    pub detail: &'static str,
    pub posts: &'static str,
    pub never: &'static str,
    pub item: &'static str,
    pub title: &'static str,
    pub link: &'static str,
    pub date: &'static str,
    pub summary: &'static str,
    pub image: &'static str,
    pub optional: &'static str,
}

pub static KO: Words = Words {
    console: "운영 콘솔",
    due_now: "곧",
    settings: "설정",
    settings_note: "지금 쓰는 설정입니다. moa.toml이나 환경 변수로 바꾸고 다시 시작하세요. 비밀 값은 가렸습니다.",
    key: "키",
    variable: "환경 변수",
    value: "값",
    blog: "블로그",
    sources: "블로그 상태",
    add: "블로그 추가",
    users: "사용자",
    audit: "감사 기록",
    homepage: "홈페이지 주소",
    find_feed: "피드 찾기",
    by_selectors: "피드가 없는 사이트: CSS 선택자로 읽기",
    page_url: "글 목록 페이지 주소",
    preview: "미리 보기",
    save: "저장",
    id: "ID",
    name_ko: "이름(한국어)",
    name_en: "이름(영어)",
    feed_url: "피드 주소",
    state: "상태",
    last_success: "마지막 성공",
    last_error: "마지막 오류",
    next_check: "다음 확인",
    posts_per_month: "월 글 수",
    mean_fetch: "평균 수집 시간",
    mean_bytes: "평균 크기",
    not_modified: "304 비율",
    pages_skipped: "건너뛴 사이트 페이지",
    refresh: "지금 새로 고침",
    enable: "켜기",
    disable: "끄기",
    delete: "삭제",
    delete_posts_too: "글도 함께 삭제",
    edit: "편집",
    all: "전체",
    filter: "거르기",
    ok: "정상",
    failing_since: "실패 중, 시작",
    disabled: "꺼짐",
    new: "아직 수집 전",
    found_at: "찾은 곳",
    others: "다른 피드",
    tried: "시도한 주소",
    no_posts: "글이 없습니다.",
    import_opml: "OPML 가져오기",
    export_opml: "OPML 내보내기",
    opml_text: "OPML 내용",
    import: "가져오기",
    role: "역할",
    password: "비밀번호(8자 이상)",
    add_user: "사용자 추가 / 비밀번호 변경",
    change_role: "역할 바꾸기",
    failed_sign_ins: "최근 15분 로그인 실패",
    slowed: "지연 중",
    when: "시각",
    who: "누가",
    action: "무엇을",
    target: "대상",
    detail: "내용",
    posts: "글",
    never: "없음",
    item: "글 하나(항목)",
    title: "제목",
    link: "링크",
    date: "날짜",
    summary: "요약",
    image: "이미지",
    optional: "선택",
};

pub static EN: Words = Words {
    console: "Console",
    due_now: "due now",
    settings: "Settings",
    settings_note: "The settings in effect. Change them in moa.toml or the environment, then restart. Secrets are masked.",
    key: "Key",
    variable: "Variable",
    value: "Value",
    blog: "Blog",
    sources: "Feed health",
    add: "Add a blog",
    users: "Users",
    audit: "Audit log",
    homepage: "Homepage URL",
    find_feed: "Find the feed",
    by_selectors: "A site without a feed: read it with CSS selectors",
    page_url: "URL of the page listing the posts",
    preview: "Preview",
    save: "Save",
    id: "ID",
    name_ko: "Name (Korean)",
    name_en: "Name (English)",
    feed_url: "Feed URL",
    state: "State",
    last_success: "Last success",
    last_error: "Last error",
    next_check: "Next check",
    posts_per_month: "Posts/month",
    mean_fetch: "Mean fetch",
    mean_bytes: "Mean size",
    not_modified: "304 ratio",
    pages_skipped: "Site pages skipped",
    refresh: "Refresh now",
    enable: "Enable",
    disable: "Disable",
    delete: "Delete",
    delete_posts_too: "Delete its posts too",
    edit: "Edit",
    all: "All",
    filter: "Filter",
    ok: "OK",
    failing_since: "failing since",
    disabled: "disabled",
    new: "not fetched yet",
    found_at: "Found at",
    others: "Other feeds",
    tried: "Tried",
    no_posts: "No posts.",
    import_opml: "Import OPML",
    export_opml: "Export OPML",
    opml_text: "OPML",
    import: "Import",
    role: "Role",
    password: "Password (8 characters or more)",
    add_user: "Add a user / set a password",
    change_role: "Change role",
    failed_sign_ins: "Failed sign-ins (15 min)",
    slowed: "slowed down",
    when: "When",
    who: "Who",
    action: "Action",
    target: "Target",
    detail: "Detail",
    posts: "Posts",
    never: "never",
    item: "One post (item)",
    title: "Title",
    link: "Link",
    date: "Date",
    summary: "Summary",
    image: "Image",
    optional: "optional",
};

fn words(ui: &Ui) -> &'static Words {
    match ui.lang {
        Lang::Ko => &KO,
        Lang::En => &EN,
    }
}

/// `YYYY-MM-DD HH:MM` in Korea, or "never".
fn when(w: &Words, t: Option<i64>) -> String {
    match t.filter(|t| *t > 0).and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok()) {
        Some(t) => {
            let t = t.to_offset(time::UtcOffset::from_whole_seconds(9 * 3600).unwrap_or(time::UtcOffset::UTC));
            format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), t.month() as u8, t.day(), t.hour(), t.minute())
        }
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
    let state = crate::api::state_of(s);
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
}

pub async fn sources_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Operator(op): Operator,
    Query(p): Query<HealthParams>,
) -> Response {
    let sources = match state.store.sources().await {
        Ok(s) => s,
        Err(e) => return internal_error(e),
    };
    let rows: Vec<HealthRow> = sources.iter().map(|s| health_row(s, &ctx.ui)).collect();
    let w = words(&ctx.ui);
    let counts = [("ok", w.ok), ("failing", w.failing_since), ("disabled", w.disabled), ("new", w.new)]
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
        done: p.done.clone(),
    };
    html_page(&page, true)
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

    fn source(&self) -> Result<NewSource, String> {
        let id = self.id.trim();
        if !discovery::valid_id(id) {
            return Err(format!("the id {id:?} must be 1 to 64 letters, digits, '-' or '_'"));
        }
        let feed_url = self.feed_url.trim();
        match url::Url::parse(feed_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => return Err(format!("{feed_url:?} is not an http(s) URL")),
        }
        let selectors = if self.kind == "html" {
            let s = self.selectors();
            s.validate().map_err(|e| e.to_string())?;
            Some(serde_json::to_string(&s).map_err(|e| e.to_string())?)
        } else {
            None
        };
        let (ko, en) = (self.name_ko.trim(), self.name_en.trim());
        if ko.is_empty() && en.is_empty() {
            return Err("a name is needed".into());
        }
        let spec = crate::registry::checked(SourceSpec {
            id: id.into(),
            name_ko: if ko.is_empty() { en.into() } else { ko.into() },
            name_en: if en.is_empty() { ko.into() } else { en.into() },
            homepage: self.homepage.trim().into(),
            feed_url: feed_url.into(),
            platform: self.platform.trim().into(),
            user_agent: None,
        })?;
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
            found: None,
            others: Vec::new(),
            tried: Vec::new(),
            posts: Vec::new(),
            previewed: false,
        }
    }
}

pub async fn add_form(ctx: PageCtx, Operator(op): Operator) -> Response {
    html_page(&AddPage::new(ctx, op.csrf, AddForm { kind: "feed".into(), ..AddForm::default() }), true)
}

/// The form's token checked, and the fetcher of this server (a server without one reads no pages).
fn checked_fetcher(state: &AppState, op: &Curator, csrf: &str) -> Result<crate::fetch::Fetcher, Response> {
    check_csrf(op, csrf)?;
    state
        .fetcher
        .clone()
        .ok_or_else(|| (StatusCode::SERVICE_UNAVAILABLE, "this server does not fetch pages").into_response())
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
    match discovery::discover(&fetcher, &form.url, state.timezone_offset).await {
        Ok(d) => fill_found(&mut page, d, &state).await,
        Err(e) => {
            if let discovery::DiscoveryError::NoFeed { tried, .. } = &e {
                page.tried = tried.clone();
            }
            page.error = Some(e.to_string());
            let mut r = html_page(&page, true);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return r;
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
            page.error = Some(e);
            page.form.kind = "html".into();
            let mut r = html_page(&page, true);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

/// Fetches a page and reads its posts with `selectors`: the URL it ended at, the posts, the page title.
pub async fn preview_page(
    fetcher: &crate::fetch::Fetcher,
    url: &str,
    selectors: &Selectors,
    timezone_offset: i32,
) -> Result<(String, Vec<NewPost>, Option<String>), String> {
    selectors.validate().map_err(|e| e.to_string())?;
    let url = discovery::parse_input(url).map_err(|e| e.to_string())?;
    let fetched = fetcher.get(url.as_str()).await.map_err(|e| format!("cannot read {url}: {e}"))?;
    let options = moa_feed::ParseOptions {
        url: Some(fetched.url.clone()),
        http_charset: fetched.charset.clone(),
        timezone_offset,
        now: Some(crate::now_unix()),
        ..moa_feed::ParseOptions::default()
    };
    let feed = moa_feed::scrape::parse_page(&fetched.body, selectors, &options).map_err(|e| e.to_string())?;
    let title = feed.title.clone();
    Ok((url.to_string(), crate::crawl::posts_of(feed), title))
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
            page.error = Some(e);
            page.previewed = true;
            let mut r = html_page(&page, true);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return r;
        }
    };
    let id = source.spec.id.clone();
    let existing = match crate::registry::source_with_feed(state.store.as_ref(), &[&source.spec.feed_url]).await {
        Ok(e) => e,
        Err(e) => return internal_error(e),
    };
    if let Some(existing) = existing {
        let mut page = AddPage::new(ctx, op.csrf.clone(), form);
        page.error = Some(format!("the feed {} is already the source {existing:?}", source.spec.feed_url));
        page.previewed = true;
        let mut r = html_page(&page, true);
        *r.status_mut() = StatusCode::CONFLICT;
        return r;
    }
    match state.store.add_source(&source, crate::now_unix()).await {
        Ok(()) => {}
        Err(moa_store::StoreError::Conflict(e)) => {
            let mut page = AddPage::new(ctx, op.csrf.clone(), form);
            page.error = Some(e);
            page.previewed = true;
            let mut r = html_page(&page, true);
            *r.status_mut() = StatusCode::CONFLICT;
            return r;
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
        Ok(_) => (StatusCode::NOT_FOUND, "no such source").into_response(),
        Err(e) => internal_error(e),
    }
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
    let source = match form.source() {
        Ok(s) => s,
        Err(e) => {
            let Ok(Some(s)) = state.store.source(&id).await else {
                return (StatusCode::NOT_FOUND, "no such source").into_response();
            };
            let page = SourcePage {
                w: words(&ctx.ui),
                row: health_row(&s, &ctx.ui),
                ui: ctx.ui,
                head: ctx.head,
                csrf: op.csrf,
                form,
                error: Some(e),
            };
            let mut r = html_page(&page, true);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return r;
        }
    };
    match state.store.update_source(&id, &source).await {
        Ok(true) => {
            audit(&state, &op, "source.edit", &id, &source.spec.feed_url).await;
            back_to_sources(&format!("saved {id}"))
        }
        Ok(false) => (StatusCode::NOT_FOUND, "no such source").into_response(),
        Err(e) => internal_error(e),
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
    #[serde(default)]
    with_posts: Option<String>,
}

/// Refresh, enable, disable or delete one source.
pub async fn source_action(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Err(r) = check_csrf(&op, &form.csrf) {
        return r;
    }
    let store = state.store.as_ref();
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
        _ => return (StatusCode::NOT_FOUND, "no such action").into_response(),
    };
    match done {
        Ok(true) => {
            audit(&state, &op, &format!("source.{action}"), &id, &detail).await;
            if matches!(action.as_str(), "refresh" | "enable") {
                crawl_now(&state, &id);
            }
            back_to_sources(&format!("{action} {id}"))
        }
        Ok(false) => (StatusCode::NOT_FOUND, "no such source").into_response(),
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
            crate::syndication::opml("moa sources", &sources),
        )
            .into_response(),
        Err(e) => internal_error(e),
    }
}

/// What an OPML import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub added: Vec<String>,
    /// Feeds already among the sources (same feed URL).
    pub skipped: usize,
}

/// Adds every feed of an OPML document that no source has yet, as operator sources.
pub async fn import_opml(store: &dyn Store, text: &str, user: &str) -> anyhow::Result<Imported> {
    let specs = crate::registry::from_opml(text, "the OPML")?;
    let existing = store.sources().await?;
    let mut ids: std::collections::HashSet<String> = existing.iter().map(|s| s.spec.id.clone()).collect();
    let feeds: std::collections::HashSet<String> = existing.iter().map(|s| s.spec.feed_url.clone()).collect();
    let mut out = Imported::default();
    let now = crate::now_unix();
    for mut spec in specs {
        if feeds.contains(&spec.feed_url) {
            out.skipped += 1;
            continue;
        }
        let base = spec.id.clone();
        let mut n = 2;
        while ids.contains(&spec.id) {
            spec.id = format!("{base}-{n}");
            n += 1;
        }
        ids.insert(spec.id.clone());
        let id = spec.id.clone();
        let feed = spec.feed_url.clone();
        store.add_source(&NewSource { spec, selectors: None }, now).await?;
        store.audit(now, user, "source.add", &id, &format!("{feed} (OPML import)")).await?;
        out.added.push(id);
    }
    Ok(out)
}

#[derive(Deserialize)]
pub struct OpmlForm {
    csrf: String,
    #[serde(default)]
    opml: String,
}

pub async fn import_opml_form(
    State(state): State<AppState>,
    Operator(op): Operator,
    Form(form): Form<OpmlForm>,
) -> Response {
    if let Err(r) = check_csrf(&op, &form.csrf) {
        return r;
    }
    match import_opml(state.store.as_ref(), &form.opml, &op.name).await {
        Ok(imported) => {
            for id in &imported.added {
                crawl_now(&state, id);
            }
            back_to_sources(&format!("imported {} ({} known)", imported.added.len(), imported.skipped))
        }
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, format!("{e:#}")).into_response(),
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
    let keys: Vec<String> = users.iter().map(|u| crate::auth::user_key(&u.name)).collect();
    let window = crate::auth::FAILURE_WINDOW.as_secs() as i64;
    let failures = match state.store.sign_in_failures(&keys, crate::now_unix(), window).await {
        Ok(f) => f.into_iter().collect::<std::collections::HashMap<_, _>>(),
        Err(e) => return internal_error(e),
    };
    let w = words(&ctx.ui);
    let users = users
        .into_iter()
        .map(|u| {
            let me = u.name == op.name;
            let failed = failures.get(&crate::auth::user_key(&u.name)).copied().unwrap_or(0);
            (u.name, u.role, when(w, Some(u.created_at)), me, failed)
        })
        .collect();
    let slowed_from = crate::auth::MAX_FAILURES_PER_NAME + 1;
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
        Some("a name is letters, digits, '.', '_' or '-'")
    } else if form.password.chars().count() < 8 {
        Some("a password has at least 8 characters")
    } else if !valid_role(&form.role) {
        Some("the role is curator or operator")
    } else {
        None
    };
    if let Some(p) = problem {
        return users_response(&state, ctx, op, Some(p.into()), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let hash = match crate::auth::hash_password(&form.password) {
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
        return users_response(
            &state,
            ctx,
            op,
            Some("you cannot change or delete your own account here".into()),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let done = match action.as_str() {
        "role" if valid_role(&form.role) => state.store.set_user_role(&name, &form.role).await,
        "delete" => state.store.delete_user(&name).await,
        _ => return (StatusCode::NOT_FOUND, "no such action").into_response(),
    };
    match done {
        Ok(true) => {
            audit(&state, &op, &format!("user.{action}"), &name, &form.role).await;
            no_store(Redirect::to("/admin/users").into_response())
        }
        Ok(false) => (StatusCode::NOT_FOUND, "no such user").into_response(),
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
