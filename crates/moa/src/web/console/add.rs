//! Adding a source: by homepage (discovery, then a preview of its posts) or by CSS selectors over a page.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use moa_feed::scrape::Selectors;
use moa_store::{NewPost, NewSource, SourceSpec};
use serde::Deserialize;

use crate::i18n::Ui;
use crate::i18n::console::{Say, Words, words};
use crate::ingest::discovery::{self, Discovered, PreviewError, Tried, preview_page};
use crate::web::console::operator::{Operator, audit, back_to_sources, crawl_now, when};
use crate::web::http::internal_error;
use crate::web::page::{Head, PageCtx, html_page};
use crate::web::session::{Curator, check_csrf};
use crate::web::state::AppState;

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
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name_ko: String,
    #[serde(default)]
    pub(crate) name_en: String,
    #[serde(default)]
    pub(crate) homepage: String,
    #[serde(default)]
    pub(crate) feed_url: String,
    #[serde(default)]
    pub(crate) platform: String,
    /// `feed` or `html`.
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) item: String,
    #[serde(default)]
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) link: String,
    #[serde(default)]
    pub(crate) date: String,
    #[serde(default)]
    pub(crate) summary: String,
    #[serde(default)]
    pub(crate) image: String,
}

impl AddForm {
    pub(crate) fn selectors(&self) -> Selectors {
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

    pub(crate) fn with_selectors(mut self, s: &Selectors) -> Self {
        self.kind = "html".into();
        self.item = s.item.clone();
        self.title = s.title.clone();
        self.link = s.link.clone().unwrap_or_default();
        self.date = s.date.clone().unwrap_or_default();
        self.summary = s.summary.clone().unwrap_or_default();
        self.image = s.image.clone().unwrap_or_default();
        self
    }

    pub(crate) fn source(&self) -> Result<NewSource, Say> {
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

    pub(crate) fn from_source(spec: &SourceSpec) -> Self {
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
pub(crate) struct AddPage {
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
    pub(crate) fn new(ctx: PageCtx, csrf: String, form: AddForm) -> Self {
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
    pub(crate) fn refused(mut self, say: Say, status: StatusCode) -> Response {
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
