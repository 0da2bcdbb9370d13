//! The search page and the search feeds, and the one rule for filters naming unknown companies or topics.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use moa_store::{Post, Store};
use serde::Deserialize;

use crate::i18n::Ui;
use crate::i18n::published::SITE_TITLE;
use crate::web::card::{Card, CompanyOption, card, company_options};
use crate::web::feeds::{FEED_SIZE, FeedFormat, feed_response};
use crate::web::http::internal_error;
use crate::web::page::{Head, PageCtx, html_page, message, not_found, page_error};
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "search.html")]
pub(crate) struct SearchPage {
    ui: Ui,
    head: Head,
    scrap_csrf: Option<String>,
    q: String,
    total: usize,
    more: bool,
    cards: Vec<Card>,
    empty_message: &'static str,
    /// False while the index is not open: the page says so instead of "nothing found".
    available: bool,
    companies: Vec<CompanyOption>,
    topics: Vec<TopicOption>,
    from: String,
    to: String,
    by_date: bool,
    feed_href: Option<String>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

pub(crate) struct TopicOption {
    slug: &'static str,
    name: &'static str,
    selected: bool,
}

/// A search as the address gives it: `/search?q=…&company=ID&topic=SLUG&tag=T&from=YYYY-MM-DD&to=YYYY-MM-DD&sort=date&page=N`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SearchParams {
    pub q: Option<String>,
    pub company: Option<String>,
    pub topic: Option<String>,
    pub tag: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `date` for newest first; relevance otherwise.
    pub sort: Option<String>,
    /// 1-based.
    pub page: Option<usize>,
    pub limit: Option<usize>,
}

/// Characters of a query read; the rest is dropped.
pub(crate) const QUERY_CHARS: usize = 200;
pub const SEARCH_PAGE: usize = 20;
/// Pages of results offered: relevance that deep is noise, and deep offsets cost the index.
pub const SEARCH_MAX_PAGE: usize = 50;

pub(crate) fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from)
}

impl SearchParams {
    pub fn text(&self) -> String {
        self.q.as_deref().unwrap_or("").trim().chars().take(QUERY_CHARS).collect()
    }

    fn by_date(&self) -> bool {
        self.sort.as_deref() == Some("date")
    }

    pub fn page(&self) -> usize {
        self.page.unwrap_or(1).clamp(1, SEARCH_MAX_PAGE)
    }

    /// The index's query: dates are days in Korea, `to` included.
    pub fn query(&self, limit: usize) -> moa_search::SearchQuery {
        moa_search::SearchQuery {
            text: self.text(),
            source_id: non_empty(&self.company),
            tag: non_empty(&self.tag),
            topic: non_empty(&self.topic),
            since: non_empty(&self.from).and_then(|d| crate::kst::day_start(&d)),
            until: non_empty(&self.to).and_then(|d| crate::kst::day_start(&d)).map(|t| t + 86_400),
            sort: if self.by_date() { moa_search::Sort::Newest } else { moa_search::Sort::Relevance },
            limit,
            offset: (self.page() - 1) * limit,
            now: crate::now_unix(),
        }
    }

    /// The address of this search at `path` (another page of it, or its feed), filters kept.
    fn href(&self, path: &str, page: Option<usize>, ui: &Ui) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("q", &self.text());
        for (key, value) in [
            ("company", &self.company),
            ("topic", &self.topic),
            ("tag", &self.tag),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = non_empty(value) {
                q.append_pair(key, &v);
            }
        }
        if self.by_date() {
            q.append_pair("sort", "date");
        }
        if let Some(page) = page.filter(|p| *p > 1) {
            q.append_pair("page", &page.to_string());
        }
        format!("{path}?{}{}", q.finish(), ui.amp)
    }
}

/// The search page: the index's hits with their matches marked, filters by company, topic and dates, and
/// newest-first or by relevance.
pub(crate) async fn search(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(params): Query<SearchParams>,
) -> Response {
    let q = params.text();
    let ui = ctx.ui;
    let sources = match state.store.companies().await {
        Ok(s) => s,
        Err(e) => return internal_error(e),
    };
    let company = non_empty(&params.company);
    let topic = non_empty(&params.topic);
    match unknown_filter(state.store.as_ref(), company.as_deref(), topic.as_deref()).await {
        Ok(Some(unknown)) => return unknown.page(ctx),
        Ok(None) => {}
        Err(e) => return internal_error(e),
    }
    // The companies with posts: a search finds nothing in the others.
    let companies = company_options(&sources, |s| s.post_count > 0, company.as_deref(), &ui);
    let topics = moa_search::topics::TOPICS
        .iter()
        .map(|t| TopicOption { slug: t.slug, name: ui.topic_name(t), selected: topic.as_deref() == Some(t.slug) })
        .collect();
    let page = params.page();
    let (results, available) = match (&state.search, q.is_empty()) {
        (_, true) => (crate::search::Results::default(), true),
        (None, false) => (crate::search::Results::default(), false),
        (Some(search), false) => match search.search(&params.query(SEARCH_PAGE)).await {
            Ok(r) => (r, true),
            Err(e) => return page_error(PageCtx { ui, ..ctx }, format!("{e:#}")),
        },
    };
    let now = crate::now_unix();
    let cards = results
        .found
        .into_iter()
        .map(|(hit, post)| {
            let mut c = card(post, now, &ui);
            c.title_html = Some(hit.title_html);
            c.snippet_html = Some(hit.snippet_html).filter(|s| !s.trim().is_empty());
            c
        })
        .collect();
    let shown = (page - 1) * SEARCH_PAGE + SEARCH_PAGE;
    let scrap_csrf = ctx.scrap_csrf();
    let private = scrap_csrf.is_some();
    let has_query = !q.is_empty();
    html_page(
        &SearchPage {
            cards,
            total: results.total,
            more: results.more,
            empty_message: ui.t.empty_search,
            available,
            companies,
            topics,
            from: non_empty(&params.from).unwrap_or_default(),
            to: non_empty(&params.to).unwrap_or_default(),
            by_date: params.by_date(),
            feed_href: has_query.then(|| params.href("/search/feed.xml", None, &Ui { amp: "", ..ui })),
            prev_href: (has_query && page > 1).then(|| params.href("/search", Some(page - 1), &ui)),
            next_href: (has_query && results.total > shown && page < SEARCH_MAX_PAGE)
                .then(|| params.href("/search", Some(page + 1), &ui)),
            ui,
            head: ctx.head,
            scrap_csrf,
            q,
        },
        private,
    )
}

/// One rule for names the filters do not know, in pages, feeds and the API: a company or a topic that does
/// not exist is a 404 (an unknown tag is only an empty result). A retired company's posts stay listed, as on
/// its page.
pub(crate) async fn unknown_filter(
    store: &dyn Store,
    company: Option<&str>,
    topic: Option<&str>,
) -> moa_store::Result<Option<UnknownFilter>> {
    if let Some(id) = company
        && store.company(id).await?.is_none()
    {
        Ok(Some(UnknownFilter::Company))
    } else if topic.is_some_and(|t| moa_search::topics::topic(t).is_none()) {
        Ok(Some(UnknownFilter::Topic))
    } else {
        Ok(None)
    }
}

pub(crate) enum UnknownFilter {
    Company,
    Topic,
}

impl UnknownFilter {
    fn page(self, ctx: PageCtx) -> Response {
        match self {
            Self::Company => message(ctx, StatusCode::NOT_FOUND, |t| (t.no_company, t.no_company_message)),
            Self::Topic => message(ctx, StatusCode::NOT_FOUND, |t| (t.not_found, t.not_found_message)),
        }
    }
}

/// A search as a feed: `/search/feed.xml?q=…` (and `atom.xml`, `feed.json`), newest first, the search
/// page's filters kept, to follow a subject.
pub(crate) async fn search_feed(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(file): Path<String>,
    Query(params): Query<SearchParams>,
) -> Response {
    let q = params.text();
    let (Some(format), Some(search)) = (FeedFormat::from_file(&file).filter(|_| !q.is_empty()), &state.search) else {
        return not_found(ctx).await;
    };
    let (company, topic) = (non_empty(&params.company), non_empty(&params.topic));
    match unknown_filter(state.store.as_ref(), company.as_deref(), topic.as_deref()).await {
        Ok(Some(unknown)) => return unknown.page(ctx),
        Ok(None) => {}
        Err(e) => return internal_error(e),
    }
    let params = SearchParams { page: None, ..params };
    let no_lang = Ui { amp: "", ..ctx.ui };
    let channel = crate::web::syndication::Channel {
        title: format!("“{q}” — {SITE_TITLE}"),
        description: crate::i18n::published::search_feed(&q),
        site_url: format!("{}{}", ctx.base, params.href("/search", None, &no_lang)),
        self_url: format!("{}{}", ctx.base, params.href(&format!("/search/{}", format.file()), None, &no_lang)),
        language: "ko",
    };
    // A feed is read for what is new, whatever order the page it came from had.
    let newest = SearchParams { sort: Some("date".into()), ..params };
    match search.search(&newest.query(FEED_SIZE as usize)).await {
        Ok(results) => {
            let posts: Vec<Post> = results.found.into_iter().map(|(_, p)| p).collect();
            feed_response(format, &channel, &posts)
        }
        Err(e) => internal_error(format!("{e:#}")),
    }
}
